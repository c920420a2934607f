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
from numba import prange

from .. import _pairs
from .._contract import COMBINE_SUM, PAIRS_BATCH
from . import _lanes
from ._band import band_mask  # noqa: F401 - band_mask is a launcher
from ._dtw_lanes import _dtw_lanes_kernel
from ._jit import njit, njit_parallel
from ._pairs import block_cells, n_chunks, reorder
from ._paths import predecessor, reverse_pairs
from ._rows import accumulate, rolling_rows, rolling_values


@njit
def _dtw_value_single(x, y, n, m, kind, radius, slope, dtype_like):
    """One pair without the thread pool (waking workers costs more than it saves)."""
    lo = np.empty(x.shape[0], dtype=np.int64)
    hi = np.empty(x.shape[0], dtype=np.int64)
    prev = np.empty(m + 1, dtype=dtype_like.dtype)
    cur = np.empty(m + 1, dtype=dtype_like.dtype)
    return rolling_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur, COMBINE_SUM)


def _run_pairs(X, Y, lx, ly, mode, start, out, band):
    """DTW of pairs ``start .. start + len(out) - 1`` of ``mode`` into ``out``: by the
    SIMD lane kernel (:mod:`._dtw_lanes`, bit-identical; its last group padded) from
    a quarter of a group on, else (and when ``_lanes.ENABLED`` is off) by the scalar
    one."""
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    n = out.shape[0]
    covered = 0
    if _lanes.use_lanes(n, out.dtype):
        n_groups, covered = _lanes.split(n, out.dtype)
        work = block_cells(lx, ly, mode, covered)  # small calls run serially (_jit.SMALL_WORK)
        args = (kind, radius, slope, n_chunks(n_groups))
        _dtw_lanes_kernel.run(work, X, Y, lx, ly, mode, start, out[:covered], *args)
    if covered < n:
        rolling_values(X, Y, lx, ly, mode, start + covered, out[covered:], band, COMBINE_SUM)


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
    X, Y, lx, ly = reorder(X, Y, lx, ly, ox, oy, symmetric)

    def run(mode, start, stop, out):
        _run_pairs(X, Y, lx, ly, mode, start, out, band)

    R = _pairs.cdist(np, run, X.shape[0], Y.shape[0], symmetric, False, X.dtype, progress)
    return _lanes.unsort_matrix(R, ox, oy)


def dtw_acc(C, lx, ly, band, subsequence=False):
    """Accumulated-cost matrices (B, N, M) from cost matrices C (B, N, M).

    With ``subsequence=True`` a path may start anywhere on the first row.
    """
    return accumulate(C, lx, ly, band, subsequence, COMBINE_SUM)


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
            i, j = predecessor(Rb, i, j)
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
