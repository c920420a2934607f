"""Float64 DILATE references from the definitions, by enumerating warping paths.

- soft-DTW_gamma(D) = -gamma log sum_p exp(-<A_p, D> / gamma) over every
  warping path p (A_p its 0/1 matrix); gamma = 0 is the minimum over paths;
- the expected alignment is the Gibbs-weighted mean of the path matrices,
  sum_p softmax_p(-<A_p, D> / gamma) A_p (gamma = 0: the mean of the optimal
  paths' matrices);
- temporal(pair) = sum_ij Abar[i, j] (i - j)^2 / (n m);
- the batch loss is alpha * mean(shape) + (1 - alpha) * mean(temporal).

Nothing here shares a recurrence with the package.  Gradients are central
finite differences of these functions.
"""

from __future__ import annotations

import numpy as np

from .reference import dtw_ref, sq_cost, warping_paths


def _path_matrices(n: int, m: int) -> np.ndarray:
    paths = warping_paths(n, m)
    A = np.zeros((len(paths), n, m))
    for k, p in enumerate(paths):
        for i, j in p:
            A[k, i, j] = 1.0
    return A


def soft_dtw_and_alignment(D: np.ndarray, gamma: float):
    """(soft-DTW value, expected alignment) of one cost matrix D (n, m)."""
    n, m = D.shape
    A = _path_matrices(n, m)
    costs = np.einsum("pij,ij->p", A, D)
    if gamma == 0:
        best = costs.min()
        tied = np.abs(costs - best) <= 1e-12 * max(1.0, abs(best))
        return float(best), A[tied].mean(axis=0)
    z = -costs / gamma
    zmax = z.max()
    w = np.exp(z - zmax)
    total = w.sum()
    value = -gamma * (np.log(total) + zmax)
    return float(value), np.einsum("p,pij->ij", w / total, A)


def omega(n: int, m: int) -> np.ndarray:
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    return (i - j).astype(np.float64) ** 2


def _unpad(x: np.ndarray) -> np.ndarray:
    """Drop trailing all-NaN rows (tslearn's padding) of one (N, d) series."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    keep = ~np.all(np.isnan(x), axis=1)
    n = int(np.max(np.nonzero(keep)[0])) + 1
    return x[:n]


def pair_terms(pred, true, gamma: float):
    """(shape, temporal) of one pair, rows of the cost indexing ``true``."""
    t = _unpad(true)
    p = _unpad(pred)
    D = sq_cost(t, p)
    value, Abar = soft_dtw_and_alignment(D, gamma)
    n, m = D.shape
    return value, float((Abar * omega(n, m)).sum() / (n * m))


def _batch(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, :, None] if x.ndim == 2 else x


def dilate_ref(y_pred, y_true, alpha: float, gamma: float):
    """(loss, shape, temporal) of a batch: means over the pairs."""
    P = _batch(y_pred)
    T = _batch(y_true)
    terms = np.array([pair_terms(P[b], T[b], gamma) for b in range(P.shape[0])])
    shape = float(terms[:, 0].mean())
    temporal = float(terms[:, 1].mean())
    return alpha * shape + (1 - alpha) * temporal, shape, temporal


def expected_alignment_ref(D: np.ndarray, gamma: float) -> np.ndarray:
    return soft_dtw_and_alignment(np.asarray(D, dtype=np.float64), gamma)[1]


def dilate_grad_fd(
    y_pred, y_true, alpha: float, gamma: float, wrt: str = "pred", which: int = 0, h: float = 1e-5
) -> np.ndarray:
    """Central finite differences of output ``which`` (0 loss, 1 shape, 2
    temporal) of :func:`dilate_ref` in ``y_pred`` (or ``y_true``); padded
    (NaN) entries get 0."""
    P = np.array(y_pred, dtype=np.float64)
    T = np.array(y_true, dtype=np.float64)
    X = P if wrt == "pred" else T
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        if np.isnan(X[idx]):
            continue
        old = X[idx]
        X[idx] = old + h
        up = dilate_ref(P, T, alpha, gamma)[which]
        X[idx] = old - h
        down = dilate_ref(P, T, alpha, gamma)[which]
        X[idx] = old
        G[idx] = (up - down) / (2 * h)
    return G


def tdi_ref(y_pred, y_true) -> np.ndarray:
    """sum (i - j)^2 / (n m) over the optimal DTW path between true and pred."""
    P = _batch(y_pred)
    T = _batch(y_true)
    out = []
    for b in range(P.shape[0]):
        t = _unpad(T[b])
        p = _unpad(P[b])
        _, paths = dtw_ref(t, p)
        if len(paths) != 1:
            raise ValueError("tdi_ref: the optimal path is not unique for this data")
        n, m = len(t), len(p)
        out.append(sum((i - j) ** 2 for i, j in paths[0]) / (n * m))
    return np.array(out)
