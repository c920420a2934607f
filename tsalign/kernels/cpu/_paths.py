"""Pieces of the backtracking kernels shared by the path families (DTW, LDTW, LCSS)."""

from __future__ import annotations

from ._jit import njit


@njit
def step_back(diag, up, left):
    """(di, dj) of one backtracking step: the smallest predecessor, ties to
    the diagonal, then up, then left (tslearn's order)."""
    if diag <= up and diag <= left:
        return 1, 1
    if up <= left:
        return 1, 0
    return 0, 1


@njit
def predecessor(R, i, j):
    """The cell before (i, j) on the optimal path through ``R``: row 0 goes left,
    column 0 up, elsewhere :func:`step_back`'s choice."""
    if i == 0:
        return i, j - 1
    if j == 0:
        return i - 1, j
    di, dj = step_back(R[i - 1, j - 1], R[i - 1, j], R[i, j - 1])
    return i - di, j - dj


@njit
def reverse_pairs(path, k):
    """Reverse the first ``k`` rows of ``path`` (P, 2) in place: the kernels write
    a path from its last cell, the result runs from its first."""
    for t in range(k // 2):
        s = k - 1 - t
        a0 = path[t, 0]
        a1 = path[t, 1]
        path[t, 0] = path[s, 0]
        path[t, 1] = path[s, 1]
        path[s, 0] = a0
        path[s, 1] = a1
