"""Float64 references written from the definitions, by brute-force enumeration.

Nothing here shares code or recurrences with the package: warping paths are
enumerated one by one (tiny sizes only) and costs are summed along them.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np


@functools.cache
def warping_paths(n: int, m: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Every monotone path from (0, 0) to (n-1, m-1) with steps (1,0), (0,1), (1,1)."""
    out = []

    def walk(path):
        i, j = path[-1]
        if (i, j) == (n - 1, m - 1):
            out.append(tuple(path))
            return
        for di, dj in ((1, 1), (1, 0), (0, 1)):
            a, b = i + di, j + dj
            if a < n and b < m:
                path.append((a, b))
                walk(path)
                path.pop()

    walk([(0, 0)])
    return tuple(out)


def subsequence_paths(n: int, m: int):
    """Paths from (0, s) to (n-1, e) for every 0 <= s <= e < m."""
    for s, e in itertools.combinations_with_replacement(range(m), 2):
        for p in warping_paths(n, e - s + 1):
            yield tuple((i, j + s) for i, j in p)


def sq_cost(x, y) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)


def path_cost(C, path) -> float:
    return float(sum(C[i, j] for i, j in path))


def dtw_ref(x, y, mask=None):
    """(value, path) of exact DTW by enumeration; path ties broken like tslearn.

    tslearn's tie-break (diagonal, up, left while backtracking) picks, among
    optimal paths, the one that is lexicographically greatest when read
    backwards with the preference order diagonal > up > left.
    """
    C = sq_cost(x, y)
    n, m = C.shape
    best, best_paths = np.inf, []
    for p in warping_paths(n, m):
        if mask is not None and not all(mask[i, j] for i, j in p):
            continue
        c = path_cost(C, p)
        if c < best - 1e-12:
            best, best_paths = c, [p]
        elif abs(c - best) <= 1e-12:
            best_paths.append(p)
    if not best_paths:
        return np.inf, None
    return float(np.sqrt(best)), best_paths


def dtw_ref_value(x, y, mask=None) -> float:
    return dtw_ref(x, y, mask)[0]


def sakoe_chiba_ref(n: int, m: int, r: int) -> np.ndarray:
    """tslearn's Sakoe-Chiba mask, from its documented definition: the band of
    radius r around the diagonal, widened by |n - m| towards the longer side."""
    mask = np.zeros((n, m), dtype=bool)
    w = abs(n - m) + r
    for i in range(n):
        for j in range(m):
            if n <= m:
                mask[i, j] = i - r <= j <= i + w
            else:
                mask[i, j] = j - r <= i <= j + w
    return mask
