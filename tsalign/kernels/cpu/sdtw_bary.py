"""The soft-DTW barycenter objective and its gradient on the CPU, fused (numba).

For a barycenter Z (S, d) and a dataset X, one call returns
``sum_b w_b sdtw(Z, X_b)`` and the pieces of its gradient
``2 (diag(r) Z - e)``: ``r[i] = sum_b w_b sum_j E_b[i, j]`` and
``e[i] = sum_b w_b sum_j E_b[i, j] X_b[j]``, with E_b the expected alignment.
Nothing of size S x N leaves a thread: each pair's forward keeps two rows of
the accumulated values and stores the normalised soft-min weights of the
three predecessors of every cell; the backward walks the E recursion with
those weights (no exponential) and folds each row of E into r and e at once.

Series of one length go through LANES at a time (a partial group repeats its
first series with weight 0), the lane loop innermost and branch-free.  Each
group first runs in the exponential domain (``_pairs_objective_exp``: one
exponential per cell, off the dependency chain, no logarithm), which is exact
up to rounding unless exp(-R / gamma) leaves float64's range; a group whose
loss cannot be bounded below e^-36 of its value runs again in the log domain
(``_pairs_objective``), with ``exp`` and ``log`` as plain arithmetic
(``_vmath64``: numba has no vector libm here), so LLVM can vectorise the cells
of the LANES pairs and overlap their latencies (the soft-min of a cell waits on
its left neighbour's).  The soft-min is ``mn - g log(sum exp(-(a - mn) / g))``
(shifted by the smallest argument); unreachable cells hold the finite sentinel
``big`` and get zero weight.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import prange
from numba.extending import intrinsic

from .._contract import sentinel
from ._band import band_ranges
from ._jit import n_threads, njit_parallel, njit_vec
from ._lanes import group_size
from ._simd import Vec, vadd, vload, vmul, vsplat, vstore
from ._vmath64 import _d2i, _i2d, exp64, log64

LANES = group_size("float64")  # one _simd vector per cell
BIG = sentinel(np.float64)  # the log domain's unreachable cells
# Weights, expected alignments and exp-domain values below this are set to 0: their
# products would be subnormal, and a subnormal operand slowed the 200 x 128 x 128
# objective 2x (34-38 vs 18 ms) once the barycenter fitted some series closely.
TINY = 2.0**-1020


@njit_vec
def _row_start(Z, Xg, i, m, a, b, rows, co, fill, A1, A2, crow):
    """Row i of the lanes' DP before its cells: ``rows[co:co + m + 1] = fill``, the
    per-cell arrays A1, A2 zero outside the band [a, b) (the cells write them
    inside), ``crow[a:b]`` the squared costs of Z[i] with the lanes' frames."""
    NL = Xg.shape[2]
    d = Z.shape[1]
    for j in range(m + 1):
        for l in range(NL):
            rows[co + j, l] = fill
    for j in range(m):
        if j < a or j >= b:
            for l in range(NL):
                A1[i, j, l] = 0.0
                A2[i, j, l] = 0.0
    for j in range(a, b):
        for l in range(NL):
            crow[j, l] = 0.0
    for f in range(d):
        zf = Z[i, f]
        for j in range(a, b):
            for l in range(NL):
                diff = zf - Xg[j, f, l]
                crow[j, l] += diff * diff


@njit_vec
def _fold_row(Er, off, Xg, a, b, i, out_r, out_e):
    """Row i of the lanes' expected alignments (``Er[off + j, l]``, a <= j < b; 0
    outside) into per-lane sums: ``out_r[i, l] = sum_j E``, ``out_e[i, f, l] =
    sum_j E Xg[j, f, l]``."""
    NL = Xg.shape[2]
    d = Xg.shape[1]
    for l in range(NL):
        out_r[i, l] = 0.0
    for j in range(a, b):
        for l in range(NL):
            out_r[i, l] += Er[off + j, l]
    for f in range(d):
        for l in range(NL):
            out_e[i, f, l] = 0.0
        for j in range(a, b):
            for l in range(NL):
                out_e[i, f, l] += Er[off + j, l] * Xg[j, f, l]


@njit_vec
def _pairs_objective(Z, Xg, m, band, gamma, big, R, Wd, Wu, E, crow, lo, hi, out_r, out_e):
    """Values of NL pairs (Z, Xg[:m, :, l]) and their E row sums into out_r, out_e.

    Xg (m, d, NL) float64; R, E (2 (m + 1), NL) rolling rows; Wd, Wu (S, m,
    NL) the normalised soft-min weights of the diagonal and upper predecessors
    (the left one is 1 - both); crow (m, NL) a row of costs; out_r (S, NL),
    out_e (S, d, NL) as in ``_fold_row``.  The lane loops have no
    branch, so LLVM vectorises them: unreachable cells are selected to ``big``,
    and E is 0 there by itself (every weight pointing at them is exp(-huge) = 0).
    Returns the index in R of the end cell (column m - 1 of the last row).
    """
    S, d = Z.shape
    NL = Xg.shape[2]
    inv = 1.0 / gamma
    W = m + 1
    band_ranges(S, m, band[0], band[1], band[2], lo, hi)
    for j in range(W):
        for l in range(NL):
            R[j, l] = big
    for l in range(NL):
        R[0, l] = 0.0  # R[-1, -1]
    for i in range(S):
        po = (i & 1) * W
        co = W - po
        a = lo[i]
        b = hi[i]
        _row_start(Z, Xg, i, m, a, b, R, co, big, Wd, Wu, crow)
        for j in range(a, b):
            for l in range(NL):
                rd = R[po + j, l]
                ru = R[po + j + 1, l]
                rl = R[co + j, l]
                # sorted with min/max only; the smallest term is exp(0) = 1
                lo_du = min(rd, ru)
                hi_du = max(rd, ru)
                mn = min(lo_du, rl)
                md = max(lo_du, min(hi_du, rl))
                mx = max(hi_du, rl)
                e_md = exp64((mn - md) * inv)
                e_mx = exp64((mn - mx) * inv)
                s = 1.0 + e_md + e_mx
                v = crow[j, l] + (mn - gamma * log64(s))
                dead = mn >= big
                inv_s = 0.0 if dead else 1.0 / s
                # each predecessor's term, selected back from the sorted ones
                ed = 1.0 if rd == mn else (e_md if rd == md else e_mx)
                eu = 1.0 if ru == mn else (e_md if ru == md else e_mx)
                R[co + j + 1, l] = big if dead else v
                wd = ed * inv_s
                wu = eu * inv_s
                Wd[i, j, l] = wd if wd >= TINY else 0.0
                Wu[i, j, l] = wu if wu >= TINY else 0.0
    last = W - ((S - 1) & 1) * W
    # backward: E[i, j] = E[i+1, j+1] Wd[i+1, j+1] + E[i+1, j] Wu[i+1, j] + E[i, j+1] Wl[i, j+1]
    for j in range(2 * W):
        for l in range(NL):
            E[j, l] = 0.0
    for i in range(S - 1, -1, -1):
        co = (i & 1) * W  # row i
        no = W - co  # row i + 1 (zeros below the last row)
        if i == S - 1:
            for l in range(NL):
                E[co + m - 1, l] = 1.0
                E[co + m, l] = 0.0
            j_top = m - 2
        else:
            j_top = m - 1
            for l in range(NL):
                E[co + m, l] = 0.0
        for j in range(j_top, -1, -1):
            if i + 1 < S and j + 1 < m:
                for l in range(NL):
                    wl = 1.0 - Wd[i, j + 1, l] - Wu[i, j + 1, l]
                    e = (
                        E[co + j + 1, l] * wl
                        + E[no + j, l] * Wu[i + 1, j, l]
                        + E[no + j + 1, l] * Wd[i + 1, j + 1, l]
                    )
                    E[co + j, l] = e if e >= TINY else 0.0
            elif j + 1 < m:  # last row: from the left only
                for l in range(NL):
                    wl = 1.0 - Wd[i, j + 1, l] - Wu[i, j + 1, l]
                    e = E[co + j + 1, l] * wl
                    E[co + j, l] = e if e >= TINY else 0.0
            else:  # last column: from below only
                for l in range(NL):
                    e = E[no + j, l] * Wu[i + 1, j, l]
                    E[co + j, l] = e if e >= TINY else 0.0
        _fold_row(E, co, Xg, lo[i], hi[i], i, out_r, out_e)
    return last + m


# --- the same in the exponential domain: P = exp(-R / gamma), so that a cell is
# P[i, j] = K[i, j] (P[i-1, j-1] + P[i-1, j] + P[i, j-1]) with K = exp(-cost / gamma):
# the exponentials leave the dependency chain (one per cell, over a whole row at
# once) and no logarithm is left, the chain is an add and a multiply.  Row i is
# kept in units u_i, powers of two: row i - 1's values enter row i's cells times
# mx[i-1] = 2^-e (2^e the top of row i - 1's largest value), so u_i = u_{i-1} 2^e
# (exact; the row is stored as computed).  A value below TINY is set to 0.
#
# The backward needs no reciprocal: with T = u_i B / P(end), B the backward partition
# function, E = P T, and F = K T obeys T[i, j] = F[i, j+1] + mx[i] (F[i+1, j] +
# F[i+1, j+1]), computed from K alone: T exists at the cells the forward set to 0
# too, and the relative loss of the end value is exactly the sum over those cells of
# (their value before the flush) x T.  Each such value is below U_i = 2^-1016 max(1,
# 1 / mx[i]) (TINY, or an exponential below e^-708 times its predecessors' sum, in
# u_i), so the loss is bounded, after the backward, by sum_i U_i (sum of T over row
# i's zero cells in the band).  A lane whose bound exceeds e^-36 (or whose end value
# underflowed) is not accumulated, and its series runs again in the log domain
# (``_pairs_objective``): that happens where exp(-R / gamma) spans more than
# float64's range along a row (gamma small next to the costs).
LOSS = np.exp(-36.0)
HEAD = 0
UNIT = 2.0 ** (HEAD - 1016)
_LN2 = 0.6931471805599453


def _lane_select(pred, zero_else):
    @intrinsic
    def fn(typingctx, v, t):
        if not (isinstance(v, Vec) and v == t):
            return None
        sig = v(v, t)

        def codegen(context, builder, signature, args):
            keep = builder.fcmp_ordered(pred, args[0], args[1])
            other = ir.Constant(args[0].type, None) if zero_else else args[1]
            return builder.select(keep, args[0], other)

        return sig, codegen

    return fn


_vflush = _lane_select(">=", True)  # lane-wise v if v >= t else 0
_vmax = _lane_select(">", False)  # lane-wise v if v > t else t


@njit_vec
def _exp_forward(Z, Xg, m, band, gamma, P, K, rows, crow, mx, ex, lo, hi):
    """The exp-domain forward of NL pairs: P, K (S, m, NL) for the backward,
    ``mx[i, l]`` the factor of row i into row i + 1, ``ex[l]`` the log2 of the last
    row's units; returns the index in ``rows`` of the end cell."""
    S = Z.shape[0]
    d = Z.shape[1]
    # lane count read from an array: a constant trip count would have LLVM unroll the
    # plain lane loops and leave them scalar (the vector code takes its width from _simd)
    NL = Xg.shape[2]
    PN = P.shape[1]
    inv = 1.0 / gamma
    W = m + 1
    band_ranges(S, m, band[0], band[1], band[2], lo, hi)
    for j in range(W):
        for l in range(NL):
            rows[j, l] = 0.0
    for l in range(NL):
        rows[0, l] = 1.0  # P[-1, -1] = exp(0)
        crow[0, l] = 1.0  # the factor of row -1
        ex[l] = 0.0
    fac = vload(crow, 0)
    for i in range(S):
        po = (i & 1) * W
        co = W - po
        a = lo[i]
        b = hi[i]
        for j in range(a + 1):
            for l in range(NL):
                rows[co + j, l] = 0.0
        for j in range(b + 1, W):
            for l in range(NL):
                rows[co + j, l] = 0.0
        for j in range(a, b):
            for l in range(NL):
                crow[j, l] = 0.0
        for f in range(d):
            zf = Z[i, f]
            for j in range(a, b):
                for l in range(NL):
                    diff = zf - Xg[j, f, l]
                    crow[j, l] += diff * diff
        for j in range(a, b):
            for l in range(NL):
                K[i, j, l] = exp64(-crow[j, l] * inv)
        # the chain: one add and one multiply per cell, the left neighbour in registers
        left = vload(rows, (co + a) * NL)
        tiny = vsplat(left, TINY)
        top = left
        for j in range(a, b):
            q = (po + j) * NL
            g = (i * PN + j) * NL
            up = vmul(fac, vadd(vload(rows, q), vload(rows, q + NL)))
            left = _vflush(vmul(vload(K, g), vadd(up, left)), tiny)
            vstore(rows, (co + j + 1) * NL, left)
            vstore(P, g, left)
            top = _vmax(top, left)
        # row i enters row i + 1 times 2^-e, 2^e the top of its largest value (exact)
        vstore(crow, 0, top)
        for l in range(NL):
            e = np.int64(0)
            if crow[0, l] > 0.0:
                e = (_d2i(crow[0, l]) >> np.int64(52)) - np.int64(1023 + HEAD)
            mx[i, l] = _i2d((np.int64(1023) - e) << np.int64(52))
            if i < S - 1:
                ex[l] += float(e)
        fac = vload(mx, i * NL)
    return W - ((S - 1) & 1) * W + m


@njit_vec
def _exp_backward(Xg, m, P, K, Fb, trow, mx, lost, lo, hi, out_r, out_e):
    """The exp-domain backward: the rows of E into ``out_r``, ``out_e`` (per lane) and
    ``lost[0, l]``, the bound on lane l's relative loss (``lost[1]`` scratch); Fb
    (2 (m + 1), NL) two rows of F (row i's F over row i + 2's half), trow (m, NL)
    a row of T, then of E."""
    S = P.shape[0]
    d = Xg.shape[1]
    NL = Xg.shape[2]
    PN = P.shape[1]
    W = m + 1
    for j in range(2 * W):
        for l in range(NL):
            Fb[j, l] = 0.0
    for l in range(NL):
        lost[0, l] = 0.0
    for i in range(S - 1, -1, -1):
        co = (i & 1) * W  # row i
        no = W - co  # row i + 1 (zeros below the last row)
        a = lo[i]
        b = hi[i]
        for j in range(a):
            for l in range(NL):
                Fb[co + j, l] = 0.0
        for j in range(b, W):
            for l in range(NL):
                Fb[co + j, l] = 0.0
        j_top = b - 1
        if i == S - 1:  # the end cell: E = 1, T = 1 / P
            for l in range(NL):
                pe = P[i, m - 1, l]
                t = 1.0 / pe if pe > 0.0 else 0.0
                trow[m - 1, l] = t
                f = t * K[i, m - 1, l]
                Fb[co + m - 1, l] = f if f >= TINY else 0.0
            j_top = m - 2
        Fl = vload(Fb, (co + j_top + 1) * NL)
        fac = vload(mx, i * NL)
        tiny = vsplat(fac, TINY)
        for j in range(j_top, a - 1, -1):
            q = (no + j) * NL
            t = vadd(Fl, vmul(fac, vadd(vload(Fb, q), vload(Fb, q + NL))))
            Fl = _vflush(vmul(vload(K, (i * PN + j) * NL), t), tiny)
            vstore(Fb, (co + j) * NL, Fl)
            vstore(trow, j * NL, t)
        # E = P T into the row sums; T over the band's zero cells into the loss bound
        for l in range(NL):
            out_r[i, l] = 0.0
            lost[1, l] = 0.0
        for j in range(a, b):
            for l in range(NL):
                p = P[i, j, l]
                t = trow[j, l]
                e = p * t
                e = e if e >= TINY else 0.0
                trow[j, l] = e
                out_r[i, l] += e
                lost[1, l] += t if p == 0.0 else 0.0
        for l in range(NL):
            u = UNIT / mx[i, l]
            lost[0, l] += (u if u > UNIT else UNIT) * lost[1, l]
        for f in range(d):
            for l in range(NL):
                out_e[i, f, l] = 0.0
            for j in range(a, b):
                for l in range(NL):
                    out_e[i, f, l] += trow[j, l] * Xg[j, f, l]


@njit_parallel
def _objective_kernel(Z, X, lx, weights, plan, band, gamma, exp_domain, cells, out):
    """The lane groups of ``plan`` (order, group starts, group sizes, chunk starts),
    one chunk per thread; ``out`` = (vals (n,), acc_r (chunks, S), acc_e (chunks, S,
    d), modes (n,)); ``cells`` (>= chunks, 2, S, N, LANES) the cell scratch."""
    order, t_start, t_count, c_start = plan
    vals, acc_r, acc_e, modes = out
    big = BIG
    n_chunks = acc_r.shape[0]
    S, d = Z.shape
    N = X.shape[1]
    nl = LANES
    for c in prange(n_chunks):
        # per-chunk scratch; the cell arrays (megabytes) come from the caller, whose
        # fresh pages cost as much as the cells when allocated per call; lanes past a
        # group's series repeat its first one with weight 0
        lo = np.empty(S, dtype=np.int64)
        hi = np.empty(S, dtype=np.int64)
        Xg = np.empty((N, d, nl), dtype=np.float64)
        w = np.empty(nl, dtype=np.float64)
        R = np.empty((2 * (N + 1), nl), dtype=np.float64)
        E = np.empty((2 * (N + 1), nl), dtype=np.float64)
        C1 = cells[c, 0]
        C2 = cells[c, 1]
        crow = np.empty((N, nl), dtype=np.float64)
        out_r = np.empty((S, nl), dtype=np.float64)
        out_e = np.empty((S, d, nl), dtype=np.float64)
        mx = np.empty((S, nl), dtype=np.float64)
        lane = np.empty((4, nl), dtype=np.float64)
        ex = lane[0]
        ok = lane[3]
        for t in range(c_start[c], c_start[c + 1]):
            s = t_start[t]
            cnt = t_count[t]
            m = lx[order[s]]
            for l in range(nl):
                b = order[s + (l if l < cnt else 0)]
                w[l] = weights[b] if l < cnt else 0.0
                for j in range(m):
                    for f in range(d):
                        Xg[j, f, l] = X[b, j, f]
            if exp_domain:
                at = _exp_forward(Z, Xg, m, band, gamma, C1, C2, R, crow, mx, ex, lo, hi)
                _exp_backward(Xg, m, C1, C2, E, crow, mx, lane[1:3], lo, hi, out_r, out_e)
                for l in range(cnt):
                    pe = R[at, l]
                    ok[l] = 1.0 if (pe > 0.0) & (lane[1, l] <= LOSS) else 0.0
                    if ok[l] > 0.0:
                        vals[order[s + l]] = -gamma * (np.log(pe) + ex[l] * _LN2)
            else:
                at = _pairs_objective(
                    Z, Xg, m, band, gamma, big, R, C1, C2, E, crow, lo, hi, out_r, out_e
                )
                for l in range(cnt):
                    ok[l] = 1.0
                    v = R[at, l]
                    vals[order[s + l]] = np.inf if v >= big else v
            for l in range(cnt):
                modes[order[s + l]] = 1 if exp_domain and ok[l] > 0.0 else 0
            for i in range(S):
                for l in range(cnt):
                    if ok[l] > 0.0:
                        acc_r[c, i] += w[l] * out_r[i, l]
                        for f in range(d):
                            acc_e[c, i, f] += w[l] * out_e[i, f, l]


def sdtw_barycenter_objective(Z, X, lx, weights, band, gamma, scratch=None):
    """Soft-DTW of Z with every series and the weighted sums of the E matrices.

    Z: (S, d) float64, X: (n, N, d) float64 zero-padded past lx, weights (n,)
    float64.  Returns ``(values (n,), r (S,), e (S, d))``: ``values[b] =
    sdtw(Z, X[b])`` (``inf`` where the band admits no path), ``r[i] = sum_b
    w_b sum_j E_b[i, j]``, ``e[i] = sum_b w_b sum_j E_b[i, j] X[b, j]``.
    ``scratch``: a dict kept across the calls of one minimisation, where the
    megabytes of cell scratch are kept (None: allocated for this call).
    """
    vals, r, e, _ = _objective_tasks(Z, X, lx, weights, band, gamma, scratch=scratch)
    return vals, r, e


def _plan(idx, lx):
    """Lane groups of the series ``idx`` (by length, at most LANES of one length
    each) and their split into one chunk per thread, balanced by cells."""
    order = idx[np.argsort(lx[idx], kind="stable")].astype(np.int64)
    ls = lx[order]
    n = len(order)
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
    return order, t_start, t_count, c_start


def _cells(scratch, n_chunks, S, N):
    """The cell scratch of ``n_chunks`` chunks, kept in ``scratch`` (a dict) if given."""
    got = None if scratch is None else scratch.get("cells")
    if got is None or got.shape[0] < n_chunks or got.shape[2:4] != (S, N):
        got = np.empty((n_chunks, 2, S, N, LANES), dtype=np.float64)
        if scratch is not None:
            scratch["cells"] = got
    return got


def _objective_tasks(Z, X, lx, weights, band, gamma, exp_domain=True, scratch=None):
    """``sdtw_barycenter_objective`` and the domain each series ran in (1: exp,
    0: log); ``exp_domain=False`` runs every series in the log domain."""
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    X = np.ascontiguousarray(X, dtype=np.float64)
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = X.shape[0]
    S, d = Z.shape
    band = (int(band[0]), int(band[1]), float(band[2]))
    vals = np.empty(n, dtype=np.float64)
    modes = np.zeros(n, dtype=np.int64)
    r = np.zeros(S, dtype=np.float64)
    e = np.zeros((S, d), dtype=np.float64)
    idx = np.arange(n, dtype=np.int64)
    # the exponential domain first; the series it could not bound, in the log domain
    for exp in (True, False) if exp_domain else (False,):
        if len(idx) == 0:
            break
        plan = _plan(idx, lx)
        n_chunks = len(plan[3]) - 1
        acc_r = np.zeros((n_chunks, S), dtype=np.float64)
        acc_e = np.zeros((n_chunks, S, d), dtype=np.float64)
        cells = _cells(scratch, n_chunks, S, X.shape[1])
        out = (vals, acc_r, acc_e, modes)
        work = int(np.sum(lx[idx])) * S
        _objective_kernel.run(work, Z, X, lx, weights, plan, band, float(gamma), exp, cells, out)
        r += acc_r.sum(axis=0)
        e += acc_e.sum(axis=0)
        idx = np.flatnonzero(modes == 0).astype(np.int64)
    return vals, r, e, modes
