"""tsalign.plot: the figures hold what their captions say.

The drawn data (image arrays, path lines, matching segments) is read back from
the matplotlib artists and compared with float64 references computed from the
definitions in tests/reference.py (cost matrix, brute-force optimal paths).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tsalign.plot import plot_alignment_matrix, plot_cost_matrix, plot_matches  # noqa: E402

from .conftest import tol  # noqa: E402
from .reference import dtw_ref, sakoe_chiba_ref, sq_cost  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line_path(line) -> tuple[tuple[int, int], ...]:
    xs, ys = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    return tuple((int(i), int(j)) for i, j in zip(ys, xs, strict=True))


def _pair(rng, n=5, m=4, d=2):
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


def test_cost_matrix_image_path_and_series(backend, dtype, rng):
    x, y = _pair(rng)
    ax = plot_cost_matrix(backend.asarray(x, dtype), backend.asarray(y, dtype))
    img = np.ma.getdata(ax.images[0].get_array())
    np.testing.assert_allclose(img, sq_cost(x.astype(dtype), y.astype(dtype)), **tol(dtype))
    _, best = dtw_ref(x.astype(dtype), y.astype(dtype))
    assert len(ax.lines) == 1
    assert _line_path(ax.lines[0]) in best
    # the two series panels: s1 on the left (value, frame), s2 on top (frame, value)
    others = [a for a in ax.figure.axes if a is not ax]
    assert len(others) == 2
    left, top = others
    np.testing.assert_allclose(left.lines[0].get_xdata(), x[:, 0].astype(dtype), **tol(dtype))
    np.testing.assert_allclose(left.lines[0].get_ydata(), np.arange(5))
    np.testing.assert_allclose(top.lines[0].get_ydata(), y[:, 0].astype(dtype), **tol(dtype))


def test_cost_matrix_padding_and_band(rng):
    x, y = rng.normal(size=(6, 1)), rng.normal(size=(4, 1))
    padded = np.concatenate([x, np.full((2, 1), np.nan)])
    before = padded.copy()
    ax = plot_cost_matrix(padded, y, sakoe_chiba_radius=0, show_series=False)
    np.testing.assert_array_equal(padded, before)  # input untouched
    assert len(ax.figure.axes) == 1
    img = ax.images[0].get_array()
    assert img.shape == (6, 4)
    band = sakoe_chiba_ref(6, 4, 0)
    np.testing.assert_array_equal(np.ma.getmaskarray(img), ~band)
    np.testing.assert_allclose(np.ma.getdata(img)[band], sq_cost(x, y)[band])
    _, best = dtw_ref(x, y, mask=band)
    assert _line_path(ax.lines[0]) in best


def test_cost_matrix_given_path_none_and_ax(rng):
    x, y = _pair(rng)
    path = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3)]
    _, ax = plt.subplots()
    out = plot_cost_matrix(x, y, path=path, ax=ax)
    assert out is ax and len(ax.figure.axes) == 1
    assert _line_path(ax.lines[0]) == tuple(path)
    ax2 = plot_cost_matrix(x, y, path=None)
    assert len(ax2.lines) == 0


@pytest.mark.parametrize(
    "path, exc, words",
    [
        ([(0, 0), (5, 3)], ValueError, "outside"),
        ([(0, 0, 0)], ValueError, "pairs"),
        ([], ValueError, "pairs"),
        ([(0.0, 0.5)], TypeError, "integer"),
        ("soft", ValueError, "path"),
    ],
)
def test_cost_matrix_bad_path(rng, path, exc, words):
    x, y = _pair(rng)
    with pytest.raises(exc, match=words):
        plot_cost_matrix(x, y, path=path)


def test_cost_matrix_colorbar(rng):
    x, y = _pair(rng)
    cost = sq_cost(x, y)
    ax = plot_cost_matrix(x, y, colorbar=True)  # with the series panels: 4 axes
    assert len(ax.figure.axes) == 4
    bar = ax.figure.axes[-1]
    assert "cost" in bar.get_ylabel()
    lo, hi = ax.images[0].get_clim()
    assert np.isclose(lo, cost.min()) and np.isclose(hi, cost.max())
    _, own = plt.subplots()
    plot_cost_matrix(x, y, ax=own, colorbar=True)
    assert len(own.figure.axes) == 2
    assert len(plot_cost_matrix(x, y).figure.axes) == 3  # no colorbar by default


def test_cost_matrix_show_series_needs_own_figure(rng):
    x, y = _pair(rng)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="show_series"):
        plot_cost_matrix(x, y, ax=ax, show_series=True)


def test_cost_matrix_bad_series():
    with pytest.raises(ValueError, match="s2"):
        plot_cost_matrix([1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="s1"):
        plot_cost_matrix(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)))


def test_alignment_matrix_heat_map(backend, dtype, rng):
    E = rng.uniform(size=(5, 7))
    path = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (4, 5), (4, 6)]
    ax = plot_alignment_matrix(backend.asarray(E, dtype), path=path)
    np.testing.assert_allclose(ax.images[0].get_array(), E.astype(dtype), **tol(dtype))
    assert _line_path(ax.lines[0]) == tuple(path)
    assert len(ax.figure.axes) == 2  # the colorbar
    ax = plot_alignment_matrix(E, colorbar=False)
    assert len(ax.figure.axes) == 1 and len(ax.lines) == 0


@pytest.mark.parametrize(
    "E, exc, words",
    [
        (np.zeros(4), ValueError, "shape"),
        (np.zeros((0, 3)), ValueError, "shape"),
        (np.array([[0.0, np.nan]]), ValueError, "NaN"),
        (np.array([["a", "b"]]), TypeError, "numbers"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
    ],
)
def test_alignment_matrix_bad_input(E, exc, words):
    with pytest.raises(exc, match=words):
        plot_alignment_matrix(E)


def test_alignment_matrix_bad_path():
    with pytest.raises(ValueError, match="outside"):
        plot_alignment_matrix(np.ones((2, 2)), path=[(0, 0), (2, 1)])
    with pytest.raises(ValueError, match="path"):
        plot_alignment_matrix(np.ones((2, 2)), path="dtw")


def test_matches_segments(backend, dtype, rng):
    x, y = _pair(rng, n=5, m=6, d=2)
    ax = plot_matches(backend.asarray(x, dtype), backend.asarray(y, dtype), feature=1)
    xs, ys = x.astype(dtype)[:, 1], y.astype(dtype)[:, 1]
    span = max(xs.max(), ys.max()) - min(xs.min(), ys.min())
    offset = 1.5 * span
    np.testing.assert_allclose(ax.lines[0].get_ydata(), xs + offset, **tol(dtype))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), ys, **tol(dtype))
    segs = ax.collections[0].get_segments()
    pairs = tuple((int(round(s[0, 0])), int(round(s[1, 0]))) for s in segs)
    _, best = dtw_ref(x.astype(dtype), y.astype(dtype))  # the path uses every feature
    assert pairs in best
    for (i, j), s in zip(pairs, segs, strict=True):
        np.testing.assert_allclose(s, [[i, xs[i] + offset], [j, ys[j]]], **tol(dtype))


def test_matches_offset_path_none_and_constant_series():
    ax = plot_matches([1.0, 1.0], [1.0, 1.0, 1.0], path=None)
    assert len(ax.collections[0].get_segments()) == 0
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 2.0])  # offset 1.0 when flat
    ax = plot_matches([0.0, 1.0], [0.0, 1.0], path=[(0, 1)], offset=-3)
    np.testing.assert_allclose(ax.collections[0].get_segments()[0], [[0, -3], [1, 1]])


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"feature": 1}, ValueError, "feature"),
        ({"feature": 0.0}, TypeError, "feature"),
        ({"offset": float("nan")}, ValueError, "offset"),
        ({"offset": "up"}, TypeError, "offset"),
        ({"itakura_max_slope": 1.0}, ValueError, "itakura_max_slope"),
    ],
)
def test_matches_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        plot_matches([0.0, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], **kwargs)


def test_png_is_drawn(tmp_path, rng):
    x, y = _pair(rng, n=30, m=25, d=1)
    ax = plot_cost_matrix(x, y)
    out = tmp_path / "cost.png"
    ax.figure.savefig(out, dpi=50)
    img = plt.imread(out)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.05  # not a blank canvas


def test_import_is_lazy():
    code = "import sys, tsalign.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"
