r"""Barycenters of time series: tslearn's four functions on numpy, PyTorch and CuPy.

- :func:`euclidean_barycenter`: the frame-wise weighted mean;
- :func:`dtw_barycenter_averaging` (DBA, Petitjean et al. 2011, as the
  majorize-minimize mean of Schultz & Jain 2018): alternately align every
  series to the barycenter with its exact DTW path and replace each barycenter
  frame by the weighted mean of the frames aligned with it;
- :func:`dtw_barycenter_averaging_subgradient`: the stochastic subgradient
  mean of Schultz & Jain;
- :func:`softdtw_barycenter` (Cuturi & Blondel 2017): the minimiser of
  :math:`\sum_i w_i\, \text{soft-DTW}_\gamma(Z, X_i)` (or, with
  ``divergence=True``, of the soft-DTW divergence, which is not biased towards
  flat barycenters) by L-BFGS.

Datasets follow tslearn: ``(n, sz, d)``, ``(n, sz)`` or a list of series of
different lengths; trailing all-NaN rows are padding.  Results are arrays of
the input's library, on its device, in its float type (float32 stays
float32).  Every DBA iteration is one pass over the whole dataset (one kernel
call on the CPU), the soft-DTW objective one batched forward/backward: there
is no Python loop over the series.  The barycenters are not differentiable
(inputs that require grad are detached).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lib.backend import Backend, backend_of
from ._lib.barycenter import (
    band_from_params,
    check_random_state,
    check_weights,
    dba_cost,
    dba_lockstep,
    detach,
    minimize_lbfgs,
    nanmean_init,
    on_device,
    resample,
    sdtw_objective,
    subgradient_epoch,
)
from ._lib.validation import (
    SeriesBatch,
    check_float,
    check_int,
    common_float,
    dataset,
    single_series,
)

__all__ = [
    "euclidean_barycenter",
    "dtw_barycenter_averaging",
    "dtw_barycenter_averaging_subgradient",
    "softdtw_barycenter",
]


# --------------------------------------------------------------------------- helpers
def _data(be: Backend, X) -> SeriesBatch:
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("X is an empty dataset")
    data = dataset(be, X, "X")
    return SeriesBatch(detach(be, data.X), data.lengths)


def _init_series(be: Backend, init, name: str, data: SeriesBatch):
    """A user's initial barycenter (trailing NaN rows dropped), dtype-matched with X."""
    s = single_series(be, init, name)
    Z = detach(be, s.X[0, : int(s.lengths[0])])
    if Z.shape[1] != data.X.shape[2]:
        raise ValueError(
            f"{name} must have the dataset's feature size d={data.X.shape[2]}, got d={Z.shape[1]}"
        )
    if be.on_gpu(Z) != be.on_gpu(data.X) or (be.is_pytorch and Z.device != data.X.device):
        raise ValueError(f"{name} must live on the same device as X")
    Xc, Z = common_float(be, data.X, Z)
    return SeriesBatch(Xc, data.lengths), Z


def _size(barycenter_size, data: SeriesBatch) -> int:
    if barycenter_size is None:
        return int(np.max(data.lengths))
    return check_int(barycenter_size, "barycenter_size", minimum=1)


def _dba_setup(be, X, barycenter_size, init_barycenter, weights, metric_params):
    data = _data(be, X)
    w = check_weights(weights, data.X.shape[0])
    band = band_from_params(metric_params)
    if init_barycenter is None:
        Z = nanmean_init(be, data, _size(barycenter_size, data))
    else:
        if barycenter_size is not None:
            check_int(barycenter_size, "barycenter_size", minimum=1)
        data, Z = _init_series(be, init_barycenter, "init_barycenter", data)
    return data, w, band, Z


def _check_iter(max_iter, tol):
    return check_int(max_iter, "max_iter", minimum=0), check_float(tol, "tol", nonnegative=True)


# --------------------------------------------------------------------------- public
def euclidean_barycenter(X, weights=None, be: Any = None):
    """Euclidean barycenter: the frame-wise weighted mean of equal-length series.

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz)
        Time series dataset (all series of the same length).
    weights : None or array-like, shape (n_ts,)
        Non-negative weights of the series, not all zero (None: uniform).
    be : Backend, str or None
        Backend; by default the input's own library.

    Returns
    -------
    array, shape (sz, d)
        The barycenter, in X's library and float type.

    Examples
    --------
    >>> euclidean_barycenter([[1, 2, 3, 4], [1, 2, 4, 5]])
    array([[1. ],
           [2. ],
           [3.5],
           [4.5]])
    >>> euclidean_barycenter([[0, 0], [4, 8]], weights=[3, 1])
    array([[1.],
           [2.]])
    """
    be = backend_of(X, be=be)
    data = _data(be, X)
    if np.any(data.lengths != data.lengths[0]):
        raise ValueError(
            "X: euclidean_barycenter needs series of equal length, got lengths from "
            f"{int(data.lengths.min())} to {int(data.lengths.max())}"
        )
    w = check_weights(weights, data.X.shape[0])
    xp = be.xp
    wd = xp.astype(on_device(be, w, data.X), data.X.dtype)
    return xp.sum(wd[:, None, None] * data.X, axis=0) / xp.sum(wd)


def dtw_barycenter_averaging(
    X,
    barycenter_size=None,
    init_barycenter=None,
    max_iter=30,
    tol=1e-5,
    weights=None,
    metric_params=None,
    verbose=False,
    n_init=1,
    n_jobs=None,
    be: Any = None,
):
    r"""DTW Barycenter Averaging (DBA).

    Majorize-minimize iterations (Petitjean et al. 2011; Schultz & Jain 2018):
    align every series to the barycenter with its optimal DTW path, then set
    each barycenter frame to the weighted mean of the frames aligned with it.
    Each iteration is one pass over the dataset; the cost
    :math:`\sum_i w_i\, DTW(Z, X_i)^2 / \sum_i w_i` never increases.

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
        Time series dataset (series of different lengths: a list, or NaN padding).
    barycenter_size : int or None
        Size of the barycenter; None: the longest series' (or the initial
        barycenter's) size.
    init_barycenter : array-like, shape (bsz, d) or (bsz,), or None
        Starting point; None: the frame-wise mean of X (over the series
        present at each frame), linearly resampled to ``barycenter_size``.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the cost changes by less than ``tol`` (after the update of
        that iteration).  An increasing cost also stops, with a
        ConvergenceWarning.
    weights : None or array-like, shape (n_ts,)
        Non-negative weights of the series, not all zero (None: uniform).
    metric_params : dict or None
        DTW constraint: ``global_constraint``, ``sakoe_chiba_radius``,
        ``itakura_max_slope`` (as in :func:`tsalign.dtw`).
    verbose : bool
        Print the cost of each iteration.
    n_init : int
        tslearn's number of trials; its initialisation is deterministic, so
        every trial gives the same barycenter and one is computed.
    n_jobs : int or None
        CPU threads (None or -1: all of numba's threads).
    be : Backend, str or None
        Backend; by default the input's own library.

    Returns
    -------
    array, shape (barycenter_size, d)
        The barycenter, in X's library, device and float type.

    Examples
    --------
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 4, 5]], max_iter=5)
    array([[1. ],
           [2. ],
           [3.5],
           [4.5]])
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 3, 4, 5]], max_iter=5)
    array([[1. ],
           [2. ],
           [3. ],
           [4. ],
           [4.5]])
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 3, 4, 5]], max_iter=5,
    ...                          metric_params={"itakura_max_slope": 2})
    array([[1. ],
           [2. ],
           [3. ],
           [3.5],
           [4.5]])
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 3, 4, 5]], max_iter=5,
    ...                          barycenter_size=3)
    array([[1.5       ],
           [3.        ],
           [4.33333333]])
    >>> dtw_barycenter_averaging([[0, 0, 0], [10, 10, 10]], max_iter=1,
    ...                          weights=[0.75, 0.25])
    array([[2.5],
           [2.5],
           [2.5]])
    """
    from . import kernels

    be = backend_of(X, init_barycenter, be=be)
    max_iter, tol = _check_iter(max_iter, tol)
    check_int(n_init, "n_init", minimum=1)
    data, w, band, Z = _dba_setup(be, X, barycenter_size, init_barycenter, weights, metric_params)
    n = data.X.shape[0]
    with kernels.threads(n_jobs):
        Z, _ = dba_lockstep(
            be,
            data.X,
            data.lengths,
            Z[None],
            np.zeros(n, dtype=np.int64),
            w,
            band,
            max_iter,
            tol,
            bary_first=True,
            verbose=bool(verbose),
        )
    return Z[0]


def dtw_barycenter_averaging_subgradient(
    X,
    barycenter_size=None,
    init_barycenter=None,
    max_iter=30,
    initial_step_size=0.05,
    final_step_size=0.005,
    tol=1e-5,
    random_state=None,
    weights=None,
    metric_params=None,
    verbose=False,
    be: Any = None,
):
    r"""DBA by stochastic subgradient descent (Schultz & Jain 2018).

    Each epoch visits the series in a random order; series :math:`X_i` (weight
    :math:`w_i > 0`) moves the barycenter by
    :math:`-\frac{2\eta n}{\sum_j w_j} w_i (V_i Z - W_i X_i)`, with
    :math:`W_i` the 0/1 matrix of its optimal DTW path and :math:`V_i` its
    row sums.  The step :math:`\eta` goes linearly from ``initial_step_size``
    to ``final_step_size`` over the first epoch.  Stops after ``max_iter``
    epochs or when the DBA cost of an epoch is within ``tol`` of the best so
    far.

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
        Time series dataset.
    barycenter_size : int or None
        Size of the barycenter (None: the longest series', or the initial
        barycenter's).
    init_barycenter : array-like or None
        Starting point (None: the frame-wise mean, resampled).
    max_iter : int
        Maximum number of epochs.
    initial_step_size, final_step_size : float
        Step sizes at the start and at the end of the first epoch.
    tol : float
        Tolerance on the change of the cost.
    random_state : int, numpy RandomState or None
        Order of the series in each epoch (``permutation`` of this generator,
        as in tslearn).
    weights : None or array-like, shape (n_ts,)
        Non-negative weights, not all zero.
    metric_params : dict or None
        DTW constraint (``global_constraint``, ``sakoe_chiba_radius``,
        ``itakura_max_slope``).
    verbose : bool
        Print the cost of each epoch.
    be : Backend, str or None
        Backend.

    Returns
    -------
    array, shape (barycenter_size, d)
        The barycenter after the last epoch (tslearn returns the same: its
        "best" barycenter is updated in place).

    Examples
    --------
    >>> dtw_barycenter_averaging_subgradient([[1, 2, 3, 4], [1, 2, 4, 5]],
    ...                                      max_iter=10, random_state=0).round(4)
    array([[1.    ],
           [2.    ],
           [3.5168],
           [4.5168]])
    """
    be = backend_of(X, init_barycenter, be=be)
    max_iter, tol = _check_iter(max_iter, tol)
    eta0 = check_float(initial_step_size, "initial_step_size", nonnegative=True)
    eta1 = check_float(final_step_size, "final_step_size", nonnegative=True)
    rng = check_random_state(random_state)
    data, w, band, Z = _dba_setup(be, X, barycenter_size, init_barycenter, weights, metric_params)
    n = data.X.shape[0]
    eta = eta0
    best_cost = np.inf
    for it in range(max_iter):
        order = rng.permutation(n).astype(np.int64)
        Z, eta = subgradient_epoch(
            be, data.X, data.lengths, Z, order, w, band, eta, eta0 - eta1, it == 0
        )
        cost = dba_cost(be, data.X, data.lengths, Z, w, band)
        if verbose:
            print(f"[DBA] epoch {it + 1}, cost: {cost:.3f}")
        if abs(best_cost - cost) < tol:
            break
        best_cost = min(cost, best_cost)
    return Z


def softdtw_barycenter(
    X,
    gamma=1.0,
    weights=None,
    tol=1e-3,
    max_iter=50,
    init=None,
    n_jobs=None,
    divergence: bool = False,
    method: str = "L-BFGS-B",
    be: Any = None,
    **metric_params,
):
    r"""Soft-DTW barycenter (Cuturi & Blondel 2017).

    Minimises :math:`F(Z) = \sum_i w_i\, \text{soft-DTW}_\gamma(Z, X_i)` by
    L-BFGS from ``init``; with ``divergence=True`` the soft-DTW divergence
    :math:`\sum_i w_i \left(\text{sdtw}(Z, X_i) - \tfrac12 \text{sdtw}(Z, Z) -
    \tfrac12 \text{sdtw}(X_i, X_i)\right)` (Blondel, Mensch & Vert 2021), whose
    minimiser is not shrunk towards a flat series.  The gradient
    :math:`\nabla F = 2 \sum_i w_i (\mathrm{diag}(E_i 1) Z - E_i X_i)` comes
    from the expected alignments :math:`E_i` of one batched forward/backward
    over the dataset.

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
        Time series dataset.
    gamma : float
        Smoothing, > 0.
    weights : None or array-like, shape (n_ts,)
        Non-negative weights, not all zero (None: uniform).
    tol : float
        Tolerance of the optimiser (scipy's ``tol``; for torch's L-BFGS the
        tolerance on the gradient).
    max_iter : int
        Maximum number of L-BFGS iterations (0: return the initialisation).
    init : array-like, shape (bsz, d) or (bsz,), or None
        Starting point; None: the weighted Euclidean barycenter (of the series
        resampled to the longest length when lengths differ), as in tslearn.
    n_jobs : int or None
        CPU threads (None or -1: all).
    divergence : bool
        Minimise the soft-DTW divergence instead of soft-DTW.
    method : str
        ``"L-BFGS-B"`` (default): scipy's L-BFGS-B for CPU arrays (as tslearn),
        ``torch.optim.LBFGS`` (strong Wolfe line search) for torch tensors on a
        GPU; ``"torch"``: ``torch.optim.LBFGS`` for any torch tensor; any other
        name is passed to ``scipy.optimize.minimize``.
    be : Backend, str or None
        Backend.
    **metric_params
        Constraint: ``global_constraint``, ``sakoe_chiba_radius``,
        ``itakura_max_slope``.

    Returns
    -------
    array, shape (bsz, d)
        The barycenter, in X's library, device and float type (``bsz`` is
        the size of ``init``, or the longest series').

    Examples
    --------
    >>> softdtw_barycenter([[1, 2, 3, 4], [1, 2, 4, 5]], max_iter=5).round(4)
    array([[1.2516],
           [2.0382],
           [3.5102],
           [4.3614]])
    >>> Z = softdtw_barycenter([[1, 2, 3, 4], [1, 2, 4, 5]], gamma=.1, divergence=True)
    >>> Z.shape
    (4, 1)
    """
    from . import kernels

    be = backend_of(X, init, be=be)
    gamma = check_float(gamma, "gamma", positive=True)
    max_iter, tol = _check_iter(max_iter, tol)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    band = band_from_params(metric_params, name="metric_params")
    data = _data(be, X)
    w = check_weights(weights, data.X.shape[0])
    if init is None:
        data_, Z = data, _weighted_mean_init(be, data, w)
    else:
        data_, Z = _init_series(be, init, "init", data)
    with kernels.threads(n_jobs):
        f = sdtw_objective(be, data_.X, data_.lengths, w, band, gamma, bool(divergence))
        return minimize_lbfgs(be, f, Z, max_iter, tol, method)


def _weighted_mean_init(be: Backend, data: SeriesBatch, w: np.ndarray):
    xp = be.xp
    N = int(np.max(data.lengths))
    if np.all(data.lengths == N):
        Xr = data.X[:, :N]
    else:
        Xr = resample(be, data, N)
    wd = xp.astype(on_device(be, w, data.X), data.X.dtype)
    return xp.sum(wd[:, None, None] * Xr, axis=0) / xp.sum(wd)
