"""Discrete Fréchet distance on the CPU (numba).

The recurrence is DTW's with ``max`` in place of ``+``:
``R[i, j] = max(C[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with
``C`` the squared Euclidean cost, so ``R[n-1, m-1]`` is the smallest, over
warping paths, of the largest cost met on the path (the value is its square
root).  Cells outside a pair's lengths or band hold ``inf``.

- ``frechet_values`` / ``frechet_pairs``: straight from the series with two
  rolling rows (DTW's ``rolling_rows`` with ``COMBINE_MAX``), parallel over
  pairs (no cost matrix);
- ``frechet_acc``: the whole matrix from cost matrices (for paths, which are
  DTW's backtrack on this matrix, and ``frechet_accumulated_matrix``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._contract import COMBINE_MAX
from ._band import pair_band
from ._jit import njit_parallel
from ._pairs import chunk_of, n_chunks
from .dtw import rolling_rows


@njit_parallel
def _values_kernel(X, Y, lx, ly, ia, ib, out, kind, radius, slope, chunks):
    n_pairs = out.shape[0]
    N = X.shape[1]
    M = Y.shape[1]
    for c in prange(chunks):
        start, stop = chunk_of(c, chunks, n_pairs)
        # per-chunk scratch: no allocation per pair (an empty chunk loops zero times)
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for p in range(start, stop):
            a = ia[p]
            b = ib[p]
            out[p] = rolling_rows(
                X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur, COMBINE_MAX
            )


def frechet_values(X, Y, lx, ly, band):
    """Squared Fréchet value of each pair ``(X[b], Y[b])``; (B,) in X's dtype."""
    idx = np.arange(X.shape[0], dtype=np.int64)
    return frechet_pairs(X, Y, lx, ly, idx, idx, band)


def frechet_pairs(X, Y, lx, ly, ia, ib, band):
    """Squared Fréchet value of the pairs ``(X[ia[p]], Y[ib[p]])``."""
    out = np.empty(ia.shape[0], dtype=X.dtype)
    if out.shape[0] == 0:
        return out
    kind, radius, slope = band
    _values_kernel(
        X,
        Y,
        lx,
        ly,
        np.ascontiguousarray(ia, dtype=np.int64),
        np.ascontiguousarray(ib, dtype=np.int64),
        out,
        int(kind),
        int(radius),
        float(slope),
        n_chunks(out.shape[0]),
    )
    return out


@njit_parallel
def _acc_kernel(C, lx, ly, kind, radius, slope, R):
    B, N, M = C.shape
    inf = np.inf
    for b in prange(B):
        n, m = lx[b], ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        Rb, Cb = R[b], C[b]
        Rb[:, :] = inf
        for i in range(n):
            for j in range(lo[i], hi[i]):
                if i == 0 and j == 0:
                    best = -inf
                elif i == 0:
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
                Rb[i, j] = c if c > best else best


def frechet_acc(C, lx, ly, band):
    """Accumulated (max-min) matrices (B, N, M) from cost matrices C (B, N, M)."""
    R = np.empty_like(C)
    kind, radius, slope = band
    _acc_kernel(C, lx, ly, int(kind), int(radius), float(slope), R)
    return R
