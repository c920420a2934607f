"""torch autograd glue for GAK (imported only with torch inputs that need grad).

The log-space GAK of log local kernels K (B, N, M) is differentiable in K: its
gradient is the occupancy of each cell (the share of the alignments' total
weight passing through it), which the backward kernel returns.  K itself is
built from the series with torch operations, so autograd carries the gradient
on to the inputs.
"""

from __future__ import annotations

import torch


class LogGAKFunction(torch.autograd.Function):
    """log of the unnormalised GAK of each pair, from log local kernels K (B, N, M)."""

    @staticmethod
    def forward(ctx, K, lx, ly):
        from .._lib.backend import instantiate_backend

        be = instantiate_backend("pytorch")
        # the kernels run on the CPU: a CUDA K makes a round trip (K, F saved on the host)
        Kd = K.detach().cpu()
        F = be.call_kernel("gak", "gak_forward", Kd, Kd, lx, ly)
        idx = torch.arange(K.shape[0])
        values = F[idx, torch.as_tensor(lx - 1), torch.as_tensor(ly - 1)].to(K.device)
        ctx.save_for_backward(Kd, F)
        ctx.lx, ctx.ly = lx, ly
        return values

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        from .._lib.backend import instantiate_backend

        K, F = ctx.saved_tensors
        be = instantiate_backend("pytorch")
        G = be.call_kernel("gak", "gak_backward", K, K, F, ctx.lx, ctx.ly).to(grad.device)
        return grad[:, None, None] * G, None, None


def log_gak(K, lx, ly):
    return LogGAKFunction.apply(K, lx, ly)
