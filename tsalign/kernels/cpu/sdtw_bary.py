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
def _fold_row(Er, off, Xg, m, w, i, rsum, esum, acc_r, acc_e):
    """Row i of the lanes' expected alignments (``Er[off + j, l]``, j < m) into the
    weighted sums: ``acc_r[i] += sum_l w[l] sum_j E``, ``acc_e[i] += sum_l w[l]
    sum_j E Xg[j, :, l]``."""
    NL = Xg.shape[2]
    d = Xg.shape[1]
    for l in range(NL):
        rsum[l] = 0.0
    for j in range(m):
        for l in range(NL):
            rsum[l] += Er[off + j, l]
    for l in range(NL):
        acc_r[i] += w[l] * rsum[l]
    for f in range(d):
        for l in range(NL):
            esum[f, l] = 0.0
        for j in range(m):
            for l in range(NL):
                esum[f, l] += Er[off + j, l] * Xg[j, f, l]
        for l in range(NL):
            acc_e[i, f] += w[l] * esum[f, l]


@njit_vec
def _pairs_objective(
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
    E,
    crow,
    rsum,
    esum,
    acc_r,
    acc_e,
    lo,
    hi,
):
    """Values of NL pairs (Z, Xg[:m, :, l]) and their weighted E sums into acc_r, acc_e.

    Xg (m, d, NL) float64; R, E (2 (m + 1), NL) rolling rows; Wd, Wu (S, m,
    NL) the normalised soft-min weights of the diagonal and upper predecessors
    (the left one is 1 - both); crow (m, NL) a row of costs; rsum (NL,), esum
    (d, NL) row sums; w (NL,) the lanes' weights.  The lane loops have no
    branch, so LLVM vectorises them: unreachable cells are selected to ``big``,
    and E is 0 there by itself (every weight pointing at them is exp(-huge) = 0).
    Returns the index in R of the end cell (column m - 1 of the last row).
    """
    S, d = Z.shape
    NL = Xg.shape[2]
    inv = 1.0 / gamma
    W = m + 1
    band_ranges(S, m, kind, radius, slope, lo, hi)
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
        _fold_row(E, co, Xg, m, w, i, rsum, esum, acc_r, acc_e)
    return last + m


# --- the same in the exponential domain: P = exp(-R / gamma), so that a cell is
# P[i, j] = K[i, j] (P[i-1, j-1] + P[i-1, j] + P[i, j-1]) with K = exp(-cost / gamma):
# the exponentials leave the dependency chain (one per cell, over a whole row at
# once) and no logarithm is left, the chain is an add and a multiply.  Each row is
# rescaled by a power of two (exact) so that its largest value lies in [1, 2); a
# value below TINY (in the previous row's units) is set to 0 and its lane marked.
# Such a loss is harmless when it is provably below e^-36 of the end value: each
# lost value is < TINY times its row's scale and reaches the end through at most
# (1 + sqrt(2))^(S + m - 1) paths (a Pell-number bound on the Delannoy numbers)
# of factors K <= 1.  Otherwise the group is computed again in the log domain
# (``_pairs_objective``): that happens where exp(-R / gamma) spans more than
# float64's range (gamma small next to the costs), and the forward gives up early
# once a lane's loss already looks too large.
_LN2 = 0.6931471805599453
_LN_PELL = 0.8813735870195430  # ln(1 + sqrt(2))


@intrinsic
def _vflush(typingctx, v, t):
    """Lane-wise ``v if v >= t else 0``."""
    if not (isinstance(v, Vec) and v == t):
        return None
    sig = v(v, t)

    def codegen(context, builder, signature, args):
        keep = builder.fcmp_ordered(">=", args[0], args[1])
        return builder.select(keep, args[0], ir.Constant(args[0].type, None))

    return sig, codegen


@njit_vec
def _pairs_objective_exp(
    Z,
    Xg,
    m,
    kind,
    radius,
    slope,
    gamma,
    w,
    P,
    Gs,
    rows,
    Fb,
    crow,
    sc,
    ex,
    ee,
    lost,
    mx,
    rsum,
    esum,
    acc_r,
    acc_e,
    lo,
    hi,
    vals,
):
    """``_pairs_objective`` in the exponential domain; False (nothing accumulated)
    when a lane lost more than the bound allows, then the caller runs the log domain.

    P (S, m, NL): each cell's value in its row's units (a power of two per row
    and lane; ``sc[i, l]`` = 2^(exponent of row i), ``ex[l]`` the running sum of
    the exponents, ``ee[l]`` its largest value); Gs (S, m, NL): 1 / (sum of a
    cell's predecessors) in the previous row's units, the soft-min weight of a
    predecessor being its P over that sum (0 where the sum is 0).  rows, Fb
    (2 (m + 1), NL): two rows of P, two rows of F = E Gs (column j at j + 1,
    column -1 at 0).  Writes ``vals[l]`` = sdtw of lane l.
    """
    S, d = Z.shape
    # lane count read from an array: a constant trip count would have LLVM unroll the
    # plain lane loops and leave them scalar (the vector code takes its width from _simd)
    NL = Xg.shape[2]
    PN = P.shape[1]
    inv = 1.0 / gamma
    W = m + 1
    # ln of the bound on a lane's relative loss, without its ln(row scale / end value)
    # term, plus 36 (the loss must stay below e^-36)
    room = np.log(float(S) * m) + (S + m - 1) * _LN_PELL - 1020.0 * _LN2 + 36.0
    band_ranges(S, m, kind, radius, slope, lo, hi)
    for j in range(2 * W):
        for l in range(NL):
            rows[j, l] = 0.0
    for l in range(NL):
        rows[0, l] = 1.0  # P[-1, -1] = exp(0)
        ex[l] = 0.0
        ee[l] = 0.0
        lost[l] = 0.0
    for i in range(S):
        po = (i & 1) * W
        co = W - po
        a = lo[i]
        b = hi[i]
        _row_start(Z, Xg, i, m, a, b, rows, co, 0.0, P, Gs, crow)
        for j in range(a, b):
            for l in range(NL):
                crow[j, l] = exp64(-crow[j, l] * inv)
        # the chain: one add and one multiply per cell, the left neighbour in registers
        left = vload(rows, (co + a) * NL)
        tiny = vsplat(left, TINY)
        for j in range(a, b):
            q = (po + j) * NL
            sm = vadd(vadd(vload(rows, q), vload(rows, q + NL)), left)
            left = _vflush(vmul(vload(crow, j * NL), sm), tiny)
            vstore(rows, (co + j + 1) * NL, left)
        # off the chain: the weights' denominators, then the losses and the row's largest
        # off the chain: the weights' denominators (those of cells set to 0 are not
        # used: 0 instead of 1 / a subnormal), the losses and the row's largest value
        for l in range(NL):
            mx[l] = 0.0
        for j in range(a, b):
            for l in range(NL):
                sm = rows[po + j, l] + rows[po + j + 1, l] + rows[co + j, l]
                Gs[i, j, l] = 1.0 / sm if sm >= TINY else 0.0
                v = rows[co + j + 1, l]
                lost[l] = max(lost[l], 1.0 if (v == 0.0) & (sm > 0.0) else 0.0)
                mx[l] = max(mx[l], v)
        # rescale the row by a power of two (exact): its largest value in [1, 2)
        for l in range(NL):
            e = np.int64(0)
            if mx[l] > 0.0:
                e = (_d2i(mx[l]) >> np.int64(52)) - np.int64(1023)
            sc[i, l] = _i2d((e + np.int64(1023)) << np.int64(52))
            mx[l] = _i2d((np.int64(1023) - e) << np.int64(52))
            ex[l] += float(e)
            ee[l] = max(ee[l], ex[l])
            if lost[l] > 0.0 and room + (ee[l] - ex[l]) * _LN2 > 0.0:
                return False  # the end value would have to grow back: give up now
        for j in range(a, b):
            for l in range(NL):
                v = rows[co + j + 1, l] * mx[l]
                rows[co + j + 1, l] = v
                P[i, j, l] = v
    last = W - ((S - 1) & 1) * W
    ok = True
    # ln of the bound on the relative loss, less ln(1e-15.6) = -36
    for l in range(NL):
        pe = rows[last + m, l]
        if pe <= 0.0:
            ok = False
        elif lost[l] > 0.0 and room + (ee[l] - ex[l]) * _LN2 - np.log(pe) > 0.0:
            ok = False
        else:
            vals[l] = -gamma * (np.log(pe) + ex[l] * _LN2)
    if not ok:
        return False
    # backward: E[i, j] = P[i, j] (sc[i] F[i, j+1] + F[i+1, j] + F[i+1, j+1]), F = E Gs;
    # row i's F is written over row i + 2's half, each cell after it was last read
    for j in range(2 * W):
        for l in range(NL):
            Fb[j, l] = 0.0
    for i in range(S - 1, -1, -1):
        co = (i & 1) * W  # row i
        no = W - co  # row i + 1 (zeros below the last row)
        for l in range(NL):
            Fb[co + m, l] = 0.0
        Fl = vsplat(vload(Fb, co * NL), 0.0)  # F[i, m] = 0
        if i == S - 1:
            for l in range(NL):
                crow[m - 1, l] = 1.0
                Fb[co + m - 1, l] = Gs[i, m - 1, l]
            Fl = vload(Fb, (co + m - 1) * NL)
            j_top = m - 2
        else:
            j_top = m - 1
        scv = vload(sc, i * NL)
        tiny = vsplat(scv, TINY)
        for j in range(j_top, -1, -1):
            q = (no + j) * NL
            g = (i * PN + j) * NL
            e = vmul(vload(P, g), vadd(vadd(vmul(scv, Fl), vload(Fb, q)), vload(Fb, q + NL)))
            e = _vflush(e, tiny)
            Fl = _vflush(vmul(e, vload(Gs, g)), tiny)
            vstore(Fb, (co + j) * NL, Fl)
            vstore(crow, j * NL, e)
        _fold_row(crow, 0, Xg, m, w, i, rsum, esum, acc_r, acc_e)
    return True


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
    exp_domain,
    vals,
    acc_r,
    acc_e,
    modes,
):
    n_chunks = acc_r.shape[0]
    S, d = Z.shape
    N = X.shape[1]
    nl = LANES
    for c in prange(n_chunks):
        # scratch for the chunk's groups, allocated once per chunk (per group, the
        # fresh pages of the megabytes of weights cost as much as the cells); lanes
        # past a group's series repeat its first one with weight 0
        lo = np.empty(S, dtype=np.int64)
        hi = np.empty(S, dtype=np.int64)
        Xg = np.empty((N, d, nl), dtype=np.float64)
        w = np.empty(nl, dtype=np.float64)
        R = np.empty((2 * (N + 1), nl), dtype=np.float64)
        E = np.empty((2 * (N + 1), nl), dtype=np.float64)
        Wd = np.empty((S, N, nl), dtype=np.float64)
        Wu = np.empty((S, N, nl), dtype=np.float64)
        crow = np.empty((N, nl), dtype=np.float64)
        rsum = np.empty(nl, dtype=np.float64)
        esum = np.empty((d, nl), dtype=np.float64)
        sc = np.empty((S, nl), dtype=np.float64)
        lane = np.empty((5, nl), dtype=np.float64)
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
                done = _pairs_objective_exp(
                    Z,
                    Xg,
                    m,
                    kind,
                    radius,
                    slope,
                    gamma,
                    w,
                    Wd,
                    Wu,
                    R,
                    E,
                    crow,
                    sc,
                    lane[0],
                    lane[1],
                    lane[2],
                    lane[4],
                    rsum,
                    esum,
                    acc_r[c],
                    acc_e[c],
                    lo,
                    hi,
                    lane[3],
                )
                if done:
                    modes[t] = 1
                    for l in range(cnt):
                        vals[order[s + l]] = lane[3, l]
                    continue
            modes[t] = 0
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
                E,
                crow,
                rsum,
                esum,
                acc_r[c],
                acc_e[c],
                lo,
                hi,
            )
            for l in range(cnt):
                v = R[at, l]
                vals[order[s + l]] = np.inf if v >= big else v


def sdtw_barycenter_objective(Z, X, lx, weights, band, gamma):
    """Soft-DTW of Z with every series and the weighted sums of the E matrices.

    Z: (S, d) float64, X: (n, N, d) float64 zero-padded past lx, weights (n,)
    float64.  Returns ``(values (n,), r (S,), e (S, d))``: ``values[b] =
    sdtw(Z, X[b])`` (``inf`` where the band admits no path), ``r[i] = sum_b
    w_b sum_j E_b[i, j]``, ``e[i] = sum_b w_b sum_j E_b[i, j] X[b, j]``.
    """
    vals, r, e, _ = _objective_tasks(Z, X, lx, weights, band, gamma)
    return vals, r, e


def _objective_tasks(Z, X, lx, weights, band, gamma, exp_domain=True):
    """``sdtw_barycenter_objective`` and the domain each lane group ran in (1: exp,
    0: log); ``exp_domain=False`` runs every group in the log domain."""
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
    modes = np.zeros(len(t_start), dtype=np.int64)
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
        bool(exp_domain),
        vals,
        acc_r,
        acc_e,
        modes,
    )
    return vals, acc_r.sum(axis=0), acc_e.sum(axis=0), modes
