"""LCSS on the GPU: launchers of ``lcss.cu`` (same API as kernels/cpu/lcss.py)."""

from __future__ import annotations

import numpy as np

from ._module import band_args, kernel, launch_per_pair


def lcss_acc(D, lx, ly, band, eps):
    import cupy

    B, N, M = (int(s) for s in D.shape)
    A = cupy.zeros((B, N + 1, M + 1), dtype=cupy.int64)
    k = kernel("lcss", "lcss_acc", D.dtype)
    launch_per_pair(k, D, lx, ly, band, np.float64(eps), A)
    return A


def lcss_paths(D, A, lx, ly, band, eps):
    import cupy

    B, N, M = (int(s) for s in D.shape)
    P = max(1, min(N, M))
    paths = cupy.zeros((B, P, 2), dtype=cupy.int64)
    plen = cupy.zeros(B, dtype=cupy.int64)
    k = kernel("lcss", "lcss_backtrack", D.dtype)
    threads = 128
    args = (D, A, cupy.asarray(lx), cupy.asarray(ly), np.int64(B), np.int64(N), np.int64(M))
    k(
        ((B + threads - 1) // threads,),
        (threads,),
        (*args, *band_args(band), np.float64(eps), np.int64(P), paths, plen),
    )
    return paths, plen
