"""Values of validated pairs that several families compute: squared DTW and soft-DTW.

Each function takes what validation produced (:class:`SeriesBatch` pairs or cost matrices
with host lengths, a resolved band, a checked gamma), runs the kernels, checks that the
band left every pair a path, and returns (B,) values of the backend.  With torch inputs
that need gradients the value is differentiable: through the optimal path for squared DTW
(``_lib/paths.py``), through the Functions of ``_torch/soft_dtw.py`` for soft-DTW, which
also choose the fused float32 CPU path, so every caller of :func:`soft_dtw_values` gets it.
"""

from __future__ import annotations

from .backend import Backend
from .paths import check_feasible, differentiable_sq, end_values, optimal_paths
from .validation import SeriesBatch


def dtw_sq(be: Backend, a: SeriesBatch, b: SeriesBatch, band):
    """Squared DTW (soft-DTW at gamma = 0) of validated pairs, (B,)."""
    if be.needs_grad(a.X, b.X):
        R, paths, plen, end_j = optimal_paths(be, a.X, b.X, a.lengths, b.lengths, band)
        check_feasible(be, end_values(be, R, a.lengths, end_j), band, a.lengths, b.lengths)
        return differentiable_sq(be, a.X, b.X, paths, plen)
    sq = be.call_kernel("dtw", "dtw_values", a.X, a.X, b.X, a.lengths, b.lengths, band)
    check_feasible(be, sq, band, a.lengths, b.lengths)
    return sq


def soft_dtw_values(be: Backend, a: SeriesBatch, b: SeriesBatch, band, gamma: float):
    """Soft-DTW of validated pairs under the squared Euclidean cost, (B,)."""
    if gamma == 0.0:
        return dtw_sq(be, a, b, band)
    if be.needs_grad(a.X, b.X):
        from .._torch.soft_dtw import soft_dtw_from_series

        values = soft_dtw_from_series(a.X, b.X, a.lengths, b.lengths, band, gamma)
    else:
        values = be.call_kernel(
            "soft_dtw", "soft_dtw_values", a.X, a.X, b.X, a.lengths, b.lengths, band, gamma
        )
    check_feasible(be, values, band, a.lengths, b.lengths)
    return values


def soft_dtw_cost_values(be: Backend, C, lx, ly, band, gamma: float):
    """Soft-DTW of cost matrices C (B, N, M), (B,); differentiable in C with torch."""
    if gamma == 0.0:
        R, paths, plen, end_j = optimal_paths(be, None, None, lx, ly, band, C=C)
        values = end_values(be, R, lx, end_j)
        check_feasible(be, values, band, lx, ly)
        if be.needs_grad(C):
            from .._torch.dtw import path_cost_from_matrix

            values = path_cost_from_matrix(C, paths, plen)
        return values
    if be.needs_grad(C):
        from .._torch.soft_dtw import soft_dtw_from_cost

        values = soft_dtw_from_cost(C, lx, ly, band, gamma)
    else:
        values, _ = be.call_kernel(
            "soft_dtw", "soft_dtw_forward", C, C, lx, ly, band, gamma, need_weights=False
        )
    check_feasible(be, values, band, lx, ly)
    return values
