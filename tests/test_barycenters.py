"""Barycenters against references from the definitions and against tslearn 0.10."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tsalign import barycenters as tb
from tsalign._lib import barycenter as lib
from tsalign._lib.backend import backend_of
from tsalign._lib.validation import dataset
from tsalign.datasets import make_cbf

from .conftest import tol
from .reference import path_cost, sq_cost, warping_paths
from .reference_soft_dtw import band_mask, soft_dtw_ref_value


def _cbf(n_per_class=8, length=48, seed=1):
    X, _ = make_cbf(n_per_class, length, seed=seed)
    return X[:, :, None]


def _tslearn():
    pytest.importorskip("tslearn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import tslearn.barycenters as ref
    return ref


# ------------------------------------------------------------------ references
def _optimal_path(z, x, mask=None):
    """The optimal path of (z, x) by enumeration (continuous data: it is unique)."""
    C = sq_cost(z, x)
    paths = [
        p for p in warping_paths(len(z), len(x)) if mask is None or all(mask[i, j] for i, j in p)
    ]
    costs = [path_cost(C, p) for p in paths]
    k = int(np.argmin(costs))
    return paths[k], costs[k]


def _dba_ref(series, z, weights, n_iter, mask_fn=None):
    """DBA from its definition: average the frames each barycenter frame is aligned with."""
    z = np.array(z, dtype=np.float64)
    for _ in range(n_iter):
        sums = np.zeros_like(z)
        counts = np.zeros(len(z))
        for x, w in zip(series, weights, strict=True):
            mask = None if mask_fn is None else mask_fn(len(z), len(x))
            path, _ = _optimal_path(z, x, mask)
            for i, j in path:
                sums[i] += w * x[j]
                counts[i] += w
        z = sums / counts[:, None]
    return z


def _dba_cost_ref(series, z, weights):
    return sum(w * _optimal_path(z, x)[1] for x, w in zip(series, weights, strict=True)) / sum(
        weights
    )


# ------------------------------------------------------------------ DBA
@pytest.mark.parametrize("band", [None, "sakoe_chiba"])
def test_dba_matches_definition(backend, dtype, rng, band):
    lengths = [5, 4, 6, 5]
    series = [rng.normal(size=(n, 2)) for n in lengths]
    w = np.array([1.0, 2.0, 0.5, 1.0])
    z0 = rng.normal(size=(5, 2))
    params, mask_fn = None, None
    if band:
        params = {"sakoe_chiba_radius": 1}

        def mask_fn(n, m):
            return band_mask(n, m, "sakoe_chiba", 1)

    expected = _dba_ref(series, z0, w, 3, mask_fn)
    X = np.full((4, 6, 2), np.nan)
    for k, s in enumerate(series):
        X[k, : len(s)] = s
    got = tb.dtw_barycenter_averaging(
        backend.asarray(X, dtype),
        init_barycenter=backend.asarray(z0, dtype),
        max_iter=3,
        tol=0.0,
        weights=w,
        metric_params=params,
    )
    assert str(got.dtype).endswith(np.dtype(dtype).name)
    np.testing.assert_allclose(backend.to_numpy(got), expected, **tol(dtype))


def test_dba_cost_does_not_increase(rng):
    series = [rng.normal(size=(n, 1)) for n in (5, 6, 4, 5, 6)]
    w = np.ones(5)
    X = np.full((5, 6, 1), np.nan)
    for k, s in enumerate(series):
        X[k, : len(s)] = s
    z = np.zeros((5, 1)) + 0.1
    prev = np.inf
    for _ in range(4):
        z = tb.dtw_barycenter_averaging(X, init_barycenter=z, max_iter=1)
        cost = _dba_cost_ref(series, z, w)
        assert cost <= prev + 1e-12
        prev = cost


VARIANTS = [
    {},
    {"metric_params": {"sakoe_chiba_radius": 4}},
    # tslearn's DBA ignores a *named* global_constraint (its numba mask compares the
    # string with the codes 0/1/2): compare with the code, check the name separately
    {"metric_params": {"global_constraint": 1, "itakura_max_slope": 3.0}},
    {"barycenter_size": 30},
    {"weights": "random"},
]


def _variant(kw, n, rng):
    kw = dict(kw)
    if kw.get("weights") == "random":
        kw["weights"] = rng.random(n)
    return kw


@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: "-".join(kw) or "plain")
def test_dba_matches_tslearn(rng, kw):
    ref = _tslearn()
    X = _cbf()
    kw = _variant(kw, len(X), rng)
    expected = ref.dtw_barycenter_averaging(X, max_iter=10, **kw)
    got = tb.dtw_barycenter_averaging(X, max_iter=10, **kw)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)


def test_dba_constraint_by_name_or_code():
    X = _cbf(4, 32)
    for name, code, extra in (("itakura", 1, "itakura_max_slope"), ("sakoe_chiba", 2, None)):
        p = {extra: 3.0} if extra else {}
        by_name = tb.dtw_barycenter_averaging(X, metric_params={"global_constraint": name, **p})
        by_code = tb.dtw_barycenter_averaging(X, metric_params={"global_constraint": code, **p})
        free = tb.dtw_barycenter_averaging(X)
        np.testing.assert_array_equal(by_name, by_code)
        assert np.abs(by_name - free).max() > 1e-3


def test_dba_ragged_and_init_match_tslearn(rng):
    ref = _tslearn()
    X = _cbf()
    ragged = [X[k, : 30 + k] for k in range(len(X))]
    np.testing.assert_allclose(
        tb.dtw_barycenter_averaging(ragged, max_iter=8),
        ref.dtw_barycenter_averaging(ragged, max_iter=8),
        atol=1e-8,
    )
    init = rng.normal(size=(20, 1))
    np.testing.assert_allclose(
        tb.dtw_barycenter_averaging(X, init_barycenter=init, max_iter=8),
        ref.dtw_barycenter_averaging(X, init_barycenter=init, max_iter=8),
        atol=1e-8,
    )


def test_dba_multivariate_matches_tslearn(rng):
    ref = _tslearn()
    X = rng.normal(size=(12, 20, 3)).cumsum(axis=1)
    np.testing.assert_allclose(
        tb.dtw_barycenter_averaging(X, max_iter=10),
        ref.dtw_barycenter_averaging(X, max_iter=10),
        atol=1e-8,
    )


@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: "-".join(kw) or "plain")
def test_subgradient_matches_tslearn(rng, kw):
    ref = _tslearn()
    X = _cbf(6, 32)
    kw = _variant(kw, len(X), rng)
    expected = ref.dtw_barycenter_averaging_subgradient(X, max_iter=4, random_state=3, **kw)
    got = tb.dtw_barycenter_averaging_subgradient(X, max_iter=4, random_state=3, **kw)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)


def test_subgradient_ragged_matches_tslearn():
    ref = _tslearn()
    X = _cbf(6, 32)
    ragged = [X[k, : 20 + k % 12] for k in range(len(X))]
    rs = np.random.RandomState(5)
    expected = ref.dtw_barycenter_averaging_subgradient(ragged, max_iter=3, random_state=rs)
    got = tb.dtw_barycenter_averaging_subgradient(
        ragged, max_iter=3, random_state=np.random.RandomState(5)
    )
    np.testing.assert_allclose(got, expected, atol=1e-8)


def test_subgradient_one_step_matches_definition(rng):
    # one series, one step: Z - 2 eta n / sum(w) * w (V Z - W x)
    x = rng.normal(size=(5, 1))
    z = rng.normal(size=(4, 1))
    path, _ = _optimal_path(z, x)
    V = np.zeros(4)
    Wx = np.zeros((4, 1))
    for i, j in path:
        V[i] += 1
        Wx[i] += x[j]
    expected = z - 2 * 0.05 * (V[:, None] * z - Wx)
    got = tb.dtw_barycenter_averaging_subgradient(
        x[None], init_barycenter=z, max_iter=1, random_state=0
    )
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_dba_backends_agree(backend, dtype):
    X = _cbf(4, 32)
    expected = tb.dtw_barycenter_averaging(X, max_iter=5)
    got = tb.dtw_barycenter_averaging(backend.asarray(X, dtype), max_iter=5)
    assert str(got.dtype).endswith(np.dtype(dtype).name)
    np.testing.assert_allclose(backend.to_numpy(got), expected, **_loose(dtype))
    expected = tb.dtw_barycenter_averaging_subgradient(X, max_iter=2, random_state=0)
    got = tb.dtw_barycenter_averaging_subgradient(
        backend.asarray(X, dtype), max_iter=2, random_state=0
    )
    np.testing.assert_allclose(backend.to_numpy(got), expected, **_loose(dtype))


def _loose(dtype):
    return {"rtol": 1e-3, "atol": 1e-3} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-9}


@pytest.mark.parametrize("lib_name", ["numpy", "torch"])
def test_sliced_path_equals_fused_kernel(lib_name):
    # the GPU code path (DTW kernels + scatter-add), run on the CPU
    X = _cbf(5, 30)
    if lib_name == "torch":
        torch = pytest.importorskip("torch")
        X = torch.tensor(X)
    be = backend_of(X)
    n = X.shape[0]
    lx = np.full(n, 30 - 0, dtype=np.int64)
    lx[::3] = 21
    assign = np.arange(n, dtype=np.int64) % 3
    w = np.linspace(0.5, 2.0, n)
    Z = be.xp.asarray(np.random.default_rng(0).normal(size=(3, 25, 1)))
    for bary_first in (True, False):
        for band in [(0, 0, 2.0), (2, 3, 2.0)]:
            a = lib.dba_pass(be, X, lx, Z, assign, w, np.arange(n), band, bary_first, fused=True)
            b = lib.dba_pass(be, X, lx, Z, assign, w, np.arange(n), band, bary_first, fused=False)
            for u, v in zip(a, b, strict=True):
                np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-12, atol=1e-12)
    Zs = Z[0]
    order = np.random.default_rng(1).permutation(n)
    a = lib.subgradient_epoch(be, X, lx, Zs, order, w, (0, 0, 2.0), 0.05, 0.045, True, fused=True)
    b = lib.subgradient_epoch(be, X, lx, Zs, order, w, (0, 0, 2.0), 0.05, 0.045, True, fused=False)
    np.testing.assert_allclose(np.asarray(a[0]), np.asarray(b[0]), atol=1e-12)
    assert abs(a[1] - b[1]) < 1e-15


# ------------------------------------------------------------------ Euclidean
def test_euclidean_barycenter(backend, dtype, rng):
    X = rng.normal(size=(5, 7, 2))
    w = rng.random(5)
    got = tb.euclidean_barycenter(backend.asarray(X, dtype), weights=w)
    expected = (w[:, None, None] * X).sum(0) / w.sum()
    np.testing.assert_allclose(backend.to_numpy(got), expected, **tol(dtype))
    with pytest.raises(ValueError, match="equal length"):
        tb.euclidean_barycenter([[1.0, 2.0, 3.0], [1.0, 2.0]])


# ------------------------------------------------------------------ soft-DTW
def _sdtw_ref_objective(Z, series, w, gamma, divergence, mask_fn=None):
    def sd(a, b):
        return soft_dtw_ref_value(a, b, gamma, None if mask_fn is None else mask_fn(len(a), len(b)))

    total = 0.0
    for x, wi in zip(series, w, strict=True):
        v = sd(Z, x)
        if divergence:
            v -= 0.5 * (sd(Z, Z) + sd(x, x))
        total += wi * v
    return total


@pytest.mark.parametrize("divergence", [False, True])
@pytest.mark.parametrize("band", [None, "sakoe_chiba"])
def test_softdtw_objective_and_gradient(backend, dtype, rng, divergence, band):
    lengths = [4, 3, 5]
    series = [rng.normal(size=(n, 2)) for n in lengths]
    w = np.array([1.0, 0.5, 2.0])
    Z = rng.normal(size=(4, 2))
    gamma = 0.7
    mask_fn, params = None, {}
    if band:
        params = {"sakoe_chiba_radius": 1}

        def mask_fn(n, m):
            return band_mask(n, m, "sakoe_chiba", 1)

    X = np.full((3, 5, 2), np.nan)
    for k, s in enumerate(series):
        X[k, : len(s)] = s
    be = backend_of(backend.asarray(X, dtype))
    d = dataset(be, backend.asarray(X, dtype), "X")
    f = lib.sdtw_objective(be, d.X, d.lengths, w, lib.band_from_params(params), gamma, divergence)
    value, G = f(backend.asarray(Z, dtype))
    expected = _sdtw_ref_objective(Z, series, w, gamma, divergence, mask_fn)
    np.testing.assert_allclose(value, expected, **_loose(dtype))
    eps = 1e-6
    fd = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (
            _sdtw_ref_objective(up, series, w, gamma, divergence, mask_fn)
            - _sdtw_ref_objective(down, series, w, gamma, divergence, mask_fn)
        ) / (2 * eps)
    g_tol = {"rtol": 1e-3, "atol": 1e-3} if dtype == np.float32 else {"rtol": 1e-6, "atol": 1e-7}
    np.testing.assert_allclose(backend.to_numpy(G), fd, **g_tol)


def test_softdtw_barycenter_is_stationary(rng):
    series = [rng.normal(size=(n, 1)) for n in (4, 5, 4)]
    X = np.full((3, 5, 1), np.nan)
    for k, s in enumerate(series):
        X[k, : len(s)] = s
    Z = tb.softdtw_barycenter(X, gamma=0.5, tol=1e-10, max_iter=200)
    eps = 1e-6
    for i in range(Z.shape[0]):
        up, down = Z.copy(), Z.copy()
        up[i] += eps
        down[i] -= eps
        g = (
            _sdtw_ref_objective(up, series, [1, 1, 1], 0.5, False)
            - _sdtw_ref_objective(down, series, [1, 1, 1], 0.5, False)
        ) / (2 * eps)
        assert abs(g) < 1e-4


@pytest.mark.parametrize("kw", [{}, {"sakoe_chiba_radius": 5}, {"weights": "random"}])
@pytest.mark.parametrize("gamma", [0.1, 1.0])
def test_softdtw_objective_not_above_tslearn(rng, kw, gamma):
    ref = _tslearn()
    X = _cbf(5, 40)
    kw = _variant(kw, len(X), rng)
    w = kw.pop("weights", None)
    expected = ref.softdtw_barycenter(X, gamma=gamma, weights=w, max_iter=30, **kw)
    got = tb.softdtw_barycenter(X, gamma=gamma, weights=w, max_iter=30, **kw)
    be = backend_of(X)
    f = lib.sdtw_objective(
        be,
        X,
        np.full(len(X), 40),
        lib.check_weights(w, len(X)),
        lib.band_from_params(kw),
        gamma,
        False,
    )
    f_ref, f_got = f(expected)[0], f(got)[0]
    assert f_got <= f_ref + 1e-9 * abs(f_ref)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_softdtw_ragged_matches_tslearn():
    ref = _tslearn()
    X = _cbf(4, 32)
    ragged = [X[k, : 20 + k] for k in range(len(X))]
    np.testing.assert_allclose(
        tb.softdtw_barycenter(ragged, gamma=0.5, max_iter=20),
        ref.softdtw_barycenter(ragged, gamma=0.5, max_iter=20),
        atol=1e-6,
    )


def test_softdtw_torch_lbfgs_not_above_scipy(dtype):
    torch = pytest.importorskip("torch")
    X = _cbf(4, 32)
    be = backend_of(X)
    f = lib.sdtw_objective(be, X, np.full(len(X), 32), np.ones(len(X)), (0, 0, 2.0), 1.0, False)
    scipy_z = tb.softdtw_barycenter(X, max_iter=30)
    torch_z = tb.softdtw_barycenter(
        torch.tensor(X, dtype=torch.float64), max_iter=30, method="torch"
    )
    assert f(torch_z.numpy())[0] <= f(scipy_z)[0] * (1 + 1e-6)
    z32 = tb.softdtw_barycenter(torch.tensor(X, dtype=torch.float32), max_iter=30, method="torch")
    assert z32.dtype == torch.float32
    assert f(z32.double().numpy())[0] <= f(scipy_z)[0] * (1 + 1e-3)


def test_softdtw_backends(backend, dtype):
    X = _cbf(3, 24)
    expected = tb.softdtw_barycenter(X, gamma=1.0, max_iter=10)
    got = tb.softdtw_barycenter(backend.asarray(X, dtype), gamma=1.0, max_iter=10)
    assert str(got.dtype).endswith(np.dtype(dtype).name)
    if dtype == np.float64 and not backend.gpu:
        np.testing.assert_allclose(backend.to_numpy(got), expected, atol=1e-8)
    else:
        f = lib.sdtw_objective(
            backend_of(X), X, np.full(len(X), 24), np.ones(len(X)), (0, 0, 2.0), 1.0, False
        )
        g = backend.to_numpy(got).astype(np.float64)
        assert f(g)[0] <= f(expected)[0] + 1e-3 * abs(f(expected)[0])


def test_softdtw_divergence_less_flat():
    # soft-DTW barycenters shrink towards flat series as gamma grows; the divergence does not
    X = _cbf(5, 40)
    plain = tb.softdtw_barycenter(X, gamma=5.0, max_iter=50)
    div = tb.softdtw_barycenter(X, gamma=5.0, max_iter=50, divergence=True)
    assert np.ptp(div) > np.ptp(plain)


def test_softdtw_max_iter_zero_returns_init():
    X = _cbf(3, 20)
    init = np.linspace(0, 1, 12)[:, None]
    np.testing.assert_array_equal(tb.softdtw_barycenter(X, init=init, max_iter=0), init)
    np.testing.assert_allclose(tb.softdtw_barycenter(X, max_iter=0), X.mean(axis=0))


# ------------------------------------------------------------------ input handling
BAD = [
    ({"X": []}, ValueError, "X is an empty dataset"),
    ({"X": np.zeros((0, 5, 1))}, ValueError, "X is an empty dataset"),
    ({"weights": [1.0, 2.0]}, ValueError, "weights must have one entry per series"),
    ({"weights": [1.0, -1.0, 1.0, 1.0]}, ValueError, "weights must be non-negative"),
    ({"weights": [0.0, 0.0, 0.0, 0.0]}, ValueError, "weights must not all be zero"),
    ({"weights": [1.0, np.nan, 1.0, 1.0]}, ValueError, "weights must be finite"),
    ({"X": [[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]]}, ValueError, "X contains NaN inside"),
    ({"metric_params": {"radius": 2}}, ValueError, "metric_params: unknown key"),
    ({"max_iter": -1}, ValueError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"),
]


@pytest.mark.parametrize(
    "fn",
    [
        tb.dtw_barycenter_averaging,
        tb.dtw_barycenter_averaging_subgradient,
        lambda X, metric_params=None, **kw: tb.softdtw_barycenter(X, **kw, **(metric_params or {})),
    ],
    ids=["dba", "subgradient", "softdtw"],
)
@pytest.mark.parametrize("kw, exc, msg", BAD, ids=[b[2][:24] for b in BAD])
def test_bad_input(fn, kw, exc, msg):
    kw = dict(kw)
    X = kw.pop("X", np.arange(12.0).reshape(4, 3))
    with pytest.raises(exc, match=msg):
        fn(X, **kw)


def test_bad_init_and_gamma():
    X = np.arange(12.0).reshape(4, 3)
    with pytest.raises(ValueError, match="init_barycenter must have the dataset's feature size"):
        tb.dtw_barycenter_averaging(X, init_barycenter=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="init contains NaN inside"):
        tb.softdtw_barycenter(X, init=[0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="gamma must be > 0"):
        tb.softdtw_barycenter(X, gamma=0.0)
    with pytest.raises(ValueError, match="barycenter_size must be >= 1"):
        tb.dtw_barycenter_averaging(X, barycenter_size=0)
    with pytest.raises(ValueError, match="random_state"):
        tb.dtw_barycenter_averaging_subgradient(X, random_state="seed")
    with pytest.raises(ValueError, match="itakura_max_slope=1.0 is infeasible"):
        tb.dtw_barycenter_averaging(
            [[1.0, 2.0, 3.0], [1.0, 2.0]], metric_params={"itakura_max_slope": 1.0}
        )
    with pytest.raises(TypeError, match="unexpected keyword"):
        tb.dtw_barycenter_averaging(X, radius=1)


def test_inputs_not_modified(rng):
    X = rng.normal(size=(5, 9, 1))
    X[0, 7:] = np.nan
    init = rng.normal(size=(9, 1))
    X0, init0 = X.copy(), init.copy()
    tb.dtw_barycenter_averaging(X, init_barycenter=init, max_iter=3)
    tb.dtw_barycenter_averaging_subgradient(X, init_barycenter=init, max_iter=2, random_state=0)
    tb.softdtw_barycenter(X, init=init, max_iter=3)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(init, init0)


def test_verbose_prints(capsys):
    X = _cbf(2, 16)
    tb.dtw_barycenter_averaging(X, max_iter=2, verbose=True)
    assert "[DBA] epoch 1, cost:" in capsys.readouterr().out
    tb.dtw_barycenter_averaging_subgradient(X, max_iter=1, verbose=True, random_state=0)
    assert "[DBA] epoch 1, cost:" in capsys.readouterr().out


@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 3, 2.0), (1, 0, 3.0)])
@pytest.mark.parametrize("d", [1, 2])
def test_lanes_kernel_equals_single_pair_kernel(band, d, monkeypatch):
    # the float64 DBA pass runs groups of up to LANES series of one (cluster, length)
    # in SIMD lanes and the rest one by one; both must give the single-pair path's DTW
    # values bit for bit and its sums up to the order of the additions
    from tsalign.kernels.cpu import dba

    rng = np.random.default_rng(d)
    n, N, S, K = 2 * dba.LANES + 9, 24, 20, 2
    X = rng.normal(size=(n, N, d)).cumsum(axis=1)
    lx = np.where(np.arange(n) % 5 == 4, N - 3, N).astype(np.int64)
    lx[[7, 8]] = N - 5  # a (cluster, length) too small for a lane group
    for b in range(n):
        X[b, lx[b] :] = 0.0
    Z = rng.normal(size=(K, S, d)).cumsum(axis=1)
    assign = (np.arange(n) % K).astype(np.int64)
    assign[: dba.LANES + 4] = 0
    w = rng.random(n)
    w[::7] = 0.0
    idx = np.delete(np.arange(n), [3, 11]).astype(np.int64)
    _, _, lanes, _ = dba._lane_tasks(lx, assign, idx, S, 2)
    # full lane groups, partial ones (lanes repeating a series, unused) and singles
    assert np.any(lanes == dba.LANES) and np.any((lanes > 0) & (lanes < dba.LANES))
    assert np.any(lanes == 0)
    for bary_first in (True, False):
        got = dba.dba_accumulate(X, lx, Z, assign, w, idx, band, bary_first)
        with monkeypatch.context() as mp:
            mp.setattr(dba, "LANE_BYTES", 0)  # every series through the single-pair path
            sums, counts, costs = dba.dba_accumulate(X, lx, Z, assign, w, idx, band, bary_first)
        np.testing.assert_array_equal(got[2], costs)
        assert np.all(np.isfinite(costs))
        np.testing.assert_allclose(got[0], sums, rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(got[1], counts, rtol=1e-13, atol=1e-12)


def _walks(rng, n, N, d, every, short):
    """n random walks of N frames, every ``every``-th one cut to ``short`` (zero padded)."""
    X = rng.normal(size=(n, N, d)).cumsum(axis=1)
    lx = np.where(np.arange(n) % every == every - 1, short, N).astype(np.int64)
    for b in range(n):
        X[b, lx[b] :] = 0.0
    return X, lx


@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 3, 2.0), (1, 0, 2.0)])
def test_softdtw_objective_exp_domain_equals_log_domain(band):
    # the exponential-domain groups against the log-domain kernel: at a large gamma
    # every group runs in the exp domain, at a small one the loss bound sends them
    # all back to the log domain, in between some go each way
    from tsalign.kernels.cpu import sdtw_bary

    rng = np.random.default_rng(5)
    n, N, S, d = 3 * sdtw_bary.LANES + 4, 40, 33, 2
    X, lx = _walks(rng, n, N, d, every=3, short=N - 5)
    X[: n // 2] *= 0.2  # closer to Z: smaller values than the rest
    Z = rng.normal(size=(S, d)).cumsum(axis=0) * 0.2
    w = rng.random(n)
    seen = set()
    for gamma in (100.0, 1.0, 0.05):
        got = sdtw_bary._objective_tasks(Z, X, lx, w, band, gamma)
        ref = sdtw_bary._objective_tasks(Z, X, lx, w, band, gamma, exp_domain=False)
        assert not ref[3].any()
        seen.update(got[3].tolist())
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-11, atol=1e-12)
    assert seen == {0, 1}


def test_softdtw_objective_falls_back_per_series():
    # one series far from Z in a lane group of close ones: only that series runs
    # again in the log domain, and the group's sums equal the log domain's
    from tsalign.kernels.cpu import sdtw_bary

    rng = np.random.default_rng(7)
    n, N, S = sdtw_bary.LANES, 30, 30
    Z = rng.normal(size=(S, 1)).cumsum(axis=0) * 0.3
    X = Z[None] + 0.1 * rng.normal(size=(n, N, 1))
    X[5, N // 2 :] += 40.0  # its alignments span far more than float64 along a diagonal
    lx = np.full(n, N, dtype=np.int64)
    w = rng.random(n)
    got = sdtw_bary._objective_tasks(Z, X, lx, w, (0, 0, 2.0), 0.05)
    ref = sdtw_bary._objective_tasks(Z, X, lx, w, (0, 0, 2.0), 0.05, exp_domain=False)
    assert got[3].tolist() == [0 if b == 5 else 1 for b in range(n)]
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 1, 2.0), (1, 0, 2.0)])
@pytest.mark.parametrize("S, N", [(1, 1), (1, 4), (4, 1), (2, 3), (5, 2)])
def test_softdtw_objective_exp_domain_tiny_sizes(band, S, N):
    # anti-diagonals of one or two cells, pads at both ends, bands that leave a
    # single path: the exp domain against the log domain
    from tsalign.kernels.cpu import sdtw_bary

    rng = np.random.default_rng(S * 10 + N)
    n = 5
    X = rng.normal(size=(n, N, 2)).cumsum(axis=1)
    lx = np.full(n, N, dtype=np.int64)
    Z = rng.normal(size=(S, 2))
    w = rng.random(n)
    ref = sdtw_bary._objective_tasks(Z, X, lx, w, band, 1.0, exp_domain=False)
    got = sdtw_bary._objective_tasks(Z, X, lx, w, band, 1.0)
    if not np.all(np.isfinite(ref[0])):
        # the band admits no path (Itakura at these sizes): both domains say so alike
        assert np.all(np.isposinf(ref[0])) and np.all(np.isposinf(got[0]))
        np.testing.assert_array_equal(got[3], ref[3])
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-12, atol=1e-13)
        return
    assert got[3].all()
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-13)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("band", [(0, 0, 2.0), (2, 3, 2.0)])
def test_fused_softdtw_objective_equals_family_kernels(band):
    # the fused kernel (lanes of one length, then singles) against the soft-DTW
    # family's forward/backward kernels on the same pairs
    from tsalign._lib.costs import sq_euclidean
    from tsalign.kernels.cpu import sdtw_bary

    rng = np.random.default_rng(2)
    n, N, S, d = 2 * sdtw_bary.LANES + 5, 18, 15, 2
    X, lx = _walks(rng, n, N, d, every=6, short=N - 4)
    Z = rng.normal(size=(S, d)).cumsum(axis=0)
    w = rng.random(n)
    w[3] = 0.0
    vals, r, e = sdtw_bary.sdtw_barycenter_objective(Z, X, lx, w, band, 0.8)
    be = backend_of(X)
    lz = np.full(n, S, dtype=np.int64)
    C = sq_euclidean(be, np.broadcast_to(Z, (n, S, d)).copy(), X)
    v_ref, W = be.call_kernel("soft_dtw", "soft_dtw_forward", C, C, lz, lx, band, 0.8)
    E = be.call_kernel("soft_dtw", "soft_dtw_backward", W, W, lz, lx, band)
    np.testing.assert_allclose(vals, v_ref, rtol=1e-13)
    np.testing.assert_allclose(r, np.einsum("b,bij->i", w, E), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e, np.einsum("b,bij,bjf->if", w, E, X), rtol=1e-12, atol=1e-12)
