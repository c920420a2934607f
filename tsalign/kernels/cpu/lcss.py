"""Longest Common Subsequence (LCSS) on the CPU (numba).

From a frame-distance matrix ``D`` (B, N, M) and a threshold ``eps``:
``A[i+1, j+1] = A[i, j] + 1`` where ``D[i, j] <= eps``, else
``max(A[i, j+1], A[i+1, j])``; cells outside a pair's band keep 0
(tslearn's convention).  ``A`` has a zero first row and column, shape
(B, N+1, M+1), int64.  The path lists the matched pairs, backtracked from
the end: a match moves diagonally, otherwise the larger of up / left (left
on ties).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import pair_band
from ._jit import njit_parallel
from ._paths import reverse_pairs


@njit_parallel
def _acc_kernel(D, lx, ly, eps, kind, radius, slope, A):
    B, N, M = D.shape
    for b in prange(B):
        n, m = lx[b], ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        Ab, Db = A[b], D[b]
        Ab[:, :] = 0
        for i in range(n):
            for j in range(lo[i], hi[i]):
                if Db[i, j] <= eps:
                    Ab[i + 1, j + 1] = Ab[i, j] + 1
                else:
                    up = Ab[i, j + 1]
                    left = Ab[i + 1, j]
                    Ab[i + 1, j + 1] = up if up > left else left


def lcss_acc(D, lx, ly, band, eps):
    """Match-count matrices (B, N+1, M+1) int64 of each pair."""
    B, N, M = D.shape
    A = np.empty((B, N + 1, M + 1), dtype=np.int64)
    kind, radius, slope = band
    _acc_kernel(D, lx, ly, float(eps), int(kind), int(radius), float(slope), A)
    return A


@njit_parallel
def _path_kernel(D, A, lx, ly, eps, kind, radius, slope, paths, plen):
    B, N, M = D.shape
    for b in prange(B):
        n, m = lx[b], ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        i = n
        j = m
        k = 0
        while i > 0 and j > 0:
            inside = lo[i - 1] <= j - 1 and j - 1 < hi[i - 1]
            if inside and D[b, i - 1, j - 1] <= eps:
                paths[b, k, 0] = i - 1
                paths[b, k, 1] = j - 1
                k += 1
                i -= 1
                j -= 1
            elif A[b, i - 1, j] > A[b, i, j - 1]:
                i -= 1
            else:
                j -= 1
        reverse_pairs(paths[b], k)
        plen[b] = k


def lcss_paths(D, A, lx, ly, band, eps):
    """Matched pairs of each pair: ``paths`` (B, min(N, M), 2) int64 valid up to ``plen``."""
    B, N, M = D.shape
    paths = np.zeros((B, max(1, min(N, M)), 2), dtype=np.int64)
    plen = np.zeros(B, dtype=np.int64)
    kind, radius, slope = band
    _path_kernel(D, A, lx, ly, float(eps), int(kind), int(radius), float(slope), paths, plen)
    return paths, plen
