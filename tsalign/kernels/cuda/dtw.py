"""Exact DTW on the GPU: launchers of ``dtw.cu`` (same API as kernels/cpu/dtw.py)."""

from __future__ import annotations

import numpy as np

from .._contract import COMBINE_SUM
from ._module import kernel, launch_per_pair
from ._rows import wavefront_cdist, wavefront_values


def dtw_values(X, Y, lx, ly, band):
    return wavefront_values(X, Y, lx, ly, band, COMBINE_SUM)


def dtw_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    return wavefront_cdist(X, Y, lx, ly, band, symmetric, progress, COMBINE_SUM)


def dtw_acc(C, lx, ly, band, subsequence=False):
    import cupy

    R = cupy.full(C.shape, cupy.inf, dtype=C.dtype)
    k = kernel("dtw", "dtw_acc", C.dtype)
    launch_per_pair(k, C, lx, ly, band, np.int32(bool(subsequence)), np.int32(COMBINE_SUM), R)
    return R


def dtw_paths(R, lx, ly, end_j=None, subsequence=False):
    import cupy

    B, N, M = R.shape
    if end_j is None:
        end_j = np.asarray(ly) - 1
    paths = cupy.zeros((B, N + M - 1, 2), dtype=cupy.int64)
    plen = cupy.zeros(B, dtype=cupy.int64)
    k = kernel("dtw", "dtw_backtrack", R.dtype)
    threads = 128
    k(
        ((B + threads - 1) // threads,),
        (threads,),
        (
            R,
            cupy.asarray(lx),
            cupy.asarray(end_j, dtype=cupy.int64),
            np.int64(B),
            np.int64(N),
            np.int64(M),
            np.int32(bool(subsequence)),
            paths,
            plen,
        ),
    )
    return paths, plen
