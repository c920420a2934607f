"""Limited-warping-length DTW on the GPU: launchers of ``ldtw.cu`` (API of kernels/cpu/ldtw.py)."""

from __future__ import annotations

import numpy as np

from ._module import kernel, threads_for

_THREADS = 128


def _per_pair_grid(B: int) -> tuple:
    return ((B + _THREADS - 1) // _THREADS,), (_THREADS,)


def ldtw_acc(C, lx, ly, max_length):
    import cupy

    B, N, M = (int(s) for s in C.shape)
    L = int(max_length)
    R = cupy.full((B, N, M, L), cupy.inf, dtype=C.dtype)
    k = kernel("ldtw", "ldtw_acc", C.dtype)
    sizes = (np.int64(N), np.int64(M), np.int64(L))
    k((B,), (threads_for(N * M),), (C, cupy.asarray(lx), cupy.asarray(ly), *sizes, R))
    return R


def ldtw_end(R, lx, ly):
    import cupy

    B, N, M, L = (int(s) for s in R.shape)
    values = cupy.empty(B, dtype=R.dtype)
    steps = cupy.empty(B, dtype=cupy.int64)
    k = kernel("ldtw", "ldtw_end", R.dtype)
    sizes = (np.int64(B), np.int64(N), np.int64(M), np.int64(L))
    k(*_per_pair_grid(B), (R, cupy.asarray(lx), cupy.asarray(ly), *sizes, values, steps))
    return values, steps


def ldtw_paths(R, lx, ly, steps):
    import cupy

    B, N, M, L = (int(s) for s in R.shape)
    paths = cupy.zeros((B, L, 2), dtype=cupy.int64)
    plen = cupy.zeros(B, dtype=cupy.int64)
    k = kernel("ldtw", "ldtw_backtrack", R.dtype)
    sizes = (np.int64(B), np.int64(N), np.int64(M), np.int64(L))
    st = cupy.asarray(steps, dtype=cupy.int64)
    k(*_per_pair_grid(B), (R, cupy.asarray(lx), cupy.asarray(ly), st, *sizes, paths, plen))
    return paths, plen
