"""Dask inputs: lazy tiled cdist matrices and kNN, equal to the in-memory calls.

Schedulers: the synchronous one, a ``LocalCluster(processes=False)`` and one cluster of two
single-thread worker processes, all started inside the tests (loopback only).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import tsalign._dask.cdist as dcdist  # noqa: E402
import tsalign._dask.neighbors as dnn  # noqa: E402
from tsalign import cdist_dtw, cdist_soft_dtw, cdist_soft_dtw_normalized  # noqa: E402
from tsalign._dask._common import task_kw  # noqa: E402
from tsalign.neighbors import kneighbors_dtw  # noqa: E402

TOL = {"rtol": 1e-12, "atol": 1e-12}

CDISTS = [
    (cdist_dtw, {}),
    (cdist_dtw, {"sakoe_chiba_radius": 2}),
    (cdist_dtw, {"global_constraint": "itakura", "itakura_max_slope": 3.0}),
    (cdist_soft_dtw, {"gamma": 0.5}),
    (cdist_soft_dtw, {"gamma": 0.5, "sakoe_chiba_radius": 1}),
    (cdist_soft_dtw, {"gamma": 0.2, "global_constraint": "itakura"}),
    (cdist_soft_dtw_normalized, {"gamma": 1.0}),
    (cdist_soft_dtw_normalized, {"gamma": 0.5, "sakoe_chiba_radius": 3}),
]
CIDS = ["dtw", "dtw-sakoe", "dtw-itakura", "sdtw", "sdtw-sakoe", "sdtw-itakura", "norm", "norm-sk"]


@pytest.fixture
def small_tiles(monkeypatch):
    """Tiles of a few pairs, so that small data makes many tiles."""
    monkeypatch.setattr(dcdist, "TILE_CELLS", 2000)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(23, 12, 2))
    Y = rng.normal(size=(17, 10, 2))
    return X, Y


def ragged(rng, n, N, lengths):
    X = rng.normal(size=(n, N, 1))
    for b, ln in enumerate(lengths):
        X[b, ln:] = np.nan
    return X


def n_tile_tasks(arr, func) -> int:
    """Tasks of ``arr``'s graph that run ``func`` (through a partial)."""
    graph = dict(arr.__dask_graph__())
    count = 0
    for task in graph.values():
        # a legacy tuple task (func, *args) or a dask Task
        f = task[0] if isinstance(task, tuple) and task else getattr(task, "func", None)
        f = getattr(f, "func", f)  # partial(func, ...)
        if f is func:
            count += 1
    return count


def test_import_tsalign_does_not_import_dask():
    code = "import sys, tsalign, tsalign.dtw, tsalign.neighbors; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# --------------------------------------------------------------------------- cdist, sync
@pytest.mark.parametrize(("fn", "kw"), CDISTS, ids=CIDS)
def test_cdist_sync_equals_in_memory(data, small_tiles, fn, kw):
    X, Y = data
    if kw.get("global_constraint") == "itakura":
        # a slope that joins every pair of lengths: equal lengths
        Y = np.random.default_rng(1).normal(size=(17, 12, 2))
    Xd = da.from_array(X, chunks=(4, 12, 2))
    Yd = da.from_array(Y, chunks=(5, -1, -1))
    D, C = fn(Xd, **kw), fn(Xd, Yd, **kw)
    assert isinstance(D, da.Array) and isinstance(C, da.Array)
    assert D.shape == (23, 23) and C.shape == (23, 17)
    with dask.config.set(scheduler="sync"):
        D, C = D.compute(), C.compute()
    np.testing.assert_allclose(D, fn(X, **kw), **TOL)
    np.testing.assert_allclose(C, fn(X, Y, **kw), **TOL)


def test_cdist_self_computes_the_upper_triangle_of_tiles(data, small_tiles):
    X, _ = data
    D = cdist_dtw(da.from_array(X, chunks=(4, -1, -1)))
    nb = len(D.chunks[0])
    assert nb > 3
    assert n_tile_tasks(D, dcdist._tile_self) == nb
    assert n_tile_tasks(D, dcdist._tile_cross) == nb * (nb - 1) // 2
    assert n_tile_tasks(D, dcdist._mirror) == nb * (nb - 1) // 2
    with dask.config.set(scheduler="sync"):
        got = D.compute()
    np.testing.assert_array_equal(got, got.T)
    np.testing.assert_array_equal(got, cdist_dtw(X))


def test_cdist_ragged_nan_padded(small_tiles):
    rng = np.random.default_rng(2)
    X = ragged(rng, 19, 15, [15, 9, 12, 15, 4, 7, 15, 11, 10, 13, 15, 8, 6, 15, 5, 15, 14, 3, 9])
    Y = ragged(rng, 9, 11, [11, 5, 8, 11, 7, 3, 11, 9, 6])
    Xd, Yd = da.from_array(X, chunks=(3, -1, -1)), da.from_array(Y, chunks=(2, -1, -1))
    for fn, kw in [(cdist_dtw, {"sakoe_chiba_radius": 1}), (cdist_soft_dtw_normalized, {})]:
        with dask.config.set(scheduler="sync"):
            np.testing.assert_allclose(fn(Xd, **kw).compute(), fn(X, **kw), **TOL)
            np.testing.assert_allclose(fn(Xd, Yd, **kw).compute(), fn(X, Y, **kw), **TOL)


def test_cdist_mixed_inputs_2d_and_float32(small_tiles):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(13, 8)).astype(np.float32)
    Y = [rng.normal(size=n) for n in (8, 6, 7, 8, 5)]  # a ragged list beside a dask array
    D = cdist_soft_dtw(da.from_array(X, chunks=(3, 8)), Y, gamma=0.1)
    assert D.dtype == np.float64  # float32 with float64: float64, as in memory
    with dask.config.set(scheduler="sync"):
        np.testing.assert_allclose(D.compute(), cdist_soft_dtw(X, Y, gamma=0.1), **TOL)
        D32 = cdist_dtw(da.from_array(X, chunks=(3, 8)))
        assert D32.dtype == np.float32
        got = D32.compute()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, cdist_dtw(X))


@pytest.mark.parametrize(("fn", "kw"), CDISTS[::3], ids=CIDS[::3])
@pytest.mark.parametrize(
    "block", [((2, 19), (5, 23)), ((12, 20), (0, 9)), ((0, 6), (10, 23)), ((4, 5), None)]
)
def test_cdist_dask_block(data, small_tiles, fn, kw, block):
    X, Y = data
    Xd = da.from_array(X, chunks=(4, -1, -1))
    got = fn(Xd, block=block, **kw)
    assert isinstance(got, da.Array)
    with dask.config.set(scheduler="sync"):
        got = got.compute()
        cross = fn(Xd, da.from_array(Y, chunks=(6, -1, -1)), block=((3, 9), (2, 15)), **kw)
        cross = cross.compute()
    np.testing.assert_array_equal(got, fn(X, block=block, **kw))
    np.testing.assert_allclose(cross, fn(X, Y, **kw)[3:9, 2:15], **TOL)


def test_tile_size_comes_from_the_cost(data, monkeypatch):
    X, _ = data
    # the sizes below are chosen for a target of 2^27 cells per tile (the logic, not
    # the constant, is under test)
    monkeypatch.setattr(dcdist, "TILE_CELLS", 1 << 27)
    # fine chunks are merged: the whole (small) problem is one tile
    D = cdist_dtw(da.from_array(X, chunks=(1, -1, -1)))
    assert D.chunks == ((23,), (23,))
    # soft-DTW cells cost more: smaller tiles for the same target
    big = da.zeros((3000, 64, 1), chunks=(10, -1, -1))
    nd = len(cdist_dtw(big).chunks[0])
    ns = len(cdist_soft_dtw(big).chunks[0])
    assert 1 < nd < ns
    # a band has fewer cells per pair: bigger tiles
    assert len(cdist_dtw(big, sakoe_chiba_radius=2).chunks[0]) < nd
    # coarser chunks than needed are the caller's choice and kept, if they make tiles
    # enough for the threads; one chunk for everything is split
    coarse = da.zeros((3000, 64, 1), chunks=(300, -1, -1))
    assert cdist_dtw(coarse).chunks[0] == (300,) * 10
    assert len(cdist_dtw(coarse.rechunk({0: -1})).chunks[0]) == nd


def test_errors_are_raised_before_computing(data):
    X, Y = data
    Xd = da.from_array(X, chunks=(4, -1, -1))
    with pytest.raises(ValueError, match="gamma"):
        cdist_soft_dtw(Xd, gamma=-1.0)
    with pytest.raises(ValueError, match="global_constraint"):
        cdist_dtw(Xd, global_constraint="nope")
    with pytest.raises(ValueError, match="feature size"):
        cdist_dtw(Xd, da.from_array(Y[:, :, :1]))
    with pytest.raises(ValueError, match="n_jobs"):
        cdist_dtw(Xd, n_jobs=0)
    with pytest.raises(ValueError, match="dataset1 is an empty dataset"):
        cdist_dtw(Xd[:0])
    with pytest.raises(TypeError, match="be:"):
        pytest.importorskip("torch")
        cdist_dtw(Xd, be="pytorch")


def test_bad_values_in_a_block_name_the_block(data, small_tiles):
    X, _ = data
    X = X.copy()
    X[13, 4] = np.nan  # NaN inside a series
    D = cdist_dtw(da.from_array(X, chunks=(4, -1, -1)))
    with dask.config.set(scheduler="sync"):
        with pytest.raises(ValueError, match=r"dataset1 contains NaN inside a series.*dataset1\["):
            D.compute()


def test_task_threads(data, small_tiles):
    # a task runs its kernels on one numba thread unless n_jobs says otherwise: the
    # scheduler's threads are the parallelism
    import numba

    from tsalign import kernels

    assert task_kw({"n_jobs": None, "verbose": 2}) == {"n_jobs": 1, "verbose": 0}
    assert task_kw({"n_jobs": 3})["n_jobs"] == 3
    if numba.get_num_threads() == 1:
        pytest.skip("numba has one thread here")
    seen = []

    def spy(x, y=None, **kw):
        with kernels.threads(kw["n_jobs"]):
            seen.append(numba.get_num_threads())
        return cdist_dtw(x, y, **kw)

    X, _ = data
    kw = {"n_jobs": None, "verbose": 0}
    D = dcdist.dask_cdist(spy, "dtw", da.from_array(X, chunks=(4, -1, -1)), None, None, kw)
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(D.compute(), cdist_dtw(X))
    # the first call checks the arguments in the caller's thread, with n_jobs as given
    assert len(seen) > 2 and set(seen[1:]) == {1}


def test_store_to_zarr(tmp_path, data, small_tiles):
    zarr = pytest.importorskip("zarr")
    X, _ = data
    D = cdist_soft_dtw_normalized(da.from_array(X, chunks=(5, -1, -1)), gamma=0.3)
    with dask.config.set(scheduler="threads"):
        da.to_zarr(D, str(tmp_path / "D.zarr"))
    back = np.asarray(zarr.open(str(tmp_path / "D.zarr"), mode="r")[:])
    np.testing.assert_allclose(back, cdist_soft_dtw_normalized(X, gamma=0.3), **TOL)


# --------------------------------------------------------------------------- kNN, sync
@pytest.mark.parametrize(
    "kw",
    [{}, {"sakoe_chiba_radius": 2}, {"global_constraint": "itakura", "itakura_max_slope": 3.0}],
    ids=["none", "sakoe", "itakura"],
)
@pytest.mark.parametrize("chunked_ref", [False, True], ids=["broadcast", "chunked"])
def test_kneighbors_sync_equals_in_memory(monkeypatch, kw, chunked_ref):
    rng = np.random.default_rng(5)
    Q = rng.normal(size=(31, 16, 1))
    R = rng.normal(size=(45, 16, 1))
    if "itakura" not in str(kw):
        R[[3, 20, 44], 11:] = np.nan  # ragged reference
    monkeypatch.setattr(dnn, "TASK_CELLS", 20_000)  # several query blocks
    if chunked_ref:
        monkeypatch.setattr(dnn, "REF_BYTES", R.nbytes // 5)
    want = kneighbors_dtw(Q, R, 4, return_stats=True, **kw)
    Qd = da.from_array(Q, chunks=(6, -1, -1))
    Rd = da.from_array(R, chunks=(8, -1, -1))
    with dask.config.set(scheduler="sync"):
        dist, ind, stats = kneighbors_dtw(Qd, Rd, 4, return_stats=True, **kw)
        only = kneighbors_dtw(Qd, R, 4, return_distance=False, **kw)
    assert isinstance(dist, np.ndarray) and isinstance(ind, np.ndarray)
    np.testing.assert_array_equal(ind, want[1])
    np.testing.assert_array_equal(dist, want[0])
    np.testing.assert_array_equal(only, want[1])
    assert stats["candidates"] == want[2]["candidates"]
    if not chunked_ref:
        assert stats == want[2]  # the same searches, the same pruning


def test_kneighbors_errors():
    Q = da.zeros((4, 8, 1))
    with pytest.raises(ValueError, match="n_neighbors=6 is larger"):
        kneighbors_dtw(Q, np.zeros((5, 8, 1)), 6)
    with pytest.raises(ValueError, match="feature size"):
        kneighbors_dtw(Q, np.zeros((5, 8, 2)), 1)
    with pytest.raises(ValueError, match="global_constraint"):
        kneighbors_dtw(Q, np.zeros((5, 8, 1)), 1, global_constraint="nope")


# --------------------------------------------------------------------------- clusters
def _check_cluster(client, monkeypatch, every_reference=True):
    rng = np.random.default_rng(11)
    X = ragged(rng, 21, 14, [14] * 10 + [9, 11, 14, 7, 14, 14, 10, 14, 12, 14, 8])
    Y = rng.normal(size=(9, 14, 1))
    Xd = da.from_array(X, chunks=(4, -1, -1))
    Yd = da.from_array(Y, chunks=(3, -1, -1))
    D = cdist_soft_dtw(Xd, gamma=0.4)
    C = cdist_dtw(Xd, Yd, sakoe_chiba_radius=2)
    got_d, got_c = dask.compute(D, C)
    np.testing.assert_allclose(got_d, cdist_soft_dtw(X, gamma=0.4), **TOL)
    np.testing.assert_allclose(got_c, cdist_dtw(X, Y, sakoe_chiba_radius=2), **TOL)
    # kNN: an in-memory reference scattered to every worker, a dask one, a chunked one
    want = kneighbors_dtw(Y, X, 3)
    monkeypatch.setattr(dnn, "TASK_CELLS", 20_000)  # several query blocks
    dist, ind = kneighbors_dtw(Yd, X, 3)
    np.testing.assert_array_equal(ind, want[1])
    np.testing.assert_array_equal(dist, want[0])
    if not every_reference:
        return
    dist, ind = kneighbors_dtw(Yd, Xd, 3)
    np.testing.assert_array_equal(ind, want[1])
    np.testing.assert_array_equal(dist, want[0])
    monkeypatch.setattr(dnn, "REF_BYTES", X.nbytes // 3)
    dist, ind = kneighbors_dtw(Yd, Xd, 3)
    np.testing.assert_array_equal(ind, want[1])
    np.testing.assert_array_equal(dist, want[0])


def test_local_cluster_threads(small_tiles, monkeypatch):
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        _check_cluster(client, monkeypatch)
        # the classifier's kneighbors/predict with dask queries
        pytest.importorskip("sklearn")
        from tsalign.neighbors import KNeighborsTimeSeriesClassifier

        rng = np.random.default_rng(3)
        Xtr, ytr = rng.normal(size=(30, 10)), rng.integers(0, 3, 30)
        Xq = rng.normal(size=(12, 10))
        clf = KNeighborsTimeSeriesClassifier(n_neighbors=3).fit(Xtr, ytr)
        dist, ind = clf.kneighbors(da.from_array(Xq, chunks=(4, -1)))
        want = clf.kneighbors(Xq)
        np.testing.assert_array_equal(ind, want[1])
        np.testing.assert_array_equal(dist, want[0])
        np.testing.assert_array_equal(clf.predict(da.from_array(Xq, chunks=5)), clf.predict(Xq))


def test_local_cluster_processes(small_tiles, monkeypatch):
    # two worker processes: the numba kernels load (or compile) and run in each
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.nthreads()) == 2
        _check_cluster(client, monkeypatch, every_reference=False)
