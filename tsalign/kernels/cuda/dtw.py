"""Exact DTW on the GPU: launchers of ``dtw.cu`` (same API as kernels/cpu/dtw.py)."""

from __future__ import annotations

import numpy as np

from .._contract import SCRATCH_BYTES, SMEM_BYTES
from ._module import kernel, threads_for


def _values(X, Y, lx, ly, ia, ib, band, out):
    import cupy

    n_pairs = int(ia.shape[0])
    if n_pairs == 0:
        return
    N, M, d = int(X.shape[1]), int(Y.shape[1]), int(X.shape[2])
    kind, radius, slope = band
    k = kernel("dtw", "dtw_values", X.dtype)
    item = X.dtype.itemsize
    threads = threads_for(min(N, M))
    smem = 3 * N * item
    if smem <= SMEM_BYTES:
        step, scratch = n_pairs, None
    else:
        smem = 0
        step = max(1, min(n_pairs, SCRATCH_BYTES // (3 * N * item)))
        scratch = cupy.empty(step * 3 * N, dtype=X.dtype)
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
                scratch if scratch is not None else np.uint64(0),
                out[s:e],
            ),
            shared_mem=smem,
        )


def dtw_values(X, Y, lx, ly, band):
    import cupy

    B = X.shape[0]
    idx = cupy.arange(B, dtype=cupy.int64)
    out = cupy.empty(B, dtype=X.dtype)
    _values(X, Y, cupy.asarray(lx), cupy.asarray(ly), idx, idx, band, out)
    return out


def dtw_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    import cupy

    nx, ny = X.shape[0], Y.shape[0]
    if symmetric:
        ia, ib = np.triu_indices(nx, k=1)
    else:
        ia, ib = np.divmod(np.arange(nx * ny), ny)
    ia = cupy.asarray(ia.astype(np.int64))
    ib = cupy.asarray(ib.astype(np.int64))
    flat = cupy.empty(ia.shape[0], dtype=X.dtype)
    n_pairs = int(ia.shape[0])
    n_blocks = 1 if progress is None else min(max(n_pairs, 1), 20)
    bounds = np.linspace(0, n_pairs, n_blocks + 1).astype(np.int64)
    lx_d, ly_d = cupy.asarray(lx), cupy.asarray(ly)
    for s, e in zip(bounds[:-1], bounds[1:], strict=False):
        _values(X, Y, lx_d, ly_d, ia[s:e], ib[s:e], band, flat[s:e])
        if progress is not None:
            cupy.cuda.get_current_stream().synchronize()
            progress(int(e), n_pairs)
    if symmetric:
        out = cupy.zeros((nx, nx), dtype=X.dtype)
        out[ia, ib] = flat
        out[ib, ia] = flat
        return out
    return flat.reshape(nx, ny)


def dtw_acc(C, lx, ly, band, subsequence=False):
    import cupy

    B, N, M = C.shape
    R = cupy.full(C.shape, cupy.inf, dtype=C.dtype)
    kind, radius, slope = band
    k = kernel("dtw", "dtw_acc", C.dtype)
    k(
        (B,),
        (threads_for(min(N, M)),),
        (
            C,
            cupy.asarray(lx),
            cupy.asarray(ly),
            np.int64(N),
            np.int64(M),
            np.int32(kind),
            np.int64(radius),
            np.float64(slope),
            np.int32(bool(subsequence)),
            R,
        ),
    )
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
