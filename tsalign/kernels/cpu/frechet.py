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

from .. import _pairs
from .._contract import COMBINE_MAX, PAIRS_BATCH
from ._rows import accumulate, rolling_values


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


def frechet_acc(C, lx, ly, band):
    """Accumulated (max-min) matrices (B, N, M) from cost matrices C (B, N, M)."""
    return accumulate(C, lx, ly, band, False, COMBINE_MAX)
