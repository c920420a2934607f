"""Frame-to-frame distance matrices for the ``*_path_from_metric`` functions.

``frame_matrix(be, s1, s2, metric, **kwds)`` validates the inputs and returns the
(N, M) matrix of distances between the frames of two series: a precomputed
matrix (``metric="precomputed"``, passed as ``s1``), a metric name, or a
callable applied to every pair of frames.  Shared by DTW, LCSS and Fréchet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import Backend
from .costs import sq_euclidean
from .paths import sqrt_values
from .validation import as_array, check_finite, series_pair

METRICS = ("euclidean", "sqeuclidean", "cityblock", "manhattan", "l1", "l2", "chebyshev", "cosine")


# Elements of the (rows, M, d) difference block that the L1 / L-inf metrics build at a
# time: whole (N, M, d) differences of long series cost gigabytes and, measured
# at N = M = 4000, seconds of page faults for what blocks of 8 MB do in a fraction.
_BLOCK_ELEMENTS = 1 << 20


def _blockwise(xp, x, y, reduce):
    """reduce(|x_i - y_j|) over the features, a block of rows of x at a time."""
    n, m, d = int(x.shape[0]), int(y.shape[0]), int(x.shape[1])
    rows = max(1, _BLOCK_ELEMENTS // max(1, m * d))
    parts = [
        reduce(xp.abs(x[s : s + rows, None, :] - y[None, :, :]), axis=-1) for s in range(0, n, rows)
    ]
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def pairwise(be: Backend, x, y, metric: str, **kwds):
    """(N, M) distances between the rows of x (N, d) and y (M, d)."""
    xp = be.xp
    if metric in ("sqeuclidean", "euclidean", "l2"):
        C = sq_euclidean(be, x[None], y[None])[0]
        # sqrt with gradient 0 at a zero distance (dtw's rule), not NaN
        return C if metric == "sqeuclidean" else sqrt_values(be, C)
    if metric in ("cityblock", "manhattan", "l1"):
        return _blockwise(xp, x, y, xp.sum)
    if metric == "chebyshev":
        return _blockwise(xp, x, y, xp.max)
    if metric == "cosine":
        nx = xp.linalg.vector_norm(x, axis=-1)[:, None]
        ny = xp.linalg.vector_norm(y, axis=-1)[None, :]
        return 1 - (x @ xp.permute_dims(y, (1, 0))) / (nx * ny)
    if be.is_numpy:
        try:
            from scipy.spatial.distance import cdist
        except ImportError:  # pragma: no cover - scipy is usually there
            cdist = None
        if cdist is not None:
            try:
                return cdist(x, y, metric=metric, **kwds)
            except ValueError as exc:
                raise ValueError(f"metric: {exc}") from None
    raise ValueError(
        f"metric must be 'precomputed', a callable or one of {', '.join(METRICS)}"
        f"{' (or any scipy.spatial.distance metric on numpy)' if be.is_numpy else ''}; "
        f"got {metric!r}"
    )


def stack_metric_values(be: Backend, rows, like):
    """(N, M) array of a callable metric's values (numbers or 0-d arrays), like ``like``."""
    dtype = like.dtype
    if be.is_numpy:
        try:
            return np.asarray(rows, dtype=dtype)
        except (TypeError, ValueError):
            raise TypeError(
                "metric (a callable) must return a number for each pair of frames"
            ) from None
    xp = be.xp
    vals = []
    for r in rows:
        for v in r:
            if not be.is_array(v):
                # a Python number: a new 0-d array (no copy-construct warning from torch)
                try:
                    v = float(v)
                except (TypeError, ValueError):
                    raise TypeError(
                        "metric (a callable) must return a number for each pair of frames, "
                        f"got {type(v).__name__}"
                    ) from None
                v = xp.asarray(v, dtype=dtype, device=be.device_of(like))
            elif v.ndim != 0 and tuple(v.shape) != (1,):
                raise TypeError(
                    "metric (a callable) must return a number for each pair of frames, "
                    f"got an array of shape {tuple(v.shape)}"
                )
            vals.append(xp.reshape(v, ()))
    C = xp.reshape(xp.stack(vals), (len(rows), len(rows[0]) if rows else 0))
    return C if C.dtype == dtype else xp.astype(C, dtype)


def frame_matrix(be: Backend, s1, s2, metric: Any, **kwds):
    """The (N, M) frame-distance matrix of ``s1`` and ``s2`` under ``metric``."""
    if isinstance(metric, str) and metric == "precomputed":
        C = as_array(be, s1, "s1")
        if C.ndim != 2:
            raise ValueError(
                f"s1 must be an (N, M) cost matrix with metric='precomputed', "
                f"got shape {tuple(C.shape)}"
            )
        check_finite(be, C, "s1", " (the precomputed cost matrix)")
    else:
        if s2 is None:
            raise ValueError("s2 is required unless metric='precomputed'")
        a, b, _ = series_pair(be, s1, s2, allow_batch=False)
        x = a.X[0, : int(a.lengths[0])]
        y = b.X[0, : int(b.lengths[0])]
        if callable(metric):
            rows = [
                [metric(x[i], y[j], **kwds) for j in range(y.shape[0])] for i in range(x.shape[0])
            ]
            C = stack_metric_values(be, rows, x)
            check_finite(be, C, "metric", " (the callable's values)")
        elif isinstance(metric, str):
            C = pairwise(be, x, y, metric, **kwds)
            check_finite(be, C, "metric", f" ({metric!r} distances)")
        else:
            raise TypeError(f"metric must be a string or a callable, got {type(metric).__name__}")
    n, m = int(C.shape[0]), int(C.shape[1])
    if n == 0 or m == 0:
        raise ValueError("one of the input time series contains only nans or has zero length.")
    return C


def metric_pair(be: Backend, s1, s2, metric: Any, kwds: dict):
    """A ``*_path_from_metric`` pair: its (1, N, M) frame-distance matrix and host lengths.

    The lengths are int64 arrays of shape (1,), as the kernels take them.
    """
    C = frame_matrix(be, s1, s2, metric, **kwds)
    lx = np.array([int(C.shape[0])], dtype=np.int64)
    ly = np.array([int(C.shape[1])], dtype=np.int64)
    return C[None], lx, ly
