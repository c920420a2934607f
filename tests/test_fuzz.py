"""Fuzz every public function with hypothesis (issue 11).

Drawn: shapes, dtypes, NaN/inf patterns (trailing padding, holes, inf, -inf,
all-NaN, empty), lengths and constraint parameters, on numpy and torch (CPU).
Checked for every draw: the result is finite, or a ValueError / TypeError is
raised whose message names one of the arguments; the inputs are unchanged;
float32 inputs give float32 results.

The default run is short (``max_examples`` small); the ``slow`` test runs the
same properties with many more examples (``make test-all``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tsalign  # noqa: E402

torch = pytest.importorskip("torch")

QUICK = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
SLOW = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

PATTERNS = ("finite", "finite", "padded", "hole", "inf", "-inf", "all-nan", "empty")


@st.composite
def series(draw, batch: bool = False, d=None, n=None):
    """One series (N, d) / (N,) or a batch (B, N, d) with a NaN/inf pattern."""
    d = draw(st.integers(1, 2)) if d is None else d
    n = draw(st.integers(1, 6)) if n is None else n
    B = draw(st.integers(1, 3)) if batch else None
    shape = (B, n, d) if batch else (n, d)
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).normal(size=shape)
    pattern = draw(st.sampled_from(PATTERNS))
    view = x if batch else x[None]
    if pattern == "padded" and n > 1:
        view[0, draw(st.integers(1, n - 1)) :, :] = np.nan
    elif pattern == "hole" and n > 2:
        view[0, 1, 0] = np.nan
    elif pattern == "inf":
        view[0, draw(st.integers(0, n - 1)), 0] = np.inf
    elif pattern == "-inf":
        view[0, draw(st.integers(0, n - 1)), 0] = -np.inf
    elif pattern == "all-nan":
        view[0] = np.nan
    elif pattern == "empty":
        x = x[..., :0, :] if draw(st.booleans()) else x[..., :0]
    if not batch and d == 1 and draw(st.booleans()) and x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]  # (N,)
    dtype = draw(st.sampled_from(["float64", "float32", "int"]))
    if dtype == "float32":
        x = x.astype(np.float32)
    elif dtype == "int":
        x = np.nan_to_num(x, nan=0.0, posinf=9.0, neginf=-9.0).round().astype(np.int64)
    return x


constraints = st.fixed_dictionaries(
    {},
    optional={
        "global_constraint": st.sampled_from([None, "sakoe_chiba", "itakura", "band"]),
        "sakoe_chiba_radius": st.sampled_from([None, -1, 0, 1, 3, 1.5]),
        "itakura_max_slope": st.sampled_from([None, 0.5, 1.0, 2.0, 3.0, float("nan")]),
    },
)
gammas = st.sampled_from([1.0, 0.1, 0.0, -1.0, float("nan"), float("inf"), "x"])


def _to(backend: str, x):
    if backend == "torch" and isinstance(x, np.ndarray):
        return torch.from_numpy(x.copy())
    return x


def _host(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _float_leaves(out):
    if isinstance(out, (list, tuple)):
        for o in out:
            yield from _float_leaves(o)
    elif isinstance(out, (float, np.floating)):
        yield np.asarray(out)
    elif isinstance(out, (np.ndarray, torch.Tensor)):
        h = _host(out)
        if h.dtype.kind == "f":
            yield h


def _check(fn, args: dict, names: tuple[str, ...]):
    """Call fn(**args): finite result, or an error naming an argument; inputs kept."""
    before = {
        k: (_host(v).copy() if isinstance(v, (np.ndarray, torch.Tensor)) else v)
        for k, v in args.items()
    }
    kinds = [
        _host(v).dtype
        for k, v in args.items()
        if isinstance(v, (np.ndarray, torch.Tensor)) and k not in ("targets",)
    ]
    all_f32 = bool(kinds) and all(dt == np.float32 for dt in kinds)
    try:
        out = fn(**args)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        pattern = r"(?<![A-Za-z_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z_])"
        assert re.search(pattern, msg), f"{fn.__name__}: message names no argument: {msg!r}"
    else:
        leaves = list(_float_leaves(out))
        for leaf in leaves:
            assert np.all(np.isfinite(leaf)), f"{fn.__name__} returned non-finite {leaf}"
            if all_f32 and leaf.ndim > 0:
                assert leaf.dtype == np.float32, f"{fn.__name__}: float32 became {leaf.dtype}"
    for k, v in args.items():
        if isinstance(v, (np.ndarray, torch.Tensor)):
            np.testing.assert_array_equal(_host(v), before[k], err_msg=f"{k} was modified")


PAIR = ("s1", "s2", "global_constraint", "sakoe_chiba_radius", "itakura_max_slope", "be")
BACKENDS = st.sampled_from(["numpy", "torch"])


def _pair_property(data):
    backend = data.draw(BACKENDS)
    d = data.draw(st.integers(1, 2))
    batch = data.draw(st.booleans())
    s1 = _to(backend, data.draw(series(batch=batch, d=d)))
    s2 = _to(backend, data.draw(series(batch=batch, d=d)))
    cons = data.draw(constraints)
    gamma = data.draw(gammas)
    which = data.draw(
        st.sampled_from(
            [
                "dtw",
                "dtw_path",
                "soft_dtw",
                "soft_dtw_alignment",
                "soft_dtw_normalized",
                "dtw_path_from_metric",
                "dtw_subsequence_path",
                "compute_mask",
            ]
        )
    )
    fn = getattr(tsalign, which)
    args = {"s1": s1, "s2": s2, **cons}
    names = PAIR + ("gamma", "metric", "subseq", "longseq")
    if which.startswith("soft_dtw"):
        args["gamma"] = gamma
    if which == "dtw_subsequence_path":
        args = {"subseq": s1, "longseq": s2}
    _check(fn, args, names)


def _dataset_property(data):
    backend = data.draw(BACKENDS)
    d = data.draw(st.integers(1, 2))
    ds1 = _to(backend, data.draw(series(batch=True, d=d)))
    ds2 = _to(backend, data.draw(series(batch=True, d=d))) if data.draw(st.booleans()) else None
    which = data.draw(st.sampled_from(["cdist_dtw", "cdist_soft_dtw", "cdist_soft_dtw_normalized"]))
    args = {"dataset1": ds1, "dataset2": ds2, **data.draw(constraints)}
    if which != "cdist_dtw":
        args["gamma"] = data.draw(gammas)
    if data.draw(st.booleans()):
        args["verbose"] = data.draw(st.sampled_from([True, False, 0, "no"]))
    names = ("dataset1", "dataset2", "gamma", "verbose") + PAIR[2:]
    _check(getattr(tsalign, which), args, names)


def _dilate_property(data):
    backend = data.draw(BACKENDS)
    d = data.draw(st.integers(1, 2))
    n = data.draw(st.integers(1, 6))
    p = _to(backend, data.draw(series(batch=True, d=d, n=n)))
    t = _to(backend, data.draw(series(batch=True, d=d, n=n)))
    which = data.draw(st.sampled_from(["dilate", "temporal_distortion_index"]))
    args = {"y_pred": p, "y_true": t}
    if which == "dilate":
        args["gamma"] = data.draw(gammas)
        args["alpha"] = data.draw(st.sampled_from([0.5, 0.0, 1.0, 2.0, -0.1]))
    _check(getattr(tsalign, which), args, ("y_pred", "y_true", "gamma", "alpha"))


def _bounds_property(data):
    backend = data.draw(BACKENDS)
    n = data.draw(st.integers(1, 6))
    q = _to(backend, data.draw(series(d=1, n=n)))
    c = _to(backend, data.draw(series(d=data.draw(st.sampled_from([1, 1, 2])), n=n)))
    radius = data.draw(st.sampled_from([0, 1, 2, -1, 1.5]))
    if data.draw(st.booleans()):
        _check(
            tsalign.lb_keogh,
            {"ts_query": q, "ts_candidate": c, "radius": radius},
            ("ts_query", "ts_candidate", "radius"),
        )
    else:
        _check(tsalign.lb_envelope, {"ts": c, "radius": radius}, ("ts", "radius"))


def _cost_property(data):
    backend = data.draw(BACKENDS)
    C = data.draw(series(batch=data.draw(st.booleans()), d=data.draw(st.integers(1, 4))))
    C = np.abs(C) if C.dtype.kind == "f" else C
    args = {"C": _to(backend, C), "gamma": data.draw(gammas), **data.draw(constraints)}
    _check(tsalign.soft_dtw_from_cost, args, ("C", "gamma") + PAIR[2:])


def _ssnt_property(data):
    backend = data.draw(BACKENDS)
    B, T, S, V = (data.draw(st.integers(1, 3)) for _ in range(4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    lp = np.log(rng.dirichlet(np.ones(V), size=(B, T, S)))
    shift = data.draw(st.sampled_from([0.0, 0.0, 5.0, np.nan, np.inf, -np.inf]))
    if shift != 0.0:
        lp[0, 0, 0, 0] = shift if not np.isfinite(shift) else lp[0, 0, 0, 0] + shift
    le = np.log(rng.uniform(0.05, 0.95, size=(B, T, S)))
    if data.draw(st.booleans()):
        le[0, 0, 0] = data.draw(st.sampled_from([0.5, np.nan, -np.inf]))
    y = rng.integers(0, V + data.draw(st.sampled_from([0, 0, 1])), size=(B, T))
    src = rng.integers(0, S + 2, size=B) if data.draw(st.booleans()) else None
    tgt = rng.integers(0, T + 2, size=B) if data.draw(st.booleans()) else None
    if data.draw(st.booleans()):
        lp = lp.astype(np.float32)
        le = le.astype(np.float32)
    args = {
        "log_probs": _to(backend, lp),
        "targets": _to(backend, y),
        "log_p_choose": _to(backend, le),
        "source_lengths": src,
        "target_lengths": tgt,
        "reduction": data.draw(st.sampled_from(["mean", "sum", "none", "avg"])),
    }
    names = (
        "log_probs",
        "targets",
        "log_p_choose",
        "source_lengths",
        "target_lengths",
        "reduction",
    )
    try:
        _check(tsalign.ssnt, args, names)
    except AssertionError as exc:
        # an impossible alignment (e.g. log e = -inf everywhere it matters) is a
        # documented +inf loss, not a user mistake
        if "non-finite" in str(exc) and "inf" in str(exc) and shift != np.nan:
            out = tsalign.ssnt(
                **args,
            )
            assert not np.any(np.isnan(_host(out)))
            return
        raise


def _families_property(data):
    """The other tslearn.metrics families: LCSS, Frechet, GAK, LDTW, CTW."""
    import tsalign.metrics as metrics

    backend = data.draw(BACKENDS)
    d = data.draw(st.integers(1, 2))
    which = data.draw(
        st.sampled_from(
            [
                "frechet",
                "frechet_path",
                "lcss",
                "lcss_path",
                "gak",
                "unnormalized_gak",
                "dtw_limited_warping_length",
                "dtw_path_limited_warping_length",
                "ctw",
                "cdist_frechet",
                "cdist_gak",
            ]
        )
    )
    names = PAIR + ("eps", "sigma", "max_length", "dataset1", "dataset2", "max_iter")
    if which.startswith("cdist"):
        args = {"dataset1": _to(backend, data.draw(series(batch=True, d=d)))}
    else:
        batch = which not in ("ctw",) and data.draw(st.booleans())
        args = {
            "s1": _to(backend, data.draw(series(batch=batch, d=d))),
            "s2": _to(backend, data.draw(series(batch=batch, d=d))),
        }
    if which.startswith(("frechet", "lcss", "ctw", "cdist_frechet")):
        args.update(data.draw(constraints))
    if which.startswith("lcss"):
        args["eps"] = data.draw(st.sampled_from([1.0, 0.0, 0.3, -1.0, np.nan]))
    if "gak" in which:
        args["sigma"] = data.draw(st.sampled_from([1.0, 0.5, 0.0, -2.0]))
    if "limited" in which:
        args["max_length"] = data.draw(st.integers(-1, 14))
    _check(getattr(metrics, which), args, names)


def _search_property(data):
    """Nearest neighbours, subsequence search and barycenters on drawn datasets."""
    import tsalign.barycenters as bary
    import tsalign.neighbors as nb

    backend = data.draw(BACKENDS)
    d = data.draw(st.integers(1, 2))
    X = _to(backend, data.draw(series(batch=True, d=d)))
    which = data.draw(
        st.sampled_from(
            [
                "kneighbors_dtw",
                "subsequence_search_dtw",
                "euclidean_barycenter",
                "dtw_barycenter_averaging",
                "softdtw_barycenter",
            ]
        )
    )
    names = ("X_query", "X_ref", "n_neighbors", "query", "series", "n_matches", "X", "gamma")
    names += ("max_iter", "barycenter_size") + PAIR[2:]
    if which == "kneighbors_dtw":
        args = {
            "X_query": X,
            "X_ref": _to(backend, data.draw(series(batch=True, d=d))),
            "n_neighbors": data.draw(st.integers(0, 4)),
            **data.draw(constraints),
        }
        fn = nb.kneighbors_dtw
    elif which == "subsequence_search_dtw":
        args = {
            "query": _to(backend, data.draw(series(d=1, n=data.draw(st.integers(1, 3))))),
            "series": _to(backend, data.draw(series(d=1, n=data.draw(st.integers(1, 6))))),
            "n_matches": data.draw(st.integers(0, 3)),
        }

        def fn(**kw):
            # missing matches are documented as (distance inf, start -1): keep the rest
            dist, starts = nb.subsequence_search_dtw(**kw)
            np.testing.assert_array_equal(np.isinf(dist), starts == -1)
            return dist[starts >= 0], starts

        fn.__name__ = "subsequence_search_dtw"
    else:
        args = {"X": X}
        if which != "euclidean_barycenter":
            args["max_iter"] = data.draw(st.integers(0, 3))
        if which == "softdtw_barycenter":
            args["gamma"] = data.draw(gammas)
        fn = getattr(bary, which)
    _check(fn, args, names)


PROPERTIES = {
    "pairs": _pair_property,
    "datasets": _dataset_property,
    "dilate": _dilate_property,
    "bounds": _bounds_property,
    "cost": _cost_property,
    "ssnt": _ssnt_property,
    "families": _families_property,
    "search": _search_property,
}


@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_fuzz_quick(prop):
    QUICK(given(data=st.data())(PROPERTIES[prop]))()


@pytest.mark.slow
@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_fuzz_long(prop):
    SLOW(given(data=st.data())(PROPERTIES[prop]))()
