r"""Longest Common Subsequence (LCSS) similarity: tslearn's API.

.. math::

    LCSS(X, Y) = \frac{1}{\min(N, M)} \max_{\pi} |\pi|

over the sets :math:`\pi` of pairs :math:`(i_1, j_1), \dots, (i_k, j_k)`,
strictly increasing in both indices, with :math:`\|X_{i} - Y_{j}\| \le
\epsilon` for each pair (and each pair inside the global constraint).  The
value lies in [0, 1] (1: the shorter series is matched in full).  It is a
count, so it is not differentiable; it runs on numpy, torch (CPU and CUDA) and
CuPy arrays (``kernels/cuda/lcss.cu`` on a GPU) and returns a Python float, as
tslearn does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.costs import sq_euclidean
from ._lib.docs import add_fragments, fill_doc
from ._lib.frame_metrics import metric_pair
from ._lib.paths import path_lists
from ._lib.validation import check_float, series_pair

__all__ = ["lcss", "lcss_path", "lcss_path_from_metric"]

add_fragments(
    # the whole Parameters section of the family's pair functions
    lcss_parameters="""\
%(pair_parameters)s
eps : float
    Two frames match when their Euclidean distance is at most ``eps``.
%(constraint)s
%(be)s""",
)


def _run(be, D, lx, ly, band, eps, want_path):
    if be.is_pytorch:
        D = D.detach()
    A = be.call_kernel("lcss", "lcss_acc", D, D, lx, ly, band, eps)
    # the end counts only: gathered where A lives, B numbers come to the host
    xp = be.xp
    dev = be.device_of(A)
    ends = A[xp.arange(len(lx), device=dev), xp.asarray(lx, device=dev), xp.asarray(ly, device=dev)]
    counts = be.to_numpy(ends) if not be.is_numpy else ends
    values = counts / np.minimum(lx, ly)  # float64; batches get the inputs' type
    if not want_path:
        return values, None
    paths, plen = be.call_kernel("lcss", "lcss_paths", D, D, A, lx, ly, band, eps)
    return values, path_lists(be, paths, plen)


def _batch_values(be, values, D):
    """A batch's similarities (float64 ratios of counts) in the inputs' float type."""
    return values.astype(be.to_numpy(D[:0]).dtype)


def _series(s1, s2, eps, constraint, be):
    """The backend, frame distances, lengths, band, ``eps`` and ``batched`` of a pair."""
    be = backend_of(s1, s2, be=be)
    eps = check_float(eps, "eps", nonnegative=True)
    band = resolve_band(*constraint)
    a, b, batched = series_pair(be, s1, s2)
    D = be.xp.sqrt(sq_euclidean(be, a.X, b.X))
    return be, D, a.lengths, b.lengths, band, eps, batched


@fill_doc
def lcss(
    s1,
    s2,
    eps: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""LCSS similarity between two series (or batches of pairs).

    %(lcss_parameters)s

    Returns
    -------
    float or numpy.ndarray
        The similarity in [0, 1]; for a batch a numpy array of shape (B,) in
        the inputs' float type.

    Examples
    --------
    >>> lcss([1, 2, 3], [1., 2., 2., 3.])
    1.0
    >>> round(lcss([1, 2, 3], [-2., 5., 7.], eps=3), 2)
    0.67
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, D, lx, ly, band, eps, batched = _series(s1, s2, eps, constraint, be)
    values, _ = _run(be, D, lx, ly, band, eps, want_path=False)
    return _batch_values(be, values, D) if batched else float(values[0])


@fill_doc
def lcss_path(
    s1,
    s2,
    eps: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""LCSS similarity and the matched pairs between two series.

    Same arguments as :func:`lcss`.  The pairs are backtracked as in tslearn:
    from the end, a matching pair is taken, otherwise the step goes up when
    that keeps more matches than going left.

    %(lcss_parameters)s

    Returns
    -------
    path : list of (int, int)
        The matched pairs, in increasing order; for a batch, one list per pair.
    similarity : float or numpy.ndarray
        As returned by :func:`lcss`.

    Examples
    --------
    >>> path, sim = lcss_path([1., 2., 3.], [1., 2., 2., 3.])
    >>> path
    [(0, 1), (1, 2), (2, 3)]
    >>> sim
    1.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, D, lx, ly, band, eps, batched = _series(s1, s2, eps, constraint, be)
    values, paths = _run(be, D, lx, ly, band, eps, want_path=True)
    if batched:
        return paths, _batch_values(be, values, D)
    return paths[0], float(values[0])


@fill_doc
def lcss_path_from_metric(
    s1,
    s2=None,
    eps: float = 1.0,
    metric: Any = "euclidean",
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    **kwds,
):
    r"""LCSS similarity and matched pairs for an arbitrary frame metric.

    Parameters
    ----------
    %(metric_series)s
    eps : float
        Two frames match when their distance is at most ``eps``.
    metric : str, callable or "precomputed"
        Frame distance: a name ("euclidean" by default, "sqeuclidean",
        "cityblock", ...; on numpy any scipy metric), a callable
        ``metric(x_i, y_j, **kwds)`` or "precomputed".
    %(metric_rest)s

    Returns
    -------
    path : list of (int, int)
        The matched pairs.
    similarity : float
        As returned by :func:`lcss`.

    Examples
    --------
    >>> path, sim = lcss_path_from_metric([1., 2., 3.], [-2., 5., 7.], eps=3, metric="cityblock")
    >>> path
    [(0, 0), (2, 1)]
    >>> round(sim, 2)
    0.67
    """
    be = backend_of(s1, s2, be=be)
    eps = check_float(eps, "eps", nonnegative=True)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    D, lx, ly = metric_pair(be, s1, s2, metric, kwds)
    values, paths = _run(be, D, lx, ly, band, eps, want_path=True)
    return paths[0], float(values[0])
