"""The CUDA launchers and kernels, run on the CPU through tests/cuda_emu.py.

With no GPU on CI, this is where the GPU code's logic (grid/block shapes,
wavefront indices, bands, lengths, barriers, backtracking) is checked against
the CPU kernels and the brute-force references.  On a machine with a GPU the
regular tests run the same launchers for real.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from tsalign.kernels.cuda import _module

from . import cuda_emu
from .reference import dtw_ref, dtw_ref_value, sq_cost

pytestmark = pytest.mark.skipif(cuda_emu.compiler() is None, reason="no host C++ compiler")


@pytest.fixture
def gpu_family(monkeypatch):
    """Import kernels/cuda/<family>.py with CuPy faked by numpy and kernels emulated."""

    monkeypatch.setitem(sys.modules, "cupy", cuda_emu.FakeCupy)

    def load(family: str):
        mod = importlib.import_module(f"tsalign.kernels.cuda.{family}")
        # every loaded launcher module: a family may call another's launchers
        # (DILATE runs soft-DTW's forward)
        for name, other in list(sys.modules.items()):
            if name.startswith("tsalign.kernels.cuda.") and hasattr(other, "kernel"):
                monkeypatch.setattr(other, "kernel", cuda_emu.emulated_kernel)
        return mod

    return load


def _batch(rng, lengths, N, d, dtype):
    X = np.zeros((len(lengths), N, d), dtype=dtype)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.normal(size=(n, d))
    return X


BANDS = [(0, 0, 2.0), (2, 1, 2.0), (2, 0, 2.0), (1, 0, 2.0), (1, 0, 3.0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("band", BANDS, ids=str)
def test_dtw_values_and_paths(gpu_family, rng, dtype, band):
    from tsalign.kernels.cpu import dtw as cpu

    gpu = gpu_family("dtw")
    lx = np.array([1, 4, 6, 5, 3, 40], dtype=np.int64)
    ly = np.array([3, 4, 2, 6, 6, 37], dtype=np.int64)
    X = _batch(rng, lx, 40, 2, dtype)
    Y = _batch(rng, ly, 40, 2, dtype)
    want = cpu.dtw_values(X, Y, lx, ly, band)
    got = gpu.dtw_values(X, Y, lx, ly, band)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for b in range(4):
        if np.isfinite(want[b]) and band[0] == 0:
            assert np.sqrt(got[b]) == pytest.approx(
                dtw_ref_value(X[b, : lx[b]], Y[b, : ly[b]]), rel=1e-5
            )
    C = np.ascontiguousarray(((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1), dtype=dtype)
    R_cpu = cpu.dtw_acc(C, lx, ly, band)
    R_gpu = gpu.dtw_acc(C, lx, ly, band)
    np.testing.assert_allclose(R_gpu, R_cpu, rtol=1e-5)
    finite = np.isfinite(want)
    Rf = np.ascontiguousarray(R_cpu[finite])
    P_cpu, L_cpu = cpu.dtw_paths(Rf, lx[finite], ly[finite])
    P_gpu, L_gpu = gpu.dtw_paths(Rf, lx[finite], ly[finite])
    np.testing.assert_array_equal(L_gpu, L_cpu)
    np.testing.assert_array_equal(P_gpu, P_cpu)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("band", BANDS, ids=str)
def test_frechet_values_cdist_and_matrices(gpu_family, rng, dtype, band):
    from tsalign.kernels.cpu import frechet as cpu

    from .reference_tslearn import frechet as frechet_ref

    gpu = gpu_family("frechet")
    lx = np.array([1, 4, 6, 5, 3, 40], dtype=np.int64)
    ly = np.array([3, 4, 2, 6, 6, 37], dtype=np.int64)
    X = _batch(rng, lx, 40, 2, dtype)
    Y = _batch(rng, ly, 40, 2, dtype)
    # max and min are exact; only the cost sums may round differently (FMA on a GPU)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    want = cpu.frechet_values(X, Y, lx, ly, band)
    np.testing.assert_allclose(gpu.frechet_values(X, Y, lx, ly, band), want, rtol=tol)
    if band[0] == 0:  # the definition: smallest over paths of the largest cost
        for b in range(5):
            ref = frechet_ref(X[b, : lx[b]].astype(float), Y[b, : ly[b]].astype(float))
            assert np.sqrt(want[b]) == pytest.approx(ref, rel=1e-5)
    for sym in (False, True):
        Yc, lyc = (X, lx) if sym else (Y, ly)
        got = cpu.frechet_cdist(X, Yc, lx, lyc, band, sym)
        np.testing.assert_allclose(gpu.frechet_cdist(X, Yc, lx, lyc, band, sym), got, rtol=tol)
        # every entry is the value of its pair (the diagonal of a dataset with itself is 0)
        ia, ib = np.divmod(np.arange(len(lx) * len(lyc)), len(lyc))
        pairs = cpu.frechet_values(X[ia], Yc[ib], lx[ia], lyc[ib], band)
        np.testing.assert_array_equal(got.reshape(-1), np.where(sym & (ia == ib), 0, pairs))
    C = np.ascontiguousarray(((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1), dtype=dtype)
    np.testing.assert_array_equal(
        gpu.frechet_acc(C, lx, ly, band), cpu.frechet_acc(C, lx, ly, band)
    )  # same C


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gak_log_pairs(gpu_family, rng, dtype):
    from tsalign.kernels.cpu import gak as cpu

    from .reference_tslearn import log_gak

    gpu = gpu_family("gak")
    lx = np.array([1, 4, 6, 5, 30], dtype=np.int64)
    ly = np.array([3, 4, 2, 6, 27], dtype=np.int64)
    X = _batch(rng, lx, 30, 2, dtype)
    Y = _batch(rng, ly, 30, 2, dtype)
    ia = np.array([0, 1, 2, 3, 4, 4, 2], dtype=np.int64)
    ib = np.array([0, 1, 2, 3, 4, 0, 3], dtype=np.int64)
    for sigma in (0.5, 2.0):
        want = cpu.gak_log_pairs(X, Y, lx, ly, ia, ib, sigma)
        got = gpu.gak_log_pairs(X, Y, lx, ly, ia, ib, sigma)
        # the same log-space recurrence written as a soft-min of negated values
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)
        for p in range(4):  # the definition: log of the sum over every alignment
            x, y = X[ia[p], : lx[ia[p]]], Y[ib[p], : ly[ib[p]]]
            ref = log_gak(x.astype(float), y.astype(float), sigma)
            assert float(got[p]) == pytest.approx(ref, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("band", BANDS, ids=str)
def test_lcss_counts_and_paths(gpu_family, rng, dtype, band):
    from tsalign.kernels.cpu import lcss as cpu

    gpu = gpu_family("lcss")
    lx = np.array([1, 4, 6, 5, 3, 33], dtype=np.int64)
    ly = np.array([3, 4, 2, 6, 6, 35], dtype=np.int64)
    X = _batch(rng, lx, 35, 2, dtype)
    Y = _batch(rng, ly, 35, 2, dtype)
    D = np.ascontiguousarray(np.sqrt(((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1)))
    D = D.astype(dtype)
    for eps in (0.5, 1.2):
        A_cpu = cpu.lcss_acc(D, lx, ly, band, eps)
        A_gpu = gpu.lcss_acc(D, lx, ly, band, eps)
        np.testing.assert_array_equal(A_gpu, A_cpu)
        assert A_cpu[-1].max() > 3  # long pair: real matches, not all zeros
        P_cpu, L_cpu = cpu.lcss_paths(D, A_cpu, lx, ly, band, eps)
        P_gpu, L_gpu = gpu.lcss_paths(D, A_cpu, lx, ly, band, eps)
        np.testing.assert_array_equal(L_gpu, L_cpu)
        np.testing.assert_array_equal(P_gpu, P_cpu)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ldtw_layers_ends_and_paths(gpu_family, rng, dtype):
    from tsalign.kernels.cpu import ldtw as cpu

    from .reference_tslearn import ldtw as ldtw_ref

    gpu = gpu_family("ldtw")
    lx = np.array([1, 4, 6, 5, 12], dtype=np.int64)
    ly = np.array([3, 4, 2, 6, 11], dtype=np.int64)
    X = _batch(rng, lx, 12, 2, dtype)
    Y = _batch(rng, ly, 12, 2, dtype)
    C = np.ascontiguousarray(((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1), dtype=dtype)
    for L in (12, 15, 23):
        R_cpu = cpu.ldtw_acc(C, lx, ly, L)
        np.testing.assert_array_equal(gpu.ldtw_acc(C, lx, ly, L), R_cpu)
        v_cpu, s_cpu = cpu.ldtw_end(R_cpu, lx, ly)
        v_gpu, s_gpu = gpu.ldtw_end(R_cpu, lx, ly)
        np.testing.assert_array_equal(v_gpu, v_cpu)
        np.testing.assert_array_equal(s_gpu, s_cpu)
        P_cpu, L_cpu = cpu.ldtw_paths(R_cpu, lx, ly, s_cpu)
        P_gpu, L_gpu = gpu.ldtw_paths(R_cpu, lx, ly, s_cpu)
        np.testing.assert_array_equal(L_gpu, L_cpu)
        np.testing.assert_array_equal(P_gpu, P_cpu)
        for b in range(4):  # the definition: cheapest path of at most L cells
            x, y = X[b, : lx[b]].astype(float), Y[b, : ly[b]].astype(float)
            assert np.sqrt(v_gpu[b]) == pytest.approx(ldtw_ref(x, y, L), rel=1e-5)


def test_dtw_values_use_global_scratch_for_long_series(gpu_family, rng, monkeypatch):
    """Past the shared-memory budget the diagonals live in global scratch."""
    from tsalign.kernels.cpu import dtw as cpu

    gpu = gpu_family("dtw")
    monkeypatch.setattr(_module, "SMEM_BYTES", 64)  # force the global-memory path
    monkeypatch.setattr(_module, "SCRATCH_BYTES", 3 * 50 * 8 * 2)  # and slicing of pairs
    lx = np.array([50, 20, 33], dtype=np.int64)
    ly = np.array([45, 50, 10], dtype=np.int64)
    X, Y = _batch(rng, lx, 50, 1, np.float64), _batch(rng, ly, 50, 1, np.float64)
    np.testing.assert_allclose(
        gpu.dtw_values(X, Y, lx, ly, BANDS[0]), cpu.dtw_values(X, Y, lx, ly, BANDS[0]), rtol=1e-12
    )


def test_dtw_cdist_and_subsequence(gpu_family, rng):
    from tsalign.kernels.cpu import dtw as cpu

    gpu = gpu_family("dtw")
    lx = np.array([5, 3, 7, 6], dtype=np.int64)
    X = _batch(rng, lx, 7, 1, np.float64)
    ly = np.array([4, 7, 2], dtype=np.int64)
    Y = _batch(rng, ly, 7, 1, np.float64)
    for sym, (B, lb) in ((True, (X, lx)), (False, (Y, ly))):
        np.testing.assert_allclose(
            gpu.dtw_cdist(X, B, lx, lb, BANDS[0], sym),
            cpu.dtw_cdist(X, B, lx, lb, BANDS[0], sym),
            rtol=1e-12,
        )
    # subsequence: free start on the first row, free end chosen by the caller
    q, s = rng.normal(size=(1, 3, 1)), rng.normal(size=(1, 8, 1))
    C = sq_cost(q[0], s[0])[None]
    n, m = np.array([3]), np.array([8])
    R = gpu.dtw_acc(C, n, m, BANDS[0], subsequence=True)
    np.testing.assert_allclose(R, cpu.dtw_acc(C, n, m, BANDS[0], subsequence=True))
    end = np.array([int(np.argmin(R[0, -1]))])
    p_gpu, l_gpu = gpu.dtw_paths(R, n, m, end_j=end, subsequence=True)
    p_cpu, l_cpu = cpu.dtw_paths(R, n, m, end_j=end, subsequence=True)
    np.testing.assert_array_equal(p_gpu[0, : l_gpu[0]], p_cpu[0, : l_cpu[0]])


def test_emulated_paths_are_optimal(gpu_family, rng):
    gpu = gpu_family("dtw")
    x, y = rng.normal(size=(5, 1)), rng.normal(size=(4, 1))
    C = sq_cost(x, y)[None]
    one_n, one_m = np.array([5]), np.array([4])
    R = gpu.dtw_acc(C, one_n, one_m, BANDS[0])
    P, L = gpu.dtw_paths(R, one_n, one_m)
    _, best = dtw_ref(x, y)
    assert tuple(map(tuple, P[0, : L[0]].tolist())) in best


@pytest.mark.parametrize("gamma", [0.0, 0.01, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dilate_forward_and_backward(gpu_family, rng, gamma, dtype):
    from tsalign.kernels.cpu import dilate as cpu

    gpu = gpu_family("dilate")
    lx = np.array([6, 3, 40, 1], dtype=np.int64)
    ly = np.array([6, 5, 37, 4], dtype=np.int64)
    D = np.ascontiguousarray(rng.random(size=(4, 40, 40)) * 2, dtype=dtype)
    if gamma == 0.0:
        D = np.round(D * 2) / 2  # ties: the hard weights must split them alike
    want = cpu.dilate_forward(D, lx, ly, gamma)
    got = gpu.dilate_forward(D, lx, ly, gamma)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    for w, g in zip(want, got, strict=True):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
    gs = rng.normal(size=4).astype(dtype)
    gt = rng.normal(size=4).astype(dtype)
    W, E = want[3], want[2]
    np.testing.assert_allclose(
        gpu.dilate_backward(W, E, gs, gt, lx, ly, gamma),
        cpu.dilate_backward(W, E, gs, gt, lx, ly, gamma),
        rtol=rtol,
        atol=rtol,
    )


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssnt_forward_and_backward(gpu_family, rng, mode, dtype):
    from tsalign.kernels.cpu import ssnt as cpu

    gpu = gpu_family("ssnt")
    S, V = 40, 5
    tgt_len = np.array([3, 1, 5, 4], dtype=np.int64)
    src_len = np.array([7, 1, 40, 4], dtype=np.int64)
    row_off = np.concatenate([[0], np.cumsum(tgt_len)[:-1]]).astype(np.int64)
    R = int(tgt_len.sum())
    logits = rng.normal(size=(R, S, V))
    log_probs = np.ascontiguousarray(
        logits - np.log(np.exp(logits).sum(-1, keepdims=True)), dtype=dtype
    )
    targets = rng.integers(0, V, size=R).astype(np.int64)
    z = rng.normal(size=(R, S))
    emit = np.ascontiguousarray(z if mode == 1 else -np.log1p(np.exp(-z)), dtype=dtype)
    args = (log_probs, targets, emit, src_len, tgt_len, row_off, mode)
    want = cpu.ssnt_forward(*args)
    got = gpu.ssnt_forward(*args)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got[0], want[0], rtol=rtol)
    np.testing.assert_array_equal(got[2], want[2])
    finite = np.isfinite(want[1])
    np.testing.assert_array_equal(np.isfinite(got[1]), finite)
    np.testing.assert_allclose(got[1][finite], want[1][finite], rtol=rtol, atol=rtol)
    g_out = rng.normal(size=4).astype(dtype)
    grads = []
    for mod, (total, alpha) in ((cpu, want[:2]), (gpu, want[:2])):
        glp = np.zeros_like(log_probs)
        gem = np.zeros_like(emit)
        mod.ssnt_backward(*args, alpha, total, g_out, glp, gem)
        grads.append((glp, gem))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=rtol, atol=rtol)
    assert np.abs(grads[0][0]).sum() > 0 and np.abs(grads[0][1]).sum() > 0


@pytest.mark.parametrize("gamma", [0.01, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 2, 2.0), (1, 0, 3.0)], ids=str)
def test_soft_dtw_kernels(gpu_family, rng, gamma, dtype, band):
    from tsalign.kernels.cpu import soft_dtw as cpu

    gpu = gpu_family("soft_dtw")
    lx = np.array([6, 3, 40, 1, 7], dtype=np.int64)
    ly = np.array([6, 5, 36, 1, 9], dtype=np.int64)
    X, Y = _batch(rng, lx, 40, 2, dtype), _batch(rng, ly, 40, 2, dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(
        gpu.soft_dtw_values(X, Y, lx, ly, band, gamma),
        cpu.soft_dtw_values(X, Y, lx, ly, band, gamma),
        rtol=rtol,
        atol=rtol,
    )
    for sym in (True, False):
        np.testing.assert_allclose(
            gpu.soft_dtw_cdist(X, X if sym else Y, lx, lx if sym else ly, band, gamma, sym),
            cpu.soft_dtw_cdist(X, X if sym else Y, lx, lx if sym else ly, band, gamma, sym),
            rtol=rtol,
            atol=rtol,
        )
    C = np.ascontiguousarray(((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1), dtype=dtype)
    v_cpu, W_cpu = cpu.soft_dtw_forward(C, lx, ly, band, gamma)
    v_gpu, W_gpu = gpu.soft_dtw_forward(C, lx, ly, band, gamma)
    np.testing.assert_allclose(v_gpu, v_cpu, rtol=rtol)
    np.testing.assert_allclose(W_gpu, W_cpu, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(
        gpu.soft_dtw_backward(W_cpu, lx, ly, band),
        cpu.soft_dtw_backward(W_cpu, lx, ly, band),
        rtol=rtol,
        atol=rtol,
    )


def test_soft_dtw_values_global_scratch(gpu_family, rng, monkeypatch):
    from tsalign.kernels.cpu import soft_dtw as cpu

    gpu = gpu_family("soft_dtw")
    monkeypatch.setattr(_module, "SMEM_BYTES", 64)
    monkeypatch.setattr(_module, "SCRATCH_BYTES", 3 * 50 * 8 * 2)
    lx = np.array([50, 20, 33], dtype=np.int64)
    ly = np.array([45, 50, 10], dtype=np.int64)
    X, Y = _batch(rng, lx, 50, 1, np.float64), _batch(rng, ly, 50, 1, np.float64)
    np.testing.assert_allclose(
        gpu.soft_dtw_values(X, Y, lx, ly, (0, 0, 2.0), 0.1),
        cpu.soft_dtw_values(X, Y, lx, ly, (0, 0, 2.0), 0.1),
        rtol=1e-12,
    )


def _nn_batch(rng, lengths, N, d, dtype, ints):
    X = np.zeros((len(lengths), N, d), dtype=dtype)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.integers(0, 3, size=(n, d)) if ints else rng.normal(size=(n, d))
    return X


@pytest.mark.parametrize(
    "dtype,ints", [(np.float32, False), (np.float64, True)], ids=["f32-normal", "f64-ties"]
)
@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 1, 2.0), (1, 0, 3.0)], ids=str)
def test_kneighbors_equal_brute_force(gpu_family, rng, dtype, band, ints):
    """kernels/cuda/neighbors.cu: the same neighbours and distances as dtw.cu's cdist."""
    nn = gpu_family("neighbors")
    brute = gpu_family("dtw")
    d = 2 if ints else 1
    if band[0] == 1:  # lengths the parallelogram admits for every pair
        lx, ly = np.full(4, 9, dtype=np.int64), np.full(14, 9, dtype=np.int64)
    else:
        lx = np.array([9, 9, 7, 10], dtype=np.int64)
        ly = rng.integers(7, 11, size=14).astype(np.int64)
    X = _nn_batch(rng, lx, 10, d, dtype, ints)
    Y = _nn_batch(rng, ly, 10, d, dtype, ints)
    D = np.asarray(brute.dtw_cdist(X, Y, lx, ly, band, False))
    for k in (1, 3):
        sq, idx, stats = nn.dtw_kneighbors(X, Y, lx, ly, band, k)
        order = np.argsort(D, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(np.asarray(idx), order)
        np.testing.assert_array_equal(np.asarray(sq), np.take_along_axis(D, order, axis=1))
        assert int(np.asarray(stats).sum()) == 4 * 14
