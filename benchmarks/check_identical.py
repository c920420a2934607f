"""Run every public function on fixed random inputs and save (or compare) the results bit for bit.

A refactoring check, not a benchmark: ``record OUT.pkl`` stores every value and gradient that
the public API gives on numpy and torch CPU inputs (float32 and float64, batches with NaN
padding, every constraint, gamma = 0 and > 0, with gradients where torch allows them);
``compare A.pkl B.pkl`` says which entries differ in any bit.  Run ``record`` from two
checkouts (``git worktree add /tmp/base <commit>``), then ``compare``::

    (cd /tmp/base && .venv/bin/python benchmarks/check_identical.py record /tmp/a.pkl)
    .venv/bin/python benchmarks/check_identical.py record /tmp/b.pkl
    .venv/bin/python benchmarks/check_identical.py compare /tmp/a.pkl /tmp/b.pkl

Errors are recorded by type and message, so a changed error is a difference too.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np


def _np(v):
    """A result as plain host data (arrays as numpy, keeping dtype)."""
    import torch

    if isinstance(v, torch.Tensor):
        return ("tensor", str(v.dtype), v.detach().cpu().numpy().copy())
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.copy())
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, [_np(x) for x in v])
    if isinstance(v, float):
        return ("float", np.float64(v))
    return (type(v).__name__, v)


def _series(rng, B, N, d, dtype, pad=None):
    X = rng.normal(size=(B, N, d)).astype(dtype)
    if pad is not None:
        for b, n in enumerate(pad):
            X[b, n:] = np.nan
    return X


def _input(lib: str, a, grad: bool):
    """A fresh copy of ``a`` for the library (a leaf that needs gradients with ``grad``)."""
    if lib == "numpy":
        return a.copy()
    import torch

    t = torch.tensor(a)
    return t.requires_grad_() if grad else t


def _runner(lib: str, grad: bool, strict: bool):
    """``run(fn, *inputs)``: a thunk calling ``fn`` on fresh inputs; with ``grad`` it also
    back-propagates the first differentiable output and returns ``(result, grads)``.
    Without such an output, ``strict`` makes that an error (StopIteration), else the
    result alone is returned."""

    def run(fn, *inputs):
        def thunk():
            ins = [_input(lib, a, grad) for a in inputs]
            res = fn(*ins)
            if not grad:
                return res
            parts = res if isinstance(res, tuple) else (res,)
            differentiable = (p for p in parts if getattr(p, "grad_fn", None) is not None)
            first = next(differentiable) if strict else next(differentiable, None)
            if first is None:
                return res
            (first.sum() if first.ndim else first).backward()
            return res, [t.grad for t in ins]

        return thunk

    return run


def cases():
    """(name, thunk) pairs; each thunk returns a result, or (result, grads) with torch grads."""
    import torch

    import tsalign
    from tsalign import nn

    out = []
    bands = {
        "none": {},
        "sc2": {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 2},
        "ita": {"global_constraint": "itakura", "itakura_max_slope": 2.5},
    }
    for dtype in (np.float32, np.float64):
        dn = np.dtype(dtype).name
        rng = np.random.default_rng(0)
        Xb = _series(rng, 3, 9, 2, dtype, pad=[9, 6, 8])
        Yb = _series(rng, 3, 8, 2, dtype, pad=[8, 8, 5])
        x1 = rng.normal(size=(7, 1)).astype(dtype)
        y1 = rng.normal(size=(6, 1)).astype(dtype)
        D1 = _series(rng, 4, 7, 1, dtype, pad=[7, 5, 7, 6])
        D2 = _series(rng, 3, 6, 1, dtype, pad=[6, 6, 4])
        Cm = rng.uniform(0, 2, size=(2, 5, 6)).astype(dtype)

        for lib in ("numpy", "torch"):

            def T(a, lib=lib):
                return _input(lib, a, False)

            for grad in (False, True) if lib == "torch" else (False,):
                tag = f"{lib}-{dn}-{'grad' if grad else 'nograd'}"
                run = _runner(lib, grad, strict=True)

                for bname, kw in bands.items():
                    for fname in ("dtw", "dtw_path"):
                        f = getattr(tsalign, fname)
                        out.append(
                            (
                                f"{fname}/{bname}/{tag}",
                                run(lambda a, b, f=f, kw=kw: f(a, b, **kw), Xb, Yb),
                            )
                        )
                        out.append(
                            (
                                f"{fname}/single/{bname}/{tag}",
                                run(lambda a, b, f=f, kw=kw: f(a, b, **kw), x1, y1),
                            )
                        )
                    out.append(
                        (
                            f"cdist_dtw/{bname}/{tag}",
                            run(lambda a, b, kw=kw: tsalign.cdist_dtw(a, b, **kw), D1, D2),
                        )
                    )
                    out.append(
                        (
                            f"cdist_dtw/sym/{bname}/{tag}",
                            run(lambda a, kw=kw: tsalign.cdist_dtw(a, **kw), D1),
                        )
                    )
                    for gamma in (0.0, 0.1, 1.0):
                        for fname in ("soft_dtw", "soft_dtw_normalized", "soft_dtw_alignment"):
                            f = getattr(tsalign, fname)
                            out.append(
                                (
                                    f"{fname}/{bname}/g{gamma}/{tag}",
                                    run(
                                        lambda a, b, f=f, kw=kw, g=gamma: f(a, b, gamma=g, **kw),
                                        Xb,
                                        Yb,
                                    ),
                                )
                            )
                            out.append(
                                (
                                    f"{fname}/single/{bname}/g{gamma}/{tag}",
                                    run(
                                        lambda a, b, f=f, kw=kw, g=gamma: f(a, b, gamma=g, **kw),
                                        x1,
                                        y1,
                                    ),
                                )
                            )
                        for fname in ("cdist_soft_dtw", "cdist_soft_dtw_normalized"):
                            f = getattr(tsalign, fname)
                            out.append(
                                (
                                    f"{fname}/{bname}/g{gamma}/{tag}",
                                    run(
                                        lambda a, b, f=f, kw=kw, g=gamma: f(a, b, gamma=g, **kw),
                                        D1,
                                        D2,
                                    ),
                                )
                            )
                            out.append(
                                (
                                    f"{fname}/sym/{bname}/g{gamma}/{tag}",
                                    run(lambda a, f=f, kw=kw, g=gamma: f(a, gamma=g, **kw), D1),
                                )
                            )
                        out.append(
                            (
                                f"soft_dtw_from_cost/{bname}/g{gamma}/{tag}",
                                run(
                                    lambda c, kw=kw, g=gamma: tsalign.soft_dtw_from_cost(
                                        c, gamma=g, **kw
                                    ),
                                    Cm,
                                ),
                            )
                        )
                        if lib == "torch":
                            for normalize in (False, True):
                                for fused_off in (False, True):
                                    dist = (
                                        (lambda a, b: ((a[:, :, None] - b[:, None]) ** 2).sum(-1))
                                        if fused_off
                                        else None
                                    )
                                    mod = nn.SoftDTWLoss(
                                        gamma=gamma, normalize=normalize, dist_func=dist, **kw
                                    )
                                    out.append(
                                        (
                                            f"SoftDTWLoss/{bname}/g{gamma}/n{normalize}/d{fused_off}/{tag}",
                                            run(lambda a, b, mod=mod: mod(a, b), Xb, Yb),
                                        )
                                    )
                            mod = nn.SoftDTW(False, gamma=max(gamma, 0.01), bandwidth=2.0)
                            out.append(
                                (
                                    f"SoftDTW/g{gamma}/{tag}",
                                    run(lambda a, b, mod=mod: mod(a, b), Xb, Yb),
                                )
                            )
                # d > 8: the cost matrix takes the matmul form, the fused path the direct one
                X10 = _series(np.random.default_rng(3), 2, 40, 10, dtype, pad=[40, 31])
                Y10 = _series(np.random.default_rng(4), 2, 35, 10, dtype)
                out.append(
                    (
                        f"soft_dtw/d10/{tag}",
                        run(lambda a, b: tsalign.soft_dtw(a, b, gamma=0.5), X10, Y10),
                    )
                )
                if lib == "torch":
                    mod = nn.SoftDTWLoss(gamma=0.5)
                    out.append(
                        (f"SoftDTWLoss/d10/{tag}", run(lambda a, b, m=mod: m(a, b), X10, Y10))
                    )
                for metric in ("euclidean", "sqeuclidean", "cityblock"):
                    out.append(
                        (
                            f"dtw_path_from_metric/{metric}/{tag}",
                            run(
                                lambda a, b, m=metric: tsalign.dtw_path_from_metric(a, b, metric=m),
                                x1,
                                y1,
                            ),
                        )
                    )
                out.append(
                    (
                        f"dtw_path_from_metric/precomputed/{tag}",
                        run(lambda c: tsalign.dtw_path_from_metric(c, metric="precomputed"), Cm[0]),
                    )
                )
                out.append(
                    (
                        f"dtw_subsequence_path/{tag}",
                        run(lambda a, b: tsalign.dtw_subsequence_path(a, b), x1[:3], y1),
                    )
                )
                if not grad:
                    out.append(
                        (f"lb_envelope/{tag}", run(lambda a: tsalign.lb_envelope(a, radius=2), x1))
                    )
                    out.append(
                        (
                            f"lb_keogh/{tag}",
                            run(lambda a, b: tsalign.lb_keogh(a, b, radius=1), x1[:6], y1),
                        )
                    )
                for gamma in (0.0, 0.01, 1.0):
                    out.append(
                        (
                            f"dilate/g{gamma}/{tag}",
                            run(
                                lambda p, t, g=gamma: tsalign.dilate(p, t, alpha=0.3, gamma=g),
                                Yb,
                                Xb,
                            ),
                        )
                    )
                    if lib == "torch":
                        mod = nn.DILATELoss(alpha=0.3, gamma=gamma)
                        out.append(
                            (f"DILATELoss/g{gamma}/{tag}", run(lambda p, t, m=mod: m(p, t), Yb, Xb))
                        )
                out.append(
                    (
                        f"temporal_distortion_index/{tag}",
                        run(lambda p, t: tsalign.temporal_distortion_index(p, t), Yb, Xb),
                    )
                )
                # SSNT: padded layout with lengths, both emission modes
                r2 = np.random.default_rng(5)
                lp = np.log(r2.dirichlet(np.ones(4), size=(2, 3, 5))).astype(dtype)
                tg = r2.integers(0, 4, size=(2, 3))
                lpc = np.log(r2.uniform(0.05, 0.95, size=(2, 3, 5))).astype(dtype)
                z = r2.normal(size=(2, 3, 5)).astype(dtype)
                src, tgl = np.array([5, 3]), np.array([3, 2])
                tgt = T(tg)
                for red in ("none", "mean", "sum"):
                    out.append(
                        (
                            f"ssnt/lpc/{red}/{tag}",
                            run(
                                lambda a, e, red=red, tg=tgt, src=src, tgl=tgl: tsalign.ssnt(
                                    a, tg, e, src, tgl, reduction=red
                                ),
                                lp,
                                lpc,
                            ),
                        )
                    )
                    out.append(
                        (
                            f"ssnt/logits/{red}/{tag}",
                            run(
                                lambda a, e, red=red, tg=tgt, src=src, tgl=tgl: tsalign.ssnt(
                                    a,
                                    tg,
                                    source_lengths=src,
                                    target_lengths=tgl,
                                    reduction=red,
                                    emit_logits=e,
                                ),
                                lp,
                                z,
                            ),
                        )
                    )
                    if lib == "torch":
                        mod = nn.SSNTLoss(reduction=red)
                        out.append(
                            (
                                f"SSNTLoss/{red}/{tag}",
                                run(lambda a, e, m=mod, tg=tg: m(a, torch.tensor(tg), e), lp, lpc),
                            )
                        )
    out.extend(_other_families())
    out.append(("sakoe_chiba_mask", lambda: tsalign.sakoe_chiba_mask(7, 5, radius=2)))
    out.append(("itakura_mask", lambda: tsalign.itakura_mask(9, 7, max_slope=2.5)))
    out.append(("compute_mask", lambda: tsalign.compute_mask(6, 8, itakura_max_slope=3.0)))
    out.append(("lengths_to_padding_mask", lambda: tsalign.lengths_to_padding_mask([3, 1, 2])))
    return out


def _other_families():
    """Fréchet, LCSS, GAK, LDTW, CTW, the tslearn compat layer and the forecast errors."""

    import tsalign
    from tsalign import metrics, performance
    from tsalign.compat import tslearn as compat

    out = []
    kws = {
        "none": {},
        "sc1": {"sakoe_chiba_radius": 1},
        "ita": {"global_constraint": "itakura", "itakura_max_slope": 2.0},
    }
    for dtype in (np.float32, np.float64):
        dn = np.dtype(dtype).name
        rng = np.random.default_rng(7)
        Xb = _series(rng, 3, 9, 2, dtype, pad=[9, 6, 8])
        Yb = _series(rng, 3, 8, 2, dtype, pad=[8, 8, 5])
        x1 = rng.normal(size=(7, 2)).astype(dtype)
        y1 = rng.normal(size=(6, 2)).astype(dtype)
        z1 = rng.normal(size=(8, 3)).astype(dtype)
        D1 = _series(rng, 4, 7, 2, dtype, pad=[7, 5, 7, 6])
        D2 = _series(rng, 3, 6, 2, dtype, pad=[6, 6, 4])
        for lib in ("numpy", "torch"):
            for grad in (False, True) if lib == "torch" else (False,):
                tag = f"{lib}-{dn}-{'grad' if grad else 'nograd'}"

                run = _runner(lib, grad, strict=False)

                for bname, kw in kws.items():
                    for name in ("frechet", "frechet_path", "lcss", "lcss_path"):
                        f = getattr(tsalign, name)
                        for tname, a, b in (("batch", Xb, Yb), ("single", x1, y1)):
                            out.append(
                                (
                                    f"{name}/{tname}/{bname}/{tag}",
                                    run(lambda p, q, f=f, kw=kw: f(p, q, **kw), a, b),
                                )
                            )
                    for name in ("cdist_frechet", "cdist_ctw"):
                        f = getattr(tsalign, name)
                        out.append(
                            (
                                f"{name}/{bname}/{tag}",
                                run(lambda p, q, f=f, kw=kw: f(p, q, **kw), D1, D2),
                            )
                        )
                        out.append(
                            (f"{name}/sym/{bname}/{tag}", run(lambda p, f=f, kw=kw: f(p, **kw), D1))
                        )
                    for metric in ("euclidean", "sqeuclidean", "cityblock"):
                        for name in (
                            "frechet_path_from_metric",
                            "lcss_path_from_metric",
                            "dtw_path_from_metric",
                        ):
                            f = getattr(tsalign, name)
                            out.append(
                                (
                                    f"{name}/{metric}/{bname}/{tag}",
                                    run(
                                        lambda p, q, f=f, m=metric, kw=kw: f(p, q, metric=m, **kw),
                                        x1,
                                        y1,
                                    ),
                                )
                            )
                    for name in ("ctw", "ctw_path"):
                        f = getattr(tsalign, name)
                        out.append(
                            (
                                f"{name}/{bname}/{tag}",
                                run(lambda p, q, f=f, kw=kw: f(p, q, **kw), x1, z1),
                            )
                        )
                        g = getattr(compat, name)
                        out.append(
                            (
                                f"compat.{name}/{bname}/{tag}",
                                run(lambda p, q, g=g, kw=kw: g(p, q, **kw), x1, z1),
                            )
                        )
                    out.append(
                        (
                            f"compat.cdist_ctw/{bname}/{tag}",
                            run(lambda p, q, kw=kw: compat.cdist_ctw(p, q, **kw), D1, D2),
                        )
                    )
                out.append(
                    (
                        f"frechet_path_from_metric/precomputed/{tag}",
                        run(
                            lambda c: tsalign.frechet_path_from_metric(c),
                            np.abs(x1[:, :1] - y1[:, 0]),
                        ),
                    )
                )
                out.append(
                    (
                        f"frechet_accumulated_matrix/{tag}",
                        run(
                            lambda p, q: tsalign.frechet_accumulated_matrix(
                                p, q, tsalign.compute_mask(7, 6, sakoe_chiba_radius=2)
                            ),
                            x1,
                            y1,
                        ),
                    )
                )
                for sigma in (0.5, 2.0):
                    for name in ("gak", "unnormalized_gak"):
                        f = getattr(tsalign, name)
                        for tname, a, b in (("batch", Xb, Yb), ("single", x1, y1)):
                            out.append(
                                (
                                    f"{name}/{tname}/s{sigma}/{tag}",
                                    run(lambda p, q, f=f, s=sigma: f(p, q, sigma=s), a, b),
                                )
                            )
                    out.append(
                        (
                            f"cdist_gak/s{sigma}/{tag}",
                            run(lambda p, q, s=sigma: tsalign.cdist_gak(p, q, sigma=s), D1, D2),
                        )
                    )
                    out.append(
                        (
                            f"cdist_gak/sym/s{sigma}/{tag}",
                            run(lambda p, s=sigma: tsalign.cdist_gak(p, sigma=s), D1),
                        )
                    )
                out.append(
                    (f"sigma_gak/{tag}", run(lambda p: tsalign.sigma_gak(p, random_state=0), D1))
                )
                for L in (8, 9, 12):
                    for name in ("dtw_limited_warping_length", "dtw_path_limited_warping_length"):
                        f = getattr(tsalign, name)
                        out.append(
                            (f"{name}/L{L}/{tag}", run(lambda p, q, f=f, L=L: f(p, q, L), Xb, Yb))
                        )
                for gamma in (0.0, 0.5):
                    for name in ("cdist_soft_dtw", "cdist_soft_dtw_normalized"):
                        g = getattr(compat, name)
                        out.append(
                            (
                                f"compat.{name}/g{gamma}/{tag}",
                                run(lambda p, q, g=g, gm=gamma: g(p, q, gamma=gm), D1, D2),
                            )
                        )
                out.append(
                    (f"compat.cdist_dtw/{tag}", run(lambda p, q: compat.cdist_dtw(p, q), D1, D2))
                )
                out.append(
                    (
                        f"metrics.gamma_soft_dtw/{tag}",
                        run(lambda p: metrics.gamma_soft_dtw(p, random_state=0), D1),
                    )
                )
        yt = np.random.default_rng(9).normal(size=(3, 6, 2)).astype(dtype)
        yp = np.random.default_rng(10).normal(size=(3, 6, 2)).astype(dtype)
        for name in ("mae", "mse", "mape", "mase"):
            f = getattr(performance, name, None)
            if f is None:
                continue
            extra = {"train_data": yt[:, :5] + 3.0} if name == "mase" else {}
            for mo in ("uniform_average", "raw_values"):
                out.append(
                    (
                        f"performance.{name}/{mo}/{dn}",
                        lambda f=f, mo=mo, extra=extra, yt=yt, yp=yp: f(
                            yt, yp, multioutput=mo, **extra
                        ),
                    )
                )
    for bad in ({"verbose": "yes"}, {"verbose": True}, {"n_jobs": 1, "verbose": 2.5}):
        for name in ("cdist_frechet", "cdist_gak", "cdist_ctw"):
            f = getattr(tsalign, name)
            D = np.random.default_rng(1).normal(size=(3, 5, 2))
            out.append((f"{name}/args/{bad}", lambda f=f, D=D, bad=bad: f(D, **bad)))
    return out


def record(path: str) -> None:
    results = {}
    for name, thunk in cases():
        try:
            results[name] = _np(thunk())
        except Exception as exc:  # noqa: BLE001 - errors are results too
            results[name] = ("error", type(exc).__name__, str(exc))
    with open(path, "wb") as fh:
        pickle.dump(results, fh)
    errors = sum(1 for v in results.values() if v[0] == "error")
    print(f"{len(results)} entries ({errors} errors) -> {path}")


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.floating):
        return a.tobytes() == b.tobytes()
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__"):  # a result object (CTW's CCAProjection): its fields
        return _same(vars(a), vars(b))
    return a == b


def compare(path_a: str, path_b: str) -> int:
    with open(path_a, "rb") as fh:
        a = pickle.load(fh)
    with open(path_b, "rb") as fh:
        b = pickle.load(fh)
    names = sorted(set(a) | set(b))
    diff = [n for n in names if n not in a or n not in b or not _same(a[n], b[n])]
    for n in diff:
        print("differs:", n)
    print(f"{len(names)} entries compared, {len(diff)} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
