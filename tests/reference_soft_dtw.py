"""Float64 soft-DTW references written from the definition (tiny sizes only).

soft-DTW is the soft-min, over every warping path, of the path's total cost:
``-gamma * log(sum_pi exp(-cost(pi) / gamma))``; the expected alignment is
the mean of the paths' 0/1 matrices under the Gibbs distribution
``p(pi) ~ exp(-cost(pi) / gamma)``.  Paths are enumerated one by one with
``reference.warping_paths``; nothing here shares a recurrence with the package.
"""

from __future__ import annotations

import numpy as np

from .reference import path_cost, sakoe_chiba_ref, sq_cost, warping_paths


def admissible_paths(n: int, m: int, mask=None):
    return [p for p in warping_paths(n, m) if mask is None or all(mask[i, j] for i, j in p)]


def soft_dtw_ref_cost(C, gamma: float, mask=None):
    """(value, E) of soft-DTW on a cost matrix C (n, m), by enumeration."""
    C = np.asarray(C, dtype=np.float64)
    n, m = C.shape
    paths = admissible_paths(n, m, mask)
    if not paths:
        return np.inf, np.zeros((n, m))
    costs = np.array([path_cost(C, p) for p in paths])
    if gamma == 0:
        value = costs.min()
        weights = (costs == value).astype(float)
    else:
        z = -costs / gamma
        zmax = z.max()
        weights = np.exp(z - zmax)
        value = -gamma * (zmax + np.log(weights.sum()))
    probs = weights / weights.sum()
    E = np.zeros((n, m))
    for prob, p in zip(probs, paths, strict=True):
        for i, j in p:
            E[i, j] += prob
    return float(value), E


def soft_dtw_ref(x, y, gamma: float, mask=None):
    """(value, E) of soft-DTW between two series with the squared Euclidean cost."""
    return soft_dtw_ref_cost(sq_cost(x, y), gamma, mask)


def soft_dtw_ref_value(x, y, gamma: float, mask=None) -> float:
    return soft_dtw_ref(x, y, gamma, mask)[0]


def soft_dtw_ref_grad(x, y, gamma: float, mask=None, eps: float = 1e-6):
    """Central finite differences of the reference value w.r.t. x and y."""
    x = np.array(x, dtype=np.float64).reshape(len(x), -1)
    y = np.array(y, dtype=np.float64).reshape(len(y), -1)
    grads = []
    for target in (x, y):
        g = np.zeros_like(target)
        for idx in np.ndindex(target.shape):
            old = target[idx]
            target[idx] = old + eps
            up = soft_dtw_ref_value(x, y, gamma, mask)
            target[idx] = old - eps
            down = soft_dtw_ref_value(x, y, gamma, mask)
            target[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads[0], grads[1]


def band_mask(n: int, m: int, kind: str | None, param=None):
    """Reference masks: Sakoe-Chiba from reference.py, Itakura from tslearn's own code."""
    if kind is None:
        return None
    if kind == "sakoe_chiba":
        return sakoe_chiba_ref(n, m, param)
    from tslearn.metrics import itakura_mask

    return itakura_mask(n, m, max_slope=param)
