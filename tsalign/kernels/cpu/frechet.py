"""Discrete Fréchet distance on the CPU (numba).

The recurrence is DTW's with ``max`` in place of ``+``:
``R[i, j] = max(C[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with
``C`` the squared Euclidean cost, so ``R[n-1, m-1]`` is the smallest, over
warping paths, of the largest cost met on the path (the value is its square
root).  Cells outside a pair's lengths or band hold ``inf``.

- ``frechet_values`` / ``frechet_cdist``: straight from the series with two
  rolling rows, parallel over pairs (no cost matrix);
- ``frechet_acc``: the whole matrix from cost matrices (for paths, which are
  DTW's backtrack on this matrix, and ``frechet_accumulated_matrix``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import band_ranges
from ._jit import njit, njit_parallel
from ._pairs import n_chunks


@njit
def _frechet_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur):
    """R[n-1, m-1] with two rolling rows of m + 1 entries (entry 0 is a sentinel)."""
    inf = np.inf
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for j in range(m + 1):
        prev[j] = inf
        cur[j] = inf
    prev[0] = 0.0  # the empty path before (0, 0): max(c, 0) = c
    d = x.shape[1]
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        cur[0] = inf
        if i >= 2:
            # cur still holds row i-2: wipe what lies left of this row's range
            for jj in range(lo[i - 2] + 1, lo_i + 1):
                cur[jj] = inf
        left = cur[lo_i]
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
            left = c if c > best else best
            cur[j + 1] = left
        prev, cur = cur, prev
        if i == 0:
            prev[0] = inf
    return prev[m]


@njit_parallel
def _values_kernel(X, Y, lx, ly, ia, ib, out, kind, radius, slope, chunks):
    n_pairs = out.shape[0]
    N = X.shape[1]
    M = Y.shape[1]
    chunk = (n_pairs + chunks - 1) // chunks
    for c in prange(chunks):
        start = c * chunk
        stop = min(n_pairs, start + chunk)
        if start >= stop:
            continue
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for p in range(start, stop):
            a = ia[p]
            b = ib[p]
            out[p] = _frechet_rows(X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur)


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
        n = lx[b]
        m = ly[b]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        band_ranges(n, m, kind, radius, slope, lo, hi)
        Rb = R[b]
        Cb = C[b]
        for i in range(N):
            for j in range(M):
                Rb[i, j] = inf
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
