"""Exact nearest neighbours and subsequence search under DTW, with pruning.

:func:`kneighbors_dtw` returns exactly what brute force returns
(``cdist_dtw`` followed by a stable argsort: the same indices, ties to the
lower index, and bit-identical distances) while computing only a few percent
of the DTWs: lower bounds (LB_Kim, LB_Keogh both ways, LB_Enhanced) reject most
candidates, candidates are visited in the order of their bound, and the DTWs
that do run are either computed many at once on SIMD lanes (narrow bands) or
early-abandoned and pruned against the k-th best distance so far.
:func:`subsequence_search_dtw` is the UCR suite's search of a long series for
the windows nearest to a query (z-normalised windows, cascading bounds, early
abandoning).  :class:`KNeighborsTimeSeriesClassifier` is a scikit-learn
classifier built on :func:`kneighbors_dtw` (needs ``scikit-learn``:
``pip install "tsalign-metrics[sklearn]"``).

.. warning::

   DTW is not a metric (it breaks the triangle inequality), so metric trees
   give wrong answers: ``sklearn.neighbors.KNeighborsClassifier(metric=dtw,
   algorithm="ball_tree")`` can return neighbours that are not the nearest
   under DTW (2 of 100 queries differed from brute force in the measurement
   reported in tsalign's issue 13).  Use the functions here, which are exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dask import is_dask, kneighbors_split
from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.docs import add_fragments, fill_doc, fill_text
from ._lib.progress import Progress
from ._lib.search import (
    NN_STATS,
    SUBSEQ_STATS,
    check_band_feasible,
    check_n_neighbors,
    check_no_inf,
    datasets_for_search,
    stats_dict,
    warping_radius,
)
from ._lib.validation import check_int, dataset, single_series

add_fragments(
    # the whole Parameters section of the classifier's predictions
    knn_predict_parameters="""\
Parameters
----------
X : array-like, shape (n, N) or (n, N, d); or a list of series
    Query series.""",
)

# KNeighborsTimeSeriesClassifier is built on first access (module __getattr__)
__all__ = ["kneighbors_dtw", "subsequence_search_dtw", "KNeighborsTimeSeriesClassifier"]  # noqa: F822


def kneighbors_dtw(
    X_query,
    X_ref,
    n_neighbors: int = 1,
    *,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    return_distance: bool = True,
    return_stats: bool = False,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
):
    r"""The ``n_neighbors`` nearest series of ``X_ref`` to each series of ``X_query`` under DTW.

    Exact: the result is the one of brute force, ``cdist_dtw(X_query, X_ref)``
    followed by a stable argsort of each row (ties go to the lower index), with
    the same distances bit for bit; only the work differs.  Each query's
    candidates get the bound ``max(LB_Kim, LB_Keogh, LB_Enhanced)`` and are
    visited in increasing order of it, while it is within the k-th best
    distance so far; a visited candidate meets LB_Keogh against the query's
    envelope, then a DTW.  With a narrow band (Sakoe-Chiba up to a quarter of
    the length, Itakura) the DTWs run in full, on SIMD lanes (one query per
    lane) when several queries need one; otherwise one at a time, pruned and
    abandoned as soon as they cannot beat the k-th best.  The bounds are taken over the band of
    each pair of lengths, so they hold with every constraint and with unequal
    lengths.  Queries run in parallel; memory is O(size of the data) (no
    ``n_query x n_ref`` matrix).

    Parameters
    ----------
    X_query : array-like, shape (n_query, N, d), (n_query, N) or (N,); or a list of series
        The query series (trailing all-NaN rows are padding; a list of series of
        different lengths is fine).  With a ``dask.array.Array`` (queries or
        references) the search runs on the active Dask scheduler, per block of
        queries, and the results are numpy arrays (see "Beyond one machine").
    X_ref : same as X_query
        The reference series searched.
    n_neighbors : int
        Neighbours per query, 1 <= n_neighbors <= n_ref.
    global_constraint : {"itakura", "sakoe_chiba"} or None
        Global constraint on the paths, as in :func:`tsalign.dtw`.
    sakoe_chiba_radius : int or None
        Radius of the Sakoe-Chiba band, as in :func:`tsalign.dtw` (widened by the
        length difference, as in tslearn).
    itakura_max_slope : float or None
        Maximum slope of the Itakura parallelogram, as in :func:`tsalign.dtw`.
    return_distance : bool
        Return the distances too (tslearn's and scikit-learn's convention).
    return_stats : bool
        Also return a dict of pruning counts: ``candidates`` (n_query x n_ref) and,
        for each stage, how many candidates it rejected (``lb_kim``,
        ``lb_keogh_ec`` = query against the candidate's envelope,
        ``lb_enhanced``, ``lb_keogh_eq`` = candidate against the query's
        envelope, ``lb_webb`` (0 unless the cascade is asked for LB_Webb),
        ``dtw_abandoned``) or computed in full (``dtw_full``).
    n_jobs : int or None
        CPU threads (None or -1: all of numba's threads).
    verbose : int
        If > 0, a progress bar on stderr.
    be : Backend, str or None
        Backend; by default the inputs' own library.

    Returns
    -------
    distances : array, shape (n_query, n_neighbors)
        DTW distances, ascending in each row (only if ``return_distance``).
    indices : array of int64, shape (n_query, n_neighbors)
        Indices into ``X_ref``.
    stats : dict
        Only if ``return_stats``.

    Examples
    --------
    >>> X_ref = [[0, 1, 2, 3], [3, 2, 1, 0], [0, 0, 1, 2, 3]]
    >>> dist, ind = kneighbors_dtw([[0, 1, 2, 3, 3]], X_ref, n_neighbors=2)
    >>> ind
    array([[0, 2]])
    >>> dist
    array([[0., 0.]])
    >>> kneighbors_dtw([[3, 2, 1]], X_ref, return_distance=False)
    array([[1]])
    """
    if is_dask(X_query, X_ref):
        return kneighbors_split(kneighbors_dtw, locals())
    from . import kernels

    be = backend_of(X_query, X_ref, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    verbose = check_int(verbose, "verbose")
    A, B = datasets_for_search(be, X_query, X_ref)
    n_ref = int(B.X.shape[0])
    k = check_n_neighbors(n_neighbors, n_ref)
    check_band_feasible(be, A.lengths, B.lengths, band, A.X)
    nq = int(A.X.shape[0])
    progress = Progress("kneighbors_dtw") if verbose > 0 else None
    step = nq if progress is None else max(1, -(-nq // 20))
    parts = []
    with kernels.threads(n_jobs):
        for s in range(0, nq, step):
            e = min(nq, s + step)
            parts.append(
                be.call_kernel(
                    "neighbors",
                    "dtw_kneighbors",
                    A.X,
                    A.X[s:e],
                    B.X,
                    A.lengths[s:e],
                    B.lengths,
                    band,
                    k,
                )
            )
            if progress is not None:
                progress(e, nq)
    xp = be.xp
    if len(parts) == 1:
        sq, ind, st = parts[0]
    else:
        sq = xp.concat([p[0] for p in parts], axis=0)
        ind = xp.concat([p[1] for p in parts], axis=0)
        st = np.concatenate([np.asarray(be.to_numpy(p[2])) for p in parts], axis=0)
    out = [xp.sqrt(sq)] if return_distance else []
    out.append(ind)
    if return_stats:
        out.append(stats_dict(be.to_numpy(st), nq * n_ref, NN_STATS))
    return out[0] if len(out) == 1 else tuple(out)


def subsequence_search_dtw(
    query,
    series,
    n_matches: int = 1,
    *,
    sakoe_chiba_radius: int | float | None = None,
    znormalize: bool = True,
    exclusion_zone: int | None = None,
    return_distance: bool = True,
    return_stats: bool = False,
    n_jobs: int | None = None,
    be: Any = None,
):
    r"""The windows of a long series nearest to a query under DTW (the UCR suite's search).

    Every window ``series[s : s + n]`` of the query's length ``n`` is compared with
    the query under DTW with a Sakoe-Chiba band; the ``n_matches`` best windows
    that start at least ``exclusion_zone`` apart are returned (chosen greedily: the
    best window, then the best one far enough from it, and so on).  With
    ``znormalize=True`` (the UCR suite's semantics) each window is z-normalised
    with its own mean and standard deviation (running sums) and the query once;
    a flat window (zero variance) becomes zeros.  Exact: the result is the one of
    an exhaustive scan of every window (up to the rounding of the running
    statistics), found with LB_Kim, LB_Keogh both ways and an early-abandoned DTW
    that reject most windows.  A batch of queries of one length shares one pass
    over the series; chunks of the series run in parallel.

    Parameters
    ----------
    query : array-like, shape (n,) or (n, d); or (n_queries, n, d) / a list of queries
        One query, or a batch (queries of different lengths are searched in one
        pass per length).
    series : array-like, shape (L,) or (L, d)
        The series searched (L >= n).  Multivariate windows are compared with the
        squared Euclidean cost summed over features, each feature z-normalised.
    n_matches : int
        Matches per query.  Fewer come back (start -1, distance inf) when the
        series has no room for more windows that far apart.
    sakoe_chiba_radius : int, float or None
        Warping width as in the UCR suite: an integer is a radius in samples, a
        float in [0, 1] a fraction of the query length (rounded down, so 0.05 of
        128 is 6); None: no constraint.
    znormalize : bool
        Compare z-normalised windows with the z-normalised query (default), or raw
        values.
    exclusion_zone : int or None
        Two matches start at least this many samples apart; default ``n`` (matches
        do not overlap); 0 allows any overlap.
    return_distance : bool
        Also return the distances.
    return_stats : bool
        Also return a dict of pruning counts (``candidates`` = windows x queries,
        ``lb_kim``, ``lb_keogh_eq`` (window against the query's envelope),
        ``lb_keogh_ec`` (query against the window's envelope), ``dtw_abandoned``,
        ``dtw_full``).
    n_jobs : int or None
        CPU threads (None or -1: all of numba's threads).
    be : Backend, str or None
        Backend of the inputs (the search runs on the CPU).

    Returns
    -------
    distances : array, shape (n_matches,) or (n_queries, n_matches)
        DTW distances (square root of the best path's cost), ascending.  Only if
        ``return_distance``.
    starts : array of int64, same shape
        Start index of each match in ``series``.
    stats : dict
        Only if ``return_stats``.

    Examples
    --------
    >>> import numpy as np
    >>> series = np.sin(np.linspace(0, 20, 400))
    >>> series[300:330] += np.linspace(0, 3, 30)
    >>> dist, start = subsequence_search_dtw(series[300:330], series)
    >>> start, dist
    (array([300]), array([0.]))
    >>> starts = subsequence_search_dtw(series[:60], series, n_matches=3, return_distance=False)
    >>> starts.tolist()
    [0, 125, 242]
    """
    from . import kernels

    be = backend_of(query, series, be=be)
    xp = be.xp
    if any(be.on_gpu(a) for a in (query, series) if be.is_array(a)):
        raise TypeError(
            "subsequence_search_dtw runs on the CPU; move the arrays to the host first "
            "(tsalign never copies device arrays behind your back)"
        )
    k = check_int(n_matches, "n_matches", minimum=1)
    if not isinstance(znormalize, (bool, np.bool_)):
        raise TypeError(f"znormalize must be a bool, got {znormalize!r}")
    S = single_series(be, series, "series")
    check_no_inf(be, S.X, "series")
    qarr = query
    single = False
    if not isinstance(query, (list, tuple)):
        nd = len(getattr(query, "shape", np.shape(query)))
        single = nd <= 2
    if single:
        Qd = single_series(be, qarr, "query")
    else:
        Qd = dataset(be, qarr, "query")
    check_no_inf(be, Qd.X, "query")
    if Qd.X.shape[2] != S.X.shape[2]:
        raise ValueError(
            f"query and series must have the same feature size: got d={Qd.X.shape[2]} "
            f"and d={S.X.shape[2]}"
        )
    L = int(S.lengths[0])
    if int(Qd.lengths.max()) > L:
        raise ValueError(
            f"query (length {int(Qd.lengths.max())}) is longer than series (length {L})"
        )
    dtype = Qd.X.dtype if Qd.X.dtype == S.X.dtype else xp.float64
    T = np.ascontiguousarray(be.to_numpy(S.X[0, :L]), dtype=np.float64)
    Qh = np.asarray(be.to_numpy(Qd.X), dtype=np.float64)
    nq = Qh.shape[0]
    res_d = np.full((nq, k), np.inf)
    res_s = np.full((nq, k), -1, dtype=np.int64)
    total = np.zeros(len(SUBSEQ_STATS), dtype=np.int64)
    with kernels.threads(n_jobs):
        for n in np.unique(Qd.lengths):
            n = int(n)
            rows = np.flatnonzero(Qd.lengths == n)
            ez = n if exclusion_zone is None else check_int(exclusion_zone, "exclusion_zone", 0)
            r = warping_radius(sakoe_chiba_radius, n)
            sq, st, stats = be.call_kernel(
                "neighbors",
                "dtw_subsequence_search",
                T,
                np.ascontiguousarray(Qh[rows, :n]),
                T,
                r,
                k,
                ez,
                bool(znormalize),
            )
            res_d[rows] = sq
            res_s[rows] = st
            total += np.asarray(stats).sum(axis=0)
    dist = np.sqrt(res_d)
    if single:
        dist, res_s = dist[0], res_s[0]
    out = [be.array(dist, dtype=dtype)] if return_distance else []
    out.append(be.array(res_s))
    if return_stats:
        n_windows = int(sum(L - int(n) + 1 for n in Qd.lengths))
        st = stats_dict(total[None], n_windows, SUBSEQ_STATS)
        out.append(st)
    return out[0] if len(out) == 1 else tuple(out)


# --------------------------------------------------------------------------- classifier
_CLASSIFIER_DOC = fill_text(
    r"""k-nearest-neighbours classifier of time series under DTW (scikit-learn API).

    Built on :func:`kneighbors_dtw`, so its neighbours are the exact DTW
    neighbours (ties to the lower training index) found with pruning.  Needs
    scikit-learn (``pip install "tsalign-metrics[sklearn]"``); importing tsalign does not
    import it.  Series are given as for :func:`tsalign.cdist_dtw`: an array
    (n, N) of univariate series, (n, N, d), or a list of series of different
    lengths; query series may have other lengths than the training series.

    Parameters
    ----------
    n_neighbors : int
        Number of neighbours that vote.
    weights : {"uniform", "distance"} or callable
        "uniform": every neighbour has one vote; "distance": votes weighted by
        the inverse distance (a neighbour at distance 0 outvotes every other);
        a callable maps an array of distances to an array of weights.
    %(constraint_as_dtw)s
    n_jobs : int or None
        CPU threads for the search.
    verbose : int
        If > 0, a progress bar on stderr while searching.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Length (number of time steps) of the training array, as scikit-learn
        counts features of a 2-d or 3-d array.
    stats_ : dict
        Pruning counts of the last search (see :func:`kneighbors_dtw`).

    Examples
    --------
    >>> from tsalign.neighbors import KNeighborsTimeSeriesClassifier
    >>> X = [[1, 2, 3, 4], [1, 1, 2, 3, 4], [4, 3, 2, 1], [4, 4, 3, 2]]
    >>> y = ["up", "up", "down", "down"]
    >>> clf = KNeighborsTimeSeriesClassifier(n_neighbors=1).fit(X, y)
    >>> clf.predict([[0, 1, 2, 3, 4, 4], [5, 4, 3]]).tolist()
    ['up', 'down']
    >>> clf.predict_proba([[1, 2, 3]]).tolist()
    [[0.0, 1.0]]
    >>> clf.score([[1, 2, 2, 3]], ["up"])
    1.0
    """
)

__test__ = {"KNeighborsTimeSeriesClassifier": _CLASSIFIER_DOC}

_CLASSES: dict[str, type] = {}


def __getattr__(name: str):
    # the classifier subclasses scikit-learn's BaseEstimator: build it on first
    # use, so that this module (and tsalign) imports without scikit-learn
    if name == "KNeighborsTimeSeriesClassifier":
        cls = _CLASSES.get(name)
        if cls is None:
            cls = _CLASSES[name] = _build_classifier()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _as_padded_numpy(X, name: str):
    """A numpy (n, N, d) array with NaN padding: ragged lists are padded here."""
    from ._lib.backend import instantiate_backend
    from ._lib.validation import dataset

    if isinstance(X, (list, tuple)) and len(X) > 0:
        lens = {np.shape(s)[0] if np.ndim(s) > 0 else None for s in X}
        if len(lens) > 1:
            ds = dataset(instantiate_backend("numpy"), X, name)
            out = np.array(ds.X, dtype=ds.X.dtype)
            for b, n in enumerate(ds.lengths):
                out[b, n:] = np.nan
            return out
    return X


def _build_classifier():
    try:
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.utils.validation import check_array, check_is_fitted, validate_data
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "KNeighborsTimeSeriesClassifier needs scikit-learn: "
            "pip install 'tsalign-metrics[sklearn]'"
        ) from exc

    def _check_X(X, name):
        X = _as_padded_numpy(X, name)
        return check_array(
            X,
            allow_nd=True,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
            input_name=name,
        )

    class KNeighborsTimeSeriesClassifier(ClassifierMixin, BaseEstimator):
        __doc__ = _CLASSIFIER_DOC

        def __init__(
            self,
            n_neighbors=1,
            weights="uniform",
            global_constraint=None,
            sakoe_chiba_radius=None,
            itakura_max_slope=None,
            n_jobs=None,
            verbose=0,
        ):
            self.n_neighbors = n_neighbors
            self.weights = weights
            self.global_constraint = global_constraint
            self.sakoe_chiba_radius = sakoe_chiba_radius
            self.itakura_max_slope = itakura_max_slope
            self.n_jobs = n_jobs
            self.verbose = verbose

        def fit(self, X, y):
            """Store the training series and their labels.

            Parameters
            ----------
            X : array-like, shape (n, N) or (n, N, d); or a list of series
                Training series.
            y : array-like, shape (n,)
                Labels.

            Returns
            -------
            self : KNeighborsTimeSeriesClassifier
                The fitted classifier.
            """
            X = _as_padded_numpy(X, "X")
            X, y = validate_data(
                self,
                X,
                y,
                allow_nd=True,
                ensure_all_finite="allow-nan",
                dtype=[np.float64, np.float32],
                multi_output=False,
                y_numeric=False,
            )
            from sklearn.utils.multiclass import check_classification_targets

            check_classification_targets(y)
            if self.weights not in ("uniform", "distance") and not callable(self.weights):
                raise ValueError(
                    f"weights must be 'uniform', 'distance' or a callable, got {self.weights!r}"
                )
            check_int(self.n_neighbors, "n_neighbors", minimum=1)
            # validate the series now (NaN inside a series, inf, empty series...)
            datasets_for_search(backend_of(X), X[:1], X, names=("X", "X"))
            self.classes_, self._y = np.unique(y, return_inverse=True)
            self._X = X
            self.stats_ = {}
            return self

        def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
            """Nearest training series of each series of ``X`` (scikit-learn's API).

            Parameters
            ----------
            X : array-like or None
                Query series; None means the training series, each without itself.
            n_neighbors : int or None
                Defaults to the estimator's ``n_neighbors``.
            return_distance : bool
                Also return the distances.

            Returns
            -------
            distances : ndarray, shape (n_queries, n_neighbors)
                Only if ``return_distance``.
            indices : ndarray of int64, shape (n_queries, n_neighbors)
                Indices into the training set.
            """
            check_is_fitted(self, "_X")
            k = self.n_neighbors if n_neighbors is None else n_neighbors
            own = X is None
            Q = self._X if own else X if is_dask(X) else _check_X(X, "X")
            n_train = self._X.shape[0]
            if own:
                check_n_neighbors(k, n_train - 1)
            kk = k + 1 if own else k
            dist, ind, stats = kneighbors_dtw(
                Q,
                self._X,
                n_neighbors=kk,
                global_constraint=self.global_constraint,
                sakoe_chiba_radius=self.sakoe_chiba_radius,
                itakura_max_slope=self.itakura_max_slope,
                return_stats=True,
                n_jobs=self.n_jobs,
                verbose=self.verbose,
                be="numpy",
            )
            # updated in place: predicting leaves the estimator's attributes as they were
            self.stats_.clear()
            self.stats_.update(stats)
            if own:
                # drop each series itself (or, if a tie pushed it out, the last one)
                keep = ind != np.arange(n_train)[:, None]
                drop_last = keep.all(axis=1)
                keep[drop_last, -1] = False
                ind = ind[keep].reshape(n_train, k)
                dist = dist[keep].reshape(n_train, k)
            return (dist, ind) if return_distance else ind

        def _weights(self, dist):
            if self.weights == "uniform":
                return np.ones_like(dist)
            if self.weights == "distance":
                with np.errstate(divide="ignore"):
                    w = 1.0 / dist
                zero = dist == 0
                rows = zero.any(axis=1)
                w[rows] = zero[rows].astype(w.dtype)
                return w
            w = np.asarray(self.weights(dist), dtype=np.float64)
            if w.shape != dist.shape:
                raise ValueError(
                    f"weights callable must return an array of shape {dist.shape}, got {w.shape}"
                )
            return w

        @fill_doc
        def predict_proba(self, X):
            """Class probabilities: the (weighted) share of each class among the neighbours.

            %(knn_predict_parameters)s

            Returns
            -------
            proba : ndarray, shape (n, n_classes)
                Columns in the order of ``classes_``.
            """
            check_is_fitted(self, "_X")
            dist, ind = self.kneighbors(X)
            w = self._weights(np.asarray(dist, dtype=np.float64))
            labels = self._y[ind]
            proba = np.zeros((ind.shape[0], len(self.classes_)))
            for c in range(len(self.classes_)):
                proba[:, c] = np.sum(w * (labels == c), axis=1)
            total = proba.sum(axis=1, keepdims=True)
            total[total == 0] = 1.0
            return proba / total

        @fill_doc
        def predict(self, X):
            """Class of each series: the (weighted) majority of its neighbours.

            Ties between classes go to the first class in ``classes_``.

            %(knn_predict_parameters)s

            Returns
            -------
            y : ndarray, shape (n,)
                Predicted labels.
            """
            check_is_fitted(self, "_X")
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    KNeighborsTimeSeriesClassifier.__module__ = __name__
    KNeighborsTimeSeriesClassifier.__qualname__ = "KNeighborsTimeSeriesClassifier"
    return KNeighborsTimeSeriesClassifier
