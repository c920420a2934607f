"""Soft-DTW for torch inputs that need gradients: two Functions and the choice between them.

:class:`SoftDTWFunction` works on cost matrices C (B, N, M): any cost built with torch
operations (the squared Euclidean one of :mod:`.costs`, a user's ``dist_func``) receives
its gradient ``grad * E`` through autograd, E being the expected alignment that the
backward kernel computes from the soft-min weights W (B, N, M, 2) saved by the forward.

:class:`SoftDTWSqEuclideanFunction` is the fused CPU variant (float32, float64) for the squared
Euclidean cost: the forward kernel computes the costs on the fly (no cost matrix), the
backward turns ``grad * E`` into dX and dY in one pass.  Same values and gradients as the
cost matrix through :class:`SoftDTWFunction`, with N M floats less memory.

:func:`soft_dtw_from_series` chooses between them, so every public function that
differentiates soft-DTW of series (``tsalign.soft_dtw`` and its relatives as well as
``tsalign.nn.SoftDTWLoss``) takes the fused path where it applies.
"""

from __future__ import annotations

import torch

from . import backend
from .costs import sq_euclidean_cost


class SoftDTWFunction(torch.autograd.Function):
    """Soft-DTW values (B,) of cost matrices C (B, N, M), differentiable in C."""

    @staticmethod
    def forward(ctx, C, lx, ly, band, gamma):
        values, W = backend().call_kernel("soft_dtw", "soft_dtw_forward", C, C, lx, ly, band, gamma)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(W)
        ctx.lx, ctx.ly, ctx.band = lx, ly, band
        return values

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None
        (W,) = ctx.saved_tensors
        E = backend().call_kernel("soft_dtw", "soft_dtw_backward", W, W, ctx.lx, ctx.ly, ctx.band)
        return grad.to(E.dtype)[:, None, None] * E, None, None, None, None


class SoftDTWSqEuclideanFunction(torch.autograd.Function):
    """Soft-DTW (B,) of CPU series X (B, N, d), Y (B, M, d) (float32 or float64), squared
    Euclidean cost."""

    @staticmethod
    def forward(ctx, X, Y, lx, ly, band, gamma):
        values, W, plan, pairs = backend().call_kernel(
            "soft_dtw", "soft_dtw_forward_series", X, X, Y, lx, ly, band, gamma
        )
        ctx.save_for_backward(X, Y, W)
        ctx.lx, ctx.ly, ctx.band, ctx.plan, ctx.pairs = lx, ly, band, plan, pairs
        return values

    @staticmethod
    def backward(ctx, grad):
        need_x, need_y = ctx.needs_input_grad[:2]
        if not (need_x or need_y):
            return (None,) * 6
        X, Y, W = ctx.saved_tensors
        gx, gy = backend().call_kernel(
            "soft_dtw", "soft_dtw_backward_series", W, W, ctx.plan, ctx.pairs, X, Y,
            ctx.lx, ctx.ly, ctx.band, grad.detach().to(X.dtype),
        )  # fmt: skip
        return (gx if need_x else None), (gy if need_y else None), None, None, None, None


def soft_dtw_from_cost(C, lx, ly, band, gamma):
    """Soft-DTW values (B,) of cost matrices C (B, N, M), differentiable in C (gamma > 0)."""
    return SoftDTWFunction.apply(C, lx, ly, band, gamma)


def uses_fused(X, Y) -> bool:
    """Whether :func:`soft_dtw_from_series` takes the fused CPU Function: CPU series of
    one float dtype, float32 or float64 (float64 on the lane groups: 14.6 ms against 29.8 ms
    for the cost matrix at B=32, N=M=256, gamma=0.01, benchmarks/README.md)."""
    return (
        X.device.type == "cpu" and X.dtype == Y.dtype and X.dtype in (torch.float32, torch.float64)
    )


def soft_dtw_from_series(X, Y, lx, ly, band, gamma):
    """Soft-DTW values (B,) of series under the squared Euclidean cost, differentiable in both.

    ``gamma > 0``; lengths and band already validated.  CPU series (float32, float64) take
    the fused Function, everything else the cost matrix through :class:`SoftDTWFunction`.
    """
    if uses_fused(X, Y):
        return SoftDTWSqEuclideanFunction.apply(X, Y, lx, ly, band, gamma)
    return SoftDTWFunction.apply(sq_euclidean_cost(X, Y), lx, ly, band, gamma)
