"""The soft-DTW barycenter objective and its gradient on the CPU, fused (numba).

For a barycenter Z (S, d) and a dataset X, one call returns
``sum_b w_b sdtw(Z, X_b)`` and the pieces of its gradient
``2 (diag(r) Z - e)``: ``r[i] = sum_b w_b sum_j E_b[i, j]`` and
``e[i] = sum_b w_b sum_j E_b[i, j] X_b[j]``, with E_b the expected alignment.
Nothing of size S x N leaves a thread: each pair's forward keeps two rows of
the accumulated values and stores the normalised soft-min weights of the
three predecessors of every cell; the backward walks the E recursion with
those weights (no exponential) and folds each row of E into r and e at once.

Series of one length go through LANES at a time, the lane loop innermost and
branch-free, with ``exp`` and ``log`` written as plain arithmetic (range
reduction and polynomials, within 2 ulp of libm's; numba has no vector libm
here), so LLVM can vectorise the cells of the LANES pairs and overlap their
latencies (the soft-min of a cell waits on its left neighbour's); the others
go one by one through the same code.  The soft-min is
``mn - g log(sum exp(-(a - mn) / g))`` (shifted by the smallest argument);
unreachable cells hold the finite sentinel ``big`` and get zero weight.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from .._contract import sentinel
from ._band import band_ranges
from ._jit import n_threads, njit_parallel, njit_vec

LANES = 16


# --- exp and log as plain arithmetic (numba has no SVML here: libm's exp/log are
# one call per value and never vectorised; these are, across the lanes)
@intrinsic
def _f2i(typingctx, x):
    """Bits of a float64 as an int64."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _i2f(typingctx, x):
    """float64 with the bits of an int64."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_ROUND = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer


@njit_vec
def _exp_neg(x):
    """exp(x) for x <= 0 (0 below -708): range reduction by ln 2, degree-13 Taylor
    polynomial on |r| <= ln(2) / 2 (truncation < 1e-17 relative), 2^n from bits;
    within 2 ulp of libm's."""
    xc = x if x > -708.0 else -708.0
    n = (xc * _LOG2E + _ROUND) - _ROUND  # nearest integer, without a libm call
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    scale = _i2f((np.int64(n) + np.int64(1023)) << np.int64(52))
    return 0.0 if x < -708.0 else p * scale


@njit_vec
def _log_ge1(x):
    """log(x) for finite x >= 1: x = 2^e m with m in [sqrt(2)/2, sqrt(2)),
    log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172 (series to s^23)."""
    bits = _f2i(x)
    e = (bits >> np.int64(52)) - np.int64(1023)
    m = _i2f((bits & np.int64(0x000FFFFFFFFFFFFF)) | np.int64(0x3FF0000000000000))  # [1, 2)
    big_m = m > _SQRT2
    m = m * 0.5 if big_m else m
    ef = float(e + 1) if big_m else float(e)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    q = 1.0 / 23.0
    q = q * z + 1.0 / 21.0
    q = q * z + 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    lm = 2.0 * s + 2.0 * s * (z * q)
    return ef * _LN2_HI + (lm + ef * _LN2_LO)


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
        for j in range(W):
            for l in range(NL):
                R[co + j, l] = big
        # cells outside the band keep zero weights (inside, the loop below writes them)
        for j in range(m):
            if j < a or j >= b:
                for l in range(NL):
                    Wd[i, j, l] = 0.0
                    Wu[i, j, l] = 0.0
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
                rd = R[po + j, l]
                ru = R[po + j + 1, l]
                rl = R[co + j, l]
                # sorted with min/max only; the smallest term is exp(0) = 1
                lo_du = min(rd, ru)
                hi_du = max(rd, ru)
                mn = min(lo_du, rl)
                md = max(lo_du, min(hi_du, rl))
                mx = max(hi_du, rl)
                e_md = _exp_neg((mn - md) * inv)
                e_mx = _exp_neg((mn - mx) * inv)
                s = 1.0 + e_md + e_mx
                v = crow[j, l] + (mn - gamma * _log_ge1(s))
                dead = mn >= big
                inv_s = 0.0 if dead else 1.0 / s
                # each predecessor's term, selected back from the sorted ones
                ed = 1.0 if rd == mn else (e_md if rd == md else e_mx)
                eu = 1.0 if ru == mn else (e_md if ru == md else e_mx)
                R[co + j + 1, l] = big if dead else v
                Wd[i, j, l] = ed * inv_s
                Wu[i, j, l] = eu * inv_s
    last = W - ((S - 1) & 1) * W
    # backward: E[i, j] = E[i+1, j+1] Wd[i+1, j+1] + E[i+1, j] Wu[i+1, j] + E[i, j+1] Wl[i, j+1]
    for j in range(2 * W):
        for l in range(NL):
            E[j, l] = 0.0
    for i in range(S - 1, -1, -1):
        co = (i & 1) * W  # row i
        no = W - co  # row i + 1 (zeros below the last row)
        for l in range(NL):
            rsum[l] = 0.0
            for f in range(d):
                esum[f, l] = 0.0
        if i == S - 1:
            for l in range(NL):
                E[co + m - 1, l] = 1.0
                E[co + m, l] = 0.0
                rsum[l] = 1.0
                for f in range(d):
                    esum[f, l] = Xg[m - 1, f, l]
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
                    E[co + j, l] = e
                    rsum[l] += e
            elif j + 1 < m:  # last row: from the left only
                for l in range(NL):
                    wl = 1.0 - Wd[i, j + 1, l] - Wu[i, j + 1, l]
                    e = E[co + j + 1, l] * wl
                    E[co + j, l] = e
                    rsum[l] += e
            else:  # last column: from below only
                for l in range(NL):
                    e = E[no + j, l] * Wu[i + 1, j, l]
                    E[co + j, l] = e
                    rsum[l] += e
            for f in range(d):
                for l in range(NL):
                    esum[f, l] += E[co + j, l] * Xg[j, f, l]
        for l in range(NL):
            acc_r[i] += w[l] * rsum[l]
            for f in range(d):
                acc_e[i, f] += w[l] * esum[f, l]
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
            crow = np.empty((m, nl), dtype=np.float64)
            rsum = np.empty(nl, dtype=np.float64)
            esum = np.empty((d, nl), dtype=np.float64)
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
