"""Float64 references for the tslearn-family recurrences, from their definitions.

Each enumerates every warping path (or every set of matched pairs) of a tiny
pair of series and applies the definition directly; nothing here shares code
or recurrences with the kernels.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def warping_paths(n: int, m: int, allowed=None):
    """Every monotone path from (0, 0) to (n-1, m-1) with steps (1,0), (0,1), (1,1)."""

    def walk(path):
        i, j = path[-1]
        if (i, j) == (n - 1, m - 1):
            yield list(path)
            return
        for di, dj in ((1, 1), (1, 0), (0, 1)):
            a, b = i + di, j + dj
            if a < n and b < m and (allowed is None or allowed[a, b]):
                path.append((a, b))
                yield from walk(path)
                path.pop()

    if allowed is not None and not allowed[0, 0]:
        return
    yield from walk([(0, 0)])


def costs(x, y):
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)


def frechet(x, y, allowed=None):
    C = costs(x, y)
    best = min(max(C[i, j] for i, j in p) for p in warping_paths(*C.shape, allowed))
    return math.sqrt(best)


def ldtw(x, y, max_length):
    C = costs(x, y)
    ok = [sum(C[i, j] for i, j in p) for p in warping_paths(*C.shape) if len(p) <= max_length]
    return math.sqrt(min(ok))


def log_gak(x, y, sigma):
    C = costs(x, y)
    u = -C / (2 * sigma * sigma)
    k = np.exp(u) / (2 - np.exp(u))
    return math.log(sum(math.prod(k[i, j] for i, j in p) for p in warping_paths(*C.shape)))


def gak(x, y, sigma):
    return math.exp(log_gak(x, y, sigma) - 0.5 * (log_gak(x, x, sigma) + log_gak(y, y, sigma)))


def lcss(x, y, eps, allowed=None):
    """max number of pairs, increasing in both indices, at distance <= eps, over min(n, m)."""
    D = np.sqrt(costs(x, y))
    n, m = D.shape
    cells = [(i, j) for i in range(n) for j in range(m) if D[i, j] <= eps]
    if allowed is not None:
        cells = [c for c in cells if allowed[c]]
    best = 0
    for r in range(min(n, m), 0, -1):
        for combo in itertools.combinations(cells, r):
            if all(a[0] < b[0] and a[1] < b[1] for a, b in zip(combo, combo[1:], strict=False)):
                best = r
                break
        if best:
            break
    return best / min(n, m)
