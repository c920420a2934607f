"""Exact DTW on the CPU (numba).

Two kinds of kernels:

- *value* kernels compute the accumulated squared-Euclidean cost of the best
  path straight from the series, with two rolling rows and no cost matrix, in
  parallel over pairs (a batch of pairs, all pairs of two datasets, or the
  upper triangle of one dataset against itself);
- *matrix* kernels fill the whole accumulated-cost matrix from a cost matrix
  and backtrack the optimal path (tslearn's tie-break: diagonal, then up, then
  left), for ``dtw_path`` and friends.

Cells outside a pair's lengths or its band hold ``inf``.
"""

from __future__ import annotations

import numpy as np
from numba import literally, prange

from .. import _pairs
from .._contract import COMBINE_MAX, COMBINE_SUM, PAIRS_BATCH
from . import _lanes
from ._band import band_mask, band_ranges, pair_band  # noqa: F401 - band_mask is a launcher
from ._dtw_lanes import _dtw_lanes_kernel
from ._jit import njit, njit_parallel
from ._pairs import block_cells, chunk_of, n_chunks, pair_of
from ._paths import reverse_pairs, step_back


@njit
def rolling_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur, combine):
    """R[n-1, m-1] with two rolling rows of m + 1 entries (entry 0 is a sentinel).

    One recurrence for two families, as ``dtw.cu`` has on CUDA: ``combine`` is how a
    cell's cost meets its best predecessor, ``COMBINE_SUM`` adds them (DTW's
    accumulated squared cost), ``COMBINE_MAX`` keeps the larger (the squared discrete
    Fréchet distance, ``frechet.py``).  ``prev[0] = 0`` before row 0 is the empty path
    for both (``c + 0 = max(c, 0) = c`` for a cost ``c >= 0``).  ``combine`` is
    compiled in as a constant, so each family gets its own loop, as fast as the two
    separate kernels were (benchmarks/README_house.md).
    """
    inf = np.inf
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for j in range(m + 1):
        prev[j] = inf
        cur[j] = inf
    prev[0] = 0.0
    # a compile-time constant (one specialisation per code), not a branch per cell
    bottleneck = literally(combine) == COMBINE_MAX
    d = x.shape[1]
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        cur[0] = inf
        if i >= 2:
            # entries of row i-2 left of this row's range are stale: clear them
            # (bounds are non-decreasing, so nothing stale lies right of hi_i)
            for jj in range(lo[i - 2] + 1, lo_i + 1):
                cur[jj] = inf
        left = cur[lo_i]
        # the univariate loop is DTW's only: Fréchet's multivariate loop ran 5-7%
        # slower in float64 with it compiled in (and 29% faster at d = 1)
        if d == 1 and not bottleneck:
            xi = x[i, 0]
            for j in range(lo_i, hi_i):
                diff = xi - y[j, 0]
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = diff * diff + best
                cur[j + 1] = left
        else:
            for j in range(lo_i, hi_i):
                c = 0.0
                for k in range(d):
                    diff = x[i, k] - y[j, k]
                    c += diff * diff
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = (c if c > best else best) if bottleneck else c + best
                cur[j + 1] = left
        prev, cur = cur, prev
    return prev[m]


@njit_parallel
def _dtw_values_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, n_chunks):
    """out[q] = DTW of pair p_start + q (see ``_pairs.pair_of``), in n_chunks chunks."""
    n_pairs = out.shape[0]
    N = X.shape[1]
    M = Y.shape[1]
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_pairs)
        # per-chunk scratch: no allocation per pair (an empty chunk loops zero times)
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for q in range(start, stop):
            a, b = pair_of(p_start + q, mode, X.shape[0], Y.shape[0])
            out[q] = rolling_rows(
                X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur, COMBINE_SUM
            )


@njit
def _dtw_value_single(x, y, n, m, kind, radius, slope, dtype_like):
    """One pair without the thread pool (waking workers costs more than it saves)."""
    lo = np.empty(x.shape[0], dtype=np.int64)
    hi = np.empty(x.shape[0], dtype=np.int64)
    prev = np.empty(m + 1, dtype=dtype_like.dtype)
    cur = np.empty(m + 1, dtype=dtype_like.dtype)
    return rolling_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur, COMBINE_SUM)


def _run_pairs(X, Y, lx, ly, mode, start, out, band):
    """DTW of pairs ``start .. start + len(out) - 1`` of ``mode`` into ``out``: full
    lane groups by the SIMD kernel (:mod:`._dtw_lanes`, bit-identical), the
    remainder (and everything when ``_lanes.ENABLED`` is off) by the scalar one."""
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    n = out.shape[0]
    covered = 0
    if _lanes.use_lanes(n, out.dtype):
        n_groups, covered = _lanes.split(n, out.dtype)
        work = block_cells(lx, ly, mode, covered)  # small calls run serially (_jit.SMALL_WORK)
        args = (kind, radius, slope, n_chunks(n_groups))
        _dtw_lanes_kernel.run(work, X, Y, lx, ly, mode, start, out[:covered], *args)
    if covered < n:
        rest = out[covered:]
        work = block_cells(lx, ly, mode, n - covered)
        args = (kind, radius, slope, n_chunks(n - covered))
        _dtw_values_kernel.run(work, X, Y, lx, ly, mode, start + covered, rest, *args)


def dtw_values(X, Y, lx, ly, band):
    """Accumulated squared cost of the best path for each pair ``(X[b], Y[b])``.

    X: (B, N, d), Y: (B, M, d) float arrays; lx, ly: (B,) int64 lengths.
    Returns (B,) in X's dtype; ``inf`` where the band admits no path.
    """
    B = X.shape[0]
    out = np.empty(B, dtype=X.dtype)
    kind, radius, slope = band
    if B == 1:
        out[0] = _dtw_value_single(
            X[0], Y[0], lx[0], ly[0], int(kind), int(radius), float(slope), out
        )
        return out
    order = _lanes.batch_order(lx, ly, X.dtype)
    if order is not None:  # pairs sorted by lengths: lane groups of equal lengths need no masks
        X, Y, lx, ly = X[order], Y[order], lx[order], ly[order]
    _run_pairs(X, Y, lx, ly, PAIRS_BATCH, 0, out, band)
    return _lanes.unsort_vector(out, order)


def dtw_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    """Accumulated squared cost for every pair of two datasets.

    With ``symmetric=True`` (Y is X) only pairs a < b are computed; the
    diagonal is zero.  ``progress(done, total)`` is called between blocks.
    Returns (nx, ny) in X's dtype.
    """
    # datasets sorted by length: lane groups of equal lengths need no masks.  A
    # sorted triangle computes some pairs as (b, a) instead of (a, b): exact DTW
    # is symmetric bit for bit except for float32 with d > 1, whose scalar kernel
    # carries the left neighbour in float64 along rows (not columns).
    transposed_differs = X.dtype == np.float32 and X.shape[2] > 1
    ox = oy = None
    if not (symmetric and transposed_differs):
        ox, oy = _lanes.cdist_orders(lx, ly, symmetric)
    X, Y, lx, ly = _lanes.sorted_cdist(X, Y, lx, ly, symmetric, ox, oy)

    def run(mode, start, stop, out):
        _run_pairs(X, Y, lx, ly, mode, start, out, band)

    R = _pairs.cdist(np, run, X.shape[0], Y.shape[0], symmetric, False, X.dtype, progress)
    return _lanes.unsort_matrix(R, ox, oy)


@njit_parallel
def _dtw_acc_kernel(C, lx, ly, kind, radius, slope, subsequence, R):
    B, N, M = C.shape
    for b in prange(B):
        n, m = lx[b], ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        Rb, Cb = R[b], C[b]
        Rb[:, :] = np.inf
        for i in range(n):
            for j in range(lo[i], hi[i]):
                if i == 0:
                    if j == 0 or subsequence:
                        best = 0.0
                    else:
                        best = Rb[0, j - 1]
                elif j == 0:
                    best = Rb[i - 1, 0]
                else:
                    best = Rb[i - 1, j - 1]
                    if Rb[i - 1, j] < best:
                        best = Rb[i - 1, j]
                    if Rb[i, j - 1] < best:
                        best = Rb[i, j - 1]
                Rb[i, j] = Cb[i, j] + best


def dtw_acc(C, lx, ly, band, subsequence=False):
    """Accumulated-cost matrices (B, N, M) from cost matrices C (B, N, M).

    With ``subsequence=True`` a path may start anywhere on the first row.
    """
    R = np.empty_like(C)
    kind, radius, slope = band
    _dtw_acc_kernel(C, lx, ly, int(kind), int(radius), float(slope), bool(subsequence), R)
    return R


@njit_parallel
def _dtw_backtrack_kernel(R, lx, end_j, subsequence, paths, plen):
    B = R.shape[0]
    for b in prange(B):
        i = lx[b] - 1
        j = end_j[b]
        k = 0
        paths[b, 0, 0] = i
        paths[b, 0, 1] = j
        k = 1
        Rb = R[b]
        while (i > 0) or (j > 0 and not subsequence):
            if i == 0:
                j -= 1
            elif j == 0:
                i -= 1
            else:
                di, dj = step_back(Rb[i - 1, j - 1], Rb[i - 1, j], Rb[i, j - 1])
                i -= di
                j -= dj
            paths[b, k, 0] = i
            paths[b, k, 1] = j
            k += 1
        reverse_pairs(paths[b], k)
        plen[b] = k


def dtw_paths(R, lx, ly, end_j=None, subsequence=False):
    """Backtrack optimal paths through accumulated-cost matrices R (B, N, M).

    Paths end at ``(lx-1, end_j)`` (default ``ly-1``).  Returns ``paths``
    (B, N+M-1, 2) int64, valid up to ``plen`` (B,) int64 entries each.
    """
    B, N, M = R.shape
    if end_j is None:
        end_j = ly - 1
    paths = np.zeros((B, N + M - 1, 2), dtype=np.int64)
    plen = np.zeros(B, dtype=np.int64)
    _dtw_backtrack_kernel(
        R, lx, np.ascontiguousarray(end_j, dtype=np.int64), bool(subsequence), paths, plen
    )
    return paths, plen
