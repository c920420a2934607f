"""Exact Dynamic Time Warping: tslearn's API on numpy, PyTorch and CuPy.

Cost between frames is the squared Euclidean distance summed over features;
``dtw`` is the square root of the cheapest path's total cost.  Inputs of shape
``(N,)`` or ``(N, d)`` are one series (the result is a scalar: a Python float
on numpy, a 0-d tensor/array otherwise); ``(B, N, d)`` with ``(B, M, d)`` is a
batch of B pairs.  Trailing all-NaN rows mark shorter series (tslearn's
padding).  With torch tensors that require grad, ``dtw`` is differentiable
through the optimal path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dask import cdist_split, is_dask
from ._lib.backend import Backend, backend_of
from ._lib.constraints import band_mask, resolve_band
from ._lib.costs import masked_costs, single_pair_costs
from ._lib.docs import add_fragments, fill_doc
from ._lib.pairs import cdist_job, differentiable_cdist, kernel_cdist, metric_job, pair_job
from ._lib.paths import (
    check_feasible,
    differentiable_sq,
    end_values,
    optimal_paths,
    pair_result,
    path_lists,
    path_result,
    sqrt_values,
)
from ._lib.validation import as_array, check_finite, check_int, series_pair, single_series
from ._lib.values import dtw_sq

__all__ = [
    "dtw",
    "dtw_path",
    "dtw_path_from_metric",
    "cdist_dtw",
    "dtw_subsequence_path",
    "sakoe_chiba_mask",
    "itakura_mask",
    "compute_mask",
    "lb_envelope",
    "lb_keogh",
    "dtw_accumulated_matrix",
    "subsequence_cost_matrix",
    "subsequence_path",
]

add_fragments(
    mask_sizes="""\
sz1 : int
    Length of the first series (rows of the mask), at least 1.
sz2 : int
    Length of the second series (columns), at least 1.""",
    mask_be="""\
be : Backend, {"numpy", "pytorch", "cupy"} or None
    Backend of the returned array; None: numpy.""",
    mask_returns="""\
mask : bool array, shape (sz1, sz2)
    True where a path may pass.""",
)


# --------------------------------------------------------------------------- metrics
@fill_doc
def dtw(
    s1,
    s2,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""Dynamic Time Warping similarity between two series (or batches of pairs).

    .. math::

        DTW(X, Y) = \min_{\pi} \sqrt{\sum_{(i, j) \in \pi} \|X_i - Y_j\|^2}

    over warping paths :math:`\pi` from (0, 0) to (N-1, M-1) moving by
    steps (1, 0), (0, 1), (1, 1).

    %(constrained_pair_parameters)s

    Returns
    -------
    float or array
        The DTW value: a Python float for one numpy pair, a 0-d tensor/array
        for one torch/cupy pair, shape (B,) for a batch.  Differentiable with
        torch inputs that require grad.

    Examples
    --------
    >>> dtw([1, 2, 3], [1., 2., 2., 3.])
    0.0
    >>> dtw([1, 2, 3], [3, 4, -3])
    6.48074069840786
    >>> dtw([1, 2, 3, 4], [4, 3, 2, 1], sakoe_chiba_radius=1)
    4.47213595499958
    >>> import numpy as np
    >>> dtw(np.zeros((2, 3, 1)), np.ones((2, 4, 1)))
    array([2., 2.])
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    return pair_result(be, sqrt_values(be, dtw_sq(be, a, b, band)), batched)


@fill_doc
def dtw_path(
    s1,
    s2,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""DTW value and optimal path between two series (or batches of pairs).

    Ties between predecessors are broken as in tslearn: diagonal first, then
    (i-1, j), then (i, j-1).

    %(constrained_pair_parameters)s

    Returns
    -------
    path : list of (int, int)
        The optimal path from (0, 0) to (N-1, M-1); for a batch, a list of
        such lists (each for the pair's own lengths).
    distance : float or array
        As returned by :func:`dtw`.

    Examples
    --------
    >>> path, dist = dtw_path([1, 2, 3], [1., 2., 2., 3.])
    >>> path
    [(0, 0), (1, 1), (1, 2), (2, 3)]
    >>> dist
    0.0
    >>> dtw_path([1, 2, 3], [3, 4, -3])[0]
    [(0, 0), (1, 0), (2, 1), (2, 2)]
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    R, paths, plen, end_j = optimal_paths(be, a.X, b.X, a.lengths, b.lengths, band)
    sq = end_values(be, R, a.lengths, end_j)
    check_feasible(be, sq, band, a.lengths, b.lengths)
    if be.needs_grad(a.X, b.X):
        sq = differentiable_sq(be, a.X, b.X, paths, plen)
    return path_result(be, paths, plen, sqrt_values(be, sq), batched)


@fill_doc
def dtw_path_from_metric(
    s1,
    s2=None,
    metric: Any = "euclidean",
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    **kwds,
):
    r"""DTW path and accumulated cost for an arbitrary frame metric.

    Parameters
    ----------
    %(metric_series)s
    metric : str, callable or "precomputed"
        Frame-to-frame distance: a name ("euclidean", "sqeuclidean",
        "cityblock", "chebyshev", "cosine"; on numpy any scipy metric name),
        a callable ``metric(x_i, y_j, **kwds) -> float`` applied to every pair
        of frames, or "precomputed".
    %(metric_rest)s

    Returns
    -------
    path : list of (int, int)
        The optimal path, index pairs (frame of s1, frame of s2) from (0, 0)
        to (N-1, M-1).
    cost : float or 0-d array
        The accumulated cost of the path (no square root is taken).

    Examples
    --------
    >>> import numpy as np
    >>> s1 = np.array([[0., 0.], [0., 1.], [2., 1.], [2., 2.]])
    >>> s2 = np.array([[0., 0.], [2., 2.], [2., 1.], [3., 3.]])
    >>> path, cost = dtw_path_from_metric(s1, s2, metric="sqeuclidean")
    >>> path
    [(0, 0), (1, 0), (2, 1), (2, 2), (3, 3)]
    >>> cost
    4.0
    >>> dtw_path_from_metric(s1, s2, metric=lambda a, b: np.abs(a - b).sum())[1]
    4.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, C3, lx, ly = metric_job(s1, s2, metric, kwds, be, constraint)
    R, paths, plen, end_j = optimal_paths(be, None, None, lx, ly, band, C=C3)
    cost = end_values(be, R, lx, end_j)
    check_feasible(be, cost, band, lx, ly)
    if be.needs_grad(C3):
        from ._torch.dtw import path_cost_from_matrix

        cost = path_cost_from_matrix(C3, paths, plen)
    return path_result(be, paths, plen, cost, batched=False)


@fill_doc
def cdist_dtw(
    dataset1,
    dataset2=None,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
    block=None,
):
    r"""DTW between every series of ``dataset1`` and every series of ``dataset2``.

    Parameters
    ----------
    %(dataset1)s
        %(dask_dataset)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself (only the
        upper triangle is computed, the diagonal is zero).
    %(constraint)s
    %(cdist_run)s
    %(block)s

    Returns
    -------
    array, shape (n1, n2)
        The DTW values (differentiable with torch inputs that require grad).
        %(dask_result)s

    Examples
    --------
    >>> cdist_dtw([[1, 2, 2, 3], [1, 2, 3, 4]])
    array([[0., 1.],
           [1., 0.]])
    >>> cdist_dtw([[1, 2, 2, 3], [1, 2, 3, 4]], [[1, 2, 3], [2, 3, 4, 5]])
    array([[0.        , 2.44948974],
           [1.        , 1.41421356]])
    """
    if block is not None or is_dask(dataset1, dataset2):
        return cdist_split(cdist_dtw, "dtw", locals())
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    job = cdist_job(dataset1, dataset2, be, constraint, n_jobs, verbose)
    if job.needs_grad:
        # sqrt per pair, before the pairs are gathered into the matrix
        def pair(pa, pb):
            return sqrt_values(job.be, dtw_sq(job.be, pa, pb, job.band))

        return differentiable_cdist(job, pair, diagonal=False, floats_per_cell=1)
    return job.be.xp.sqrt(kernel_cdist(job, "dtw", ()))


@fill_doc
def dtw_subsequence_path(subseq, longseq, be: Any = None):
    r"""Best match of ``subseq`` anywhere inside ``longseq`` (subsequence DTW).

    The path must cover all of ``subseq`` but may start and end at any frame
    of ``longseq``.

    Parameters
    ----------
    subseq : array-like, shape (N,) or (N, d)
        The query, matched in full.
    longseq : array-like, shape (M,) or (M, d)
        The series searched; the match may start and end at any of its frames.
    %(be)s

    Returns
    -------
    path : list of (int, int)
        Index pairs (frame of subseq, frame of longseq).
    distance : float or 0-d array
        Square root of the path's cost.

    Examples
    --------
    >>> path, dist = dtw_subsequence_path([2., 3.], [1., 2., 2., 3., 4.])
    >>> path
    [(0, 2), (1, 3)]
    >>> dist
    0.0
    """
    be = backend_of(subseq, longseq, be=be)
    a, b, _ = series_pair(be, subseq, longseq, names=("subseq", "longseq"), allow_batch=False)
    X = a.X[:, : int(a.lengths[0])]
    Y = b.X[:, : int(b.lengths[0])]
    lx, ly = a.lengths, b.lengths
    R, paths, plen, end_j = optimal_paths(be, X, Y, lx, ly, resolve_band(), subsequence=True)
    sq = end_values(be, R, lx, end_j)
    if be.needs_grad(X, Y):
        sq = differentiable_sq(be, X, Y, paths, plen)
    return path_result(be, paths, plen, sqrt_values(be, sq), batched=False)


# --------------------------------------------------------------------------- masks
def _mask(be: Backend, n: int, m: int, band):
    host = band_mask(n, m, band)
    return host if be.is_numpy else be.xp.asarray(host)


@fill_doc
def sakoe_chiba_mask(sz1: int, sz2: int, radius: int = 1, be: Any = None):
    """Boolean Sakoe-Chiba mask of shape (sz1, sz2) (True = allowed cell).

    For unequal sizes the band is widened by ``|sz1 - sz2|`` so that the end
    cell stays reachable, as in tslearn.

    Parameters
    ----------
    %(mask_sizes)s
    radius : int, default 1
        Radius of the band (at least 0).
    %(mask_be)s

    Returns
    -------
    %(mask_returns)s

    Examples
    --------
    >>> sakoe_chiba_mask(4, 4, radius=2)
    array([[ True,  True,  True, False],
           [ True,  True,  True,  True],
           [ True,  True,  True,  True],
           [False,  True,  True,  True]])
    """
    be = backend_of(be=be)
    sz1 = check_int(sz1, "sz1", minimum=1)
    sz2 = check_int(sz2, "sz2", minimum=1)
    return _mask(be, sz1, sz2, resolve_band("sakoe_chiba", sakoe_chiba_radius=radius))


@fill_doc
def itakura_mask(sz1: int, sz2: int, max_slope: float = 2.0, be: Any = None):
    """Boolean Itakura-parallelogram mask of shape (sz1, sz2) (True = allowed).

    Parameters
    ----------
    %(mask_sizes)s
    max_slope : float, default 2.0
        Maximum slope of the parallelogram (at least 1).
    %(mask_be)s

    Returns
    -------
    %(mask_returns)s

    Raises
    ------
    ValueError
        When the slope admits no path for these sizes.

    Examples
    --------
    >>> itakura_mask(6, 6, max_slope=3)
    array([[ True, False, False, False, False, False],
           [False,  True,  True,  True, False, False],
           [False,  True,  True,  True,  True, False],
           [False,  True,  True,  True,  True, False],
           [False, False,  True,  True,  True, False],
           [False, False, False, False, False,  True]])
    """
    be = backend_of(be=be)
    sz1 = check_int(sz1, "sz1", minimum=1)
    sz2 = check_int(sz2, "sz2", minimum=1)
    return _mask(be, sz1, sz2, resolve_band("itakura", itakura_max_slope=max_slope))


def compute_mask(
    s1,
    s2,
    global_constraint=0,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    """Boolean mask of the cells a global constraint allows (tslearn's rules).

    Parameters
    ----------
    s1 : int or array-like, shape (N,) or (N, d)
        A series, or its length.
    s2 : int or array-like, shape (M,) or (M, d)
        The other series, or its length.
    global_constraint : {"itakura", "sakoe_chiba"}, int or None, default 0
        The constraint (tslearn's codes: 0 or None = inferred from the
        parameter given, 1 = Itakura, 2 = Sakoe-Chiba).
    sakoe_chiba_radius : int or None
        Radius of the Sakoe-Chiba band.
    itakura_max_slope : float or None
        Maximum slope of the Itakura parallelogram.
    be : Backend, {"numpy", "pytorch", "cupy"} or None
        Backend of the returned array; by default the inputs' own library
        (numpy for sizes).

    Returns
    -------
    mask : bool array, shape (N, M)
        True where a path may pass (all True without a constraint).

    Examples
    --------
    >>> compute_mask(4, 4, sakoe_chiba_radius=1)
    array([[ True,  True, False, False],
           [ True,  True,  True, False],
           [False,  True,  True,  True],
           [False, False,  True,  True]])
    >>> compute_mask(4, 4, itakura_max_slope=2)
    array([[ True, False, False, False],
           [False,  True,  True, False],
           [False,  True,  True, False],
           [False, False, False,  True]])
    """
    if isinstance(s1, (int, np.integer)) and isinstance(s2, (int, np.integer)):
        be = backend_of(be=be)
        sz1, sz2 = check_int(s1, "s1", minimum=1), check_int(s2, "s2", minimum=1)
    else:
        be = backend_of(s1, s2, be=be)
        a, b, _ = series_pair(be, s1, s2, allow_batch=False)
        sz1, sz2 = int(a.lengths[0]), int(b.lengths[0])
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    return _mask(be, sz1, sz2, band)


# --------------------------------------------------------------------------- lower bounds
@fill_doc
def lb_envelope(ts, radius: int = 1, be: Any = None):
    """Envelope of a series for LB_Keogh: running min and max over ``i ± radius``.

    Parameters
    ----------
    ts : array-like, shape (sz,) or (sz, d)
        The series (trailing NaN rows are padding and are dropped).
    radius : int, default 1
        Half-width of the window (at least 0).
    %(be)s

    Returns
    -------
    envelope_down : array, shape (sz, d)
        Minimum of the series over each window.
    envelope_up : array, shape (sz, d)
        Maximum of the series over each window.

    Examples
    --------
    >>> env_low, env_up = lb_envelope([1, 2, 3, 2, 1], radius=1)
    >>> env_low.ravel()
    array([1., 1., 2., 1., 1.])
    >>> env_up.ravel()
    array([2., 3., 3., 3., 2.])
    """
    be = backend_of(ts, be=be)
    return _envelope(be, ts, radius, "ts")


def _envelope(be: Backend, ts, radius, name: str):
    radius = check_int(radius, "radius", minimum=0)
    a = single_series(be, ts, name)
    x = a.X[0, : int(a.lengths[0])]
    xp = be.xp
    down, up = x, x
    n = x.shape[0]
    for k in range(1, min(radius, n - 1) + 1):
        # fold in frame i-k (for i >= k), then frame i+k (for i < n-k)
        down = xp.concat([down[:k], xp.minimum(down[k:], x[: n - k])], axis=0)
        up = xp.concat([up[:k], xp.maximum(up[k:], x[: n - k])], axis=0)
        down = xp.concat([xp.minimum(down[: n - k], x[k:]), down[n - k :]], axis=0)
        up = xp.concat([xp.maximum(up[: n - k], x[k:]), up[n - k :]], axis=0)
    return down, up


def lb_keogh(ts_query, ts_candidate=None, radius: int = 1, envelope_candidate=None):
    """LB_Keogh lower bound of DTW between a query and a candidate (univariate).

    Give either ``ts_candidate`` (its envelope is computed with ``radius``)
    or a precomputed ``envelope_candidate = (down, up)``.  Query and
    candidate must have the same length.

    Parameters
    ----------
    ts_query : array-like, shape (sz,) or (sz, 1)
        The query series.
    ts_candidate : array-like, shape (sz,) or (sz, 1), or None
        The candidate series; None if ``envelope_candidate`` is given.
    radius : int, default 1
        Radius of the envelope computed from ``ts_candidate``.
    envelope_candidate : tuple of two arrays, or None
        ``(envelope_down, envelope_up)`` of the candidate, as returned by
        :func:`lb_envelope`.

    Returns
    -------
    float or 0-d array
        The lower bound: never larger than ``dtw(ts_query, ts_candidate,
        sakoe_chiba_radius=radius)``.

    Examples
    --------
    >>> env = lb_envelope([1, 2, 3, 2, 1], radius=1)
    >>> lb_keogh([0, 0, 0, 0, 0], envelope_candidate=env)
    2.8284271247461903
    >>> lb_keogh([0, 0, 0, 0, 0], ts_candidate=[1, 2, 3, 2, 1], radius=1)
    2.8284271247461903
    """
    if ts_candidate is None and envelope_candidate is None:
        raise ValueError("give ts_candidate or envelope_candidate")
    if ts_candidate is not None:
        be = backend_of(ts_query, ts_candidate)
        down, up = _envelope(be, ts_candidate, radius, "ts_candidate")
        cname = "ts_candidate"
    else:
        try:
            down, up = envelope_candidate
        except (TypeError, ValueError):
            raise ValueError(
                "envelope_candidate must be a pair (envelope_down, envelope_up)"
            ) from None
        be = backend_of(ts_query, down, up)
        down = _as_column(be, down, "envelope_candidate[0]")
        up = _as_column(be, up, "envelope_candidate[1]")
        cname = "envelope_candidate"
    q = _as_column(be, ts_query, "ts_query")
    for name, arr in (("ts_query", q), (cname, down)):
        if arr.shape[1] != 1:
            raise ValueError(f"{name}: LB_Keogh is available only for univariate time series")
    if q.shape[0] != down.shape[0]:
        raise ValueError(
            f"ts_query and {cname} must have the same length: got {q.shape[0]} and {down.shape[0]}"
        )
    xp = be.xp
    q, down, up = (xp.astype(v, xp.float64) if v.dtype != q.dtype else v for v in (q, down, up))
    zero = xp.zeros_like(q)
    above = xp.where(q > up, q - up, zero)
    below = xp.where(q < down, down - q, zero)
    value = xp.sqrt(xp.sum(above * above + below * below))
    return be.scalar(value)


def _as_column(be: Backend, x, name: str):
    arr = as_array(be, x, name)
    if arr.ndim == 1:
        arr = be.xp.reshape(arr, (arr.shape[0], 1))
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (sz,) or (sz, 1), got {tuple(arr.shape)}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must not be empty")
    check_finite(be, arr, name)
    return arr


# --------------------------------------------------------------------------- matrices
@fill_doc
def dtw_accumulated_matrix(s1, s2, mask, be: Any = None):
    r"""DTW accumulated-cost matrix of two series under a boolean mask.

    ``R[i, j] = C[i, j] + min(R[i-1, j-1], R[i-1, j], R[i, j-1])`` with ``C``
    the squared Euclidean cost; cells where ``mask`` is False hold ``inf``.

    Parameters
    ----------
    %(masked_pair)s

    Returns
    -------
    array, shape (N, M)
        The accumulated squared costs.

    Examples
    --------
    >>> dtw_accumulated_matrix([1, 2, 3], [1., 2., 2., 3.], compute_mask(3, 4))
    array([[0., 1., 2., 6.],
           [1., 0., 0., 1.],
           [5., 1., 1., 0.]])
    """
    be = backend_of(s1, s2, be=be)
    C, lx, ly = single_pair_costs(be, s1, s2)
    C = masked_costs(be, C, mask)
    return be.call_kernel("dtw", "dtw_acc", C, C, lx, ly, resolve_band())[0]


@fill_doc
def subsequence_cost_matrix(subseq, longseq, be: Any = None):
    r"""Accumulated-cost matrix of subsequence DTW (paths may start on any column).

    Parameters
    ----------
    subseq : array-like, shape (N,) or (N, d)
        The query.
    longseq : array-like, shape (M,) or (M, d)
        The series searched.
    %(be)s

    Returns
    -------
    array, shape (N, M)
        Accumulated squared costs; the last row gives the cost of the best
        match ending at each frame of ``longseq``.

    Examples
    --------
    >>> subsequence_cost_matrix([[2.], [3.]], [[1.], [2.], [2.], [3.], [4.]])
    array([[1., 0., 0., 1., 4.],
           [5., 1., 1., 0., 1.]])
    """
    be = backend_of(subseq, longseq, be=be)
    C, lx, ly = single_pair_costs(be, subseq, longseq, names=("subseq", "longseq"))
    return be.call_kernel("dtw", "dtw_acc", C, C, lx, ly, resolve_band(), subsequence=True)[0]


@fill_doc
def subsequence_path(acc_cost_mat, idx_path_end: int, be: Any = None):
    r"""Optimal subsequence-DTW path ending at frame ``idx_path_end`` of the long series.

    Parameters
    ----------
    acc_cost_mat : array-like, shape (N, M)
        From :func:`subsequence_cost_matrix`.
    idx_path_end : int
        Frame of the long series where the match ends.
    %(be)s

    Returns
    -------
    list of (int, int)
        From ``(0, start)`` to ``(N-1, idx_path_end)``; ties as in tslearn
        (diagonal, then up, then left).

    Examples
    --------
    >>> R = subsequence_cost_matrix([[2.], [3.]], [[1.], [2.], [2.], [3.], [4.]])
    >>> subsequence_path(R, 3)
    [(0, 2), (1, 3)]
    """
    be = backend_of(acc_cost_mat, be=be)
    R = as_array(be, acc_cost_mat, "acc_cost_mat")
    if R.ndim != 2 or R.shape[0] == 0 or R.shape[1] == 0:
        raise ValueError(f"acc_cost_mat must be a non-empty (N, M) matrix, got {tuple(R.shape)}")
    n, m = int(R.shape[0]), int(R.shape[1])
    end = check_int(idx_path_end, "idx_path_end", minimum=0)
    if end >= m:
        raise ValueError(f"idx_path_end must be < {m} (the long series' length), got {end}")
    if be.is_pytorch:
        R = R.detach()
    lx, ly = np.array([n], dtype=np.int64), np.array([m], dtype=np.int64)
    end_j = np.array([end], dtype=np.int64)
    paths, plen = be.call_kernel(
        "dtw", "dtw_paths", R[None], R[None], lx, ly, end_j=end_j, subsequence=True
    )
    return path_lists(be, paths, plen)[0]
