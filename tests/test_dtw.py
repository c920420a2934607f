"""Exact DTW family against brute-force references and tslearn's published values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tsalign
from tsalign import (
    cdist_dtw,
    compute_mask,
    dtw,
    dtw_path,
    dtw_path_from_metric,
    dtw_subsequence_path,
    itakura_mask,
    lb_envelope,
    lb_keogh,
    sakoe_chiba_mask,
)

from .conftest import _params, tol
from .reference import (
    dtw_ref,
    dtw_ref_value,
    path_cost,
    sakoe_chiba_ref,
    sq_cost,
    subsequence_paths,
)

SIZES = [(1, 1), (1, 4), (4, 1), (2, 3), (3, 3), (4, 5), (5, 3)]


def _rand(rng, n, d):
    return rng.normal(size=(n, d))


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("n, m", SIZES)
@pytest.mark.parametrize("d", [1, 2])
def test_dtw_matches_path_enumeration(backend, dtype, rng, n, m, d):
    x, y = _rand(rng, n, d), _rand(rng, m, d)
    expected = dtw_ref_value(x, y)
    got = dtw(backend.asarray(x, dtype), backend.asarray(y, dtype))
    np.testing.assert_allclose(backend.to_numpy(got), expected, **tol(dtype))


def test_result_types_and_dtypes(backend, dtype, rng):
    x, y = _rand(rng, 4, 2), _rand(rng, 3, 2)
    v = dtw(backend.asarray(x, dtype), backend.asarray(y, dtype))
    if backend.name == "numpy":
        assert type(v) is float
    else:
        assert v.ndim == 0
        assert str(v.dtype).endswith(np.dtype(dtype).name)
    vb = dtw(backend.asarray(x[None], dtype), backend.asarray(y[None], dtype))
    assert tuple(vb.shape) == (1,)
    assert str(vb.dtype).endswith(np.dtype(dtype).name)


def test_univariate_1d_equals_2d(rng):
    x, y = rng.normal(size=6), rng.normal(size=4)
    assert dtw(x, y) == pytest.approx(dtw(x[:, None], y[:, None]))
    assert dtw(list(x), list(y)) == pytest.approx(dtw(x, y))


def test_tslearn_published_values():
    # tslearn's docstring / doctest values
    assert dtw([1, 2, 3], [1.0, 2.0, 2.0, 3.0]) == 0.0
    assert dtw([1, 2, 3], [1.0, 2.0, 2.0, 3.0, 4.0]) == pytest.approx(1.0)
    assert dtw([1, 2, 3], [3, 4, -3]) == pytest.approx(6.48074069840786)
    np.testing.assert_allclose(
        cdist_dtw([[1, 2, 2, 3], [1, 2, 3, 4]], [[1, 2, 3], [2, 3, 4, 5]]),
        [[0.0, np.sqrt(6)], [1.0, np.sqrt(2)]],
    )


def test_matches_tslearn_on_longer_random_series(rng):
    ts = pytest.importorskip("tslearn.metrics")
    for n, m, d in [(30, 30, 1), (40, 25, 3), (17, 61, 2)]:
        x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        assert dtw(x, y) == pytest.approx(ts.dtw(x, y), rel=1e-12)
        for kw in (
            {"sakoe_chiba_radius": 3},
            {"global_constraint": "itakura", "itakura_max_slope": 3.0},
        ):
            try:
                expected = ts.dtw(x, y, **kw)
            except RuntimeWarning:
                continue
            assert dtw(x, y, **kw) == pytest.approx(expected, rel=1e-12)


def test_long_unequal_float32_close_to_float64(rng):
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(250, 2))
    v64 = dtw(x, y)
    v32 = dtw(x.astype(np.float32), y.astype(np.float32))
    assert v32 == pytest.approx(v64, rel=1e-5)


# ------------------------------------------------------------------ batches and padding
def _padded_batch(rng, lengths, N, d):
    X = np.full((len(lengths), N, d), np.nan)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.normal(size=(n, d))
    return X


def test_batch_with_nan_padding_equals_trimmed_pairs(backend, dtype, rng):
    lx, ly = [3, 5, 1, 4], [4, 2, 5, 5]
    X, Y = _padded_batch(rng, lx, 5, 2), _padded_batch(rng, ly, 5, 2)
    got = backend.to_numpy(dtw(backend.asarray(X, dtype), backend.asarray(Y, dtype)))
    expected = [dtw_ref_value(X[b, : lx[b]], Y[b, : ly[b]]) for b in range(4)]
    np.testing.assert_allclose(got, expected, **tol(dtype))
    paths, dists = dtw_path(backend.asarray(X, dtype), backend.asarray(Y, dtype))
    np.testing.assert_allclose(backend.to_numpy(dists), expected, **tol(dtype))
    for b, p in enumerate(paths):
        assert p[0] == (0, 0) and p[-1] == (lx[b] - 1, ly[b] - 1)
        C = sq_cost(X[b, : lx[b]], Y[b, : ly[b]])
        assert np.sqrt(path_cost(C, p)) == pytest.approx(expected[b], rel=1e-4)


def test_single_series_trailing_nan_is_padding():
    x = np.array([1.0, 2.0, 3.0, np.nan, np.nan])
    assert dtw(x, [3.0, 4.0, -3.0]) == pytest.approx(6.48074069840786)


def test_inputs_are_not_modified(backend, rng):
    X = _padded_batch(rng, [2, 3], 3, 1)
    Y = _padded_batch(rng, [3, 1], 3, 1)
    x, y = backend.asarray(X), backend.asarray(Y)
    dtw(x, y)
    dtw_path(x, y)
    np.testing.assert_array_equal(backend.to_numpy(x), X)
    np.testing.assert_array_equal(backend.to_numpy(y), Y)


# ------------------------------------------------------------------ paths
@pytest.mark.parametrize("n, m", SIZES)
def test_path_is_optimal_and_valid(backend, rng, n, m):
    x, y = _rand(rng, n, 2), _rand(rng, m, 2)
    path, dist = dtw_path(backend.asarray(x), backend.asarray(y))
    value, best_paths = dtw_ref(x, y)
    assert tuple(path) in best_paths
    np.testing.assert_allclose(backend.to_numpy(dist), value, rtol=1e-12)


def test_path_tie_break_matches_tslearn(rng):
    ts = pytest.importorskip("tslearn.metrics")
    # small integers: many equal-cost paths, so the tie-break decides
    for _ in range(40):
        n, m = rng.integers(1, 7, size=2)
        x = rng.integers(0, 3, size=n).astype(float)
        y = rng.integers(0, 3, size=m).astype(float)
        p, d = dtw_path(x, y)
        tp, td = ts.dtw_path(x, y)
        assert p == tp
        assert d == pytest.approx(td)


def test_path_examples():
    assert dtw_path([1, 2, 3], [1.0, 2.0, 2.0, 3.0])[0] == [(0, 0), (1, 1), (1, 2), (2, 3)]
    assert dtw_path([1, 2, 3], [3, 4, -3])[0] == [(0, 0), (1, 0), (2, 1), (2, 2)]


# ------------------------------------------------------------------ constraints
def test_sakoe_chiba_mask_matches_definition_and_tslearn():
    ts = pytest.importorskip("tslearn.metrics")
    for n, m, r in itertools.product(range(1, 8), range(1, 8), range(0, 4)):
        ours = sakoe_chiba_mask(n, m, radius=r)
        np.testing.assert_array_equal(ours, sakoe_chiba_ref(n, m, r))
        np.testing.assert_array_equal(ours, ts.sakoe_chiba_mask(n, m, radius=r))


def test_itakura_mask_matches_tslearn():
    ts = pytest.importorskip("tslearn.metrics")
    checked = 0
    for n, m in itertools.product(range(1, 13), range(1, 13)):
        for slope in (1.0, 1.5, 2.0, 3.0, 5.0):
            try:
                expected = ts.itakura_mask(n, m, max_slope=slope)
            except RuntimeWarning:
                with pytest.raises(ValueError, match="itakura_max_slope"):
                    itakura_mask(n, m, max_slope=slope)
                continue
            np.testing.assert_array_equal(itakura_mask(n, m, max_slope=slope), expected)
            checked += 1
    assert checked > 300


def test_compute_mask_rules():
    np.testing.assert_array_equal(compute_mask(4, 4), np.ones((4, 4), bool))
    np.testing.assert_array_equal(
        compute_mask(4, 5, sakoe_chiba_radius=1), sakoe_chiba_mask(4, 5, 1)
    )
    np.testing.assert_array_equal(compute_mask(4, 4, itakura_max_slope=2), itakura_mask(4, 4, 2.0))
    np.testing.assert_array_equal(
        compute_mask(4, 4, global_constraint="sakoe_chiba"), sakoe_chiba_mask(4, 4, 1)
    )
    np.testing.assert_array_equal(
        compute_mask(4, 4, 2, sakoe_chiba_radius=2, itakura_max_slope=3.0),
        sakoe_chiba_mask(4, 4, 2),
    )
    np.testing.assert_array_equal(
        compute_mask(np.zeros(4), np.zeros((6, 1)), 1), itakura_mask(4, 6, 2.0)
    )


@pytest.mark.parametrize("n, m", [(3, 3), (4, 5), (5, 4), (2, 5), (5, 5)])
@pytest.mark.parametrize(
    "kw",
    [
        {"sakoe_chiba_radius": 0},
        {"sakoe_chiba_radius": 1},
        {"global_constraint": "itakura"},
        {"global_constraint": "itakura", "itakura_max_slope": 3.0},
    ],
)
def test_constrained_dtw_matches_masked_enumeration(backend, dtype, rng, n, m, kw):
    x, y = _rand(rng, n, 1), _rand(rng, m, 1)
    try:
        mask = compute_mask(n, m, **kw)
    except ValueError:
        with pytest.raises(ValueError, match="itakura_max_slope"):
            dtw(backend.asarray(x, dtype), backend.asarray(y, dtype), **kw)
        return
    expected, best_paths = dtw_ref(x, y, mask)
    got = dtw(backend.asarray(x, dtype), backend.asarray(y, dtype), **kw)
    np.testing.assert_allclose(backend.to_numpy(got), expected, **tol(dtype))
    path, dist = dtw_path(backend.asarray(x), backend.asarray(y), **kw)
    assert tuple(path) in best_paths


def test_constraints_follow_each_pairs_own_lengths(rng):
    lx, ly = [5, 3, 6], [6, 5, 4]
    X, Y = _padded_batch(rng, lx, 6, 1), _padded_batch(rng, ly, 6, 1)
    for kw in (
        {"sakoe_chiba_radius": 1},
        {"global_constraint": "itakura", "itakura_max_slope": 4.0},
    ):
        got = dtw(X, Y, **kw)
        expected = [dtw(X[b, : lx[b]], Y[b, : ly[b]], **kw) for b in range(3)]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        got_c = cdist_dtw(
            [X[b, : lx[b]] for b in range(3)], [Y[b, : ly[b]] for b in range(3)], **kw
        )
        np.testing.assert_allclose(np.diag(got_c), expected, rtol=1e-12)


# ------------------------------------------------------------------ cdist
def test_cdist_ragged_and_symmetric(backend, dtype, rng):
    series = [rng.normal(size=(n, 2)) for n in (3, 5, 1, 4)]
    others = [rng.normal(size=(n, 2)) for n in (2, 4, 5)]
    expected = np.array([[dtw_ref_value(a, b) for b in others] for a in series])
    ds1 = _stack_nan(series)
    ds2 = _stack_nan(others)
    got = cdist_dtw(backend.asarray(ds1, dtype), backend.asarray(ds2, dtype))
    np.testing.assert_allclose(backend.to_numpy(got), expected, **tol(dtype))
    self_expected = np.array([[dtw_ref_value(a, b) for b in series] for a in series])
    got_self = backend.to_numpy(cdist_dtw(backend.asarray(ds1, dtype)))
    np.testing.assert_allclose(got_self, self_expected, **tol(dtype))
    assert np.all(np.diag(got_self) == 0)


def _stack_nan(series):
    N = max(len(s) for s in series)
    out = np.full((len(series), N, series[0].shape[1]), np.nan)
    for k, s in enumerate(series):
        out[k, : len(s)] = s
    return out


def test_cdist_list_of_series_and_n_jobs(rng):
    series = [list(rng.normal(size=n)) for n in (6, 3, 8)]
    a = cdist_dtw(series, n_jobs=1)
    b = cdist_dtw(series, n_jobs=-1)
    np.testing.assert_array_equal(a, b)
    assert a[0, 2] == pytest.approx(dtw(series[0], series[2]))
    with pytest.raises(ValueError, match="n_jobs"):
        cdist_dtw(series, n_jobs=0)


def test_cdist_matches_tslearn(rng):
    ts = pytest.importorskip("tslearn.metrics")
    X = rng.normal(size=(7, 20, 2))
    Y = rng.normal(size=(5, 15, 2))
    np.testing.assert_allclose(cdist_dtw(X, Y), ts.cdist_dtw(X, Y), rtol=1e-12)
    np.testing.assert_allclose(
        cdist_dtw(X, sakoe_chiba_radius=2), ts.cdist_dtw(X, sakoe_chiba_radius=2), rtol=1e-12
    )


def test_cdist_verbose_progress_bar(capsys, rng):
    cdist_dtw(rng.normal(size=(6, 5)), verbose=1)
    err = capsys.readouterr().err
    # tqdm's bar when installed, the built-in one otherwise: both say this much
    assert "cdist_dtw" in err and "100" in err and "15/15" in err


def test_cdist_torch_is_differentiable():
    torch = pytest.importorskip("torch")
    X = torch.randn(3, 5, 1, dtype=torch.float64, requires_grad=True)
    Y = torch.randn(2, 4, 1, dtype=torch.float64)
    D = cdist_dtw(X, Y)
    D.sum().backward()
    g_manual = torch.zeros_like(X)
    for a in range(3):
        xa = X.detach()[a].clone().requires_grad_(True)
        sum(dtw(xa, Y[b]) for b in range(2)).backward()
        g_manual[a] = xa.grad
    torch.testing.assert_close(X.grad, g_manual)
    np.testing.assert_allclose(
        D.detach().numpy(), cdist_dtw(X.detach().numpy(), Y.numpy()), rtol=1e-12
    )


# ------------------------------------------------------------------ gradients
def test_seed_gradient():
    torch = pytest.importorskip("torch")
    s1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    s2 = torch.tensor([[3.0], [4.0], [-3.0]])
    sim = dtw(s1, s2, be="pytorch")
    assert float(sim.detach()) == pytest.approx(6.4807, abs=1e-4)
    sim.backward()
    np.testing.assert_allclose(s1.grad.numpy().ravel(), [-0.3086, -0.1543, 0.7715], atol=1e-4)
    assert dtw(s1, s2).grad_fn is not None


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("n, m, d", [(4, 5, 1), (3, 3, 2), (5, 2, 2)])
def test_gradient_matches_finite_differences_of_reference(rng, n, m, d):
    torch = pytest.importorskip("torch")
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    dtw(tx, ty).backward()
    np.testing.assert_allclose(
        tx.grad.numpy(), _fd_grad(lambda z: dtw_ref_value(z, y), x), atol=1e-6
    )
    np.testing.assert_allclose(
        ty.grad.numpy(), _fd_grad(lambda z: dtw_ref_value(x, z), y), atol=1e-6
    )


def test_batched_gradient_with_padding_is_per_pair(rng):
    torch = pytest.importorskip("torch")
    lx, ly = [3, 5], [4, 2]
    X, Y = _padded_batch(rng, lx, 5, 1), _padded_batch(rng, ly, 4, 1)
    tX = torch.tensor(X, requires_grad=True)
    dtw(tX, torch.tensor(Y)).sum().backward()
    g = tX.grad.numpy()
    for b in range(2):
        fd = _fd_grad(lambda z, b=b: dtw_ref_value(z, Y[b, : ly[b]]), X[b, : lx[b]])
        np.testing.assert_allclose(g[b, : lx[b]], fd, atol=1e-6)
        assert np.all(g[b, lx[b] :] == 0)


def test_zero_distance_has_zero_gradient_not_nan():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = dtw(x, torch.tensor([1.0, 2.0, 2.0, 3.0]))
    v.backward()
    assert float(v.detach()) == 0.0
    assert torch.all(torch.isfinite(x.grad)) and torch.all(x.grad == 0)


def test_dtw_path_distance_is_differentiable():
    torch = pytest.importorskip("torch")
    s1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    path, d = dtw_path(s1, torch.tensor([[3.0], [4.0], [-3.0]]))
    d.backward()
    np.testing.assert_allclose(s1.grad.numpy().ravel(), [-0.3086, -0.1543, 0.7715], atol=1e-4)


# ------------------------------------------------------------------ path from metric
def test_path_from_metric_variants(rng):
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(6, 2))
    p_sq, c_sq = dtw_path_from_metric(x, y, metric="sqeuclidean")
    p_ref, c_ref = dtw_path(x, y)
    assert p_sq == p_ref and c_sq == pytest.approx(c_ref**2)
    C = np.sqrt(sq_cost(x, y))
    p_e, c_e = dtw_path_from_metric(x, y)  # euclidean by default
    p_pre, c_pre = dtw_path_from_metric(C, metric="precomputed")
    assert p_e == p_pre and c_e == pytest.approx(c_pre)
    best = min(path_cost(C, p) for p in _all_paths(5, 6))
    assert c_pre == pytest.approx(best)
    p_cal, c_cal = dtw_path_from_metric(x, y, metric=lambda a, b: np.sqrt(((a - b) ** 2).sum()))
    assert p_cal == p_pre and c_cal == pytest.approx(c_pre)
    p_l1, c_l1 = dtw_path_from_metric(x, y, metric="cityblock")
    L1 = np.abs(x[:, None] - y[None]).sum(-1)
    assert c_l1 == pytest.approx(min(path_cost(L1, p) for p in _all_paths(5, 6)))


def _all_paths(n, m):
    from .reference import warping_paths

    return warping_paths(n, m)


def test_path_from_metric_matches_tslearn_and_torch(rng):
    ts = pytest.importorskip("tslearn.metrics")
    torch = pytest.importorskip("torch")
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    for metric in ("euclidean", "sqeuclidean", "cityblock", "cosine"):
        p, c = dtw_path_from_metric(x, y, metric=metric)
        tp, tc = ts.dtw_path_from_metric(x, y, metric=metric)
        assert p == tp and c == pytest.approx(tc, rel=1e-10)
        pt, ct = dtw_path_from_metric(torch.tensor(x), torch.tensor(y), metric=metric)
        assert pt == p and float(ct) == pytest.approx(c, rel=1e-10)
    with pytest.raises(ValueError, match="metric"):
        dtw_path_from_metric(x, y, metric="no-such-metric")


# ------------------------------------------------------------------ subsequence
@pytest.mark.parametrize("n, m", [(1, 4), (2, 5), (3, 6), (3, 3)])
def test_subsequence_matches_enumeration(backend, rng, n, m):
    q, s = _rand(rng, n, 1), _rand(rng, m, 1)
    C = sq_cost(q, s)
    best = min(path_cost(C, p) for p in subsequence_paths(n, m))
    path, dist = dtw_subsequence_path(backend.asarray(q), backend.asarray(s))
    np.testing.assert_allclose(backend.to_numpy(dist), np.sqrt(best), rtol=1e-12)
    assert path[0][0] == 0 and path[-1][0] == n - 1
    assert path_cost(C, path) == pytest.approx(best)


def test_subsequence_tslearn_example():
    ts = pytest.importorskip("tslearn.metrics")
    path, dist = dtw_subsequence_path([2.0, 3.0], [1.0, 2.0, 2.0, 3.0, 4.0])
    assert path == [(0, 2), (1, 3)] and dist == 0.0
    rng = np.random.default_rng(3)
    for _ in range(10):
        q, s = rng.integers(0, 3, size=4).astype(float), rng.integers(0, 3, size=9).astype(float)
        p, d = dtw_subsequence_path(q, s)
        tp, td = ts.dtw_subsequence_path(q, s)
        assert p == tp and d == pytest.approx(td)


# ------------------------------------------------------------------ lower bounds
def test_lb_keogh_matches_tslearn_and_bounds_dtw(rng):
    ts = pytest.importorskip("tslearn.metrics")
    for _ in range(10):
        q, c = rng.normal(size=12), rng.normal(size=12)
        r = int(rng.integers(0, 4))
        lo, up = lb_envelope(c, radius=r)
        tlo, tup = ts.lb_envelope(c, radius=r)
        np.testing.assert_allclose(lo, tlo)
        np.testing.assert_allclose(up, tup)
        lb = lb_keogh(q, ts_candidate=c, radius=r)
        assert lb == pytest.approx(ts.lb_keogh(q, ts_candidate=c, radius=r))
        assert lb <= dtw(q, c, sakoe_chiba_radius=r) + 1e-12
    with pytest.raises(ValueError, match="univariate"):
        lb_keogh(rng.normal(size=(5, 2)), ts_candidate=rng.normal(size=(5, 2)))
    with pytest.raises(ValueError, match="same length"):
        lb_keogh(rng.normal(size=5), ts_candidate=rng.normal(size=6))


def test_lb_envelope_torch():
    torch = pytest.importorskip("torch")
    lo, up = lb_envelope(torch.tensor([1.0, 2.0, 3.0, 2.0, 1.0]), radius=1)
    assert lo.ravel().tolist() == [1, 1, 2, 1, 1] and up.ravel().tolist() == [2, 3, 3, 3, 2]


# ------------------------------------------------------------------ bad input
def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="s1.*only nans or has zero length"):
        dtw([], [1.0, 2.0])
    with pytest.raises(ValueError, match="s2.*only nans"):
        dtw([1.0, 2.0], [np.nan, np.nan])
    with pytest.raises(ValueError, match="feature size"):
        dtw(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="batch size"):
        dtw(np.zeros((2, 3, 1)), np.zeros((3, 3, 1)))
    with pytest.raises(ValueError, match="both be single series or both be batches"):
        dtw(np.zeros((2, 3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="itakura_max_slope"):
        dtw(np.zeros(2), np.zeros(10), itakura_max_slope=1.5)
    with pytest.raises(ValueError, match="itakura_max_slope"):
        dtw(np.zeros((1, 2, 1)), np.zeros((1, 10, 1)), itakura_max_slope=1.5)
    with pytest.raises(ValueError, match="global_constraint cannot be inferred"):
        dtw([1.0], [1.0], sakoe_chiba_radius=1, itakura_max_slope=2.0)
    with pytest.raises(RuntimeWarning):  # tslearn raised RuntimeWarning: still caught
        dtw([1.0], [1.0], sakoe_chiba_radius=1, itakura_max_slope=2.0)
    with pytest.raises(ValueError, match="sakoe_chiba_radius"):
        dtw([1.0], [1.0], sakoe_chiba_radius=-1)
    with pytest.raises(ValueError, match="global_constraint"):
        dtw([1.0], [1.0], global_constraint="band")
    with pytest.raises(ValueError, match="s1 contains NaN inside a series"):
        dtw([1.0, np.nan, 2.0], [1.0])
    with pytest.raises(ValueError, match="s1 must have shape"):
        dtw(np.zeros((1, 2, 3, 1)), np.zeros((1, 2, 3, 1)))
    with pytest.raises(TypeError, match="s1 must be real-valued"):
        dtw(np.zeros(3, dtype=complex), np.zeros(3))
    with pytest.raises(ValueError, match="dataset1"):
        cdist_dtw([[1.0, 2.0], [np.nan, np.nan]])
    with pytest.raises(ValueError, match="same feature size"):
        cdist_dtw(np.zeros((2, 3, 1)), np.zeros((2, 3, 2)))


def test_mixed_libraries_and_cuda_to_host():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="different libraries"):
        dtw(np.zeros(3), torch.zeros(3))


def test_int_and_bool_inputs_become_float64():
    assert dtw(np.array([1, 2, 3]), np.array([3, 4, -3])) == pytest.approx(6.48074069840786)


def test_half_precision_torch_computes_in_float32():
    torch = pytest.importorskip("torch")
    v = dtw(
        torch.tensor([1.0, 2.0, 3.0], dtype=torch.bfloat16),
        torch.tensor([3.0, 4.0, -3.0], dtype=torch.bfloat16),
    )
    assert v.dtype == torch.float32 and float(v) == pytest.approx(6.4807, abs=1e-3)


def test_public_names():
    for name in tsalign.__all__:
        assert hasattr(tsalign, name)


@pytest.mark.parametrize("backend", [p for p in _params() if p.id in ("cupy", "torch-cuda")])
def test_device_arrays_are_never_copied_to_host_silently(backend):
    x = backend.asarray([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="never copies device arrays to the host"):
        dtw(x, x, be="numpy")
    # on their own backend they stay on the device
    v = dtw(x, x)
    assert "cuda" in str(getattr(v, "device", "cuda")).lower() or backend.name == "cupy"
