"""Soft-DTW on the GPU: launchers of ``soft_dtw.cu`` (same API as kernels/cpu/soft_dtw.py).

One block per pair walks the anti-diagonals; the three rolling diagonals
(3 N values per pair) sit in shared memory up to 48 KiB and in global scratch
beyond (pairs are then launched in slices so the scratch stays bounded).
Memory per pair (N x M, floats of s bytes): values, ``3 N s``; forward for
autograd, ``3 N s`` plus the weights ``2 N M s``; backward, ``N M s`` for E.
"""

from __future__ import annotations

import functools

import numpy as np

from .._contract import sentinel
from ._module import (
    band_args,
    batch_on_device,
    cdist_on_device,
    kernel,
    launch_over_pairs,
    launch_per_pair,
    launch_values,
    threads_for,
)


def _values(X, Y, band, gamma, lx, ly, ia, ib, out):
    k = kernel("soft_dtw", "soft_dtw_values", X.dtype)
    extra = (np.float64(gamma), np.float64(sentinel(X.dtype)), np.int32(0), np.float64(0.0))
    launch_values(k, X, Y, lx, ly, ia, ib, band, extra, out)


def soft_dtw_values(X, Y, lx, ly, band, gamma):
    return batch_on_device(functools.partial(_values, X, Y, band, gamma), X, lx, ly)


def soft_dtw_cdist(X, Y, lx, ly, band, gamma, symmetric, progress=None):
    values = functools.partial(_values, X, Y, band, gamma)
    return cdist_on_device(values, X, Y, lx, ly, symmetric, True, progress)


def soft_dtw_forward(C, lx, ly, band, gamma, need_weights=True):
    import cupy

    B, N, M = (int(s) for s in C.shape)
    out = cupy.empty(B, dtype=C.dtype)
    W = cupy.zeros((B, N, M, 2), dtype=C.dtype) if need_weights else None
    if B == 0:
        return out, W
    big = sentinel(C.dtype)
    k = kernel("soft_dtw", "soft_dtw_forward", C.dtype)
    lx_d, ly_d = cupy.asarray(lx), cupy.asarray(ly)

    def args(s, e, scratch):
        return (
            C[s:e],
            lx_d[s:e],
            ly_d[s:e],
            np.int64(N),
            np.int64(M),
            *band_args(band),
            np.float64(gamma),
            np.float64(big),
            scratch,
            W[s:e] if W is not None else np.uint64(0),
            out[s:e],
        )

    launch_over_pairs(k, B, N, C.dtype, threads_for(min(N, M)), args)
    return out, W


def soft_dtw_backward(W, lx, ly, band):
    import cupy

    E = cupy.zeros(W.shape[:3], dtype=W.dtype)
    if E.shape[0] > 0:
        launch_per_pair(kernel("soft_dtw", "soft_dtw_backward", W.dtype), W, lx, ly, band, E)
    return E
