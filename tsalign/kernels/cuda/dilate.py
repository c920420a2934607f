"""DILATE on the GPU: launchers of ``dilate.cu`` (same API as kernels/cpu/dilate.py)."""

from __future__ import annotations

import numpy as np

from ._module import kernel, threads_for


def _lengths(lx, ly):
    import cupy

    return (
        cupy.asarray(np.asarray(lx), dtype=cupy.int64),
        cupy.asarray(np.asarray(ly), dtype=cupy.int64),
    )


def dilate_forward(D, lx, ly, gamma):
    import cupy

    D = cupy.ascontiguousarray(D)
    B, N, M = D.shape
    shape = cupy.empty(B, dtype=D.dtype)
    temporal = cupy.empty(B, dtype=D.dtype)
    E = cupy.zeros((B, N, M), dtype=D.dtype)
    W = cupy.zeros((B, N, M, 3), dtype=D.dtype)
    if B == 0:
        return shape, temporal, E, W
    R = cupy.empty((B, N, M), dtype=D.dtype)
    # log-counts of optimal paths, needed by the hard (gamma = 0) weights only
    LC = cupy.empty((B, N, M) if gamma == 0 else (1,), dtype=cupy.float64)
    lx_d, ly_d = _lengths(lx, ly)
    k = kernel("dilate", "dilate_forward", D.dtype)
    k(
        (B,),
        (threads_for(min(N, M)),),
        (D, lx_d, ly_d, np.int64(N), np.int64(M), np.float64(gamma), R, LC, W, E, shape, temporal),
    )
    return shape, temporal, E, W


def dilate_backward(W, E, gs, gt, lx, ly, gamma):
    import cupy

    B, N, M = E.shape
    G = cupy.zeros((B, N, M), dtype=E.dtype)
    if B == 0:
        return G
    gs = cupy.ascontiguousarray(cupy.asarray(gs, dtype=E.dtype))
    gt = cupy.ascontiguousarray(cupy.asarray(gt, dtype=E.dtype))
    Rd = cupy.empty((B, N, M), dtype=E.dtype)
    lx_d, ly_d = _lengths(lx, ly)
    k = kernel("dilate", "dilate_backward", E.dtype)
    k(
        (B,),
        (threads_for(min(N, M)),),
        (
            cupy.ascontiguousarray(W),
            cupy.ascontiguousarray(E),
            gs,
            gt,
            lx_d,
            ly_d,
            np.int64(N),
            np.int64(M),
            np.float64(gamma),
            Rd,
            G,
        ),
    )
    return G
