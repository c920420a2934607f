"""``dtw.cu``'s wavefront value kernel for the two families that share it (CUDA).

DTW (``COMBINE_SUM``) and the discrete Fréchet distance (``COMBINE_MAX``) differ only in
how a cell's cost meets its best predecessor, as on the CPU (``kernels/cpu/_rows.py``).
"""

from __future__ import annotations

import functools

import numpy as np

from ._module import batch_on_device, cdist_on_device, kernel, launch_values


def _values(X, Y, band, combine, lx, ly, ia, ib, out):
    k = kernel("dtw", "dtw_values", X.dtype)
    launch_values(k, X, Y, lx, ly, ia, ib, band, (np.int32(combine),), out)


def wavefront_values(X, Y, lx, ly, band, combine):
    """Value of each batch pair ``(X[b], Y[b])``: (B,) in X's dtype."""
    return batch_on_device(functools.partial(_values, X, Y, band, combine), X, lx, ly)


def wavefront_cdist(X, Y, lx, ly, band, symmetric, progress, combine):
    """Value of every pair of two datasets (the diagonal of a symmetric one is 0)."""
    values = functools.partial(_values, X, Y, band, combine)
    return cdist_on_device(values, X, Y, lx, ly, symmetric, False, progress)
