"""torch autograd for the SSNT loss (imported only with torch inputs that need grad).

One Function around the lattice kernels: the forward saves the alpha lattice
(R + B, S), the backward runs beta and writes the gradients straight into
zero-filled tensors, so the only (R, S, V) tensor it allocates is the gradient
of ``log_probs`` itself (non-zero at the gathered entries only).  The same
Function serves CPU tensors (numba) and CUDA tensors (CuPy).
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .ssnt import check_flags


class SSNTFunction(torch.autograd.Function):
    """Per-sequence SSNT loss (B,) from flat (R, S, V) log-probs and (R, S) emissions."""

    @staticmethod
    def forward(ctx, log_probs, emit, targets, src_len, tgt_len, row_off, mode, be):
        total, alpha, flags = be.call_kernel(
            "ssnt",
            "ssnt_forward",
            log_probs,
            log_probs,
            targets,
            emit,
            src_len,
            tgt_len,
            row_off,
            mode,
        )
        check_flags(be, flags, mode, int(log_probs.shape[-1]))
        ctx.save_for_backward(log_probs, emit, targets, alpha, total)
        ctx.lengths = (src_len, tgt_len, row_off)
        ctx.mode = mode
        ctx.be = be
        return -total

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        log_probs, emit, targets, alpha, total = ctx.saved_tensors
        need_lp, need_emit = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if not (need_lp or need_emit):
            return (None,) * 8
        src_len, tgt_len, row_off = ctx.lengths
        kw = {"dtype": log_probs.dtype, "device": log_probs.device}
        grad_lp = torch.zeros(log_probs.shape, **kw) if need_lp else None
        grad_emit = torch.zeros(emit.shape, **kw) if need_emit else None
        ctx.be.call_kernel(
            "ssnt",
            "ssnt_backward",
            log_probs,
            log_probs,
            targets,
            emit,
            src_len,
            tgt_len,
            row_off,
            ctx.mode,
            alpha,
            total,
            grad_out.to(log_probs.dtype),
            grad_log_probs=grad_lp,
            grad_emit=grad_emit,
        )
        return grad_lp, grad_emit, None, None, None, None, None, None


def ssnt_nll(be, log_probs, emit, targets, src_len, tgt_len, row_off, mode):
    """Differentiable per-sequence loss (B,); see :class:`SSNTFunction`."""
    return SSNTFunction.apply(log_probs, emit, targets, src_len, tgt_len, row_off, mode, be)
