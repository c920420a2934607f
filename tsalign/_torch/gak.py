"""torch autograd glue for GAK (imported only with torch inputs that need grad).

The log-space GAK of log local kernels K (B, N, M) is differentiable in K: its
gradient is the occupancy of each cell (the share of the alignments' total
weight passing through it), which the backward kernel returns.  K itself is
built from the series with torch operations, so autograd carries the gradient
on to the inputs.
"""

from __future__ import annotations

import torch

from ..kernels._contract import NO_BAND


def _via_soft_dtw(K) -> bool:
    """Whether K takes the soft-DTW kernels (CUDA tensors: GAK's own are CPU-only)."""
    return bool(K.is_cuda)


class LogGAKFunction(torch.autograd.Function):
    """log of the unnormalised GAK of each pair, from log local kernels K (B, N, M)."""

    @staticmethod
    def forward(ctx, K, lx, ly):
        from .._lib.backend import instantiate_backend

        be = instantiate_backend("pytorch")
        Kd = K.detach()
        ctx.lx, ctx.ly = lx, ly
        if _via_soft_dtw(K):
            # log GAK = -soft-DTW (gamma = 1) of the costs -K, and its gradient in K
            # is soft-DTW's expected alignment: the soft-DTW kernels serve the GPU
            C = -Kd
            values, W = be.call_kernel("soft_dtw", "soft_dtw_forward", C, C, lx, ly, NO_BAND, 1.0)
            ctx.save_for_backward(W)
            return -values
        F = be.call_kernel("gak", "gak_forward", Kd, Kd, lx, ly)
        idx = torch.arange(K.shape[0])
        values = F[idx, torch.as_tensor(lx - 1), torch.as_tensor(ly - 1)]
        ctx.save_for_backward(Kd, F)
        return values

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        from .._lib.backend import instantiate_backend

        be = instantiate_backend("pytorch")
        saved = ctx.saved_tensors
        if len(saved) == 1:  # the GPU route: d log GAK / dK = E
            (W,) = saved
            G = be.call_kernel("soft_dtw", "soft_dtw_backward", W, W, ctx.lx, ctx.ly, NO_BAND)
        else:
            K, F = saved
            G = be.call_kernel("gak", "gak_backward", K, K, F, ctx.lx, ctx.ly)
        return grad[:, None, None] * G, None, None


def log_gak(K, lx, ly):
    return LogGAKFunction.apply(K, lx, ly)
