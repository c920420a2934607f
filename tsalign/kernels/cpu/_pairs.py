"""Pairs and chunks of pairs for the CPU kernels that run over many pairs (numba).

A kernel parallel over pairs splits its run ``p_start .. p_start + n_pairs - 1``
into ``n_chunks`` chunks (a few per thread, so that uneven lengths balance),
allocates its scratch once per chunk, and maps each ``p`` to a pair ``(a, b)``
with :func:`pair_of` in one of the contract's pair modes.
"""

from __future__ import annotations

import numpy as np

from .._contract import PAIRS_BATCH, PAIRS_CROSS, PAIRS_TRIANGLE
from ._jit import n_threads, njit


def block_cells(lx, ly, mode: int, n_pairs: int) -> int:
    """Alignment-matrix cells of a block of ``n_pairs`` pairs (mean lengths times the
    count): the work estimate by which small calls run serially (``_jit.SMALL_WORK``)."""
    lx = np.asarray(lx)
    ly = np.asarray(ly)
    if mode == PAIRS_BATCH and n_pairs == lx.shape[0]:
        return int(np.dot(lx.astype(np.int64), ly.astype(np.int64)))
    if lx.shape[0] == 0 or ly.shape[0] == 0:
        return 0
    return int(n_pairs * float(lx.mean()) * float(ly.mean()))


def reorder(X, Y, lx, ly, ox, oy, symmetric: bool):
    """The datasets of a cdist in the orders ``ox`` / ``oy`` (None: as they are).

    With ``symmetric`` Y is X (in X's order), as the cdist kernels expect.
    """
    if ox is not None:
        X, lx = X[ox], lx[ox]
    if symmetric:
        return X, X, lx, lx
    if oy is not None:
        Y, ly = Y[oy], ly[oy]
    return X, Y, lx, ly


def n_chunks(n_pairs: int) -> int:
    """Chunks for a run of pairs: eight per thread, at most one per pair."""
    return max(1, min(n_pairs, 8 * n_threads()))


@njit
def chunk_of(c, n_chunks, n_pairs):
    """(start, stop) of chunk ``c``; empty (start >= stop) past the end."""
    size = (n_pairs + n_chunks - 1) // n_chunks
    start = c * size
    return start, min(n_pairs, start + size)


@njit
def _triangle_index(p, n):
    """(a, b) of the p-th pair a < b in row-major order over an n x n triangle."""
    # row a starts at off(a) = a * (2n - a - 1) / 2
    a = int((2 * n - 1 - np.sqrt((2.0 * n - 1) ** 2 - 8.0 * p)) // 2)
    if a < 0:
        a = 0
    while a > 0 and a * (2 * n - a - 1) // 2 > p:
        a -= 1
    while (a + 1) * (2 * n - a - 2) // 2 <= p:
        a += 1
    b = p - a * (2 * n - a - 1) // 2 + a + 1
    return a, b


@njit
def pair_of(p, mode, nx, ny):
    """(a, b): pair ``p`` of X (nx series) against Y (ny series) in ``mode``."""
    if mode == PAIRS_BATCH:
        return p, p
    if mode == PAIRS_CROSS:
        return p // ny, p % ny
    if mode == PAIRS_TRIANGLE:
        return _triangle_index(p, nx)
    # PAIRS_UPPER: the pairs a <= b of n are the pairs a < b + 1 of n + 1
    a, c = _triangle_index(p, nx + 1)
    return a, c - 1
