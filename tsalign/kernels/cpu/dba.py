"""DTW Barycenter Averaging on the CPU (numba).

One pass of DBA over a dataset in one call: for every series, the exact DTW
path to its barycenter (accumulated costs in per-thread scratch, costs computed
on the fly from the series, tslearn's tie-break: diagonal, then up, then left),
and the weighted sums of the frames each barycenter frame is aligned with.
Threads work on chunks of series with private accumulators, summed at the end,
so the result does not depend on the scheduling.

``dba_subgradient_epoch`` is one epoch of the stochastic subgradient mean of
Schultz & Jain (2018): sequential by nature (each step moves the barycenter the
next path is computed against), so it runs on one thread.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._contract import BAND_NONE
from ._band import band_ranges
from ._jit import n_threads, njit, njit_parallel


@njit
def _pair_path(A, Bs, n, m, kind, radius, slope, lo, hi, R, pi, pj):
    """Optimal DTW path between ``A[:n]`` (rows) and ``Bs[:m]`` (columns).

    Fills ``R[:n, :m]`` with the accumulated squared costs (``inf`` outside the
    band) and ``pi[:k], pj[:k]`` with the path's cells from the end cell back to
    (0, 0).  Returns ``(R[n-1, m-1], k)``.
    """
    inf = np.inf
    band_ranges(n, m, kind, radius, slope, lo, hi)
    d = A.shape[1]
    if kind != BAND_NONE:
        # the backtrack reads neighbours of the path, which may lie outside the band
        for i in range(n):
            for j in range(m):
                R[i, j] = inf
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        left = inf
        if i == 0:
            diag = 0.0  # the start cell has no predecessor: its cost is its own
        elif lo_i > 0:
            diag = R[i - 1, lo_i - 1]
        else:
            diag = inf
        for j in range(lo_i, hi_i):
            if i > 0:
                up = R[i - 1, j]
            else:
                up = inf
            best = diag
            if up < best:
                best = up
            if left < best:
                best = left
            c = 0.0
            for f in range(d):
                diff = A[i, f] - Bs[j, f]
                c += diff * diff
            left = c + best
            R[i, j] = left
            diag = up
    # backtrack (tslearn's tie-break: diagonal, then (i-1, j), then (i, j-1))
    i = n - 1
    j = m - 1
    k = 0
    pi[0] = i
    pj[0] = j
    k = 1
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            dg = R[i - 1, j - 1]
            u = R[i - 1, j]
            lf = R[i, j - 1]
            if dg <= u and dg <= lf:
                i -= 1
                j -= 1
            elif u <= lf:
                i -= 1
            else:
                j -= 1
        pi[k] = i
        pj[k] = j
        k += 1
    return R[n - 1, m - 1], k


@njit_parallel
def _accumulate_kernel(
    X, lx, Z, assign, weights, idx, kind, radius, slope, bary_first, sums, counts, costs
):
    n_chunks = sums.shape[0]
    p = idx.shape[0]
    N = X.shape[1]
    S = Z.shape[1]
    d = X.shape[2]
    rows = S if bary_first else N
    cols = N if bary_first else S
    chunk = (p + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(p, start + chunk)
        if start >= stop:
            continue
        R = np.empty((rows, cols), dtype=X.dtype)
        lo = np.empty(rows, dtype=np.int64)
        hi = np.empty(rows, dtype=np.int64)
        pi = np.empty(rows + cols, dtype=np.int64)
        pj = np.empty(rows + cols, dtype=np.int64)
        for q in range(start, stop):
            b = idx[q]
            k = assign[b]
            w = weights[b]
            if bary_first:
                cost, L = _pair_path(Z[k], X[b], S, lx[b], kind, radius, slope, lo, hi, R, pi, pj)
            else:
                cost, L = _pair_path(X[b], Z[k], lx[b], S, kind, radius, slope, lo, hi, R, pi, pj)
            costs[q] = cost
            if w == 0.0:
                continue
            for t in range(L):
                if bary_first:
                    zi = pi[t]
                    xj = pj[t]
                else:
                    zi = pj[t]
                    xj = pi[t]
                counts[c, k, zi] += w
                for f in range(d):
                    sums[c, k, zi, f] += w * X[b, xj, f]


def dba_accumulate(X, lx, Z, assign, weights, idx, band, bary_first):
    """One DBA pass: weighted sums of the frames aligned with each barycenter frame.

    X: (n, N, d) series (zero padded), lx: (n,) int64 lengths; Z: (K, S, d)
    barycenters; assign: (n,) int64 barycenter of each series; weights: (n,)
    float64; idx: (p,) int64 the series to use.  ``bary_first`` puts the
    barycenter on the rows of the DTW matrix (tslearn's ``dtw_path(barycenter,
    x)``), otherwise the series (its ``dtw_path(x, barycenter)``); it only
    matters for the tie-break.  Returns ``(sums (K, S, d) float64, counts (K, S)
    float64, costs (p,))``: ``costs`` are the squared DTW of each used series
    (``inf`` where the band admits no path), in X's dtype.
    """
    K, S, d = Z.shape
    p = idx.shape[0]
    n_chunks = max(1, min(p, n_threads()))
    sums = np.zeros((n_chunks, K, S, d), dtype=np.float64)
    counts = np.zeros((n_chunks, K, S), dtype=np.float64)
    costs = np.empty(p, dtype=X.dtype)
    kind, radius, slope = band
    _accumulate_kernel(
        np.ascontiguousarray(X),
        np.ascontiguousarray(lx, dtype=np.int64),
        np.ascontiguousarray(Z, dtype=X.dtype),
        np.ascontiguousarray(assign, dtype=np.int64),
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(idx, dtype=np.int64),
        int(kind),
        int(radius),
        float(slope),
        bool(bary_first),
        sums,
        counts,
        costs,
    )
    return sums.sum(axis=0), counts.sum(axis=0), costs


@njit
def _subgradient_kernel(
    X, lx, Z, order, weights, kind, radius, slope, eta, eta_drop, wsum, scale, first_epoch
):
    S = Z.shape[0]
    N = X.shape[1]
    d = Z.shape[1]
    R = np.empty((S, N), dtype=X.dtype)
    lo = np.empty(S, dtype=np.int64)
    hi = np.empty(S, dtype=np.int64)
    pi = np.empty(S + N, dtype=np.int64)
    pj = np.empty(S + N, dtype=np.int64)
    v = np.zeros(S, dtype=np.float64)
    wx = np.zeros((S, d), dtype=np.float64)
    for q in range(order.shape[0]):
        b = order[q]
        w = weights[b]
        if w == 0.0:
            continue
        _, L = _pair_path(Z, X[b], S, lx[b], kind, radius, slope, lo, hi, R, pi, pj)
        for i in range(S):
            v[i] = 0.0
            for f in range(d):
                wx[i, f] = 0.0
        for t in range(L):
            i = pi[t]
            j = pj[t]
            v[i] += 1.0
            for f in range(d):
                wx[i, f] += X[b, j, f]
        coef = 2.0 * eta / scale
        for i in range(S):
            vi = v[i] * w
            for f in range(d):
                Z[i, f] -= coef * (vi * Z[i, f] - w * wx[i, f])
        if first_epoch:
            eta -= eta_drop * w / wsum
    return eta


def dba_subgradient_epoch(X, lx, Z, order, weights, band, eta, eta_drop, first_epoch):
    """One epoch of the stochastic subgradient DBA, in place on a copy of Z.

    X: (n, N, d), lx: (n,) int64; Z: (S, d) the barycenter; order: (p,) int64
    the series in the order they are visited; weights: (n,) float64.  Each
    visited series with a non-zero weight w moves the barycenter by
    ``-2 eta / (sum(weights) / n) * w * (V Z - W x)`` (V the valence, W the
    warping matrix of its optimal path); in the first epoch eta decreases by
    ``eta_drop * w / sum(weights)`` after each step.  Returns ``(Z, eta)``.
    """
    kind, radius, slope = band
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    wsum = float(weights.sum())
    n = weights.shape[0]
    Z = np.array(Z, dtype=X.dtype, order="C", copy=True)
    eta = _subgradient_kernel(
        np.ascontiguousarray(X),
        np.ascontiguousarray(lx, dtype=np.int64),
        Z,
        np.ascontiguousarray(order, dtype=np.int64),
        weights,
        int(kind),
        int(radius),
        float(slope),
        float(eta),
        float(eta_drop),
        wsum,
        wsum / n,
        bool(first_epoch),
    )
    return Z, float(eta)
