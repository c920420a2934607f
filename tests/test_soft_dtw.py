"""soft-DTW family: values, alignments and gradients against the definition."""

from __future__ import annotations

import numpy as np
import pytest

import tsalign
from tsalign import (
    cdist_soft_dtw,
    cdist_soft_dtw_normalized,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_from_cost,
    soft_dtw_normalized,
)

from .conftest import _params, tol
from .reference_soft_dtw import (
    band_mask,
    soft_dtw_ref,
    soft_dtw_ref_cost,
    soft_dtw_ref_grad,
    soft_dtw_ref_value,
)

SHAPES = [(1, 1), (1, 4), (4, 1), (3, 5), (5, 3), (4, 4)]
BANDS = [
    ("sakoe_chiba", 0, (5, 5)),
    ("sakoe_chiba", 1, (4, 6)),
    ("sakoe_chiba", 1, (6, 4)),
    ("sakoe_chiba", 2, (5, 5)),
    ("itakura", 2.0, (5, 5)),
    ("itakura", 3.0, (5, 6)),
]


def _band_kwargs(kind, param):
    if kind == "sakoe_chiba":
        return {"global_constraint": kind, "sakoe_chiba_radius": param}
    return {"global_constraint": kind, "itakura_max_slope": param}


def _num(x):
    return np.asarray(
        x.detach().cpu().numpy() if hasattr(x, "detach") else (x.get() if hasattr(x, "get") else x),
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("n,m", SHAPES)
@pytest.mark.parametrize("d", [1, 3])
def test_values_match_reference(backend, dtype, n, m, d):
    rng = np.random.default_rng(n * 10 + m + d)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    for gamma in (1.0, 0.1):
        got = soft_dtw(backend.asarray(x, dtype), backend.asarray(y, dtype), gamma=gamma)
        expected = soft_dtw_ref_value(x.astype(dtype), y.astype(dtype), gamma)
        np.testing.assert_allclose(_num(got), expected, **tol(dtype))


@pytest.mark.parametrize("kind,param,shape", BANDS)
def test_bands_match_reference(backend, dtype, kind, param, shape):
    n, m = shape
    rng = np.random.default_rng(n + m)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    mask = band_mask(n, m, kind, param)
    got = soft_dtw(
        backend.asarray(x, dtype), backend.asarray(y, dtype), gamma=0.5, **_band_kwargs(kind, param)
    )
    expected = soft_dtw_ref_value(x.astype(dtype), y.astype(dtype), 0.5, mask)
    np.testing.assert_allclose(_num(got), expected, **tol(dtype))


def test_values_can_be_negative_and_shrink_with_gamma():
    x = [0.0, 1.0, 0.5]
    v1 = soft_dtw(x, x, gamma=1.0)
    v10 = soft_dtw(x, x, gamma=10.0)
    assert v1 < 0 and v10 < v1
    assert soft_dtw_ref_value(x, x, 10.0) == pytest.approx(v10, rel=1e-12)


def test_small_gamma_tends_to_squared_dtw():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=6), rng.normal(size=7)
    hard = tsalign.dtw(x, y) ** 2
    assert soft_dtw(x, y, gamma=1e-4) == pytest.approx(hard, abs=1e-3)


# --------------------------------------------------------------------------- gamma = 0
def test_gamma_zero_is_exactly_squared_dtw(backend, dtype):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2))
    X, Y = backend.asarray(x, dtype), backend.asarray(y, dtype)
    for kw in ({}, {"sakoe_chiba_radius": 1}, {"itakura_max_slope": 2.0}):
        got = soft_dtw(X, Y, gamma=0.0, **kw)
        ref = tsalign.dtw(X, Y, **kw) ** 2
        assert _num(got) == _num(ref)
    E, value = soft_dtw_alignment(X, Y, gamma=0)
    path, dist = tsalign.dtw_path(X, Y)
    expected = np.zeros((5, 7))
    for i, j in path:
        expected[i, j] = 1
    np.testing.assert_array_equal(_num(E), expected)
    assert _num(value) == _num(dist**2)
    np.testing.assert_array_equal(
        _num(cdist_soft_dtw([x, y[:5]], gamma=0)), _num(tsalign.cdist_dtw([x, y[:5]]) ** 2)
    )
    hard = _num(tsalign.dtw(X, Y)) ** 2
    assert _num(soft_dtw_normalized(X, Y, gamma=0)) == pytest.approx(hard, rel=1e-6)


# --------------------------------------------------------------------------- alignment
@pytest.mark.parametrize("n,m", [(1, 3), (3, 5), (5, 4), (4, 4)])
def test_alignment_is_gibbs_mean_of_paths(backend, dtype, n, m):
    rng = np.random.default_rng(n * m)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    E, value = soft_dtw_alignment(backend.asarray(x, dtype), backend.asarray(y, dtype), gamma=0.7)
    v_ref, E_ref = soft_dtw_ref(x.astype(dtype), y.astype(dtype), 0.7)
    assert tuple(E.shape) == (n, m)
    np.testing.assert_allclose(_num(E), E_ref, **tol(dtype))
    np.testing.assert_allclose(_num(value), v_ref, **tol(dtype))


@pytest.mark.parametrize("kind,param,shape", BANDS)
def test_alignment_under_bands(backend, kind, param, shape):
    n, m = shape
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=n), rng.normal(size=m)
    E, _ = soft_dtw_alignment(
        backend.asarray(x), backend.asarray(y), gamma=0.3, **_band_kwargs(kind, param)
    )
    _, E_ref = soft_dtw_ref(x, y, 0.3, band_mask(n, m, kind, param))
    np.testing.assert_allclose(_num(E), E_ref, rtol=1e-10, atol=1e-12)


def test_alignment_matches_tslearn_doc():
    E, v = soft_dtw_alignment([1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0], gamma=1.0)
    assert v == pytest.approx(-0.8954437807217475, rel=1e-12)
    np.testing.assert_allclose(
        E[0], [1.0, 1.88929819e-01, 2.83818995e-04, 4.19122160e-11], rtol=1e-6
    )


# --------------------------------------------------------------------------- batches
def _padded_batch(rng, lengths, N, d):
    X = np.full((len(lengths), N, d), np.nan)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.normal(size=(n, d))
    return X


def test_batch_with_nan_padding(backend, dtype):
    rng = np.random.default_rng(5)
    lx, ly = [3, 5, 1, 4], [4, 2, 5, 5]
    X, Y = _padded_batch(rng, lx, 5, 2), _padded_batch(rng, ly, 5, 2)
    X_before = X.copy()
    got = _num(soft_dtw(backend.asarray(X, dtype), backend.asarray(Y, dtype), gamma=0.4))
    for b in range(4):
        ref = soft_dtw_ref_value(X[b, : lx[b]].astype(dtype), Y[b, : ly[b]].astype(dtype), 0.4)
        np.testing.assert_allclose(got[b], ref, **tol(dtype))
    np.testing.assert_array_equal(X, X_before)
    E, vals = soft_dtw_alignment(backend.asarray(X, dtype), backend.asarray(Y, dtype), gamma=0.4)
    E = _num(E)
    assert E.shape == (4, 5, 5)
    for b in range(4):
        _, E_ref = soft_dtw_ref(X[b, : lx[b]].astype(dtype), Y[b, : ly[b]].astype(dtype), 0.4)
        np.testing.assert_allclose(E[b, : lx[b], : ly[b]], E_ref, **tol(dtype))
        assert not E[b, lx[b] :].any() and not E[b, :, ly[b] :].any()
    norm = _num(soft_dtw_normalized(backend.asarray(X, dtype), backend.asarray(Y, dtype), 0.4))
    for b in range(4):
        x, y = X[b, : lx[b]], Y[b, : ly[b]]
        ref = soft_dtw_ref_value(x, y, 0.4) - 0.5 * (
            soft_dtw_ref_value(x, x, 0.4) + soft_dtw_ref_value(y, y, 0.4)
        )
        np.testing.assert_allclose(norm[b], ref, **tol(dtype))


def test_single_series_with_trailing_nans_is_trimmed():
    x = np.array([1.0, 2.0, np.nan, np.nan])
    assert soft_dtw(x, [1.0, 3.0], gamma=0.5) == pytest.approx(
        soft_dtw_ref_value([1.0, 2.0], [1.0, 3.0], 0.5), rel=1e-12
    )


# --------------------------------------------------------------------------- cdist
def test_cdist_matches_reference(backend, dtype):
    rng = np.random.default_rng(11)
    A = [rng.normal(size=(n, 2)) for n in (3, 5, 4)]
    Bs = [rng.normal(size=(n, 2)) for n in (2, 4)]
    Ab = [backend.asarray(a, dtype) for a in A]
    Bb = [backend.asarray(b, dtype) for b in Bs]
    got = _num(cdist_soft_dtw(Ab, Bb, gamma=0.5))
    ref = np.array(
        [[soft_dtw_ref_value(a.astype(dtype), b.astype(dtype), 0.5) for b in Bs] for a in A]
    )
    np.testing.assert_allclose(got, ref, **tol(dtype))
    sym = _num(cdist_soft_dtw(Ab, gamma=0.5))
    ref_sym = np.array(
        [[soft_dtw_ref_value(a.astype(dtype), b.astype(dtype), 0.5) for b in A] for a in A]
    )
    np.testing.assert_allclose(sym, ref_sym, **tol(dtype))
    norm = _num(cdist_soft_dtw_normalized(Ab, Bb, gamma=0.5))
    selfA = np.array([soft_dtw_ref_value(a, a, 0.5) for a in A])
    selfB = np.array([soft_dtw_ref_value(b, b, 0.5) for b in Bs])
    np.testing.assert_allclose(norm, ref - 0.5 * (selfA[:, None] + selfB[None, :]), **tol(dtype))
    norm_sym = _num(cdist_soft_dtw_normalized(Ab, gamma=0.5))
    np.testing.assert_allclose(np.diag(norm_sym), 0, atol=1e-4)
    assert np.all(norm_sym > -1e-4)


def test_cdist_with_band_and_threads():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(4, 5, 1))
    got = cdist_soft_dtw(X, gamma=0.3, sakoe_chiba_radius=1, n_jobs=1, verbose=0)
    mask = band_mask(5, 5, "sakoe_chiba", 1)
    ref = np.array([[soft_dtw_ref_value(a, b, 0.3, mask) for b in X] for a in X])
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_cdist_verbose_progress(capsys):
    cdist_soft_dtw(np.zeros((3, 4)), gamma=1.0, verbose=1)
    assert "cdist_soft_dtw" in capsys.readouterr().err


# --------------------------------------------------------------------------- gradients
def _torch():
    import torch

    return torch


@pytest.mark.parametrize(
    "n,m,band",
    [
        (3, 4, None),
        (4, 3, None),
        (1, 3, None),
        (4, 4, ("sakoe_chiba", 1)),
        (4, 6, ("sakoe_chiba", 0)),
        (5, 5, ("itakura", 2.0)),
        (5, 6, ("itakura", 3.0)),
    ],
)
def test_gradients_match_finite_differences(n, m, band):
    torch = _torch()
    rng = np.random.default_rng(n + 2 * m)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    kw = _band_kwargs(*band) if band else {}
    mask = band_mask(n, m, *band) if band else None
    X = torch.tensor(x, requires_grad=True)
    Y = torch.tensor(y, requires_grad=True)
    v = soft_dtw(X, Y, gamma=0.6, **kw)
    v.backward()
    gx, gy = soft_dtw_ref_grad(x, y, 0.6, mask)
    assert torch.isfinite(X.grad).all() and torch.isfinite(Y.grad).all()
    np.testing.assert_allclose(X.grad.numpy(), gx, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(Y.grad.numpy(), gy, rtol=1e-6, atol=1e-7)


def test_gradient_of_normalized_and_alignment_value():
    torch = _torch()
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(4, 1)), rng.normal(size=(3, 1))
    X = torch.tensor(x, requires_grad=True)
    soft_dtw_normalized(X, torch.tensor(y), gamma=0.5).backward()

    def f(xx):
        return soft_dtw_ref_value(xx, y, 0.5) - 0.5 * (
            soft_dtw_ref_value(xx, xx, 0.5) + soft_dtw_ref_value(y, y, 0.5)
        )

    eps = 1e-6
    fd = np.zeros_like(x)
    for i in range(4):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        fd[i] = (f(xp) - f(xm)) / (2 * eps)
    np.testing.assert_allclose(X.grad.numpy(), fd, rtol=1e-6, atol=1e-8)
    X2 = torch.tensor(x, requires_grad=True)
    _, v = soft_dtw_alignment(X2, torch.tensor(y), gamma=0.5)
    v.backward()
    gx, _ = soft_dtw_ref_grad(x, y, 0.5)
    np.testing.assert_allclose(X2.grad.numpy(), gx, rtol=1e-6, atol=1e-8)


def test_gradcheck_on_cost_matrix():
    torch = _torch()
    from tsalign._torch.soft_dtw import SoftDTWFunction

    rng = np.random.default_rng(9)
    C = torch.tensor(rng.uniform(0, 2, size=(3, 4, 5)), requires_grad=True)
    lx = np.array([4, 2, 3], dtype=np.int64)
    ly = np.array([5, 5, 1], dtype=np.int64)
    for band in [(0, 0, 2.0), (2, 1, 2.0), (1, 0, 2.0)]:
        lxb, lyb = (lx, ly) if band[0] != 1 else (np.array([4, 4, 4]), np.array([5, 5, 5]))
        assert torch.autograd.gradcheck(
            lambda c, lxb=lxb, lyb=lyb, band=band: SoftDTWFunction.apply(c, lxb, lyb, band, 0.8),
            (C,),
        )


@pytest.mark.parametrize("d", [1, 10])
def test_gradcheck_sq_euclidean_cost(d):
    torch = _torch()
    from tsalign._torch.costs import SqEuclideanCost

    rng = np.random.default_rng(d)
    X = torch.tensor(rng.normal(size=(2, 4, d)), requires_grad=True)
    Y = torch.tensor(rng.normal(size=(2, 3, d)), requires_grad=True)
    assert torch.autograd.gradcheck(SqEuclideanCost.apply, (X, Y))
    np.testing.assert_allclose(
        SqEuclideanCost.apply(X, Y).detach().numpy(),
        ((X[:, :, None] - Y[:, None]) ** 2).sum(-1).detach().numpy(),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 3])
def test_sq_euclidean_cost_cpu_gradient_matches_matmul_form(dtype, d):
    # the CPU backward is one numba pass over G; check it against the
    # closed form with matmuls, on non-contiguous inputs, one side without grad
    torch = _torch()
    from tsalign._torch.costs import SqEuclideanCost

    rng = np.random.default_rng(d)
    X = torch.tensor(rng.normal(size=(3, d, 7)).astype(dtype)).transpose(1, 2).requires_grad_()
    Y = torch.tensor(rng.normal(size=(3, 5, d)).astype(dtype))
    G = torch.tensor(rng.random(size=(3, 7, 5)).astype(dtype))
    SqEuclideanCost.apply(X, Y).backward(G)
    want = 2 * (G.sum(2, keepdim=True) * X - torch.bmm(G, Y))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(X.grad.numpy(), want.detach().numpy(), rtol=tol, atol=tol)
    Y.requires_grad_()
    X.grad = None
    SqEuclideanCost.apply(X, Y).backward(G)
    want_y = 2 * (G.sum(1)[..., None] * Y - torch.bmm(G.transpose(1, 2), X))
    np.testing.assert_allclose(Y.grad.numpy(), want_y.detach().numpy(), rtol=tol, atol=tol)


def test_gradients_in_batch_with_padding_and_cdist():
    torch = _torch()
    rng = np.random.default_rng(6)
    X = _padded_batch(rng, [3, 4], 4, 1)
    Y = _padded_batch(rng, [4, 2], 4, 1)
    Xt = torch.tensor(X, requires_grad=True)
    soft_dtw(Xt, torch.tensor(Y), gamma=0.5).sum().backward()
    for b, (n, m) in enumerate([(3, 4), (4, 2)]):
        gx, _ = soft_dtw_ref_grad(X[b, :n], Y[b, :m], 0.5)
        np.testing.assert_allclose(Xt.grad[b, :n].numpy(), gx, rtol=1e-6, atol=1e-8)
        assert (Xt.grad[b, n:] == 0).all()
    A = torch.tensor(rng.normal(size=(3, 4, 1)), requires_grad=True)
    D = cdist_soft_dtw(A, gamma=0.5)
    D[0, 1].backward()
    g0, g1 = soft_dtw_ref_grad(A[0].detach().numpy(), A[1].detach().numpy(), 0.5)
    np.testing.assert_allclose(A.grad[0].numpy(), g0, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(A.grad[1].numpy(), g1, rtol=1e-6, atol=1e-8)
    assert (A.grad[2] == 0).all()


def test_gradient_of_cdist_normalized():
    torch = _torch()
    rng = np.random.default_rng(13)
    A = rng.normal(size=(2, 4, 1))
    Bn = rng.normal(size=(3, 3, 1))
    At = torch.tensor(A, requires_grad=True)
    D = cdist_soft_dtw_normalized(At, torch.tensor(Bn), gamma=0.5)
    D[1, 2].backward()

    def f(a):
        return soft_dtw_ref_value(a, Bn[2], 0.5) - 0.5 * (
            soft_dtw_ref_value(a, a, 0.5) + soft_dtw_ref_value(Bn[2], Bn[2], 0.5)
        )

    eps = 1e-6
    fd = np.zeros_like(A[1])
    for i in range(4):
        ap, am = A[1].copy(), A[1].copy()
        ap[i] += eps
        am[i] -= eps
        fd[i] = (f(ap) - f(am)) / (2 * eps)
    np.testing.assert_allclose(At.grad[1].numpy(), fd, rtol=1e-6, atol=1e-8)
    assert (At.grad[0] == 0).all()


def test_gradient_at_gamma_zero_is_squared_dtw_gradient():
    torch = _torch()
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(5, 2))
    X1 = torch.tensor(x, requires_grad=True)
    soft_dtw(X1, torch.tensor(y), gamma=0).backward()
    X2 = torch.tensor(x, requires_grad=True)
    (tsalign.dtw(X2, torch.tensor(y)) ** 2).backward()
    np.testing.assert_allclose(X1.grad.numpy(), X2.grad.numpy(), rtol=1e-12)


def test_precomputed_cost_gets_gradients():
    torch = _torch()
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    X = torch.tensor(x, requires_grad=True)
    C = torch.cdist(X, torch.tensor(y), p=1)
    v = soft_dtw_from_cost(C, gamma=0.5)
    v.backward()
    C_np = np.abs(x[:, None] - y[None]).sum(-1)
    v_ref, E_ref = soft_dtw_ref_cost(C_np, 0.5)
    assert float(v.detach()) == pytest.approx(v_ref, rel=1e-12)
    expected = (E_ref[:, :, None] * np.sign(x[:, None] - y[None])).sum(1)
    np.testing.assert_allclose(X.grad.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert soft_dtw_from_cost(C_np, gamma=0.0) == pytest.approx(soft_dtw_ref_cost(C_np, 0)[0])
    # without gradients the forward kernel skips the weights
    assert soft_dtw_from_cost(C_np, gamma=0.5) == pytest.approx(v_ref, rel=1e-12)
    with torch.no_grad():
        assert float(soft_dtw_from_cost(C, gamma=0.5)) == pytest.approx(v_ref, rel=1e-12)


# --------------------------------------------------------------------------- published values
def test_seed_call_verbatim():
    torch = _torch()
    ts1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    ts2 = torch.tensor([[3.0], [4.0], [-3.0]])
    sim = soft_dtw(ts1, ts2, gamma=1.0, be="pytorch", compute_with_backend=True)
    assert float(sim.detach()) == pytest.approx(41.1876, abs=1e-4)
    sim.backward()
    np.testing.assert_allclose(ts1.grad.numpy().ravel(), [-4.0001, -2.2852, 10.1643], atol=1e-4)


def test_tslearn_published_values():
    assert soft_dtw([1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0], gamma=1.0) == pytest.approx(
        -0.8954437807, 1e-9
    )
    assert soft_dtw([1, 2, 3, 3], [1.0, 2.0, 2.1, 3.2], gamma=0.01) == pytest.approx(0.09, abs=1e-9)
    assert soft_dtw_normalized([1, 2, 2, 3], [1, 2, 2, 3], gamma=0.1) == 0.0
    assert soft_dtw_normalized([1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0], gamma=1.0) == pytest.approx(
        1.309, abs=1e-3
    )
    np.testing.assert_allclose(
        cdist_soft_dtw([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]], gamma=0.01),
        [[-0.01098612, 1.0], [1.0, 0.0]],
        atol=1e-8,
    )


@pytest.mark.parametrize("kw", [{}, {"sakoe_chiba_radius": 2}, {"itakura_max_slope": 2.5}])
def test_agrees_with_installed_tslearn(kw):
    import tslearn.metrics as ts

    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(9, 2)), rng.normal(size=(9, 2))
    assert soft_dtw(x, y, gamma=0.3, **kw) == pytest.approx(
        ts.soft_dtw(x, y, gamma=0.3, **kw), rel=1e-10
    )
    E, v = soft_dtw_alignment(x, y, gamma=0.3)
    E_t, v_t = ts.soft_dtw_alignment(x, y, gamma=0.3)
    np.testing.assert_allclose(E, E_t, rtol=1e-8, atol=1e-12)
    X = rng.normal(size=(3, 6, 1))
    np.testing.assert_allclose(
        cdist_soft_dtw(X, gamma=0.7, **kw), ts.cdist_soft_dtw(X, gamma=0.7, **kw), rtol=1e-10
    )
    np.testing.assert_allclose(
        cdist_soft_dtw_normalized(X, X[:2], gamma=0.7, **kw),
        ts.cdist_soft_dtw_normalized(X, X[:2], gamma=0.7, **kw),
        rtol=1e-9,
        atol=1e-12,
    )


# --------------------------------------------------------------------------- numerics
def test_long_float32_small_gamma_is_finite():
    torch = _torch()
    rng = np.random.default_rng(0)
    n = 4096
    xn = rng.normal(size=(n, 1)).cumsum(0) * 0.05
    yn = rng.normal(size=(n, 1)).cumsum(0) * 0.05
    grads, values = [], []
    for dt in (torch.float32, torch.float64):
        x = torch.tensor(xn, dtype=dt, requires_grad=True)
        v = soft_dtw(x, torch.tensor(yn, dtype=dt), gamma=1e-3)
        v.backward()
        assert torch.isfinite(v) and torch.isfinite(x.grad).all()
        values.append(float(v.detach()))
        grads.append(x.grad.double().numpy())
    # float32 tracks float64 closely: the stored soft-min weights keep E a probability
    assert values[0] == pytest.approx(values[1], rel=1e-5)
    assert np.linalg.norm(grads[0] - grads[1]) <= 1e-4 * np.linalg.norm(grads[1])
    hard = float(tsalign.dtw(xn, yn)) ** 2
    # soft-DTW <= DTW^2, and the gap is at most gamma * log(#paths) <= gamma * 2n log 3
    assert hard - 1e-3 * 2 * n * np.log(3) <= values[1] <= hard


def test_alignment_stays_a_probability_in_float32():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 1)).astype(np.float32) * 30
    y = rng.normal(size=(300, 1)).astype(np.float32) * 30
    E, v = soft_dtw_alignment(x, y, gamma=1e-3)
    assert np.isfinite(v) and E.min() >= 0 and E.max() <= 1 + 1e-5
    assert E[0, 0] == pytest.approx(1.0, abs=1e-5) and E[-1, -1] == 1.0


# --------------------------------------------------------------------------- errors
def test_bad_gamma():
    with pytest.raises(ValueError, match="gamma"):
        soft_dtw([1, 2], [1, 2], gamma=-1.0)
    with pytest.raises(ValueError, match="gamma"):
        soft_dtw([1, 2], [1, 2], gamma=float("nan"))
    with pytest.raises(TypeError, match="gamma"):
        soft_dtw([1, 2], [1, 2], gamma="1")
    with pytest.raises(ValueError, match="gamma"):
        cdist_soft_dtw([[1, 2]], gamma=-0.1)


def test_bad_inputs():
    with pytest.raises(ValueError, match="feature size"):
        soft_dtw(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="s1"):
        soft_dtw(np.zeros((2, 3, 4, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="zero length|only nans"):
        soft_dtw([np.nan, np.nan], [1.0])
    with pytest.raises(ValueError, match="be"):
        soft_dtw([1.0], [1.0], be="tensorflow")
    with pytest.raises(ValueError, match="global_constraint"):
        soft_dtw([1.0], [1.0], global_constraint="band")
    with pytest.raises(ValueError, match="infeasible"):
        soft_dtw(np.zeros(3), np.zeros(9), gamma=1.0, itakura_max_slope=1.5)
    with pytest.raises(ValueError, match="C"):
        soft_dtw_from_cost([[0.0, np.nan]])
    with pytest.raises(ValueError, match="C"):
        soft_dtw_from_cost(np.zeros(3))
    with pytest.raises(ValueError, match="feature size"):
        cdist_soft_dtw(np.zeros((2, 3, 1)), np.zeros((2, 3, 2)))


def test_inputs_are_not_modified():
    torch = _torch()
    X = np.array([[[1.0], [2.0], [np.nan]]])
    Y = torch.tensor([[[0.5], [np.nan], [np.nan]]], dtype=torch.float64)
    Xc, Yc = X.copy(), Y.clone()
    soft_dtw(torch.tensor(X), Y)
    soft_dtw_alignment(X, Y.numpy())
    np.testing.assert_array_equal(X, Xc)
    assert torch.equal(torch.isnan(Y), torch.isnan(Yc))


# --------------------------------------------------------------------------- GPU only
_GPU = [p for p in _params() if p.id in ("cupy", "torch-cuda")]


@pytest.mark.parametrize("case", _GPU)
@pytest.mark.parametrize("band", [None, ("sakoe_chiba", 7), ("itakura", 2.0)])
def test_gpu_matches_cpu_long(case, band):
    rng = np.random.default_rng(0)
    X = _padded_batch(rng, [1000, 1500, 64], 1500, 3)
    Y = _padded_batch(rng, [1500, 900, 64], 1500, 3)
    kw = _band_kwargs(*band) if band else {}
    for dtype, rtol in ((np.float64, 1e-9), (np.float32, 2e-3)):
        got = _num(soft_dtw(case.asarray(X, dtype), case.asarray(Y, dtype), gamma=0.1, **kw))
        ref = soft_dtw(X.astype(dtype), Y.astype(dtype), gamma=0.1, **kw)
        np.testing.assert_allclose(got, ref, rtol=rtol)
        E_gpu, _ = soft_dtw_alignment(case.asarray(X, dtype), case.asarray(Y, dtype), 0.1, **kw)
        E_cpu, _ = soft_dtw_alignment(X.astype(dtype), Y.astype(dtype), 0.1, **kw)
        # E is a probability; float32 on the GPU vs float64 arithmetic on the CPU
        np.testing.assert_allclose(_num(E_gpu), E_cpu, atol=1e-6 if dtype == np.float64 else 1e-2)
    D = _num(cdist_soft_dtw(case.asarray(X[:, :64]), gamma=0.5, **kw))
    np.testing.assert_allclose(D, cdist_soft_dtw(X[:, :64], gamma=0.5, **kw), rtol=1e-9)


@pytest.mark.parametrize("case", _GPU)
def test_gpu_no_length_cap(case):
    rng = np.random.default_rng(0)
    n = 16384
    x = rng.normal(size=(1, n, 1)).cumsum(1) * 0.01
    y = rng.normal(size=(1, n, 1)).cumsum(1) * 0.01
    v = soft_dtw(case.asarray(x, np.float32), case.asarray(y, np.float32), gamma=0.01)
    assert np.isfinite(_num(v)).all()
    ref = soft_dtw(x, y, gamma=0.01)
    np.testing.assert_allclose(_num(v), ref, rtol=1e-3)
    if case.name == "torch-cuda":
        import torch

        X = torch.tensor(x, dtype=torch.float32, device="cuda", requires_grad=True)
        Y = torch.tensor(y, dtype=torch.float32, device="cuda")
        soft_dtw(X, Y, gamma=0.01).sum().backward()
        assert torch.isfinite(X.grad).all()


def test_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, tsalign, tsalign.soft_dtw; "
        "print(sorted(m for m in ('torch', 'cupy', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("dt,tol", [(np.float32, 1e-5), (np.float64, 1e-12)], ids=["f32", "f64"])
def test_public_functions_take_the_fused_path(dt, tol):
    # the fused CPU Function is chosen in _torch/soft_dtw.py, so the public functions
    # get it as SoftDTWLoss does; same values and gradients as the cost matrix
    torch = _torch()
    from tsalign._torch.costs import SqEuclideanCost
    from tsalign._torch.soft_dtw import SoftDTWFunction

    rng = np.random.default_rng(11)
    for d in (2, 12):
        xn = rng.normal(size=(3, 9, d)).astype(dt)
        xn[1, 6:] = np.nan
        x = torch.tensor(xn, requires_grad=True)
        y = torch.tensor(rng.normal(size=(3, 7, d)).astype(dt), requires_grad=True)
        value = soft_dtw(x, y, gamma=0.4, sakoe_chiba_radius=2)
        assert type(value.grad_fn).__name__ == "SoftDTWSqEuclideanFunctionBackward"
        gx, gy = torch.autograd.grad(value.sum(), (x, y))
        lx, ly = np.array([9, 6, 9]), np.array([7, 7, 7])
        xz = torch.where(torch.isnan(x), 0.0, x)
        ref = SoftDTWFunction.apply(SqEuclideanCost.apply(xz, y), lx, ly, (2, 2, 2.0), 0.4)
        rx, ry = torch.autograd.grad(ref.sum(), (x, y))
        for got, want in ((value, ref), (gx, rx), (gy, ry)):
            np.testing.assert_allclose(
                got.detach().numpy(), want.detach().numpy(), rtol=tol, atol=tol
            )
        assert torch.isfinite(gx).all() and not torch.isnan(gx).any()
        D = cdist_soft_dtw(x.detach()[[0, 2]].requires_grad_(), gamma=0.4)
        assert D.shape == (2, 2) and D.requires_grad
