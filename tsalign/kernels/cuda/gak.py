"""Global Alignment Kernel on the GPU (``gak_log_pairs``, as kernels/cpu/gak.py).

log GAK is the negated soft-DTW (gamma = 1) of the costs ``-log k``, so the
kernel is ``soft_dtw.cu``'s ``soft_dtw_values`` with GAK's costs (``gak=1``).
The autograd kernels (``gak_forward`` / ``gak_backward``) are CPU-only.
"""

from __future__ import annotations

import numpy as np

from .._contract import NO_BAND, sentinel
from ._module import kernel, launch_values


def gak_log_pairs(X, Y, lx, ly, ia, ib, sigma):
    import cupy

    out = cupy.empty(int(ia.shape[0]), dtype=X.dtype)
    inv = 1.0 / (2.0 * float(sigma) * float(sigma))
    k = kernel("soft_dtw", "soft_dtw_values", X.dtype)
    extra = (np.float64(1.0), np.float64(sentinel(X.dtype)), np.int32(1), np.float64(inv))
    ia = cupy.asarray(ia, dtype=cupy.int64)
    ib = cupy.asarray(ib, dtype=cupy.int64)
    launch_values(k, X, Y, cupy.asarray(lx), cupy.asarray(ly), ia, ib, NO_BAND, extra, out)
    out *= -1  # log GAK = -soft-DTW of GAK's costs (inf: no path -> -inf)
    return out
