"""Exact DTW nearest-neighbour search and subsequence search on the CPU (numba).

kNN (``dtw_kneighbors``): for each query, in parallel over queries,

1. every candidate gets the bound ``max(LB_Kim, LB_Keogh(query, envelope of the
   candidate))``; the candidates' envelopes are computed once per call (for the
   most common query length, on the fly for the others);
2. candidates are visited in increasing order of that bound, and the visit stops
   at the first bound above the k-th best distance so far;
3. a visited candidate meets LB_Keogh(candidate, envelope of the query), then
   LB_Improved (Lemire 2009), each abandoned as soon as it exceeds the k-th best,
   then an early-abandoned and pruned DTW (EAPruned, Herrmann & Webb 2021) whose
   rows carry the cumulative LB_Keogh of the rows still to come.

Every bound holds for any band and unequal lengths: envelopes are taken over the
columns (rows) that the band of *that pair of lengths* allows in each row
(column), so a bound never assumes more than the DTW it bounds.  The DTW cells
are computed with the arithmetic of ``kernels/cpu/dtw.py`` (same operations in
the same order and precision), so a distance that survives is bit-identical to
brute force, and pruning is exact: bounds are compared with the k-th best
inflated by a rounding margin, DTW cells with the k-th best itself; ties go to
the lower index.

Subsequence search (``dtw_subsequence_search``) is the UCR suite (Rakthanmanon
et al. 2012) with the same DTW, see its docstring.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._contract import BAND_ITAKURA, BAND_SAKOE_CHIBA
from . import _lanes
from ._band import band_ranges
from ._dtw_lanes import group_scratch, group_values
from ._jit import _VEC_FLAGS, _jit, n_threads, njit, njit_inline, njit_parallel
from ._pairs import chunk_of
from ._simd import lanes, to_lane
from .dtw import dtw_values


def _njit_sum(fn):
    """Serial helper whose sums may be vectorised (reassociated): only for
    bounds, which are compared with a threshold inflated by ``_rounding_margin``."""
    return _jit(fn, fastmath=_VEC_FLAGS | {"reassoc"}, error_model="numpy")


# columns of the statistics arrays (see kernels/_contract.py NN_STATS / SUBSEQ_STATS)
S_KIM, S_KEOGH_EC, S_ENHANCED, S_KEOGH_EQ, S_TIGHT, S_DTW_ABANDONED, S_DTW_FULL = range(7)
N_STATS = 7


# --------------------------------------------------------------------------- helpers
@njit
def _rounding_margin(n, m, d, eps):
    """Relative slack between a float64 bound and a DTW summed in the data's dtype."""
    return 4.0 * (n + m + d + 4) * eps


@njit
def _inflate(thr, margin):
    if thr == np.inf:
        return np.inf
    return thr * (1.0 + margin) + 1e-300


@njit
def _inflate_t(v, margin, like):
    """``_inflate`` rounded up into the dtype of ``like`` (an upper bound there too)."""
    w = _inflate(v, margin)
    like[1] = w
    if float(like[1]) < w:
        like[1] = _inflate(w, margin)
    return like[1]


@njit
def _col_ranges(n, m, lo, hi, clo, chi):
    """Rows allowed in each column: ``clo[j] <= i < chi[j]`` (from the row ranges)."""
    i = 0
    for j in range(m):
        while i < n and hi[i] <= j:
            i += 1
        clo[j] = i
    i = 0
    for j in range(m):
        while i < n and lo[i] <= j:
            i += 1
        chi[j] = i


@njit_inline
def _band_scratch(n, m):
    """Scratch of the band and envelope helpers for an n x m band: the row ranges
    ``lo`` / ``hi``, the column ranges ``clo`` / ``chi`` and ``_envelope``'s deques."""
    w = max(n, m) + 1
    return (
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(m, dtype=np.int64),
        np.empty(m, dtype=np.int64),
        np.empty(w, dtype=np.int64),
        np.empty(w, dtype=np.int64),
    )


@njit_inline
def _sizes(X, Y, first):
    """``(nr, N, M, d, k)`` of a kNN chunk: the references, the padded lengths of
    queries and references, the features and the neighbours sought."""
    return Y.shape[0], X.shape[1], Y.shape[1], X.shape[2], first.shape[1]


@njit_inline
def _inf_zero(like):
    """inf and 0 in the dtype of ``like`` (the cell values of ``ea_dtw``)."""
    a = np.full(2, np.inf, dtype=like.dtype)
    a[1] = 0.0
    return a[0], a[1]


@njit
def _envelope(v, f, a, b, count, out_lo, out_hi, dq_min, dq_max):
    """Running min / max of ``v[:, f]`` over windows ``[a[w], b[w])``, w < count.

    Window bounds are non-decreasing in w and windows are non-empty (a monotone
    deque, Lemire's streaming min-max: O(b[count-1] - a[0] + count)); the deques
    hold ``b[count - 1] - a[0]`` indices at most.
    """
    hmin = 0
    tmin = 0
    hmax = 0
    tmax = 0
    nxt = a[0] if count > 0 else 0
    for w in range(count):
        stop = b[w]
        while nxt < stop:
            x = v[nxt, f]
            while tmin > hmin and v[dq_min[tmin - 1], f] >= x:
                tmin -= 1
            dq_min[tmin] = nxt
            tmin += 1
            while tmax > hmax and v[dq_max[tmax - 1], f] <= x:
                tmax -= 1
            dq_max[tmax] = nxt
            tmax += 1
            nxt += 1
        start = a[w]
        while dq_min[hmin] < start:
            hmin += 1
        while dq_max[hmax] < start:
            hmax += 1
        out_lo[w, f] = v[dq_min[hmin], f]
        out_hi[w, f] = v[dq_max[hmax], f]


@njit
def _sq(x, i, y, j):
    d = x.shape[1]
    c = 0.0
    for f in range(d):
        diff = float(x[i, f]) - float(y[j, f])
        c += diff * diff
    return c


@njit
def _sq_dt(x, i, y, j):
    """Multivariate cost as kernels/cpu/dtw.py computes it (float64 sum of the
    data-dtype squares)."""
    c = 0.0
    for k in range(x.shape[1]):
        diff = x[i, k] - y[j, k]
        c += diff * diff
    return c


@njit
def _lb_kim(x, y, n, m):
    """First and last cells, then the two next level sets from each end.

    Every path visits each set {max(i, j) = l} and each set {max(n-1-i, m-1-j) = l};
    the six sets used are disjoint when n >= 6 or m >= 6.
    """
    lb = _sq(x, 0, y, 0)
    if n == 1 and m == 1:
        return lb
    lb += _sq(x, n - 1, y, m - 1)
    if n < 6 and m < 6:
        return lb
    for level in range(1, 3):
        best = np.inf
        best_end = np.inf
        for t in range(level + 1):
            # cells (level, t) and (t, level) from the start, mirrored from the end
            if level < n and t < m:
                c = _sq(x, level, y, t)
                if c < best:
                    best = c
            if t < n and level < m:
                c = _sq(x, t, y, level)
                if c < best:
                    best = c
            if level < n and t < m:
                c = _sq(x, n - 1 - level, y, m - 1 - t)
                if c < best_end:
                    best_end = c
            if t < n and level < m:
                c = _sq(x, n - 1 - t, y, m - 1 - level)
                if c < best_end:
                    best_end = c
        lb += best + best_end
    return lb


@njit_inline
def _kim_third(a0, a1, a2, b0, b1, b2):
    """LB_Kim's third level set from one end: the cheapest cell of (2, j <= 2) and
    (i < 2, 2), from the first (or last) three values of each series."""
    return min(
        (a2 - b0) * (a2 - b0),
        (a2 - b1) * (a2 - b1),
        (a2 - b2) * (a2 - b2),
        (a0 - b2) * (a0 - b2),
        (a1 - b2) * (a1 - b2),
    )


@njit_inline
def _lb_kim_1d(X1, q, Y1, c, n, m):
    """``_lb_kim`` of univariate contiguous series ``X1[q, :n]`` and ``Y1[c, :m]``
    with n, m >= 3 and max(n, m) >= 6 (the six level sets written out; rows are
    indexed in place: a view per candidate costs reference counting)."""
    a0 = X1[q, 0]
    a1 = X1[q, 1]
    a2 = X1[q, 2]
    b0 = Y1[c, 0]
    b1 = Y1[c, 1]
    b2 = Y1[c, 2]
    e0 = X1[q, n - 1]
    e1 = X1[q, n - 2]
    e2 = X1[q, n - 3]
    f0 = Y1[c, m - 1]
    f1 = Y1[c, m - 2]
    f2 = Y1[c, m - 3]
    lb = (a0 - b0) * (a0 - b0) + (e0 - f0) * (e0 - f0)
    lb += min((a1 - b0) * (a1 - b0), (a0 - b1) * (a0 - b1), (a1 - b1) * (a1 - b1))
    lb += min((e1 - f0) * (e1 - f0), (e0 - f1) * (e0 - f1), (e1 - f1) * (e1 - f1))
    lb += _kim_third(a0, a1, a2, b0, b1, b2)
    lb += _kim_third(e0, e1, e2, f0, f1, f2)
    return lb


@njit_inline
def _row_term(x, i, L, U):
    """Row i's LB_Keogh term: sum over f of the squared distance from x[i, f] to
    [L[i, f], U[i, f]] (float64)."""
    t = 0.0
    for f in range(x.shape[1]):
        v = float(x[i, f])
        u = float(U[i, f])
        if v > u:
            t += (v - u) * (v - u)
        else:
            lo = float(L[i, f])
            if v < lo:
                t += (lo - v) * (lo - v)
    return t


@njit
def _keogh(x, count, L, U, abandon):
    """sum_i sum_f dist(x[i, f], [L[i, f], U[i, f]])^2 over i < count, abandoned past
    ``abandon`` (float64)."""
    lb = 0.0
    for i in range(count):
        lb += _row_term(x, i, L, U)
        if lb > abandon:
            return lb
    return lb


@njit
def _keogh_cols(y, m, L, U, abandon, sc):
    """LB_Keogh of y against (L, U), abandoned past ``abandon``; when it is not
    abandoned, ``sc[j]`` = the sum of the terms of rows >= j (``sc[m] = 0``)."""
    lb = 0.0
    sc[m] = 0.0
    for j in range(m - 1, -1, -1):
        lb += _row_term(y, j, L, U)
        sc[j] = lb
        if lb > abandon:
            return lb
    return lb


@njit
def _merge_cumulative(cbs, sc, n, hi):
    """Rows after i visit every column >= hi[i]: the cumulative bound of the rows
    below i is the larger of their LB_Keogh terms and those columns' terms."""
    for i in range(n - 1):
        v = sc[hi[i]]
        if v > cbs[i + 1]:
            cbs[i + 1] = v


@njit
def _keogh_rows(x, count, L, U, cbs):
    """Per-row LB_Keogh terms as suffix sums: cbs[i] = sum of rows >= i; cbs[count] = 0."""
    cbs[count] = 0.0
    for i in range(count - 1, -1, -1):
        cbs[i] = cbs[i + 1] + _row_term(x, i, L, U)


@njit
def _improved_tail(x, n, y, m, L, U, clo, chi, h, hL, hU, dq1, dq2, abandon):
    """Second term of LB_Improved: y against the envelope (over each column's rows)
    of x projected onto y's envelope (Lemire 2009)."""
    d = x.shape[1]
    for i in range(n):
        for f in range(d):
            v = x[i, f]
            if v > U[i, f]:
                v = U[i, f]
            elif v < L[i, f]:
                v = L[i, f]
            h[i, f] = v
    for f in range(d):
        _envelope(h, f, clo, chi, m, hL, hU, dq1, dq2)
    return _keogh(y, m, hL, hU, abandon)


@njit
def ea_dtw(x, y, n, m, lo, hi, cbs, ub, thr_lb, prev, cur, inf_t, zero_t):
    """Accumulated squared cost of the best path, or ``inf_t`` once it must exceed ``ub``.

    Same cell arithmetic as ``kernels/cpu/_rows.py::rolling_rows`` (univariate: in the
    data's dtype; multivariate: costs in float64 and the row's running value
    carried unrounded), so a value <= ``ub`` is bit-identical to brute force.
    Cells above ``ub``, or whose value plus the bound of the rows below
    (``cbs[i + 1]``) exceeds ``thr_lb``, are pruned (EAPruned); a row with no
    live cell abandons.  Each row has a part reachable from the row above (live
    cells ``[pstart, pend)`` of the previous row, bordered by ``inf`` sentinels)
    and a tail reached from the left only, which stops at its first pruned cell.
    Returns ``(value, abandoned)``.
    """
    if lo[0] != 0 or hi[n - 1] != m:
        return inf_t, False
    d = x.shape[1]
    pstart = 0
    pend = 0
    for i in range(n):
        a = lo[i]
        b = hi[i]
        cell_thr = min(float(ub), thr_lb - cbs[i + 1])
        nstart = -1
        nend = -1
        if i == 0:
            e = 0
            j0 = 0
        else:
            if a < pstart:
                a = pstart
            if a >= b:
                return inf_t, True
            e = min(b, pend + 1)
            j0 = a
        if d == 1:
            xi = x[i, 0]
            left = inf_t
            j = j0
            if i == 0:
                diff = xi - y[0, 0]
                left = diff * diff + zero_t
                if left > cell_thr:
                    return inf_t, True
                cur[0] = left
                nstart = 0
                nend = 1
                j = 1
            elif j < e and j == 0:
                diff = xi - y[0, 0]
                v = diff * diff + prev[0]
                if v > cell_thr:
                    v = inf_t
                else:
                    nstart = 0
                    nend = 1
                cur[0] = v
                left = v
                j = 1
            for jj in range(j, e):
                best = prev[jj - 1]
                if prev[jj] < best:
                    best = prev[jj]
                if left < best:
                    best = left
                diff = xi - y[jj, 0]
                v = diff * diff + best
                # a cell above the threshold keeps its value (never smaller than
                # the true one, so nothing through it can win) but does not widen
                # the live range: the test stays off the recurrence's critical path
                if v <= cell_thr:
                    if nstart < 0:
                        nstart = jj
                    nend = jj + 1
                cur[jj] = v
                left = v
            for jj in range(max(j, e), b):
                diff = xi - y[jj, 0]
                v = diff * diff + left
                if v > cell_thr:
                    break
                if nstart < 0:
                    nstart = jj
                nend = jj + 1
                cur[jj] = v
                left = v
        else:
            left64 = np.inf
            j = j0
            if i == 0:
                left64 = _sq_dt(x, 0, y, 0)
                cur[0] = left64
                if cur[0] > cell_thr:
                    return inf_t, True
                nstart = 0
                nend = 1
                j = 1
            elif j < e and j == 0:
                left64 = _sq_dt(x, i, y, 0) + prev[0]
                cur[0] = left64
                if cur[0] > cell_thr:
                    cur[0] = inf_t
                    left64 = np.inf
                else:
                    nstart = 0
                    nend = 1
                j = 1
            for jj in range(j, e):
                best64 = left64
                if prev[jj - 1] < best64:
                    best64 = prev[jj - 1]
                if prev[jj] < best64:
                    best64 = prev[jj]
                left64 = _sq_dt(x, i, y, jj) + best64
                cur[jj] = left64
                if cur[jj] <= cell_thr:
                    if nstart < 0:
                        nstart = jj
                    nend = jj + 1
            for jj in range(max(j, e), b):
                left64 = _sq_dt(x, i, y, jj) + left64
                cur[jj] = left64
                if cur[jj] > cell_thr:
                    break
                if nstart < 0:
                    nstart = jj
                nend = jj + 1
        if nstart < 0:
            return inf_t, True
        # sentinels: the next row reads prev[pstart - 1] and prev[pend] as dead cells
        if nstart > 0:
            cur[nstart - 1] = inf_t
        if nend < m:
            cur[nend] = inf_t
        pstart = nstart
        pend = nend
        prev, cur = cur, prev
    if pend == m:
        return prev[m - 1], False
    return inf_t, True


@njit_inline
def _insert(topd, topi, r, count, k, v, c):
    """Insert (v, c) into the sorted top-k lists ``topd[r]``, ``topi[r]`` (ties:
    lower index first)."""
    p = count if count < k else k - 1
    if count == k:
        if not (v < topd[r, k - 1] or (v == topd[r, k - 1] and c < topi[r, k - 1])):
            return count
    else:
        count += 1
    while p > 0 and (topd[r, p - 1] > v or (topd[r, p - 1] == v and topi[r, p - 1] > c)):
        topd[r, p] = topd[r, p - 1]
        topi[r, p] = topi[r, p - 1]
        p -= 1
    topd[r, p] = v
    topi[r, p] = c
    return count


# --------------------------------------------------------------------------- kNN
@njit
def _kim_levels(n, m):
    """Whether ``_lb_kim`` used three level sets from each end (else the corners)."""
    return n >= 6 or m >= 6


@njit
def _keogh_split(x, n, L, U, a, b):
    """LB_Keogh of x against (L, U) over every row, and over rows [a, b) only."""
    full = 0.0
    mid = 0.0
    for i in range(n):
        t = _row_term(x, i, L, U)
        full += t
        if a <= i < b:
            mid += t
    return full, mid


@_njit_sum
def _keogh_1d(Y1, c, L1, l, m):
    """LB_Keogh of the univariate row ``Y1[c, :m]`` against ``(L1[l], U1[l])``.

    Vectorised: rows are indexed in place (no views, whose reference counting
    costs more than a short row's sum) and the loop starts at 0, so numba adds no
    negative-index fix-up per element (one over ``range(a, b)`` with a runtime
    ``a`` measured ~7x slower); ``L1[l]`` / ``L1[l + 1]`` are the lower / upper rows.
    """
    lb = 0.0
    for j in range(m):
        y = Y1[c, j]
        e = max(max(y - L1[l + 1, j], L1[l, j] - y), 0.0)
        lb += e * e
    return lb


@njit_inline
def _keogh_split_1d(X1, q, n, L, U, c, a, b):
    """Univariate ``_keogh_split`` of ``X1[q]`` against ``(L[c], U[c])``: the rows
    between ``a`` and ``b`` (all but LB_Enhanced's few end rows) in one vectorised
    sum (an unsigned index: no negative-index fix-up, see ``_keogh_1d``)."""
    mid = 0.0
    ua = np.uint64(a)
    for t in range(b - a):
        i = ua + np.uint64(t)
        x = X1[q, i]
        e = max(max(x - U[c, i], L[c, i] - x), 0.0)
        mid += e * e
    ends = 0.0
    for i in range(a):
        x = X1[q, i]
        e = max(max(x - U[c, i], L[c, i] - x), 0.0)
        ends += e * e
    for t in range(n - b):
        i = b + t
        x = X1[q, i]
        e = max(max(x - U[c, i], L[c, i] - x), 0.0)
        ends += e * e
    return ends + mid, mid


@njit
def _keogh_rows_1d(x, n, L, U, cbs):
    """Univariate ``_keogh_rows`` on contiguous rows."""
    cbs[n] = 0.0
    acc = 0.0
    for i in range(n - 1, -1, -1):
        v = x[i]
        e = max(v - U[i], L[i] - v, 0.0)
        acc += e * e
        cbs[i] = acc


@njit
def _keogh_cols_1d(y, m, L, U, abandon, sc):
    """Univariate ``_keogh_cols`` on contiguous rows."""
    lb = 0.0
    sc[m] = 0.0
    for j in range(m - 1, -1, -1):
        v = y[j]
        e = max(v - U[j], L[j] - v, 0.0)
        lb += e * e
        sc[j] = lb
        if lb > abandon:
            return lb
    return lb


@njit
def _enhanced_rows(n, m):
    """Rows [a, b) whose LB_Keogh terms LB_Enhanced adds to LB_Kim's level sets.

    LB_Enhanced (Tan, Petitjean & Webb 2019) with V = 3 bands: the level sets
    {max(i, j) = l} and {max(n-1-i, m-1-j) = l}, l < 3, that ``_lb_kim`` takes
    lie in rows < 3 and >= n - 3; every path crosses each of them and each row
    in between, so their minima and the rows' LB_Keogh terms add up.
    """
    a = 3 if _kim_levels(n, m) else 1
    a = min(a, n)
    return a, max(a, n - a)


@njit
def _rows_pass(x, n, Lc, Uc, LUx, ULx, cbs, nfa, nfb):
    """Per-row LB_Keogh terms as suffix sums (``cbs[i]`` = rows >= i, ``cbs[n] = 0``)
    and the prefix counts of the rows that are not *free* for LB_Webb.

    Row i is free above (below) for feature f unless x[i] lies below (above)
    the candidate's envelope by more than the query's own envelope allows:
    ``x < Lc and Lc > LUx`` (``x > Uc and Uc < ULx``), see ``_webb_columns``.
    """
    d = x.shape[1]
    cbs[n] = 0.0
    for f in range(d):
        nfa[0, f] = 0
        nfb[0, f] = 0
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc += _row_term(x, i, Lc, Uc)
        cbs[i] = acc
    for i in range(n):
        for f in range(d):
            v = float(x[i, f])
            na = 1 if (v < float(Lc[i, f]) and float(Lc[i, f]) > float(LUx[i, f])) else 0
            nb = 1 if (v > float(Uc[i, f]) and float(Uc[i, f]) < float(ULx[i, f])) else 0
            nfa[i + 1, f] = nfa[i, f] + na
            nfb[i + 1, f] = nfb[i, f] + nb


@njit
def _webb_columns(y, m, qL, qU, ULy, LUy, clo, chi, nfa, nfb, abandon):
    """LB_Webb's column terms (Webb & Petitjean 2021), added to LB_Keogh(x, env(y)).

    Column j, feature f, with y above the query's envelope (``y > qU``) adds
    ``(y - qU)^2`` when every row of its range is free above, else
    ``(y - qU)^2 - max(0, ULy - qU)^2`` (``ULy`` = max over the column's rows of
    the candidate's lower envelope), and symmetrically below.  Why it is a lower
    bound, cell by cell: a path's cell (i, j) carries at most row i's LB_Keogh
    term and column j's term; with ``x_i <= qU_j < y_j``, a free row gives
    ``(y_j - x_i)^2 >= (y_j - qU_j)^2 + (qU_j - x_i)^2 >= (y_j - qU_j)^2 + row
    term``, and any row ``(y_j - x_i)^2 - (Lc_i - x_i)^2 >= (y_j - qU_j)^2 -
    (Lc_i - qU_j)^2`` (x_i <= qU_j; Lc_i <= ULy_j); a row above the candidate's
    envelope cannot meet such a column.  Abandoned past ``abandon``.
    """
    d = y.shape[1]
    lb = 0.0
    for j in range(m):
        a = clo[j]
        b = chi[j]
        for f in range(d):
            v = float(y[j, f])
            u = float(qU[j, f])
            if v > u:
                t = (v - u) * (v - u)
                if nfa[b, f] - nfa[a, f] > 0:
                    g = float(ULy[j, f]) - u
                    if g > 0.0:
                        t -= g * g
                lb += t
            else:
                lo = float(qL[j, f])
                if v < lo:
                    t = (lo - v) * (lo - v)
                    if nfb[b, f] - nfb[a, f] > 0:
                        g = lo - float(LUy[j, f])
                        if g > 0.0:
                            t -= g * g
                    lb += t
        if lb > abandon:
            return lb
    return lb


# the tighter bound of the visit (``tight`` argument): none, LB_Improved, LB_Webb
TIGHT_NONE = 0
TIGHT_IMPROVED = 1
TIGHT_WEBB = 2


@njit_parallel
def _ref_envelopes(Y, ly, n0, kind, radius, slope, L, U, UL, LU, n_chunks):
    """Envelope of every reference over the columns each row of an (n0, m) band
    allows, and the envelopes of that envelope over each column's rows (LB_Webb)."""
    nr = Y.shape[0]
    M = Y.shape[1]
    d = Y.shape[2]
    W = max(n0, M) + 1
    for ch in prange(n_chunks):
        c0, c1 = chunk_of(ch, n_chunks, nr)
        lo, hi, clo, chi, dq1, dq2 = _band_scratch(n0, M)
        junk = np.empty((M, d), dtype=Y.dtype)
        work = np.empty((4, 3 * W), dtype=Y.dtype)
        for c in range(c0, c1):
            m = ly[c]
            if d == 1 and m == n0 and kind != BAND_ITAKURA and UL.shape[1] == 0:
                # the band is |i - j| <= r: a sliding min / max (van Herk)
                r = radius if kind == BAND_SAKOE_CHIBA else m
                _sliding_minmax(Y[c, :, 0], 0, m, r, L[c, :, 0], U[c, :, 0], work)
                continue
            band_ranges(n0, m, kind, radius, slope, lo, hi)
            _col_ranges(n0, m, lo, hi, clo, chi)
            for f in range(d):
                _envelope(Y[c], f, lo, hi, n0, L[c], U[c], dq1, dq2)
                if UL.shape[1] > 0:
                    _envelope(L[c], f, clo, chi, m, junk, UL[c], dq1, dq2)
                    _envelope(U[c], f, clo, chi, m, LU[c], junk, dq1, dq2)


@_njit_sum
def _bounds_chunk(
    q0, q1, X, X1, lx, Y, Y1, ly, envL, envU, env1L, env1U, n0, kind, radius, slope, keys,
    kims, ecs, first,
):  # fmt: skip
    """Pass 1 for queries ``[q0, q1)``: ``keys[q, c] = max(LB_Kim, LB_Keogh(x, env(y)),
    LB_Enhanced)`` of every candidate (``kims`` / ``ecs``: LB_Kim and LB_Keogh, for the
    statistics), and ``first[q]`` = the k best-bounded candidates (ties: lower index).

    Compiled with reassociated sums (``_njit_sum``, which the inlined LB_Keogh
    needs to vectorise): it computes bounds only, compared with thresholds
    inflated by ``_rounding_margin``."""
    nr, N, M, d, k = _sizes(X, Y, first)
    # scratch once per chunk of queries, not per query
    lo, hi, _, _, dq1, dq2 = _band_scratch(N, M)
    cL = np.empty((N, d), dtype=Y.dtype)
    cU = np.empty((N, d), dtype=Y.dtype)
    topk = np.empty((1, k))
    topc = np.empty((1, k), dtype=np.int64)
    for q in range(q0, q1):
        x = X[q]
        q1x = min(q, X1.shape[0] - 1)
        n = lx[q]
        key = keys[q]
        for c in range(nr):
            m = ly[c]
            if d == 1 and n >= 3 and m >= 3 and (n >= 6 or m >= 6):
                kim = _lb_kim_1d(X1, q1x, Y1, c, n, m)
            else:
                kim = _lb_kim(x, Y[c], n, m)
            a, b = _enhanced_rows(n, m)
            if n == n0:
                if d == 1:
                    ke, mid = _keogh_split_1d(X1, q1x, n, env1L, env1U, c, a, b)
                else:
                    ke, mid = _keogh_split(x, n, envL[c], envU[c], a, b)
            else:
                band_ranges(n, m, kind, radius, slope, lo, hi)
                for f in range(d):
                    _envelope(Y[c], f, lo, hi, n, cL, cU, dq1, dq2)
                ke, mid = _keogh_split(x, n, cL, cU, a, b)
            kims[q, c] = kim
            ecs[q, c] = ke
            key[c] = max(kim, ke, kim + mid)
        count = 0
        for c in range(nr):
            if count < k or key[c] < topk[0, k - 1]:  # most candidates: one comparison
                count = _insert(topk, topc, 0, count, k, key[c], c)
        for p in range(k):
            first[q, p] = topc[0, p]


@njit
def _visit_chunk(
    q0, q1, X, X1, lx, Y, Y1, ly, envL, envU, envUL, envLU, env1L, env1U, n0, kind, radius,
    slope, tight, eps, keys, kims, ecs, first, first_sq, out_d, out_i, stats,
):  # fmt: skip
    """Queries ``[q0, q1)``: start from the exact DTWs of their k best-bounded
    candidates (``first``, ``first_sq``), then visit the candidates whose bound is
    within the k-th best, in increasing order of the bound (see ``dtw_kneighbors``)."""
    nr, N, M, d, k = _sizes(X, Y, first)
    dt = out_d.dtype
    inf_t, zero_t = _inf_zero(out_d)
    # scratch once per chunk of queries, not per query
    lo, hi, clo, chi, dq1, dq2 = _band_scratch(N, M)
    cL = np.empty((N, d), dtype=dt)
    cU = np.empty((N, d), dtype=dt)
    cUL = np.empty((M, d), dtype=dt)
    cLU = np.empty((M, d), dtype=dt)
    junk = np.empty((max(N, M), d), dtype=dt)
    qL = np.empty((M, d), dtype=dt)
    qU = np.empty((M, d), dtype=dt)
    qL1 = np.empty(M, dtype=dt)
    qU1 = np.empty(M, dtype=dt)
    LUx = np.empty((N, d), dtype=dt)
    ULx = np.empty((N, d), dtype=dt)
    nfa = np.empty((N + 1, d), dtype=np.int64)
    nfb = np.empty((N + 1, d), dtype=np.int64)
    h = np.empty((N, d), dtype=dt)
    hL = np.empty((M, d), dtype=dt)
    hU = np.empty((M, d), dtype=dt)
    cbs = np.empty(N + 1, dtype=np.float64)
    sc = np.empty(M + 1, dtype=np.float64)
    prev = np.empty(M, dtype=dt)
    cur = np.empty(M, dtype=dt)
    topd = np.empty((1, k), dtype=dt)
    topi = np.empty((1, k), dtype=np.int64)
    cand = np.empty(nr, dtype=np.int64)
    ckey = np.empty(nr, dtype=np.float64)
    seen = np.zeros(nr, dtype=np.bool_)
    for q in range(q0, q1):
        x = X[q]
        x1 = X1[min(q, X1.shape[0] - 1)]
        n = lx[q]
        r = q
        st = stats[r]
        key = keys[r]
        margin = _rounding_margin(n, M, d, eps)
        count = 0
        for p in range(k):
            c = first[r, p]
            count = _insert(topd, topi, 0, count, k, first_sq[r, p], c)
            seen[c] = True
        st[S_DTW_FULL] += k
        ub = topd[0, k - 1]
        thr = _inflate(float(ub), margin)
        # the candidates still in reach, in increasing order of their bound
        nv = 0
        for c in range(nr):
            if key[c] <= thr and not seen[c]:
                cand[nv] = c
                ckey[nv] = key[c]
                nv += 1
        order = np.argsort(ckey[:nv])
        cur_m = -1  # lengths for which lo/hi/clo/chi and the query's envelopes are valid
        for t in range(nv):
            c = cand[order[t]]
            if key[c] > thr:
                break
            seen[c] = True
            m = ly[c]
            y = Y[c]
            if m != cur_m:
                band_ranges(n, m, kind, radius, slope, lo, hi)
                _col_ranges(n, m, lo, hi, clo, chi)
                for f in range(d):
                    _envelope(x, f, clo, chi, m, qL, qU, dq1, dq2)
                    if tight == TIGHT_WEBB:
                        _envelope(qU, f, lo, hi, n, LUx, junk, dq1, dq2)
                        _envelope(qL, f, lo, hi, n, junk, ULx, dq1, dq2)
                if d == 1:
                    for j in range(m):
                        qL1[j] = qL[j, 0]
                        qU1[j] = qU[j, 0]
                cur_m = m
            # LB_Keogh of the candidate against the query's envelope
            if d == 1:
                lb = _keogh_cols_1d(Y1[c], m, qL1, qU1, thr, sc)
            else:
                lb = _keogh_cols(y, m, qL, qU, thr, sc)
            if lb > thr:
                st[S_KEOGH_EQ] += 1
                continue
            if n == n0:
                Lc = envL[c]
                Uc = envU[c]
                ULc = envUL[c]
                LUc = envLU[c]
            else:
                for f in range(d):
                    _envelope(y, f, lo, hi, n, cL, cU, dq1, dq2)
                    if tight == TIGHT_WEBB:
                        _envelope(cL, f, clo, chi, m, junk, cUL, dq1, dq2)
                        _envelope(cU, f, clo, chi, m, cLU, junk, dq1, dq2)
                Lc = cL
                Uc = cU
                ULc = cUL
                LUc = cLU
            if tight == TIGHT_WEBB:
                _rows_pass(x, n, Lc, Uc, LUx, ULx, cbs, nfa, nfb)
                head = cbs[0]
                lb2 = head + _webb_columns(y, m, qL, qU, ULc, LUc, clo, chi, nfa, nfb, thr - head)
                if lb2 > thr:
                    st[S_TIGHT] += 1
                    continue
            else:
                if d == 1 and n == n0:
                    _keogh_rows_1d(x1, n, env1L[c], env1U[c], cbs)
                else:
                    _keogh_rows(x, n, Lc, Uc, cbs)
                if tight == TIGHT_IMPROVED:
                    head = cbs[0]
                    lb2 = head + _improved_tail(
                        x, n, y, m, Lc, Uc, clo, chi, h, hL, hU, dq1, dq2, thr - head
                    )
                    if lb2 > thr:
                        st[S_TIGHT] += 1
                        continue
            _merge_cumulative(cbs, sc, n, hi)
            v, abandoned = ea_dtw(x, y, n, m, lo, hi, cbs, ub, thr, prev, cur, inf_t, zero_t)
            if abandoned or v == inf_t:
                st[S_DTW_ABANDONED] += 1
                continue
            st[S_DTW_FULL] += 1
            count = _insert(topd, topi, 0, count, k, v, c)
            ub = topd[0, k - 1]
            thr = _inflate(float(ub), margin)
        # candidates never visited: attribute them to the first bound that rejects them
        for c in range(nr):
            if seen[c]:
                seen[c] = False
            elif kims[r, c] > thr:
                st[S_KIM] += 1
            elif ecs[r, c] > thr:
                st[S_KEOGH_EC] += 1
            else:
                st[S_ENHANCED] += 1
        for p in range(k):
            out_d[r, p] = topd[0, p]
            out_i[r, p] = topi[0, p]


@njit_inline
def _sort_by_key(order, q, nv, keys):
    """Sort ``order[q, :nv]`` by ``keys[q, order[q]]``: insertion sort for the few
    candidates a query usually keeps (no allocation), ``argsort`` beyond."""
    if nv > 32:
        row = order[q, :nv]
        row[:] = row[np.argsort(keys[q][row])]
        return
    for t in range(1, nv):
        c = order[q, t]
        v = keys[q, c]
        p = t
        while p > 0 and keys[q, order[q, p - 1]] > v:
            order[q, p] = order[q, p - 1]
            p -= 1
        order[q, p] = c


@njit
def _query_envelope(
    X, X1, q, n, m, kind, radius, slope, qL, qU, qLU1, l, lo, hi, clo, chi, dq1, dq2, work
):
    """Envelope of query ``q`` over the rows each column of an (n, m) band allows;
    univariate, into rows ``2l`` / ``2l + 1`` of ``qLU1``."""
    d = X.shape[2]
    if d == 1 and n == m and kind != BAND_ITAKURA:
        # the band is |i - j| <= r: a sliding min / max (van Herk)
        r = radius if kind == BAND_SAKOE_CHIBA else n
        _sliding_minmax(X1[q], 0, n, r, qLU1[2 * l], qLU1[2 * l + 1], work)
        return
    band_ranges(n, m, kind, radius, slope, lo, hi)
    _col_ranges(n, m, lo, hi, clo, chi)
    for f in range(d):
        _envelope(X[q], f, clo, chi, m, qL, qU, dq1, dq2)
    if d == 1:
        for j in range(m):
            qLU1[2 * l, j] = qL[j, 0]
            qLU1[2 * l + 1, j] = qU[j, 0]


@njit_inline
def _attribute(kims_q, ecs_q, thr, st):
    """Candidates never computed: count each against the first bound above ``thr``."""
    for c in range(kims_q.shape[0]):
        if kims_q[c] < 0.0:
            continue
        if kims_q[c] > thr:
            st[S_KIM] += 1
        elif ecs_q[c] > thr:
            st[S_KEOGH_EC] += 1
        else:
            st[S_ENHANCED] += 1


@njit
def _lanes_chunk(
    q0, q1, X, X1, lx, Y, Y1, ly, kind, radius, slope, eps, keys, kims, ecs, order, first,
    out_d, out_i, stats,
):  # fmt: skip
    """Queries ``[q0, q1)`` of the block, one per SIMD lane of a DTW lane group.

    Each step every lane takes its query's next candidate (first its k
    best-bounded candidates, without threshold; then, in increasing order of the
    bound, those within the k-th best so far that LB_Keogh against the query's
    envelope does not reject; a lane whose query is done takes the chunk's next
    query), the G pairs run as one lane
    group of ``_dtw_lanes`` (the values of brute force, bit for bit), and each
    lane's k best and threshold are updated.  Idle lanes repeat a busy lane's pair.
    """
    G = lanes(out_d)
    nr, N, M, d, k = _sizes(X, Y, first)
    dt = out_d.dtype
    xs = np.zeros((N, d, G), dtype=X.dtype)
    ys = np.zeros((M, d, G), dtype=Y.dtype)
    xq = np.full(G, -1, dtype=np.int64)  # the query each lane of xs holds
    zeros = np.zeros(N + 1)  # no cumulative bound: the scalar DTW runs in full
    row_a = np.empty(M, dtype=dt)
    row_b = np.empty(M, dtype=dt)
    inf_t, zero_t = _inf_zero(out_d)
    group = group_scratch(N, M, G, out_d)
    res = np.empty(G, dtype=dt)
    lo, hi, clo, chi, dq1, dq2 = _band_scratch(N, M)
    ns = np.empty(G, dtype=np.int64)
    ms = np.empty(G, dtype=np.int64)
    # per-lane state
    lq = np.full(G, -1, dtype=np.int64)  # the lane's query, -1: none
    pc = np.full(G, -1, dtype=np.int64)  # the candidate of this step, -1: idle
    topd = np.empty((G, k), dtype=dt)
    topi = np.empty((G, k), dtype=np.int64)
    cnt = np.zeros(G, dtype=np.int64)
    taken = np.zeros(G, dtype=np.int64)
    nvis = np.zeros(G, dtype=np.int64)
    ptr = np.zeros(G, dtype=np.int64)
    cur_m = np.zeros(G, dtype=np.int64)
    mrg = np.zeros(G)
    qL = np.empty((G, M, d), dtype=dt)
    qU = np.empty((G, M, d), dtype=dt)
    qLU1 = np.empty((2 * G, M), dtype=dt)  # univariate: lane l's rows 2l, 2l + 1
    work = np.empty((4, 3 * N + 1), dtype=dt)
    nxt = q0
    while True:
        busy = -1
        for l in range(G):
            c = -1
            while True:
                if lq[l] < 0:
                    if nxt >= q1:
                        break
                    lq[l] = nxt
                    nxt += 1
                    cnt[l] = 0
                    taken[l] = 0
                    nvis[l] = -1
                    cur_m[l] = -1
                    mrg[l] = _rounding_margin(lx[lq[l]], M, d, eps)
                q = lq[l]
                # the lane's next candidate (written out here: a call with this
                # many arrays costs more in reference counting than its work)
                if taken[l] < k:  # first the k best-bounded ones, no threshold yet
                    c = first[q, taken[l]]
                    taken[l] += 1
                    kims[q, c] = -1.0  # taken (bounds are >= 0)
                    break
                n = lx[q]
                if nvis[l] < 0:  # the first k are in: sort the candidates in reach
                    thr = _inflate(float(topd[l, k - 1]), mrg[l])
                    nv = 0
                    for cc in range(nr):
                        if keys[q, cc] <= thr and kims[q, cc] >= 0.0:
                            order[q, nv] = cc
                            nv += 1
                    _sort_by_key(order, q, nv, keys)
                    nvis[l] = nv
                    ptr[l] = 0
                # then, by increasing bound, those within the k-th best so far
                # that LB_Keogh against the query's envelope does not reject
                while ptr[l] < nvis[l]:
                    thr = _inflate(float(topd[l, k - 1]), mrg[l])
                    cc = order[q, ptr[l]]
                    ptr[l] += 1
                    if keys[q, cc] > thr:  # and so are the rest
                        ptr[l] = nvis[l]
                        break
                    kims[q, cc] = -1.0
                    m = ly[cc]
                    if m != cur_m[l]:
                        _query_envelope(
                            X, X1, q, n, m, kind, radius, slope, qL[l], qU[l],
                            qLU1, l, lo, hi, clo, chi, dq1, dq2, work,
                        )  # fmt: skip
                        cur_m[l] = m
                    if d == 1:
                        lb = _keogh_1d(Y1, cc, qLU1, 2 * l, m)
                    else:
                        lb = _keogh(Y[cc], m, qL[l], qU[l], thr)
                    if lb > thr:
                        stats[q, S_KEOGH_EQ] += 1
                        continue
                    c = cc
                    break
                if c >= 0:
                    break
                thr = _inflate(float(topd[l, k - 1]), mrg[l])
                _attribute(kims[q], ecs[q], thr, stats[q])
                for p in range(k):
                    out_d[q, p] = topd[l, p]
                    out_i[q, p] = topi[l, p]
                lq[l] = -1
            pc[l] = c
            if c >= 0:
                busy = l
        if busy < 0:
            break
        n_busy = 0
        for l in range(G):
            if pc[l] >= 0:
                n_busy += 1
        if n_busy <= _SCALAR_LANES:
            # a group costs about one scalar DTW: with this few busy lanes (few
            # queries, or the last ones of a chunk) the scalar DTW, unpruned, gives
            # the same values (bit for bit) for less
            for l in range(G):
                if pc[l] >= 0:
                    q = lq[l]
                    c = pc[l]
                    n = lx[q]
                    m = ly[c]
                    band_ranges(n, m, kind, radius, slope, lo, hi)
                    res[l], _ = ea_dtw(
                        X[q], Y[c], n, m, lo, hi, zeros, inf_t, np.inf, row_a, row_b, inf_t,
                        zero_t,
                    )  # fmt: skip
        else:
            # a lane copies its query when it takes a new one and its candidate
            # each step; an idle lane keeps its stale (finite) data and takes a
            # busy lane's lengths, and its value is ignored
            for l in range(G):
                s = l if pc[l] >= 0 else busy
                ns[l] = lx[lq[s]]
                ms[l] = ly[pc[s]]
                if pc[l] >= 0:
                    if xq[l] != lq[l]:
                        to_lane(X[lq[l]], N, xs, l)
                        xq[l] = lq[l]
                    to_lane(Y[pc[l]], M, ys, l)
            group_values(xs, ys, ns, ms, kind, radius, slope, group, res, G)
        for l in range(G):
            if pc[l] >= 0:
                cnt[l] = _insert(topd, topi, l, cnt[l], k, res[l], pc[l])
                stats[lq[l], S_DTW_FULL] += 1


# One prange kernel per chunk body: numba caches a function that takes another
# as an argument only within the process (every process recompiled such a shared
# wrapper: 3-7 s on the first call), so each body has its own four lines here.
@njit_parallel
def _bounds_kernel(nq, n_chunks, args):
    for ch in prange(n_chunks):
        q0, q1 = chunk_of(ch, n_chunks, nq)
        _bounds_chunk(q0, q1, *args)  # an empty chunk (q0 >= q1) visits no query


@njit_parallel
def _lanes_kernel(nq, n_chunks, args):
    for ch in prange(n_chunks):
        q0, q1 = chunk_of(ch, n_chunks, nq)
        _lanes_chunk(q0, q1, *args)  # an empty chunk (q0 >= q1) visits no query


@njit_parallel
def _visit_kernel(nq, n_chunks, args):
    for ch in prange(n_chunks):
        q0, q1 = chunk_of(ch, n_chunks, nq)
        _visit_chunk(q0, q1, *args)  # an empty chunk (q0 >= q1) visits no query


def _most_common(lengths) -> int:
    values, counts = np.unique(np.asarray(lengths), return_counts=True)
    return int(values[np.argmax(counts)])


# References at most this long take the lanes visit whatever the band: on short
# series the scalar EAPruned DTW has few cells to skip and loses to the lanes
# (benchmarks/README_neighbors.md, tables (d) and (e): with no band, lanes 0.48x
# the scalar visit's time at length 24 and 0.58-0.63x at 50-126; 0.97x at 143,
# 1.26x at 214).
_LANES_MAX_LENGTH = 128


def _prefer_lanes(band, M) -> bool:
    """Lanes compute every cell of a band at SIMD speed, the scalar EAPruned DTW
    only the cells that can still win, one at a time: in a narrow band, or on
    short series, the lanes win; with no band (or a wide one) on long series the
    pruning does (benchmarks/README_neighbors.md, tables (d) and (e))."""
    kind, radius = int(band[0]), int(band[1])
    if M <= _LANES_MAX_LENGTH:
        return True
    if kind == BAND_SAKOE_CHIBA:
        return 2 * radius + 1 <= M // 2
    return kind == BAND_ITAKURA


# Busy lanes at or below which a step of the lanes visit runs scalar DTWs instead
# of a lane group (a group of 16 float64 lanes measured about one scalar DTW).
_SCALAR_LANES = 1


# Bounds kept per block of queries (keys, LB_Kim, LB_Keogh: three float64 arrays of
# block x n_ref): memory stays O(data) however many queries there are.
_BOUNDS_BUDGET = 1 << 20


def dtw_kneighbors(X, Y, lx, ly, band, k, tight=TIGHT_NONE, visit=None):
    """The k nearest references of each query under DTW, exactly, with pruning.

    X: (nq, N, d) queries, Y: (nr, M, d) references (zero-padded past lx / ly);
    ``tight``: a bound after the two LB_Keoghs, ``TIGHT_NONE`` (the default),
    ``TIGHT_WEBB`` or ``TIGHT_IMPROVED``: both reject a few more candidates but
    cost more than the DTWs they spare (benchmarks/README_neighbors.md, table
    (c)); they run in the scalar visit only.  ``visit``: ``"lanes"``,
    ``"scalar"`` or None (choose, see ``_prefer_lanes``).  Returns ``(sq, idx,
    stats)``: accumulated squared costs (nq, k) in X's dtype, sorted ascending
    (ties: lower index first), indices (nq, k) int64 and per-query pruning
    counts (nq, 7) int64 (columns of ``NN_STATS``).

    Per block of queries: (1) the bounds of every candidate, in parallel over
    queries; (2) the visit, in parallel over chunks of queries, either
    *lanes*: one query per SIMD lane of the DTW lane kernel (``_dtw_lanes``),
    each step computing every lane's next candidate in full (the first exact
    threshold comes from the k best-bounded candidates), or *scalar*: the k
    best-bounded candidates of every query at once on the lanes of
    ``dtw.dtw_values``, then the EAPruned DTW (early abandoned, its matrix
    pruned) of each candidate the bounds cannot reject.  Both give brute
    force's values bit for bit.
    """
    nq = X.shape[0]
    nr, M, d = Y.shape
    k = int(k)
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    n0 = _most_common(lx)
    W = max(n0, M) if int(tight) == TIGHT_WEBB else 0  # envelopes of the envelopes
    envL = np.empty((nr, n0, d), dtype=Y.dtype)
    envU = np.empty((nr, n0, d), dtype=Y.dtype)
    envUL = np.empty((nr, W, d), dtype=Y.dtype)
    envLU = np.empty((nr, W, d), dtype=Y.dtype)
    _ref_envelopes.run(
        nr * (n0 + M) * d, Y, ly, n0, kind, radius, slope, envL, envU, envUL, envLU,
        max(1, min(nr, 8 * n_threads())),
    )  # fmt: skip
    if d == 1:  # contiguous rows for the vectorised first pass
        X1 = np.ascontiguousarray(X[:, :, 0])
        Y1 = np.ascontiguousarray(Y[:, :, 0])
        env1L = np.ascontiguousarray(envL[:, :, 0])
        env1U = np.ascontiguousarray(envU[:, :, 0])
    else:
        X1 = np.zeros((1, 1), dtype=X.dtype)
        Y1 = env1L = env1U = np.zeros((1, 1), dtype=Y.dtype)
    out_d = np.empty((nq, k), dtype=X.dtype)
    out_i = np.empty((nq, k), dtype=np.int64)
    stats = np.zeros((nq, N_STATS), dtype=np.int64)
    eps = float(np.finfo(X.dtype).eps)
    block = max(1, min(nq, max(_BOUNDS_BUDGET // max(nr, 1), 8 * n_threads())))
    # the lane-parallel visit needs a lane group's worth of queries; the tighter
    # bounds run in the scalar visit only
    if visit is None:
        use_lanes = _lanes.ENABLED and int(tight) == TIGHT_NONE and _prefer_lanes(band, M)
    elif visit in ("lanes", "scalar"):
        use_lanes = visit == "lanes"
    else:
        raise ValueError(f"visit must be 'lanes', 'scalar' or None, got {visit!r}")
    for s in range(0, nq, block):
        e = min(nq, s + block)
        Xb, X1b, lxb = X[s:e], X1[s:e] if d == 1 else X1, lx[s:e]
        nb = e - s
        keys = np.empty((nb, nr))
        kims = np.empty((nb, nr))
        ecs = np.empty((nb, nr))
        first = np.empty((nb, k), dtype=np.int64)
        chunks = max(1, min(nb, 8 * n_threads()))
        work = int(lxb.sum()) * nr * d
        bounds_args = (Xb, X1b, lxb, Y, Y1, ly, envL, envU, env1L, env1U, n0, kind, radius, slope)
        _bounds_kernel.run(work, nb, chunks, (*bounds_args, keys, kims, ecs, first))
        if use_lanes:
            order = np.empty((nb, nr), dtype=np.int64)
            # chunks of several lane groups' worth of queries (lanes stay busy)
            lane_chunks = max(1, min(4 * n_threads(), nb // (4 * _lanes.group_size(X.dtype))))
            args = (Xb, X1b, lxb, Y, Y1, ly, kind, radius, slope, eps, keys, kims, ecs, order)
            outs = (out_d[s:e], out_i[s:e], stats[s:e])
            _lanes_kernel.run(work, nb, lane_chunks, (*args, first, *outs))
            continue
        rows = np.repeat(np.arange(nb), k)
        cols = first.reshape(-1)
        first_sq = dtw_values(Xb[rows], Y[cols], lxb[rows], ly[cols], band).reshape(nb, k)
        args = (Xb, X1b, lxb, Y, Y1, ly, envL, envU, envUL, envLU, env1L, env1U, n0, kind)
        args = (*args, radius, slope, int(tight), eps, keys, kims, ecs, first, first_sq)
        outs = (out_d[s:e], out_i[s:e], stats[s:e])
        _visit_kernel.run(work, nb, chunks, (*args, *outs))
    return out_d, out_i, stats


# --------------------------------------------------------------------------- subsequences
# columns of the subsequence statistics (kernels/_contract.py SUBSEQ_STATS)
Z_KIM, Z_KEOGH_EQ, Z_KEOGH_EC, Z_DTW_ABANDONED, Z_DTW_FULL = range(5)
N_ZSTATS = 5
_RESTART = 1024  # running sums are recomputed from scratch every this many windows
_FLAT = 1e-13  # a window whose variance is below this share of its mean square is flat


@njit
def _zc(v, mu, inv):
    return (v - mu) * inv


@njit
def _kim_window(Q, qi, T, s, n, mu, inv, thr):
    """UCR's LB_Kim hierarchy on the z-normalised window at ``s`` (abandons past thr).

    Queries are indexed in place (``Q[qi]``): no array view is made per window."""
    d = Q.shape[2]
    lb = 0.0
    for f in range(d):
        a = Q[qi, 0, f] - _zc(T[s, f], mu[f], inv[f])
        lb += a * a
    if n == 1:
        return lb
    for f in range(d):
        a = Q[qi, n - 1, f] - _zc(T[s + n - 1, f], mu[f], inv[f])
        lb += a * a
    if lb > thr or n < 6:
        return lb
    for level in range(1, 3):
        best = np.inf
        best_end = np.inf
        for t in range(level + 1):
            for side in range(2):
                i = level if side == 0 else t
                j = t if side == 0 else level
                c = 0.0
                ce = 0.0
                for f in range(d):
                    a = Q[qi, i, f] - _zc(T[s + j, f], mu[f], inv[f])
                    c += a * a
                    b = Q[qi, n - 1 - i, f] - _zc(T[s + n - 1 - j, f], mu[f], inv[f])
                    ce += b * b
                if c < best:
                    best = c
                if ce < best_end:
                    best_end = ce
        lb += best + best_end
        if lb > thr:
            return lb
    return lb


@njit_inline
def _keogh_window(q_order, Q, L, U, e, qi, T, s, off, n, mu, inv, thr, cb, window_side):
    """LB_Keogh of the window at ``s``, rows in ``q_order``, terms into ``cb``,
    abandoned past ``thr``: with ``window_side``, the window's z-normalised values
    against the query's envelope (``L[e]``, ``U[e]`` with ``e = qi``, ``off`` =
    0); else the query's values against the series' envelope over the window
    (``L[0]``, ``U[0]`` from ``off``, z-normalised with the window's mean and
    deviation).  Envelopes are indexed in place (no view per window); inlined, so
    that ``window_side``, a constant at each call, costs no branch."""
    d = Q.shape[2]
    lb = 0.0
    for t in range(n):
        i = q_order[qi, t]
        term = 0.0
        for f in range(d):
            if window_side:
                v = _zc(T[s + i, f], mu[f], inv[f])
                lo = L[e, off + i, f]
                u = U[e, off + i, f]
            else:
                v = Q[qi, i, f]
                lo = _zc(L[e, off + i, f], mu[f], inv[f])
                u = _zc(U[e, off + i, f], mu[f], inv[f])
            if v > u:
                term += (v - u) * (v - u)
            elif v < lo:
                term += (lo - v) * (lo - v)
        cb[i] = term
        lb += term
        if lb > thr:
            return lb
    return lb


@njit
def _greedy(sd, ss, count, k, ez, out_d, out_s):
    """Sort (distance, start) and accept greedily windows at least ``ez`` apart.

    Returns how many were accepted (<= k); sd / ss are sorted in place.
    """
    order = np.argsort(ss[:count], kind="mergesort")
    tmp_d = sd[:count][order]
    tmp_s = ss[:count][order]
    order = np.argsort(tmp_d, kind="mergesort")  # stable: ties keep increasing starts
    for t in range(count):
        sd[t] = tmp_d[order[t]]
        ss[t] = tmp_s[order[t]]
    got = 0
    for t in range(count):
        s = ss[t]
        ok = True
        for a in range(got):
            if abs(s - out_s[a]) < ez:
                ok = False
                break
        if ok:
            out_d[got] = sd[t]
            out_s[got] = s
            got += 1
            if got == k:
                break
    return got


@njit
def _compact(sd, ss, count, kk, ez, acc_d, acc_s):
    """Keep what can still matter; returns (count, thr_d).

    With ``kk`` windows accepted greedily (pairwise >= ez apart), the final k-th
    match is no worse than the kk-th accepted one when kk >= 2k - 1 (each accepted
    match excludes at most two of them), so entries sorted after it are dropped.
    """
    got = _greedy(sd, ss, count, kk, ez, acc_d, acc_s)
    if got < kk:
        return count, np.inf
    last_d = acc_d[kk - 1]
    last_s = acc_s[kk - 1]
    keep = 0
    while keep < count and (sd[keep] < last_d or (sd[keep] == last_d and ss[keep] <= last_s)):
        keep += 1
    return keep, last_d


@njit_inline
def _cumulative_bound(lb1, lb2, cb1, cb2, n, radius, cbs, suffix):
    """``cbs[i + 1]``: a bound on what a path spends after row i, from the larger
    LB_Keogh (``cb1``: the window's terms by column, ``cb2``: the query's by row)."""
    cbs[n] = 0.0
    if lb1 > lb2:
        # column terms: rows <= i never reach columns > i + radius
        acc = 0.0
        suffix[n] = 0.0
        for j in range(n - 1, -1, -1):
            acc += cb1[j]
            suffix[j] = acc
        for i in range(n + 1):
            cbs[i] = suffix[min(i + radius, n)]
    else:
        acc = 0.0
        for i in range(n - 1, -1, -1):
            acc += cb2[i]
            cbs[i] = acc


@njit_inline
def _chunk_results(sd, ss, count, kk, ez, acc_d, acc_s, st, out_d, out_s, out_count, stats):
    """A chunk's matches (compacted to what can still matter) and statistics."""
    for qi in range(count.shape[0]):
        c = count[qi]
        if kk > 1 and c > 0:
            c, _ = _compact(sd[qi], ss[qi], c, kk, ez, acc_d, acc_s)
        out_count[qi] = c
        for t in range(c):
            out_d[qi, t] = sd[qi, t]
            out_s[qi, t] = ss[qi, t]
        for z in range(N_ZSTATS):
            stats[qi, z] += st[qi, z]


@njit
def _search_chunk(
    s0, s1, out_d, out_s, out_count, stats, Q, q_order, qL, qU, T, Tf, radius, znorm, kk,
    ez, cap, lo, hi, shared,
):  # fmt: skip
    """Scan window starts [s0, s1) for every query of the batch (any d; see
    ``_search_chunk_1d`` for the thresholds)."""
    nq, n, d = Q.shape
    L = T.shape[0]
    # the series' envelope over each position +- radius (clipped to the series),
    # block by block as in _search_chunk_1d; features as rows (contiguous)
    blk = _BLOCK
    width = blk + n - 1
    tLf = np.empty((d, width))
    tUf = np.empty((d, width))
    tL = np.empty((1, width, d))  # 3-d, as the query's envelopes: see _keogh_window
    tU = np.empty((1, width, d))
    work = np.empty((4, width + 2 * radius + 1))
    sd = np.empty((nq, cap))
    ss = np.empty((nq, cap), dtype=np.int64)
    count = np.zeros(nq, dtype=np.int64)
    thr_d = np.full(nq, np.inf)
    next_compact = np.full(nq, min(cap, 4 * kk + 16), dtype=np.int64)
    acc_d = np.empty(kk)
    acc_s = np.empty(kk, dtype=np.int64)
    mu = np.zeros(d)
    inv = np.ones(d)
    ex = np.zeros(d)
    ex2 = np.zeros(d)
    xz = np.empty((n, d))
    cb1 = np.empty(n)
    cb2 = np.empty(n)
    cbs = np.empty(n + 1)
    suffix = np.empty(n + 1)
    prev = np.empty(n)
    cur = np.empty(n)
    margin = _rounding_margin(n, n, d, 2.220446049250313e-16)
    st = np.zeros((nq, N_ZSTATS), dtype=np.int64)
    for s in range(s0, s1):
        if (s - s0) % blk == 0:
            count_b = min(width, L - s)
            for f in range(d):
                _sliding_minmax(Tf[f], s, count_b, radius, tLf[f], tUf[f], work)
                for t in range(count_b):
                    tL[0, t, f] = tLf[f, t]
                    tU[0, t, f] = tUf[f, t]
        if znorm:
            if (s - s0) % _RESTART == 0:
                for f in range(d):
                    ex[f] = 0.0
                    ex2[f] = 0.0
                    for j in range(n):
                        v = T[s + j, f]
                        ex[f] += v
                        ex2[f] += v * v
            else:
                for f in range(d):
                    v_out = T[s - 1, f]
                    v_in = T[s + n - 1, f]
                    ex[f] += v_in - v_out
                    ex2[f] += v_in * v_in - v_out * v_out
            for f in range(d):
                m1 = ex[f] / n
                m2 = ex2[f] / n
                var = m2 - m1 * m1
                mu[f] = m1
                inv[f] = 1.0 / np.sqrt(var) if var > _FLAT * m2 else 0.0
        have_xz = False
        for qi in range(nq):
            own = thr_d[qi]
            other = shared[qi]
            thr = _inflate(min(own, other), margin)
            if _kim_window(Q, qi, T, s, n, mu, inv, thr) > thr:
                st[qi, Z_KIM] += 1
                continue
            lb1 = _keogh_window(q_order, Q, qL, qU, qi, qi, T, s, 0, n, mu, inv, thr, cb1, True)
            if lb1 > thr:
                st[qi, Z_KEOGH_EQ] += 1
                continue
            off = (s - s0) % blk
            lb2 = _keogh_window(q_order, Q, tL, tU, 0, qi, T, s, off, n, mu, inv, thr, cb2, False)
            if lb2 > thr:
                st[qi, Z_KEOGH_EC] += 1
                continue
            _cumulative_bound(lb1, lb2, cb1, cb2, n, radius, cbs, suffix)
            if not have_xz:
                for j in range(n):
                    for f in range(d):
                        xz[j, f] = _zc(T[s + j, f], mu[f], inv[f])
                have_xz = True
            v, abandoned = ea_dtw(
                Q[qi], xz, n, n, lo, hi, cbs, min(own, other), thr, prev, cur, np.inf, 0.0
            )
            if abandoned or v == np.inf or v >= own or v > other:
                st[qi, Z_DTW_ABANDONED] += 1
                continue
            st[qi, Z_DTW_FULL] += 1
            _store_match(
                sd, ss, count, next_compact, thr_d, shared, qi, kk, ez, cap, acc_d, acc_s, v, s
            )
    _chunk_results(sd, ss, count, kk, ez, acc_d, acc_s, st, out_d, out_s, out_count, stats)


_BLOCK = 4096  # windows per block of the univariate subsequence scan


@njit
def _sliding_minmax(v, start, count, r, out_lo, out_hi, work):
    """Min / max of ``v`` over ``[p - r, p + r]`` (clipped to ``v``) for
    ``p = start + t``, ``t < count``: van Herk / Gil-Werman, O(1) per value
    and branch-free (prefix and suffix extrema in blocks of ``2r + 1``)."""
    L = v.shape[0]
    w = 2 * r + 1
    a0 = max(0, start - r)
    a1 = min(L, start + count + r)
    m = a1 - a0
    gmin = work[0]
    gmax = work[1]
    hmin = work[2]
    hmax = work[3]
    for b0 in range(0, m, w):
        b1 = min(m, b0 + w)
        x = v[a0 + b0]
        gmin[b0] = x
        gmax[b0] = x
        for k in range(b0 + 1, b1):
            x = v[a0 + k]
            gmin[k] = min(gmin[k - 1], x)
            gmax[k] = max(gmax[k - 1], x)
        x = v[a0 + b1 - 1]
        hmin[b1 - 1] = x
        hmax[b1 - 1] = x
        for k in range(b1 - 2, b0 - 1, -1):
            x = v[a0 + k]
            hmin[k] = min(hmin[k + 1], x)
            hmax[k] = max(hmax[k + 1], x)
    for t in range(count):
        p = start + t
        lo = max(0, p - r) - a0
        hi = min(L - 1, p + r) - a0
        if hi - lo + 1 == w:
            out_lo[t] = min(hmin[lo], gmin[hi])
            out_hi[t] = max(hmax[lo], gmax[hi])
    # windows clipped at an end of the series (every one, with no band): from one
    # position to the next the window gains (start side) or loses (end side) values
    # at one end only, so running extrema keep these O(1) per value too
    if count <= 0:
        return
    t = 0
    k = 0
    mn = v[a0]
    mx = mn
    while t < count and start + t < r:  # [0, p + r]: p - r < 0, so a0 = 0
        hi = min(L - 1, start + t + r) - a0
        while k <= hi:
            x = v[a0 + k]
            mn = min(mn, x)
            mx = max(mx, x)
            k += 1
        out_lo[t] = mn
        out_hi[t] = mx
        t += 1
    t_head = t
    t = count - 1
    k = m - 1
    mn = v[a0 + k]
    mx = mn
    while t >= t_head and start + t + r > L - 1:  # [p - r, L - 1]: a1 = L
        lo = start + t - r - a0
        while k >= lo:
            x = v[a0 + k]
            mn = min(mn, x)
            mx = max(mx, x)
            k -= 1
        out_lo[t] = mn
        out_hi[t] = mx
        t -= 1


@njit
def _sq1(a):
    return a * a


@njit
def _store_match(sd, ss, count, next_compact, thr_d, shared, qi, kk, ez, cap, acc_d, acc_s, v, s):
    """Record a surviving window; tighten the chunk's threshold and the shared one."""
    c = count[qi]
    if kk == 1:
        sd[qi, 0] = v
        ss[qi, 0] = s
        c = 1
        thr_d[qi] = v
    else:
        sd[qi, c] = v
        ss[qi, c] = s
        c += 1
        if c >= next_compact[qi]:
            # compact when the store has doubled: the threshold tightens as
            # matches accumulate, at an amortised O(log) cost per insertion
            c, t = _compact(sd[qi], ss[qi], c, kk, ez, acc_d, acc_s)
            thr_d[qi] = t
            next_compact[qi] = min(cap, max(2 * c, c + 4 * kk + 16))
    count[qi] = c
    # other chunks may prune with it: a racy min is fine (only pruning power
    # depends on it, and each value written is a threshold some chunk holds)
    if thr_d[qi] < shared[qi]:
        shared[qi] = thr_d[qi]


@njit
def _search_chunk_1d(
    s0, s1, out_d, out_s, out_count, stats, Q, q_order, qo, uo, lo_s, T, radius, znorm, kk,
    ez, cap, lo, hi, shared,
):  # fmt: skip
    """Univariate twin of ``_search_chunk`` (the UCR suite's loop).

    ``Q`` (nq, n) z-normalised queries, ``qo`` / ``uo`` / ``lo_s`` the query
    values and envelope in the order ``q_order`` (by decreasing |z|), ``T``
    (L,) the series.  Per window: running mean / std, LB_Kim's hierarchy
    abandoned after each level, LB_Keogh of the window against the query's
    envelope (branch-free terms, abandoned), LB_Keogh of the query against the
    series' envelope, then the EAPruned DTW with the better one's cumulative
    bound.  Thresholds: this chunk's own (``>=`` prunes: its windows come in
    increasing start order, so ties keep the earliest) and the best any chunk
    has published in ``shared`` (strict ``>``: another chunk's window may start
    later and lose a tie to this one).
    """
    nq, n = Q.shape
    L = T.shape[0]
    # the series' envelope (+- radius, clipped to the series) is computed block
    # by block into small buffers that stay in cache
    blk = _BLOCK
    width = blk + n - 1
    tL = np.empty(width)
    tU = np.empty(width)
    work = np.empty((4, width + 2 * radius + 1))
    sd = np.empty((nq, cap))
    ss = np.empty((nq, cap), dtype=np.int64)
    count = np.zeros(nq, dtype=np.int64)
    thr_d = np.full(nq, np.inf)
    next_compact = np.full(nq, min(cap, 4 * kk + 16), dtype=np.int64)
    acc_d = np.empty(kk)
    acc_s = np.empty(kk, dtype=np.int64)
    st = np.zeros((nq, N_ZSTATS), dtype=np.int64)
    xz = np.empty((n, 1))
    cb1 = np.empty(n)
    cb2 = np.empty(n)
    cbs = np.empty(n + 1)
    suffix = np.empty(n + 1)
    prev = np.empty(n)
    cur = np.empty(n)
    margin = _rounding_margin(n, n, 1, 2.220446049250313e-16)
    full_kim = n >= 6
    ex = 0.0
    ex2 = 0.0
    mu = 0.0
    inv = 1.0
    for s in range(s0, s1):
        if (s - s0) % blk == 0:
            _sliding_minmax(T, s, min(width, L - s), radius, tL, tU, work)
        if znorm:
            if (s - s0) % _RESTART == 0:
                ex = 0.0
                ex2 = 0.0
                for j in range(n):
                    v = T[s + j]
                    ex += v
                    ex2 += v * v
            else:
                v_out = T[s - 1]
                v_in = T[s + n - 1]
                ex += v_in - v_out
                ex2 += v_in * v_in - v_out * v_out
            mu = ex / n
            m2 = ex2 / n
            var = m2 - mu * mu
            inv = 1.0 / np.sqrt(var) if var > _FLAT * m2 else 0.0
        x0 = (T[s] - mu) * inv
        y0 = (T[s + n - 1] - mu) * inv
        have_xz = False
        for qi in range(nq):
            own = thr_d[qi]
            other = shared[qi]
            thr = _inflate(min(own, other), margin)
            # LB_Kim hierarchy: first and last cells, then the 2nd / 3rd level
            # sets from each end, abandoned after each
            lb = _sq1(x0 - Q[qi, 0])
            if n > 1:
                lb += _sq1(y0 - Q[qi, n - 1])
            if lb > thr:
                st[qi, Z_KIM] += 1
                continue
            if full_kim:
                q0 = Q[qi, 0]
                q1 = Q[qi, 1]
                q2 = Q[qi, 2]
                x1 = (T[s + 1] - mu) * inv
                lb += min(_sq1(x1 - q0), _sq1(x0 - q1), _sq1(x1 - q1))
                if lb > thr:
                    st[qi, Z_KIM] += 1
                    continue
                e0 = Q[qi, n - 1]
                e1 = Q[qi, n - 2]
                e2 = Q[qi, n - 3]
                y1 = (T[s + n - 2] - mu) * inv
                lb += min(_sq1(y1 - e0), _sq1(y0 - e1), _sq1(y1 - e1))
                if lb > thr:
                    st[qi, Z_KIM] += 1
                    continue
                x2 = (T[s + 2] - mu) * inv
                lb += min(_sq1(x0 - q2), _sq1(x1 - q2), _sq1(x2 - q2), _sq1(x2 - q1), _sq1(x2 - q0))
                if lb > thr:
                    st[qi, Z_KIM] += 1
                    continue
                y2 = (T[s + n - 3] - mu) * inv
                lb += min(_sq1(y0 - e2), _sq1(y1 - e2), _sq1(y2 - e2), _sq1(y2 - e1), _sq1(y2 - e0))
                if lb > thr:
                    st[qi, Z_KIM] += 1
                    continue
            # LB_Keogh: window against the query's envelope, rows by decreasing |q|
            lb1 = 0.0
            for t in range(n):
                j = q_order[qi, t]
                x = (T[s + j] - mu) * inv
                term = max(x - uo[qi, t], lo_s[qi, t] - x, 0.0)
                term = term * term
                cb1[j] = term
                lb1 += term
                if lb1 > thr:
                    break
            if lb1 > thr:
                st[qi, Z_KEOGH_EQ] += 1
                continue
            # LB_Keogh: query against the series' envelope over the window
            lb2 = 0.0
            off = (s - s0) % blk
            for t in range(n):
                i = q_order[qi, t]
                uu = (tU[off + i] - mu) * inv
                ll = (tL[off + i] - mu) * inv
                v = qo[qi, t]
                term = max(v - uu, ll - v, 0.0)
                term = term * term
                cb2[i] = term
                lb2 += term
                if lb2 > thr:
                    break
            if lb2 > thr:
                st[qi, Z_KEOGH_EC] += 1
                continue
            _cumulative_bound(lb1, lb2, cb1, cb2, n, radius, cbs, suffix)
            if not have_xz:
                for j in range(n):
                    xz[j, 0] = (T[s + j] - mu) * inv
                have_xz = True
            ub = min(own, other)
            v, abandoned = ea_dtw(
                Q[qi].reshape((n, 1)), xz, n, n, lo, hi, cbs, ub, thr, prev, cur, np.inf, 0.0
            )
            if abandoned or v == np.inf or v >= own or v > other:
                st[qi, Z_DTW_ABANDONED] += 1
                continue
            st[qi, Z_DTW_FULL] += 1
            _store_match(
                sd, ss, count, next_compact, thr_d, shared, qi, kk, ez, cap, acc_d, acc_s, v, s
            )
    _chunk_results(sd, ss, count, kk, ez, acc_d, acc_s, st, out_d, out_s, out_count, stats)


@njit_parallel
def _subsequence_kernel(bounds, out_d, out_s, out_count, stats, args):
    """``_search_chunk`` over the chunks ``[bounds[c], bounds[c + 1])`` of window
    starts, in parallel, each into its own output slots (see _bounds_kernel)."""
    for c in prange(bounds.shape[0] - 1):
        if bounds[c + 1] > bounds[c]:
            _search_chunk(
                bounds[c], bounds[c + 1], out_d[c], out_s[c], out_count[c], stats[c], *args
            )


@njit_parallel
def _subsequence_kernel_1d(bounds, out_d, out_s, out_count, stats, args):
    """``_subsequence_kernel`` with the univariate scan."""
    for c in prange(bounds.shape[0] - 1):
        if bounds[c + 1] > bounds[c]:
            s0, s1 = bounds[c], bounds[c + 1]
            _search_chunk_1d(s0, s1, out_d[c], out_s[c], out_count[c], stats[c], *args)


@njit
def _merge(out_d, out_s, out_count, k, ez, res_d, res_s):
    n_chunks, nq, cap = out_d.shape
    for qi in range(nq):
        total = 0
        for c in range(n_chunks):
            total += out_count[c, qi]
        sd = np.empty(max(total, 1))
        ss = np.empty(max(total, 1), dtype=np.int64)
        t = 0
        for c in range(n_chunks):
            for u in range(out_count[c, qi]):
                sd[t] = out_d[c, qi, u]
                ss[t] = out_s[c, qi, u]
                t += 1
        _greedy(sd, ss, total, k, ez, res_d[qi], res_s[qi])


@njit
def _prepare_queries(Q, radius, znorm, lo, hi, Qz, q_order, qL, qU):
    nq, n, d = Q.shape
    clo = np.empty(n, dtype=np.int64)
    chi = np.empty(n, dtype=np.int64)
    _col_ranges(n, n, lo, hi, clo, chi)
    dq1 = np.empty(n + 1, dtype=np.int64)
    dq2 = np.empty(n + 1, dtype=np.int64)
    key = np.empty(n)
    for qi in range(nq):
        for f in range(d):
            m1 = 0.0
            m2 = 0.0
            if znorm:
                for i in range(n):
                    m1 += Q[qi, i, f]
                    m2 += Q[qi, i, f] * Q[qi, i, f]
                m1 /= n
                m2 /= n
                var = m2 - m1 * m1
                inv = 1.0 / np.sqrt(var) if var > _FLAT * m2 else 0.0
            else:
                inv = 1.0
            for i in range(n):
                Qz[qi, i, f] = (Q[qi, i, f] - m1) * inv
        for f in range(d):
            _envelope(Qz[qi], f, clo, chi, n, qL[qi], qU[qi], dq1, dq2)
        for i in range(n):
            t = 0.0
            for f in range(d):
                t += abs(Qz[qi, i, f])
            key[i] = -t
        q_order[qi] = np.argsort(key, kind="mergesort")


def dtw_subsequence_search(Q, T, radius, n_matches, exclusion_zone, znormalize, n_chunks=None):
    """The ``n_matches`` best windows of T for each query, exactly, UCR-suite style.

    Q: (nq, n, d) float64 queries (one length), T: (L, d) float64 series,
    ``radius``: Sakoe-Chiba radius, ``exclusion_zone``: two matches start at least
    this far apart (<= 1: no exclusion), ``znormalize``: compare z-normalised
    windows with z-normalised queries (running mean and standard deviation; a flat
    window becomes zeros).  Returns ``(sq, starts, stats)``: squared distances
    (nq, n_matches) float64 (``inf`` / start -1 where fewer matches exist),
    starts int64, and the per-query counts (nq, 5) of ``SUBSEQ_STATS``.

    Each window meets LB_Kim (hierarchy of the first and last three cells), LB_Keogh
    of the window against the query's envelope (query rows taken by decreasing
    |z|), LB_Keogh of the query against the series' envelope, then the EAPruned DTW
    carrying the cumulative bound of the better LB_Keogh; all abandon past the
    current threshold.  With ``n_matches = k`` and an exclusion zone, the threshold
    is the (2k - 1)-th best of the matches found so far that are pairwise apart
    (which bounds the final k-th match); windows below it are kept and the greedy
    selection is made at the end over all chunks, so the result is exactly the
    greedy selection over every window.  Chunks of the series run in parallel.
    """
    from ._jit import n_threads

    nq, n, d = Q.shape
    L = T.shape[0]
    n_windows = L - n + 1
    k = int(n_matches)
    ez = int(exclusion_zone)
    kk = 2 * k - 1 if ez > 1 else k
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    band_ranges(n, n, 2, int(radius), 2.0, lo, hi)
    Qz = np.empty_like(Q)
    q_order = np.empty((nq, n), dtype=np.int64)
    qL = np.empty_like(Q)
    qU = np.empty_like(Q)
    _prepare_queries(Q, int(radius), bool(znormalize), lo, hi, Qz, q_order, qL, qU)
    if n_chunks is None:
        n_chunks = max(1, min(n_windows // max(4 * n, 256), 4 * n_threads()))
    n_chunks = max(1, min(int(n_chunks), n_windows))
    bounds = np.linspace(0, n_windows, n_chunks + 1).astype(np.int64)
    longest = int(np.max(np.diff(bounds)))
    cap = int(min(2 * kk * max(2 * ez - 1, 1) + 64, longest + 1))
    out_d = np.empty((n_chunks, nq, cap))
    out_s = np.empty((n_chunks, nq, cap), dtype=np.int64)
    out_count = np.zeros((n_chunks, nq), dtype=np.int64)
    stats = np.zeros((n_chunks, nq, N_ZSTATS), dtype=np.int64)
    shared = np.full(nq, np.inf)
    work = n_windows * nq  # windows: the serial twin below SMALL_WORK
    if d == 1:
        q1 = np.ascontiguousarray(Qz[:, :, 0])
        qo = np.ascontiguousarray(np.take_along_axis(q1, q_order, axis=1))
        uo = np.ascontiguousarray(np.take_along_axis(qU[:, :, 0], q_order, axis=1))
        lo_s = np.ascontiguousarray(np.take_along_axis(qL[:, :, 0], q_order, axis=1))
        args = (q1, q_order, qo, uo, lo_s, np.ascontiguousarray(T[:, 0]))
        kernel = _subsequence_kernel_1d
    else:
        args = (Qz, q_order, qL, qU, T, np.ascontiguousarray(T.T))
        kernel = _subsequence_kernel
    args = (*args, int(radius), bool(znormalize), kk, ez, cap, lo, hi, shared)
    kernel.run(work, bounds, out_d, out_s, out_count, stats, args)
    res_d = np.full((nq, k), np.inf)
    res_s = np.full((nq, k), -1, dtype=np.int64)
    _merge(out_d, out_s, out_count, k, ez, res_d, res_s)
    return res_d, res_s, stats.sum(axis=0)
