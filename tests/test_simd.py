"""Inter-pair SIMD kernels (lane groups) against the scalar kernels and references.

Exact DTW and soft-DTW from the lane kernels must be bit-identical to the
scalar kernels (cdist blocks and full matrices then agree too); every
batch here is sized so that lane groups *and* a scalar remainder of each size
0 .. G - 1 occur, with mixed lengths (masked groups) and equal lengths (uniform
groups), bands, NaN padding, float32 and float64, one and several features.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import tsalign
from tsalign.kernels._contract import BAND_ITAKURA, BAND_SAKOE_CHIBA, NO_BAND
from tsalign.kernels.cpu import _lanes
from tsalign.kernels.cpu import dtw as kdtw
from tsalign.kernels.cpu import soft_dtw as ksdtw
from tsalign.kernels.cpu._simd import vadd, vinside, vload, vmin, vmul, vsplat, vstore, vsub

from .reference import dtw_ref_value, sakoe_chiba_ref
from .reference_soft_dtw import soft_dtw_ref_value

BANDS = [NO_BAND, (BAND_SAKOE_CHIBA, 2, 2.0), (BAND_ITAKURA, 0, 2.0)]
DTYPES = [np.float64, np.float32]


@pytest.fixture(autouse=True)
def _soft_lanes_on_small_calls(monkeypatch):
    """The soft-DTW lane kernel for calls of any size (it serves only calls of
    ``_jit.SMALL_WORK`` cells or more; these tests are smaller)."""
    monkeypatch.setattr(_lanes, "SOFT_MIN_CELLS", 0)


def test_small_soft_dtw_calls_take_the_per_pair_kernel(monkeypatch):
    monkeypatch.setattr(_lanes, "SOFT_MIN_CELLS", 50_000)
    assert not _lanes.use_soft_lanes(10, np.float32, 49_999)
    assert _lanes.use_soft_lanes(10, np.float32, 50_000)
    assert _lanes.use_soft_lanes(1, np.float32, 10**6)
    assert not _lanes.use_soft_lanes(1, np.float64, 10**6)


def _series(rng, B, N, d, dtype, vary):
    X = rng.normal(size=(B, N, d)).astype(dtype)
    if vary:
        lengths = rng.integers(max(1, N // 2), N + 1, size=B)
    else:
        lengths = np.full(B, N)
    return X, lengths.astype(np.int64)


def _both(fn, *args):
    """(lane kernels, scalar kernels) results of one launcher call."""
    assert _lanes.ENABLED
    simd = fn(*args)
    with _lanes.scalar_only():
        scalar = fn(*args)
    return simd, scalar


@pytest.mark.parametrize("dtype", DTYPES)
def test_values_every_remainder_bit_identical(rng, dtype):
    G = _lanes.group_size(dtype)
    X, lx = _series(rng, 2 * G + G - 1, 9, 1, dtype, vary=True)
    Y, ly = _series(rng, 2 * G + G - 1, 7, 1, dtype, vary=True)
    for B in range(G, 2 * G + G):  # remainders 0 .. G - 1 behind one or two groups
        simd, scalar = _both(kdtw.dtw_values, X[:B], Y[:B], lx[:B], ly[:B], NO_BAND)
        assert simd.dtype == dtype
        np.testing.assert_array_equal(simd, scalar)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("vary", [False, True])
def test_cdist_bit_identical(rng, dtype, band, d, vary):
    G = _lanes.group_size(dtype)
    X, lx = _series(rng, G + 5, 14, d, dtype, vary)
    Y, ly = _series(rng, 3, 11, d, dtype, vary)  # 3 (G + 5) pairs: groups + remainder
    if vary:
        ly[0] = 2  # against lengths >= 7: outside Itakura's parallelogram
    simd, scalar = _both(kdtw.dtw_cdist, X, Y, lx, ly, band, False)
    assert simd.dtype == dtype
    np.testing.assert_array_equal(simd, scalar)
    if band[0] == BAND_ITAKURA and vary:
        assert np.isinf(scalar).any()  # infeasible pairs are part of the check
    simd, scalar = _both(kdtw.dtw_cdist, X, X, lx, lx, band, True)
    np.testing.assert_array_equal(simd, scalar)
    np.testing.assert_array_equal(simd, simd.T)
    simd, scalar = _both(kdtw.dtw_values, X, X[::-1].copy(), lx, lx[::-1].copy(), band)
    np.testing.assert_array_equal(simd, scalar)


def test_lane_kernels_really_run(monkeypatch, rng):
    """The dispatch reaches the lane kernel from a quarter of a group on, in one
    call whatever the remainder (the last group is padded), not below."""
    calls = []
    real = kdtw._dtw_lanes_kernel

    class Spy:
        def run(self, work, *args):
            calls.append(args[6].shape[0])
            return real.run(work, *args)

    monkeypatch.setattr(kdtw, "_dtw_lanes_kernel", Spy())
    G = _lanes.group_size(np.float64)
    X, lx = _series(rng, G + 3, 6, 1, np.float64, vary=True)
    kdtw.dtw_values(X, X, lx, lx, NO_BAND)
    assert calls == [G + 3]
    q = G // 4
    kdtw.dtw_values(X[:q], X[:q], lx[:q], lx[:q], NO_BAND)
    assert calls == [G + 3, q]
    kdtw.dtw_values(X[: q - 1], X[: q - 1], lx[: q - 1], lx[: q - 1], NO_BAND)
    assert calls == [G + 3, q]
    with _lanes.scalar_only():
        kdtw.dtw_values(X, X, lx, lx, NO_BAND)
    assert calls == [G + 3, q]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lane_cdist_matches_path_enumeration(rng, dtype):
    """The lane kernel against brute force: every pair of tiny ragged series."""
    G = _lanes.group_size(dtype)
    n = int(np.ceil(np.sqrt(2 * G))) + 2  # the triangle holds >= one lane group
    series = [rng.normal(size=(int(rng.integers(1, 6)), 2)) for _ in range(n)]
    N = max(len(s) for s in series)
    X = np.full((n, N, 2), np.nan)
    for i, s in enumerate(series):
        X[i, : len(s)] = s
    got = tsalign.cdist_dtw(X.astype(dtype))
    expected = np.array([[dtw_ref_value(a, b) for b in series] for a in series])
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    radius = 1
    got = tsalign.cdist_dtw(
        X.astype(dtype), global_constraint="sakoe_chiba", sakoe_chiba_radius=radius
    )
    for i, a in enumerate(series):
        for j, b in enumerate(series):
            mask = sakoe_chiba_ref(len(a), len(b), radius)
            ref = dtw_ref_value(a, b, mask)
            np.testing.assert_allclose(got[i, j], ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_public_cdist_with_nan_padding_is_bit_identical(rng, dtype):
    G = _lanes.group_size(dtype)
    n = G + 7
    X = rng.normal(size=(n, 20, 2)).astype(dtype)
    for i in range(n):
        X[i, int(rng.integers(5, 21)) :] = np.nan
    Y = X[: n // 2]
    simd = tsalign.cdist_dtw(X, Y, global_constraint="sakoe_chiba", sakoe_chiba_radius=3)
    batch = tsalign.dtw(X, X[::-1])
    with _lanes.scalar_only():
        scalar = tsalign.cdist_dtw(X, Y, global_constraint="sakoe_chiba", sakoe_chiba_radius=3)
        batch_scalar = tsalign.dtw(X, X[::-1])
    assert simd.dtype == dtype
    np.testing.assert_array_equal(simd, scalar)
    np.testing.assert_array_equal(batch, batch_scalar)


def test_parallel_lane_kernel_equals_serial(rng):
    """prange over lane-group chunks gives the same values as the serial twin."""
    G = _lanes.group_size(np.float64)
    X, lx = _series(rng, 3 * G, 12, 1, np.float64, vary=True)
    out_par = np.empty(3 * G)
    out_ser = np.empty(3 * G)
    from tsalign.kernels._contract import PAIRS_BATCH

    args = (X, X[::-1].copy(), lx, lx[::-1].copy(), PAIRS_BATCH, 0)
    kdtw._dtw_lanes_kernel.parallel(*args, out_par, 0, 0, 2.0, 3)
    kdtw._dtw_lanes_kernel.serial(*args, out_ser, 0, 0, 2.0, 3)
    np.testing.assert_array_equal(out_par, out_ser)


def test_length_order():
    assert _lanes.length_order(np.array([3, 3, 3])) is None
    assert _lanes.length_order(np.array([1, 2, 3])) is None
    np.testing.assert_array_equal(_lanes.length_order(np.array([3, 1, 2, 1])), [1, 3, 2, 0])


# ------------------------------------------------------------- the vector type
@numba.njit
def _vec_ops(a, b, lo, hi, j, out):
    va = vload(a, 0)
    vb = vload(b, 0)
    vstore(out, 0, vmin(va, vb))
    vstore(out, a.shape[0], vadd(vmul(va, vb), vsub(va, vb)))
    vstore(out, 2 * a.shape[0], vinside(va, vsplat(va, -1.0), lo, hi, 0, j))


@pytest.mark.parametrize("dtype", DTYPES)
def test_vector_intrinsics(dtype):
    G = _lanes.group_size(dtype)
    rng = np.random.default_rng(3)
    a = rng.normal(size=G).astype(dtype)
    b = rng.normal(size=G).astype(dtype)
    b[0] = a[0]
    a[1] = np.inf
    lo = rng.integers(0, 5, size=G).astype(np.int64)
    hi = lo + rng.integers(0, 3, size=G)
    out = np.empty(3 * G, dtype=dtype)
    _vec_ops(a, b, lo, hi, 4, out)
    np.testing.assert_array_equal(out[:G], np.where(a < b, a, b))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(out[G : 2 * G], a * b + (a - b))
    np.testing.assert_array_equal(out[2 * G :], np.where((lo <= 4) & (4 < hi), a, -1.0))


# ------------------------------------------------------------------ soft-DTW
def _close(simd, scalar, dtype):
    """Bit-identical: both kernels run the same cell loop (``_softmin.value_cells``)."""
    assert simd.dtype == scalar.dtype == dtype
    np.testing.assert_array_equal(simd, scalar)


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_dtw_values_every_remainder(rng, dtype):
    G = _lanes.group_size(dtype)
    X, lx = _series(rng, 2 * G + G - 1, 9, 1, dtype, vary=True)
    Y, ly = _series(rng, 2 * G + G - 1, 7, 1, dtype, vary=True)
    for B in range(G, 2 * G + G):
        simd, scalar = _both(ksdtw.soft_dtw_values, X[:B], Y[:B], lx[:B], ly[:B], NO_BAND, 0.5)
        assert simd.dtype == dtype
        _close(simd, scalar, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("gamma", [1.0, 0.01])
def test_soft_dtw_cdist_matches_scalar(rng, dtype, band, d, gamma):
    G = _lanes.group_size(dtype)
    X, lx = _series(rng, G + 5, 14, d, dtype, vary=True)
    Y, ly = _series(rng, 3, 11, d, dtype, vary=True)
    ly[0] = 2
    simd, scalar = _both(ksdtw.soft_dtw_cdist, X, Y, lx, ly, band, gamma, False)
    assert simd.dtype == dtype
    _close(simd, scalar, dtype)
    if band[0] == BAND_ITAKURA:
        assert np.isinf(scalar).any()
    simd, scalar = _both(ksdtw.soft_dtw_cdist, X, X, lx, lx, band, gamma, True)
    _close(simd, scalar, dtype)
    # a pair and its transpose give the same bits (the sorted triangle relies on it)
    np.testing.assert_array_equal(
        ksdtw.soft_dtw_cdist(Y, X, ly, lx, band, gamma, False).T,
        _both(ksdtw.soft_dtw_cdist, X, Y, lx, ly, band, gamma, False)[1],
    )
    Xe, le = _series(rng, G + 3, 10, d, dtype, vary=False)  # uniform groups
    simd, scalar = _both(ksdtw.soft_dtw_values, Xe, Xe[::-1].copy(), le, le, band, gamma)
    _close(simd, scalar, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_dtw_lanes_match_path_enumeration(rng, dtype):
    """The lane kernel against the definition (a soft-min over every path)."""
    G = _lanes.group_size(dtype)
    n = int(np.ceil(np.sqrt(2 * G))) + 2
    series = [rng.normal(size=(int(rng.integers(1, 6)), 2)) for _ in range(n)]
    N = max(len(s) for s in series)
    X = np.full((n, N, 2), np.nan)
    for i, s in enumerate(series):
        X[i, : len(s)] = s
    for gamma in (1.0, 0.1):
        got = tsalign.cdist_soft_dtw(X.astype(dtype), gamma=gamma)
        expected = np.array([[soft_dtw_ref_value(a, b, gamma) for b in series] for a in series])
        tol = 1e-10 if dtype == np.float64 else 2e-4
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_soft_dtw_lane_kernel_really_runs(monkeypatch, rng):
    """Batches of two pairs or more (and one float32 pair) reach the lane kernel,
    in one call whatever the remainder; one float64 pair does not."""
    calls = []
    real = ksdtw._values_lanes_kernel

    class Spy:
        def run(self, work, *args):
            calls.append((args[6].shape[0], args[7]))
            return real.run(work, *args)

    monkeypatch.setattr(ksdtw, "_values_lanes_kernel", Spy())
    G = _lanes.soft_group_size(np.float32)
    X, lx = _series(rng, G + 3, 6, 1, np.float32, vary=True)
    ksdtw.soft_dtw_values(X, X, lx, lx, NO_BAND, 1.0)
    assert calls == [(G + 3, G)]
    ksdtw.soft_dtw_values(X[:1], X[:1], lx[:1], lx[:1], NO_BAND, 1.0)
    assert calls[-1] == (1, G)
    X64 = X.astype(np.float64)
    ksdtw.soft_dtw_values(X64[:1], X64[:1], lx[:1], lx[:1], NO_BAND, 1.0)
    ksdtw.soft_dtw_values(X64[:2], X64[:2], lx[:2], lx[:2], NO_BAND, 1.0)
    assert len(calls) == 3 and calls[-1][0] == 2
    with _lanes.scalar_only():
        ksdtw.soft_dtw_values(X, X, lx, lx, NO_BAND, 1.0)
    assert len(calls) == 3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("G", [1, 3, 8])
def test_soft_dtw_lane_group_sizes_bit_identical(rng, dtype, G, monkeypatch):
    """Any group size (the last group of a run is smaller) gives the per-pair bits."""
    monkeypatch.setitem(_lanes.SOFT_GROUPS, np.dtype(dtype).name, G)
    X, lx = _series(rng, 11, 9, 2, dtype, vary=True)
    Y, ly = _series(rng, 11, 8, 2, dtype, vary=True)
    for band in BANDS:
        simd, scalar = _both(ksdtw.soft_dtw_values, X, Y, lx, ly, band, 0.3)
        _close(simd, scalar, dtype)


def _loss_reference(X, Y, lx, ly, band, gamma, grad):
    """Values and (dX, dY) from the per-pair kernel on float64 cost matrices."""
    Xd = np.where(np.arange(X.shape[1])[None, :, None] < lx[:, None, None], X, 0.0)
    Yd = np.where(np.arange(Y.shape[1])[None, :, None] < ly[:, None, None], Y, 0.0)
    Xd, Yd = Xd.astype(np.float64), Yd.astype(np.float64)
    C = ((Xd[:, :, None, :] - Yd[:, None, :, :]) ** 2).sum(-1)
    v, W = ksdtw.soft_dtw_forward(C, lx, ly, band, gamma)
    E = ksdtw.soft_dtw_backward(W, lx, ly, band) * grad[:, None, None]
    gx = 2 * (E.sum(2)[:, :, None] * Xd - np.einsum("bij,bjf->bif", E, Yd))
    gy = 2 * (E.sum(1)[:, :, None] * Yd - np.einsum("bij,bif->bjf", E, Xd))
    return v, gx, gy


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize("d", [1, 3])
def test_soft_dtw_loss_lanes_match_cost_matrix_path(rng, dtype, band, d):
    """The lane-group loss (forward weights, E and the series' gradient in one
    walk) against the per-pair kernel on cost matrices, float64: every group
    size up to two full groups plus a remainder, mixed lengths, NaN padding."""
    G = _lanes.loss_group_size(dtype)
    B = 2 * G + 3
    X, lx = _series(rng, B, 10, d, dtype, vary=True)
    Y, ly = _series(rng, B, 8, d, dtype, vary=True)
    X[0, lx[0] :] = np.nan  # padding is never read
    grad = rng.normal(size=B).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for b in (1, 2, G - 1, G, B):
        v, W, plan, pairs = ksdtw.soft_dtw_forward_series(X[:b], Y[:b], lx[:b], ly[:b], band, 0.4)
        assert v.dtype == W.dtype == dtype
        assert sorted(pairs.tolist()) == list(range(b)) and plan[:, 1].sum() == b
        gx, gy = ksdtw.soft_dtw_backward_series(
            W, plan, pairs, X[:b], Y[:b], lx[:b], ly[:b], band, grad[:b]
        )
        v0, gx0, gy0 = _loss_reference(X[:b], Y[:b], lx[:b], ly[:b], band, 0.4, grad[:b])
        ok = np.isfinite(v0)  # infeasible pairs have no gradient to compare
        np.testing.assert_array_equal(np.isfinite(v), ok)
        np.testing.assert_allclose(v[ok], v0[ok], rtol=tol, atol=tol)
        np.testing.assert_allclose(gx[ok], gx0[ok], rtol=tol, atol=tol * np.abs(gx0).max())
        np.testing.assert_allclose(gy[ok], gy0[ok], rtol=tol, atol=tol * np.abs(gy0).max())
        for p in range(b):  # zero past each length, NaN padding included
            assert not gx[p, lx[p] :].any() and not gy[p, ly[p] :].any()


def test_soft_dtw_loss_lanes_gradcheck(rng):
    """torch gradcheck (float64) of the fused Function on the lane kernels."""
    import torch

    from tsalign._torch.soft_dtw import SoftDTWSqEuclideanFunction

    lx = np.array([5, 3, 5, 4, 2], dtype=np.int64)
    ly = np.array([4, 4, 2, 3, 4], dtype=np.int64)
    x = torch.tensor(rng.normal(size=(5, 5, 2)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(5, 4, 2)), requires_grad=True)
    for band in BANDS[:2]:

        def f(x, y, band=band):
            return SoftDTWSqEuclideanFunction.apply(x, y, lx, ly, band, 0.7)

        assert torch.autograd.gradcheck(f, (x, y))
