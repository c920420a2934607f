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
from .validation import as_array, series_pair

METRICS = ("euclidean", "sqeuclidean", "cityblock", "manhattan", "l1", "l2", "chebyshev", "cosine")


def pairwise(be: Backend, x, y, metric: str, **kwds):
    """(N, M) distances between the rows of x (N, d) and y (M, d)."""
    xp = be.xp
    if metric in ("sqeuclidean", "euclidean", "l2"):
        C = sq_euclidean(be, x[None], y[None])[0]
        return C if metric == "sqeuclidean" else xp.sqrt(C)
    diff = x[:, None, :] - y[None, :, :]
    if metric in ("cityblock", "manhattan", "l1"):
        return xp.sum(xp.abs(diff), axis=-1)
    if metric == "chebyshev":
        return xp.max(xp.abs(diff), axis=-1)
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


def frame_matrix(be: Backend, s1, s2, metric: Any, **kwds):
    """The (N, M) frame-distance matrix of ``s1`` and ``s2`` under ``metric``."""
    if isinstance(metric, str) and metric == "precomputed":
        C = as_array(be, s1, "s1")
        if C.ndim != 2:
            raise ValueError(
                f"s1 must be an (N, M) cost matrix with metric='precomputed', "
                f"got shape {tuple(C.shape)}"
            )
        if bool(be.xp.any(be.xp.isnan(C))):
            raise ValueError("s1 (the precomputed cost matrix) contains NaN")
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
            if be.is_numpy:
                C = np.asarray(rows, dtype=x.dtype)
            else:
                C = be.xp.stack([be.xp.stack([be.xp.asarray(v) for v in r]) for r in rows])
                C = be.xp.astype(C, x.dtype)
        elif isinstance(metric, str):
            C = pairwise(be, x, y, metric, **kwds)
        else:
            raise TypeError(f"metric must be a string or a callable, got {type(metric).__name__}")
    n, m = int(C.shape[0]), int(C.shape[1])
    if n == 0 or m == 0:
        raise ValueError("one of the input time series contains only nans or has zero length.")
    return C
