"""Exact DTW values of many pairs at once: one pair per SIMD lane (numba).

The scalar value kernel (``_rows.rolling_rows``) is latency-bound: each cell is a min
and an add waiting on its left neighbour.  Here a lane group of ``G`` pairs
(:mod:`._lanes`; 16 float64 or 32 float32) shares that dependency chain: every
scratch array is lane-major (``rows[j, lane]``, ``xs[i, feature, lane]``) and
each cell of the group is a handful of vector instructions on ``G``-lane
:class:`._simd.Vec` values (``vload``/``vmin``/``vadd``/``vstore``).  What makes
it vectorise: the lanes are the last, contiguous axis, so a cell's operands are
unit-stride vector loads at offset ``j * G``; the left neighbour is a vector
value carried in registers from cell to cell (not reloaded from memory); the
band and length masks are vector selects; nothing in a row's loop branches on
data.  ``G`` is several registers wide (two to four ymm or zmm per operation)
because one cell's chain (a min and an add, ~8 cycles) is longer than the
throughput cost of one vector: independent vectors fill the pipeline.

No ``fastmath``: the results are bit-identical to the scalar kernel, because
each lane does the scalar kernel's arithmetic in its order:
``min(min(prev[j+1], prev[j]), left)``, then ``cost + best``, the cost summed
over features from 0 in float64 with the left neighbour carried in float64 when
d > 1 (as the scalar kernel does, float32 data included), no FMA contraction.
Min and add are exact on non-NaN inputs, so lanes change nothing but speed.

Groups whose pairs share their lengths (all of them for equal-length datasets;
most after :func:`._lanes.length_order`) run the *uniform* rows: one band for
all lanes, exactly the scalar kernel's loop bounds.  Other groups run the
*masked* rows over the union of the lanes' bands, each cell a select of its
lane's band.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import band_ranges
from ._jit import njit, njit_inline, njit_parallel
from ._pairs import chunk_of, pair_of
from ._simd import lanes, to_lane, vadd, vinside, vload, vmin, vmul, vsplat, vstore, vsub, vwiden


@njit
def _gather(X, Y, ia, ib, nmax, mmax, xs, ys, G):
    """Lane-major copies of the group's series: xs[i, k, l] = X[ia[l], i, k]."""
    for l in range(G):
        to_lane(X[ia[l]], nmax, xs, l)
        to_lane(Y[ib[l]], mmax, ys, l)


@njit
def _row1(xs, ys, i, j0, j1, prev, cur, G):
    """Cells j0 <= j < j1 of row i of every lane, one feature (data dtype)."""
    left = vload(cur, j0 * G)
    xi = vload(xs, i * G)
    for j in range(j0, j1):
        best = vmin(vmin(vload(prev, (j + 1) * G), vload(prev, j * G)), left)
        diff = vsub(xi, vload(ys, j * G))
        left = vadd(vmul(diff, diff), best)
        vstore(cur, (j + 1) * G, left)


@njit
def _cost_d(xs, ys, i, j, d, G):
    """Squared cost of cell (i, j) of every lane, summed over d features from 0
    in float64 (each feature's square in the data dtype), as the scalar kernel."""
    c = vsplat(vwiden(vload(xs, i * d * G)), 0.0)
    for k in range(d):
        diff = vsub(vload(xs, (i * d + k) * G), vload(ys, (j * d + k) * G))
        c = vadd(c, vwiden(vmul(diff, diff)))
    return c


@njit
def _row_d(xs, ys, i, j0, j1, prev, cur, G):
    """Cells j0 <= j < j1 of row i of every lane, d features: the cost summed in
    float64 and the left neighbour carried in float64 (as the scalar kernel)."""
    d = xs.shape[1]
    left = vwiden(vload(cur, j0 * G))
    for j in range(j0, j1):
        best = vwiden(vmin(vload(prev, (j + 1) * G), vload(prev, j * G)))
        left = vadd(_cost_d(xs, ys, i, j, d, G), vmin(left, best))
        vstore(cur, (j + 1) * G, left)


@njit
def _row1_masked(xs, ys, i, j0, j1, LO, HI, prev, cur, G):
    """:func:`_row1` where lane l's cells outside LO[i, l] <= j < HI[i, l] are inf."""
    left = vload(cur, j0 * G)
    inf = vsplat(left, np.inf)
    xi = vload(xs, i * G)
    for j in range(j0, j1):
        best = vmin(vmin(vload(prev, (j + 1) * G), vload(prev, j * G)), left)
        diff = vsub(xi, vload(ys, j * G))
        left = vinside(vadd(vmul(diff, diff), best), inf, LO, HI, i * G, j)
        vstore(cur, (j + 1) * G, left)


@njit
def _row_d_masked(xs, ys, i, j0, j1, LO, HI, prev, cur, G):
    """:func:`_row_d` where lane l's cells outside LO[i, l] <= j < HI[i, l] are inf."""
    d = xs.shape[1]
    left = vwiden(vload(cur, j0 * G))
    inf = vsplat(left, np.inf)
    for j in range(j0, j1):
        best = vwiden(vmin(vload(prev, (j + 1) * G), vload(prev, j * G)))
        v = vadd(_cost_d(xs, ys, i, j, d, G), vmin(left, best))
        left = vinside(v, inf, LO, HI, i * G, j)
        vstore(cur, (j + 1) * G, left)


@njit_inline
def _fill_inf(rows, start, stop, G):
    inf = np.inf
    for j in range(start, stop):
        for l in range(G):
            rows[j, l] = inf


@njit_inline
def _start_rows(prev, cur, m, G):
    """Both rows inf over slots 0 .. m, but R[-1, -1] = 0 (prev's slot 0)."""
    _fill_inf(prev, 0, m + 1, G)
    _fill_inf(cur, 0, m + 1, G)
    for l in range(G):
        prev[0, l] = 0.0


@njit
def _group_uniform(xs, ys, n, m, kind, radius, slope, lo, hi, prev, cur, G):
    """All lanes n x m: the scalar kernel's loop, G pairs per cell.  Returns the
    rows holding row n - 1 (its slot m is each lane's value)."""
    band_ranges(n, m, kind, radius, slope, lo, hi)
    _start_rows(prev, cur, m, G)
    d = xs.shape[1]
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        _fill_inf(cur, 0, 1, G)
        if i >= 2:
            # row i-2's entries left of this row's range are stale (bounds are
            # non-decreasing, so nothing stale lies right of hi_i)
            _fill_inf(cur, lo[i - 2] + 1, lo_i + 1, G)
        if d == 1:
            _row1(xs, ys, i, lo_i, hi_i, prev, cur, G)
        else:
            _row_d(xs, ys, i, lo_i, hi_i, prev, cur, G)
        prev, cur = cur, prev
    return prev


@njit_inline
def max_lengths(ns, ms, G):
    """The longest of the G lanes' lengths ``ns`` and ``ms``."""
    nmax = np.int64(0)  # int64, not a literal: see _jit.njit_inline
    mmax = np.int64(0)
    for l in range(G):
        nmax = max(nmax, ns[l])
        mmax = max(mmax, ms[l])
    return nmax, mmax


@njit
def _group_masked(  # noqa: PLR0913
    xs, ys, ns, ms, kind, radius, slope, lo, hi, LO, HI, ulo, uhi, prev, cur, res, G
):
    """Lanes of different lengths: row i runs over the union of the lanes' bands
    ``ulo[i] <= j < uhi[i]``; a lane's cells outside its own band (or past its
    lengths) are inf; lane l's value is read when row ns[l] - 1 is done."""
    nmax, mmax = max_lengths(ns, ms, G)
    for l in range(G):
        band_ranges(ns[l], ms[l], kind, radius, slope, lo, hi)
        for i in range(nmax):
            if i < ns[l]:
                LO[i, l] = lo[i]
                HI[i, l] = hi[i]
            else:  # past the lane's rows: no cell
                LO[i, l] = 0
                HI[i, l] = 0
    for i in range(nmax):
        a = mmax
        b = 0
        for l in range(G):
            if i < ns[l] and HI[i, l] > LO[i, l]:
                a = min(a, LO[i, l])
                b = max(b, HI[i, l])
        ulo[i] = a
        uhi[i] = max(a, b)
    _start_rows(prev, cur, mmax, G)
    d = xs.shape[1]
    for i in range(nmax):
        j0 = ulo[i]
        j1 = uhi[i]
        if i >= 1:
            # after this, everything outside j0 + 1 .. j1 is inf: row i-2's
            # range ulo[i-2] + 1 .. uhi[i-2] minus the part row i overwrites
            # (ranges of rows i-2 are the only finite entries of ``cur``)
            p0 = ulo[i - 2] + 1 if i >= 2 else 0
            p1 = uhi[i - 2] + 1 if i >= 2 else 1
            _fill_inf(cur, p0, min(p1, j0 + 1), G)
            _fill_inf(cur, max(p0, j1 + 1), p1, G)
            _fill_inf(cur, 0, 1, G)
        if d == 1:
            _row1_masked(xs, ys, i, j0, j1, LO, HI, prev, cur, G)
        else:
            _row_d_masked(xs, ys, i, j0, j1, LO, HI, prev, cur, G)
        for l in range(G):
            if i == ns[l] - 1:
                res[l] = cur[ms[l], l]
        prev, cur = cur, prev


@njit_inline
def group_scratch(N, M, G, like):
    """The rows and band arrays of :func:`group_values` for lane groups of pairs of
    up to N x M (rows in the dtype of ``like``)."""
    return (
        np.empty((M + 1, G), dtype=like.dtype),
        np.empty((M + 1, G), dtype=like.dtype),
        np.empty(N, dtype=np.int64),
        np.empty(N, dtype=np.int64),
        np.empty((N, G), dtype=np.int64),
        np.empty((N, G), dtype=np.int64),
        np.empty(N, dtype=np.int64),
        np.empty(N, dtype=np.int64),
    )


@njit_inline
def group_values(xs, ys, ns, ms, kind, radius, slope, scratch, res, G):
    """``res[l]`` = DTW of lane l of a group (series gathered in ``xs`` / ``ys``,
    lengths ``ns`` / ``ms``): the uniform rows when every lane has the same lengths,
    else the masked ones.  ``scratch``: from :func:`group_scratch`.  Inlined: as a
    call, the masked groups of ``dtw_values`` ran 4-15% slower
    (benchmarks/README_house.md)."""
    prev, cur, lo, hi, LO, HI, ulo, uhi = scratch
    uniform = True
    for l in range(G):
        uniform = uniform and ns[l] == ns[0] and ms[l] == ms[0]
    if uniform:
        m = ms[0]
        rows = _group_uniform(xs, ys, ns[0], m, kind, radius, slope, lo, hi, prev, cur, G)
        for l in range(G):
            res[l] = rows[m, l]
    else:
        _group_masked(
            xs, ys, ns, ms, kind, radius, slope, lo, hi, LO, HI, ulo, uhi, prev, cur, res, G
        )


@njit_parallel
def _dtw_lanes_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, n_chunks):
    """out[q] = DTW of pair p_start + q, by lane groups of G pairs, n_chunks
    chunks of groups.  The last group's missing lanes repeat its last pair
    (their results are dropped): one kernel for any count, where a scalar
    kernel for the remainder would be compiled and run besides."""
    G = lanes(out)
    n_pairs = out.shape[0]
    n_groups = (n_pairs + G - 1) // G
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    nx = X.shape[0]
    ny = Y.shape[0]
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_groups)
        # per-chunk scratch (an empty chunk loops zero times)
        xs = np.empty((N, d, G), dtype=X.dtype)
        ys = np.empty((M, d, G), dtype=Y.dtype)
        scratch = group_scratch(N, M, G, out)
        res = np.empty(G, dtype=out.dtype)
        ia = np.empty(G, dtype=np.int64)
        ib = np.empty(G, dtype=np.int64)
        ns = np.empty(G, dtype=np.int64)
        ms = np.empty(G, dtype=np.int64)
        for g in range(start, stop):
            for l in range(G):
                a, b = pair_of(p_start + min(g * G + l, n_pairs - 1), mode, nx, ny)
                ia[l] = a
                ib[l] = b
                ns[l] = lx[a]
                ms[l] = ly[b]
            nmax, mmax = max_lengths(ns, ms, G)
            _gather(X, Y, ia, ib, nmax, mmax, xs, ys, G)
            group_values(xs, ys, ns, ms, kind, radius, slope, scratch, res, G)
            for l in range(min(G, n_pairs - g * G)):
                out[g * G + l] = res[l]
