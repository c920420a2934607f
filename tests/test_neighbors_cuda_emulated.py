"""The CUDA kNN kernels (kernels/cuda/neighbors.cu) run on the CPU through tests/cuda_emu.py:
same neighbours and distances as the emulated brute force (dtw.cu's dtw_cdist)."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from . import cuda_emu

pytestmark = pytest.mark.skipif(cuda_emu.compiler() is None, reason="no host C++ compiler")


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", cuda_emu.FakeCupy)
    monkeypatch.setattr(cuda_emu.FakeCupy, "argsort", staticmethod(np.argsort), raising=False)
    mods = {}
    for fam in ("neighbors", "dtw"):
        mod = importlib.import_module(f"tsalign.kernels.cuda.{fam}")
        monkeypatch.setattr(mod, "kernel", cuda_emu.emulated_kernel)
        mods[fam] = mod
    return mods


def _batch(rng, lengths, N, d, dtype, ints):
    X = np.zeros((len(lengths), N, d), dtype=dtype)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.integers(0, 3, size=(n, d)) if ints else rng.normal(size=(n, d))
    return X


@pytest.mark.parametrize(
    "dtype,ints", [(np.float32, False), (np.float64, True)], ids=["f32-normal", "f64-ties"]
)
@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 1, 2.0), (1, 0, 3.0)], ids=str)
def test_emulated_kneighbors_equal_emulated_brute_force(gpu, rng, dtype, band, ints):
    d = 2 if ints else 1
    lx = np.array([9, 9, 7, 10], dtype=np.int64) if band[0] != 1 else np.full(4, 9)
    ly = rng.integers(7, 11, size=14).astype(np.int64) if band[0] != 1 else np.full(14, 9)
    X = _batch(rng, lx, 10, d, dtype, ints)
    Y = _batch(rng, ly, 10, d, dtype, ints)
    D = gpu["dtw"].dtw_cdist(X, Y, lx, ly, band, False)
    for k in (1, 3):
        sq, idx, stats = gpu["neighbors"].dtw_kneighbors(X, Y, lx, ly, band, k)
        order = np.argsort(D, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(idx, order)
        np.testing.assert_array_equal(sq, np.take_along_axis(D, order, axis=1))
        assert stats.sum() == 4 * 14
