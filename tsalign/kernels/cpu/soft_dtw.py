"""Soft-DTW on the CPU (numba).

The recurrence (Cuturi & Blondel, 2017) on a cost matrix ``C``::

    R[i, j] = C[i, j] + softmin_g(R[i-1, j-1], R[i-1, j], R[i, j-1]),   R[-1, -1] = 0
    softmin_g(a, b, c) = -g log(exp(-a/g) + exp(-b/g) + exp(-c/g))

is evaluated as a log-sum-exp shifted by the smallest argument, so one of the
three exponentials is exp(0) = 1 and is not computed, and terms that cannot
change the sum in the working precision are skipped.  Unreachable cells
(outside the lengths or the band) hold a *finite* sentinel ``big``; a
soft-min whose smallest argument is the sentinel returns the sentinel without
any arithmetic on it, so no ``inf - inf`` (and no NaN) can arise.  Pairs that
the band makes infeasible come back as ``inf``.

Gradients.  The forward pass used for autograd stores, for every cell, the
*normalised* soft-min weights of its diagonal and upper predecessors,
``W[i, j] = (p_diag, p_up)``, with ``p_left = 1 - p_diag - p_up``.  The
expected alignment ``E = dR[n-1, m-1] / dC`` then follows the backward
recursion (the Cuturi-Blondel E recursion written with these weights)::

    E[i, j] = E[i+1, j+1] p_diag(i+1, j+1) + E[i+1, j] p_up(i+1, j) + E[i, j+1] p_left(i, j+1)

with no exponential at all.  Recomputing the weights from ``R`` and ``C`` as
``exp((R[s] - C[s] - R[p]) / g)`` (tslearn, pytorch-softdtw-cuda) subtracts two
large, rounded numbers and divides by ``g``: in float32 with small ``g`` the
weights leave [0, 1] and ``E`` overflows.  Stored weights sum to one by
construction, so ``E`` stays a probability (each entry in [0, 1]) at any
``g`` and length.

Memory per pair (N x M, float of s bytes): values only, O(N + M) (two rows
and the band bounds, costs computed on the fly); forward for autograd,
``2 N M s`` for the weights; backward, ``N M s`` for ``E``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._band import band_ranges
from ._jit import n_threads, njit, njit_parallel


def constants(dtype) -> tuple[float, float]:
    """``(big, cut)`` for a dtype: the finite sentinel of unreachable cells and the
    exponent beyond which ``exp(-t)`` cannot change a sum >= 1 in that precision."""
    dtype = np.dtype(dtype)
    big = float(np.finfo(dtype).max) / 4.0
    cut = 18.0 if dtype == np.float32 else 37.0
    return big, cut


@njit
def _term(t, cut):
    """exp(-t) for t >= 0, exactly 1 at 0 and 0 beyond ``cut`` (no exp call)."""
    if t == 0.0:
        return 1.0
    if t > cut:
        return 0.0
    return math.exp(-t)


@njit
def _softmin(a, b, c, gamma, inv_gamma, big, cut):
    """soft-min of three values; ``big`` if all three are unreachable."""
    mn = a
    if b < mn:
        mn = b
    if c < mn:
        mn = c
    if mn >= big:
        return big
    s = _term((a - mn) * inv_gamma, cut) + _term((b - mn) * inv_gamma, cut) \
        + _term((c - mn) * inv_gamma, cut)
    if s == 1.0:
        return mn
    return mn - gamma * math.log(s)


@njit
def _sdtw_rows(x, y, n, m, kind, radius, slope, gamma, big, cut, lo, hi, prev, cur):
    """Soft-DTW of one pair from its series, two rolling rows, costs on the fly."""
    inv_gamma = 1.0 / gamma
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for j in range(m + 1):
        prev[j] = big
        cur[j] = big
    prev[0] = 0.0
    d = x.shape[1]
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        cur[0] = big
        if i >= 2:
            # this buffer still holds row i-2; its entries left of this row's
            # range would be read as predecessors by row i+1: reset them
            for jj in range(lo[i - 2] + 1, lo_i + 1):
                cur[jj] = big
        left = cur[lo_i]
        for j in range(lo_i, hi_i):
            if d == 1:
                diff = x[i, 0] - y[j, 0]
                c = diff * diff
            else:
                c = 0.0
                for k in range(d):
                    diff = x[i, k] - y[j, k]
                    c += diff * diff
            r = _softmin(prev[j], prev[j + 1], left, gamma, inv_gamma, big, cut)
            if r < big:
                r = c + r
            left = r
            cur[j + 1] = r
        prev, cur = cur, prev
    return prev[m]


@njit_parallel
def _values_kernel(X, Y, lx, ly, ia, ib, out, kind, radius, slope, gamma, big, cut, n_chunks):
    n_pairs = out.shape[0]
    N = X.shape[1]
    M = Y.shape[1]
    chunk = (n_pairs + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(n_pairs, start + chunk)
        if start >= stop:
            continue
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for p in range(start, stop):
            a = ia[p]
            b = ib[p]
            v = _sdtw_rows(X[a], Y[b], lx[a], ly[b], kind, radius, slope, gamma, big, cut,
                           lo, hi, prev, cur)
            out[p] = np.inf if v >= big else v


@njit_parallel
def _forward_kernel(C, lx, ly, kind, radius, slope, gamma, big, cut, W, out):
    B, N, M = C.shape
    inv_gamma = 1.0 / gamma
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        band_ranges(n, m, kind, radius, slope, lo, hi)
        for j in range(m + 1):
            prev[j] = big
            cur[j] = big
        prev[0] = 0.0
        Cb = C[b]
        Wb = W[b]
        for i in range(n):
            lo_i = lo[i]
            hi_i = hi[i]
            cur[0] = big
            if i >= 2:
                for jj in range(lo[i - 2] + 1, lo_i + 1):
                    cur[jj] = big
            left = cur[lo_i]
            for j in range(lo_i, hi_i):
                dg = prev[j]
                up = prev[j + 1]
                mn = dg
                if up < mn:
                    mn = up
                if left < mn:
                    mn = left
                if mn >= big:
                    r = big
                    wd = 0.0
                    wu = 0.0
                else:
                    ed = _term((dg - mn) * inv_gamma, cut)
                    eu = _term((up - mn) * inv_gamma, cut)
                    el = _term((left - mn) * inv_gamma, cut)
                    s = ed + eu + el
                    r = Cb[i, j] + mn
                    if s != 1.0:
                        r -= gamma * math.log(s)
                    wd = ed / s
                    wu = eu / s
                Wb[i, j, 0] = wd
                Wb[i, j, 1] = wu
                left = r
                cur[j + 1] = r
            prev, cur = cur, prev
        v = prev[m]
        out[b] = np.inf if v >= big else v


@njit_parallel
def _backward_kernel(W, lx, ly, kind, radius, slope, E):
    B, N, M = E.shape
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        band_ranges(n, m, kind, radius, slope, lo, hi)
        Eb = E[b]
        Wb = W[b]
        # E and W are zero outside the band, so successors outside it add 0
        for i in range(n - 1, -1, -1):
            for j in range(hi[i] - 1, lo[i] - 1, -1):
                if i == n - 1 and j == m - 1:
                    Eb[i, j] = 1.0
                    continue
                acc = 0.0
                if i + 1 < n:
                    acc += Eb[i + 1, j] * Wb[i + 1, j, 1]
                    if j + 1 < m:
                        acc += Eb[i + 1, j + 1] * Wb[i + 1, j + 1, 0]
                if j + 1 < m:
                    wl = 1.0 - Wb[i, j + 1, 0] - Wb[i, j + 1, 1]
                    if wl > 0.0:
                        acc += Eb[i, j + 1] * wl
                Eb[i, j] = acc


def _chunks(n_pairs: int) -> int:
    return max(1, min(n_pairs, 8 * n_threads()))


def _run_values(X, Y, lx, ly, ia, ib, band, gamma, out):
    kind, radius, slope = band
    big, cut = constants(out.dtype)
    if out.shape[0] == 0:
        return
    _values_kernel(X, Y, lx, ly, ia, ib, out, int(kind), int(radius), float(slope),
                   float(gamma), big, cut, _chunks(out.shape[0]))


def soft_dtw_values(X, Y, lx, ly, band, gamma):
    """Soft-DTW of each pair ``(X[b], Y[b])`` straight from the series.

    X: (B, N, d), Y: (B, M, d); lx, ly: (B,) int64 lengths; ``gamma > 0``.
    Returns (B,) in X's dtype; ``inf`` where the band admits no path.
    """
    B = X.shape[0]
    idx = np.arange(B, dtype=np.int64)
    out = np.empty(B, dtype=X.dtype)
    _run_values(X, Y, lx, ly, idx, idx, band, gamma, out)
    return out


def soft_dtw_cdist(X, Y, lx, ly, band, gamma, symmetric, progress=None):
    """Soft-DTW of every pair of two datasets, (nx, ny).

    With ``symmetric=True`` (Y is X) the pairs a <= b are computed (the
    diagonal too: soft-DTW of a series with itself is not zero).
    ``progress(done, total)`` is called between blocks of pairs.
    """
    nx, ny = X.shape[0], Y.shape[0]
    if symmetric:
        ia, ib = np.triu_indices(nx)
    else:
        ia, ib = np.divmod(np.arange(nx * ny), ny)
    ia = np.ascontiguousarray(ia, dtype=np.int64)
    ib = np.ascontiguousarray(ib, dtype=np.int64)
    n_pairs = ia.shape[0]
    flat = np.empty(n_pairs, dtype=X.dtype)
    n_blocks = 1 if progress is None else min(max(n_pairs, 1), 20)
    bounds = np.linspace(0, n_pairs, n_blocks + 1).astype(np.int64)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        if e > s:
            _run_values(X, Y, lx, ly, ia[s:e], ib[s:e], band, gamma, flat[s:e])
        if progress is not None:
            progress(int(e), n_pairs)
    out = np.empty((nx, ny), dtype=X.dtype)
    out[ia, ib] = flat
    if symmetric:
        out[ib, ia] = flat
    return out


def soft_dtw_forward(C, lx, ly, band, gamma):
    """Soft-DTW values of cost matrices C (B, N, M) and the soft-min weights.

    Returns ``(values (B,), W (B, N, M, 2))``; W holds the normalised weights
    of the diagonal and upper predecessors of each cell (zero outside the band
    and the lengths), which is all :func:`soft_dtw_backward` needs.
    """
    B, N, M = C.shape
    out = np.empty(B, dtype=C.dtype)
    W = np.zeros((B, N, M, 2), dtype=C.dtype)
    kind, radius, slope = band
    big, cut = constants(C.dtype)
    _forward_kernel(C, lx, ly, int(kind), int(radius), float(slope), float(gamma), big, cut,
                    W, out)
    return out, W


def soft_dtw_backward(W, lx, ly, band):
    """Expected alignments E (B, N, M) = d soft-DTW / d C from the weights W."""
    B, N, M = W.shape[0], W.shape[1], W.shape[2]
    E = np.zeros((B, N, M), dtype=W.dtype)
    kind, radius, slope = band
    _backward_kernel(W, lx, ly, int(kind), int(radius), float(slope), E)
    return E
