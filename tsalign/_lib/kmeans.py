"""k-means machinery for ``clustering.TimeSeriesKMeans`` (backend-agnostic).

Distances between a dataset and the centres (Euclidean, DTW or soft-DTW, one
cross-distance kernel call), tslearn's two k-means++ seedings (scikit-learn's
for the Euclidean metric, its own under DTW / soft-DTW) with the same draws
from the same ``RandomState``, and the centre updates (mean, lockstep DBA,
soft-DTW barycenters).
"""

from __future__ import annotations

import numpy as np

from .backend import Backend
from .barycenter import (
    check_costs,
    dba_lockstep,
    host,
    minimize_lbfgs,
    on_device,
    resample,
    scatter_add,
    sdtw_objective,
)
from .validation import SeriesBatch

METRICS = ("euclidean", "dtw", "softdtw")


class EmptyClusterError(Exception):
    """An assignment left a cluster without series (that initialisation is dropped)."""


def distances(be: Backend, X, lx, C, lc, metric: str, band, gamma: float):
    """(n, K) distances of each series to each centre (backend array).

    ``euclidean``: the Euclidean distance of the flattened (equal-length)
    series; ``dtw``: DTW; ``softdtw``: soft-DTW (can be negative).
    """
    xp = be.xp
    if metric == "euclidean":
        n, K = X.shape[0], C.shape[0]
        Xf = xp.reshape(X, (n, -1))
        Cf = xp.reshape(C, (K, -1))
        cols = [xp.sum((Xf - Cf[k][None, :]) ** 2, axis=1) for k in range(K)]
        return xp.sqrt(xp.stack(cols, axis=1))
    if metric == "dtw":
        sq = be.call_kernel("dtw", "dtw_cdist", X, X, C, lx, lc, band, False)
        _feasible(be, sq, band, lx, lc)
        return xp.sqrt(sq)
    out = be.call_kernel("soft_dtw", "soft_dtw_cdist", X, X, C, lx, lc, band, gamma, False)
    _feasible(be, out, band, lx, lc)
    return out


def _feasible(be: Backend, D, band, lx, lc) -> None:
    h = host(be, D)
    bad = ~np.isfinite(h)
    if np.any(bad):
        a, b = np.unravel_index(int(np.argmax(bad)), h.shape)
        check_costs(np.array([np.inf]), band, int(lc[b]), np.array([lx[a]]))


def inertia(dists_host: np.ndarray, labels: np.ndarray) -> float:
    """tslearn's inertia: the mean squared distance of each series to its centre."""
    n = dists_host.shape[0]
    return float(np.sum(dists_host[np.arange(n), labels] ** 2) / n)


def full_length(be: Backend, C, lc, size: int):
    """tslearn's ``_check_full_length``: centres shorter than ``size`` stretched linearly."""
    if np.all(lc == size):
        return C[:, :size]
    return resample(be, SeriesBatch(C, lc), size)


def kmeans_plusplus_euclidean(be: Backend, X, n_clusters: int, rs) -> np.ndarray:
    """Indices of scikit-learn's k-means++ seeds (``_kmeans_plusplus``, unit weights)."""
    xp = be.xp
    n = X.shape[0]
    Xf = xp.astype(xp.reshape(X, (n, -1)), xp.float64)
    sq_norms = xp.sum(Xf * Xf, axis=1)
    sw = np.ones(n)
    n_local = 2 + int(np.log(n_clusters))

    def sqdist(ids):
        rows = xp.take(Xf, on_device(be, np.asarray(ids, dtype=np.int64), Xf), axis=0)
        D = -2 * xp.matmul(rows, xp.permute_dims(Xf, (1, 0)))
        D = D + xp.sum(rows * rows, axis=1)[:, None] + sq_norms[None, :]
        return np.maximum(host(be, D), 0)

    first = rs.choice(n, p=sw / sw.sum())
    idx = [int(first)]
    closest = sqdist([first])
    pot = closest @ sw
    for _ in range(1, n_clusters):
        rand_vals = rs.uniform(size=n_local) * pot
        cand = np.searchsorted(np.cumsum(sw * closest), rand_vals)
        np.clip(cand, None, closest.size - 1, out=cand)
        d = sqdist(cand)
        np.minimum(closest, d, out=d)
        cand_pot = d @ sw.reshape(-1, 1)
        best = int(np.argmin(cand_pot))
        pot = cand_pot[best]
        closest = d[best]
        idx.append(int(cand[best]))
    return np.asarray(idx, dtype=np.int64)


def kmeans_plusplus_metric(be: Backend, X, lx, n_clusters: int, rs, metric, band, gamma):
    """Indices of tslearn's k-means++ seeds under DTW / soft-DTW (``_k_init_metric``).

    Each round is one cross-distance call (candidates x dataset): the lane
    kernels of ``dtw_cdist`` did this 3x faster than a DTW early-abandoned at
    each series' closest seed so far (benchmarks/README_barycenters.md).
    """
    n = X.shape[0]
    n_local = 2 + int(np.log(n_clusters))

    def sqdist(ids):
        ids = np.asarray(ids, dtype=np.int64)
        C = be.xp.take(X, on_device(be, ids, X), axis=0)
        D = host(be, distances(be, C, lx[ids], X, lx, metric, band, gamma))
        return D.astype(np.float64) ** 2

    first = rs.randint(n)
    idx = [int(first)]
    closest = sqdist([first])
    pot = closest.sum()
    for _ in range(1, n_clusters):
        rand_vals = rs.random_sample(n_local) * pot
        cand = np.searchsorted(np.cumsum(closest, dtype=np.float64), rand_vals)
        np.clip(cand, None, closest.size - 1, out=cand)
        d = sqdist(cand)
        np.minimum(closest, d, out=d)
        cand_pot = d.sum(axis=1)
        best = int(np.argmin(cand_pot))
        pot = cand_pot[best]
        closest = d[best]
        idx.append(int(cand[best]))
    return np.asarray(idx, dtype=np.int64)


def mean_update(be: Backend, X, labels: np.ndarray, K: int):
    """Mean of the series of each cluster (equal lengths)."""
    xp = be.xp
    n = X.shape[0]
    Xf = xp.reshape(X, (n, -1))
    sums = xp.zeros((K, Xf.shape[1]), dtype=X.dtype, device=be.device_of(X))
    sums = scatter_add(be, sums, on_device(be, labels, X), Xf)
    counts = np.bincount(labels, minlength=K).astype(np.float64)
    cnt = xp.astype(on_device(be, counts, X), X.dtype)
    return xp.reshape(sums / cnt[:, None], (K,) + tuple(X.shape[1:]))


def dba_update(be: Backend, X, lx, C, labels: np.ndarray, band):
    """tslearn's DTW k-means update: Petitjean's DBA (30 iterations, tol 1e-5) per cluster.

    All clusters in lockstep: one pass over the dataset per DBA iteration.
    """
    n = X.shape[0]
    Z, _ = dba_lockstep(
        be, X, lx, C, labels.astype(np.int64), np.ones(n), band, 30, 1e-5, bary_first=False
    )
    return Z


def softdtw_update(be: Backend, X, lx, C, labels, band, gamma, max_iter):
    """Soft-DTW barycenter of each cluster from its current centre (L-BFGS-B, tol 1e-3)."""
    xp = be.xp
    out = []
    for k in range(C.shape[0]):
        members = np.flatnonzero(labels == k)
        Xk = xp.take(X, on_device(be, members, X), axis=0)
        lk = lx[members]
        Xk = Xk[:, : int(lk.max())]
        f = sdtw_objective(be, Xk, lk, np.ones(len(members)), band, gamma, False)
        out.append(minimize_lbfgs(be, f, C[k], max_iter, 1e-3, "L-BFGS-B"))
    return xp.stack(out)
