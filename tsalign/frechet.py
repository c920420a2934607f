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

import numpy as np

from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.costs import sq_euclidean
from ._lib.docs import fill_doc
from ._lib.frame_metrics import frame_matrix
from ._lib.pairs import cdist_pairs, fill_matrix
from ._lib.paths import check_feasible, end_values, path_lists, sqrt_values
from ._lib.progress import Progress
from ._lib.validation import as_array, check_int, dataset, series_pair

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


def _values(be, a, b, band):
    if be.needs_grad(a.X, b.X):
        C = sq_euclidean(be, a.X, b.X)
        R, paths, plen = _paths(be, C, a.lengths, b.lengths, band)
        check_feasible(be, end_values(be, R, a.lengths, b.lengths - 1), band, a.lengths, b.lengths)
        return _bottleneck(C, paths, plen), paths, plen
    sq = be.call_kernel("frechet", "frechet_values", a.X, a.X, b.X, a.lengths, b.lengths, band)
    check_feasible(be, sq, band, a.lengths, b.lengths)
    return sq, None, None


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

    Parameters
    ----------
    %(pair)s
    %(constraint)s
    %(be)s

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
    be = backend_of(s1, s2, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    a, b, batched = series_pair(be, s1, s2)
    sq, _, _ = _values(be, a, b, band)
    value = sqrt_values(be, sq)
    return value if batched else be.scalar(value[0])


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

    Parameters
    ----------
    %(pair)s
    %(constraint)s
    %(be)s

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
    be = backend_of(s1, s2, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    a, b, batched = series_pair(be, s1, s2)
    C = sq_euclidean(be, a.X, b.X)
    R, paths, plen = _paths(be, C, a.lengths, b.lengths, band)
    sq = end_values(be, R, a.lengths, b.lengths - 1)
    check_feasible(be, sq, band, a.lengths, b.lengths)
    if be.needs_grad(a.X, b.X):
        sq = _bottleneck(C, paths, plen)
    value = sqrt_values(be, sq)
    path_list = path_lists(be, paths, plen)
    if batched:
        return path_list, value
    return path_list[0], be.scalar(value[0])


@fill_doc
def frechet_accumulated_matrix(s1, s2, mask, be: Any = None):
    r"""Fréchet accumulated matrix of two series under a boolean mask.

    ``R[i, j] = max(C[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with
    ``C`` the squared Euclidean cost; cells where ``mask`` is False hold ``inf``.

    Parameters
    ----------
    s1 : array-like, shape (N,) or (N, d)
        First series.
    s2 : array-like, shape (M,) or (M, d)
        Second series.
    mask : array-like of bool, shape (N, M)
        Cells that may be used (e.g. from :func:`tsalign.compute_mask`).
    %(be)s

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
    a, b, _ = series_pair(be, s1, s2, allow_batch=False)
    C = _masked_costs(be, a, b, mask)
    R = be.call_kernel("frechet", "frechet_acc", C, C, a.lengths, b.lengths, resolve_band())
    return R[0]


def _masked_costs(be, a, b, mask):
    """(1, N, M) costs with ``inf`` where ``mask`` is False (the kernels keep them inf)."""
    n, m = int(a.lengths[0]), int(b.lengths[0])
    X, Y = a.X[:, :n], b.X[:, :m]
    a.lengths, b.lengths = np.array([n]), np.array([m])
    C = sq_euclidean(be, X, Y)
    if be.is_pytorch:
        C = C.detach()
    mk = as_array(be, mask, "mask") if not be.is_array(mask) else mask
    if tuple(mk.shape) != (n, m):
        raise ValueError(f"mask must have shape ({n}, {m}), got {tuple(mk.shape)}")
    mk = be.xp.astype(mk, be.xp.bool) if mk.dtype != be.xp.bool else mk
    return be.xp.where(mk[None], C, be.xp.full_like(C, float("inf")))


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
    s1 : array-like, shape (N,) or (N, d); or (N, M) if ``metric="precomputed"``
        A series, or the precomputed frame-distance matrix.
    s2 : array-like, shape (M,) or (M, d), or None
        The other series (unused with a precomputed matrix).
    metric : str, callable or "precomputed"
        Frame distance: "precomputed" (default, as in tslearn), a name
        ("euclidean", "sqeuclidean", "cityblock", ...; on numpy any scipy
        metric) or a callable ``metric(x_i, y_j, **kwds)``.
    %(constraint)s
    %(be)s
    **kwds
        Extra arguments of the metric.

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
    be = backend_of(s1, s2, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    C = frame_matrix(be, s1, s2, metric, **kwds)
    n, m = int(C.shape[0]), int(C.shape[1])
    C3 = C[None]
    lx = np.array([n], dtype=np.int64)
    ly = np.array([m], dtype=np.int64)
    R, paths, plen = _paths(be, C3, lx, ly, band)
    value = end_values(be, R, lx, ly - 1)
    check_feasible(be, value, band, lx, ly)
    if be.needs_grad(C3):
        value = _bottleneck(C3, paths, plen)
    return path_lists(be, paths, plen)[0], be.scalar(value[0])


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
    %(n_jobs)s
    %(verbose)s
    %(be)s

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
    from . import kernels

    be = backend_of(dataset1, dataset2, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    verbose = check_int(verbose, "verbose")
    A = dataset(be, dataset1, "dataset1")
    symmetric = dataset2 is None
    Bd = A if symmetric else dataset(be, dataset2, "dataset2")
    _same_features(A, Bd)
    X, Y = A.X, Bd.X
    if X.dtype != Y.dtype:
        X, Y = be.xp.astype(X, be.xp.float64), be.xp.astype(Y, be.xp.float64)
    n1, n2 = X.shape[0], Y.shape[0]
    ia, ib = cdist_pairs(n1, n2, symmetric)
    progress = Progress("cdist_frechet") if verbose > 0 else None
    if be.needs_grad(X, Y):
        from ._lib.validation import SeriesBatch

        sq, _, _ = _values(
            be,
            SeriesBatch(X[be.torch.as_tensor(ia, device=X.device)], A.lengths[ia]),
            SeriesBatch(Y[be.torch.as_tensor(ib, device=Y.device)], Bd.lengths[ib]),
            band,
        )
    else:
        with kernels.threads(n_jobs):
            sq = be.call_kernel(
                "frechet", "frechet_pairs", X, X, Y, A.lengths, Bd.lengths, ia, ib, band
            )
        check_feasible(be, sq, band, A.lengths[ia], Bd.lengths[ib])
    if progress is not None:
        progress(len(ia), len(ia))
    return fill_matrix(be, sqrt_values(be, sq), ia, ib, n1, n2, symmetric)


def _same_features(A, Bd):
    if A.X.shape[2] != Bd.X.shape[2]:
        raise ValueError(
            "dataset1 and dataset2 must have the same feature size (all input time series must "
            f"have the same feature size): got d={A.X.shape[2]} and d={Bd.X.shape[2]}"
        )
