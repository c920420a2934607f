"""Soft-DTW on the CPU (numba).

The recurrence (Cuturi & Blondel, 2017) on a cost matrix ``C``::

    R[i, j] = C[i, j] + softmin_g(R[i-1, j-1], R[i-1, j], R[i, j-1]),   R[-1, -1] = 0
    softmin_g(a, b, c) = -g log(exp(-a/g) + exp(-b/g) + exp(-c/g))

is evaluated as a log-sum-exp shifted by the smallest argument.  Cells are
visited by anti-diagonals, whose cells are independent: the CPU overlaps their
exp/log latencies, which a row-by-row walk (each cell waiting on its left
neighbour) cannot, and the soft-min has no data-dependent branch that could be
mispredicted.  The arithmetic is in the input's dtype (numba compiles one
specialisation per dtype; the scalars ``gamma``, ``big``, 1 and 0 are passed or
derived in that dtype so that no float64 literal promotes the cell's
arithmetic).  Every value of one pair comes from one recurrence,
:func:`_sweep`: each anti-diagonal is gathered into contiguous rows (costs from
a cost matrix or from the series on the fly; the predecessors are slices of
the rolling diagonals), its cells are one loop, and the weights, when stored,
are scattered back.  The cells are the value-only soft-min
(:func:`._softmin.value_cells`, for ``soft_dtw_values``) or the soft-min with its
normalised weights (:func:`._softmin.weight_cells`, for ``soft_dtw_forward``):
both one vectorised loop, the same values to the bit, with the inline
polynomial ``exp``/``log`` of the dtype (:mod:`._vmath`: ``_vmath64`` /
``_vmath32``, accurate to 1-2 ulp and much cheaper per value than libm's,
which numba calls one value at a time).
The stored weights keep float32 gradients stable (see below).  Unreachable
cells (outside the lengths or the band) hold a *finite* sentinel ``big``; a
cell whose smallest predecessor is the sentinel is the sentinel, so no
``inf - inf`` (and no NaN) can arise.  Pairs that the band makes infeasible
come back as ``inf``.

Values of many pairs (batches and cdist) and the squared Euclidean losses
(``soft_dtw_forward_series`` / ``soft_dtw_backward_series``) run by lane
groups, one pair per SIMD lane, in :mod:`._soft_dtw_lanes`, which walk the
same anti-diagonals with the same cells; the per-pair kernel here takes one
float64 pair, the cost matrices of ``soft_dtw_forward`` (any cost, weights in
the row-major layout that ``soft_dtw_backward`` and the other families read)
and every pair when ``_lanes.ENABLED`` is off.

Gradients.  The forward pass used for autograd stores, for every cell, the
*normalised* soft-min weights of its diagonal and upper predecessors,
``W[i, j] = (p_diag, p_up)``, with ``p_left = 1 - p_diag - p_up``.  The
expected alignment ``E = dR[n-1, m-1] / dC`` then follows the backward
recursion (the Cuturi-Blondel E recursion written with these weights)::

    E[i, j] = E[i+1, j+1] p_diag(i+1, j+1) + E[i+1, j] p_up(i+1, j) + E[i, j+1] p_left(i, j+1)

with no exponential at all.  Recomputing the weights from ``R`` and ``C`` as
``exp((R[s] - C[s] - R[p]) / g)`` (tslearn, pytorch-softdtw-cuda) subtracts two
large, rounded numbers and divides by ``g``: in float32 with small ``g`` the
weights leave [0, 1] and ``E`` blows up (tslearn 0.10's SoftDTWLossPyTorch at
N = M = 4096, g = 1e-3, float32: max |grad| 2e16 where float64 gives 1.3e4).
Stored weights sum to one by construction, so ``E`` stays a probability (each
entry in [0, 1]) at any ``g`` and length.

Memory per pair (N x M, floats of s bytes): values only, about ``6 N s``
(three anti-diagonals, one diagonal's costs and weights) and ``2 N`` int64
band bounds, costs computed on the fly;
forward for autograd, the same plus ``2 N M s`` for the weights; backward,
``N M s`` for ``E`` (the lane-group losses: no ``E`` array, three rolling
diagonals of it).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .. import _pairs
from .._contract import PAIRS_BATCH, sentinel
from . import _lanes
from ._band import band_ranges, pair_band
from ._jit import njit, njit_parallel
from ._pairs import block_cells, chunk_of, n_chunks, pair_of, reorder
from ._soft_dtw_lanes import (
    _loss_backward_kernel,
    _loss_forward_kernel,
    _values_lanes_kernel,
    loss_layout,
)
from ._softmin import diag_step, value_cells, weight_cells


@njit
def _sorted3(a, b, c):
    """(smallest, middle, largest) of three floats with min/max only (no branches)."""
    lo_ab = min(a, b)
    hi_ab = max(a, b)
    return min(lo_ab, c), max(lo_ab, min(hi_ab, c)), max(hi_ab, c)


@njit
def _softmin(a, b, c, gamma, inv_gamma, big, one):
    """soft-min of three values; ``big`` if all three are unreachable.

    Branch-free apart from the (predictable) sentinel test: which predecessor
    is smallest is random, and a mispredicted branch per cell would stall the
    overlap of neighbouring cells' exp/log.  The smallest term is exp(0) = 1
    and is not computed; a sentinel argument gives exp(-inf) = 0.
    """
    mn, md, mx = _sorted3(a, b, c)
    if mn >= big:
        return big
    s = one + math.exp(-(md - mn) * inv_gamma) + math.exp(-(mx - mn) * inv_gamma)
    return mn - gamma * math.log(s)


@njit
def _sweep(
    C, X, Y, series, n, m, kind, radius, slope, gamma, big, weights, store, W, lo, hi, buf, tmp
):
    """The soft-DTW forward recurrence of one pair, by anti-diagonals.

    Every soft-DTW value on the CPU comes from here.  Costs are ``C[i, j]``
    or, with ``series``, the squared Euclidean costs of ``X`` (n, d) and ``Y``
    (m, d) computed on the fly (``C`` is then a dummy, and X, Y are when not).
    With ``weights`` the cells also produce the normalised soft-min weights,
    stored in ``W[i, j] = (p_diag, p_up)`` with ``store``; without, the value
    cells (the same value to the bit: both sum in one order).

    Each diagonal runs in three passes: the costs are gathered into a
    contiguous row (the predecessors are slices of the rolling diagonals
    already), the cells of the whole diagonal are one loop (vectorised for
    float32 weights), then the weights are scattered into W's row-major
    layout.  ``buf`` (3, N + 1) holds the rolling diagonals shifted by one:
    slot i + 1 is row i, slot 0 is row -1 (always big, except R[-1, -1] = 0
    for the first cell), so the three predecessors of a diagonal's cells are
    plain slices; ``tmp`` (3, N) holds costs and weights of one diagonal.
    Returns R[n-1, m-1] (``big`` when the band admits no path).
    """
    one = big / big  # 1 and 0 in the working dtype: float64 literals would promote
    zero = big - big
    inv_gamma = one / gamma
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for r in range(3):
        for i in range(n + 1):
            buf[r, i] = big
    tc = tmp[0]
    twd = tmp[1]
    twu = tmp[2]
    n_feat = X.shape[1]
    a = np.int64(-1)  # int64, not a literal: see _jit.njit_inline
    b = np.int64(0)
    for k in range(n + m - 1):
        a, b = diag_step(k, n, lo, hi, a, b)
        cur = buf[k % 3]
        d1 = buf[(k + 2) % 3]
        d2 = buf[(k + 1) % 3]
        # rows just outside the band: the next two diagonals read them.
        # A cell (k, 0) reads rows k and k - 1 of the two previous
        # diagonals: (k, -1) and (k - 1, -1), which are big (set here as
        # "a + 1" or never written); a cell (0, k) reads slot 0 (row -1).
        if b >= 1:
            cur[b] = big
        if a + 1 < n:
            cur[a + 2] = big
        if series and n_feat == 1:
            for i in range(b, a + 1):
                df = X[i, 0] - Y[k - i, 0]
                tc[i] = df * df
        elif series:
            for i in range(b, a + 1):
                cost = zero
                for f in range(n_feat):
                    df = X[i, f] - Y[k - i, f]
                    cost += df * df
                tc[i] = cost
        else:
            for i in range(b, a + 1):
                tc[i] = C[i, k - i]
        e = a + 1
        if k == 0:
            d2[0] = zero  # R[-1, -1]
        # costs, diagonal / upper / left predecessors, cells: slices that start at 0
        cells = (
            tc[b:e],
            d2[b:e],
            d1[b:e],
            d1[b + 1 : e + 1],
            gamma,
            inv_gamma,
            big,
            cur[b + 1 : e + 1],
        )
        if weights:
            weight_cells(*cells, twd[b:e], twu[b:e])
        else:
            value_cells(*cells)
        if k == 0:
            d2[0] = big
        if store:
            for i in range(b, a + 1):
                j = k - i
                W[i, j, 0] = twd[i]
                W[i, j, 1] = twu[i]
    return buf[(n + m - 2) % 3, n]


@njit_parallel
def _values_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, gamma, big, n_chunks):
    """out[q] = soft-DTW of pair p_start + q (see ``_pairs.pair_of``), in n_chunks chunks."""
    n_pairs = out.shape[0]
    N = X.shape[1]
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_pairs)
        # per-chunk scratch: no allocation per pair (an empty chunk loops zero times)
        buf = np.empty((3, N + 1), dtype=out.dtype)
        tmp = np.empty((3, N), dtype=out.dtype)
        bounds = (np.empty(N, dtype=np.int64), np.empty(N, dtype=np.int64))
        no_cw = (np.empty((1, 1), dtype=out.dtype), np.empty((1, 1, 2), dtype=out.dtype))
        for q in range(start, stop):
            a, b = pair_of(p_start + q, mode, X.shape[0], Y.shape[0])
            v = _sweep(
                no_cw[0], X[a], Y[b], True, lx[a], ly[b], kind, radius, slope, gamma, big,
                False, False, no_cw[1], bounds[0], bounds[1], buf, tmp,
            )  # fmt: skip
            out[q] = np.inf if v >= big else v


@njit_parallel
def _forward_kernel(C, lx, ly, kind, radius, slope, gamma, big, store, W, out):
    """Values and (with ``store``) weights of the cost matrices C[p].

    W without ``store`` is a one-slot dummy, hence the ``p % shape[0]``.
    """
    B, N, M = C.shape
    no_series = np.empty((1, 1), dtype=C.dtype)
    for p in prange(B):
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        buf = np.empty((3, N + 1), dtype=out.dtype)
        tmp = np.empty((3, N), dtype=out.dtype)
        v = _sweep(
            C[p], no_series, no_series, False, lx[p], ly[p], kind, radius, slope, gamma, big,
            True, store, W[p % W.shape[0]], lo, hi, buf, tmp,
        )  # fmt: skip
        out[p] = np.inf if v >= big else v


@njit_parallel
def _backward_kernel(W, lx, ly, kind, radius, slope, one, E):
    B, N, M = E.shape
    zero = one - one  # W's dtype: float32 stays float32
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        Eb = E[b]
        Wb = W[b]
        # E and W are zero outside the band, so successors outside it add 0
        for i in range(n - 1, -1, -1):
            j0 = lo[i]
            j1 = hi[i]
            if j1 <= j0:
                continue
            if i == n - 1:
                for j in range(j1 - 1, j0 - 1, -1):
                    if j == m - 1:
                        Eb[i, j] = one
                        continue
                    wl = one - Wb[i, j + 1, 0] - Wb[i, j + 1, 1]
                    Eb[i, j] = Eb[i, j + 1] * wl if wl > zero else zero
                continue
            # last cell of the row: its left successor E[i, j1] is 0 (outside
            # the band or past the end)
            j = j1 - 1
            acc = Eb[i + 1, j] * Wb[i + 1, j, 1]
            if j + 1 < m:
                acc += Eb[i + 1, j + 1] * Wb[i + 1, j + 1, 0]
            Eb[i, j] = acc
            prev = acc
            # the rest: j + 1 < m, no branch; only prev * wl is on the
            # dependency chain from cell to cell
            for j in range(j1 - 2, j0 - 1, -1):
                wl = one - Wb[i, j + 1, 0] - Wb[i, j + 1, 1]
                wl = wl if wl > zero else zero
                acc = Eb[i + 1, j] * Wb[i + 1, j, 1] + Eb[i + 1, j + 1] * Wb[i + 1, j + 1, 0]
                prev = acc + prev * wl
                Eb[i, j] = prev


def _run_values(X, Y, lx, ly, mode, start, band, gamma, out):
    """Soft-DTW of pairs ``start .. start + len(out) - 1`` of ``mode``: by lane
    groups (:mod:`._soft_dtw_lanes`, the last group smaller), or pair by pair
    when ``_lanes.ENABLED`` is off."""
    kind, radius, slope = band
    dt = out.dtype.type  # scalars in the data's dtype: float32 inputs compute in float32
    scalars = (int(kind), int(radius), float(slope), dt(gamma), dt(sentinel(out.dtype)))
    n = out.shape[0]
    work = block_cells(lx, ly, mode, n)  # small calls run serially (_jit.SMALL_WORK)
    if _lanes.use_soft_lanes(n, out.dtype, work):
        G = _lanes.soft_group_size(out.dtype)
        args = (G, *scalars, n_chunks((n + G - 1) // G))
        _values_lanes_kernel.run(work, X, Y, lx, ly, mode, start, out, *args)
    else:
        _values_kernel.run(work, X, Y, lx, ly, mode, start, out, *scalars, n_chunks(n))


def soft_dtw_values(X, Y, lx, ly, band, gamma):
    """Soft-DTW of each pair ``(X[b], Y[b])`` straight from the series.

    X: (B, N, d), Y: (B, M, d); lx, ly: (B,) int64 lengths; ``gamma > 0``.
    Returns (B,) in X's dtype; ``inf`` where the band admits no path.
    """
    out = np.empty(X.shape[0], dtype=X.dtype)
    if out.shape[0] == 0:
        return out
    cells = block_cells(lx, ly, PAIRS_BATCH, X.shape[0])
    order = _lanes.batch_order(lx, ly, X.dtype, lambda n, dt: _lanes.use_soft_lanes(n, dt, cells))
    if order is not None:  # pairs sorted by lengths: lane groups of equal lengths
        X, Y, lx, ly = X[order], Y[order], lx[order], ly[order]
    _run_values(X, Y, lx, ly, PAIRS_BATCH, 0, band, gamma, out)
    return _lanes.unsort_vector(out, order)


def soft_dtw_cdist(X, Y, lx, ly, band, gamma, symmetric, progress=None):
    """Soft-DTW of every pair of two datasets, (nx, ny).

    With ``symmetric=True`` (Y is X) the pairs a <= b are computed (the
    diagonal too: soft-DTW of a series with itself is not zero).
    ``progress(done, total)`` is called between blocks of pairs.
    """
    ox, oy = _lanes.cdist_orders(lx, ly, symmetric)  # sorted by length (see dtw_cdist)
    X, Y, lx, ly = reorder(X, Y, lx, ly, ox, oy, symmetric)

    def run(mode, start, stop, out):
        _run_values(X, Y, lx, ly, mode, start, band, gamma, out)

    R = _pairs.cdist(np, run, X.shape[0], Y.shape[0], symmetric, True, X.dtype, progress)
    return _lanes.unsort_matrix(R, ox, oy)


def soft_dtw_forward(C, lx, ly, band, gamma, need_weights=True):
    """Soft-DTW values of cost matrices C (B, N, M) and the soft-min weights.

    Returns ``(values (B,), W (B, N, M, 2))``; W holds the normalised weights
    of the diagonal and upper predecessors of each cell (zero outside the band
    and the lengths), which is all :func:`soft_dtw_backward` needs.  With
    ``need_weights=False`` W is not allocated and ``None`` is returned.
    """
    B, N, M = C.shape
    out = np.empty(B, dtype=C.dtype)
    W = np.zeros((B, N, M, 2) if need_weights else (1, 1, 1, 2), dtype=C.dtype)
    kind, radius, slope = band
    dt = C.dtype.type  # scalars in the data's dtype: float32 computes in float32
    scalars = (int(kind), int(radius), float(slope), dt(gamma), dt(sentinel(C.dtype)))
    _forward_kernel(C, lx, ly, *scalars, bool(need_weights), W, out)
    return out, (W if need_weights else None)


def soft_dtw_forward_series(X, Y, lx, ly, band, gamma):
    """Soft-DTW values of series under the squared Euclidean cost, and what
    :func:`soft_dtw_backward_series` needs.

    X: (B, N, d), Y: (B, M, d), float32 or float64; the costs are computed on
    the fly (no (B, N, M) cost matrix) by lane groups of pairs sorted by their
    lengths (:mod:`._soft_dtw_lanes`).  Returns ``(values (B,), W (2, S),
    plan (groups, 3) int64, pairs (B,) int64)``: the soft-min weights of the
    diagonal and upper predecessors of every walked cell in the groups'
    diagonal-major layout, the groups, and the order of the pairs in them.
    """
    X = np.ascontiguousarray(X)
    Y = np.ascontiguousarray(Y)
    B = X.shape[0]
    out = np.empty(B, dtype=X.dtype)
    dt = X.dtype.type
    if B == 0:
        return out, np.zeros((2, 0), X.dtype), np.zeros((0, 3), np.int64), np.zeros(0, np.int64)
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    pairs, work, plan, size = loss_layout(lx, ly, X.dtype, kind, radius, slope)
    W = np.empty((2, size), dtype=X.dtype)
    args = (kind, radius, slope, dt(gamma), dt(sentinel(X.dtype)), W[0], W[1], out)
    _loss_forward_kernel.run(work, X, Y, lx, ly, pairs, plan, *args)
    return out, W, plan, pairs


def soft_dtw_backward_series(W, plan, pairs, X, Y, lx, ly, band, grad):
    """(dX, dY) of ``sum_p grad[p] soft-DTW(X[p], Y[p])`` from what
    :func:`soft_dtw_forward_series` returned (zero past each length)."""
    X = np.ascontiguousarray(X)
    Y = np.ascontiguousarray(Y)
    gx = np.empty_like(X)
    gy = np.empty_like(Y)
    if X.shape[0] == 0:
        return gx, gy
    grad = np.ascontiguousarray(grad, dtype=X.dtype)
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    args = (kind, radius, slope, W[0], W[1], grad, gx, gy)
    _loss_backward_kernel.run(int(np.dot(lx, ly)), X, Y, lx, ly, pairs, plan, *args)
    return gx, gy


def soft_dtw_backward(W, lx, ly, band):
    """Expected alignments E (B, N, M) = d soft-DTW / d C from the weights W."""
    B, N, M = W.shape[0], W.shape[1], W.shape[2]
    E = np.zeros((B, N, M), dtype=W.dtype)
    kind, radius, slope = band
    _backward_kernel(W, lx, ly, int(kind), int(radius), float(slope), W.dtype.type(1), E)
    return E


@njit
def _accumulated_kernel(D, gamma, big, R):
    N, M = D.shape
    inv_gamma = 1.0 / gamma
    for i in range(N):
        for j in range(M):
            if i == 0 and j == 0:
                R[0, 0] = D[0, 0]
                continue
            up = R[i - 1, j] if i > 0 else big
            left = R[i, j - 1] if j > 0 else big
            diag = R[i - 1, j - 1] if i > 0 and j > 0 else big
            R[i, j] = D[i, j] + _softmin(up, diag, left, gamma, inv_gamma, big, 1.0)


def soft_dtw_accumulated(D, gamma):
    """Accumulated soft-DTW matrix R (N, M) of one float64 cost matrix D (N, M).

    ``R[i, j]`` is the soft-DTW value of the prefixes ``D[:i + 1, :j + 1]``
    (the same soft-min as the forward kernels), so ``R[-1, -1]`` is the value.
    """
    D = np.ascontiguousarray(D, dtype=np.float64)
    R = np.empty_like(D)
    _accumulated_kernel(D, float(gamma), sentinel(np.float64), R)
    return R
