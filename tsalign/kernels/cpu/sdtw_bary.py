"""The soft-DTW barycenter objective and its gradient on the CPU, fused (numba).

For a barycenter Z (S, d) and a dataset X, one call returns
``sum_b w_b sdtw(Z, X_b)`` and the pieces of its gradient
``2 (diag(r) Z - e)``: ``r[i] = sum_b w_b sum_j E_b[i, j]`` and
``e[i] = sum_b w_b sum_j E_b[i, j] X_b[j]``, with E_b the expected alignment.
Nothing of size S x N leaves a thread: each pair's E is folded into per-row
sums as the backward produces it.

Series of one length go through LANES at a time (a partial group repeats its
first series with weight 0), one ``_simd`` vector (or a plain lane loop that
LLVM vectorises) per cell.  Every series first runs in the exponential domain
(``_exp_forward``, ``_exp_backward``: one exponential per cell, no logarithm,
no reciprocal, walking anti-diagonals, whose cells are independent), exact up
to rounding unless exp(-R / gamma) spans more than float64's range along an
anti-diagonal; the loss is bounded after the backward, lane by lane, and the
series whose bound exceeds e^-36 of the value run again, regrouped, in the log
domain (``_pairs_objective``, by rows), with ``exp`` and ``log`` as plain
arithmetic (``_vmath64``: numba has no vector libm here), so LLVM can vectorise
the cells of the LANES pairs and overlap their latencies (the soft-min of a
cell waits on its left neighbour's).  The soft-min is ``mn - g log(sum exp(-(a
- mn) / g))`` (shifted by the smallest argument); unreachable cells hold the
finite sentinel ``big`` and get zero weight.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._contract import sentinel
from . import _vmath64 as vm
from ._band import band_ranges
from ._jit import n_threads, njit_inline, njit_parallel, njit_vec
from ._lanes import group_size
from ._simd import Vec, vadd, vload, vmul, vsplat, vstore, vsub
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


# --- the same in the exponential domain, walking anti-diagonals: P = exp(-R / gamma),
# so that P[i, j] = K[i, j] (P[i-1, j-1] + P[i-1, j] + P[i, j-1]), K = exp(-cost /
# gamma): no logarithm, one exponential per cell, and the cells of an anti-diagonal
# k = i + j are independent (no dependency chain: the lanes and the cells of a
# diagonal fill the vector units).  Diagonal k is kept in units u_k, powers of two:
# u_{k+1} = u_k 2^e, 2^e the top of the larger of diagonal k's and diagonal k - 1's
# largest values (in u_k), so the predecessors of a cell enter it below 2 each (exact
# factors g[k] = 2^-e); values below TINY are set to 0.  Anti-diagonals, not rows:
# the cells of one diagonal have made the same progress through both series, so
# those that matter stay within float64's range of its largest one, where a row's
# span of exp(-R / gamma) can exceed it (at gamma 1, up to 1800 nats of a row
# against 330 of an anti-diagonal for the worst-fitting series of the benchmark).
#
# The backward needs no reciprocal: with T = u_k B / P(end), B the backward partition
# function, E = P T, and F = K T obeys T[i, j] = g[k] (F[i, j+1] + F[i+1, j]) +
# g[k] g[k+1] F[i+1, j+1], computed from K alone: T exists at the cells the forward
# set to 0 too, and the relative loss of the end value is the sum over those cells of
# (their value before the flush) x T (exactly, but for the backward's own flushes of F
# below TINY, which the previous kernels made too).  Each such value is below UNIT
# (TINY, or an exponential below e^-708 times a predecessor sum below 6), so the loss
# is bounded, after the backward, by UNIT x (sum of T over the band's zero cells).  A
# lane whose bound exceeds e^-36 (or whose end value underflowed) is not accumulated,
# and its series runs again in the log domain (``_pairs_objective``): that happens
# where exp(-R / gamma) spans more than float64's range along an anti-diagonal
# (gamma small next to the costs).
LOSS = np.exp(-36.0)
UNIT = 2.0**-1016
_LN2 = 0.6931471805599453


@intrinsic
def _where(typingctx, pred, a, b, x, y):
    """Lane-wise ``x if a <pred> b else y``, ``pred`` a literal (">=", ">", "=="): an
    ordered comparison, false where a lane is NaN."""
    if not (isinstance(pred, types.StringLiteral) and isinstance(a, Vec)):
        return None
    if not (a == b == x == y):
        return None
    op = pred.literal_value

    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(op, args[1], args[2]), args[3], args[4])

    return x(pred, a, b, x, y), codegen


def _llvm_vector_fn(builder, name, vt, nargs):
    """The LLVM intrinsic ``name`` on vectors of type ``vt`` (llvmlite's
    declare_intrinsic knows scalar types only)."""
    suffix = f"v{vt.count}{vt.element.intrinsic_name}"
    fnty = ir.FunctionType(vt, [vt] * nargs)
    return cgutils.get_or_insert_function(builder.module, fnty, f"{name}.{suffix}")


@intrinsic
def _vfma(typingctx, a, b, c):
    """Lane-wise ``a * b + c`` rounded once (llvm.fma)."""
    if not (isinstance(a, Vec) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        return builder.call(_llvm_vector_fn(builder, "llvm.fma", args[0].type, 3), args)

    return a(a, b, c), codegen


@intrinsic
def _vfloor_pow2(typingctx, x):
    """Lane-wise ``(floor(x), 2^floor(x))`` for ``-1022 <= floor(x) <= 1023``."""
    if not isinstance(x, Vec):
        return None

    def codegen(context, builder, signature, args):
        vt = args[0].type
        n = builder.call(_llvm_vector_fn(builder, "llvm.floor", vt, 1), args)
        it = ir.VectorType(ir.IntType(64), x.count)
        bits = builder.add(builder.fptosi(n, it), ir.Constant(it, [1023] * x.count))
        bits = builder.shl(bits, ir.Constant(it, [52] * x.count))
        out = context.make_tuple(builder, signature.return_type, [n, builder.bitcast(bits, vt)])
        return out

    return types.UniTuple(x, 2)(x), codegen


@njit_inline
def _vexp(x, zero):
    """``exp64`` on a vector of lanes ``x <= 0`` (0 below -708)."""
    lo = vsplat(zero, vm._EXP_LO)
    xc = _where(">", x, lo, x, lo)
    n, scale = _vfloor_pow2(_vfma(xc, vsplat(zero, vm._LOG2E), vsplat(zero, 0.5)))
    r = vsub(vsub(xc, vmul(n, vsplat(zero, vm._LN2_HI))), vmul(n, vsplat(zero, vm._LN2_LO)))
    p = _vfma(vsplat(zero, vm._E13), r, vsplat(zero, vm._E12))
    p = _vfma(p, r, vsplat(zero, vm._E11))
    p = _vfma(p, r, vsplat(zero, vm._E10))
    p = _vfma(p, r, vsplat(zero, vm._E9))
    p = _vfma(p, r, vsplat(zero, vm._E8))
    p = _vfma(p, r, vsplat(zero, vm._E7))
    p = _vfma(p, r, vsplat(zero, vm._E6))
    p = _vfma(p, r, vsplat(zero, vm._E5))
    p = _vfma(p, r, vsplat(zero, vm._E4))
    p = _vfma(p, r, vsplat(zero, vm._E3))
    p = _vfma(p, r, vsplat(zero, vm._E2))
    p = vadd(_vfma(vmul(p, r), r, r), vsplat(zero, 1.0))
    return _where(">=", x, lo, vmul(p, scale), zero)


@njit_inline
def _kernel_cell(Z, Xg, i, j, ninv, zero):
    """K = exp(-cost / gamma) of cell (i, j) in every lane (``ninv`` = -1 / gamma)."""
    d = Z.shape[1]
    NL = Xg.shape[2]
    c = zero
    for f in range(d):
        dz = vsub(vsplat(zero, Z[i, f]), vload(Xg, (j * d + f) * NL))
        c = _vfma(dz, dz, c)
    return _vexp(vmul(c, ninv), zero)


@njit_vec
def _diagonals(S, m, lo, hi, ia, ib, base):
    """The band's cells by anti-diagonal: diagonal k holds rows ia[k] <= i <= ib[k]
    (an interval: the band's bounds are non-decreasing in i), at slots base[k] + 1 +
    i - ia[k], with a zero pad on either side (rows ia[k] - 1 and ib[k] + 1); every
    neighbour a cell reads lies in its diagonal's slots or pads.  Returns the slots."""
    pos = 0
    a = 0  # the first row with i + hi[i] > k (so j < m)
    b = -1  # the last row with i + lo[i] <= k (so j >= 0)
    for k in range(S + m - 1):
        while b + 1 < S and b + 1 + lo[b + 1] <= k:
            b += 1
        while a < S and a + hi[a] <= k:
            a += 1
        ia[k] = a
        ib[k] = b
        base[k] = pos
        pos += max(b - a + 1, 0) + 2
    return pos


@njit_vec
def _exp_forward(Z, Xg, m, gamma, P, K, ia, ib, base, g, ex):
    """The exp-domain forward of NL pairs: P and K by diagonal slots (see
    ``_diagonals``), ``g[k, l]`` the factor from diagonal k's units to k + 1's,
    ``ex[l]`` the log2 of the last diagonal's units; returns the end cell's slot."""
    S, d = Z.shape
    # lane count read from an array: a constant trip count would have LLVM unroll the
    # plain lane loops and leave them scalar (the vector code takes its width from _simd)
    NL = Xg.shape[2]
    inv = 1.0 / gamma
    nk = S + m - 1
    for l in range(NL):
        ex[l] = 0.0
    zero = vsplat(vload(P, 0), 0.0)
    tiny = vsplat(zero, TINY)
    one = vsplat(zero, 1.0)
    ninv = vsplat(zero, -inv)
    f1 = one  # g[k - 1]
    f2 = zero  # g[k - 2] g[k - 1]
    prev = zero  # diagonal k - 1's largest values, in its units
    for k in range(nk):
        a = ia[k]
        b = ib[k]
        o = base[k] + 1 - a  # slot of row i: o + i
        vstore(P, (o + a - 1) * NL, zero)
        vstore(P, (o + b + 1) * NL, zero)
        vstore(K, (o + a - 1) * NL, zero)
        vstore(K, (o + b + 1) * NL, zero)
        top = zero
        if k == 0:  # P[-1, -1] = 1
            for i in range(a, b + 1):
                kv = _kernel_cell(Z, Xg, i, k - i, ninv, zero)
                vstore(K, (o + i) * NL, kv)
                v = _where(">=", kv, tiny, kv, zero)
                vstore(P, (o + i) * NL, v)
                top = v
        else:
            o1 = base[k - 1] + 1 - ia[k - 1]
            o2 = base[k - 2] + 1 - ia[k - 2] if k >= 2 else o1
            fd = f2 if k >= 2 else zero  # diagonal -1 is empty
            for i in range(a, b + 1):
                kv = _kernel_cell(Z, Xg, i, k - i, ninv, zero)
                vstore(K, (o + i) * NL, kv)
                sm = vmul(f1, vadd(vload(P, (o1 + i - 1) * NL), vload(P, (o1 + i) * NL)))
                sm = vadd(sm, vmul(fd, vload(P, (o2 + i - 1) * NL)))
                v = vmul(kv, sm)
                v = _where(">=", v, tiny, v, zero)
                vstore(P, (o + i) * NL, v)
                top = _where(">", v, top, v, top)
        # diagonal k + 1's units: the larger of diagonals k's and k - 1's tops in [1, 2)
        prev = vmul(f1, prev)
        vstore(g, k * NL, _where(">", top, prev, top, prev))
        prev = top
        for l in range(NL):
            e = np.int64(0)
            if g[k, l] > 0.0:
                e = (_d2i(g[k, l]) >> np.int64(52)) - np.int64(1023)
            g[k, l] = _i2d((np.int64(1023) - e) << np.int64(52))
            if k < nk - 1:
                ex[l] += float(e)
        f2 = vmul(f1, vload(g, k * NL))
        f1 = vload(g, k * NL)
    return base[nk - 1] + 1 + (S - 1 - ia[nk - 1])


@njit_vec
def _exp_backward(Xg, m, P, K, ia, ib, base, g, lost, out_r, out_e):
    """The exp-domain backward: E summed by row into ``out_r``, ``out_e`` (per lane),
    ``lost[l]`` the bound on lane l's relative loss; F overwrites K."""
    S = out_r.shape[0]
    d = Xg.shape[1]
    NL = Xg.shape[2]
    nk = S + m - 1
    for i in range(S):
        for l in range(NL):
            out_r[i, l] = 0.0
        for f in range(d):
            for l in range(NL):
                out_e[i, f, l] = 0.0
    zero = vsplat(vload(P, 0), 0.0)
    tiny = vsplat(zero, TINY)
    acc = zero
    k = nk - 1
    if ia[k] > S - 1 or ib[k] < S - 1:  # the end cell is outside the band
        for l in range(NL):
            lost[l] = np.inf
        return
    q = (base[k] + 1 + S - 1 - ia[k]) * NL
    for l in range(NL):  # the end cell: E = 1, T = 1 / P
        pe = P[base[k] + 1 + S - 1 - ia[k], l]
        lost[l] = 1.0 / pe if pe > 0.0 else 0.0
    t = vload(lost, 0)
    e = vmul(vload(P, q), t)
    e = _where(">=", e, tiny, e, zero)
    fk = vmul(vload(K, q), t)
    vstore(K, q, _where(">=", fk, tiny, fk, zero))
    vstore(out_r, (S - 1) * NL, vadd(vload(out_r, (S - 1) * NL), e))
    for f in range(d):
        r = ((S - 1) * d + f) * NL
        vstore(out_e, r, vadd(vload(out_e, r), vmul(e, vload(Xg, ((m - 1) * d + f) * NL))))
    for k in range(nk - 2, -1, -1):
        a = ia[k]
        b = ib[k]
        o = base[k] + 1 - a
        o1 = base[k + 1] + 1 - ia[k + 1]
        o2 = base[k + 2] + 1 - ia[k + 2] if k + 2 < nk else o1
        f1 = vload(g, k * NL)
        f2 = vmul(f1, vload(g, (k + 1) * NL)) if k + 2 < nk else zero
        for i in range(a, b + 1):
            t = vmul(f1, vadd(vload(K, (o1 + i) * NL), vload(K, (o1 + i + 1) * NL)))
            t = vadd(t, vmul(f2, vload(K, (o2 + i + 1) * NL)))
            q = (o + i) * NL
            fk = vmul(vload(K, q), t)
            vstore(K, q, _where(">=", fk, tiny, fk, zero))
            p = vload(P, q)
            acc = vadd(acc, _where("==", p, zero, t, zero))
            e = vmul(p, t)
            e = _where(">=", e, tiny, e, zero)
            vstore(out_r, i * NL, vadd(vload(out_r, i * NL), e))
            j = k - i
            for f in range(d):
                r = (i * d + f) * NL
                x = vload(Xg, (j * d + f) * NL)
                vstore(out_e, r, vadd(vload(out_e, r), vmul(e, x)))
    vstore(lost, 0, vmul(acc, vsplat(acc, UNIT)))


@njit_parallel
def _objective_kernel(Z, X, lx, weights, plan, band, gamma, exp_domain, cells, out):
    """The lane groups of ``plan`` (order, group starts, group sizes, chunk starts),
    one chunk per thread; ``out`` = (vals (n,), acc_r (chunks, S), acc_e (chunks, S,
    d), modes (n,)); ``cells`` (>= chunks, 2, slots, LANES) the cell scratch."""
    order, t_start, t_count, c_start = plan
    vals, acc_r, acc_e, modes = out
    big = BIG
    kind, radius, slope = band
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
        g = np.empty((S + N, nl), dtype=np.float64)
        ia = np.empty(S + N, dtype=np.int64)
        ib = np.empty(S + N, dtype=np.int64)
        base = np.empty(S + N, dtype=np.int64)
        lane = np.empty((3, nl), dtype=np.float64)
        ex = lane[0]
        lost = lane[1]
        ok = lane[2]
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
                band_ranges(S, m, kind, radius, slope, lo, hi)
                _diagonals(S, m, lo, hi, ia, ib, base)
                at = _exp_forward(Z, Xg, m, gamma, C1, C2, ia, ib, base, g, ex)
                _exp_backward(Xg, m, C1, C2, ia, ib, base, g, lost, out_r, out_e)
                for l in range(cnt):
                    pe = C1[at, l]
                    ok[l] = 1.0 if (pe > 0.0) & (lost[l] <= LOSS) else 0.0
                    if ok[l] > 0.0:
                        vals[order[s + l]] = -gamma * (np.log(pe) + ex[l] * _LN2)
            else:
                Wd = C1[: S * N].reshape((S, N, nl))
                Wu = C2[: S * N].reshape((S, N, nl))
                at = _pairs_objective(
                    Z, Xg, m, band, gamma, big, R, Wd, Wu, E, crow, lo, hi, out_r, out_e
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
    slots = S * N + 2 * (S + N)  # the cells by anti-diagonal, with their pads
    if got is None or got.shape[0] < n_chunks or got.shape[2] != slots:
        got = np.empty((n_chunks, 2, slots, LANES), dtype=np.float64)
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
