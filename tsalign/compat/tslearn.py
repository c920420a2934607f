"""``tslearn.metrics`` with tslearn 0.10.0's behaviour where tsalign differs.

:mod:`tsalign.metrics` is tsalign's drop-in namespace; it keeps tsalign's
deliberate differences (see the coming-from page).  This module has the same
names and restores tslearn's behaviour for those differences:

- float32 inputs are computed and returned in float64 (tslearn casts);
- ``cdist_soft_dtw(..., gamma=0)`` and ``cdist_soft_dtw_normalized(..., gamma=0)``
  equal ``cdist_dtw`` (tslearn's value; tsalign returns DTW squared, consistent
  with ``soft_dtw(gamma=0)``);
- ``ctw`` / ``ctw_path`` / ``cdist_ctw`` return tslearn's numbers: tslearn's
  loop stops after one CCA step and reports the score of the first DTW;

Examples
--------
>>> import numpy as np
>>> from tsalign.compat import tslearn as metrics
>>> metrics.cdist_dtw(np.float32([[1, 2, 3]]), np.float32([[1, 2, 2, 4]])).dtype
dtype('float64')
>>> metrics.cdist_soft_dtw([[1., 2.], [2., 4.]], gamma=0)
array([[0.        , 2.23606798],
       [2.23606798, 0.        ]])
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from .. import metrics as _metrics
from .._lib.constraints import resolve_band
from .._lib.ctw import ctw_core

__all__ = list(_metrics.__all__)


def _to64(x):
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x.astype(np.float64)
    if isinstance(x, np.float32):
        return np.float64(x)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor) and x.dtype == torch.float32:
        return x.to(torch.float64)
    if isinstance(x, (list, tuple)) and x and not isinstance(x[0], (int, float)):
        return type(x)(_to64(v) for v in x)
    return x


def _float64(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        out = fn(*[_to64(a) for a in args], **{k: _to64(v) for k, v in kwargs.items()})
        if isinstance(out, np.floating):
            return np.float64(out)
        return out

    return wrapped


for _name in _metrics.__all__:
    _obj = getattr(_metrics, _name) if _name != "SoftDTWLossPyTorch" else None
    if callable(_obj) and not isinstance(_obj, type):
        globals()[_name] = _float64(_obj)
    elif _obj is not None:
        globals()[_name] = _obj


@_float64
def cdist_soft_dtw(dataset1, dataset2=None, gamma=1.0, be=None, compute_with_backend=False):
    """tslearn's ``cdist_soft_dtw``: at ``gamma=0``, ``cdist_dtw`` (not squared)."""
    if gamma == 0:
        return _metrics.cdist_dtw(dataset1, dataset2, be=be)
    return _metrics.cdist_soft_dtw(dataset1, dataset2, gamma=gamma, be=be)


@_float64
def cdist_soft_dtw_normalized(
    dataset1, dataset2=None, gamma=1.0, be=None, compute_with_backend=False
):
    """tslearn's ``cdist_soft_dtw_normalized``: at ``gamma=0``, ``cdist_dtw``."""
    if gamma == 0:
        return _metrics.cdist_dtw(dataset1, dataset2, be=be)
    return _metrics.cdist_soft_dtw_normalized(dataset1, dataset2, gamma=gamma, be=be)


def _host_series(s):
    from .._lib.backend import backend_of
    from .._lib.validation import single_series

    be = backend_of(s)
    a = single_series(be, s, "s")
    X = a.X[0, : int(a.lengths[0])]
    return be, np.ascontiguousarray(be.to_numpy(X), dtype=np.float64)


def ctw_path(
    s1,
    s2,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    verbose=False,
    be=None,
):
    """tslearn 0.10.0's CTW: the path after one CCA step, the score of the first DTW."""
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    return _ctw_path(s1, s2, max_iter, n_components, constraint)


def _ctw_path(s1, s2, max_iter, n_components, constraint):
    be1, x = _host_series(s1)
    _, y = _host_series(s2)
    band = resolve_band(*constraint)
    path, cca, sq = ctw_core(x, y, max_iter, n_components, band, tslearn_quirk=True)
    value = np.sqrt(sq)
    if not be1.is_numpy:
        value = be1.xp.asarray(value)
    return path, cca, value


def ctw(
    s1,
    s2,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    verbose=False,
    be=None,
):
    """tslearn 0.10.0's CTW score (see :func:`ctw_path`)."""
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    return _ctw_path(s1, s2, max_iter, n_components, constraint)[-1]


def cdist_ctw(
    dataset1,
    dataset2=None,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    """tslearn 0.10.0's ``cdist_ctw`` (see :func:`ctw_path`)."""
    from .._lib.backend import backend_of
    from .._lib.validation import dataset as as_dataset

    bk = backend_of(dataset1, dataset2, be=be)
    A = as_dataset(bk, dataset1, "dataset1")
    B = A if dataset2 is None else as_dataset(bk, dataset2, "dataset2")

    def series(S, k):
        return bk.to_numpy(S.X[k, : int(S.lengths[k])]).astype(np.float64)

    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    out = np.zeros((A.X.shape[0], B.X.shape[0]))
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            if dataset2 is None and a == b:
                continue
            out[a, b] = _ctw_path(series(A, a), series(B, b), max_iter, n_components, constraint)[
                -1
            ]
    return out if bk.is_numpy else bk.xp.asarray(out)


def __getattr__(name: str):
    if name == "SoftDTWLossPyTorch":
        return _metrics.SoftDTWLossPyTorch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
