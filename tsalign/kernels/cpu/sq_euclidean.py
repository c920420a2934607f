"""Gradient of squared Euclidean cost matrices on the CPU (numba).

For ``C[b, i, j] = ||X[b, i] - Y[b, j]||^2`` and an incoming gradient ``G``::

    dX[b, i] = 2 (sum_j G[b, i, j]) X[b, i] - 2 sum_j G[b, i, j] Y[b, j]
    dY[b, j] = 2 (sum_i G[b, i, j]) Y[b, j] - 2 sum_i G[b, i, j] X[b, i]

in one pass over ``G`` (row sums, column sums and both products), where
torch spends two batched matmuls, which are matrix-vector products for
univariate series, and two more passes for the sums.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import njit_parallel_sum


@njit_parallel_sum
def _grad_kernel(G, X, Y, gx, gy):
    B, N, M = G.shape
    d = X.shape[2]
    for b in prange(B):
        Gb = G[b]
        Xb = X[b]
        Yb = Y[b]
        col = np.zeros(M, dtype=G.dtype)
        acc_y = np.zeros((d, M), dtype=G.dtype)
        yt = np.empty((d, M), dtype=G.dtype)
        for j in range(M):
            for f in range(d):
                yt[f, j] = Yb[j, f]
        for i in range(N):
            g = Gb[i]
            row = g.sum()
            col += g
            for f in range(d):
                xv = Xb[i, f]
                gx[b, i, f] = 2 * (row * xv - np.dot(g, yt[f]))
                acc_y[f] += g * xv
        for j in range(M):
            for f in range(d):
                gy[b, j, f] = 2 * (col[j] * yt[f, j] - acc_y[f, j])


def sq_euclidean_grad(G, X, Y):
    """(dX, dY) of the squared Euclidean costs for the gradient G (B, N, M)."""
    gx = np.empty(X.shape, dtype=G.dtype)
    gy = np.empty(Y.shape, dtype=G.dtype)
    _grad_kernel(G, X, Y, gx, gy)
    return gx, gy
