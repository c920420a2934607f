"""The tslearn.metrics families added for the drop-in namespace (issue 17).

Values against the enumeration references of ``reference_tslearn.py`` (float32
and float64, numpy and torch), against tslearn itself on random inputs,
gradients, errors, and the deliberate differences with tslearn (each one
asserted, with what :mod:`tsalign.compat.tslearn` restores).
"""

from __future__ import annotations

import numpy as np
import pytest

import tsalign.metrics as M
from tests import reference_tslearn as ref
from tsalign import compute_mask

torch = pytest.importorskip("torch")

LIBS = ["numpy", "torch"]
DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-10, np.float32: 2e-5}


def arr(x, lib, dtype):
    a = np.asarray(x, dtype=dtype)
    return a if lib == "numpy" else torch.from_numpy(a)


def num(v):
    return float(v.detach()) if hasattr(v, "detach") else float(v)


def tiny_pairs(rng, count=6):
    for _ in range(count):
        n, m = rng.integers(1, 5, size=2)
        d = int(rng.integers(1, 3))
        yield rng.normal(size=(n, d)), rng.normal(size=(m, d))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_frechet_lcss_gak_ldtw_match_enumeration(lib, dtype):
    rng = np.random.default_rng(0)
    for x, y in tiny_pairs(rng):
        X, Y = arr(x, lib, dtype), arr(y, lib, dtype)
        x32, y32 = x.astype(dtype), y.astype(dtype)  # the reference sees the rounded inputs
        tol = RTOL[dtype]
        assert num(M.frechet(X, Y)) == pytest.approx(ref.frechet(x32, y32), rel=tol, abs=tol)
        assert num(M.gak(X, Y, sigma=1.3)) == pytest.approx(ref.gak(x32, y32, 1.3), rel=100 * tol)
        assert np.log(num(M.unnormalized_gak(X, Y, sigma=0.7))) == pytest.approx(
            ref.log_gak(x32, y32, 0.7), rel=100 * tol, abs=100 * tol
        )
        for eps in (0.3, 1.0):
            assert M.lcss(X, Y, eps=eps) == pytest.approx(ref.lcss(x32, y32, eps), abs=1e-12)
        longest = max(len(x), len(y))
        for L in range(longest, len(x) + len(y)):
            assert num(M.dtw_limited_warping_length(X, Y, L)) == pytest.approx(
                ref.ldtw(x32, y32, L), rel=tol, abs=tol
            )
        out = M.frechet(X, Y)
        if lib == "torch":
            assert out.dtype == (torch.float32 if dtype == np.float32 else torch.float64)


@pytest.mark.parametrize(
    "band",
    [
        {"sakoe_chiba_radius": 1},
        # compares with tslearn's own LCSS (numba-compiled without cache: slow)
        pytest.param({"itakura_max_slope": 2.0}, marks=pytest.mark.slow),
    ],
)
def test_constrained_frechet_and_lcss_match_enumeration(band):
    rng = np.random.default_rng(1)
    for _ in range(8):
        n = int(rng.integers(2, 6))
        x, y = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
        allowed = compute_mask(n, n, **band)
        assert M.frechet(x, y, **band) == pytest.approx(ref.frechet(x, y, allowed), rel=1e-12)
        path, sim = M.lcss_path(x, y, eps=0.8, **band)
        assert all(allowed[p] for p in path)
        if "sakoe_chiba_radius" in band:
            assert len(path) == round(sim * n)
            assert sim == pytest.approx(ref.lcss(x, y, 0.8, allowed))
        else:
            # tslearn keeps 0 in the cells outside the band, which under Itakura can cut
            # a chain of matches: its value, not the unconstrained definition's
            tm = pytest.importorskip("tslearn.metrics")
            assert sim == tm.lcss(x, y, eps=0.8, **band)


@pytest.mark.slow  # compiles tslearn's numba functions (no cache): minutes on CI
def test_agrees_with_tslearn_on_random_series():
    tm = pytest.importorskip("tslearn.metrics")
    rng = np.random.RandomState(3)
    for n, m, d in [(7, 9, 1), (12, 5, 3), (6, 6, 2)]:
        x, y = rng.randn(n, d), rng.randn(m, d)
        assert M.frechet_path(x, y) == tm.frechet_path(x, y)
        for kw in ({}, {"sakoe_chiba_radius": 2}):
            assert M.lcss_path(x, y, eps=0.7, **kw) == tm.lcss_path(x, y, eps=0.7, **kw)
        assert M.gak(x, y, sigma=2.0) == pytest.approx(tm.gak(x, y, sigma=2.0), rel=1e-12)
        L = max(n, m) + 2
        p1, v1 = M.dtw_path_limited_warping_length(x, y, L)
        p2, v2 = tm.dtw_path_limited_warping_length(x, y, L)
        assert p1 == p2 and v1 == pytest.approx(float(v2), rel=1e-12)
        mask = tm.compute_mask(x, y, sakoe_chiba_radius=1)
        np.testing.assert_allclose(
            M.dtw_accumulated_matrix(x, y, mask), tm.dtw_accumulated_matrix(x, y, mask)
        )
        np.testing.assert_allclose(
            M.frechet_accumulated_matrix(x, y, mask), tm.frechet_accumulated_matrix(x, y, mask)
        )
        R = M.subsequence_cost_matrix(x, y)
        np.testing.assert_allclose(R, tm.subsequence_cost_matrix(x, y))
        assert M.subsequence_path(R, m - 1) == tm.subsequence_path(R, m - 1)
    X, Y = rng.randn(4, 8, 2), rng.randn(3, 6, 2)
    X[1, 6:] = np.nan
    np.testing.assert_allclose(M.cdist_frechet(X, Y), tm.cdist_frechet(X, Y), rtol=1e-12)
    np.testing.assert_allclose(M.cdist_gak(X, Y, sigma=1.5), tm.cdist_gak(X, Y, sigma=1.5))
    np.testing.assert_allclose(M.cdist_gak(X), tm.cdist_gak(X), rtol=1e-12)
    S = rng.randint(0, 4, size=(3, 5, 2))
    np.testing.assert_allclose(M.cdist_sax(S, [-1, 0, 1], 10), tm.cdist_sax(S, [-1, 0, 1], 10))
    assert M.sigma_gak(X, n_samples=50, random_state=1) == pytest.approx(
        tm.sigma_gak(X, n_samples=50, random_state=1)
    )


def test_batches_and_cdist_are_consistent():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(5, 7, 2)), rng.normal(size=(5, 6, 2))
    X[2, 5:] = np.nan
    batch = M.frechet(X, Y, sakoe_chiba_radius=2)
    one = [M.frechet(X[k][~np.isnan(X[k]).all(1)], Y[k], sakoe_chiba_radius=2) for k in range(5)]
    np.testing.assert_allclose(batch, one)
    full = M.cdist_frechet(X, Y, n_jobs=1)
    np.testing.assert_allclose(np.diag(full), batch)
    np.testing.assert_allclose(M.cdist_frechet(X), M.cdist_frechet(X, X), atol=1e-15)
    np.testing.assert_allclose(M.cdist_gak(X), M.cdist_gak(X, X), rtol=1e-12)
    np.testing.assert_allclose(M.gak(X, Y, sigma=2.0), np.diag(M.cdist_gak(X, Y, sigma=2.0)))


def test_gradients():
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.normal(size=(6, 2)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(5, 2)))
    assert torch.autograd.gradcheck(lambda a: M.gak(a, y, sigma=1.5), (x,))
    assert torch.autograd.gradcheck(lambda a: M.cdist_gak(a[None], y[None], sigma=1.5), (x,))
    assert torch.autograd.gradcheck(lambda a: M.frechet(a, y), (x,))
    assert torch.autograd.gradcheck(lambda a: M.dtw_limited_warping_length(a, y, 7), (x,))
    assert torch.autograd.gradcheck(lambda a: M.cdist_frechet(a[None], y[None]), (x,))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="sigma"):
        M.gak([1, 2], [1, 2], sigma=0)
    with pytest.raises(ZeroDivisionError):  # tslearn's exception type, too
        M.cdist_gak([[1, 2]], sigma=0.0)
    with pytest.raises(ValueError, match="max_length"):
        M.dtw_limited_warping_length([1, 2, 3], [1, 2], 2)
    with pytest.raises(ValueError, match="eps"):
        M.lcss([1, 2], [1, 2], eps=-1)
    with pytest.raises(ValueError, match="s2"):
        M.frechet([1, 2], [1, np.nan, 2])
    with pytest.raises(ValueError, match="mask"):
        M.frechet_accumulated_matrix([1, 2], [1, 2], np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="idx_path_end"):
        M.subsequence_path(np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match="feature size"):
        M.cdist_frechet(np.zeros((2, 3, 1)), np.zeros((2, 3, 2)))
    with pytest.raises(RuntimeWarning):  # infeasible Itakura: a ValueError and tslearn's type
        M.frechet(np.zeros(10), np.zeros(30), itakura_max_slope=2.0)


def test_inputs_not_modified():
    x = np.array([[1.0], [2.0], [np.nan]])
    y = np.array([1.0, 3.0])
    x0, y0 = x.copy(), y.copy()
    M.frechet_path(x, y), M.lcss_path(x, y), M.gak(x, y), M.dtw_limited_warping_length(x, y, 3)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


# ----------------------------------------------------------------- deliberate differences
def test_difference_float32_stays_float32_compat_gives_float64():
    from tsalign.compat import tslearn as C

    x = torch.tensor([1.0, 2.0, 3.0])
    y = torch.tensor([1.0, 2.0, 2.0, 4.0])
    assert M.dtw(x, y).dtype == torch.float32
    assert M.frechet(x, y).dtype == torch.float32
    assert C.dtw(x, y).dtype == torch.float64
    assert C.frechet(x, y).dtype == torch.float64


def test_difference_cdist_soft_dtw_gamma0_is_dtw_squared():
    from tsalign.compat import tslearn as C

    rng = np.random.RandomState(0)
    A, B = rng.rand(2, 10, 2), rng.rand(2, 10, 2)
    np.testing.assert_allclose(M.cdist_soft_dtw(A, B, gamma=0), M.cdist_dtw(A, B) ** 2)
    np.testing.assert_array_equal(C.cdist_soft_dtw(A, B, gamma=0), M.cdist_dtw(A, B))
    np.testing.assert_array_equal(C.cdist_soft_dtw_normalized(A, B, gamma=0), M.cdist_dtw(A, B))


def test_difference_ctw_alternates_compat_reproduces_tslearn():
    from tsalign.compat import tslearn as C

    tm = pytest.importorskip("tslearn.metrics")
    rng = np.random.RandomState(0)
    x, y = rng.randn(15, 3), rng.randn(10, 1)
    # tslearn stops after one pass and reports the first DTW's score
    assert C.ctw(x, y) == pytest.approx(float(tm.ctw(x, y)), rel=1e-12)
    assert (
        C.ctw_path([1, 2, 3], [1.0, 2, 2, 3, 4])[0] == tm.ctw_path([1, 2, 3], [1.0, 2, 2, 3, 4])[0]
    )
    # tsalign's CTW is symmetric, its path is a DTW path of the projections and no worse
    # than tslearn's score in the projected space
    assert M.ctw(x, y) == pytest.approx(M.ctw(y, x), rel=1e-9)
    path, cca, dist = M.ctw_path(x, y)
    tx, ty = cca.transform(x, y)
    assert dist == pytest.approx(M.dtw(tx, ty), rel=1e-12)
    assert M.dtw_path(tx, ty)[0] == path


def test_difference_set_backend_returns_instead_of_mutating():
    import tsalign.backend as tb

    be = tb.instantiate_backend("pytorch")
    other = be.set_backend("numpy")
    assert other.is_numpy and be.is_pytorch
    assert be.get_backend() is be


def test_difference_cdist_normalized_cc_self_similarity_is_symmetric():
    rng = np.random.RandomState(0)
    A = rng.randn(4, 7, 2)
    out = M.cdist_normalized_cc(A, A, -np.ones(4), -np.ones(4), True)
    np.testing.assert_allclose(out, out.T)
    full = M.cdist_normalized_cc(A, A, -np.ones(4), -np.ones(4), False)
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(out[off], full[off])


def test_difference_mixed_libraries_is_a_type_error():
    with pytest.raises(TypeError, match="torch.Tensor and numpy.ndarray"):
        M.soft_dtw(torch.zeros(0), np.random.rand(10, 1))
    with pytest.raises(ValueError, match="zero length"):  # one library: the empty series
        M.soft_dtw(np.zeros(0), np.random.rand(10, 1))


def test_soft_dtw_normalized_gamma0_equals_soft_dtw_gamma0():
    rng = np.random.RandomState(0)
    for _ in range(20):
        s1, s2 = rng.rand(10, 2), rng.rand(30, 2)
        assert M.soft_dtw_normalized(s1, s2, gamma=0.0) == M.soft_dtw(s1, s2, gamma=0.0)


@pytest.mark.parametrize("gamma", [0.1, 1.0, 5.0])
def test_soft_dtw_class_R_holds_every_prefix_value(backend, gamma):  # noqa: N802
    from tests.reference_soft_dtw import soft_dtw_ref_cost

    rng = np.random.default_rng(4)
    D = rng.uniform(0.0, 3.0, size=(3, 4))
    sdtw = M.SoftDTW(backend.asarray(D), gamma=gamma)
    R = backend.to_numpy(sdtw.R_)
    assert R.shape == (5, 6) and not R.any()  # tslearn: zeros before compute()
    value = float(backend.to_numpy(sdtw.compute()))
    R = backend.to_numpy(sdtw.R_)
    big = np.finfo(np.float64).max
    assert R[0, 0] == 0 and (R[1:4, 0] == big).all() and (R[0, 1:5] == big).all()
    for i in range(1, 4):
        for j in range(1, 5):
            expected, _ = soft_dtw_ref_cost(D[:i, :j], gamma)
            assert R[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert R[3, 4] == pytest.approx(value, rel=1e-12)
    sdtw.grad()
    R = backend.to_numpy(sdtw.R_)
    assert (R[1:4, 5] == -big).all() and (R[4, 1:5] == -big).all() and R[4, 5] == R[3, 4]


def test_soft_dtw_class_R_equals_tslearn():  # noqa: N802
    tslearn_metrics = pytest.importorskip("tslearn.metrics")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(9, 2))
    ours = M.SoftDTW(M.SquaredEuclidean(x, y), gamma=0.5)
    theirs = tslearn_metrics.SoftDTW(tslearn_metrics.SquaredEuclidean(x, y), gamma=0.5)
    for step in ("compute", "grad"):
        getattr(ours, step)()
        getattr(theirs, step)()
        np.testing.assert_allclose(ours.R_, theirs.R_, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frechet_on_every_backend(backend, dtype):
    # the CUDA backends run kernels/cuda/frechet.py (dtw.cu with max for +)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 7, 2)).astype(dtype)
    X[1, 5:] = np.nan  # ragged: length 5
    lengths = [7, 5, 7, 7]
    Xb = backend.asarray(X, dtype=dtype)
    D = backend.to_numpy(M.cdist_frechet(Xb))
    assert D.dtype == dtype
    for a in range(4):
        for b in range(4):
            want = ref.frechet(X[a, : lengths[a]], X[b, : lengths[b]]) if a != b else 0.0
            assert D[a, b] == pytest.approx(want, rel=1e-5, abs=1e-6)
    value = M.frechet(Xb[0], Xb[2], sakoe_chiba_radius=2)
    allowed = compute_mask(7, 7, "sakoe_chiba", sakoe_chiba_radius=2)
    assert float(backend.to_numpy(value)) == pytest.approx(
        ref.frechet(X[0], X[2], allowed), rel=1e-5
    )
    path, value = M.frechet_path(Xb[0], Xb[1])
    assert path[0] == (0, 0) and path[-1] == (6, 4)
    assert float(backend.to_numpy(value)) == pytest.approx(D[0, 1], rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gak_on_every_backend(backend, dtype):
    # the CUDA backends run kernels/cuda/gak.py (soft_dtw.cu with GAK's costs)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3, 6, 2)).astype(dtype)
    X[2, 4:] = np.nan
    lengths = [6, 6, 4]
    K = backend.to_numpy(M.cdist_gak(backend.asarray(X, dtype=dtype), sigma=1.5))
    assert K.dtype == dtype
    for a in range(3):
        for b in range(3):
            xa, xb = X[a, : lengths[a]], X[b, : lengths[b]]
            log_ab = ref.log_gak(xa, xb, 1.5)
            want = np.exp(log_ab - 0.5 * (ref.log_gak(xa, xa, 1.5) + ref.log_gak(xb, xb, 1.5)))
            assert K[a, b] == pytest.approx(want, rel=1e-5)
    if backend.name.startswith("torch"):
        x = backend.asarray(X[0], dtype=np.float64, requires_grad=True)
        M.gak(x, backend.asarray(X[1], dtype=np.float64), sigma=1.5).backward()
        assert x.grad is not None and bool(x.grad.isfinite().all())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lcss_on_every_backend(backend, dtype):
    # the CUDA backends run kernels/cuda/lcss.cu
    rng = np.random.default_rng(8)
    x = rng.normal(size=(7, 1)).astype(dtype)
    y = rng.normal(size=(6, 1)).astype(dtype)
    xb, yb = backend.asarray(x, dtype=dtype), backend.asarray(y, dtype=dtype)
    for eps, radius in [(0.5, None), (1.0, None), (1.0, 1)]:
        allowed = None if radius is None else compute_mask(7, 6, "sakoe_chiba", radius)
        want = ref.lcss(x, y, eps, allowed)
        assert M.lcss(xb, yb, eps=eps, sakoe_chiba_radius=radius) == pytest.approx(want)
        path, sim = M.lcss_path(xb, yb, eps=eps, sakoe_chiba_radius=radius)
        assert sim == pytest.approx(want) and len(path) == round(want * 6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ldtw_on_every_backend(backend, dtype):
    # the CUDA backends run kernels/cuda/ldtw.cu
    rng = np.random.default_rng(9)
    x = rng.normal(size=(6, 2)).astype(dtype)
    y = rng.normal(size=(5, 2)).astype(dtype)
    xb, yb = backend.asarray(x, dtype=dtype), backend.asarray(y, dtype=dtype)
    for L in (6, 7, 10):
        want = ref.ldtw(x, y, L)
        got = M.dtw_limited_warping_length(xb, yb, L)
        assert float(backend.to_numpy(got)) == pytest.approx(want, rel=1e-5)
        path, value = M.dtw_path_limited_warping_length(xb, yb, L)
        assert len(path) <= L and path[0] == (0, 0) and path[-1] == (5, 4)
        assert float(backend.to_numpy(value)) == pytest.approx(want, rel=1e-5)


def test_gak_gradient_through_soft_dtw_kernels_equals_gak_kernels(monkeypatch):
    # CUDA tensors differentiate log GAK as -soft-DTW(gamma=1) of -K with the
    # soft-DTW kernels; the identity is checked here on the CPU kernels
    torch = pytest.importorskip("torch")
    import tsalign._torch.gak as tg

    rng = np.random.default_rng(10)
    x = torch.tensor(rng.normal(size=(7, 2)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(5, 2)))
    results = []
    for via in (False, True):
        monkeypatch.setattr(tg, "_via_soft_dtw", lambda K, via=via: via)
        x.grad = None
        value = M.unnormalized_gak(x, y, sigma=0.8)
        torch.log(value).backward()
        results.append((float(value.detach()), x.grad.clone()))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
    torch.testing.assert_close(results[1][1], results[0][1], rtol=1e-10, atol=1e-12)
    assert np.log(results[0][0]) == pytest.approx(
        ref.log_gak(x.detach().numpy(), y.numpy(), 0.8), rel=1e-10
    )


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
def test_frame_metrics_in_row_blocks_equal_the_whole(backend, metric, monkeypatch):
    # long series build the L1 / L-inf frame distances a block of rows at a time
    from tsalign._lib import frame_metrics

    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(9, 3)), rng.normal(size=(11, 3))
    diff = np.abs(x[:, None] - y[None])
    want = diff.sum(-1) if metric == "cityblock" else diff.max(-1)
    monkeypatch.setattr(frame_metrics, "_BLOCK_ELEMENTS", 40)  # blocks of one row
    for fn in (M.dtw_path_from_metric, M.lcss_path_from_metric, M.frechet_path_from_metric):
        path, value = fn(backend.asarray(x), backend.asarray(y), metric=metric)
        p2, v2 = fn(want, metric="precomputed")
        assert path == p2
        assert float(backend.to_numpy(value)) == pytest.approx(float(v2), rel=1e-12)


@pytest.mark.parametrize("name", ["cdist_frechet", "cdist_gak", "cdist_ctw"])
@pytest.mark.parametrize("verbose", [True, False, 1])
def test_family_cdists_take_verbose_as_cdist_dtw_does(name, verbose, capsys):
    # one validation (_lib.pairs.cdist_job) for every cdist: booleans are accepted, a
    # progress bar is shown for a true value, and a string is a TypeError naming verbose
    ds = np.random.default_rng(0).normal(size=(3, 5, 1))
    fn = getattr(M, name)
    assert fn(ds, verbose=verbose).shape == (3, 3)
    assert ("pair" in capsys.readouterr().err) == bool(verbose)
    with pytest.raises(TypeError, match="verbose"):
        fn(ds, verbose="yes")


def test_frechet_cdist_with_grad_matches_values():
    # the differentiable cdist (slices of pairs) and the kernel's give the same numbers
    torch = pytest.importorskip("torch")
    ds = np.random.default_rng(1).normal(size=(4, 6, 2))
    t = torch.tensor(ds, requires_grad=True)
    got = M.cdist_frechet(t)
    np.testing.assert_array_equal(got.detach().numpy(), M.cdist_frechet(ds))
    got.sum().backward()
    assert t.grad is not None and torch.isfinite(t.grad).all()
