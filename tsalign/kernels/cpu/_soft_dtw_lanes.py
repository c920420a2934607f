"""Soft-DTW values of many pairs at once: one pair per SIMD lane (numba).

The per-pair kernel (``soft_dtw._sweep``) walks one pair by anti-diagonals.
Here a lane group of ``G`` pairs (:mod:`._lanes`) walks its rows together:
every scratch array is lane-major (``rows[j, lane]``), and each cell of the
group is one call of :func:`._softmin.value_cells` on the lanes, the very loop
the per-pair kernel runs on an anti-diagonal's cells, so both kernels give the
same bits for a pair.  What makes LLVM vectorise that loop: the lanes are the
last, contiguous axis; the body has no call (the exp/log of :mod:`._vmath` are
inlined arithmetic and bit casts) and no branch (mins and the sentinel test
are selects); the trip count is read from the array's shape, so the loop
vectoriser (not the SLP one, which gives up on a fully unrolled loop whose
stores might alias its loads) handles it, with a few runtime alias checks per
cell.  The left neighbour is read back from the row just written, but one
cell's exp and log chain is long (~200 cycles) next to the store-to-load
forwarding.  Band and length masks are a select loop after the cells.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import band_ranges
from ._jit import njit, njit_parallel, njit_vec_exact
from ._pairs import chunk_of, pair_of
from ._simd import lanes
from ._softmin import value_cells


@njit
def _gather(X, Y, ia, ib, nmax, mmax, xs, ys, G):
    """Lane-major copies of the group's series: xs[i, k, l] = X[ia[l], i, k]."""
    d = X.shape[2]
    for l in range(G):
        xa = X[ia[l]]
        yb = Y[ib[l]]
        for i in range(nmax):
            for k in range(d):
                xs[i, k, l] = xa[i, k]
        for j in range(mmax):
            for k in range(d):
                ys[j, k, l] = yb[j, k]


@njit
def _costs(xs, ys, i, j, zero, c):
    """c[l] = squared cost of cell (i, j) of lane l, summed over features from 0
    (the scalar kernel's arithmetic: no fast-math flag)."""
    d = xs.shape[1]
    for l in range(c.shape[0]):
        c[l] = zero
    for k in range(d):
        for l in range(c.shape[0]):
            df = xs[i, k, l] - ys[j, k, l]
            c[l] += df * df


@njit_vec_exact
def _outside_band(lo, hi, j, big, row):
    """row[l] = big where column j lies outside lane l's band lo[l] <= j < hi[l]."""
    for l in range(row.shape[0]):
        row[l] = row[l] if (j >= lo[l]) & (j < hi[l]) else big


@njit
def _fill(rows, start, stop, value):
    for j in range(start, stop):
        for l in range(rows.shape[1]):
            rows[j, l] = value


@njit
def _group(
    xs, ys, ns, ms, kind, radius, slope, gamma, big, lo, hi, LO, HI, ulo, uhi, prev, cur, c,
    res,
):  # fmt: skip
    """Soft-DTW of the group's lanes (lane l: ns[l] x ms[l]) into res: row i runs
    over the union of the lanes' bands ``ulo[i] <= j < uhi[i]``."""
    G = ns.shape[0]
    one = big / big  # 1 and 0 in the working dtype: float64 literals would promote
    zero = big - big
    inv_gamma = one / gamma
    nmax = 0
    mmax = 0
    for l in range(G):
        nmax = max(nmax, ns[l])
        mmax = max(mmax, ms[l])
    for l in range(G):
        band_ranges(ns[l], ms[l], kind, radius, slope, lo, hi)
        for i in range(nmax):
            inside = i < ns[l]
            LO[i, l] = lo[i] if inside else 0
            HI[i, l] = hi[i] if inside else 0  # past the lane's rows: no cell
    for i in range(nmax):
        a = mmax
        b = 0
        for l in range(G):
            if HI[i, l] > LO[i, l]:
                a = min(a, LO[i, l])
                b = max(b, HI[i, l])
        ulo[i] = a
        uhi[i] = max(a, b)
    _fill(prev, 0, mmax + 1, big)
    _fill(cur, 0, mmax + 1, big)
    for l in range(G):
        prev[0, l] = zero  # R[-1, -1]
    for i in range(nmax):
        j0 = ulo[i]
        j1 = uhi[i]
        if i >= 1:
            # everything outside j0 + 1 .. j1 is big after this: row i-2's range
            # ulo[i-2] + 1 .. uhi[i-2] minus what row i overwrites
            p0 = ulo[i - 2] + 1 if i >= 2 else 0
            p1 = uhi[i - 2] + 1 if i >= 2 else 1
            _fill(cur, p0, min(p1, j0 + 1), big)
            _fill(cur, max(p0, j1 + 1), p1, big)
            _fill(cur, 0, 1, big)
        LOi = LO[i]
        HIi = HI[i]
        for j in range(j0, j1):
            _costs(xs, ys, i, j, zero, c)
            value_cells(c, prev[j], prev[j + 1], cur[j], gamma, inv_gamma, big, cur[j + 1])
            _outside_band(LOi, HIi, j, big, cur[j + 1])
        for l in range(G):
            if i == ns[l] - 1:
                res[l] = cur[ms[l], l]
        prev, cur = cur, prev


@njit_parallel
def _soft_dtw_lanes_kernel(
    X, Y, lx, ly, mode, p_start, out, kind, radius, slope, gamma, big, n_chunks
):
    """out[q] = soft-DTW of pair p_start + q for the out.shape[0] // G full lane
    groups (``out.shape[0]`` is a multiple of G), n_chunks chunks of groups."""
    G = lanes(out)
    n_groups = out.shape[0] // G
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_groups)
        # per-chunk scratch (an empty chunk loops zero times)
        xs = np.empty((N, d, G), dtype=X.dtype)
        ys = np.empty((M, d, G), dtype=Y.dtype)
        prev = np.empty((M + 1, G), dtype=out.dtype)
        cur = np.empty((M + 1, G), dtype=out.dtype)
        cost = np.empty(G, dtype=out.dtype)
        res = np.empty(G, dtype=out.dtype)
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        LO = np.empty((N, G), dtype=np.int64)
        HI = np.empty((N, G), dtype=np.int64)
        ulo = np.empty(N, dtype=np.int64)
        uhi = np.empty(N, dtype=np.int64)
        ia = np.empty(G, dtype=np.int64)
        ib = np.empty(G, dtype=np.int64)
        ns = np.empty(G, dtype=np.int64)
        ms = np.empty(G, dtype=np.int64)
        for g in range(start, stop):
            for l in range(G):
                a, b = pair_of(p_start + g * G + l, mode, X.shape[0], Y.shape[0])
                ia[l] = a
                ib[l] = b
                ns[l] = lx[a]
                ms[l] = ly[b]
            _gather(X, Y, ia, ib, ns.max(), ms.max(), xs, ys, G)
            _group(
                xs, ys, ns, ms, kind, radius, slope, gamma, big, lo, hi, LO, HI, ulo, uhi,
                prev, cur, cost, res,
            )  # fmt: skip
            for l in range(G):
                out[g * G + l] = np.inf if res[l] >= big else res[l]
