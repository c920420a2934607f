"""SSNT for torch inputs that need gradients.

One Function around the lattice kernels: the forward saves the alpha lattice (R + B, S),
the backward runs beta and writes the gradients straight into zero-filled tensors, so the
only (R, S, V) tensor it allocates is the gradient of ``log_probs`` itself (non-zero at the
gathered entries only).  The forward also returns the kernel's per-sequence flags (bad
targets, NaN inputs; not differentiable), which :func:`ssnt_nll` turns into the error
naming the argument, outside the Function.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .._lib.ssnt_flags import check_flags
from . import backend


class SSNTFunction(torch.autograd.Function):
    """Per-sequence SSNT loss (B,) and flags from flat (R, S, V) log-probs, (R, S) emissions."""

    @staticmethod
    def forward(ctx, log_probs, emit, targets, src_len, tgt_len, row_off, mode):
        lattice = (targets, emit, src_len, tgt_len, row_off, mode)
        total, alpha, flags = backend().call_kernel(
            "ssnt", "ssnt_forward", log_probs, log_probs, *lattice
        )
        ctx.save_for_backward(log_probs, emit, targets, alpha, total)
        ctx.lengths = (src_len, tgt_len, row_off)
        ctx.mode = mode
        ctx.mark_non_differentiable(flags)
        return -total, flags

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, _grad_flags):
        need_lp, need_emit = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if not (need_lp or need_emit):
            return (None,) * 7
        log_probs, emit, targets, alpha, total = ctx.saved_tensors
        kw = {"dtype": log_probs.dtype, "device": log_probs.device}
        grad_lp = torch.zeros(log_probs.shape, **kw) if need_lp else None
        grad_emit = torch.zeros(emit.shape, **kw) if need_emit else None
        lattice = (targets, emit, *ctx.lengths, ctx.mode)
        backend().call_kernel(
            "ssnt",
            "ssnt_backward",
            log_probs,
            log_probs,
            *lattice,
            alpha,
            total,
            grad_out.to(log_probs.dtype),
            grad_log_probs=grad_lp,
            grad_emit=grad_emit,
        )
        return grad_lp, grad_emit, None, None, None, None, None


def ssnt_nll(log_probs, targets, emit, src_len, tgt_len, row_off, mode):
    """Differentiable per-sequence loss (B,); arguments in the kernels' order."""
    loss, flags = SSNTFunction.apply(log_probs, emit, targets, src_len, tgt_len, row_off, mode)
    check_flags(backend(), flags, mode, int(log_probs.shape[-1]))
    return loss
