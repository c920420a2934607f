"""Discrete Fréchet distance on the GPU (same API as kernels/cpu/frechet.py).

The recurrence is DTW's with ``max`` in place of ``+``, so these launchers run
``dtw.cu``'s wavefront kernels with ``combine = COMBINE_MAX``; the paths are
DTW's backtrack on the Fréchet matrix, as on the CPU.
"""

from __future__ import annotations

import functools

import numpy as np

from .._contract import COMBINE_MAX
from ._module import batch_on_device, cdist_on_device, kernel, launch_per_pair, launch_values


def _values(X, Y, band, lx, ly, ia, ib, out):
    k = kernel("dtw", "dtw_values", X.dtype)
    launch_values(k, X, Y, lx, ly, ia, ib, band, (np.int32(COMBINE_MAX),), out)


def frechet_values(X, Y, lx, ly, band):
    return batch_on_device(functools.partial(_values, X, Y, band), X, lx, ly)


def frechet_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    values = functools.partial(_values, X, Y, band)
    return cdist_on_device(values, X, Y, lx, ly, symmetric, False, progress)


def frechet_acc(C, lx, ly, band):
    import cupy

    R = cupy.full(C.shape, cupy.inf, dtype=C.dtype)
    k = kernel("dtw", "dtw_acc", C.dtype)
    launch_per_pair(k, C, lx, ly, band, np.int32(0), np.int32(COMBINE_MAX), R)
    return R
