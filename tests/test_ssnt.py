"""SSNT loss against the alignment-enumeration reference (values and gradients)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tsalign
from tsalign import lengths_to_padding_mask, ssnt

from .conftest import _params, tol
from .reference_ssnt import alignments, finite_diff, sequence_loss, ssnt_padded_ref

# Lengths of the standard case: S = 6 exceeds the longest source (5); sequence
# 2 has more targets than frames (several emissions in one frame).
B, T, S, V = 4, 3, 6, 4
SRC = np.array([5, 3, 1, 4])
TGT = np.array([3, 1, 3, 2])


def _torch_params():
    return [p for p in _params() if p.id in ("torch", "torch-cuda")]


@pytest.fixture(params=_torch_params())
def tbackend(request):
    return request.param


def make_case(seed=0, B=B, T=T, S=S, V=V, src=SRC, tgt=TGT, pad=np.nan):
    """Padded inputs whose padding holds ``pad`` (and target -1): it must never be read."""
    rng = np.random.default_rng(seed)
    lp = np.log(rng.dirichlet(np.ones(V), size=(B, T, S)))
    y = rng.integers(0, V, size=(B, T))
    z = rng.normal(scale=1.5, size=(B, T, S))
    for b in range(B):
        lp[b, tgt[b] :] = pad
        lp[b, :, src[b] :] = pad
        z[b, tgt[b] :] = pad
        z[b, :, src[b] :] = pad
        y[b, tgt[b] :] = -1
    with np.errstate(invalid="ignore"):
        le = -np.logaddexp(0.0, -z)
    return lp, y, z, le


def ints(case, x):
    x = np.asarray(x, dtype=np.int64)
    if case.name == "numpy":
        return x
    if case.name == "cupy":
        import cupy

        return cupy.asarray(x)
    import torch

    return torch.tensor(x, device="cuda" if case.gpu else "cpu")


def packed(lp, y, emit, tgt):
    keep = ~lengths_to_padding_mask(tgt, max_len=lp.shape[1])
    return lp[keep], y[keep], emit[keep]


# --------------------------------------------------------------------------- reference sanity
def test_reference_enumerates_every_alignment():
    # C(S + J - 2, J - 1) non-decreasing sequences ending at S - 1
    assert len(list(alignments(4, 3))) == 10
    assert list(alignments(3, 1)) == [(2,)]
    assert list(alignments(1, 2)) == [(0, 0)]
    # one frame, one token: the loss is -(P + log e)
    assert sequence_loss(np.array([[-1.0]]), np.array([[-2.0]]), np.array([[-9.0]])) == 3.0


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("logits", [False, True], ids=["log_p_choose", "emit_logits"])
def test_matches_enumeration(backend, dtype, logits):
    lp, y, z, le = make_case()
    emit = z if logits else le
    ref = ssnt_padded_ref(lp.astype(dtype), y, emit.astype(dtype), SRC, TGT, logits=logits)
    kw = (
        {"emit_logits": backend.asarray(z, dtype)}
        if logits
        else {"log_p_choose": backend.asarray(le, dtype)}
    )
    out = ssnt(
        backend.asarray(lp, dtype),
        ints(backend, y),
        source_lengths=SRC,
        target_lengths=ints(backend, TGT),
        reduction="none",
        **kw,
    )
    got = backend.to_numpy(out)
    assert got.shape == (B,)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, **tol(dtype))


def test_longer_sequences_match_enumeration(backend):
    src, tgt = np.array([8, 7]), np.array([4, 5])
    lp, y, z, le = make_case(seed=3, B=2, T=5, S=9, V=3, src=src, tgt=tgt)
    ref = ssnt_padded_ref(lp, y, le, src, tgt)
    out = ssnt(
        backend.asarray(lp), ints(backend, y), backend.asarray(le), src, tgt, reduction="none"
    )
    np.testing.assert_allclose(backend.to_numpy(out), ref, rtol=1e-10)


def test_packed_equals_padded(backend, dtype):
    lp, y, z, le = make_case(seed=1)
    plp, py, ple = packed(lp, y, le, TGT)
    assert plp.shape == (TGT.sum(), S, V)
    a = ssnt(
        backend.asarray(lp, dtype),
        ints(backend, y),
        backend.asarray(le, dtype),
        SRC,
        TGT,
        reduction="none",
    )
    b = ssnt(
        backend.asarray(plp, dtype),
        ints(backend, py),
        backend.asarray(ple, dtype),
        SRC,
        TGT,
        reduction="none",
    )
    np.testing.assert_allclose(backend.to_numpy(a), backend.to_numpy(b), **tol(dtype))
    ref = ssnt_padded_ref(lp.astype(dtype), y, le.astype(dtype), SRC, TGT)
    np.testing.assert_allclose(backend.to_numpy(b), ref, **tol(dtype))


def test_reductions(backend):
    lp, y, z, le = make_case(seed=2)
    args = (backend.asarray(lp), ints(backend, y), backend.asarray(le), SRC, TGT)
    ref = ssnt_padded_ref(lp, y, le, SRC, TGT)
    none = ssnt(*args, reduction="none")
    total = ssnt(*args, reduction="sum")
    mean = ssnt(*args)  # default: mean over the batch
    np.testing.assert_allclose(backend.to_numpy(none), ref, rtol=1e-10)
    np.testing.assert_allclose(backend.to_numpy(total), ref.sum(), rtol=1e-10)
    np.testing.assert_allclose(backend.to_numpy(mean), ref.mean(), rtol=1e-10)
    if backend.name == "numpy":
        assert type(total) is float and type(mean) is float
    else:
        assert tuple(mean.shape) == ()


def test_full_lengths_by_default(backend):
    lp, y, z, le = make_case(seed=4, src=np.full(B, S), tgt=np.full(B, T))
    ref = ssnt_padded_ref(lp, y, le, np.full(B, S), np.full(B, T))
    out = ssnt(backend.asarray(lp), ints(backend, y), backend.asarray(le), reduction="none")
    np.testing.assert_allclose(backend.to_numpy(out), ref, rtol=1e-10)


def test_padding_never_changes_the_loss(backend):
    # NaN (and target -1) in the padding, then finite values (and target 0)
    outs = []
    for pad in (np.nan, -3.0):
        lp, y, z, le = make_case(seed=5, pad=pad)
        if pad == -3.0:
            y = np.where(y < 0, 0, y)
        outs.append(
            backend.to_numpy(
                ssnt(
                    backend.asarray(lp),
                    ints(backend, y),
                    backend.asarray(le),
                    SRC,
                    TGT,
                    reduction="none",
                )
            )
        )
    np.testing.assert_array_equal(outs[0], outs[1])


def test_no_clamping_of_large_losses(backend):
    # every token log-prob is -5000: three tokens make a loss above 15000
    lp = np.full((1, 3, 4, 2), -5000.0)
    le = np.full((1, 3, 4), np.log(0.3))
    y = np.array([[0, 1, 0]])
    ref = ssnt_padded_ref(lp, y, le, [4], [3])
    assert ref[0] > 15000
    out = ssnt(backend.asarray(lp), ints(backend, y), backend.asarray(le), reduction="none")
    np.testing.assert_allclose(backend.to_numpy(out), ref, rtol=1e-12)


def test_emit_logits_stay_accurate_where_e_rounds_to_one(backend, dtype):
    # z = 800: e = sigmoid(z) is 1 in floating point, log(1 - e) = -800 exactly
    # enough; the only alignment of one token to two frames must skip frame 0
    z = np.array([[[800.0, 0.0]]])
    lp = np.log(np.full((1, 1, 2, 2), 0.5))
    y = np.array([[1]])
    ref = ssnt_padded_ref(lp, y, z, [2], [1], logits=True)
    np.testing.assert_allclose(ref, [800 + np.log(2) + np.log(2)], rtol=1e-12)
    out = ssnt(
        backend.asarray(lp, dtype),
        ints(backend, y),
        emit_logits=backend.asarray(z, dtype),
        reduction="none",
    )
    np.testing.assert_allclose(backend.to_numpy(out), ref, **tol(dtype))


def test_probability_zero_and_one(backend):
    # e = 0 (log e = -inf) forbids an emission, e = 1 (log e = 0) forbids a
    # shift; neither is an error and the loss stays exact
    lp, y, z, le = make_case(seed=6)
    le[0, 0, 1] = -np.inf
    le[0, 1, 2] = 0.0
    le[3, 0, 1] = 0.0
    ref = ssnt_padded_ref(lp, y, le, SRC, TGT)
    out = ssnt(
        backend.asarray(lp), ints(backend, y), backend.asarray(le), SRC, TGT, reduction="none"
    )
    np.testing.assert_allclose(backend.to_numpy(out), ref, rtol=1e-10)
    assert np.all(np.isfinite(ref))


def test_impossible_sequence_is_inf(backend):
    # the last token can never be emitted at the last frame
    lp, y, z, le = make_case(seed=7)
    le[1, 0, 2] = -np.inf  # sequence 1: one token, three frames
    out = backend.to_numpy(
        ssnt(backend.asarray(lp), ints(backend, y), backend.asarray(le), SRC, TGT, reduction="none")
    )
    assert out[1] == np.inf
    assert np.all(np.isfinite(np.delete(out, 1)))


def test_dtype_promotion_and_half():
    lp, y, z, le = make_case(seed=8)
    out = ssnt(lp.astype(np.float32), y, le, SRC, TGT, reduction="none")
    assert out.dtype == np.float64
    out16 = ssnt(lp.astype(np.float16), y, le.astype(np.float16), SRC, TGT, reduction="none")
    assert out16.dtype == np.float32
    ref = ssnt_padded_ref(lp.astype(np.float16), y, le.astype(np.float16), SRC, TGT)
    np.testing.assert_allclose(out16, ref, rtol=1e-4)


def test_explicit_numpy_backend_with_torch_inputs():
    import torch

    lp, y, z, le = make_case(seed=16)
    ref = ssnt_padded_ref(lp, y, le, SRC, TGT)
    out = ssnt(
        torch.tensor(lp),
        torch.tensor(y),
        torch.tensor(le),
        torch.tensor(SRC),
        torch.tensor(TGT),
        reduction="sum",
        be="numpy",
    )
    assert type(out) is float
    np.testing.assert_allclose(out, ref.sum(), rtol=1e-10)


def test_inputs_are_not_modified(tbackend):
    import torch

    lp, y, z, le = make_case(seed=9)
    tl = tbackend.asarray(lp, requires_grad=True)
    tz = tbackend.asarray(z, requires_grad=True)
    ty = ints(tbackend, y)
    before = [t.detach().clone() for t in (tl, tz, ty)]
    ssnt(tl, ty, None, SRC, TGT, emit_logits=tz).backward()
    for t, old in zip((tl, tz, ty), before, strict=True):
        torch.testing.assert_close(t.detach(), old, equal_nan=True, rtol=0, atol=0)


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("logits", [False, True], ids=["log_p_choose", "emit_logits"])
@pytest.mark.parametrize("layout", ["padded", "packed"])
def test_gradients_match_finite_differences(tbackend, dtype, logits, layout):
    import torch

    lp, y, z, le = make_case(seed=10)
    lp, z, le = (a.astype(dtype) for a in (lp, z, le))
    emit = z if logits else le
    weights = np.array([1.0, -0.5, 2.0, 0.25])

    def ref_total(lp_, emit_):
        return float(np.dot(weights, ssnt_padded_ref(lp_, y, emit_, SRC, TGT, logits=logits)))

    valid = ~np.isnan(emit)
    fd_lp = finite_diff(
        lambda a: ref_total(a, emit),
        lp,
        entries=[(*i, k) for i in zip(*np.nonzero(valid), strict=True) for k in range(V)],
    )
    fd_emit = finite_diff(
        lambda a: ref_total(lp, a), emit, entries=list(zip(*np.nonzero(valid), strict=True))
    )

    tl = tbackend.asarray(lp, dtype, requires_grad=True)
    te = tbackend.asarray(emit, dtype, requires_grad=True)
    ty = ints(tbackend, y)
    kw = {"emit_logits": te} if logits else {"log_p_choose": te}
    if layout == "packed":
        keep = torch.as_tensor(~lengths_to_padding_mask(TGT), device=tl.device)
        loss = ssnt(
            tl[keep],
            ty[keep],
            source_lengths=SRC,
            target_lengths=TGT,
            reduction="none",
            **{k: v[keep] for k, v in kw.items()},
        )
    else:
        loss = ssnt(tl, ty, source_lengths=SRC, target_lengths=TGT, reduction="none", **kw)
    (loss * torch.as_tensor(weights, dtype=loss.dtype, device=loss.device)).sum().backward()
    g_lp = tl.grad.cpu().numpy()
    g_emit = te.grad.cpu().numpy()
    assert g_lp.dtype == dtype and g_emit.dtype == dtype
    # exact zeros in the padding, and off the gathered entries
    assert np.all(g_lp[~valid] == 0) and np.all(g_emit[~valid] == 0)
    gathered = np.zeros(lp.shape, dtype=bool)
    for b, j in zip(*np.nonzero(y >= 0), strict=True):
        gathered[b, j, : SRC[b], y[b, j]] = True
    assert np.all(g_lp[~gathered] == 0)
    t = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float64 else {"rtol": 2e-3, "atol": 2e-4}
    np.testing.assert_allclose(g_lp[valid], fd_lp[valid], **t)
    np.testing.assert_allclose(g_emit[valid], fd_emit[valid], **t)


@pytest.mark.parametrize("logits", [False, True], ids=["log_p_choose", "emit_logits"])
def test_gradcheck(tbackend, logits):
    import torch

    src, tgt = np.array([4, 2]), np.array([2, 3])
    lp, y, z, le = make_case(seed=11, B=2, T=3, S=4, V=3, src=src, tgt=tgt, pad=-1.0)
    y = np.where(y < 0, 0, y)
    tl = tbackend.asarray(lp, requires_grad=True)
    te = tbackend.asarray(z if logits else np.minimum(le, -1e-3), requires_grad=True)
    ty = ints(tbackend, y)

    def f(a, e):
        if logits:
            return ssnt(a, ty, None, src, tgt, reduction="none", emit_logits=e)
        return ssnt(a, ty, e, src, tgt, reduction="sum")

    assert torch.autograd.gradcheck(f, (tl, te), eps=1e-6, atol=1e-7)


def test_gradient_occupancy_sums_to_one(tbackend):
    # d loss / d P[u, t] = -(posterior of emitting token u at frame t): over t
    # it sums to -1 for every token, whatever the inputs
    lp, y, z, le = make_case(seed=12, pad=0.0)
    tl = tbackend.asarray(lp, requires_grad=True)
    ssnt(
        tl, ints(tbackend, np.where(y < 0, 0, y)), tbackend.asarray(le), SRC, TGT, reduction="sum"
    ).backward()
    per_token = tl.grad.cpu().numpy().sum(axis=(2, 3))
    expected = -(np.arange(T)[None, :] < TGT[:, None]).astype(float)
    np.testing.assert_allclose(per_token, expected, rtol=1e-10, atol=1e-12)


def test_gradients_finite_at_extremes(tbackend):
    import torch

    lp, y, z, le = make_case(seed=13)
    le[0, 0, 1] = -np.inf
    le[0, 1, 2] = 0.0
    le[1, 0, 2] = -np.inf  # sequence 1 is impossible: loss inf, zero gradient
    tl = tbackend.asarray(lp, requires_grad=True)
    te = tbackend.asarray(le, requires_grad=True)
    loss = ssnt(tl, ints(tbackend, y), te, SRC, TGT, reduction="none")
    assert torch.isinf(loss[1])
    loss[[0, 2, 3]].sum().backward()
    valid = ~np.isnan(le)
    assert np.all(np.isfinite(tl.grad.cpu().numpy()))
    assert np.all(np.isfinite(te.grad.cpu().numpy()))
    assert np.all(tl.grad.cpu().numpy()[1] == 0)
    assert np.any(te.grad.cpu().numpy()[valid] != 0)
    tl.grad = te.grad = None
    loss = ssnt(tl, ints(tbackend, y), te, SRC, TGT, reduction="sum")
    assert torch.isinf(loss)
    loss.backward()
    assert np.all(tl.grad.cpu().numpy()[1] == 0) and np.all(np.isfinite(tl.grad.cpu().numpy()))


def test_large_loss_keeps_its_gradient(tbackend):
    lp = np.full((1, 3, 4, 2), -6000.0)
    lp[0, :, :, 0] += np.arange(4) * 0.5
    tl = tbackend.asarray(lp, requires_grad=True)
    le = tbackend.asarray(np.full((1, 3, 4), np.log(0.3)))
    loss = ssnt(tl, ints(tbackend, [[0, 0, 0]]), le)
    loss.backward()
    assert loss.item() > 15000
    g = tl.grad.cpu().numpy()[0, :, :, 0]
    # the last token is always emitted at the last frame (a_J = S - 1)
    assert np.all(g[:2] < 0)
    np.testing.assert_allclose(g[2], [0, 0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(g.sum(axis=1), -1.0, rtol=1e-10)


# --------------------------------------------------------------------------- the seed's example
def test_seed_minimal_example_runs():
    """The ssnt-loss README example, on the CPU, with the import changed."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    B, S, H, T, V = 2, 100, 256, 10, 2000
    # model
    transcriber = nn.LSTM(input_size=H, hidden_size=H, num_layers=1)
    predictor = nn.LSTM(input_size=H, hidden_size=H, num_layers=1)
    joiner_trans = nn.Linear(H, V, bias=False)
    joiner_alpha = nn.Sequential(nn.Linear(H, 1, bias=True), nn.Tanh())
    # inputs
    src_embed = torch.rand(B, S, H).requires_grad_()
    tgt_embed = torch.rand(B, T, H).requires_grad_()
    targets = torch.randint(0, V, (B, T))

    def adjust(x, goal):
        return x * goal // x.max()

    source_lengths = adjust(torch.randint(1, S + 1, (B,)), S)
    target_lengths = adjust(torch.randint(1, T + 1, (B,)), T)
    # forward
    src_feats, (h1, c1) = transcriber(src_embed.transpose(1, 0))
    tgt_feats, (h2, c2) = predictor(tgt_embed.transpose(1, 0))
    # memory efficient joint
    mask = ~lengths_to_padding_mask(target_lengths)
    lattice = F.relu(
        src_feats.transpose(0, 1).unsqueeze(1) + tgt_feats.transpose(0, 1).unsqueeze(2)
    )[mask]
    log_alpha = F.logsigmoid(joiner_alpha(lattice)).squeeze(-1)
    lattice = joiner_trans(lattice).log_softmax(-1)
    # normal ssnt loss
    loss = ssnt(
        lattice,
        targets[mask],
        log_alpha,
        source_lengths=source_lengths,
        target_lengths=target_lengths,
        reduction="sum",
    ) / (B * T)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 0
    assert torch.isfinite(src_embed.grad).all() and src_embed.grad.abs().sum() > 0
    assert joiner_alpha[0].weight.grad.abs().sum() > 0

    # the same joint in the padded layout gives the same loss
    with torch.no_grad():
        full = F.relu(
            src_feats.transpose(0, 1).unsqueeze(1) + tgt_feats.transpose(0, 1).unsqueeze(2)
        )
        padded = ssnt(
            joiner_trans(full).log_softmax(-1),
            targets,
            F.logsigmoid(joiner_alpha(full)).squeeze(-1),
            source_lengths,
            target_lengths,
            reduction="sum",
        ) / (B * T)
    np.testing.assert_allclose(padded.item(), loss.item(), rtol=1e-5)


# --------------------------------------------------------------------------- errors
def _bad_calls():
    lp, y, z, le = make_case(seed=14, pad=-1.0)
    y = np.where(y < 0, 0, y)
    plp, py, ple = packed(lp, y, le, TGT)
    good = {
        "log_probs": lp,
        "targets": y,
        "log_p_choose": le,
        "source_lengths": SRC,
        "target_lengths": TGT,
    }
    pgood = {
        "log_probs": plp,
        "targets": py,
        "log_p_choose": ple,
        "source_lengths": SRC,
        "target_lengths": TGT,
    }
    over_t = y.copy()
    over_t[0, 0] = V
    pos = le.copy()
    pos[2, 1, 0] = 0.5
    nan_lp = lp.copy()
    nan_lp[3, 1, 2, y[3, 1]] = np.nan
    nan_z = z.copy()
    nan_z[0, 2, 4] = np.nan
    cases = [
        ("source_lengths", dict(good, source_lengths=[5, 3, 1, 7])),
        ("source_lengths", dict(good, source_lengths=[5, 0, 1, 4])),
        ("source_lengths", dict(good, source_lengths=[5, -2, 1, 4])),
        ("source_lengths", dict(good, source_lengths=[5, 3, 1])),
        ("source_lengths", dict(good, source_lengths=[[5, 3, 1, 4]])),
        ("target_lengths", dict(good, target_lengths=[3, 4, 3, 2])),
        ("target_lengths", dict(good, target_lengths=[3, 0, 3, 2])),
        ("target_lengths", dict(good, target_lengths=[3, 1, 3, 2, 1])),
        ("target_lengths", dict(pgood, target_lengths=[3, 1, 3, 1])),
        ("target_lengths", dict(pgood, target_lengths=None)),
        ("source_lengths", dict(pgood, source_lengths=[5, 3, 1])),
        ("reduction", dict(good, reduction="avg")),
        ("targets", dict(good, targets=y[:, :2])),
        ("targets", dict(pgood, targets=py[:-1])),
        ("log_p_choose", dict(good, log_p_choose=le[:, :, :5])),
        ("log_p_choose", dict(pgood, log_p_choose=ple[None])),
        ("log_probs", dict(good, log_probs=lp[0, 0])),
        ("log_probs", dict(good, log_probs=lp[:, :, :0], log_p_choose=le[:, :, :0])),
        ("exactly one", dict(good, emit_logits=z)),
        ("exactly one", dict(good, log_p_choose=None)),
        ("targets", dict(good, targets=over_t)),
        ("log_p_choose", dict(good, log_p_choose=pos)),
        ("log_probs", dict(good, log_probs=nan_lp)),
        ("emit_logits", dict(good, log_p_choose=None, emit_logits=nan_z)),
        ("be", dict(good, be="jax")),
    ]
    type_cases = [
        ("targets", dict(good, targets=y.astype(float))),
        ("targets", dict(good, targets=y > 0)),
        ("source_lengths", dict(good, source_lengths=SRC.astype(float))),
        ("target_lengths", dict(good, target_lengths=["3", "1", "3", "2"])),
        ("reduction", dict(good, reduction=None)),
    ]
    return cases, type_cases


_VALUE_CASES, _TYPE_CASES = _bad_calls()


def _convert(backend, kwargs):
    out = {}
    for k, v in kwargs.items():
        if k in ("log_probs", "log_p_choose", "emit_logits") and v is not None:
            out[k] = backend.asarray(v)
        elif k == "targets" and np.asarray(v).dtype.kind in "iu":
            out[k] = ints(backend, v)
        elif k == "targets" and backend.name != "numpy":
            out[k] = backend.asarray(v, dtype=np.asarray(v).dtype)
        else:
            out[k] = v
    return out


@pytest.mark.parametrize(
    "name,kwargs", _VALUE_CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(_VALUE_CASES)]
)
def test_bad_values_raise_value_error(backend, name, kwargs):
    with pytest.raises(ValueError, match=name):
        ssnt(**_convert(backend, kwargs))


@pytest.mark.parametrize(
    "name,kwargs", _TYPE_CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(_TYPE_CASES)]
)
def test_bad_types_raise_type_error(backend, name, kwargs):
    with pytest.raises(TypeError, match=name):
        ssnt(**_convert(backend, kwargs))


def test_mixed_libraries_raise_type_error():
    import torch

    lp, y, z, le = make_case(pad=-1.0)
    with pytest.raises(TypeError, match="mix"):
        ssnt(torch.tensor(lp), np.where(y < 0, 0, y), torch.tensor(le), SRC, TGT)


# --------------------------------------------------------------------------- helpers, module
def test_lengths_to_padding_mask(backend):
    mask = lengths_to_padding_mask(ints(backend, [2, 0, 3]))
    expected = np.array([[False, False, True], [True, True, True], [False, False, False]])
    np.testing.assert_array_equal(backend.to_numpy(mask), expected)
    wide = lengths_to_padding_mask(ints(backend, [2]), max_len=4)
    np.testing.assert_array_equal(backend.to_numpy(wide), [[False, False, True, True]])
    with pytest.raises(ValueError, match="lengths"):
        lengths_to_padding_mask(ints(backend, [2, -1]))
    with pytest.raises(ValueError, match="lengths"):
        lengths_to_padding_mask(ints(backend, [[2]]))
    with pytest.raises(TypeError, match="lengths"):
        lengths_to_padding_mask(np.array([1.5]))
    with pytest.raises(TypeError, match="max_len"):
        lengths_to_padding_mask([1], max_len=2.5)


def test_ssnt_loss_module(tbackend):
    import torch

    from tsalign.nn import SSNTLoss

    lp, y, z, le = make_case(seed=15)
    args = (tbackend.asarray(lp), ints(tbackend, y), tbackend.asarray(le), SRC, TGT)
    for reduction in ("none", "sum", "mean"):
        torch.testing.assert_close(SSNTLoss(reduction)(*args), ssnt(*args, reduction=reduction))
    assert "mean" in repr(SSNTLoss())
    with pytest.raises(ValueError, match="reduction"):
        SSNTLoss("max")


def test_public_names_and_lazy_imports():
    assert tsalign.ssnt is ssnt and "ssnt" in tsalign.__all__
    assert "lengths_to_padding_mask" in tsalign.__all__
    code = (
        "import sys, tsalign, tsalign.ssnt; "
        "bad = [m for m in ('torch', 'cupy', 'numba') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
