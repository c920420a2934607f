"""torch autograd glue for the metrics (imported only with torch inputs).

Exact DTW is differentiable almost everywhere through its optimal path: the
value is the sum of the costs of the path's cells, so once a kernel has found
the path (without autograd) the value is rebuilt from the inputs with torch
operations and autograd does the rest.
"""

from __future__ import annotations

import torch


def path_cells(paths, plen):
    """Row/column indices of the paths (B, L) and the mask of valid steps."""
    L = paths.shape[1]
    steps = torch.arange(L, device=paths.device)
    valid = steps[None, :] < plen[:, None]
    return paths[..., 0], paths[..., 1], valid


def path_sq_cost_from_series(X, Y, paths, plen):
    """Sum over each path of ||X[b, i] - Y[b, j]||^2, differentiable in X and Y."""
    ii, jj, valid = path_cells(paths, plen)
    d = X.shape[-1]
    xi = torch.gather(X, 1, ii[..., None].expand(-1, -1, d))
    yj = torch.gather(Y, 1, jj[..., None].expand(-1, -1, d))
    sq = ((xi - yj) ** 2).sum(-1)
    return torch.where(valid, sq, torch.zeros_like(sq)).sum(-1)


def path_cost_from_matrix(C, paths, plen):
    """Sum over each path of C[b, i, j], differentiable in C."""
    ii, jj, valid = path_cells(paths, plen)
    M = C.shape[2]
    flat = C.reshape(C.shape[0], -1)
    vals = torch.gather(flat, 1, ii * M + jj)
    return torch.where(valid, vals, torch.zeros_like(vals)).sum(-1)


def safe_sqrt(x):
    """sqrt with gradient 0 (not NaN) at 0, where DTW of identical series sits."""
    pos = x > 0
    safe = torch.where(pos, x, torch.ones_like(x))
    return torch.where(pos, torch.sqrt(safe), torch.zeros_like(x))


class SoftDTWFunction(torch.autograd.Function):
    """Soft-DTW of cost matrices C (B, N, M), differentiable in C.

    The forward kernel returns the values and the normalised soft-min weights
    (B, N, M, 2); backward runs the E recursion on them, so the gradient is
    ``grad[:, None, None] * E``.  Working on the cost matrix means any cost
    built with torch operations (squared Euclidean, a user's ``dist_func``)
    receives its gradient through autograd.  The same Function serves CPU
    tensors (numba on zero-copy views) and CUDA tensors (CuPy RawKernels on
    DLPack views, on torch's current stream).
    """

    @staticmethod
    def forward(ctx, C, lx, ly, band, gamma):
        from ._lib.backend import instantiate_backend

        be = instantiate_backend("pytorch")
        values, W = be.call_kernel("soft_dtw", "soft_dtw_forward", C, C, lx, ly, band, gamma)
        values = values.to(C.device)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(W)
        ctx.lx, ctx.ly, ctx.band = lx, ly, band
        return values

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None
        from ._lib.backend import instantiate_backend

        (W,) = ctx.saved_tensors
        be = instantiate_backend("pytorch")
        E = be.call_kernel("soft_dtw", "soft_dtw_backward", W, W, ctx.lx, ctx.ly, ctx.band)
        return grad.to(E.dtype)[:, None, None] * E, None, None, None, None


@torch.compiler.disable
def soft_dtw_from_cost(C, lx, ly, band, gamma):
    """Soft-DTW values (B,) of cost matrices C (B, N, M), differentiable in C.

    Opaque to torch.compile (one graph break): dynamo cannot trace the numba
    or CuPy calls inside the Function.
    """
    return SoftDTWFunction.apply(C, lx, ly, band, gamma)


class SqEuclideanCost(torch.autograd.Function):
    """Squared Euclidean cost matrices C (B, N, M) of X (B, N, d) and Y (B, M, d).

    Differentiating ``tsalign._costs.sq_euclidean`` through autograd would
    keep one (B, N, M) difference per feature for the backward pass (its
    direct form, used for d <= 8); this Function keeps only X and Y and
    applies the closed form ``dX = 2 (rowsum(G) X - G Y)``,
    ``dY = 2 (colsum(G) Y - G^T X)`` for the incoming gradient G: two
    batched matmuls, no N x M x d work and no N x M memory of its own.  On
    the CPU (float32/float64) one numba pass over G computes the sums and both
    products (for univariate series the matmuls are matrix-vector products,
    3x slower than that pass at B=32, N=M=200).
    """

    @staticmethod
    def forward(ctx, X, Y):
        from ._lib.backend import instantiate_backend
        from ._lib.costs import sq_euclidean

        ctx.save_for_backward(X, Y)
        return sq_euclidean(instantiate_backend("pytorch"), X, Y)

    @staticmethod
    def backward(ctx, G):
        X, Y = ctx.saved_tensors
        G = G.to(X.dtype)
        gx = gy = None
        if G.device.type == "cpu" and X.dtype in (torch.float32, torch.float64):
            from .kernels.cpu.sq_euclidean import sq_euclidean_grad

            gx, gy = sq_euclidean_grad(
                G.detach().contiguous().numpy(), X.detach().numpy(), Y.detach().numpy()
            )
            return (
                torch.from_numpy(gx) if ctx.needs_input_grad[0] else None,
                torch.from_numpy(gy) if ctx.needs_input_grad[1] else None,
            )
        if ctx.needs_input_grad[0]:
            gx = 2 * (G.sum(2).unsqueeze(-1) * X - torch.bmm(G, Y))
        if ctx.needs_input_grad[1]:
            gy = 2 * (G.sum(1).unsqueeze(-1) * Y - torch.bmm(G.transpose(1, 2), X))
        return gx, gy


class SoftDTWSqEuclideanFunction(torch.autograd.Function):
    """Soft-DTW of float32 CPU series under the squared Euclidean cost, fused.

    The forward kernel computes the costs from X (B, N, d) and Y (B, M, d) on
    the fly (no cost matrix, no strided reads of one); backward runs the E
    recursion and turns ``grad * E`` into dX and dY in one pass
    (:mod:`tsalign.kernels.cpu.sq_euclidean`).  Same values and gradients as
    :class:`SqEuclideanCost` followed by :class:`SoftDTWFunction`.
    """

    @staticmethod
    def forward(ctx, X, Y, lx, ly, band, gamma):
        from .kernels.cpu.soft_dtw import soft_dtw_forward_series32

        Xn = X.detach().contiguous().numpy()
        Yn = Y.detach().contiguous().numpy()
        values, W = soft_dtw_forward_series32(Xn, Yn, lx, ly, band, gamma)
        ctx.save_for_backward(X, Y, torch.from_numpy(W))
        ctx.lx, ctx.ly, ctx.band = lx, ly, band
        return torch.from_numpy(values)

    @staticmethod
    def backward(ctx, grad):
        from .kernels.cpu.soft_dtw import soft_dtw_backward
        from .kernels.cpu.sq_euclidean import sq_euclidean_grad

        X, Y, W = ctx.saved_tensors
        E = soft_dtw_backward(W.numpy(), ctx.lx, ctx.ly, ctx.band)
        E *= grad.detach().to(torch.float32).numpy()[:, None, None]
        gx, gy = sq_euclidean_grad(E, X.detach().numpy(), Y.detach().numpy())
        return (
            torch.from_numpy(gx) if ctx.needs_input_grad[0] else None,
            torch.from_numpy(gy) if ctx.needs_input_grad[1] else None,
            None,
            None,
            None,
            None,
        )


def sq_euclidean_cost(X, Y):
    """Differentiable squared Euclidean cost matrices (see :class:`SqEuclideanCost`)."""
    return SqEuclideanCost.apply(X, Y)
