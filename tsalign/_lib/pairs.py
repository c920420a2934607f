"""Pairs of a cdist and the matrix they fill.

``cdist_pairs`` enumerates the pairs a ``cdist_*`` computes: every ``(a, b)``
of two datasets, or for one dataset against itself the upper triangle
``a < b`` (optionally with the diagonal, for kernels whose diagonal is not
known in advance).  ``fill_matrix`` scatters the pair values back into the
(n1, n2) matrix, mirroring a triangle.
"""

from __future__ import annotations

import numpy as np

from .backend import Backend


def cdist_pairs(n1: int, n2: int, symmetric: bool, diagonal: bool = False):
    """Host int64 arrays ``(ia, ib)`` of the pairs to compute."""
    if symmetric:
        ia, ib = np.triu_indices(n1, k=0 if diagonal else 1)
    else:
        ia, ib = np.divmod(np.arange(n1 * n2), n2)
    return ia.astype(np.int64), ib.astype(np.int64)


def fill_matrix(be: Backend, values, ia, ib, n1: int, n2: int, symmetric: bool, diagonal=0.0):
    """The (n1, n2) matrix holding ``values`` at ``(ia, ib)`` (and ``(ib, ia)`` if symmetric)."""
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
