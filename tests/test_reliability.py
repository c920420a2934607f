"""Nothing silent: inf refused, callable metrics checked, SSNT inputs checked,
``verbose`` and the progress bar, ``Backend(data)``, the ``tsalign.nn`` import hint
(issue 11, items 1-4 and 8)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tsalign
from tsalign.backend import Backend, NumPyBackend, PyTorchBackend

ROOT = Path(__file__).resolve().parent.parent

X = np.array([[0.0], [1.0], [2.0], [1.0]])
Y = np.array([[0.0], [2.0], [1.0]])


def _with_inf(a, sign=1.0, at=(1, 0)):
    b = np.array(a, dtype=np.float64, copy=True)
    b[at] = sign * np.inf
    return b


# --------------------------------------------------------------------------- item 1: inf
PAIR_FUNCS = {
    "dtw": lambda a, b: tsalign.dtw(a, b),
    "dtw_path": lambda a, b: tsalign.dtw_path(a, b),
    "dtw_path_from_metric": lambda a, b: tsalign.dtw_path_from_metric(a, b),
    "dtw_subsequence_path": lambda a, b: tsalign.dtw_subsequence_path(a, b),
    "soft_dtw": lambda a, b: tsalign.soft_dtw(a, b),
    "soft_dtw_alignment": lambda a, b: tsalign.soft_dtw_alignment(a, b),
    "soft_dtw_normalized": lambda a, b: tsalign.soft_dtw_normalized(a, b),
    "cdist_dtw": lambda a, b: tsalign.cdist_dtw(a[None], b[None]),
    "cdist_soft_dtw": lambda a, b: tsalign.cdist_soft_dtw(a[None], b[None]),
    "cdist_soft_dtw_normalized": lambda a, b: tsalign.cdist_soft_dtw_normalized(a[None], b[None]),
    "dilate": lambda a, b: tsalign.dilate(a[None], b[None]),
    "temporal_distortion_index": lambda a, b: tsalign.temporal_distortion_index(a[None], b[None]),
}
FIRST_NAME = {
    "dtw_subsequence_path": "subseq",
    "cdist_dtw": "dataset1",
    "cdist_soft_dtw": "dataset1",
    "cdist_soft_dtw_normalized": "dataset1",
    "dilate": "y_pred",
    "temporal_distortion_index": "y_pred",
}
SECOND_NAME = {
    "dtw_subsequence_path": "longseq",
    "cdist_dtw": "dataset2",
    "cdist_soft_dtw": "dataset2",
    "cdist_soft_dtw_normalized": "dataset2",
    "dilate": "y_true",
    "temporal_distortion_index": "y_true",
}


def _wrap_pair(backend, fn, a, b):
    if fn in ("dilate", "temporal_distortion_index", "dtw_subsequence_path"):
        a, b = (a, b) if fn != "dtw_subsequence_path" else (a[:2], b)
    return PAIR_FUNCS[fn](backend.asarray(a), backend.asarray(b))


@pytest.mark.parametrize("fn", sorted(PAIR_FUNCS))
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["+inf", "-inf"])
def test_inf_refused_naming_the_argument(backend, fn, sign):
    a, b = X, Y
    if fn in ("dilate", "temporal_distortion_index"):
        b = X  # same length
    first = FIRST_NAME.get(fn, "s1")
    second = SECOND_NAME.get(fn, "s2")
    with pytest.raises(ValueError, match=rf"{first} contains infinite values"):
        _wrap_pair(backend, fn, _with_inf(a, sign, (0, 0)), b)
    with pytest.raises(ValueError, match=rf"{second} contains infinite values"):
        _wrap_pair(backend, fn, a, _with_inf(b, sign))


def test_inf_refused_in_padded_dataset_and_lb_keogh(backend):
    ds = np.full((2, 4, 1), np.nan)
    ds[0, :4, 0] = [0, 1, 2, 3]
    ds[1, :2, 0] = [0, np.inf]  # inf inside the valid part of a shorter series
    with pytest.raises(ValueError, match="dataset1 contains infinite values"):
        tsalign.cdist_dtw(backend.asarray(ds))
    if backend.name == "numpy":
        with pytest.raises(ValueError, match="ts_query contains infinite values"):
            tsalign.lb_keogh(_with_inf(X), ts_candidate=X)
        with pytest.raises(ValueError, match="ts_candidate contains infinite values"):
            tsalign.lb_keogh(X, ts_candidate=_with_inf(X))
        with pytest.raises(ValueError, match="ts contains infinite values"):
            tsalign.lb_envelope(_with_inf(X))


def test_inf_refused_in_cost_matrices(backend):
    C = np.array([[0.0, 1.0], [np.inf, 0.0]])
    with pytest.raises(ValueError, match="C contains infinite values"):
        tsalign.soft_dtw_from_cost(backend.asarray(C))
    with pytest.raises(ValueError, match="s1 .*contains infinite values"):
        tsalign.dtw_path_from_metric(backend.asarray(C), metric="precomputed")
    with pytest.raises(ValueError, match="s1 .*contains NaN"):
        tsalign.dtw_path_from_metric(backend.asarray(C * np.nan), metric="precomputed")


def test_inputs_unchanged_when_refused(backend):
    a = backend.asarray(_with_inf(X))
    before = backend.to_numpy(a).copy()
    with pytest.raises(ValueError):
        tsalign.dtw(a, backend.asarray(Y))
    np.testing.assert_array_equal(backend.to_numpy(a), before)


def test_losses_refuse_inf(tbackend_like):
    import torch

    from tsalign.nn import DILATELoss, SoftDTW, SoftDTWLoss

    dev = tbackend_like
    x = torch.tensor(_with_inf(X)[None], device=dev, requires_grad=True)
    y = torch.tensor(Y[None], device=dev)
    with pytest.raises(ValueError, match="x contains infinite values"):
        SoftDTWLoss()(x, y)
    with pytest.raises(ValueError, match="x contains infinite values"):
        SoftDTW(use_cuda=False)(x, y)
    with pytest.raises(ValueError, match="y contains infinite values"):
        SoftDTWLoss()(y.clone(), torch.tensor(_with_inf(Y)[None], device=dev))
    with pytest.raises(ValueError, match="y_pred contains infinite values"):
        DILATELoss()(x, torch.tensor(X[None], device=dev))


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def tbackend_like(request):
    torch = pytest.importorskip("torch")
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return request.param


def test_finite_check_does_not_copy_to_host(monkeypatch):
    """The inf check is a device-side reduction: no to_numpy of the series itself."""
    import torch

    calls = []
    orig = PyTorchBackend.to_numpy

    def spy(self, x):
        calls.append(tuple(x.shape))
        return orig(self, x)

    monkeypatch.setattr(PyTorchBackend, "to_numpy", spy)
    with pytest.raises(ValueError, match="infinite"):
        tsalign.dtw(torch.tensor(_with_inf(X)), torch.tensor(Y))
    assert all(shape != tuple(X.shape) and shape != (1,) + X.shape for shape in calls)


# --------------------------------------------------------------------------- items 2-3: metrics
def test_callable_metric_nan_or_inf_refused(backend):
    a, b = backend.asarray(X), backend.asarray(Y)

    def nan_metric(u, v):
        return float("nan")

    def inf_metric(u, v):
        return float("inf")

    with pytest.raises(ValueError, match="metric .*NaN"):
        tsalign.dtw_path_from_metric(a, b, metric=nan_metric)
    with pytest.raises(ValueError, match="metric .*infinite"):
        tsalign.dtw_path_from_metric(a, b, metric=inf_metric)
    with pytest.raises(TypeError, match="metric"):
        tsalign.dtw_path_from_metric(a, b, metric=lambda u, v: "far")


def test_callable_metric_returning_arrays(backend):
    a, b = backend.asarray(X), backend.asarray(Y)
    xp_abs = np.abs if backend.name in ("numpy",) else (lambda t: abs(t))
    _, cost = tsalign.dtw_path_from_metric(a, b, metric=lambda u, v: xp_abs(u - v).sum())
    _, ref = tsalign.dtw_path_from_metric(X, Y, metric="cityblock")
    assert float(backend.to_numpy(cost)) == pytest.approx(ref)


def test_dist_func_nan_refused(tbackend_like):
    import torch

    from tsalign.nn import SoftDTW, SoftDTWLoss

    x = torch.tensor(X[None], device=tbackend_like, requires_grad=True)
    y = torch.tensor(Y[None], device=tbackend_like)

    def bad(a, b):
        return torch.full((a.shape[0], a.shape[1], b.shape[1]), float("nan"), device=a.device)

    def inf(a, b):
        return torch.full((a.shape[0], a.shape[1], b.shape[1]), float("inf"), device=a.device)

    with pytest.raises(ValueError, match="dist_func output contains NaN"):
        SoftDTWLoss(dist_func=bad)(x, y)
    with pytest.raises(ValueError, match="dist_func output contains infinite"):
        SoftDTW(use_cuda=False, dist_func=inf)(x, y)


def test_dtw_path_from_metric_gradient_finite_at_zero_distance():
    import torch

    s1 = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], dtype=torch.float64, requires_grad=True)
    s2 = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 1.0]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no torch.asarray / copy-construct UserWarning
        _, cost = tsalign.dtw_path_from_metric(s1, s2, metric="euclidean")
        cost.backward()
    g = s1.grad.numpy()
    assert np.all(np.isfinite(g))
    # matched frames 0 and 1 are equal: gradient 0 there (dtw's rule); frame 2 is at distance 1
    np.testing.assert_allclose(g[:2], 0.0)
    np.testing.assert_allclose(g[2], [0.0, -1.0])
    # a callable metric through torch: no warning either, same value
    s1.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, cost2 = tsalign.dtw_path_from_metric(
            s1, s2, metric=lambda u, v: torch.sqrt(((u - v) ** 2).sum() + 1e-300)
        )
    assert float(cost2) == pytest.approx(float(cost))


# --------------------------------------------------------------------------- item 4: SSNT
def _ssnt_case(B=2, T=3, S=4, V=5, seed=0):
    rng = np.random.default_rng(seed)
    lp = np.log(rng.dirichlet(np.ones(V), size=(B, T, S)))
    y = rng.integers(0, V, size=(B, T))
    le = np.log(rng.uniform(0.1, 0.9, size=(B, T, S)))
    return lp, y, le


def test_ssnt_refuses_log_probs_that_are_not(backend):
    lp, y, le = _ssnt_case()
    y = backend.asarray(y, dtype=np.int64)
    ok = tsalign.ssnt(backend.asarray(lp), y, backend.asarray(le))
    assert float(backend.to_numpy(ok)) > 0
    with pytest.raises(ValueError, match="log_probs must hold log-probabilities"):
        tsalign.ssnt(backend.asarray(lp + 5), y, backend.asarray(le))
    # entries all <= 0 but a frame summing to 2 (log 2 > 0)
    doubled = lp + np.log(2.0)
    doubled = np.minimum(doubled, 0.0)
    with pytest.raises(ValueError, match="logsumexp"):
        tsalign.ssnt(backend.asarray(doubled), y, backend.asarray(le))
    # within rounding: accepted
    tsalign.ssnt(backend.asarray(lp + 1e-5), y, backend.asarray(le))
    # padding (beyond the lengths) is not looked at
    padded = lp.copy()
    padded[1, 2:] = 7.0  # rows beyond target length 2
    padded[0, :, 3] = 7.0  # frame beyond source length 3
    tsalign.ssnt(
        backend.asarray(padded),
        y,
        backend.asarray(le),
        source_lengths=np.array([3, 4]),
        target_lengths=np.array([3, 2]),
    )
    # packed layout: same check
    with pytest.raises(ValueError, match="log-probabilities"):
        tsalign.ssnt(
            backend.asarray((lp + 5).reshape(6, 4, 5)),
            backend.asarray(backend.to_numpy(y).reshape(6), dtype=np.int64),
            backend.asarray(le.reshape(6, 4)),
            target_lengths=np.array([3, 3]),
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssnt_every_frame_is_checked(backend, dtype):
    # 2 x 30 x 40 = 2400 used frames: one frame in the middle sums to 1.005
    # (entries all < 0, logsumexp 0.005 > the 1e-3 tolerance) and is refused;
    # at 1.0005 (logsumexp 5e-4) it is accepted.
    lp, y, le = _ssnt_case(B=2, T=30, S=40, V=7, seed=3)
    lp, le = lp.astype(dtype), le.astype(dtype)
    yb = backend.asarray(y, dtype=np.int64)
    for excess, refused in [(np.log(1.005), True), (np.log(1.0005), False)]:
        bad = lp.copy()
        bad[1, 17, 23] += dtype(excess)
        assert bad.max() < 0
        args = (backend.asarray(bad), yb, backend.asarray(le))
        if refused:
            with pytest.raises(ValueError, match="sums to more than 1"):
                tsalign.ssnt(*args)
        else:
            assert np.isfinite(float(backend.to_numpy(tsalign.ssnt(*args))))
    # the same frame beyond its sequence's source length is padding
    bad = lp.copy()
    bad[1, 17, 23] += dtype(np.log(1.005))
    tsalign.ssnt(backend.asarray(bad), yb, backend.asarray(le), source_lengths=np.array([40, 23]))
    # a non-contiguous view is checked as well
    wide = np.concatenate([bad, np.zeros_like(bad)], axis=-1)[..., :7]
    assert not wide.flags.c_contiguous
    with pytest.raises(ValueError, match="sums to more than 1"):
        tsalign.ssnt(backend.asarray(wide), yb, backend.asarray(le))


def test_ssnt_log_prob_check_with_grad():
    import torch

    lp, y, le = _ssnt_case()
    t = torch.tensor(lp + 5, requires_grad=True)
    with pytest.raises(ValueError, match="log-probabilities"):
        tsalign.ssnt(t, torch.tensor(y), torch.tensor(le))


def test_lengths_to_padding_mask_refuses_narrow_max_len(backend):
    lengths = np.array([3, 1])
    with pytest.raises(ValueError, match="max_len must be >= max"):
        tsalign.lengths_to_padding_mask(lengths, max_len=2)
    assert tsalign.lengths_to_padding_mask(lengths, max_len=3).shape == (2, 3)


# --------------------------------------------------------------------------- item 8
@pytest.mark.parametrize("verbose", [True, False, 0, 1, np.bool_(True)])
def test_verbose_accepts_booleans(verbose, capsys):
    ds = np.random.default_rng(0).normal(size=(3, 5, 1))
    a = tsalign.cdist_dtw(ds, verbose=verbose)
    b = tsalign.cdist_soft_dtw(ds, verbose=verbose)
    assert a.shape == b.shape == (3, 3)
    err = capsys.readouterr().err
    assert ("pair" in err) == bool(verbose)
    with pytest.raises(TypeError, match="verbose"):
        tsalign.cdist_dtw(ds, verbose="yes")


def test_builtin_progress_bar_shows_rate_and_eta():
    from tsalign._lib.progress import Progress

    out = io.StringIO()
    p = Progress("cdist_dtw", use_tqdm=False, stream=out)
    p(5, 10)
    p(10, 10)
    text = out.getvalue()
    assert "pairs/s" in text and "ETA" in text and "5/10" in text and text.endswith("\n")


def test_tqdm_progress_bar_used_when_installed(monkeypatch):
    pytest.importorskip("tqdm")
    from tsalign._lib import progress as mod

    seen = {}

    class FakeBar:
        def __init__(self, total, desc, unit):
            seen.update(total=total, desc=desc, unit=unit, n=0, closed=False)

        def update(self, k):
            seen["n"] += k

        def close(self):
            seen["closed"] = True

    monkeypatch.setattr(mod, "_tqdm", lambda: FakeBar)
    p = mod.Progress("cdist_soft_dtw")
    p(3, 8)
    p(8, 8)
    assert seen == {"total": 8, "desc": "cdist_soft_dtw", "unit": "pair", "n": 8, "closed": True}


def test_backend_of_data_and_name():
    import torch

    assert isinstance(Backend("pytorch"), PyTorchBackend)
    assert isinstance(Backend("torch"), PyTorchBackend)
    assert isinstance(Backend(torch.zeros(2)), PyTorchBackend)
    assert isinstance(Backend(np.zeros(2)), NumPyBackend)
    assert isinstance(Backend(), NumPyBackend) and isinstance(Backend(None), NumPyBackend)
    assert Backend("pytorch") is Backend("pytorch")
    be = Backend("numpy")
    assert Backend(be) is be
    assert Backend([torch.zeros(2), torch.zeros(3)]).is_pytorch
    assert Backend("pytorch").backend_string == "pytorch"
    assert float(Backend("pytorch").linalg.norm(Backend("pytorch").array([3.0, 4.0]))) == 5.0
    with pytest.raises(ValueError, match="data"):
        Backend("jax")
    with pytest.raises(TypeError, match="NumPyBackend"):
        NumPyBackend(np.zeros(2))
    assert isinstance(NumPyBackend(), NumPyBackend)


def test_nn_without_torch_says_how_to_install(tmp_path):
    # a 'torch' that fails to import, first on the path
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('No module named torch')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    code = (
        "from tsalign._lib.dist import distribution_name\n"
        "try:\n    import tsalign.nn\nexcept ImportError as e:\n"
        "    print(distribution_name()); print(e)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert res.returncode == 0, res.stderr
    dist, message = res.stdout.strip().splitlines()
    assert f'pip install "{dist}[torch]"' in message
    assert "tsalign.nn needs PyTorch" in message
