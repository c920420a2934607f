"""Squared-Euclidean cost matrices with array-namespace operations.

``sq_euclidean(be, X, Y)`` returns ``C[b, i, j] = ||X[b, i] - Y[b, j]||^2`` of
shape (B, N, M) without a (B, N, M, d) intermediate: for few features the
differences are accumulated feature by feature (exact, and cheap when d is
small); otherwise the matmul form ``|x|^2 + |y|^2 - 2 x.y`` is used, clamped
at zero against rounding.  Works on every backend and keeps autograd.
"""

from __future__ import annotations

import numpy as np

from .backend import Backend
from .validation import as_array, series_pair

# Below this many features the direct form is used: it costs d passes over a
# (B, N, M) array but has no cancellation error.
DIRECT_MAX_FEATURES = 8


def sq_euclidean(be: Backend, X, Y):
    xp = be.xp
    d = X.shape[-1]
    if d <= DIRECT_MAX_FEATURES:
        C = None
        for k in range(d):
            diff = X[:, :, None, k] - Y[:, None, :, k]
            C = diff * diff if C is None else C + diff * diff
        return C
    x2 = xp.sum(X * X, axis=-1)[:, :, None]
    y2 = xp.sum(Y * Y, axis=-1)[:, None, :]
    xy = xp.matmul(X, xp.permute_dims(Y, (0, 2, 1)))
    C = x2 + y2 - 2 * xy
    return xp.where(C < 0, xp.zeros_like(C), C)


def single_pair_costs(be: Backend, s1, s2, names=("s1", "s2")):
    """``(C, lx, ly)`` of one pair: its (1, N, M) costs (no autograd) and host lengths.

    The lengths are int64 arrays of shape (1,), as the kernels take them; trailing NaN
    padding is cut off, so N and M are the series' own lengths.
    """
    a, b, _ = series_pair(be, s1, s2, names=names, allow_batch=False)
    n, m = int(a.lengths[0]), int(b.lengths[0])
    C = sq_euclidean(be, a.X[:, :n], b.X[:, :m])
    if be.is_pytorch:
        C = C.detach()
    return C, np.array([n], dtype=np.int64), np.array([m], dtype=np.int64)


def masked_costs(be: Backend, C, mask):
    """The (1, N, M) costs ``C`` with ``inf`` where the boolean (N, M) ``mask`` is False."""
    n, m = int(C.shape[1]), int(C.shape[2])
    mk = mask if be.is_array(mask) else as_array(be, mask, "mask")
    if tuple(mk.shape) != (n, m):
        raise ValueError(f"mask must have shape ({n}, {m}), got {tuple(mk.shape)}")
    if mk.dtype != be.xp.bool:
        mk = be.xp.astype(mk, be.xp.bool)
    return be.xp.where(mk[None], C, be.xp.full_like(C, float("inf")))
