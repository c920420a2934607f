"""DILATE and TDI against float64 references from the definitions (path enumeration)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tsalign
from tsalign import dilate, temporal_distortion_index

from .conftest import _params, tol
from .reference_dilate import (
    dilate_grad_fd,
    dilate_ref,
    expected_alignment_ref,
    omega,
    tdi_ref,
)

TORCH_CASES = [p for p in _params() if p.id in ("torch", "torch-cuda")]


def _out(case, v) -> float:
    return float(case.to_numpy(v))


def _padded(rng, B, N, d, lengths):
    """(B, N, d) random batch whose series b has lengths[b] rows, NaN after."""
    x = rng.normal(size=(B, N, d))
    for b, n in enumerate(lengths):
        x[b, n:] = np.nan
    return x


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("alpha,gamma", [(0.5, 0.01), (0.0, 0.1), (1.0, 1.0), (0.3, 0.0)])
def test_values_match_reference(backend, dtype, rng, d, alpha, gamma):
    B, N = 3, 4
    y_pred = rng.normal(size=(B, N, d))
    y_true = rng.normal(size=(B, N, d))
    ref = dilate_ref(y_pred, y_true, alpha, gamma)
    got = dilate(
        backend.asarray(y_pred, dtype), backend.asarray(y_true, dtype), alpha=alpha, gamma=gamma
    )
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(_out(backend, g), r, **tol(dtype))


def test_univariate_2d_input_is_batch(backend, rng):
    y_pred = rng.normal(size=(3, 5))
    y_true = rng.normal(size=(3, 5))
    got = dilate(backend.asarray(y_pred), backend.asarray(y_true), alpha=0.4, gamma=0.1)
    ref = dilate_ref(y_pred[..., None], y_true[..., None], 0.4, 0.1)
    np.testing.assert_allclose([_out(backend, g) for g in got], ref, rtol=1e-10)


def test_unequal_lengths(backend, dtype, rng):
    y_pred = rng.normal(size=(2, 3, 2))
    y_true = rng.normal(size=(2, 5, 2))
    for alpha, gamma in [(0.5, 0.05), (0.2, 1.0)]:
        ref = dilate_ref(y_pred, y_true, alpha, gamma)
        got = dilate(
            backend.asarray(y_pred, dtype), backend.asarray(y_true, dtype), alpha=alpha, gamma=gamma
        )
        np.testing.assert_allclose([_out(backend, g) for g in got], ref, **tol(dtype))


def test_nan_padding_uses_each_pairs_lengths(backend, dtype, rng):
    y_pred = _padded(rng, 3, 5, 1, [5, 3, 4])
    y_true = _padded(rng, 3, 5, 1, [4, 5, 2])
    ref = dilate_ref(y_pred, y_true, 0.5, 0.1)
    got = dilate(
        backend.asarray(y_pred, dtype), backend.asarray(y_true, dtype), alpha=0.5, gamma=0.1
    )
    np.testing.assert_allclose([_out(backend, g) for g in got], ref, **tol(dtype))


def test_paper_normalisation_equal_lengths():
    # temporal = sum(Abar * Omega) / N^2 with Abar the batch mean of alignments
    rng = np.random.default_rng(3)
    y_pred = rng.normal(size=(4, 5))
    y_true = rng.normal(size=(4, 5))
    Abar = np.mean(
        [
            expected_alignment_ref((y_true[b][:, None] - y_pred[b][None, :]) ** 2, 0.01)
            for b in range(4)
        ],
        axis=0,
    )
    expected = float((Abar * omega(5, 5)).sum() / 25)
    assert dilate(y_pred, y_true, gamma=0.01)[2] == pytest.approx(expected, rel=1e-10)


def test_gamma_zero_ties_average_the_optimal_paths():
    # many zero-cost paths: the alignment is their mean (limit of gamma -> 0)
    y_true = np.array([[0.0, 0.0, 1.0, 1.0]])
    y_pred = np.array([[0.0, 0.0, 0.0, 1.0]])
    hard = dilate(y_pred, y_true, alpha=0.0, gamma=0.0)
    assert hard == pytest.approx(dilate_ref(y_pred, y_true, 0.0, 0.0), rel=1e-12)
    soft = dilate(y_pred, y_true, alpha=0.0, gamma=1e-3)
    assert soft[2] == pytest.approx(hard[2], rel=1e-6)


def test_kernel_expected_alignment_per_pair(rng):
    from tsalign.kernels.cpu.dilate import dilate_forward

    D = rng.random((3, 4, 5))
    lx = np.array([4, 2, 3])
    ly = np.array([5, 5, 1])
    for gamma in (0.0, 0.02, 0.7):
        shape, temporal, E, W = dilate_forward(D, lx, ly, gamma)
        for b in range(3):
            n, m = lx[b], ly[b]
            np.testing.assert_allclose(
                E[b, :n, :m], expected_alignment_ref(D[b, :n, :m], gamma), rtol=1e-10, atol=1e-12
            )
            assert not E[b, n:].any() and not E[b, :, m:].any()
            np.testing.assert_allclose(W[b, :n, :m].sum(-1), 1.0, rtol=1e-12)


def test_numpy_results_are_python_floats(rng):
    out = dilate(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    assert all(type(v) is float for v in out)


def test_float32_stays_float32(backend, rng):
    x = backend.asarray(rng.normal(size=(2, 6)), np.float32)
    y = backend.asarray(rng.normal(size=(2, 6)), np.float32)
    loss = dilate(x, y)[0]
    if backend.name != "numpy":
        assert "float32" in str(loss.dtype)


def test_longer_series_finite_and_close_to_float64(rng):
    # beyond enumeration sizes: float32 tracks float64 and nothing overflows
    y_pred = rng.normal(size=(4, 64, 2))
    y_true = rng.normal(size=(4, 64, 2))
    for gamma in (0.0, 0.01, 1.0):
        a = np.array(dilate(y_pred, y_true, gamma=gamma))
        b = np.array(dilate(y_pred.astype(np.float32), y_true.astype(np.float32), gamma=gamma))
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(b, a, rtol=2e-4)


def test_inputs_not_modified(backend):
    y_pred = np.array([[0.0, 1.0, np.nan], [2.0, 1.0, 0.0]])
    y_true = np.array([[1.0, 1.0, 0.0], [0.0, np.nan, np.nan]])
    p, t = backend.asarray(y_pred), backend.asarray(y_true)
    dilate(p, t)
    temporal_distortion_index(p, t)
    np.testing.assert_array_equal(backend.to_numpy(p), y_pred)
    np.testing.assert_array_equal(backend.to_numpy(t), y_true)


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("case", TORCH_CASES)
@pytest.mark.parametrize("alpha,gamma", [(0.5, 0.1), (0.0, 0.5), (1.0, 0.05), (0.7, 1.0)])
def test_gradient_matches_finite_differences(case, rng, alpha, gamma):
    y_pred = rng.normal(size=(3, 4, 2))
    y_true = rng.normal(size=(3, 4, 2))
    p = case.asarray(y_pred, requires_grad=True)
    t = case.asarray(y_true, requires_grad=True)
    loss = dilate(p, t, alpha=alpha, gamma=gamma)[0]
    loss.backward()
    np.testing.assert_allclose(
        case.to_numpy(p.grad),
        dilate_grad_fd(y_pred, y_true, alpha, gamma, "pred"),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        case.to_numpy(t.grad),
        dilate_grad_fd(y_pred, y_true, alpha, gamma, "true"),
        rtol=1e-6,
        atol=1e-8,
    )


@pytest.mark.parametrize("case", TORCH_CASES)
def test_gradient_of_each_term(case, rng):
    y_pred = rng.normal(size=(2, 4))
    y_true = rng.normal(size=(2, 4))
    for which in (1, 2):
        p = case.asarray(y_pred, requires_grad=True)
        out = dilate(p, case.asarray(y_true), alpha=0.5, gamma=0.2)[which]
        out.backward()
        np.testing.assert_allclose(
            case.to_numpy(p.grad),
            dilate_grad_fd(y_pred, y_true, 0.5, 0.2, "pred", which=which),
            rtol=1e-6,
            atol=1e-8,
        )


@pytest.mark.parametrize("case", TORCH_CASES)
def test_gradient_unequal_lengths_and_padding(case, rng):
    y_pred = _padded(rng, 3, 4, 1, [4, 2, 3])
    y_true = _padded(rng, 3, 5, 1, [5, 3, 3])
    p = case.asarray(y_pred, requires_grad=True)
    t = case.asarray(y_true, requires_grad=True)
    loss = dilate(p, t, alpha=0.4, gamma=0.3)[0]
    loss.backward()
    np.testing.assert_allclose(
        np.nan_to_num(case.to_numpy(p.grad)),
        dilate_grad_fd(y_pred, y_true, 0.4, 0.3, "pred"),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        np.nan_to_num(case.to_numpy(t.grad)),
        dilate_grad_fd(y_pred, y_true, 0.4, 0.3, "true"),
        rtol=1e-6,
        atol=1e-8,
    )
    # padded rows get exactly zero gradient, never NaN
    g = case.to_numpy(p.grad)
    assert np.all(g[np.isnan(y_pred)] == 0)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_gradient_gamma_zero(case, rng):
    # hard DTW: the shape gradient is that of the optimal path's cost; the
    # temporal term is piecewise constant, so its gradient is zero
    y_pred = rng.normal(size=(2, 4))
    y_true = rng.normal(size=(2, 4))
    p = case.asarray(y_pred, requires_grad=True)
    dilate(p, case.asarray(y_true), alpha=0.6, gamma=0.0)[0].backward()
    np.testing.assert_allclose(
        case.to_numpy(p.grad),
        dilate_grad_fd(y_pred, y_true, 0.6, 0.0, "pred"),
        rtol=1e-6,
        atol=1e-8,
    )
    p2 = case.asarray(y_pred, requires_grad=True)
    dilate(p2, case.asarray(y_true), gamma=0.0)[2].backward()
    assert not np.any(case.to_numpy(p2.grad))


@pytest.mark.parametrize("case", TORCH_CASES)
def test_gradcheck_float64(case, rng):
    p = case.asarray(rng.normal(size=(2, 5, 2)), requires_grad=True)
    t = case.asarray(rng.normal(size=(2, 4, 2)), requires_grad=True)

    def f(a, b):
        loss, shape, temporal = dilate(a, b, alpha=0.3, gamma=0.2)
        return loss, shape, temporal

    assert torch.autograd.gradcheck(f, (p, t), eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_gradient_float32_close_to_float64(case, rng):
    y_pred = rng.normal(size=(4, 20, 1))
    y_true = rng.normal(size=(4, 20, 1))
    grads = []
    for dt in (np.float64, np.float32):
        p = case.asarray(y_pred, dtype=dt, requires_grad=True)
        dilate(p, case.asarray(y_true, dtype=dt), gamma=0.1)[0].backward()
        grads.append(case.to_numpy(p.grad).astype(np.float64))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-3, atol=1e-4)


# ------------------------------------------------------- fused float32 CPU path (lanes)
def _ragged_batch(rng, B, N, M, d, dt):
    """Zero-padded series, their lengths (1 .. N, 1 .. M; some full)."""
    X = rng.normal(size=(B, N, d)).astype(dt)
    Y = rng.normal(size=(B, M, d)).astype(dt)
    lx = rng.integers(1, N + 1, B).astype(np.int64)
    ly = rng.integers(1, M + 1, B).astype(np.int64)
    lx[:3], ly[:3] = N, M
    for b in range(B):
        X[b, lx[b] :] = 0.0
        Y[b, ly[b] :] = 0.0
    return X, Y, lx, ly


def test_fused_kernels_match_definition_and_finite_differences(rng):
    """The lane-group kernels in float64: per-pair terms against path enumeration,
    the gradient of sum gs * shape + gt * temporal against central differences;
    17 ragged pairs (a group of 16 and a remainder; masked groups), d = 2."""
    from tsalign.kernels.cpu import dilate as K

    from .reference_dilate import pair_terms

    B, N, M, d, gamma = 17, 4, 5, 2, 0.3
    X, Y, lx, ly = _ragged_batch(rng, B, N, M, d, np.float64)
    shape, temporal, S, plan, pairs = K.dilate_forward_series(X, Y, lx, ly, gamma)
    for b in range(B):
        want = pair_terms(Y[b, : ly[b]], X[b, : lx[b]], gamma)
        np.testing.assert_allclose([shape[b], temporal[b]], want, rtol=1e-12, atol=1e-12)
    # with gt = 0 (alpha = 1) the kernel skips the Hessian-vector product
    for gs, gt in ((rng.normal(size=B), rng.normal(size=B)), (rng.normal(size=B), np.zeros(B))):
        gx, gy = K.dilate_backward_series(S, plan, pairs, X, Y, lx, ly, gamma, gs, gt)
        _check_fd(K, X, Y, lx, ly, gamma, gs, gt, gx, gy)


def _check_fd(K, X, Y, lx, ly, gamma, gs, gt, gx, gy):
    def f(Xv, Yv):
        s, t, *_ = K.dilate_forward_series(Xv, Yv, lx, ly, gamma)
        return float(gs @ s + gt @ t)

    h = 1e-6
    for A, g, n_of in ((X, gx, lx), (Y, gy, ly)):
        fd = np.zeros_like(A)
        for idx in np.ndindex(A.shape):
            if idx[1] >= n_of[idx[0]]:
                continue  # padding: no gradient
            A[idx] += h
            up = f(X, Y)
            A[idx] -= 2 * h
            down = f(X, Y)
            A[idx] += h
            fd[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("alpha,gamma", [(0.5, 0.01), (0.0, 0.3), (1.0, 1.0), (0.3, 0.1)])
def test_fused_matches_cost_matrix_path(rng, alpha, gamma, monkeypatch):
    """CPU tensors take the fused Function (lane groups, no cost matrix); in
    float64 and float32 their loss and gradients match the float64 cost-matrix
    path on a NaN-padded batch of 37 pairs with unequal lengths, d = 2; padded
    rows get exactly zero gradient and the inputs are not modified."""
    from tsalign._torch import dilate as tdil

    calls = []
    apply = tdil.DilateSqEuclideanFunction.apply
    monkeypatch.setattr(
        tdil.DilateSqEuclideanFunction, "apply", lambda *a: calls.append(1) or apply(*a)
    )
    y_pred = _padded(rng, 37, 12, 2, rng.integers(1, 13, 37))
    y_true = _padded(rng, 37, 9, 2, rng.integers(1, 10, 37))
    out = {}
    fused = tdil.fused
    for key, dt in (("cost", torch.float64), ("f64", torch.float64), ("f32", torch.float32)):
        monkeypatch.setattr(tdil, "fused", fused if key != "cost" else lambda *a: False)
        p = torch.tensor(y_pred, dtype=dt, requires_grad=True)
        t = torch.tensor(y_true, dtype=dt, requires_grad=True)
        before = (p.detach().clone(), t.detach().clone())
        loss, shape, temporal = dilate(p, t, alpha=alpha, gamma=gamma)
        (loss + 0.3 * temporal).backward()
        torch.testing.assert_close(p.detach(), before[0], equal_nan=True, rtol=0, atol=0)
        torch.testing.assert_close(t.detach(), before[1], equal_nan=True, rtol=0, atol=0)
        assert loss.dtype == dt and p.grad.dtype == dt
        assert torch.all(p.grad[torch.isnan(p.detach())] == 0)
        assert torch.all(t.grad[torch.isnan(t.detach())] == 0)
        out[key] = [loss.item(), shape.item(), temporal.item(), p.grad.double(), t.grad.double()]
    assert len(calls) == 2  # the fused calls, not the cost-matrix one
    ref = out["cost"]
    for key, rtol, atol, gtol in (("f64", 1e-12, 1e-12, 1e-10), ("f32", 2e-5, 1e-6, 2e-4)):
        got = out[key]
        np.testing.assert_allclose(got[:3], ref[:3], rtol=rtol, atol=atol)
        for g_ref, g in zip(ref[3:], got[3:], strict=True):
            scale = float(g_ref.abs().max())
            np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=0, atol=gtol * scale)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_dilate_loss_module(case, rng):
    from tsalign.nn import DILATELoss

    y_pred = rng.normal(size=(3, 6, 1))
    y_true = rng.normal(size=(3, 6, 1))
    p1 = case.asarray(y_pred, requires_grad=True)
    p2 = case.asarray(y_pred, requires_grad=True)
    t = case.asarray(y_true)
    crit = DILATELoss(alpha=0.3, gamma=0.05)
    a = crit(p1, t)
    b = dilate(p2, t, alpha=0.3, gamma=0.05)[0]
    assert a.shape == () and a.item() == b.item()
    a.backward()
    b.backward()
    np.testing.assert_array_equal(case.to_numpy(p1.grad), case.to_numpy(p2.grad))
    assert "alpha=0.3" in repr(crit)
    with pytest.raises(ValueError, match="alpha"):
        DILATELoss(alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        DILATELoss(gamma=-1)


def test_no_grad_requested_returns_plain_tensors(rng):
    p = torch.tensor(rng.normal(size=(2, 4)))
    out = dilate(p, p + 1)
    assert all(not v.requires_grad for v in out)
    with torch.no_grad():
        q = torch.tensor(rng.normal(size=(2, 4)), requires_grad=True)
        assert not dilate(q, p)[0].requires_grad


# --------------------------------------------------------------------------- errors
def test_errors_name_the_argument():
    a = np.zeros((2, 4))
    with pytest.raises(ValueError, match="batch size"):
        dilate(np.zeros((3, 4)), a)
    with pytest.raises(ValueError, match="feature size"):
        dilate(np.zeros((2, 4, 2)), np.zeros((2, 4, 3)))
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            dilate(a, a, alpha=bad)
    for bad in (-1e-3, float("inf")):
        with pytest.raises(ValueError, match="gamma"):
            dilate(a, a, gamma=bad)
    with pytest.raises(TypeError, match="alpha"):
        dilate(a, a, alpha="0.5")
    with pytest.raises(TypeError, match="gamma"):
        dilate(a, a, gamma=None)
    with pytest.raises(ValueError, match="y_pred"):
        dilate(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="y_true"):
        dilate(a, np.zeros((2, 4, 1, 1)))
    with pytest.raises(ValueError, match="y_pred"):
        dilate(np.zeros((0, 4)), np.zeros((0, 4)))
    with pytest.raises(ValueError, match="y_true"):
        dilate(a, np.array([[0.0, np.nan, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0]]))
    with pytest.raises(ValueError, match="y_pred"):
        dilate(np.array([[0.0, np.inf, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0]]), a)
    with pytest.raises(ValueError, match="y_true"):
        temporal_distortion_index(a, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="y_pred"):
        temporal_distortion_index(np.full((2, 4), np.nan), a)


# --------------------------------------------------------------------------- TDI
def test_tdi_matches_reference(backend, dtype, rng):
    for d, n, m in [(1, 5, 5), (2, 4, 6)]:
        y_pred = rng.normal(size=(4, m, d))
        y_true = rng.normal(size=(4, n, d))
        got = temporal_distortion_index(
            backend.asarray(y_pred, dtype), backend.asarray(y_true, dtype)
        )
        assert tuple(got.shape) == (4,)
        np.testing.assert_allclose(backend.to_numpy(got), tdi_ref(y_pred, y_true), **tol(dtype))


def test_tdi_padding_and_tslearn_paths(rng):
    y_pred = _padded(rng, 3, 6, 1, [6, 4, 5])
    y_true = _padded(rng, 3, 6, 1, [5, 6, 3])
    got = temporal_distortion_index(y_pred, y_true)
    np.testing.assert_allclose(got, tdi_ref(y_pred, y_true), rtol=1e-12)
    # With tied paths the result depends on the orientation and the tie-break.
    # The paper scores with tslearn.metrics.dtw_path(target, prediction); for
    # these series tslearn 0.10 gives TDI 0.56 that way and 0.16 the other way.
    y_true = np.array([[0.0, 1.0, 0.0, 0.0, 1.0]])
    y_pred = np.array([[1.0, 0.0, 0.0, 1.0, 0.0]])
    assert temporal_distortion_index(y_pred, y_true)[0] == pytest.approx(0.56)


def test_tdi_of_identical_series_is_zero(backend):
    x = backend.asarray(np.sin(np.arange(24.0)).reshape(2, 12))
    assert not np.any(backend.to_numpy(temporal_distortion_index(x, x)))


def test_public_names():
    assert tsalign.dilate is dilate
    assert "dilate" in tsalign.__all__ and "temporal_distortion_index" in tsalign.__all__


# --------------------------------------------------------------------------- GPU kernels
CUPY_CASES = [p for p in _params() if p.id == "cupy"]


@pytest.mark.parametrize("case", CUPY_CASES)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_cuda_kernels_match_cpu_kernels(case, dt):
    import cupy

    from tsalign.kernels.cpu import dilate as cpu
    from tsalign.kernels.cuda import dilate as gpu

    rng = np.random.default_rng(5)
    # N above the 512-thread cap checks the strided diagonals (no length limit);
    # float32 rounding differs between the two sides (the CPU keeps float64
    # intermediates), which long paths amplify at small gamma: float64 only there
    shapes = [(5, 7, 9)] + ([(3, 700, 650)] if dt == np.float64 else [])
    for B, N, M in shapes:
        lx = rng.integers(1, N + 1, size=B).astype(np.int64)
        ly = rng.integers(1, M + 1, size=B).astype(np.int64)
        lx[0], ly[0] = N, M
        D = rng.random((B, N, M)).astype(dt)
        for gamma in (0.0, 0.01, 0.5):
            Dg = np.round(D * 3) if gamma == 0.0 else D  # exact ties for the hard case
            s_c, t_c, E_c, W_c = cpu.dilate_forward(Dg, lx, ly, gamma)
            s_g, t_g, E_g, W_g = gpu.dilate_forward(cupy.asarray(Dg), lx, ly, gamma)
            r = 1e-4 if dt == np.float32 else 1e-10
            for a, b in ((s_c, s_g), (t_c, t_g), (E_c, E_g), (W_c, W_g)):
                np.testing.assert_allclose(cupy.asnumpy(b), a, rtol=r, atol=r)
            gs = rng.normal(size=B).astype(dt)
            gt = rng.normal(size=B).astype(dt)
            G_c = cpu.dilate_backward(W_c, E_c, gs, gt, lx, ly, gamma)
            G_g = gpu.dilate_backward(W_g, E_g, cupy.asarray(gs), cupy.asarray(gt), lx, ly, gamma)
            scale = max(1.0, float(np.abs(G_c).max()))
            np.testing.assert_allclose(cupy.asnumpy(G_g), G_c, rtol=r, atol=r * scale)


def test_torch_compile_fused_path():
    """A compiled training step through the fused Function (a graph break at the
    kernels): the same loss and gradients as eager."""
    from tsalign.nn import DILATELoss

    torch.manual_seed(0)
    lin = torch.nn.Linear(2, 2)
    loss_fn = DILATELoss(alpha=0.5, gamma=0.1)

    def step(x, y):
        return loss_fn(torch.tanh(lin(x)), y)

    x, y = torch.randn(20, 6, 2), torch.randn(20, 7, 2)
    out = torch.compile(step)(x, y)
    out.backward()
    grads = [p.grad.clone() for p in lin.parameters()]
    lin.zero_grad()
    eager = step(x, y)
    eager.backward()
    torch.testing.assert_close(out.detach(), eager.detach(), rtol=1e-6, atol=1e-7)
    for g, p in zip(grads, lin.parameters(), strict=True):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-6)
