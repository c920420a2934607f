"""DTW paths and feasibility, shared by the exact and soft DTW families.

Accumulated-cost matrices and their optimal paths (no autograd), the values at the
end of each pair's path, the band-feasibility check, and the differentiable value of
a path's cost for torch inputs.
"""

from __future__ import annotations

import numpy as np

from .backend import Backend
from .constraints import BAND_ITAKURA, infeasible_error
from .costs import sq_euclidean


def check_feasible(be: Backend, sq, band, lx, ly) -> None:
    """Raise if a band left some pair without a path (``lx[k], ly[k]`` its sizes)."""
    if band[0] != BAND_ITAKURA:
        return
    bad = np.ravel(np.isinf(sq) if be.is_numpy else be.to_numpy(be.xp.isinf(sq)))
    if np.any(bad):
        k = int(np.argmax(bad))
        raise infeasible_error(band, int(lx[k]), int(ly[k]))


def sqrt_values(be: Backend, sq):
    if be.is_pytorch:
        from .._torch.dtw import safe_sqrt

        return safe_sqrt(sq)
    return be.xp.sqrt(sq)


def optimal_paths(be: Backend, X, Y, lx, ly, band, *, C=None, subsequence=False):
    """Accumulated costs and optimal paths of each pair (no autograd).

    Returns ``(R, paths, plen, end_j)``; paths are backend int64 arrays.
    """
    if C is None:
        C = sq_euclidean(be, X, Y)
    if be.is_pytorch:
        C = C.detach()
    R = be.call_kernel("dtw", "dtw_acc", C, C, lx, ly, band, subsequence=subsequence)
    if subsequence:
        last = R[0, int(lx[0]) - 1, : int(ly[0])]
        end_j = np.array([int(be.to_numpy(be.xp.argmin(last)))], dtype=np.int64)
    else:
        end_j = ly - 1
    paths, plen = be.call_kernel(
        "dtw", "dtw_paths", R, R, lx, ly, end_j=end_j, subsequence=subsequence
    )
    return R, paths, plen, end_j


def end_values(be: Backend, R, lx, end_j):
    """R[b, lx[b]-1, end_j[b]] for each pair (backend array)."""
    xp = be.xp
    B = R.shape[0]
    dev = be.device_of(R)
    bi = xp.asarray(np.arange(B), device=dev)
    ii = xp.asarray(np.asarray(lx) - 1, device=dev)
    jj = xp.asarray(np.asarray(end_j), device=dev)
    return R[bi, ii, jj]


def path_lists(be: Backend, paths, plen) -> list[list[tuple[int, int]]]:
    P = be.to_numpy(paths) if not be.is_numpy else paths
    L = be.to_numpy(plen) if not be.is_numpy else plen
    return [[(int(i), int(j)) for i, j in P[b, : int(L[b])]] for b in range(P.shape[0])]


def pair_result(be: Backend, value, batched: bool):
    """A value as the public functions return it: (B,) for a batch, else one scalar."""
    return value if batched else be.scalar(value[0])


def path_result(be: Backend, paths, plen, value, batched: bool):
    """``(path, value)`` as the public ``*_path`` functions return them.

    For a batch, one list of index pairs per pair and the (B,) values; for one pair, its
    list and a scalar.
    """
    path_list = path_lists(be, paths, plen)
    if batched:
        return path_list, value
    return path_list[0], be.scalar(value[0])


def differentiable_sq(be: Backend, X, Y, paths, plen):
    from .._torch.dtw import path_sq_cost_from_series

    return path_sq_cost_from_series(X, Y, paths, plen)
