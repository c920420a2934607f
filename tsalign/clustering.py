"""k-means clustering of time series under Euclidean, DTW and soft-DTW geometries.

:class:`TimeSeriesKMeans` is tslearn's estimator (same parameters, same
attributes, the same k-means++ draws from the same ``random_state``) built on
tsalign's kernels: assignments are one cross-distance kernel call (DTW /
soft-DTW of every series to every centre, in parallel), and the DTW centre
update runs the DBA of every cluster in lockstep, one pass over the dataset per
DBA iteration.  It is a scikit-learn estimator (``pip install
"tsalign-metrics[clustering]"``); importing :mod:`tsalign` does not import this module.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._lib.backend import backend_of
from ._lib.barycenter import (
    band_from_params,
    check_random_state,
    detach,
    host,
    on_device,
)
from ._lib.docs import add_fragments, fill_doc
from ._lib.kmeans import (
    METRICS,
    EmptyClusterError,
    dba_update,
    distances,
    full_length,
    inertia,
    kmeans_plusplus_euclidean,
    kmeans_plusplus_metric,
    mean_update,
    softdtw_update,
)
from ._lib.validation import SeriesBatch, check_float, check_int, common_float, dataset

__all__ = ["TimeSeriesKMeans"]

add_fragments(
    # the whole Parameters section of the methods that use a fitted model
    kmeans_use_parameters="""\
Parameters
----------
X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
    Time series dataset.""",
)


class TimeSeriesKMeans(TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering for time series (tslearn's ``TimeSeriesKMeans``).

    Parameters
    ----------
    n_clusters : int
        Number of clusters (at most the number of series).
    max_iter : int
        Maximum number of k-means iterations of one run.
    tol : float
        Stop a run when the inertia changes by less than ``tol`` between two
        iterations.
    n_init : int
        Number of runs from different seeds; the run of lowest inertia is kept.
        A run that empties a cluster is dropped and another is drawn (at most
        ``max(n_init, 10)`` draws, as in tslearn).
    metric : {"euclidean", "dtw", "softdtw"}
        Metric of the assignments and of the centres: the mean, DBA (as in
        tslearn, Petitjean's DBA, 30 iterations, from the current centre), or
        the soft-DTW barycenter.
    max_iter_barycenter : int
        L-BFGS iterations of each soft-DTW barycenter (``metric="softdtw"``).
    metric_params : dict or None
        ``global_constraint``, ``sakoe_chiba_radius``, ``itakura_max_slope``
        (DTW and soft-DTW) and ``gamma`` (soft-DTW, default 1); an ``n_jobs``
        key is ignored (``n_jobs`` below applies).
    n_jobs : int or None
        CPU threads (None or -1: all of numba's threads).
    dtw_inertia : bool
        Report the DTW inertia whatever the metric.
    verbose : int
        Print the inertia of each iteration.
    random_state : int, numpy RandomState or None
        Seed of the initialisation (None: numpy's global generator).
    init : {"k-means++", "random"} or array of shape (n_clusters, sz, d)
        k-means++ under the chosen metric (scikit-learn's seeding for the
        Euclidean metric, tslearn's otherwise), ``n_clusters`` distinct series
        at random, or given centres.

    Attributes
    ----------
    cluster_centers_ : array, shape (n_clusters, sz, d)
        The centres, in the library of the data given to ``fit``.
    labels_ : ndarray of int, shape (n_ts,)
        Cluster of each training series (for the final centres).
    inertia_ : float
        Mean squared distance of the training series to their centres, for
        the returned centres and labels (tslearn reports the one before its
        last centre update, which is never lower for DTW).
    n_iter_ : int
        Number of iterations of the kept run.
    n_features_in_ : int
        Number of features ``d`` of the series.

    Examples
    --------
    >>> from tsalign.datasets import make_cbf
    >>> X, y = make_cbf(n_per_class=10, length=64, seed=0)
    >>> km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=5, random_state=0).fit(X)
    >>> km.cluster_centers_.shape
    (3, 64, 1)
    >>> km.labels_.shape, km.predict(X[:4]).tolist() == km.labels_[:4].tolist()
    ((30,), True)
    >>> km.transform(X[:2]).shape
    (2, 3)
    """

    def __init__(
        self,
        n_clusters=3,
        max_iter=50,
        tol=1e-6,
        n_init=1,
        metric="euclidean",
        max_iter_barycenter=100,
        metric_params=None,
        n_jobs=None,
        dtw_inertia=False,
        verbose=0,
        random_state=None,
        init="k-means++",
    ):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.metric = metric
        self.max_iter_barycenter = max_iter_barycenter
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.dtw_inertia = dtw_inertia
        self.verbose = verbose
        self.random_state = random_state
        self.init = init

    # ------------------------------------------------------------------ checks
    def _params(self):
        if self.metric not in METRICS:
            raise ValueError(
                f"metric must be one of {', '.join(map(repr, METRICS))}, got {self.metric!r}"
            )
        params = dict(self.metric_params or {})
        if not isinstance(self.metric_params, (dict, type(None))):
            raise TypeError(
                f"metric_params must be a dict or None, got {type(self.metric_params).__name__}"
            )
        params.pop("n_jobs", None)
        gamma = 1.0
        if self.metric == "softdtw":
            gamma = check_float(params.pop("gamma", 1.0), "metric_params['gamma']", positive=True)
        if self.metric == "euclidean":
            band = None
            if params:
                raise ValueError(
                    f"metric_params: metric='euclidean' takes no parameters, got {sorted(params)}"
                )
        else:
            band = band_from_params(params)
        return band, gamma

    def _data(self, be, X, name="X"):
        if isinstance(X, (list, tuple)) and len(X) == 0:
            raise ValueError(f"{name} is an empty dataset")
        d = dataset(be, X, name)
        return SeriesBatch(detach(be, d.X), d.lengths)

    def _check_equal(self, data, size=None):
        if self.metric != "euclidean":
            return
        n_max = int(data.lengths.max())
        if np.any(data.lengths != n_max) or (size is not None and n_max != size):
            raise ValueError(
                "X: metric='euclidean' needs series of one length"
                + (f" (the centres' {size})" if size is not None else "")
                + f", got lengths from {int(data.lengths.min())} to {n_max}"
            )

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Compute the k-means clustering of X.

        Parameters
        ----------
        X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
            Time series dataset (NaN padding for variable lengths, except with
            the Euclidean metric).
        y : None
            Ignored (scikit-learn's estimator API).

        Returns
        -------
        self : TimeSeriesKMeans
            The fitted estimator.
        """
        from . import kernels

        be = backend_of(X)
        band, gamma = self._params()
        data = self._data(be, X)
        n = data.X.shape[0]
        N = int(data.lengths.max())
        data = SeriesBatch(data.X[:, :N], data.lengths)
        K = check_int(self.n_clusters, "n_clusters", minimum=1)
        if K > n:
            raise ValueError(f"n_clusters={K} must be <= the number of series ({n})")
        n_init = check_int(self.n_init, "n_init", minimum=1)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_float(self.tol, "tol", nonnegative=True)
        self._check_equal(data)
        init = self.init
        if not isinstance(init, str):
            init = self._init_array(be, init, data)
        elif init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {init!r}")
        rs = check_random_state(self.random_state)
        best = None
        successes = attempts = 0
        with kernels.threads(self.n_jobs):
            while successes < n_init and attempts < max(n_init, 10):
                attempts += 1
                try:
                    run = self._fit_one(be, data, K, init, rs, band, gamma, max_iter, tol)
                except EmptyClusterError:
                    if self.verbose:
                        print("Resumed because of empty cluster")
                    continue
                successes += 1
                if best is None or run[2] < best[2]:
                    best = run
        if best is None:
            raise ValueError(
                f"n_clusters={K}: every initialisation left a cluster empty "
                f"({attempts} attempts); use fewer clusters"
            )
        C, labels, value, n_iter = best
        self.cluster_centers_ = C
        self.labels_ = labels
        self.inertia_ = value
        self.n_iter_ = n_iter
        self.n_features_in_ = int(data.X.shape[2])
        self._band, self._gamma, self._be = band, gamma, be
        return self

    def _init_array(self, be, init, data):
        arr = be.xp.asarray(init) if not be.is_array(init) else init
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3 or arr.shape[0] != self.n_clusters or arr.shape[2] != data.X.shape[2]:
            raise ValueError(
                f"init must have shape (n_clusters={self.n_clusters}, sz, d={data.X.shape[2]}), "
                f"got {tuple(arr.shape)}"
            )
        c = self._data(be, arr, "init")
        if self.metric == "euclidean" and (
            np.any(c.lengths != c.X.shape[1]) or c.X.shape[1] != data.X.shape[1]
        ):
            raise ValueError(f"init: metric='euclidean' needs centres of length {data.X.shape[1]}")
        return c

    def _fit_one(self, be, data, K, init, rs, band, gamma, max_iter, tol):
        xp = be.xp
        X, lx = data.X, data.lengths
        N = X.shape[1]
        if isinstance(init, SeriesBatch):
            _, C = common_float(be, X, init.X)
            C = full_length(be, C, init.lengths, int(init.X.shape[1]))
        else:
            if init == "random":
                ids = rs.choice(X.shape[0], K, replace=False)
            elif self.metric == "euclidean":
                ids = kmeans_plusplus_euclidean(be, X, K, rs)
            else:
                ids = kmeans_plusplus_metric(be, X, lx, K, rs, self.metric, band, gamma)
            ids = np.asarray(ids, dtype=np.int64)
            C = full_length(be, xp.take(X, on_device(be, ids, X), axis=0), lx[ids], N)
        X, C = common_float(be, X, C)
        old = np.inf
        n_iter = 0
        for _ in range(max_iter):
            n_iter += 1
            labels, value = self._assign(be, X, lx, C, band, gamma, check=True)
            if self.verbose:
                print(f"{value:.3f}", end=" --> ")
            C = self._update(be, X, lx, C, labels, band, gamma)
            if abs(old - value) < tol:
                break
            old = value
        if self.verbose:
            print("")
        labels, value = self._assign(be, X, lx, C, band, gamma, check=False)
        return C, labels, value, n_iter

    def _dists(self, be, X, lx, C, band, gamma, metric=None):
        lc = np.full(C.shape[0], C.shape[1], dtype=np.int64)
        return host(be, distances(be, X, lx, C, lc, metric or self.metric, band, gamma))

    def _assign(self, be, X, lx, C, band, gamma, check):
        D = self._dists(be, X, lx, C, band, gamma)
        labels = np.argmin(D, axis=1).astype(np.int64)
        if check and np.any(np.bincount(labels, minlength=C.shape[0]) == 0):
            raise EmptyClusterError
        if self.dtw_inertia and self.metric != "dtw":
            band_dtw = band if band is not None else band_from_params(None)
            D = self._dists(be, X, lx, C, band_dtw, gamma, metric="dtw")
        return labels, inertia(D.astype(np.float64), labels)

    def _update(self, be, X, lx, C, labels, band, gamma):
        if self.metric == "euclidean":
            return mean_update(be, X, labels, C.shape[0])
        if self.metric == "dtw":
            return dba_update(be, X, lx, C, labels, band)
        n_bary = check_int(self.max_iter_barycenter, "max_iter_barycenter", minimum=0)
        return softdtw_update(be, X, lx, C, labels, band, gamma, n_bary)

    # ------------------------------------------------------------------ use
    def _prepared(self, X):
        check_is_fitted(self, "cluster_centers_")
        be = self._be
        data = self._data(be, X)
        if data.X.shape[2] != self.cluster_centers_.shape[2]:
            raise ValueError(
                f"X must have d={self.cluster_centers_.shape[2]} features (as at fit), "
                f"got d={data.X.shape[2]}"
            )
        self._check_equal(data, size=int(self.cluster_centers_.shape[1]))
        N = int(data.lengths.max())
        X_, C = common_float(be, data.X[:, :N], self.cluster_centers_)
        return be, X_, data.lengths, C

    def _centre_distances(self, X):
        """The backend and the distances of the series of ``X`` to the centres."""
        from . import kernels

        be, X_, lx, C = self._prepared(X)
        with kernels.threads(self.n_jobs):
            lc = np.full(C.shape[0], C.shape[1], dtype=np.int64)
            return be, distances(be, X_, lx, C, lc, self.metric, self._band, self._gamma)

    @fill_doc
    def predict(self, X):
        """Closest centre of each series.

        %(kmeans_use_parameters)s

        Returns
        -------
        ndarray of int, shape (n_ts,)
            The index of each series' cluster.
        """
        be, D = self._centre_distances(X)
        return np.argmin(host(be, D), axis=1).astype(np.int64)

    def fit_predict(self, X, y=None):
        """Fit, then return the labels of the training series.

        Parameters
        ----------
        X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
            Time series dataset.
        y : None
            Ignored (scikit-learn's estimator API).

        Returns
        -------
        ndarray of int, shape (n_ts,)
            The index of each series' cluster.
        """
        return self.fit(X, y).labels_

    @fill_doc
    def transform(self, X):
        """Distances of each series to each centre (the metric of the model).

        %(kmeans_use_parameters)s

        Returns
        -------
        array, shape (n_ts, n_clusters)
            In the library of the data given to ``fit``.
        """
        return self._centre_distances(X)[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.metric != "euclidean"
        return tags
