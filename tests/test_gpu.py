"""GPU-only tests: what the CPU and the host emulator cannot reach (issue 18).

- soft-DTW forward + backward at N = M = 16384 (the global-scratch path, 32767
  anti-diagonals) against the CPU float64 result;
- the public functions on CUDA tensors against the same calls on the CPU, at
  sizes where a block runs several warps (N up to 300), float32 and float64,
  with bands;
- mixed lengths in one batch (lengths and NaN padding), non-contiguous and
  float32 inputs (left unmodified, float32 gradients);
- a non-default torch stream, with pending work there producing the inputs
  (forward and backward; the results must match the default stream's);
- ``SoftDTWLoss`` inside ``DistributedDataParallel`` with NCCL, world size 1.

Everything carries the ``gpu`` marker and is skipped without a CUDA device
(``make gpu-check`` runs it on one).
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import _torch_cuda_ok

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _torch_cuda_ok(), reason="no CUDA device (torch.cuda and CuPy)"),
]

torch = pytest.importorskip("torch")

import tsalign  # noqa: E402
from tsalign.nn import DILATELoss, SoftDTWLoss  # noqa: E402


def _rel(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


# --------------------------------------------------------------------------- N = 16384


@pytest.fixture(scope="module")
def long_pair():
    """x, y of length 16384, the cost matrix, and the CPU float64 value and gradient."""
    n = 16384
    rng = np.random.default_rng(18)
    x = np.cumsum(rng.normal(size=n)) / 30.0  # random walks: a non-trivial alignment
    y = np.cumsum(rng.normal(size=n)) / 30.0
    C = torch.from_numpy((x[:, None] - y[None, :]) ** 2).requires_grad_(True)
    value = tsalign.soft_dtw_from_cost(C, gamma=1.0)
    value.backward()
    return x, y, C.detach(), float(value), C.grad.numpy().copy()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_soft_dtw_16384_forward_backward_vs_cpu_float64(long_pair, dtype):
    x, y, C_cpu, want_value, want_grad = long_pair
    C = C_cpu.to(device="cuda", dtype=dtype).requires_grad_(True)
    value = tsalign.soft_dtw_from_cost(C, gamma=1.0)
    value.backward()
    got_grad = _np(C.grad)
    assert value.dtype == dtype and C.grad.dtype == dtype
    assert np.isfinite(got_grad).all()
    if dtype == torch.float64:
        assert float(value) == pytest.approx(want_value, rel=1e-10)
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-7, atol=1e-9)
    else:
        assert float(value) == pytest.approx(want_value, rel=1e-4)
        assert np.abs(got_grad - want_grad).max() < 5e-3
        assert _rel(got_grad, want_grad) < 1e-3
    # the value-only kernel (rolling diagonals in global scratch at this length)
    xs = torch.tensor(x, device="cuda", dtype=dtype)
    ys = torch.tensor(y, device="cuda", dtype=dtype)
    v = tsalign.soft_dtw(xs, ys, gamma=1.0)
    assert float(v) == pytest.approx(want_value, rel=1e-10 if dtype == torch.float64 else 1e-4)


# --------------------------------------------------------------------------- parity


def _tol(dtype) -> dict:
    return {"rtol": 2e-4, "atol": 2e-4} if dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-9}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "band",
    [{}, {"sakoe_chiba_radius": 20}, {"itakura_max_slope": 2.0}],
    ids=["full", "sakoe", "itakura"],
)
def test_dtw_family_on_gpu_matches_cpu(dtype, band):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 300, 3))
    Y = rng.normal(size=(6, 257, 3))
    X[2, 200:] = np.nan  # shorter series in the batch (NaN padding)
    Y[4, 180:] = np.nan
    cpu = [torch.tensor(a, dtype=torch.float64) for a in (X, Y)]
    gpu = [torch.tensor(a, dtype=dtype, device="cuda") for a in (X, Y)]
    np.testing.assert_allclose(
        _np(tsalign.dtw(*gpu, **band)), _np(tsalign.dtw(*cpu, **band)), **_tol(dtype)
    )
    for other in (None, 1):
        args_c = (cpu[0],) if other is None else (cpu[0], cpu[1])
        args_g = (gpu[0],) if other is None else (gpu[0], gpu[1])
        np.testing.assert_allclose(
            _np(tsalign.cdist_dtw(*args_g, **band)),
            _np(tsalign.cdist_dtw(*args_c, **band)),
            **_tol(dtype),
        )
    if dtype == torch.float64:  # paths: ties differ in float32
        pc, vc = tsalign.dtw_path(cpu[0][0], cpu[1][0], **band)
        pg, vg = tsalign.dtw_path(gpu[0][0], gpu[1][0], **band)
        assert pg == pc
        assert float(vg) == pytest.approx(float(vc), rel=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", [0.01, 1.0])
def test_soft_dtw_family_on_gpu_matches_cpu(dtype, gamma):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 300, 2))
    Y = rng.normal(size=(5, 280, 2))
    cpu = [torch.tensor(a, dtype=torch.float64) for a in (X, Y)]
    gpu = [torch.tensor(a, dtype=dtype, device="cuda") for a in (X, Y)]
    tol = _tol(dtype)
    np.testing.assert_allclose(
        _np(tsalign.soft_dtw(*gpu, gamma=gamma)), _np(tsalign.soft_dtw(*cpu, gamma=gamma)), **tol
    )
    np.testing.assert_allclose(
        _np(tsalign.cdist_soft_dtw(gpu[0], gpu[1], gamma=gamma)),
        _np(tsalign.cdist_soft_dtw(cpu[0], cpu[1], gamma=gamma)),
        **tol,
    )
    grads = []
    for a, b in (cpu, gpu):
        a = a.clone().requires_grad_(True)
        loss = SoftDTWLoss(gamma=gamma, normalize=True)(a, b).sum()
        loss.backward()
        grads.append((float(loss.detach()), _np(a.grad)))
    assert grads[1][0] == pytest.approx(grads[0][0], rel=tol["rtol"] * 10)
    assert _rel(grads[1][1], grads[0][1]) < (1e-3 if dtype == torch.float32 else 1e-9)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", [0.0, 0.01, 1.0])
def test_dilate_on_gpu_matches_cpu(dtype, gamma):
    rng = np.random.default_rng(3)
    P = rng.normal(size=(8, 200, 1))
    T = rng.normal(size=(8, 200, 1))
    out = []
    for device, dt in (("cpu", torch.float64), ("cuda", dtype)):
        p = torch.tensor(P, dtype=dt, device=device, requires_grad=True)
        t = torch.tensor(T, dtype=dt, device=device)
        loss = DILATELoss(alpha=0.5, gamma=gamma)(p, t)
        loss.backward()
        out.append((float(loss.detach()), _np(p.grad)))
    assert out[1][0] == pytest.approx(out[0][0], rel=1e-4 if dtype == torch.float32 else 1e-9)
    assert _rel(out[1][1], out[0][1]) < (1e-3 if dtype == torch.float32 else 1e-8)


def _ssnt_inputs(rng, B=4, T=12, S=300, V=7):
    logits = rng.normal(size=(B, T, S, V))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = rng.integers(0, V, size=(B, T))
    log_p_choose = -np.log1p(np.exp(-rng.normal(size=(B, T, S))))
    src = np.array([S, S - 50, 1 + S // 3, 40])[:B]
    tgt = np.array([T, 1, T - 3, 5])[:B]
    return log_probs, targets, log_p_choose, src, tgt


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_ssnt_on_gpu_matches_cpu(dtype):
    lp, y, lpc, src, tgt = _ssnt_inputs(np.random.default_rng(4))
    out = []
    for device, dt in (("cpu", torch.float64), ("cuda", dtype)):
        a = torch.tensor(lp, dtype=dt, device=device, requires_grad=True)
        c = torch.tensor(lpc, dtype=dt, device=device, requires_grad=True)
        yt = torch.tensor(y, device=device)
        loss = tsalign.ssnt(a, yt, c, torch.tensor(src), torch.tensor(tgt), reduction="none")
        loss.sum().backward()
        out.append((_np(loss), _np(a.grad), _np(c.grad)))
    rtol = 1e-4 if dtype == torch.float32 else 1e-9
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=rtol)
    for g_gpu, g_cpu in zip(out[1][1:], out[0][1:], strict=True):
        assert _rel(g_gpu, g_cpu) < (1e-3 if dtype == torch.float32 else 1e-8)


# --------------------------------------------------------------------------- layouts


def test_mixed_lengths_in_one_batch():
    rng = np.random.default_rng(5)
    lx = [1, 17, 300, 64, 299, 2]
    ly = [5, 1, 280, 300, 33, 2]
    X = rng.normal(size=(6, 300, 3))
    Y = rng.normal(size=(6, 300, 3))
    x = torch.tensor(X, device="cuda", requires_grad=True)
    y = torch.tensor(Y, device="cuda")
    loss = SoftDTWLoss(gamma=0.5)(x, y, x_lengths=lx, y_lengths=ly)
    loss.sum().backward()
    grad = _np(x.grad)
    for b in range(6):
        xb = torch.tensor(X[b, : lx[b]], requires_grad=True)
        want = SoftDTWLoss(gamma=0.5)(xb[None], torch.tensor(Y[b, : ly[b]])[None])
        want.sum().backward()
        assert float(loss[b].detach()) == pytest.approx(float(want.detach()), rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(grad[b, : lx[b]], xb.grad.numpy(), rtol=1e-8, atol=1e-9)
        assert not grad[b, lx[b] :].any()  # beyond its length: no gradient
    # the same batch with NaN padding instead of lengths, through the value kernels
    Xn, Yn = X.copy(), Y.copy()
    for b in range(6):
        Xn[b, lx[b] :] = np.nan
        Yn[b, ly[b] :] = np.nan
    got = tsalign.soft_dtw(torch.tensor(Xn, device="cuda"), torch.tensor(Yn, device="cuda"), 0.5)
    np.testing.assert_allclose(_np(got), _np(loss), rtol=1e-9)
    d_gpu = tsalign.dtw(torch.tensor(Xn, device="cuda"), torch.tensor(Yn, device="cuda"))
    np.testing.assert_allclose(_np(d_gpu), tsalign.dtw(Xn, Yn), rtol=1e-10)


def test_non_contiguous_and_float32_inputs():
    rng = np.random.default_rng(6)
    base = torch.tensor(rng.normal(size=(8, 400, 6)), dtype=torch.float32, device="cuda")
    x = base[::2, ::2, ::2]  # (4, 200, 3), strided in every dimension
    y = base[1::2, 100:, 1::2]  # (4, 300, 3), a strided view at an offset
    assert not x.is_contiguous() and not y.is_contiguous()
    before = base.clone()
    xg = x.detach().requires_grad_(True)
    loss = SoftDTWLoss(gamma=0.1)(xg, y)
    loss.sum().backward()
    assert loss.dtype == torch.float32 and xg.grad.dtype == torch.float32
    assert torch.equal(base, before)  # inputs never modified
    xc = torch.tensor(_np(x), dtype=torch.float64, requires_grad=True)
    want = SoftDTWLoss(gamma=0.1)(xc, torch.tensor(_np(y), dtype=torch.float64))
    want.sum().backward()
    np.testing.assert_allclose(_np(loss), _np(want), rtol=1e-4)
    assert _rel(_np(xg.grad), xc.grad.numpy()) < 1e-3
    # the numpy-facing functions on CuPy views too
    import cupy

    cx = cupy.asarray(rng.normal(size=(3, 50, 2)), dtype=cupy.float32)[:, ::2]
    np.testing.assert_allclose(
        tsalign.cdist_dtw(cx).get(), tsalign.cdist_dtw(cx.get()), rtol=1e-5, atol=1e-5
    )


# --------------------------------------------------------------------------- streams


def test_non_default_stream():
    """The kernels run on torch's current stream: pending work there must be seen."""
    rng = np.random.default_rng(7)
    X = torch.tensor(rng.normal(size=(16, 256, 4)), dtype=torch.float32, device="cuda")
    Y = torch.tensor(rng.normal(size=(16, 256, 4)), dtype=torch.float32, device="cuda")
    want = SoftDTWLoss(gamma=0.1)(X, Y)
    big = torch.randn(4096, 4096, device="cuda")
    torch.cuda.synchronize()
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        # a long producer on the side stream: x is written only at its end
        acc = big
        for _ in range(20):
            acc = torch.tanh(acc @ big) * 1e-3
        x = X + acc[0, 0] * 0.0
        got = SoftDTWLoss(gamma=0.1)(x, Y)
        d = tsalign.dtw(x, Y)
    side.synchronize()
    torch.cuda.synchronize()
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5)
    np.testing.assert_allclose(_np(d), _np(tsalign.dtw(X, Y)), rtol=1e-5)
    # and backward on the side stream
    xg = X.detach().clone().requires_grad_(True)
    with torch.cuda.stream(side):
        SoftDTWLoss(gamma=0.1)(xg * 1.0, Y).sum().backward()
    side.synchronize()
    xr = X.detach().clone().requires_grad_(True)
    SoftDTWLoss(gamma=0.1)(xr, Y).sum().backward()
    torch.cuda.synchronize()
    np.testing.assert_allclose(_np(xg.grad), _np(xr.grad), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- DDP


def test_soft_dtw_loss_under_ddp_nccl_world_size_1(tmp_path):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    if not dist.is_available() or not dist.is_nccl_available():
        pytest.skip("NCCL is not available in this torch")
    if dist.is_initialized():
        pytest.skip("a process group is already initialised")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    model = model.cuda()
    plain = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    plain = plain.cuda()
    plain.load_state_dict(model.state_dict())
    x = torch.randn(8, 64, 3, device="cuda")
    y = torch.randn(8, 50, 3, device="cuda")
    crit = SoftDTWLoss(gamma=0.1, reduction="mean")
    dist.init_process_group(
        "nccl", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        ddp = DDP(model, device_ids=[torch.cuda.current_device()])
        opt = torch.optim.SGD(ddp.parameters(), lr=1e-2)
        for _ in range(2):  # two steps: buckets are rebuilt after the first
            opt.zero_grad()
            loss = crit(ddp(x), y)
            loss.backward()
            opt.step()
        torch.cuda.synchronize()
    finally:
        dist.destroy_process_group()
    opt_p = torch.optim.SGD(plain.parameters(), lr=1e-2)
    for _ in range(2):
        opt_p.zero_grad()
        loss_p = crit(plain(x), y)
        loss_p.backward()
        opt_p.step()
    assert torch.isfinite(loss) and loss.item() == pytest.approx(loss_p.item(), rel=1e-5)
    for a, b in zip(ddp.module.parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
