"""DILATE for torch inputs that need gradients.

The Function maps the cost matrices ``D`` (B, N, M) to the per-pair soft-DTW values and
temporal terms, both (B,).  Its backward is exact: the gradient of the shape term is the
expected alignment E, and that of the temporal term ``<E, Omega>`` is the Hessian-vector
product ``H Omega`` of soft-DTW (H is symmetric), computed by the kernels from the
soft-min weights saved by the forward pass.  The gradient then flows from ``D`` to the
series through the torch cost computation.
"""

from __future__ import annotations

import torch

from . import backend


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
