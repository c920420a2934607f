r"""Discrete Fréchet distance: tslearn's API on numpy, PyTorch and CuPy.

.. math::

    Frechet(X, Y) = \min_{\pi} \max_{(i, j) \in \pi} \|X_i - Y_j\|

over the warping paths :math:`\pi` of DTW.  Same input conventions as
:func:`tsalign.dtw`: ``(N,)`` / ``(N, d)`` is one series, ``(B, N, d)`` a batch
of pairs, trailing all-NaN rows are padding, tslearn's global constraints.
With torch tensors that require grad the value is differentiable through the
bottleneck cell of the optimal path.  On a GPU the kernels are DTW's
wavefront with ``max`` in place of ``+`` (``kernels/cuda/frechet.py``).
"""

from __future__ import annotations

from typing import Any

from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.costs import masked_costs, single_pair_costs, sq_euclidean
from ._lib.docs import fill_doc
from ._lib.pairs import cdist_job, differentiable_cdist, kernel_cdist, metric_job, pair_job
from ._lib.paths import check_feasible, end_values, pair_result, path_result, sqrt_values

__all__ = [
    "frechet",
    "frechet_path",
    "frechet_accumulated_matrix",
    "frechet_path_from_metric",
    "cdist_frechet",
]


def _paths(be, C, lx, ly, band):
    """Accumulated matrices and optimal paths (no autograd)."""
    Cd = C.detach() if be.is_pytorch else C
    R = be.call_kernel("frechet", "frechet_acc", Cd, Cd, lx, ly, band)
    paths, plen = be.call_kernel("dtw", "dtw_paths", R, R, lx, ly)
    return R, paths, plen


def _bottleneck(C, paths, plen):
    """max over each path of C[b, i, j], differentiable in C (torch)."""
    import torch

    L = paths.shape[1]
    valid = torch.arange(L, device=paths.device)[None, :] < plen[:, None]
    M = C.shape[2]
    flat = C.reshape(C.shape[0], -1)
    vals = torch.gather(flat, 1, paths[..., 0] * M + paths[..., 1])
    return torch.where(valid, vals, torch.full_like(vals, -1.0)).max(dim=1).values


def _solve(be, C, lx, ly, band, needs_grad):
    """Squared values and optimal paths of the pairs of costs ``C``.

    With ``needs_grad`` the values are the bottleneck cells of the paths, differentiable in C.
    """
    R, paths, plen = _paths(be, C, lx, ly, band)
    sq = end_values(be, R, lx, ly - 1)
    check_feasible(be, sq, band, lx, ly)
    if needs_grad:
        sq = _bottleneck(C, paths, plen)
    return sq, paths, plen


def _values(be, a, b, band):
    """Squared values of validated pairs; the kernel's values unless torch needs a gradient."""
    if be.needs_grad(a.X, b.X):
        return _solve(be, sq_euclidean(be, a.X, b.X), a.lengths, b.lengths, band, True)[0]
    sq = be.call_kernel("frechet", "frechet_values", a.X, a.X, b.X, a.lengths, b.lengths, band)
    check_feasible(be, sq, band, a.lengths, b.lengths)
    return sq


@fill_doc
def frechet(
    s1,
    s2,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""Discrete Fréchet distance between two series (or batches of pairs).

    The largest frame distance met along the warping path that makes it
    smallest.

    %(constrained_pair_parameters)s

    Returns
    -------
    float or array
        The distance: a float for one numpy pair, a 0-d tensor for one torch
        pair, shape (B,) for a batch.

    Examples
    --------
    >>> frechet([1, 2, 3], [1., 2., 2., 3.])
    0.0
    >>> frechet([1, 2, 3], [-2., 5., 7.])
    4.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    return pair_result(be, sqrt_values(be, _values(be, a, b, band)), batched)


@fill_doc
def frechet_path(
    s1,
    s2,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""Fréchet distance and an optimal path between two series.

    Same arguments as :func:`frechet`.  The path is DTW's backtrack through
    the Fréchet accumulated matrix (ties: diagonal, then up, then left), as in
    tslearn.

    %(constrained_pair_parameters)s

    Returns
    -------
    path : list of (int, int)
        From (0, 0) to (N-1, M-1); for a batch, one list per pair.
    distance : float or array
        As returned by :func:`frechet`.

    Examples
    --------
    >>> path, dist = frechet_path([1., 2, 3], [1.0, 0., 2.0, 4.0])
    >>> path
    [(0, 0), (0, 1), (1, 2), (2, 3)]
    >>> dist
    1.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    C = sq_euclidean(be, a.X, b.X)
    sq, paths, plen = _solve(be, C, a.lengths, b.lengths, band, be.needs_grad(a.X, b.X))
    return path_result(be, paths, plen, sqrt_values(be, sq), batched)


@fill_doc
def frechet_accumulated_matrix(s1, s2, mask, be: Any = None):
    r"""Fréchet accumulated matrix of two series under a boolean mask.

    ``R[i, j] = max(C[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with
    ``C`` the squared Euclidean cost; cells where ``mask`` is False hold ``inf``.

    Parameters
    ----------
    %(masked_pair)s

    Returns
    -------
    array, shape (N, M)
        The accumulated matrix (squared distances).

    Examples
    --------
    >>> from tsalign import compute_mask
    >>> frechet_accumulated_matrix([1, 2, 3], [1., 2., 2., 3.], compute_mask(3, 4))
    array([[0., 1., 1., 4.],
           [1., 0., 0., 1.],
           [4., 1., 1., 0.]])
    """
    be = backend_of(s1, s2, be=be)
    C, lx, ly = single_pair_costs(be, s1, s2)
    # the kernels keep the masked cells inf
    C = masked_costs(be, C, mask)
    return be.call_kernel("frechet", "frechet_acc", C, C, lx, ly, resolve_band())[0]


@fill_doc
def frechet_path_from_metric(
    s1,
    s2=None,
    metric: Any = "precomputed",
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    **kwds,
):
    r"""Fréchet path and value for an arbitrary frame metric.

    Parameters
    ----------
    %(metric_series)s
    metric : str, callable or "precomputed"
        Frame distance: "precomputed" (default, as in tslearn), a name
        ("euclidean", "sqeuclidean", "cityblock", ...; on numpy any scipy
        metric) or a callable ``metric(x_i, y_j, **kwds)``.
    %(metric_rest)s

    Returns
    -------
    path : list of (int, int)
        The optimal path.
    value : float or 0-d array
        The largest frame distance on the optimal path (no square root is
        taken: with ``metric="euclidean"`` it is the Fréchet distance).

    Examples
    --------
    >>> s1, s2 = [[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 2], [3, 3], [2, 2], [3, 3]]
    >>> path, value = frechet_path_from_metric(s1, s2, metric="sqeuclidean")
    >>> path
    [(0, 0), (1, 1), (1, 2), (1, 3), (2, 4)]
    >>> value
    2.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, C3, lx, ly = metric_job(s1, s2, metric, kwds, be, constraint)
    value, paths, plen = _solve(be, C3, lx, ly, band, be.needs_grad(C3))
    return path_result(be, paths, plen, value, batched=False)


@fill_doc
def cdist_frechet(
    dataset1,
    dataset2=None,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
):
    r"""Fréchet distance between every series of ``dataset1`` and of ``dataset2``.

    Parameters
    ----------
    %(dataset1)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself (upper
        triangle only, zero diagonal).
    %(constraint)s
    %(cdist_run)s

    Returns
    -------
    array, shape (n1, n2)
        The distances (differentiable with torch inputs that require grad).

    Examples
    --------
    >>> cdist_frechet([[1, 2, 2, 3], [1., 2., 3., 4.]], [[1, 2, 3], [2, 3, 4, 5]])
    array([[0., 2.],
           [1., 1.]])
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    job = cdist_job(dataset1, dataset2, be, constraint, n_jobs, verbose)
    if job.needs_grad:
        # each pair keeps its cost matrix and accumulated matrix for the backward
        def pair(pa, pb):
            return sqrt_values(job.be, _values(job.be, pa, pb, job.band))

        return differentiable_cdist(job, pair, False, 2, progress_label="cdist_frechet")
    return sqrt_values(job.be, kernel_cdist(job, "frechet", ()))
