"""DILATE for torch inputs that need gradients.

:class:`DilateFunction` maps the cost matrices ``D`` (B, N, M) to the per-pair soft-DTW
values and temporal terms, both (B,).  Its backward is exact: the gradient of the shape term is the
expected alignment E, and that of the temporal term ``<E, Omega>`` is the Hessian-vector
product ``H Omega`` of soft-DTW (H is symmetric), computed by the kernels from the
soft-min weights saved by the forward pass.  The gradient then flows from ``D`` to the
series through the torch cost computation.

:class:`DilateSqEuclideanFunction` is the fused variant for CPU series (float32 or
float64, gamma > 0), as ``SoftDTWSqEuclideanFunction`` is for soft-DTW: the
kernels run on lane groups of pairs with the squared Euclidean costs computed on the fly
(no cost matrix, no E or W arrays of (B, N, M)), and the backward returns the series'
gradients directly.  Same values and gradients as the cost-matrix path (to rounding;
``tests/test_dilate.py``).
"""

from __future__ import annotations

import torch

from . import backend, soft_dtw


class DilateFunction(torch.autograd.Function):
    """Per-pair (shape, temporal) terms of DILATE, differentiable in ``D``."""

    @staticmethod
    def forward(ctx, D, lx, ly, gamma):
        shape, temporal, E, W = backend().call_kernel(
            "dilate", "dilate_forward", D, D, lx, ly, gamma
        )
        ctx.save_for_backward(E, W)
        ctx.lx, ctx.ly, ctx.gamma = lx, ly, gamma
        return shape, temporal

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_shape, g_temporal):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        E, W = ctx.saved_tensors
        gs = g_shape.to(E.dtype)
        gt = g_temporal.to(E.dtype)
        G = backend().call_kernel(
            "dilate", "dilate_backward", E, W, E, gs, gt, ctx.lx, ctx.ly, ctx.gamma
        )
        return G, None, None, None


def dilate_terms(D, lx, ly, gamma):
    """Per-pair (shape, temporal), differentiable in ``D``."""
    return DilateFunction.apply(D, lx, ly, gamma)


class DilateSqEuclideanFunction(torch.autograd.Function):
    """Per-pair (shape, temporal) of CPU series X (B, N, d) (targets, rows) and Y (B, M, d)
    (predictions, columns), float32 or float64, squared Euclidean cost, gamma > 0."""

    @staticmethod
    def forward(ctx, X, Y, lx, ly, gamma):
        shape, temporal, S, plan, pairs = backend().call_kernel(
            "dilate", "dilate_forward_series", X, X, Y, lx, ly, gamma
        )
        ctx.save_for_backward(X, Y, S)
        ctx.lx, ctx.ly, ctx.gamma, ctx.plan, ctx.pairs = lx, ly, gamma, plan, pairs
        return shape, temporal

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_shape, g_temporal):
        need_x, need_y = ctx.needs_input_grad[:2]
        if not (need_x or need_y):
            return None, None, None, None, None
        X, Y, S = ctx.saved_tensors
        gx, gy = backend().call_kernel(
            "dilate", "dilate_backward_series", S, S, ctx.plan, ctx.pairs, X, Y, ctx.lx,
            ctx.ly, ctx.gamma, g_shape.detach().to(X.dtype), g_temporal.detach().to(X.dtype),
        )  # fmt: skip
        return (gx if need_x else None), (gy if need_y else None), None, None, None


def fused(X, Y, gamma) -> bool:
    """Whether :class:`DilateSqEuclideanFunction` applies: gamma > 0 and the series
    that soft-DTW's fused Function takes (:func:`.soft_dtw.uses_fused`)."""
    return gamma > 0 and soft_dtw.uses_fused(X, Y)


def dilate_terms_series(X, Y, lx, ly, gamma):
    """Per-pair (shape, temporal) of series, differentiable in both (see :func:`fused`)."""
    return DilateSqEuclideanFunction.apply(X, Y, lx, ly, gamma)
