r"""DILATE, the shape-and-time loss for forecasting, and the TDI metric.

DILATE (Le Guen & Thome, NeurIPS 2019) compares a batch of predicted series
with their targets through soft-DTW on the squared-Euclidean cost
:math:`D_b[i, j] = \|y^{true}_{b,i} - y^{pred}_{b,j}\|^2`:

- the *shape* term is the batch mean of :math:`\mathrm{soft\text{-}DTW}_\gamma(D_b)`;
- the *temporal* term is :math:`\sum_{ij} \bar A_{ij} \Omega_{ij} / (N M)` with
  :math:`\Omega_{ij} = (i - j)^2` and :math:`\bar A` the batch mean of the
  expected alignments :math:`A_b = \nabla_{D} \mathrm{soft\text{-}DTW}_\gamma(D_b)`
  (the Gibbs-weighted mean of the warping paths);
- the loss is ``alpha * shape + (1 - alpha) * temporal``.

On torch the three values are differentiable with the exact gradient of the
returned batch means (the temporal term's gradient is a Hessian-vector
product of soft-DTW, computed from the soft-min weights of the forward pass).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lib.backend import Backend, backend_of
from ._lib.constraints import NO_BAND
from ._lib.costs import sq_euclidean
from ._lib.docs import fill_doc
from ._lib.validation import (
    SeriesBatch,
    _fill_padding,
    as_array,
    check_features,
    check_float,
    common_float,
)

__all__ = ["dilate", "temporal_distortion_index"]


def _batch_array(be: Backend, x, name: str):
    arr = as_array(be, x, name)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    elif arr.ndim != 3:
        raise ValueError(
            f"{name} must have shape (B, N) (univariate) or (B, N, d), got {tuple(arr.shape)}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (B = 0)")
    return arr


def _validate(be: Backend, y_pred, y_true) -> tuple[SeriesBatch, SeriesBatch]:
    p = _batch_array(be, y_pred, "y_pred")
    t = _batch_array(be, y_true, "y_true")
    if p.shape[0] != t.shape[0]:
        raise ValueError(
            f"y_pred and y_true must have the same batch size: got {p.shape[0]} and {t.shape[0]}"
        )
    check_features(p, t, ("y_pred", "y_true"))
    p, t = common_float(be, p, t)
    ps = _fill_padding(be, p, "y_pred")
    ts = _fill_padding(be, t, "y_true")  # refuses inf too
    return ps, ts


@fill_doc
def dilate(y_pred, y_true, alpha: float = 0.5, gamma: float = 0.01, be: Any = None):
    r"""DILATE loss between a batch of predictions and their targets.

    .. math::

        \mathrm{DILATE} = \alpha \, \frac{1}{B} \sum_b \mathrm{soft\text{-}DTW}_\gamma(D_b)
        + (1 - \alpha) \, \frac{1}{N M} \sum_{i, j} \bar A_{ij} (i - j)^2,
        \qquad \bar A = \frac{1}{B} \sum_b \nabla_D \mathrm{soft\text{-}DTW}_\gamma(D_b)

    with :math:`D_b[i, j] = \|y^{true}_{b,i} - y^{pred}_{b,j}\|^2` (rows index the
    target, as in the paper's code; both terms are symmetric in the two series).

    Parameters
    ----------
    y_pred : array-like, shape (B, M) or (B, M, d)
        Predicted series; (B, M) means B univariate series.  Trailing all-NaN
        rows mark shorter series (tslearn's padding).
    y_true : array-like, shape (B, N) or (B, N, d)
        Target series.  N may differ from M; the temporal term of a pair of
        lengths n and m is then normalised by ``n * m`` (``N**2`` in the paper,
        where N = M), and with padding each pair uses its own lengths.
    alpha : float in [0, 1]
        Weight of the shape term (1: soft-DTW only, 0: temporal term only).
    gamma : float >= 0
        Smoothing of soft-DTW.  ``gamma = 0`` is accepted and means hard DTW:
        the shape term is the squared DTW cost and the alignment is the
        optimal path (the mean of the optimal paths when several tie exactly,
        which is the limit of the soft alignment as gamma -> 0).  The temporal
        term is then piecewise constant in the inputs, so its gradient is
        zero (exact almost everywhere, and what is returned): use
        ``gamma > 0`` to train on it.
    %(be)s

    Returns
    -------
    loss, loss_shape, loss_temporal : float or 0-d array
        Python floats on numpy, 0-d tensors (differentiable when an input
        requires grad) on torch, 0-d arrays on CuPy.  The gradient is that of
        these batch means (not B times it, unlike the reference code).

    Raises
    ------
    ValueError
        Batch sizes or feature sizes differ, bad shapes, ``alpha`` outside
        [0, 1], ``gamma < 0``, NaN inside a series, infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0., 1., 3., 2., 0.]])
    >>> y_pred = np.array([[0., 0., 1., 3., 2.]])  # y_true one step late
    >>> dilate(y_true, y_true, gamma=0)
    (0.0, 0.0, 0.0)
    >>> dilate(y_pred, y_true, alpha=0.5, gamma=0)
    (2.08, 4.0, 0.16)
    >>> loss, shape, temporal = dilate(y_pred, y_true, alpha=0.5, gamma=1.0)
    >>> round(loss, 4), round(shape, 4), round(temporal, 4)
    (1.2963, 2.3882, 0.2044)
    """
    be = backend_of(y_pred, y_true, be=be)
    alpha = check_float(alpha, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    gamma = check_float(gamma, "gamma", nonnegative=True)
    pred, true = _validate(be, y_pred, y_true)
    lx, ly = true.lengths, pred.lengths
    if be.needs_grad(pred.X, true.X):
        from ._torch.dilate import dilate_terms, dilate_terms_series, fused

        if fused(true.X, pred.X, gamma):  # CPU: lane groups, no cost matrix
            shape_b, temporal_b = dilate_terms_series(true.X, pred.X, lx, ly, gamma)
        else:
            D = sq_euclidean(be, true.X, pred.X)
            shape_b, temporal_b = dilate_terms(D, lx, ly, gamma)
    else:
        D = sq_euclidean(be, true.X, pred.X)
        shape_b, temporal_b, _, _ = be.call_kernel("dilate", "dilate_forward", D, D, lx, ly, gamma)
    xp = be.xp
    shape = xp.mean(shape_b)
    temporal = xp.mean(temporal_b)
    loss = alpha * shape + (1.0 - alpha) * temporal
    return be.scalar(loss), be.scalar(shape), be.scalar(temporal)


@fill_doc
def temporal_distortion_index(y_pred, y_true, be: Any = None):
    r"""Temporal Distortion Index of each pair: how far the DTW path strays.

    .. math::

        \mathrm{TDI}_b = \frac{1}{N M} \sum_{(i, j) \in \pi^*_b} (i - j)^2

    where :math:`\pi^*_b` is the optimal (hard) DTW path between
    ``y_true[b]`` (rows) and ``y_pred[b]`` (columns) under the
    squared-Euclidean cost, with tslearn's tie-break.  This is the evaluation
    metric of the DILATE paper (where N = M).

    Parameters
    ----------
    y_pred : array-like, shape (B, M) or (B, M, d)
        Predicted series ((B, M): univariate).  Trailing all-NaN rows are
        padding; each pair is normalised by its own lengths ``n * m``.
    y_true : array-like, shape (B, N) or (B, N, d)
        Target series.
    %(be)s

    Returns
    -------
    array, shape (B,)
        TDI of each pair in the inputs' float dtype (not differentiable: the
        path is piecewise constant in the inputs).

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0., 1., 3., 2., 0.], [0., 1., 3., 2., 0.]])
    >>> y_pred = np.array([[0., 0., 1., 3., 2.], [0., 1., 3., 2., 0.]])
    >>> temporal_distortion_index(y_pred, y_true)
    array([0.16, 0.  ])
    """
    be = backend_of(y_pred, y_true, be=be)
    pred, true = _validate(be, y_pred, y_true)
    C = sq_euclidean(be, true.X, pred.X)
    if be.is_pytorch:
        C = C.detach()
    lx, ly = true.lengths, pred.lengths
    R = be.call_kernel("dtw", "dtw_acc", C, C, lx, ly, NO_BAND)
    paths, plen = be.call_kernel("dtw", "dtw_paths", R, R, lx, ly)
    xp = be.xp
    L = paths.shape[1]
    dev = be.device_of(paths)
    steps = xp.arange(L, device=dev)
    valid = steps[None, :] < plen[:, None]
    diff = xp.astype(paths[..., 0] - paths[..., 1], C.dtype)
    sq = xp.where(valid, diff * diff, xp.zeros_like(diff))
    norm = xp.asarray(np.asarray(lx * ly, dtype=np.float64), device=dev)
    return xp.sum(sq, axis=1) / xp.astype(norm, C.dtype)
