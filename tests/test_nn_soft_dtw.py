"""tsalign.nn soft-DTW losses: values, gradients and training use (DDP, autocast, compile)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tsalign import dtw, soft_dtw
from tsalign.nn import SoftDTW, SoftDTWLoss

from .reference_soft_dtw import soft_dtw_ref, soft_dtw_ref_cost, soft_dtw_ref_grad


# --------------------------------------------------------------------------- values
def test_tslearn_published_loss_values():
    x = torch.zeros((5, 10, 8), requires_grad=True)
    y = torch.ones((5, 12, 8))
    loss = SoftDTWLoss(gamma=1.0)
    np.testing.assert_allclose(loss(x, y).detach().numpy(), 91.9806137, rtol=1e-6)
    np.testing.assert_allclose(loss(x, x).detach().numpy(), -14.1957006, rtol=1e-6)
    norm = SoftDTWLoss(gamma=1.0, normalize=True)
    np.testing.assert_allclose(norm(x, y).detach().numpy(), 107.89006805, rtol=1e-6)
    assert loss(x, y).shape == (5,)


def test_matches_installed_tslearn_loss():
    from tslearn.metrics import SoftDTWLossPyTorch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 9, 3))
    y = rng.normal(size=(4, 7, 3))
    for normalize in (False, True):
        xt = torch.tensor(x, requires_grad=True)
        ours = SoftDTWLoss(gamma=0.5, normalize=normalize)(xt, torch.tensor(y))
        ours.sum().backward()
        xr = torch.tensor(x, requires_grad=True)
        theirs = SoftDTWLossPyTorch(gamma=0.5, normalize=normalize)(xr, torch.tensor(y))
        theirs.sum().backward()
        # tslearn's loss rounds R to float32 internally, hence the tolerance
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_values_and_gradients_match_reference():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 5, 2))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    loss = SoftDTWLoss(gamma=0.3, reduction="sum")(xt, yt)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(
        sum(soft_dtw_ref(x[b], y[b], 0.3)[0] for b in range(2)), rel=1e-12
    )
    for b in range(2):
        gx, gy = soft_dtw_ref_grad(x[b], y[b], 0.3)
        np.testing.assert_allclose(xt.grad[b].numpy(), gx, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(yt.grad[b].numpy(), gy, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("band", [{}, {"sakoe_chiba_radius": 2}, {"itakura_max_slope": 3.0}])
def test_fused_float32_cpu_path_matches_cost_matrix_path(band):
    # float32 CPU inputs with the default cost take a fused path (costs on the
    # fly, cost gradient in one pass); a dist_func computing the same squared
    # Euclidean cost takes the cost-matrix path: same values and gradients
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.normal(size=(4, 9, 3)).astype(np.float32), requires_grad=True)
    y = torch.tensor(rng.normal(size=(4, 8, 3)).astype(np.float32), requires_grad=True)
    lx, ly = [9, 7, 9, 8], [8, 8, 6, 7]

    def sq(a, b):
        return ((a[:, :, None] - b[:, None]) ** 2).sum(-1)

    grads = []
    for dist in (None, sq):
        loss = SoftDTWLoss(gamma=0.3, dist_func=dist, **band)(x, y, lx, ly)
        gx, gy = torch.autograd.grad((loss * torch.arange(1.0, 5.0)).sum(), (x, y))
        grads.append((loss.detach().numpy(), gx.numpy(), gy.numpy()))
    for fused, ref in zip(*grads, strict=True):
        np.testing.assert_allclose(fused, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("band", [{}, {"sakoe_chiba_radius": 2}])
def test_loss_without_gradients_gives_the_same_bits(dtype, band):
    # without gradients the loss runs the values kernel on the series (no cost
    # matrix, no weights): the same value to the bit as the training forward,
    # for lane groups of mixed lengths and for the per-pair kernel alike
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(21, 9, 2)), dtype=dtype)
    y = torch.tensor(rng.normal(size=(21, 11, 2)), dtype=dtype)
    lx = rng.integers(5, 10, size=21).tolist()
    ly = rng.integers(6, 12, size=21).tolist()
    loss = SoftDTWLoss(gamma=0.5, **band)
    with torch.no_grad():
        plain = loss(x, y, lx, ly)
    trained = loss(x.clone().requires_grad_(), y, lx, ly)
    assert trained.requires_grad and not plain.requires_grad
    assert torch.equal(plain, trained.detach())
    assert torch.equal(
        soft_dtw(x, y, gamma=0.5, **band),
        soft_dtw(x.requires_grad_(), y, gamma=0.5, **band).detach(),
    )


def test_fused_float32_path_long_small_gamma_tracks_float64():
    rng = np.random.default_rng(0)
    n = 4096
    xn = rng.normal(size=(1, n, 1)).cumsum(1) * 0.05
    yn = rng.normal(size=(1, n, 1)).cumsum(1) * 0.05
    out = []
    for dt in (torch.float32, torch.float64):
        x = torch.tensor(xn, dtype=dt, requires_grad=True)
        v = SoftDTWLoss(gamma=1e-3)(x, torch.tensor(yn, dtype=dt))
        v.sum().backward()
        assert torch.isfinite(v).all() and torch.isfinite(x.grad).all()
        out.append((float(v.detach()[0]), x.grad.double().numpy()))
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-5)
    assert np.linalg.norm(out[0][1] - out[1][1]) <= 1e-4 * np.linalg.norm(out[1][1])


def test_reductions():
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.normal(size=(3, 6, 2)))
    y = torch.tensor(rng.normal(size=(3, 4, 2)))
    per = SoftDTWLoss(gamma=0.5)(x, y)
    assert torch.allclose(SoftDTWLoss(gamma=0.5, reduction="mean")(x, y), per.mean())
    assert torch.allclose(SoftDTWLoss(gamma=0.5, reduction="sum")(x, y), per.sum())
    assert torch.allclose(per, soft_dtw(x, y, gamma=0.5))


def test_gamma_zero_loss_is_squared_dtw():
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(2, 5, 1)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(2, 6, 1)))
    loss = SoftDTWLoss(gamma=0.0)(x, y)
    np.testing.assert_allclose(loss.detach().numpy(), dtw(x.detach(), y).numpy() ** 2, rtol=1e-12)
    loss.sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    (dtw(x2, y) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-10)


# --------------------------------------------------------------------------- lengths
def test_per_sample_lengths_give_the_trimmed_loss_exactly():
    rng = np.random.default_rng(4)
    B, N, M, d = 4, 9, 7, 3
    x = torch.tensor(rng.normal(size=(B, N, d)), dtype=torch.float32, requires_grad=True)
    y = torch.tensor(rng.normal(size=(B, M, d)), dtype=torch.float32, requires_grad=True)
    lx, ly = [9, 3, 5, 1], [2, 7, 4, 6]
    for normalize in (False, True):
        fn = SoftDTWLoss(gamma=0.2, normalize=normalize, sakoe_chiba_radius=2)
        x.grad = y.grad = None
        loss = fn(x, y, x_lengths=lx, y_lengths=torch.tensor(ly))
        loss.sum().backward()
        for b in range(B):
            xb = x.detach()[b : b + 1, : lx[b]].clone().requires_grad_(True)
            yb = y.detach()[b : b + 1, : ly[b]].clone().requires_grad_(True)
            lb = fn(xb, yb)
            lb.sum().backward()
            assert torch.equal(loss[b : b + 1].detach(), lb.detach())
            assert torch.equal(x.grad[b, : lx[b]], xb.grad[0])
            assert torch.equal(y.grad[b, : ly[b]], yb.grad[0])
            assert not x.grad[b, lx[b] :].any() and not y.grad[b, ly[b] :].any()


def test_nan_padding_is_read_as_lengths():
    x = torch.tensor([[[1.0], [2.0], [float("nan")]], [[0.0], [1.0], [2.0]]])
    y = torch.tensor([[[1.0], [3.0]], [[0.5], [float("nan")]]])
    loss = SoftDTWLoss(gamma=0.5)(x, y)
    assert float(loss[0]) == pytest.approx(soft_dtw_ref([1.0, 2.0], [1.0, 3.0], 0.5)[0], 1e-6)
    assert float(loss[1]) == pytest.approx(soft_dtw_ref([0.0, 1.0, 2.0], [0.5], 0.5)[0], 1e-6)


# --------------------------------------------------------------------------- dist_func
def test_user_cost_gets_gradients():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(1, 4, 3)), rng.normal(size=(1, 5, 3))
    xt = torch.tensor(x, requires_grad=True)

    def l1(a, b):
        return torch.cdist(a, b, p=1)

    loss = SoftDTWLoss(gamma=0.4, dist_func=l1)(xt, torch.tensor(y))
    loss.sum().backward()
    C = np.abs(x[0][:, None] - y[0][None]).sum(-1)
    v_ref, E_ref = soft_dtw_ref_cost(C, 0.4)
    assert float(loss.detach()) == pytest.approx(v_ref, rel=1e-12)
    expected = (E_ref[:, :, None] * np.sign(x[0][:, None] - y[0][None])).sum(1)
    np.testing.assert_allclose(xt.grad[0].numpy(), expected, rtol=1e-10, atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="reduction"):
        SoftDTWLoss(reduction="avg")
    with pytest.raises(ValueError, match="gamma"):
        SoftDTWLoss(gamma=-1)
    with pytest.raises(TypeError, match="dist_func"):
        SoftDTWLoss(dist_func=3)
    with pytest.raises(ValueError, match="global_constraint"):
        SoftDTWLoss(global_constraint="band")
    fn = SoftDTWLoss()
    x, y = torch.zeros(2, 4, 1), torch.zeros(2, 3, 1)
    with pytest.raises(TypeError, match="x"):
        fn(np.zeros((2, 4, 1)), y)
    with pytest.raises(ValueError, match="x_lengths"):
        fn(x, y, x_lengths=[4, 5])
    with pytest.raises(ValueError, match="y_lengths"):
        fn(x, y, y_lengths=[1])
    with pytest.raises(TypeError, match="x_lengths"):
        fn(x, y, x_lengths=[1.5, 2.0])
    with pytest.raises(ValueError, match="batch size"):
        fn(x, torch.zeros(3, 3, 1))
    with pytest.raises(ValueError, match="dist_func"):
        SoftDTWLoss(dist_func=lambda a, b: a.sum(-1))(x, y)
    xn = torch.tensor([[[1.0], [float("nan")]]])
    with pytest.raises(ValueError, match="x_lengths"):
        fn(xn, torch.zeros(1, 2, 1), x_lengths=[2])


# --------------------------------------------------------------------------- SoftDTW drop-in
def test_softdtw_dropin_signature_and_bandwidth():
    rng = np.random.default_rng(6)
    x = torch.tensor(rng.normal(size=(3, 8, 2)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(3, 8, 2)))
    ref = SoftDTWLoss(gamma=0.1)(x, y)
    assert torch.equal(SoftDTW(True, gamma=0.1)(x, y), ref)  # use_cuda ignored: CPU inputs
    assert torch.equal(SoftDTW(False, gamma=0.1, bandwidth=0)(x, y), ref)
    banded = SoftDTWLoss(gamma=0.1, sakoe_chiba_radius=1)(x, y)
    assert torch.equal(SoftDTW(False, gamma=0.1, bandwidth=1)(x, y), banded)
    assert torch.equal(SoftDTW(False, gamma=0.1, bandwidth=1.7)(x, y), banded)
    # |N - M| > bandwidth: the widened band keeps the end reachable
    long_y = torch.tensor(rng.normal(size=(3, 20, 2)))
    out = SoftDTW(False, gamma=0.1, bandwidth=2)(x, long_y)
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    norm = SoftDTW(False, gamma=0.1, normalize=True)(y, y)
    assert torch.allclose(norm, torch.zeros(3, dtype=norm.dtype))
    with pytest.raises(ValueError, match="bandwidth"):
        SoftDTW(False, bandwidth=-1)


# --------------------------------------------------------------------------- training use
def test_autocast_inputs_compute_in_float32():
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 4)
    x = torch.randn(3, 10, 4)
    y = torch.randn(3, 12, 4)
    loss_fn = SoftDTWLoss(gamma=0.1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = lin(x)
        assert out.dtype == torch.bfloat16
        loss = loss_fn(out, y)
    assert loss.dtype == torch.float32
    loss.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in lin.parameters())
    expected = loss_fn(out.detach().float(), y)
    assert torch.equal(loss.detach(), expected)


def test_torch_compile_does_not_crash():
    torch.manual_seed(0)
    lin = torch.nn.Linear(2, 2).double()
    loss_fn = SoftDTWLoss(gamma=0.5, reduction="mean")

    def step(x, y):
        return loss_fn(torch.tanh(lin(x)), y)

    compiled = torch.compile(step)
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    y = torch.randn(2, 5, 2, dtype=torch.float64)
    out = compiled(x, y)
    out.backward()
    g_compiled = [p.grad.clone() for p in lin.parameters()]
    lin.zero_grad()
    eager = step(x, y)
    eager.backward()
    assert torch.allclose(out.detach(), eager.detach(), rtol=1e-10)
    for a, b in zip(g_compiled, (p.grad for p in lin.parameters()), strict=True):
        assert torch.allclose(a, b, rtol=1e-8)
    # the public function too: a graph break at the kernel, no crash
    xg = x.clone().requires_grad_(True)
    fn = torch.compile(lambda a, b: soft_dtw(torch.tanh(a), b, gamma=0.5).sum())
    value = fn(xg, y)
    value.backward()
    assert torch.allclose(value.detach(), soft_dtw(torch.tanh(x), y, gamma=0.5).sum())
    assert torch.isfinite(xg.grad).all()


def test_a_first_call_does_not_import_dynamo():
    # torch.compiler.disable imports torch._dynamo (most of a second); a process
    # that never compiled anything cannot be tracing, so the kernels run unwrapped
    code = (
        "import sys, torch\n"
        "from tsalign import soft_dtw\n"
        "from tsalign.nn import SoftDTWLoss\n"
        "x = torch.randn(2, 6, 1, requires_grad=True)\n"
        "SoftDTWLoss(gamma=0.5)(x, torch.randn(2, 5, 1)).sum().backward()\n"
        "soft_dtw(x.detach(), x.detach(), gamma=0.5)\n"
        "assert x.grad is not None\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, out_dir: str) -> None:
    import datetime
    import faulthandler

    import torch.distributed as dist

    # where a worker stands if the parent has to give up on it
    log = open(os.path.join(out_dir, f"log{rank}.txt"), "w")  # noqa: SIM115
    faulthandler.dump_traceback_later(150, file=log)
    log.write("started\n")
    log.flush()
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=180),
    )
    try:
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 3).double()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        gen = torch.Generator().manual_seed(1)
        x = torch.randn(4, 7, 3, generator=gen, dtype=torch.float64)
        y = torch.randn(4, 5, 3, generator=gen, dtype=torch.float64)
        part = slice(2 * rank, 2 * rank + 2)
        log.write("initialised\n")
        log.flush()
        loss = SoftDTWLoss(gamma=0.5, reduction="mean")(ddp(x[part]), y[part])
        loss.backward()
        log.write("backward done\n")
        log.flush()
        torch.save([p.grad for p in model.parameters()], os.path.join(out_dir, f"g{rank}.pt"))
    finally:
        dist.destroy_process_group()
    log.write("done\n")
    log.close()
    # skip interpreter finalisation: tearing down gloo, torch's and numba's
    # thread pools there occasionally hung a worker after its work was done
    os._exit(0)


def test_distributed_data_parallel_gloo_two_processes():
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        ctx = mp.start_processes(
            _ddp_worker, args=(2, _free_port(), tmp), nprocs=2, join=False, start_method="spawn"
        )
        deadline = time.monotonic() + 300
        while not ctx.join(timeout=5):
            if time.monotonic() > deadline:
                for p in ctx.processes:
                    p.kill()
                logs = [Path(tmp, f"log{r}.txt") for r in range(2)]
                pytest.fail(
                    "DDP workers did not finish within 300 s:\n"
                    + "\n".join(
                        f"rank {r}: " + (p.read_text() if p.exists() else "no log")
                        for r, p in enumerate(logs)
                    )
                )
        g0 = torch.load(os.path.join(tmp, "g0.pt"))
        g1 = torch.load(os.path.join(tmp, "g1.pt"))
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 3).double()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 7, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(4, 5, 3, generator=gen, dtype=torch.float64)
    SoftDTWLoss(gamma=0.5, reduction="mean")(model(x), y).backward()
    for a, b, ref in zip(g0, g1, model.parameters(), strict=True):
        assert torch.allclose(a, b)
        assert torch.allclose(a, ref.grad, rtol=1e-10)
