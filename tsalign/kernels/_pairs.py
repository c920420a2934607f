"""Which pairs a cdist kernel computes, in which blocks, and the matrix they fill.

Shared by the CPU and CUDA launchers of every pairwise family (numba-free,
cupy-free; ``xp`` is numpy or cupy).  A cdist over ``nx x ny`` pairs is a flat
run of pairs ``p = 0 .. n_pairs - 1`` in one of the contract's pair modes
(``PAIRS_CROSS``, or for a dataset against itself ``PAIRS_TRIANGLE`` / ``PAIRS_UPPER``,
row-major); the launcher runs them in blocks (one block, or up to 20 when a
progress callback wants news), and :func:`cdist` assembles the matrix.
"""

from __future__ import annotations

import numpy as np

from ._contract import PAIRS_CROSS, PAIRS_TRIANGLE, PAIRS_UPPER

_PROGRESS_BLOCKS = 20


def cdist_mode(nx: int, ny: int, symmetric: bool, diagonal: bool) -> tuple[int, int]:
    """(pair mode, number of pairs) of a cdist.

    ``symmetric`` (Y is X): only the upper triangle, with the diagonal when
    ``diagonal`` (soft-DTW of a series with itself is not zero), else without.
    """
    if not symmetric:
        return PAIRS_CROSS, nx * ny
    if diagonal:
        return PAIRS_UPPER, nx * (nx + 1) // 2
    return PAIRS_TRIANGLE, nx * (nx - 1) // 2


def pair_indices(mode: int, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """(ia, ib) int64 of every pair of a cdist mode, in the order of ``p``."""
    if mode == PAIRS_CROSS:
        ia, ib = np.divmod(np.arange(nx * ny, dtype=np.int64), ny)
    else:
        ia, ib = np.triu_indices(nx, k=0 if mode == PAIRS_UPPER else 1)
    return np.ascontiguousarray(ia, dtype=np.int64), np.ascontiguousarray(ib, dtype=np.int64)


def cdist_pairs(nx: int, ny: int, symmetric: bool, diagonal: bool):
    """(ia, ib) int64 of the pairs of a cdist (see :func:`cdist_mode`)."""
    return pair_indices(cdist_mode(nx, ny, symmetric, diagonal)[0], nx, ny)


def cdist(xp, run, nx: int, ny: int, symmetric: bool, diagonal: bool, dtype, progress, sync=None):
    """The (nx, ny) matrix of a pairwise kernel.

    ``run(mode, start, stop, out)`` computes pairs ``start <= p < stop`` into
    ``out`` (a view of the flat result); ``progress(done, total)`` is called
    after each block (``sync()`` first, so that the work is done when it is
    reported).  Symmetric cases mirror the triangle; without ``diagonal`` the
    diagonal is zero.
    """
    mode, n_pairs = cdist_mode(nx, ny, symmetric, diagonal)
    flat = xp.empty(n_pairs, dtype=dtype)
    n_blocks = 1 if progress is None else min(max(n_pairs, 1), _PROGRESS_BLOCKS)
    bounds = np.linspace(0, n_pairs, n_blocks + 1).astype(np.int64)
    for s, e in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if e > s:
            run(mode, s, e, flat[s:e])
        if progress is not None:
            if sync is not None:
                sync()
            progress(e, n_pairs)
    if mode == PAIRS_CROSS:
        return flat.reshape(nx, ny)
    ia, ib = (xp.asarray(a) for a in pair_indices(mode, nx, ny))
    out = xp.zeros((nx, nx), dtype=dtype)
    out[ia, ib] = flat
    out[ib, ia] = flat
    return out
