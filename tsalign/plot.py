"""Plots of alignments: cost matrices with their path, alignment heat maps, matches.

Needs matplotlib (``pip install "tsalign-metrics[plot]"``), imported on first use, so
that ``import tsalign.plot`` stays cheap.  The functions take series of any
backend (numpy arrays, torch tensors, cupy arrays: they are copied to the host
for drawing, which is what plotting asks for) and return the matplotlib
``Axes`` they drew in, for further styling.

- :func:`plot_cost_matrix`: the squared-Euclidean cost matrix that DTW
  minimises over, the optimal path on top, the two series along its sides;
- :func:`plot_alignment_matrix`: any (N, M) alignment matrix as a heat map,
  e.g. the expected alignment of soft-DTW;
- :func:`plot_matches`: the two series one above the other, each matched
  pair of points joined by a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._lib.backend import backend_of
from ._lib.docs import fill_doc
from ._lib.validation import series_pair

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_cost_matrix", "plot_alignment_matrix", "plot_matches"]

PathLike = Sequence[tuple[int, int]]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "tsalign.plot needs matplotlib: pip install 'tsalign-metrics[plot]'"
        ) from exc
    return plt


def _host_pair(s1, s2) -> tuple[np.ndarray, np.ndarray]:
    """Two validated series as host float64 (N, d) / (M, d) arrays, padding trimmed."""
    be = backend_of(s1, s2)
    a, b, _ = series_pair(be, s1, s2, allow_batch=False)
    x = be.to_numpy(a.X[0])[: int(a.lengths[0])]
    y = be.to_numpy(b.X[0])[: int(b.lengths[0])]
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _resolve_path(path, x: np.ndarray, y: np.ndarray, constraints: dict) -> np.ndarray | None:
    """``path`` as an (L, 2) int array: "dtw" computes the optimal one, None means none."""
    if path is None:
        return None
    if isinstance(path, str):
        if path != "dtw":
            raise ValueError(f"path must be 'dtw', None or a list of (i, j) pairs, got {path!r}")
        from .dtw import dtw_path

        path, _ = dtw_path(x, y, **constraints)
    try:
        p = np.asarray(path)
    except ValueError:
        p = None
    if p is None or p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError("path must be a non-empty list of (i, j) pairs")
    if not np.issubdtype(p.dtype, np.integer):
        raise TypeError(f"path must hold integer indices, got dtype {p.dtype}")
    n, m = x.shape[0], y.shape[0]
    if p.min() < 0 or p[:, 0].max() >= n or p[:, 1].max() >= m:
        raise ValueError(f"path has indices outside the ({n}, {m}) matrix of s1 and s2")
    return p.astype(np.int64)


def _integer_ticks(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _constraints(global_constraint, sakoe_chiba_radius, itakura_max_slope) -> dict:
    return {
        "global_constraint": global_constraint,
        "sakoe_chiba_radius": sakoe_chiba_radius,
        "itakura_max_slope": itakura_max_slope,
    }


@fill_doc
def plot_cost_matrix(
    s1,
    s2,
    path: str | PathLike | None = "dtw",
    *,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    show_series: bool | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
    path_color: str = "red",
    blank_color: str = "0.92",
    colorbar: bool = False,
) -> Axes:
    """The cost matrix of two series with the DTW path drawn on it.

    Cell (i, j) is the squared Euclidean distance between frame i of ``s1``
    (rows, bottom to top) and frame j of ``s2`` (columns, left to right),
    the cost DTW adds up along its path.  Cells that a global constraint
    forbids are drawn in ``blank_color``.

    Parameters
    ----------
    s1 : array-like, shape (N,) or (N, d)
        First series (rows).  Trailing all-NaN rows are padding.
    s2 : array-like, shape (M,) or (M, d)
        Second series (columns).
    path : "dtw", list of (int, int) or None
        The path to draw: ``"dtw"`` (default) computes the optimal DTW path
        under the given constraint, a list of (i, j) pairs draws that path,
        None draws none.
    %(constraint)s
        The constraint is used for the path and to blank the forbidden cells.
    show_series : bool or None
        Draw ``s1`` left of the matrix and ``s2`` above it (first feature of
        multivariate series).  Needs a new figure, so it is only possible
        without ``ax``; None means "yes unless ``ax`` is given".
    ax : matplotlib Axes or None
        Axes to draw the matrix in; a new figure when None.
    cmap : str
        Colormap of the costs.
    path_color : str
        Color of the path line.
    blank_color : str
        Color of the cells a constraint forbids.
    colorbar : bool, default False
        Add a colorbar of the costs right of the matrix.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the matrix (the series panels, if any, are the other
        axes of ``ax.figure``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from tsalign.plot import plot_cost_matrix
    >>> ax = plot_cost_matrix([0., 1., 2., 1.], [0., 2., 1.])
    >>> line = ax.lines[0]            # the DTW path: x = column j, y = row i
    >>> line.get_xdata().tolist(), line.get_ydata().tolist()
    ([0, 0, 1, 2], [0, 1, 2, 3])
    """
    plt = _pyplot()
    x, y = _host_pair(s1, s2)
    cons = _constraints(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    p = _resolve_path(path, x, y, cons)
    if show_series is None:
        show_series = ax is None
    elif show_series and ax is not None:
        raise ValueError("show_series=True draws its own figure: pass ax=None to use it")

    from .dtw import compute_mask

    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)
    mask = compute_mask(x.shape[0], y.shape[0], **cons)
    shown = np.ma.masked_array(cost, mask=~mask)

    side = None
    if ax is None:
        if show_series:
            fig = plt.figure(figsize=(7.2 if colorbar else 6.4, 6.4))
            widths = (1, 4, 0.2) if colorbar else (1, 4)
            grid = fig.add_gridspec(
                2, len(widths), width_ratios=widths, height_ratios=(1, 4), wspace=0.05, hspace=0.05
            )
            ax = fig.add_subplot(grid[1, 1])
            side = (fig.add_subplot(grid[1, 0], sharey=ax), fig.add_subplot(grid[0, 1], sharex=ax))
            bar_ax = fig.add_subplot(grid[1, 2]) if colorbar else None
        else:
            _, ax = plt.subplots(figsize=(5.6, 5.0))
    colors = plt.get_cmap(cmap).with_extremes(bad=blank_color)
    image = ax.imshow(shown, origin="lower", cmap=colors, aspect="auto", interpolation="nearest")
    if colorbar:
        if side is not None:
            ax.figure.colorbar(image, cax=bar_ax, label="cost (squared Euclidean distance)")
        else:
            ax.figure.colorbar(image, ax=ax, label="cost (squared Euclidean distance)")
    if p is not None:
        ax.plot(p[:, 1], p[:, 0], color=path_color, linewidth=1.5, marker="o", markersize=2)
    ax.set_xlim(-0.5, y.shape[0] - 0.5)
    ax.set_ylim(-0.5, x.shape[0] - 0.5)
    _integer_ticks(ax)
    if side is not None:
        left, top = side
        left.plot(x[:, 0], np.arange(x.shape[0]), color="C0")
        left.invert_xaxis()
        left.set_ylabel("s1 (frame i)")
        left.set_xticks([])
        top.plot(np.arange(y.shape[0]), y[:, 0], color="C1")
        top.set_xlabel("s2 (frame j)")
        top.xaxis.set_label_position("top")
        top.set_yticks([])
        top.tick_params(labelbottom=False)
        ax.tick_params(labelleft=False)
        ax.set_xlabel("s2 (frame j)")
    else:
        ax.set_xlabel("s2 (frame j)")
        ax.set_ylabel("s1 (frame i)")
    return ax


def plot_alignment_matrix(
    E,
    *,
    path: PathLike | None = None,
    ax: Axes | None = None,
    cmap: str = "Blues",
    colorbar: bool = True,
) -> Axes:
    """An (N, M) alignment matrix as a heat map, e.g. soft-DTW's expected alignment.

    The expected alignment ``E`` of soft-DTW (from ``soft_dtw_alignment``)
    gives, for each cell (i, j), the probability that a path drawn from the
    Gibbs distribution over warping paths goes through it; as gamma goes to
    0 it concentrates on the DTW path.  Any other (N, M) matrix of finite
    numbers is drawn the same way.

    Parameters
    ----------
    E : array-like, shape (N, M)
        The matrix (numpy, torch or cupy; copied to the host to draw it).
    path : list of (int, int) or None
        A path to draw over the heat map, e.g. the DTW path for comparison.
    ax : matplotlib Axes or None
        Axes to draw in; a new figure when None.
    cmap : str
        Colormap.
    colorbar : bool
        Add a colorbar next to the axes.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the heat map (and the path, if drawn).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from tsalign.plot import plot_alignment_matrix
    >>> E = np.array([[1., 0.], [0.5, 0.5], [0., 1.]])
    >>> ax = plot_alignment_matrix(E)
    >>> ax.images[0].get_array().shape
    (3, 2)
    """
    plt = _pyplot()
    be = backend_of(E)
    if be.is_array(E):
        host = be.to_numpy(E)
    else:
        try:
            host = np.asarray(E)
        except ValueError:
            raise ValueError("E must be a rectangular (N, M) matrix of numbers") from None
    if host.dtype == object or not (np.issubdtype(host.dtype, np.number) or host.dtype == np.bool_):
        raise TypeError(f"E must hold numbers, got dtype {host.dtype}")
    host = np.asarray(host, dtype=np.float64)
    if host.ndim != 2 or 0 in host.shape:
        raise ValueError(f"E must be a non-empty (N, M) matrix, got shape {host.shape}")
    if not np.all(np.isfinite(host)):
        raise ValueError("E contains NaN or infinite values")
    p = None
    if path is not None:
        if isinstance(path, str):
            raise ValueError("path must be a list of (i, j) pairs or None")
        p = _resolve_path(path, np.zeros((host.shape[0], 1)), np.zeros((host.shape[1], 1)), {})
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 5.0))
    im = ax.imshow(host, origin="lower", cmap=cmap, aspect="auto", interpolation="nearest")
    if p is not None:
        ax.plot(p[:, 1], p[:, 0], color="C3", linewidth=1.5, linestyle="--")
    ax.set_xlabel("s2 (frame j)")
    ax.set_ylabel("s1 (frame i)")
    _integer_ticks(ax)
    if colorbar:
        ax.figure.colorbar(im, ax=ax)
    return ax


@fill_doc
def plot_matches(
    s1,
    s2,
    path: str | PathLike | None = "dtw",
    *,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    feature: int = 0,
    offset: float | None = None,
    ax: Axes | None = None,
    match_color: str = "0.6",
) -> Axes:
    """Two series one above the other, each matched pair of frames joined by a line.

    ``s1`` is drawn shifted up by ``offset``; for every (i, j) of the path a
    thin line joins frame i of ``s1`` to frame j of ``s2``.

    Parameters
    ----------
    s1, s2 : array-like, shape (N,) or (N, d); (M,) or (M, d)
        The series.  Trailing all-NaN rows are padding.
    path : "dtw", list of (int, int) or None
        The matches: ``"dtw"`` (default) computes the optimal DTW path (on all
        features), a list of (i, j) pairs uses those, None draws the series
        only.
    %(constraint)s
    feature : int
        Which feature of multivariate series to draw.
    offset : float or None
        Vertical shift of ``s1``; by default 1.5 times the joint range of the
        two drawn series (1.0 if they are constant).
    ax : matplotlib Axes or None
        Axes to draw in; a new figure when None.
    match_color : str
        Color of the matching lines.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds s1 (shifted) then s2; ``ax.collections[0]`` the
        matching segments.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from tsalign.plot import plot_matches
    >>> ax = plot_matches([0., 1., 0.], [0., 0., 1., 0.], offset=2.0)
    >>> for (i, yi), (j, yj) in ax.collections[0].get_segments():  # frame i of s1 -- frame j of s2
    ...     print(int(i), yi, "--", int(j), yj)
    0 2.0 -- 0 0.0
    0 2.0 -- 1 0.0
    1 3.0 -- 2 1.0
    2 2.0 -- 3 0.0
    """
    plt = _pyplot()
    from matplotlib.collections import LineCollection

    x, y = _host_pair(s1, s2)
    d = x.shape[1]
    if isinstance(feature, bool) or not isinstance(feature, (int, np.integer)):
        raise TypeError(f"feature must be an integer, got {feature!r}")
    if not 0 <= feature < d:
        raise ValueError(
            f"feature must be in [0, {d}) for series with {d} feature(s), got {feature}"
        )
    p = _resolve_path(
        path, x, y, _constraints(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    )
    u, v = x[:, feature], y[:, feature]
    if offset is None:
        span = float(max(u.max(), v.max()) - min(u.min(), v.min()))
        offset = 1.5 * span if span > 0 else 1.0
    else:
        if isinstance(offset, bool) or not isinstance(offset, (int, float, np.number)):
            raise TypeError(f"offset must be a number, got {offset!r}")
        if not np.isfinite(offset):
            raise ValueError(f"offset must be finite, got {offset}")
        offset = float(offset)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.0))
    ax.plot(np.arange(u.shape[0]), u + offset, color="C0", label="s1", zorder=3)
    ax.plot(np.arange(v.shape[0]), v, color="C1", label="s2", zorder=3)
    segments = (
        []
        if p is None
        else [[(float(i), float(u[i] + offset)), (float(j), float(v[j]))] for i, j in p]
    )
    ax.add_collection(LineCollection(segments, colors=match_color, linewidths=0.8, zorder=1))
    ax.set_xlabel("frame")
    _integer_ticks(ax)
    ax.set_yticks([])
    ax.legend(loc="upper right")
    return ax
