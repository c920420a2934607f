"""Soft-DTW on the CPU (numba).

The recurrence (Cuturi & Blondel, 2017) on a cost matrix ``C``::

    R[i, j] = C[i, j] + softmin_g(R[i-1, j-1], R[i-1, j], R[i, j-1]),   R[-1, -1] = 0
    softmin_g(a, b, c) = -g log(exp(-a/g) + exp(-b/g) + exp(-c/g))

is evaluated as a log-sum-exp shifted by the smallest argument, so one of the
three exponentials is exp(0) = 1 and is not computed.  Cells are visited by
anti-diagonals, whose cells are independent: the CPU overlaps their exp/log
latencies, which a row-by-row walk (each cell waiting on its left
neighbour) cannot, and the soft-min has no data-dependent branch that could
be mispredicted.  The arithmetic is in the input's dtype: float32 inputs run
float32 ``expf``/``logf`` (numba compiles one specialisation per dtype; the
scalars ``gamma``, ``big``, 1 and 0 are passed or derived in that dtype so
that no float64 literal promotes the cell's arithmetic).  The stored weights
keep float32 gradients stable (see below).  The float32 forward for autograd
(:func:`_forward_kernel32`) goes further: each anti-diagonal is gathered into
contiguous rows (predecessors, costs), its soft-min is one vectorised loop
with inline polynomial ``exp``/``log`` (:mod:`._vmath32`, about 10x cheaper
per value than libm's ``expf``/``logf`` on AVX-512), and the weights are
scattered back; it can also compute squared Euclidean costs from the series
on the fly (:func:`soft_dtw_forward_series32`).  Unreachable cells (outside the lengths or
the band) hold a *finite* sentinel ``big``; a
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
weights leave [0, 1] and ``E`` blows up (tslearn 0.10's SoftDTWLossPyTorch at
N = M = 4096, g = 1e-3, float32: max |grad| 2e16 where float64 gives 1.3e4).
Stored weights sum to one by construction, so ``E`` stays a probability (each
entry in [0, 1]) at any ``g`` and length.

Memory per pair (N x M, floats of s bytes): values only, ``3 N s`` (three
anti-diagonals) and ``2 N`` int64 band bounds, costs computed on the fly;
forward for autograd, the same plus ``2 N M s`` for the weights; backward,
``N M s`` for ``E``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._contract import sentinel
from ._band import band_ranges
from ._jit import n_threads, njit, njit_parallel, njit_vec
from ._vmath32 import exp32, log32


@njit
def _sorted3(a, b, c):
    """(smallest, middle, largest) of three floats with min/max only (no branches)."""
    lo_ab = min(a, b)
    hi_ab = max(a, b)
    return min(lo_ab, c), max(lo_ab, min(hi_ab, c)), max(hi_ab, c)


@njit
def _softmin(a, b, c, gamma, inv_gamma, big, one):
    """soft-min of three values; ``big`` if all three are unreachable.

    Branch-free apart from the (predictable) sentinel test: which predecessor
    is smallest is random, and a mispredicted branch per cell would stall the
    overlap of neighbouring cells' exp/log.  The smallest term is exp(0) = 1
    and is not computed; a sentinel argument gives exp(-inf) = 0.
    """
    mn, md, mx = _sorted3(a, b, c)
    if mn >= big:
        return big
    s = one + math.exp(-(md - mn) * inv_gamma) + math.exp(-(mx - mn) * inv_gamma)
    return mn - gamma * math.log(s)


@njit
def _diag_step(k, n, lo, hi, a, b):
    """Advance the in-band rows of anti-diagonal k: rows b..a (inclusive).

    Row i's band is lo[i] <= j < hi[i] with j = k - i; i + lo[i] and i + hi[i]
    strictly increase with i, so {i : i + lo[i] <= k} is a prefix [0, a] and
    {i : i + hi[i] > k} a suffix [b, n): the diagonal's band is one interval
    whose ends move by at most one row per diagonal.
    """
    while a + 1 < n and a + 1 + lo[a + 1] <= k:
        a += 1
    while b < n and b + hi[b] <= k:
        b += 1
    return a, b


@njit
def _predecessors(d1, d2, i, j, big, zero):
    """R of the diagonal, upper and left predecessors of cell (i, j).

    ``d1`` / ``d2`` hold the previous two anti-diagonals indexed by row; the
    virtual origin R[-1, -1] is 0 and every other cell off the grid is ``big``.
    """
    if i > 0:
        ru = d1[i - 1]
        rd = d2[i - 1] if j > 0 else big
    else:
        ru = big
        rd = zero if j == 0 else big
    rl = d1[i] if j > 0 else big
    return rd, ru, rl


@njit
def _sdtw_diags(x, y, n, m, kind, radius, slope, gamma, big, lo, hi, buf):
    """Soft-DTW of one pair from its series, costs on the fly.

    Walks anti-diagonals (three rolling ones, indexed by row): the cells of a
    diagonal are independent, so the CPU overlaps their exp/log latencies,
    where a row-by-row walk waits on each cell's predecessor.
    """
    one = big / big  # 1 in the working dtype: a float64 literal would promote float32
    zero = big - big
    inv_gamma = one / gamma
    band_ranges(n, m, kind, radius, slope, lo, hi)
    d = x.shape[1]
    for r in range(3):
        for i in range(n):
            buf[r, i] = big
    a = -1
    b = 0
    for k in range(n + m - 1):
        a, b = _diag_step(k, n, lo, hi, a, b)
        cur = buf[k % 3]
        d1 = buf[(k + 2) % 3]
        d2 = buf[(k + 1) % 3]
        # rows just outside the band: the next two diagonals read them
        if b >= 1:
            cur[b - 1] = big
        if a + 1 < n:
            cur[a + 1] = big
        for i in range(b, a + 1):
            j = k - i
            rd, ru, rl = _predecessors(d1, d2, i, j, big, zero)
            v = _softmin(rd, ru, rl, gamma, inv_gamma, big, one)
            if v < big:
                if d == 1:
                    diff = x[i, 0] - y[j, 0]
                    c = diff * diff
                else:
                    c = zero
                    for f in range(d):
                        diff = x[i, f] - y[j, f]
                        c += diff * diff
                v = c + v
            cur[i] = v
    return buf[(n + m - 2) % 3, n - 1]


@njit_parallel
def _values_kernel(X, Y, lx, ly, ia, ib, out, kind, radius, slope, gamma, big, n_chunks):
    n_pairs = out.shape[0]
    N = X.shape[1]
    chunk = (n_pairs + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(n_pairs, start + chunk)
        if start >= stop:
            continue
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        buf = np.empty((3, N), dtype=out.dtype)
        for p in range(start, stop):
            a = ia[p]
            b = ib[p]
            v = _sdtw_diags(X[a], Y[b], lx[a], ly[b], kind, radius, slope, gamma, big, lo, hi, buf)
            out[p] = np.inf if v >= big else v


@njit_parallel
def _forward_kernel(C, lx, ly, kind, radius, slope, gamma, big, store, W, out):
    B, N, M = C.shape
    one = big / big  # 1 and 0 in the working dtype (C's): float64 literals would promote
    zero = big - big
    inv_gamma = one / gamma
    for p in prange(B):
        n = lx[p]
        m = ly[p]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        buf = np.full((3, N), big, dtype=out.dtype)
        band_ranges(n, m, kind, radius, slope, lo, hi)
        Cp = C[p]
        Wp = W[p] if store else W[0]  # W is a single dummy slot when not storing
        a = -1
        b = 0
        for k in range(n + m - 1):
            a, b = _diag_step(k, n, lo, hi, a, b)
            cur = buf[k % 3]
            d1 = buf[(k + 2) % 3]
            d2 = buf[(k + 1) % 3]
            if b >= 1:
                cur[b - 1] = big
            if a + 1 < n:
                cur[a + 1] = big
            for i in range(b, a + 1):
                j = k - i
                rd, ru, rl = _predecessors(d1, d2, i, j, big, zero)
                mn, md, mx = _sorted3(rd, ru, rl)
                if mn >= big:
                    v = big
                    wd = zero
                    wu = zero
                else:
                    e_md = math.exp(-(md - mn) * inv_gamma)
                    e_mx = math.exp(-(mx - mn) * inv_gamma)
                    inv_s = one / (one + e_md + e_mx)
                    v = Cp[i, j] + mn + gamma * math.log(inv_s)
                    # equal values have equal weights, so ties need no care
                    ed = one if rd == mn else (e_md if rd == md else e_mx)
                    eu = one if ru == mn else (e_md if ru == md else e_mx)
                    wd = ed * inv_s
                    wu = eu * inv_s
                if store:
                    Wp[i, j, 0] = wd
                    Wp[i, j, 1] = wu
                cur[i] = v
        v = buf[(n + m - 2) % 3, n - 1]
        out[p] = np.inf if v >= big else v


@njit_vec
def _softmin_weights32(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    """The cells of one anti-diagonal (float32), from contiguous inputs.

    tc: costs, td/tu/tl: diagonal, upper and left predecessors; writes the
    values into ``cur`` and the normalised weights into ``twd``/``twu``.  No
    calls and no branches (selects only): LLVM vectorises it, with
    :func:`exp32`/:func:`log32` in SIMD registers.  The caller passes slices
    so that the loop starts at 0: an index that might be negative gets
    numba's wrap-around select, which stops the vectoriser.
    """
    one = big / big
    zero = big - big
    for i in range(cur.shape[0]):
        rd = td[i]
        ru = tu[i]
        rl = tl[i]
        # selects, not the builtin min (which this numba lowers to a slow
        # out-of-line path on ties and which blocks vectorisation)
        mn = rd if rd < ru else ru
        mn = mn if mn < rl else rl
        # three SIMD exps are cheaper than sorting out which one is exp(0) = 1
        # (exactly 1 here too) with data-dependent selects
        e_d = exp32((mn - rd) * inv_gamma)
        e_u = exp32((mn - ru) * inv_gamma)
        e_l = exp32((mn - rl) * inv_gamma)
        s = e_d + e_u + e_l
        inv_s = one / s
        v = tc[i] + mn - gamma * log32(s)
        unreachable = mn >= big
        cur[i] = big if unreachable else v
        twd[i] = zero if unreachable else e_d * inv_s
        twu[i] = zero if unreachable else e_u * inv_s


@njit_parallel
def _forward_kernel32(C, X, Y, series, lx, ly, kind, radius, slope, gamma, big, store, W, out):
    """:func:`_forward_kernel` for float32, each diagonal in three passes.

    Gather the costs into a contiguous row (the predecessors are slices of
    the rolling diagonals already), the soft-min of the whole diagonal in
    SIMD (:func:`_softmin_weights32`), then scatter the weights into W's
    row-major layout.  With ``series`` the
    squared Euclidean costs come from X (B, N, d) and Y (B, M, d) on the fly
    (contiguous reads) and C is a dummy; otherwise X and Y are.
    """
    B = out.shape[0]
    N = max(C.shape[1], X.shape[1])  # C or X, Y is a one-slot dummy
    one = big / big
    zero = big - big
    inv_gamma = one / gamma
    for p in prange(B):
        n = lx[p]
        m = ly[p]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        # rolling diagonals shifted by one: slot i + 1 holds row i, slot 0 is
        # row -1 (always big, except R[-1, -1] = 0 for the first cell), so the
        # three predecessors of a diagonal's cells are plain slices
        buf = np.full((3, N + 1), big, dtype=out.dtype)
        tmp = np.empty((3, N), dtype=out.dtype)
        tc = tmp[0]
        twd = tmp[1]
        twu = tmp[2]
        band_ranges(n, m, kind, radius, slope, lo, hi)
        # the dummy arrays have one slot: p % 1 = 0
        Cp = C[p % C.shape[0]]
        Xp = X[p % X.shape[0]]
        Yp = Y[p % Y.shape[0]]
        n_feat = X.shape[2]
        Wp = W[p] if store else W[0]
        a = -1
        b = 0
        for k in range(n + m - 1):
            a, b = _diag_step(k, n, lo, hi, a, b)
            cur = buf[k % 3]
            d1 = buf[(k + 2) % 3]
            d2 = buf[(k + 1) % 3]
            # rows just outside the band: the next two diagonals read them.
            # A cell (k, 0) reads rows k and k - 1 of the two previous
            # diagonals: (k, -1) and (k - 1, -1), which are big (set here as
            # "a + 1" or never written); a cell (0, k) reads slot 0 (row -1).
            if b >= 1:
                cur[b] = big
            if a + 1 < n:
                cur[a + 2] = big
            if series and n_feat == 1:
                for i in range(b, a + 1):
                    df = Xp[i, 0] - Yp[k - i, 0]
                    tc[i] = df * df
            elif series:
                for i in range(b, a + 1):
                    cost = zero
                    for f in range(n_feat):
                        df = Xp[i, f] - Yp[k - i, f]
                        cost += df * df
                    tc[i] = cost
            else:
                for i in range(b, a + 1):
                    tc[i] = Cp[i, k - i]
            e = a + 1
            if k == 0:
                d2[0] = zero  # R[-1, -1]
            _softmin_weights32(
                tc[b:e],
                d2[b:e],
                d1[b:e],
                d1[b + 1 : e + 1],
                gamma,
                inv_gamma,
                big,
                cur[b + 1 : e + 1],
                twd[b:e],
                twu[b:e],
            )
            if k == 0:
                d2[0] = big
            if store:
                for i in range(b, a + 1):
                    j = k - i
                    Wp[i, j, 0] = twd[i]
                    Wp[i, j, 1] = twu[i]
        v = buf[(n + m - 2) % 3, n]
        out[p] = np.inf if v >= big else v


@njit_parallel
def _backward_kernel(W, lx, ly, kind, radius, slope, one, E):
    B, N, M = E.shape
    zero = one - one  # W's dtype: float32 stays float32
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
            j0 = lo[i]
            j1 = hi[i]
            if j1 <= j0:
                continue
            if i == n - 1:
                for j in range(j1 - 1, j0 - 1, -1):
                    if j == m - 1:
                        Eb[i, j] = one
                        continue
                    wl = one - Wb[i, j + 1, 0] - Wb[i, j + 1, 1]
                    Eb[i, j] = Eb[i, j + 1] * wl if wl > zero else zero
                continue
            # last cell of the row: its left successor E[i, j1] is 0 (outside
            # the band or past the end)
            j = j1 - 1
            acc = Eb[i + 1, j] * Wb[i + 1, j, 1]
            if j + 1 < m:
                acc += Eb[i + 1, j + 1] * Wb[i + 1, j + 1, 0]
            Eb[i, j] = acc
            prev = acc
            # the rest: j + 1 < m, no branch; only prev * wl is on the
            # dependency chain from cell to cell
            for j in range(j1 - 2, j0 - 1, -1):
                wl = one - Wb[i, j + 1, 0] - Wb[i, j + 1, 1]
                wl = wl if wl > zero else zero
                acc = Eb[i + 1, j] * Wb[i + 1, j, 1] + Eb[i + 1, j + 1] * Wb[i + 1, j + 1, 0]
                prev = acc + prev * wl
                Eb[i, j] = prev


def _chunks(n_pairs: int) -> int:
    return max(1, min(n_pairs, 8 * n_threads()))


def _run_values(X, Y, lx, ly, ia, ib, band, gamma, out):
    kind, radius, slope = band
    if out.shape[0] == 0:
        return
    dt = out.dtype.type  # scalars in the data's dtype: float32 inputs compute in float32
    _values_kernel(
        X,
        Y,
        lx,
        ly,
        ia,
        ib,
        out,
        int(kind),
        int(radius),
        float(slope),
        dt(gamma),
        dt(sentinel(out.dtype)),
        _chunks(out.shape[0]),
    )


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


def soft_dtw_forward(C, lx, ly, band, gamma, need_weights=True):
    """Soft-DTW values of cost matrices C (B, N, M) and the soft-min weights.

    Returns ``(values (B,), W (B, N, M, 2))``; W holds the normalised weights
    of the diagonal and upper predecessors of each cell (zero outside the band
    and the lengths), which is all :func:`soft_dtw_backward` needs.  With
    ``need_weights=False`` W is not allocated and ``None`` is returned.
    """
    B, N, M = C.shape
    out = np.empty(B, dtype=C.dtype)
    W = np.zeros((B, N, M, 2) if need_weights else (1, 1, 1, 2), dtype=C.dtype)
    kind, radius, slope = band
    dt = C.dtype.type  # scalars in C's dtype: float32 inputs compute in float32
    args = (
        lx,
        ly,
        int(kind),
        int(radius),
        float(slope),
        dt(gamma),
        dt(sentinel(C.dtype)),
        bool(need_weights),
        W,
        out,
    )
    if C.dtype == np.float32:
        dummy = np.zeros((1, 1, 1), dtype=C.dtype)
        _forward_kernel32(C, dummy, dummy, False, *args)
    else:
        _forward_kernel(C, *args)
    return out, (W if need_weights else None)


def soft_dtw_forward_series32(X, Y, lx, ly, band, gamma):
    """:func:`soft_dtw_forward` of the squared Euclidean costs of float32 series.

    X: (B, N, d), Y: (B, M, d) float32; the costs are computed on the fly (no
    (B, N, M) cost matrix, no strided reads of one).  Returns ``(values, W)``.
    """
    B, N, M = X.shape[0], X.shape[1], Y.shape[1]
    out = np.empty(B, dtype=np.float32)
    W = np.zeros((B, N, M, 2), dtype=np.float32)
    kind, radius, slope = band
    dummy = np.zeros((1, 1, 1), dtype=np.float32)
    f = np.float32
    _forward_kernel32(
        dummy,
        X,
        Y,
        True,
        lx,
        ly,
        int(kind),
        int(radius),
        float(slope),
        f(gamma),
        f(sentinel(np.float32)),
        True,
        W,
        out,
    )
    return out, W


def soft_dtw_backward(W, lx, ly, band):
    """Expected alignments E (B, N, M) = d soft-DTW / d C from the weights W."""
    B, N, M = W.shape[0], W.shape[1], W.shape[2]
    E = np.zeros((B, N, M), dtype=W.dtype)
    kind, radius, slope = band
    _backward_kernel(W, lx, ly, int(kind), int(radius), float(slope), W.dtype.type(1), E)
    return E
