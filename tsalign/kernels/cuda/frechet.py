"""Discrete Fréchet distance on the GPU (same API as kernels/cpu/frechet.py).

The recurrence is DTW's with ``max`` in place of ``+``, so these launchers run
``dtw.cu``'s wavefront kernels with ``combine = COMBINE_MAX``; the paths are
DTW's backtrack on the Fréchet matrix, as on the CPU.
"""

from __future__ import annotations

import numpy as np

from .._contract import COMBINE_MAX
from ._module import kernel, launch_per_pair
from ._rows import wavefront_cdist, wavefront_values


def frechet_values(X, Y, lx, ly, band):
    return wavefront_values(X, Y, lx, ly, band, COMBINE_MAX)


def frechet_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    return wavefront_cdist(X, Y, lx, ly, band, symmetric, progress, COMBINE_MAX)


def frechet_acc(C, lx, ly, band):
    import cupy

    R = cupy.full(C.shape, cupy.inf, dtype=C.dtype)
    k = kernel("dtw", "dtw_acc", C.dtype)
    launch_per_pair(k, C, lx, ly, band, np.int32(0), np.int32(COMBINE_MAX), R)
    return R
