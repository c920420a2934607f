r"""Canonical Time Warping (CTW, Zhou & De la Torre 2009): tslearn's API.

CTW aligns two series that may have different feature spaces: it alternates
DTW (the alignment) and canonical correlation analysis (a linear projection
of each series into a common space of ``n_components`` dimensions), until the
alignment stops changing.  The value is the DTW distance between the final
projections.  Computed in float64 on the host (CCA is a small dense
problem); the value is returned in the inputs' library.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.ctw import CCAProjection, ctw_core
from ._lib.docs import add_fragments, fill_doc
from ._lib.pairs import cdist_job
from ._lib.progress import Progress
from ._lib.validation import as_array, check_int, single_series

__all__ = ["ctw", "ctw_path", "cdist_ctw", "CCAProjection"]

add_fragments(
    # the whole Parameters section of the family's pair functions
    ctw_parameters="""\
Parameters
----------
s1 : array-like, shape (N,) or (N, d1)
    A series.
s2 : array-like, shape (M,) or (M, d2)
    Another series (its feature size may differ).
max_iter : int
    Largest number of DTW passes.
n_components : int or None
    Dimension of the common space (default: the smaller feature size).
%(constraint)s
verbose : bool
    Accepted for tslearn compatibility.
%(be)s""",
)


def _host(be, s, name):
    a = single_series(be, s, name)
    X = a.X[0, : int(a.lengths[0])]
    X = be.to_numpy(X) if not be.is_numpy else X
    return np.ascontiguousarray(X, dtype=np.float64)


def _args(max_iter, n_components, x, y):
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if n_components is not None:
        n_components = check_int(n_components, "n_components", minimum=1)
        if n_components > min(x.shape[1], y.shape[1]):
            raise ValueError(
                f"n_components must be <= the smaller feature size "
                f"({min(x.shape[1], y.shape[1])}), got {n_components}"
            )
    return max_iter, n_components


def _out(be, v, like):
    if be.is_numpy:
        return float(v)
    return be.xp.asarray(v, dtype=be.xp.float64, device=be.device_of(like))


@fill_doc
def ctw_path(
    s1,
    s2,
    max_iter: int = 100,
    n_components: int | None = None,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    verbose: bool = False,
    be: Any = None,
):
    r"""CTW path, fitted projections and distance between two series.

    %(ctw_parameters)s

    Returns
    -------
    path : list of (int, int)
        The alignment of the two series.
    cca : CCAProjection or None
        The last fitted projections (None when ``max_iter == 1``).
    distance : float or 0-d array
        DTW between the projected series.

    Examples
    --------
    >>> path, cca, dist = ctw_path([1, 2, 3], [1., 2., 2., 3.])
    >>> path
    [(0, 0), (1, 1), (1, 2), (2, 3)]
    >>> round(dist, 6)
    0.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    return _ctw_path(s1, s2, max_iter, n_components, constraint, be)


def _ctw_path(s1, s2, max_iter, n_components, constraint, be):
    be = backend_of(s1, s2, be=be)
    band = resolve_band(*constraint)
    x, y = _host(be, s1, "s1"), _host(be, s2, "s2")
    max_iter, n_components = _args(max_iter, n_components, x, y)
    path, cca, sq = ctw_core(x, y, max_iter, n_components, band)
    like = as_array(be, s1, "s1")
    return path, cca, _out(be, np.sqrt(sq), like)


@fill_doc
def ctw(
    s1,
    s2,
    max_iter: int = 100,
    n_components: int | None = None,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    verbose: bool = False,
    be: Any = None,
):
    r"""CTW distance between two series.

    Same arguments as :func:`ctw_path`.

    %(ctw_parameters)s

    Returns
    -------
    float or 0-d array
        The distance.

    Examples
    --------
    >>> round(ctw([1, 2, 3], [1., 2., 2., 3.]), 6)
    0.0
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    return _ctw_path(s1, s2, max_iter, n_components, constraint, be)[-1]


@fill_doc
def cdist_ctw(
    dataset1,
    dataset2=None,
    max_iter: int = 100,
    n_components: int | None = None,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
):
    r"""CTW distance between every pair of series of two datasets.

    Parameters
    ----------
    %(dataset1)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself (zero diagonal).
    max_iter : int
        As in :func:`ctw_path`.
    n_components : int or None
        As in :func:`ctw_path`.
    %(constraint)s
    n_jobs : int or None
        Accepted for tslearn compatibility (pairs run one after another).
    %(verbose)s
    %(be)s

    Returns
    -------
    array, shape (n1, n2)
        The CTW distances.

    Examples
    --------
    >>> cdist_ctw([[1, 2, 2, 3], [1., 2., 3., 4.]]).round(6)
    array([[0.      , 0.751955],
           [0.751955, 0.      ]])
    """
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    # CTW compares series of different feature sizes
    job = cdist_job(dataset1, dataset2, be, constraint, n_jobs, verbose, same_features=False)
    be, A = job.be, job.A

    def series(S, k):
        X = S.X[k, : int(S.lengths[k])]
        X = be.to_numpy(X) if not be.is_numpy else X
        return np.ascontiguousarray(X, dtype=np.float64)

    ia, ib = job.pairs()
    vals = np.empty(len(ia))
    progress = Progress("cdist_ctw") if job.verbose > 0 else None
    for p, (a, b) in enumerate(zip(ia, ib, strict=True)):
        x, y = series(A, a), series(job.B, b)
        mi, nc = _args(max_iter, n_components, x, y)
        vals[p] = np.sqrt(ctw_core(x, y, mi, nc, job.band)[2])
        if progress is not None and (p + 1) % max(1, len(ia) // 20) == 0:
            progress(p + 1, len(ia))
    if progress is not None:
        progress(len(ia), len(ia))
    return job.fill(be.xp.asarray(vals, device=be.device_of(A.X)), ia, ib)
