"""DTW under a limited warping path length (Zhang et al. 2017) on the CPU (numba).

``R[i, j, s]`` is the cheapest squared cost of a warping path from (0, 0) to
(i, j) made of ``s`` steps (``s + 1`` cells); ``s`` runs up to
``max_length - 1``.  ``R[i, j, s] = C[i, j] + min(R[i-1, j-1, s-1],
R[i-1, j, s-1], R[i, j-1, s-1])``; unreachable states hold ``inf``.  The
value is ``min_s R[n-1, m-1, s]``; the path is backtracked from the smallest
``s`` that reaches it (ties between predecessors: diagonal, up, left).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import njit_parallel
from ._paths import predecessor


@njit_parallel
def _acc_kernel(C, lx, ly, L, R):
    B, N, M = C.shape
    inf = np.inf
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        Rb = R[b]
        Cb = C[b]
        for i in range(N):
            for j in range(M):
                for s in range(L):
                    Rb[i, j, s] = inf
        Rb[0, 0, 0] = Cb[0, 0]
        for i in range(n):
            for j in range(m):
                if i == 0 and j == 0:
                    continue
                c = Cb[i, j]
                s_lo = i if i > j else j
                s_hi = i + j
                if s_hi > L - 1:
                    s_hi = L - 1
                for s in range(s_lo, s_hi + 1):
                    best = inf
                    if i > 0 and j > 0 and Rb[i - 1, j - 1, s - 1] < best:
                        best = Rb[i - 1, j - 1, s - 1]
                    if i > 0 and Rb[i - 1, j, s - 1] < best:
                        best = Rb[i - 1, j, s - 1]
                    if j > 0 and Rb[i, j - 1, s - 1] < best:
                        best = Rb[i, j - 1, s - 1]
                    Rb[i, j, s] = c + best


def ldtw_acc(C, lx, ly, max_length):
    """Length-indexed accumulated costs R (B, N, M, max_length)."""
    B, N, M = C.shape
    R = np.empty((B, N, M, int(max_length)), dtype=C.dtype)
    _acc_kernel(C, lx, ly, int(max_length), R)
    return R


@njit_parallel
def _end_kernel(R, lx, ly, values, steps):
    B = R.shape[0]
    L = R.shape[3]
    for b in prange(B):
        i = lx[b] - 1
        j = ly[b] - 1
        best = np.inf
        arg = -1
        for s in range(L):
            if R[b, i, j, s] < best:
                best = R[b, i, j, s]
                arg = s
        values[b] = best
        steps[b] = arg


@njit_parallel
def _path_kernel(R, lx, ly, steps, paths, plen):
    B = R.shape[0]
    for b in prange(B):
        i = lx[b] - 1
        j = ly[b] - 1
        s = steps[b]
        k = s + 1
        paths[b, s, 0] = i
        paths[b, s, 1] = j
        while s > 0:
            i, j = predecessor(R[b, :, :, s - 1], i, j)
            s -= 1
            paths[b, s, 0] = i
            paths[b, s, 1] = j
        plen[b] = k


def ldtw_end(R, lx, ly):
    """(values, steps): the cheapest end state of each pair and its step count."""
    B = R.shape[0]
    values = np.empty(B, dtype=R.dtype)
    steps = np.empty(B, dtype=np.int64)
    _end_kernel(R, lx, ly, values, steps)
    return values, steps


def ldtw_paths(R, lx, ly, steps):
    """Optimal paths (B, max_length, 2) int64, valid up to ``plen`` (B,)."""
    B = R.shape[0]
    paths = np.zeros((B, R.shape[3], 2), dtype=np.int64)
    plen = np.zeros(B, dtype=np.int64)
    _path_kernel(R, lx, ly, np.ascontiguousarray(steps, dtype=np.int64), paths, plen)
    return paths, plen
