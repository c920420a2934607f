"""DILATE on the GPU: launchers of ``dilate.cu`` (same API as kernels/cpu/dilate.py).

For gamma > 0 the forward pass is the soft-DTW family's (``soft_dtw_forward`` and
``soft_dtw_backward``), as on the CPU; ``dilate.cu`` adds the left weights and the
temporal term, and holds the hard (gamma = 0) sweep and the Hessian-vector product.
"""

from __future__ import annotations

import numpy as np

from .._contract import NO_BAND
from . import soft_dtw as sdtw
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
    temporal = cupy.empty(B, dtype=D.dtype)
    W = cupy.zeros((B, N, M, 3), dtype=D.dtype)
    lx_d, ly_d = _lengths(lx, ly)
    threads = threads_for(min(N, M))
    if gamma > 0:
        # the soft-DTW family's forward and E recursion, as on the CPU
        shape, W2 = sdtw.soft_dtw_forward(D, lx_d, ly_d, NO_BAND, gamma)
        E = sdtw.soft_dtw_backward(W2, lx_d, ly_d, NO_BAND)
        if B > 0:
            k = kernel("dilate", "dilate_weights3", D.dtype)
            k((B,), (threads,), (W2, lx_d, ly_d, np.int64(N), np.int64(M), E, W, temporal))
        return shape, temporal, E, W
    shape = cupy.empty(B, dtype=D.dtype)
    E = cupy.zeros((B, N, M), dtype=D.dtype)
    if B == 0:
        return shape, temporal, E, W
    R = cupy.empty((B, N, M), dtype=D.dtype)
    LC = cupy.empty((B, N, M), dtype=cupy.float64)  # log-counts of optimal paths
    k = kernel("dilate", "dilate_hard_forward", D.dtype)
    k(
        (B,),
        (threads,),
        (D, lx_d, ly_d, np.int64(N), np.int64(M), R, LC, W, E, shape, temporal),
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
