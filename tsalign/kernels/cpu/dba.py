"""DTW Barycenter Averaging on the CPU (numba).

One pass of DBA over a dataset in one call: for every series, the exact DTW
path to its barycenter (accumulated costs in per-thread scratch, costs computed
on the fly from the series, tslearn's tie-break: diagonal, then up, then left),
and the weighted sums of the frames each barycenter frame is aligned with.
Threads work on chunks of series with private accumulators, summed at the end,
so the result does not depend on the scheduling.

In float64, series of one (cluster, length) go through the DP up to ``LANES``
at a time (``_lanes_group``, ``_lanes_forward``): two ``_simd`` vectors per
cell, the left neighbours carried in registers, so the cells' dependency
chains (each cell waits for its left neighbour) overlap; the forward stores
each cell's choice (one byte) and the backtrack follows them, branch-free.
The other series (float32 data, long series, a few of one (cluster, length))
go one at a time (``_pair_accumulate``); both run in ``_accumulate_kernel``.
The values are bit-identical either way, the sums differ only by the order of
the additions (benchmarks/README_barycenters.md has the speeds).

``dba_subgradient_epoch`` is one epoch of the stochastic subgradient mean of
Schultz & Jain (2018): sequential by nature (each step moves the barycenter the
next path is computed against), so it runs on one thread.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from .._contract import BAND_NONE
from ._band import band_ranges
from ._jit import n_threads, njit, njit_parallel
from ._lanes import group_size
from ._paths import predecessor
from ._simd import Vec, lanes, to_lane, vadd, vload, vmin, vmul, vsplat, vstore, vsub


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
        i, j = predecessor(R, i, j)
        pi[k] = i
        pj[k] = j
        k += 1
    return R[n - 1, m - 1], k


@njit
def _pair_accumulate(X, b, m, Zk, w, band, bary_first, lo, hi, scratch, sums, counts):
    """One series' DBA contribution: the path of X[b, :m] and barycenter Zk (on the
    rows when ``bary_first``), its frames added with weight w into ``sums`` (S, d)
    and ``counts`` (S,).  ``band``: (kind, radius, slope); ``scratch``: (R, pi, pj)
    of :func:`_pair_path`.  Returns the accumulated cost of the path."""
    S = Zk.shape[0]
    kind, radius, slope = band
    R, pi, pj = scratch
    if bary_first:
        cost, L = _pair_path(Zk, X[b], S, m, kind, radius, slope, lo, hi, R, pi, pj)
    else:
        cost, L = _pair_path(X[b], Zk, m, S, kind, radius, slope, lo, hi, R, pi, pj)
    if w == 0.0:
        return cost
    for t in range(L):
        zi = pi[t] if bary_first else pj[t]
        xj = pj[t] if bary_first else pi[t]
        counts[zi] += w
        for f in range(X.shape[2]):
            sums[zi, f] += w * X[b, xj, f]
    return cost


# --------------------------------------------------------------------------- lanes
# LANES series of one length aligned with one barycenter at once: the DP's lane
# loop is innermost (constant trip count, no dependency between lanes), so LLVM
# vectorises it and the cells' latency chains (each cell waits for its left
# neighbour) overlap.  The forward stores each cell's choice (the backtrack's
# tie-break, computed from the same three values the backtrack would compare),
# so only two rows of accumulated costs are kept.
LANES = 2 * group_size("float64")  # two SIMD vectors of _simd per cell
# the lanes' choice matrices (S x N x LANES bytes per thread) stay below this
LANE_BYTES = 1 << 23
# A lane group costs about as much as this many pairs one at a time (0.29 vs 2.2 ns of
# CPU per cell and series, 1000 x 128, benchmarks/README_barycenters.md): a
# (cluster, length)'s last series go through a partial group from this count on.
MIN_FILL = 4
_DIAG, _UP, _LEFT = 0, 1, 2


@intrinsic
def _vchoice(typingctx, dg, m1, up, lf):
    """The backtrack's choice of each lane as int8: 0 (diagonal) unless ``dg > m1``,
    then 1 (up) unless ``up > lf``, then 2 (left)."""
    if not (isinstance(dg, Vec) and dg == m1 and dg == up and dg == lf):
        return None
    out = Vec(types.int8, dg.count)
    sig = out(dg, m1, up, lf)

    def codegen(context, builder, signature, args):
        it = ir.VectorType(ir.IntType(8), dg.count)
        const = [ir.Constant(it, [v] * dg.count) for v in (_DIAG, _UP, _LEFT)]
        past_diag = builder.fcmp_ordered(">", args[0], args[1])
        past_up = builder.fcmp_ordered(">", args[2], args[3])
        return builder.select(past_diag, builder.select(past_up, const[2], const[1]), const[0])

    return sig, codegen


@njit
def _lanes_forward(A, B, n, m, banded, shared, lo, hi, crow, rows, dirs, ends):
    """Accumulated costs of NL pairs (A[:n, :, l], B[:m, :, l]), choices in ``dirs``.

    A (n, d, NL), B (m, d, NL) float64; ``rows`` (2 (m + 1), NL) holds the
    previous and the current row (column j at index j + 1 of its half, index 0
    the ``inf`` of column -1); ``dirs`` (n, >= m, NL) int8.  The cell arithmetic
    is ``_pair_path``'s (cost summed over the features from 0.0, plus the
    smallest predecessor), so the values are bit-identical; the choice is the
    backtrack's (diagonal, then up, then left on ties): diagonal unless it
    exceeds min(up, left), then up unless it exceeds left.  The NL = 2 G lanes
    are two ``_simd`` vectors per cell, the left neighbours carried in
    registers (two independent chains per cell).  With ``d == 1`` the cost is
    computed in the cell, from one row frame (``shared == 1``, the barycenter on
    the rows) or one column frame (``shared == 2``) common to every lane.
    ``ends[l]`` = accumulated cost of the end cell.
    """
    inf = np.inf
    d = A.shape[1]
    NL = rows.shape[1]
    G = lanes(rows)
    W = m + 1
    D = dirs.shape[1] * NL
    for j in range(2 * W):
        for l in range(NL):
            rows[j, l] = inf
    for i in range(n):
        po = (i & 1) * W
        co = W - po
        a = lo[i]
        b = hi[i]
        if banded:
            for j in range(W):
                for l in range(NL):
                    rows[co + j, l] = inf
        if d > 1 or i == 0:
            for j in range(a, b):
                for l in range(NL):
                    crow[j, l] = 0.0
            for f in range(d):
                for j in range(a, b):
                    for l in range(NL):
                        diff = A[i, f, l] - B[j, f, l]
                        crow[j, l] += diff * diff
        if i == 0:
            for l in range(NL):
                rows[co + 1, l] = crow[0, l]
            for j in range(1, b):
                for l in range(NL):
                    rows[co + j + 1, l] = crow[j, l] + rows[co + j, l]
            continue
        left0 = vload(rows, (co + a) * NL)
        left1 = vload(rows, (co + a) * NL + G)
        a0 = vload(A, i * d * NL)  # lane-wise row frame (shared == 2)
        a1 = vload(A, i * d * NL + G)
        ai = vsplat(a0, A[i, 0, 0])  # the common row frame (shared == 1)
        base = i * D
        for j in range(a, b):
            p = (po + j) * NL
            dg0 = vload(rows, p)
            dg1 = vload(rows, p + G)
            up0 = vload(rows, p + NL)
            up1 = vload(rows, p + NL + G)
            m0 = vmin(up0, left0)
            m1 = vmin(up1, left1)
            best0 = vmin(dg0, m0)
            best1 = vmin(dg1, m1)
            vstore(dirs, base + j * NL, _vchoice(dg0, m0, up0, left0))
            vstore(dirs, base + j * NL + G, _vchoice(dg1, m1, up1, left1))
            if d > 1:
                c0 = vload(crow, j * NL)
                c1 = vload(crow, j * NL + G)
            elif shared == 1:
                diff0 = vsub(ai, vload(B, j * NL))
                diff1 = vsub(ai, vload(B, j * NL + G))
                c0 = vmul(diff0, diff0)
                c1 = vmul(diff1, diff1)
            else:
                bj = vsplat(a0, B[j, 0, 0])
                diff0 = vsub(a0, bj)
                diff1 = vsub(a1, bj)
                c0 = vmul(diff0, diff0)
                c1 = vmul(diff1, diff1)
            left0 = vadd(c0, best0)
            left1 = vadd(c1, best1)
            vstore(rows, (co + j + 1) * NL, left0)
            vstore(rows, (co + j + 1) * NL + G, left1)
    fo = ((n - 1) & 1) * W
    fo = W - fo
    for l in range(NL):
        ends[l] = rows[fo + m, l]


@njit
def _lanes_group(data, order, s, cnt, bary_first, banded, lo, hi, scratch, sums, counts, costs):
    """DBA accumulation of the ``cnt`` <= LANES series ``idx[order[s:s + cnt]]`` (one
    length, one k); lanes past ``cnt`` repeat the first series and are not used.
    ``data``: the arrays of :func:`dba_accumulate`; ``scratch``: the lane buffers
    (A, B, crow, rows, dirs, ends) of :func:`_lanes_forward`."""
    X, lx, Z, assign, weights, idx = data
    A, B, crow, rows, dirs, ends = scratch
    d = X.shape[2]
    b0 = idx[order[s]]
    k = assign[b0]
    m_x = lx[b0]
    S = Z.shape[1]
    for l in range(A.shape[2]):
        b = idx[order[s + (l if l < cnt else 0)]]
        if bary_first:
            to_lane(Z[k], S, A, l)
            to_lane(X[b], m_x, B, l)
        else:
            to_lane(X[b], m_x, A, l)
            to_lane(Z[k], S, B, l)
    n = S if bary_first else m_x
    m = m_x if bary_first else S
    _lanes_forward(A, B, n, m, banded, 1 if bary_first else 2, lo, hi, crow, rows, dirs, ends)
    for l in range(cnt):
        q = order[s + l]
        b = idx[q]
        costs[q] = ends[l]
        w = weights[b]
        if w == 0.0 or ends[l] == np.inf:
            continue
        i = n - 1
        j = m - 1
        while True:
            if bary_first:
                zi = i
                xj = j
            else:
                zi = j
                xj = i
            counts[k, zi] += w
            for f in range(d):
                sums[k, zi, f] += w * X[b, xj, f]
            if i == 0 and j == 0:
                break
            # branch-free step (the choices are data, a branch on them mispredicts):
            # row 0 can only go left, column 0 only up
            ch = dirs[i, j, l]
            di = (ch != _LEFT) | (j == 0)
            dj = (ch != _UP) | (i == 0)
            ok = (i > 0) & (j > 0)
            i -= di if ok else (i > 0)
            j -= dj if ok else (j > 0)


@njit_parallel
def _accumulate_kernel(data, tasks, band, bary_first, sums, counts, costs):
    """``data``: (X, lx, Z, assign, weights, idx) of :func:`dba_accumulate`;
    ``tasks``: (order, t_start, t_lanes, c_start) of :func:`_lane_tasks`."""
    X, lx, Z, assign, weights, idx = data
    order, t_start, t_lanes, c_start = tasks
    kind, radius, slope = band
    n_chunks = sums.shape[0]
    N = X.shape[1]
    S = Z.shape[1]
    d = X.shape[2]
    rows = S if bary_first else N
    cols = N if bary_first else S
    banded = kind != BAND_NONE
    for c in prange(n_chunks):
        t0 = c_start[c]
        t1 = c_start[c + 1]
        if t0 >= t1:
            continue
        lo = np.empty(rows, dtype=np.int64)
        hi = np.empty(rows, dtype=np.int64)
        # lane buffers (empty when every task is a single pair)
        lr = rows if t_lanes[t0] else 0
        lc = cols if t_lanes[t0] else 0
        lane_scratch = (
            np.empty((lr, d, LANES), dtype=np.float64),
            np.empty((lc, d, LANES), dtype=np.float64),
            np.empty((lc, LANES), dtype=np.float64),
            np.empty((2 * (lc + 1), LANES), dtype=np.float64),
            np.empty((lr, lc, LANES), dtype=np.int8),
            np.empty(LANES, dtype=np.float64),
        )
        # single-pair buffers
        pair_scratch = (
            np.empty((rows, cols), dtype=X.dtype),
            np.empty(rows + cols, dtype=np.int64),
            np.empty(rows + cols, dtype=np.int64),
        )
        last = (-1, -1)
        for t in range(t0, t1):
            s = t_start[t]
            q = order[s]
            b = idx[q]
            k = assign[b]
            if t_lanes[t]:
                n = S if bary_first else lx[b]
                m = lx[b] if bary_first else S
                if (n, m) != last:
                    band_ranges(n, m, kind, radius, slope, lo, hi)
                    last = (n, m)
                _lanes_group(
                    data,
                    order,
                    s,
                    t_lanes[t],
                    bary_first,
                    banded,
                    lo,
                    hi,
                    lane_scratch,
                    sums[c],
                    counts[c],
                    costs,
                )
                continue
            last = (-1, -1)
            costs[q] = _pair_accumulate(
                X,
                b,
                lx[b],
                Z[k],
                weights[b],
                band,
                bary_first,
                lo,
                hi,
                pair_scratch,
                sums[c, k],
                counts[c, k],
            )


def _lane_tasks(lx, assign, idx, S, n_chunks, lanes_on=True):
    """Tasks of the lanes kernel: groups of up to LANES series of one (cluster, length),
    then singles.

    Returns ``(order, t_start, t_lanes, c_start)``: ``order`` the positions in
    ``idx`` sorted by (cluster, length), task t covers ``order[t_start[t]:]``
    (``t_lanes[t]`` series in one lane group, or one series when it is 0), chunk
    c the tasks ``c_start[c]:c_start[c + 1]`` (contiguous, balanced by cells).
    The rest of a (cluster, length) after its full groups is a partial group
    when it has at least ``MIN_FILL`` series, otherwise singles; all are singles
    unless ``lanes_on``.
    """
    b = idx
    key_k = assign[b]
    key_m = lx[b]
    order = np.lexsort((key_m, key_k)).astype(np.int64)
    ks = key_k[order]
    ms = key_m[order]
    brk = np.flatnonzero((np.diff(ks) != 0) | (np.diff(ms) != 0)) + 1
    starts = np.concatenate(([0], brk))
    stops = np.concatenate((brk, [len(order)]))
    lane_t, lane_n, single_t = [], [], []
    for a, z in zip(starts.tolist(), stops.tolist(), strict=True):
        full = (z - a) // LANES if lanes_on else 0
        lane_t.extend(range(a, a + full * LANES, LANES))
        lane_n.extend([LANES] * full)
        rest = a + full * LANES
        if lanes_on and z - rest >= MIN_FILL:
            lane_t.append(rest)
            lane_n.append(z - rest)
        else:
            single_t.extend(range(rest, z))
    t_start = np.asarray(lane_t + single_t, dtype=np.int64)
    t_lanes = np.zeros(len(t_start), dtype=np.int64)
    t_lanes[: len(lane_t)] = lane_n
    cells = ms[t_start].astype(np.float64) * S
    cost = np.where(t_lanes > 0, cells * (LANES / MIN_FILL), cells)
    cum = np.cumsum(cost)
    total = cum[-1] if len(cum) else 0.0
    cuts = np.searchsorted(cum, total * np.arange(1, n_chunks) / n_chunks, side="left") + 1
    c_start = np.concatenate(([0], np.minimum(cuts, len(t_start)), [len(t_start)]))
    c_start = np.maximum.accumulate(c_start).astype(np.int64)
    return order, t_start, t_lanes, c_start


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
    N = X.shape[1]
    lanes_on = X.dtype == np.float64 and p >= MIN_FILL and S * N * LANES <= LANE_BYTES
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    assign = np.ascontiguousarray(assign, dtype=np.int64)
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    data = (
        np.ascontiguousarray(X),
        lx,
        np.ascontiguousarray(Z, dtype=X.dtype),
        assign,
        np.ascontiguousarray(weights, dtype=np.float64),
        idx,
    )
    tasks = _lane_tasks(lx, assign, idx, S, n_chunks, lanes_on)
    band = (int(kind), int(radius), float(slope))
    work = int(np.sum(lx[idx])) * S
    _accumulate_kernel.run(work, data, tasks, band, bool(bary_first), sums, counts, costs)
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
