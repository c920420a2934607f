"""Soft-DTW on the GPU: launchers of ``soft_dtw.cu`` (same API as kernels/cpu/soft_dtw.py).

One block per pair walks the anti-diagonals; the three rolling diagonals
(3 N values per pair) sit in shared memory up to 48 KiB and in global scratch
beyond (pairs are then launched in slices so the scratch stays bounded).
Memory per pair (N x M, floats of s bytes): values, ``3 N s``; forward for
autograd, ``3 N s`` plus the weights ``2 N M s``; backward, ``N M s`` for E.
"""

from __future__ import annotations

import numpy as np

from .._contract import SCRATCH_BYTES, SMEM_BYTES, sentinel
from ._module import kernel, threads_for


def _plan(n_pairs: int, N: int, item: int):
    """(pairs per launch, shared bytes, needs global scratch) for 3 diagonals of N."""
    smem = 3 * N * item
    if smem <= SMEM_BYTES:
        return max(n_pairs, 1), smem, False
    return max(1, min(n_pairs, SCRATCH_BYTES // (3 * N * item))), 0, True


def _values(X, Y, lx, ly, ia, ib, band, gamma, out):
    import cupy

    n_pairs = int(ia.shape[0])
    if n_pairs == 0:
        return
    N, M, d = int(X.shape[1]), int(Y.shape[1]), int(X.shape[2])
    kind, radius, slope = band
    big = sentinel(X.dtype)
    k = kernel("soft_dtw", "soft_dtw_values", X.dtype)
    step, smem, global_scratch = _plan(n_pairs, N, X.dtype.itemsize)
    scratch = cupy.empty(step * 3 * N, dtype=X.dtype) if global_scratch else None
    threads = threads_for(min(N, M))
    for s in range(0, n_pairs, step):
        e = min(n_pairs, s + step)
        k(
            (e - s,),
            (threads,),
            (
                X,
                Y,
                lx,
                ly,
                ia[s:e],
                ib[s:e],
                np.int64(e - s),
                np.int64(N),
                np.int64(M),
                np.int64(d),
                np.int32(kind),
                np.int64(radius),
                np.float64(slope),
                np.float64(gamma),
                np.float64(big),
                scratch if scratch is not None else np.uint64(0),
                out[s:e],
            ),
            shared_mem=smem,
        )


def soft_dtw_values(X, Y, lx, ly, band, gamma):
    import cupy

    B = X.shape[0]
    idx = cupy.arange(B, dtype=cupy.int64)
    out = cupy.empty(B, dtype=X.dtype)
    _values(X, Y, cupy.asarray(lx), cupy.asarray(ly), idx, idx, band, gamma, out)
    return out


def soft_dtw_cdist(X, Y, lx, ly, band, gamma, symmetric, progress=None):
    import cupy

    nx, ny = X.shape[0], Y.shape[0]
    if symmetric:
        ia, ib = np.triu_indices(nx)
    else:
        ia, ib = np.divmod(np.arange(nx * ny), ny)
    ia = cupy.asarray(ia.astype(np.int64))
    ib = cupy.asarray(ib.astype(np.int64))
    n_pairs = int(ia.shape[0])
    flat = cupy.empty(n_pairs, dtype=X.dtype)
    n_blocks = 1 if progress is None else min(max(n_pairs, 1), 20)
    bounds = np.linspace(0, n_pairs, n_blocks + 1).astype(np.int64)
    lx_d, ly_d = cupy.asarray(lx), cupy.asarray(ly)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        _values(X, Y, lx_d, ly_d, ia[s:e], ib[s:e], band, gamma, flat[s:e])
        if progress is not None:
            cupy.cuda.get_current_stream().synchronize()
            progress(int(e), n_pairs)
    out = cupy.empty((nx, ny), dtype=X.dtype)
    out[ia, ib] = flat
    if symmetric:
        out[ib, ia] = flat
    return out


def soft_dtw_forward(C, lx, ly, band, gamma, need_weights=True):
    import cupy

    B, N, M = (int(s) for s in C.shape)
    out = cupy.empty(B, dtype=C.dtype)
    W = cupy.zeros((B, N, M, 2), dtype=C.dtype) if need_weights else None
    if B == 0:
        return out, W
    kind, radius, slope = band
    big = sentinel(C.dtype)
    k = kernel("soft_dtw", "soft_dtw_forward", C.dtype)
    step, smem, global_scratch = _plan(B, N, C.dtype.itemsize)
    scratch = cupy.empty(step * 3 * N, dtype=C.dtype) if global_scratch else None
    lx_d, ly_d = cupy.asarray(lx), cupy.asarray(ly)
    threads = threads_for(min(N, M))
    for s in range(0, B, step):
        e = min(B, s + step)
        k(
            (e - s,),
            (threads,),
            (
                C[s:e],
                lx_d[s:e],
                ly_d[s:e],
                np.int64(N),
                np.int64(M),
                np.int32(kind),
                np.int64(radius),
                np.float64(slope),
                np.float64(gamma),
                np.float64(big),
                scratch if scratch is not None else np.uint64(0),
                W[s:e] if W is not None else np.uint64(0),
                out[s:e],
            ),
            shared_mem=smem,
        )
    return out, W


def soft_dtw_backward(W, lx, ly, band):
    import cupy

    B, N, M = (int(s) for s in W.shape[:3])
    E = cupy.zeros((B, N, M), dtype=W.dtype)
    if B == 0:
        return E
    kind, radius, slope = band
    k = kernel("soft_dtw", "soft_dtw_backward", W.dtype)
    k(
        (B,),
        (threads_for(min(N, M)),),
        (
            W,
            cupy.asarray(lx),
            cupy.asarray(ly),
            np.int64(N),
            np.int64(M),
            np.int32(kind),
            np.int64(radius),
            np.float64(slope),
            E,
        ),
    )
    return E
