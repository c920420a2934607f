"""The soft-DTW barycenter objective and its gradient on the CPU, fused (numba).

For a barycenter Z (S, d) and a dataset X, one call returns
``sum_b w_b sdtw(Z, X_b)`` and the pieces of its gradient
``2 (diag(r) Z - e)``: ``r[i] = sum_b w_b sum_j E_b[i, j]`` and
``e[i] = sum_b w_b sum_j E_b[i, j] X_b[j]``, with E_b the expected alignment.
Nothing of size S x N leaves a thread: each pair's forward keeps two rows of
the accumulated values and stores the normalised soft-min weights of the
three predecessors of every cell; the backward walks the E recursion with
those weights (no exponential) and folds each row of E into r and e at once.

Series of one length go through LANES at a time, the lane loop innermost, so
the exp/log of LANES independent cells overlap (the soft-min of a cell waits
on its left neighbour's); the others go one by one.  The soft-min is
``mn - g log(sum exp(-(a - mn) / g))`` (shifted by the smallest argument);
unreachable cells hold the finite sentinel ``big`` and get zero weight.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._contract import sentinel
from ._band import band_ranges
from ._jit import n_threads, njit, njit_parallel

LANES = 4


@njit
def _pairs_objective(
    Z, Xg, m, kind, radius, slope, gamma, big, w, R, Wd, Wu, Wl, E, acc_r, acc_e, lo, hi
):
    """Value of NL pairs (Z, Xg[:m, :, l]) and their weighted E sums into acc_r, acc_e.

    Xg (M, d, NL) float64; R, E (2 (m + 1), NL) rolling rows; Wd, Wu, Wl
    (S, m, NL) weights; w (NL,) weights of the lanes.  Returns the index in R
    of the end cell (column m - 1 of the last row).
    """
    S, d = Z.shape
    NL = Xg.shape[2]
    inv = 1.0 / gamma
    W = m + 1
    band_ranges(S, m, kind, radius, slope, lo, hi)
    # row -1: R[-1, -1] = 0, the rest unreachable
    for j in range(W):
        for l in range(NL):
            R[j, l] = big
    for l in range(NL):
        R[0, l] = 0.0
    for i in range(S):
        po = (i & 1) * W
        co = W - po
        a = lo[i]
        b = hi[i]
        for j in range(W):
            for l in range(NL):
                R[co + j, l] = big
        for j in range(m):
            for l in range(NL):
                Wd[i, j, l] = 0.0
                Wu[i, j, l] = 0.0
                Wl[i, j, l] = 0.0
        for j in range(a, b):
            for l in range(NL):
                c = 0.0
                for f in range(d):
                    diff = Z[i, f] - Xg[j, f, l]
                    c += diff * diff
                rd = R[po + j, l]
                ru = R[po + j + 1, l]
                rl = R[co + j, l]
                mn = min(rd, min(ru, rl))
                if mn >= big:
                    continue
                ed = math.exp((mn - rd) * inv)
                eu = math.exp((mn - ru) * inv)
                el = math.exp((mn - rl) * inv)
                s = ed + eu + el
                R[co + j + 1, l] = c + (mn - gamma * math.log(s))
                Wd[i, j, l] = ed / s
                Wu[i, j, l] = eu / s
                Wl[i, j, l] = el / s
    last = W - ((S - 1) & 1) * W
    # backward: E[i, j] = E[i+1, j+1] Wd[i+1, j+1] + E[i+1, j] Wu[i+1, j] + E[i, j+1] Wl[i, j+1]
    for j in range(2 * W):
        for l in range(NL):
            E[j, l] = 0.0
    for i in range(S - 1, -1, -1):
        co = (i & 1) * W  # row i
        no = W - co  # row i + 1 (zeros below the last row)
        for l in range(NL):
            E[co + m, l] = 0.0
        for j in range(m - 1, -1, -1):
            for l in range(NL):
                if i == S - 1 and j == m - 1:
                    e = 1.0
                else:
                    e = E[co + j + 1, l] * Wl[i, j + 1, l] if j + 1 < m else 0.0
                    if i + 1 < S:
                        e += E[no + j, l] * Wu[i + 1, j, l]
                        if j + 1 < m:
                            e += E[no + j + 1, l] * Wd[i + 1, j + 1, l]
                E[co + j, l] = e
        for l in range(NL):
            wl_ = w[l]
            if wl_ == 0.0:
                continue
            rs = 0.0
            for j in range(m):
                rs += E[co + j, l]
            acc_r[i] += wl_ * rs
            for f in range(d):
                t = 0.0
                for j in range(m):
                    t += E[co + j, l] * Xg[j, f, l]
                acc_e[i, f] += wl_ * t
    return last + m


@njit_parallel
def _objective_kernel(
    Z,
    X,
    lx,
    weights,
    order,
    t_start,
    t_count,
    c_start,
    kind,
    radius,
    slope,
    gamma,
    big,
    vals,
    acc_r,
    acc_e,
):
    n_chunks = acc_r.shape[0]
    S, d = Z.shape
    for c in prange(n_chunks):
        lo = np.empty(S, dtype=np.int64)
        hi = np.empty(S, dtype=np.int64)
        for t in range(c_start[c], c_start[c + 1]):
            s = t_start[t]
            nl = t_count[t]
            m = lx[order[s]]
            Xg = np.empty((m, d, nl), dtype=np.float64)
            w = np.empty(nl, dtype=np.float64)
            for l in range(nl):
                b = order[s + l]
                w[l] = weights[b]
                for j in range(m):
                    for f in range(d):
                        Xg[j, f, l] = X[b, j, f]
            R = np.empty((2 * (m + 1), nl), dtype=np.float64)
            E = np.empty((2 * (m + 1), nl), dtype=np.float64)
            Wd = np.empty((S, m, nl), dtype=np.float64)
            Wu = np.empty((S, m, nl), dtype=np.float64)
            Wl = np.empty((S, m, nl), dtype=np.float64)
            at = _pairs_objective(
                Z,
                Xg,
                m,
                kind,
                radius,
                slope,
                gamma,
                big,
                w,
                R,
                Wd,
                Wu,
                Wl,
                E,
                acc_r[c],
                acc_e[c],
                lo,
                hi,
            )
            for l in range(nl):
                v = R[at, l]
                vals[order[s + l]] = np.inf if v >= big else v


def sdtw_barycenter_objective(Z, X, lx, weights, band, gamma):
    """Soft-DTW of Z with every series and the weighted sums of the E matrices.

    Z: (S, d) float64, X: (n, N, d) float64 zero-padded past lx, weights (n,)
    float64.  Returns ``(values (n,), r (S,), e (S, d))``: ``values[b] =
    sdtw(Z, X[b])`` (``inf`` where the band admits no path), ``r[i] = sum_b
    w_b sum_j E_b[i, j]``, ``e[i] = sum_b w_b sum_j E_b[i, j] X[b, j]``.
    """
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    X = np.ascontiguousarray(X, dtype=np.float64)
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = X.shape[0]
    S, d = Z.shape
    order = np.argsort(lx, kind="stable").astype(np.int64)
    ls = lx[order]
    starts, counts = [], []
    s = 0
    while s < n:
        e = s
        while e < n and ls[e] == ls[s] and e - s < LANES:
            e += 1
        starts.append(s)
        counts.append(e - s)
        s = e
    t_start = np.asarray(starts, dtype=np.int64)
    t_count = np.asarray(counts, dtype=np.int64)
    cost = np.cumsum(ls[t_start].astype(np.float64) * np.maximum(t_count, 2))
    n_chunks = max(1, min(len(t_start), n_threads()))
    cuts = np.searchsorted(cost, cost[-1] * np.arange(1, n_chunks) / n_chunks) + 1
    c_start = np.concatenate(([0], np.minimum(cuts, len(t_start)), [len(t_start)]))
    c_start = np.maximum.accumulate(c_start).astype(np.int64)
    vals = np.empty(n, dtype=np.float64)
    acc_r = np.zeros((n_chunks, S), dtype=np.float64)
    acc_e = np.zeros((n_chunks, S, d), dtype=np.float64)
    kind, radius, slope = band
    _objective_kernel.run(
        int(np.sum(lx)) * S,
        Z,
        X,
        lx,
        weights,
        order,
        t_start,
        t_count,
        c_start,
        int(kind),
        int(radius),
        float(slope),
        float(gamma),
        sentinel(np.float64),
        vals,
        acc_r,
        acc_e,
    )
    return vals, acc_r.sum(axis=0), acc_e.sum(axis=0)
