r"""Forecasting errors of tslearn.metrics.performance: ``mae``, ``mse``, ``mase``.

Errors are averaged over the series (optionally weighted by ``ts_weights``),
then over the time stamps (optionally weighted by ``timestamps_weights``),
then over the features as ``multioutput`` says.
"""

from __future__ import annotations

import numpy as np

from ._lib.backend import backend_of
from ._lib.docs import add_fragments, fill_doc
from ._lib.validation import check_int
from ._lib.validation import dataset as as_dataset

__all__ = ["mae", "mse", "mase"]

add_fragments(
    errors_params="""\
y_true : array-like, shape (n_ts, sz, d) (or (n_ts, sz))
    Ground truth.
y_pred : array-like, same shape
    Predictions.
ts_weights : array-like, shape (n_ts,), or None
    Weights of the series.
timestamps_weights : array-like, shape (sz,), or None
    Weights of the time stamps.
multioutput : {"uniform_average", "raw_values"} or array-like, shape (d,)
    How the per-feature errors are combined.""",
    errors_returns="""\
float or numpy.ndarray, shape (d,)
    The error (per feature with ``multioutput="raw_values"``).""",
    errors_sections="""\
Parameters
----------
%(errors_params)s

Returns
-------
%(errors_returns)s""",
)


def _host_dataset(x, name: str) -> np.ndarray:
    be = backend_of(x)
    A = as_dataset(be, x, name)
    X = be.to_numpy(A.X).astype(np.float64)
    full = A.lengths == X.shape[1]
    if not np.all(full):
        X = X.copy()
        X[np.arange(X.shape[1])[None, :] >= A.lengths[:, None]] = np.nan
    return X


def _pair(y_true, y_pred):
    yt = _host_dataset(y_true, "y_true")
    yp = _host_dataset(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {yt.shape} and {yp.shape}."
        )
    if np.isnan(yt).any() or np.isnan(yp).any():
        raise ValueError("y_true and y_pred must hold series of one common length (no NaN)")
    return yt, yp


def _weights(w, n: int, name: str):
    if w is None:
        return None
    w = np.asarray(w, dtype=np.float64).ravel()
    if w.shape[0] != n:
        raise ValueError(f"{name} must have {n} entries, got {w.shape[0]}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() == 0:
        raise ValueError(f"{name} must be finite, non-negative and not all zero")
    return w


def _reduce(err, ts_weights, timestamps_weights, multioutput):
    n, sz, d = err.shape
    per = np.average(err, axis=0, weights=_weights(ts_weights, n, "ts_weights"))  # (sz, d)
    tw = _weights(timestamps_weights, sz, "timestamps_weights")
    res = per.mean(axis=0) if tw is None else tw @ per / tw.sum()
    return _features(res, multioutput)


def _features(res, multioutput):
    if isinstance(multioutput, str):
        if multioutput == "uniform_average":
            return float(res.mean())
        if multioutput == "raw_values":
            return res
        raise ValueError(
            f"multioutput must be 'uniform_average', 'raw_values' or weights, got {multioutput!r}"
        )
    w = _weights(multioutput, res.shape[0], "multioutput")
    return float(w @ res / w.sum())


@fill_doc
def mae(y_true, y_pred, ts_weights=None, timestamps_weights=None, multioutput="uniform_average"):
    r"""Mean absolute error between two datasets of series.

    %(errors_sections)s

    Examples
    --------
    >>> mae([[1., 2., 3.]], [[1., 2., 5.]])
    0.6666666666666666
    """
    yt, yp = _pair(y_true, y_pred)
    return _reduce(np.abs(yt - yp), ts_weights, timestamps_weights, multioutput)


@fill_doc
def mse(y_true, y_pred, ts_weights=None, timestamps_weights=None, multioutput="uniform_average"):
    r"""Mean squared error between two datasets of series.

    Same arguments as :func:`mae`.

    %(errors_sections)s

    Examples
    --------
    >>> mse([[1., 2., 3.]], [[1., 2., 5.]])
    1.3333333333333333
    """
    yt, yp = _pair(y_true, y_pred)
    return _reduce((yt - yp) ** 2, ts_weights, timestamps_weights, multioutput)


@fill_doc
def mase(
    y_true,
    y_pred,
    train_data,
    seasonal_period: int = 1,
    ts_weights=None,
    timestamps_weights=None,
    multioutput="uniform_average",
):
    r"""Mean absolute scaled error: the MAE over the in-sample naive forecast's MAE.

    Parameters
    ----------
    %(errors_params)s
    train_data : array-like, shape (n, sz_train, d)
        Series the naive seasonal forecast is measured on (NaN padding allowed).
    seasonal_period : int
        Lag of the naive forecast.

    Returns
    -------
    %(errors_returns)s
        Each feature is scaled by its own naive error.

    Examples
    --------
    >>> mase([[1., 2., 3.]], [[1., 2., 5.]], train_data=[[0., 1., 2., 3.]])
    0.6666666666666666
    """
    seasonal_period = check_int(seasonal_period, "seasonal_period", minimum=1)
    train = _host_dataset(train_data, "train_data")
    if seasonal_period >= train.shape[1]:
        raise ValueError(
            f"seasonal_period must be smaller than train_data's length ({train.shape[1]})"
        )
    per_feature = mae(y_true, y_pred, ts_weights, timestamps_weights, "raw_values")
    naive = np.abs(train[:, :-seasonal_period] - train[:, seasonal_period:])
    scale = np.nanmean(naive, axis=(0, 1))
    if np.any(scale == 0) or np.any(np.isnan(scale)):
        raise ValueError("train_data: the naive forecast error is zero or undefined")
    return _features(per_feature / scale, multioutput)
