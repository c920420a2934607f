"""Discrete Fréchet distance on the CPU (numba).

The recurrence is DTW's with ``max`` in place of ``+``:
``R[i, j] = max(C[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with
``C`` the squared Euclidean cost, so ``R[n-1, m-1]`` is the smallest, over
warping paths, of the largest cost met on the path (the value is its square
root).  Cells outside a pair's lengths or band hold ``inf``.

- ``frechet_values`` / ``frechet_cdist``: straight from the series with two
  rolling rows (DTW's ``rolling_values`` with ``COMBINE_MAX``), parallel over
  pairs (no cost matrix);
- ``frechet_acc``: the whole matrix from cost matrices (for paths, which are
  DTW's backtrack on this matrix, and ``frechet_accumulated_matrix``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .. import _pairs
from .._contract import COMBINE_MAX, PAIRS_BATCH
from ._band import pair_band
from ._jit import njit_parallel
from ._rows import rolling_values


def frechet_values(X, Y, lx, ly, band):
    """Squared Fréchet value of each pair ``(X[b], Y[b])``; (B,) in X's dtype."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    if out.shape[0]:
        rolling_values(X, Y, lx, ly, PAIRS_BATCH, 0, out, band, COMBINE_MAX)
    return out


def frechet_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    """Squared Fréchet value of every pair of two datasets, (nx, ny) in X's dtype.

    With ``symmetric=True`` (Y is X) only the pairs a < b are computed; the diagonal
    is zero.  ``progress(done, total)`` is called between blocks.
    """

    def run(mode, start, stop, out):
        rolling_values(X, Y, lx, ly, mode, start, out, band, COMBINE_MAX)

    return _pairs.cdist(np, run, X.shape[0], Y.shape[0], symmetric, False, X.dtype, progress)


@njit_parallel
def _acc_kernel(C, lx, ly, kind, radius, slope, R):
    B, N, M = C.shape
    inf = np.inf
    for b in prange(B):
        n, m = lx[b], ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
        Rb, Cb = R[b], C[b]
        Rb[:, :] = inf
        for i in range(n):
            for j in range(lo[i], hi[i]):
                if i == 0 and j == 0:
                    best = -inf
                elif i == 0:
                    best = Rb[0, j - 1]
                elif j == 0:
                    best = Rb[i - 1, 0]
                else:
                    best = Rb[i - 1, j - 1]
                    if Rb[i - 1, j] < best:
                        best = Rb[i - 1, j]
                    if Rb[i, j - 1] < best:
                        best = Rb[i, j - 1]
                c = Cb[i, j]
                # inf costs (masked cells) stay inf; NaN never enters
                Rb[i, j] = c if c > best else best


def frechet_acc(C, lx, ly, band):
    """Accumulated (max-min) matrices (B, N, M) from cost matrices C (B, N, M)."""
    R = np.empty_like(C)
    kind, radius, slope = band
    _acc_kernel(C, lx, ly, int(kind), int(radius), float(slope), R)
    return R
