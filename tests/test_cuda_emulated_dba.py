"""The CUDA DBA pass (kernels/cuda/dba.cu) on the CPU through tests/cuda_emu.py,
against the CPU kernel."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from . import cuda_emu

pytestmark = pytest.mark.skipif(cuda_emu.compiler() is None, reason="no host C++ compiler")


@pytest.fixture
def gpu_dba(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", cuda_emu.FakeCupy)
    mod = importlib.import_module("tsalign.kernels.cuda.dba")
    monkeypatch.setattr(mod, "kernel", cuda_emu.emulated_kernel)
    return mod


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 2, 2.0), (1, 0, 3.0)], ids=str)
def test_dba_accumulate_matches_cpu(gpu_dba, dtype, band):
    from tsalign.kernels.cpu import dba as cpu

    rng = np.random.default_rng(3)
    n, N, S, d, K = 7, 9, 8, 2, 2
    X = rng.normal(size=(n, N, d)).cumsum(axis=1).astype(dtype)
    lx = np.array([9, 7, 9, 8, 9, 6, 9], dtype=np.int64)
    for b in range(n):
        X[b, lx[b] :] = 0
    Z = rng.normal(size=(K, S, d)).cumsum(axis=1).astype(dtype)
    assign = np.array([0, 1, 0, 0, 1, 1, 0], dtype=np.int64)
    w = np.array([1.0, 0.5, 0.0, 2.0, 1.0, 0.25, 1.5])
    idx = np.array([0, 1, 2, 3, 5, 6], dtype=np.int64)
    for bary_first in (True, False):
        want = cpu.dba_accumulate(X, lx, Z, assign, w, idx, band, bary_first)
        got = gpu_dba.dba_accumulate(X, lx, Z, assign, w, idx, band, bary_first)
        assert got[2].dtype == dtype
        if dtype == np.float64:
            np.testing.assert_array_equal(got[2], want[2])
        else:
            np.testing.assert_allclose(got[2], want[2], rtol=1e-5)
        ok = np.isfinite(want[2])
        if not ok.all():  # an infeasible pair: no frame of it is added, on either side
            continue
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)
        np.testing.assert_allclose(got[1], want[1], rtol=tol, atol=tol)
