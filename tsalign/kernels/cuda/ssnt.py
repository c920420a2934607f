"""SSNT lattice on the GPU: launchers of ``ssnt.cu`` (same API as kernels/cpu/ssnt.py)."""

from __future__ import annotations

import numpy as np

from .._contract import GRAD_THREADS, GRID_MAX_BLOCKS
from ._module import kernel, threads_for


def _dev_ints(a):
    import cupy

    return cupy.ascontiguousarray(cupy.asarray(a), dtype=cupy.int64)


def _host_ints(a) -> np.ndarray:
    if type(a).__module__.startswith("cupy"):
        a = a.get()
    return np.ascontiguousarray(a, dtype=np.int64)


def _threads(tgt_len, src_len) -> int:
    # the longest anti-diagonal of a (J + 1) x S_b lattice has min(J + 1, S_b) cells
    width = int(np.max(np.minimum(_host_ints(tgt_len) + 1, _host_ints(src_len))))
    return threads_for(width)


def ssnt_forward(log_probs, targets, emit, src_len, tgt_len, row_off, mode):
    import cupy

    R, S, V = (int(n) for n in log_probs.shape)
    B = int(src_len.shape[0])
    alpha = cupy.full((R + B, S), -cupy.inf, dtype=log_probs.dtype)
    total = cupy.empty(B, dtype=log_probs.dtype)
    flags = cupy.zeros(B, dtype=cupy.int32)
    k = kernel("ssnt", "ssnt_forward", log_probs.dtype)
    k(
        (B,),
        (_threads(tgt_len, src_len),),
        (
            log_probs,
            _dev_ints(targets),
            emit,
            _dev_ints(src_len),
            _dev_ints(tgt_len),
            _dev_ints(row_off),
            np.int64(B),
            np.int64(S),
            np.int64(V),
            np.int32(mode),
            alpha,
            total,
            flags,
        ),
    )
    return total, alpha, flags


def ssnt_backward(
    log_probs,
    targets,
    emit,
    src_len,
    tgt_len,
    row_off,
    mode,
    alpha,
    total,
    grad_out,
    grad_log_probs=None,
    grad_emit=None,
):
    import cupy

    R, S, V = (int(n) for n in log_probs.shape)
    B = int(src_len.shape[0])
    dt = log_probs.dtype
    tg = _dev_ints(targets)
    sl, tl, ro = _dev_ints(src_len), _dev_ints(tgt_len), _dev_ints(row_off)
    beta = cupy.full((R + B, S), -cupy.inf, dtype=dt)
    kernel("ssnt", "ssnt_beta", dt)(
        (B,),
        (_threads(tgt_len, src_len),),
        (
            log_probs,
            tg,
            emit,
            sl,
            tl,
            ro,
            np.int64(B),
            np.int64(S),
            np.int64(V),
            np.int32(mode),
            beta,
        ),
    )
    row_seq = np.full(R, -1, dtype=np.int64)
    h_tl, h_ro = _host_ints(tgt_len), _host_ints(row_off)
    for b in range(B):
        row_seq[h_ro[b] : h_ro[b] + h_tl[b]] = b
    n = R * S
    blocks = max(1, min(GRID_MAX_BLOCKS, (n + GRAD_THREADS - 1) // GRAD_THREADS))
    null = np.uint64(0)
    kernel("ssnt", "ssnt_grad", dt)(
        (blocks,),
        (GRAD_THREADS,),
        (
            log_probs,
            tg,
            emit,
            sl,
            tl,
            ro,
            cupy.asarray(row_seq),
            np.int64(R),
            np.int64(S),
            np.int64(V),
            np.int32(mode),
            alpha,
            beta,
            total,
            cupy.ascontiguousarray(grad_out, dtype=dt),
            grad_log_probs if grad_log_probs is not None else null,
            grad_emit if grad_emit is not None else null,
        ),
    )
