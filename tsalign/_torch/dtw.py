"""Exact DTW for torch inputs: differentiable through the optimal path.

The DTW value is the sum of the costs of the cells of its optimal path.  Once a kernel
has found the path (without autograd, see ``_lib/paths.py``), the value is rebuilt here
from the inputs with torch operations and autograd does the rest: almost everywhere (away
from ties between paths) this is the exact gradient.  No autograd Function is needed.
"""

from __future__ import annotations

import torch


def _path_cells(paths, plen):
    """Row/column indices of the paths (B, L) and the mask of valid steps."""
    L = paths.shape[1]
    steps = torch.arange(L, device=paths.device)
    valid = steps[None, :] < plen[:, None]
    return paths[..., 0], paths[..., 1], valid


def path_sq_cost_from_series(X, Y, paths, plen):
    """Sum over each path of ||X[b, i] - Y[b, j]||^2, differentiable in X and Y."""
    ii, jj, valid = _path_cells(paths, plen)
    d = X.shape[-1]
    xi = torch.gather(X, 1, ii[..., None].expand(-1, -1, d))
    yj = torch.gather(Y, 1, jj[..., None].expand(-1, -1, d))
    sq = ((xi - yj) ** 2).sum(-1)
    return torch.where(valid, sq, torch.zeros_like(sq)).sum(-1)


def path_cost_from_matrix(C, paths, plen):
    """Sum over each path of C[b, i, j], differentiable in C."""
    ii, jj, valid = _path_cells(paths, plen)
    M = C.shape[2]
    flat = C.reshape(C.shape[0], -1)
    vals = torch.gather(flat, 1, ii * M + jj)
    return torch.where(valid, vals, torch.zeros_like(vals)).sum(-1)


def safe_sqrt(x):
    """sqrt with gradient 0 (not NaN) at 0, where DTW of identical series sits."""
    pos = x > 0
    safe = torch.where(pos, x, torch.ones_like(x))
    return torch.where(pos, torch.sqrt(safe), torch.zeros_like(x))
