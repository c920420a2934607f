"""Pair enumeration and memory-bounded slicing for differentiable pairwise matrices.

Without gradients the cdist kernels enumerate the pairs themselves and need O(N) memory
per pair in flight.  With gradients each pair keeps N x M floats for its backward (the
accumulated costs and path for DTW; the cost matrix, soft-min weights and expected
alignment for soft-DTW), so the pairs are evaluated in slices whose total size is bounded
by :data:`SLICE_BYTES`; the values are then gathered into the (n1, n2) matrix with one
differentiable ``take``, which gives each entry of a symmetric matrix the gradient of
both its places.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .backend import Backend
from .validation import SeriesBatch

# Bytes of N x M work a slice of pairs may keep for its backward (counted in float64).
SLICE_BYTES = 1 << 29


def pair_indices(n1: int, n2: int, symmetric: bool, diagonal: bool):
    """Host int64 indices (ia, ib) of the pairs to compute, in row-major order.

    ``symmetric`` (dataset against itself): the pairs a < b, or a <= b with ``diagonal``.
    """
    if symmetric:
        return np.triu_indices(n1, k=0 if diagonal else 1)
    return np.divmod(np.arange(n1 * n2), n2)


def differentiable_cdist(
    be: Backend,
    A: SeriesBatch,
    B: SeriesBatch,
    symmetric: bool,
    diagonal: bool,
    values: Callable[[SeriesBatch, SeriesBatch], object],
    floats_per_cell: int,
):
    """(n1, n2) matrix of ``values(pairs_a, pairs_b)`` over every pair, differentiable.

    ``values`` maps two batches of validated series to their (k,) values; it is called on
    slices of at most ``SLICE_BYTES / (8 floats_per_cell N M)`` pairs.  With ``symmetric``
    the lower triangle mirrors the upper one, and without ``diagonal`` the diagonal is 0.
    """
    xp = be.xp
    X, Y = A.X, B.X
    n1, n2 = int(X.shape[0]), int(Y.shape[0])
    ia, ib = pair_indices(n1, n2, symmetric, diagonal)
    dev = be.device_of(X)
    cells = max(1, int(X.shape[1]) * int(Y.shape[1]))
    step = max(1, SLICE_BYTES // (8 * floats_per_cell * cells))
    parts = []
    for s in range(0, len(ia), step):
        sa, sb = ia[s : s + step], ib[s : s + step]
        ta = xp.asarray(sa, device=dev)
        tb = xp.asarray(sb, device=dev)
        parts.append(values(SeriesBatch(X[ta], A.lengths[sa]), SeriesBatch(Y[tb], B.lengths[sb])))
    vals = xp.concat(parts) if parts else xp.zeros(0, dtype=X.dtype, device=dev)
    if not symmetric:
        return xp.reshape(vals, (n1, n2))
    # position of each entry in [vals, 0]: (a, b) and (b, a) read pair (min, max)
    r = np.arange(n1)
    lo, hi = np.minimum.outer(r, r), np.maximum.outer(r, r)
    index = np.full((n1, n1), len(ia), dtype=np.int64)
    index[ia, ib] = np.arange(len(ia))
    where = index[lo, hi].reshape(-1)
    padded = xp.concat([vals, xp.zeros(1, dtype=vals.dtype, device=dev)])
    return xp.reshape(xp.take(padded, xp.asarray(where, device=dev), axis=0), (n1, n1))


def cdist_pairs(n1: int, n2: int, symmetric: bool, diagonal: bool = False):
    """:func:`pair_indices` as int64 arrays (what the value kernels take)."""
    ia, ib = pair_indices(n1, n2, symmetric, diagonal)
    return np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64)


def fill_matrix(be: Backend, values, ia, ib, n1: int, n2: int, symmetric: bool, diagonal=0.0):
    """The (n1, n2) matrix holding ``values`` at ``(ia, ib)`` (and ``(ib, ia)`` if symmetric).

    For pair values computed without gradients, or whose gradient is carried by
    ``index_put`` (torch); ``diagonal`` fills what no pair covers.
    """
    xp = be.xp
    dev = be.device_of(values)
    if not symmetric:
        return xp.reshape(values, (n1, n2))
    if be.is_pytorch:
        out = values.new_full((n1, n2), float(diagonal))
        ta = be.torch.as_tensor(ia, device=values.device)
        tb = be.torch.as_tensor(ib, device=values.device)
        out = out.index_put((ta, tb), values)
        return out.index_put((tb, ta), values)
    out = xp.full((n1, n2), diagonal, dtype=values.dtype, device=dev)
    ta = xp.asarray(ia, device=dev)
    tb = xp.asarray(ib, device=dev)
    out[ta, tb] = values
    out[tb, ta] = values
    return out
