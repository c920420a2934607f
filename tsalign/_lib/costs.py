"""Squared-Euclidean cost matrices with array-namespace operations.

``sq_euclidean(be, X, Y)`` returns ``C[b, i, j] = ||X[b, i] - Y[b, j]||^2`` of
shape (B, N, M) without a (B, N, M, d) intermediate: for few features the
differences are accumulated feature by feature (exact, and cheap when d is
small); otherwise the matmul form ``|x|^2 + |y|^2 - 2 x.y`` is used, clamped
at zero against rounding.  Works on every backend and keeps autograd.
"""

from __future__ import annotations

from .backend import Backend

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
