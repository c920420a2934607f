"""The squared Euclidean cost matrix as an autograd Function.

Differentiating ``_lib.costs.sq_euclidean`` through autograd would keep one (B, N, M)
difference per feature for the backward pass (its direct form, used for few features).
:class:`SqEuclideanCost` keeps only X and Y and applies the closed form
``dX = 2 (rowsum(G) X - G Y)``, ``dY = 2 (colsum(G) Y - G^T X)`` for the incoming gradient
G: no N x M x d work and no N x M memory of its own.  On the CPU one numba pass over G
(``kernels/cpu/sq_euclidean.py``) computes the sums and both products; elsewhere two
batched matmuls do.
"""

from __future__ import annotations

import torch

from .._lib.costs import sq_euclidean
from . import backend


class SqEuclideanCost(torch.autograd.Function):
    """Squared Euclidean cost matrices C (B, N, M) of X (B, N, d) and Y (B, M, d)."""

    @staticmethod
    def forward(ctx, X, Y):
        ctx.save_for_backward(X, Y)
        return sq_euclidean(backend(), X, Y)

    @staticmethod
    def backward(ctx, G):
        need_x, need_y = ctx.needs_input_grad
        if not (need_x or need_y):
            return None, None
        X, Y = ctx.saved_tensors
        G = G.to(X.dtype)
        if G.device.type == "cpu" and X.dtype in (torch.float32, torch.float64):
            gx, gy = backend().call_kernel("sq_euclidean", "sq_euclidean_grad", G, G, X, Y)
            return (gx if need_x else None), (gy if need_y else None)
        gx = 2 * (G.sum(2).unsqueeze(-1) * X - torch.bmm(G, Y)) if need_x else None
        gy = 2 * (G.sum(1).unsqueeze(-1) * Y - torch.bmm(G.transpose(1, 2), X)) if need_y else None
        return gx, gy


def sq_euclidean_cost(X, Y):
    """Differentiable squared Euclidean cost matrices (see :class:`SqEuclideanCost`)."""
    return SqEuclideanCost.apply(X, Y)
