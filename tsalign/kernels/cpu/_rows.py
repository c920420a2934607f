"""The recurrence that DTW and the discrete Fréchet distance share (numba).

Both fill ``R[i, j] = cost(i, j) (+ or max) min(R[i-1, j-1], R[i-1, j], R[i, j-1])``
over a pair's band: :func:`rolling_values` keeps only ``R[n-1, m-1]`` (two rolling
rows, no cost matrix, the cost computed from the series), :func:`accumulate` the
whole matrix from a cost matrix (for paths).  ``dtw.cu`` does the same on CUDA with
its ``combine`` flag.
"""

from __future__ import annotations

import numpy as np
from numba import literally, prange

from .._contract import COMBINE_MAX, COMBINE_SUM
from ._band import band_ranges, pair_band
from ._jit import njit, njit_parallel
from ._pairs import block_cells, chunk_of, n_chunks, pair_of


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
def _values_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, n_chunks, combine):
    """out[q] = :func:`rolling_rows` of pair p_start + q (see ``_pairs.pair_of``)."""
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
            # the codes reach rolling_rows as constants (numba.literally there); a
            # literal argument from Python would make numba retype every call
            if combine == COMBINE_MAX:
                out[q] = rolling_rows(
                    X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur, COMBINE_MAX
                )
            else:
                out[q] = rolling_rows(
                    X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur, COMBINE_SUM
                )


def rolling_values(X, Y, lx, ly, mode, start, out, band, combine):
    """:func:`rolling_rows` of pairs ``start .. start + len(out) - 1`` of ``mode`` into
    ``out``, parallel over chunks of pairs (serially for small calls)."""
    n = out.shape[0]
    work = block_cells(lx, ly, mode, n)  # small calls run serially (_jit.SMALL_WORK)
    args = (int(band[0]), int(band[1]), float(band[2]), n_chunks(n), combine)
    _values_kernel.run(work, X, Y, lx, ly, mode, start, out, *args)


@njit
def _acc_pair(Cb, Rb, n, lo, hi, subsequence, combine):
    """The accumulated matrix ``Rb`` of one pair (``inf`` outside its band)."""
    # compile-time constants, as in rolling_rows: with either one a flag read per
    # cell, Fréchet ran 1.6-1.8x slower (benchmarks/README_house.md)
    bottleneck = literally(combine) == COMBINE_MAX
    start = -np.inf if bottleneck else 0.0  # the empty path: c + 0 = max(c, -inf) = c
    Rb[:, :] = np.inf
    for i in range(n):
        for j in range(lo[i], hi[i]):
            if i == 0:
                if j == 0 or subsequence:
                    best = start
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
            c = Cb[i, j]
            # inf costs (masked cells) stay inf; NaN never enters
            Rb[i, j] = (c if c > best else best) if bottleneck else c + best


@njit_parallel
def _acc_kernel(C, lx, ly, kind, radius, slope, subsequence, combine, R):
    N = C.shape[1]
    for b in prange(C.shape[0]):
        lo, hi = pair_band(N, lx[b], ly[b], kind, radius, slope)
        if combine == COMBINE_MAX:
            _acc_pair(C[b], R[b], lx[b], lo, hi, False, COMBINE_MAX)
        else:
            _acc_pair(C[b], R[b], lx[b], lo, hi, subsequence, COMBINE_SUM)


def accumulate(C, lx, ly, band, subsequence, combine):
    """Accumulated matrices (B, N, M) from cost matrices C (B, N, M), ``combine`` as in
    :func:`rolling_rows`; with ``subsequence`` a path may start anywhere on row 0."""
    R = np.empty_like(C)
    kind, radius, slope = band
    args = (int(kind), int(radius), float(slope), bool(subsequence), int(combine))
    _acc_kernel(C, lx, ly, *args, R)
    return R
