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
that no float64 literal promotes the cell's arithmetic).  Every value comes
from one recurrence, :func:`_sweep`: each anti-diagonal is gathered into
contiguous rows (costs from a cost matrix or from the series on the fly;
the predecessors are slices of the rolling diagonals), its cells are one
loop, and the weights, when stored, are scattered back.  The cells are the
value-only soft-min (:func:`_value_cells`, for ``soft_dtw_values``) or the
soft-min with its normalised weights (for ``soft_dtw_forward``): in float64
:func:`_weight_cells` with libm, in float32 :func:`_softmin_weights32`, one
vectorised loop with inline polynomial ``exp``/``log`` (:mod:`._vmath32`,
much cheaper per value than libm's ``expf``/``logf``).  The stored weights
keep float32 gradients stable (see below).  Unreachable cells (outside the lengths or
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

Memory per pair (N x M, floats of s bytes): values only, about ``6 N s``
(three anti-diagonals, one diagonal's costs and weights) and ``2 N`` int64
band bounds, costs computed on the fly;
forward for autograd, the same plus ``2 N M s`` for the weights; backward,
``N M s`` for ``E``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange, types
from numba.extending import overload

from .. import _pairs
from .._contract import PAIRS_BATCH, sentinel
from ._band import band_ranges, pair_band
from ._jit import njit, njit_parallel, njit_vec
from ._pairs import block_cells, chunk_of, n_chunks, pair_of
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
def _value_cells(tc, td, tu, tl, gamma, inv_gamma, big, cur):
    """Values of the cells of one anti-diagonal: cost + soft-min, or ``big``.

    tc: costs, td/tu/tl: diagonal, upper and left predecessors (contiguous,
    indexed from 0 like ``cur``).
    """
    one = big / big  # 1 in the working dtype: a float64 literal would promote float32
    for i in range(cur.shape[0]):
        v = _softmin(td[i], tu[i], tl[i], gamma, inv_gamma, big, one)
        if v < big:
            v = tc[i] + v
        cur[i] = v


@njit
def _weight_cells(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    """:func:`_value_cells` that also writes the normalised weights of the
    diagonal and upper predecessors into ``twd``/``twu`` (libm exp/log, one
    cell at a time; float32 uses :func:`_softmin_weights32` instead)."""
    one = big / big
    zero = big - big
    for i in range(cur.shape[0]):
        rd, ru, rl = td[i], tu[i], tl[i]
        mn, md, mx = _sorted3(rd, ru, rl)
        if mn >= big:
            v = big
            wd = zero
            wu = zero
        else:
            e_md = math.exp(-(md - mn) * inv_gamma)
            e_mx = math.exp(-(mx - mn) * inv_gamma)
            inv_s = one / (one + e_md + e_mx)
            v = tc[i] + mn + gamma * math.log(inv_s)
            # equal values have equal weights, so ties need no care
            ed = one if rd == mn else (e_md if rd == md else e_mx)
            eu = one if ru == mn else (e_md if ru == md else e_mx)
            wd = ed * inv_s
            wu = eu * inv_s
        cur[i] = v
        twd[i] = wd
        twu[i] = wu


@njit_vec
def _softmin_weights32(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    """:func:`_weight_cells` for float32, vectorised.

    No calls and no branches (selects only): LLVM vectorises it, with
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


def _weights_of_diagonal(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    """Weighted cells of one diagonal: the SIMD loop in float32, libm otherwise."""
    raise NotImplementedError("numba-only (see the overload below)")


@overload(_weights_of_diagonal, jit_options={"cache": True, "nogil": True})
def _weights_of_diagonal_impl(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    # chosen at compile time from the dtype: each specialisation has one path
    if tc.dtype == types.float32:
        cells = _softmin_weights32
    else:
        cells = _weight_cells

    def impl(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
        cells(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu)

    return impl


@njit
def _sweep(
    C, X, Y, series, n, m, kind, radius, slope, gamma, big, weights, store, W, lo, hi, buf, tmp
):
    """The soft-DTW forward recurrence of one pair, by anti-diagonals.

    Every soft-DTW value on the CPU comes from here.  Costs are ``C[i, j]``
    or, with ``series``, the squared Euclidean costs of ``X`` (n, d) and ``Y``
    (m, d) computed on the fly (``C`` is then a dummy, and X, Y are when not).
    With ``weights`` the cells also produce the normalised soft-min weights,
    stored in ``W[i, j] = (p_diag, p_up)`` with ``store``; without, the value
    cells (a different but equally exact arithmetic, kept as it was).

    Each diagonal runs in three passes: the costs are gathered into a
    contiguous row (the predecessors are slices of the rolling diagonals
    already), the cells of the whole diagonal are one loop (vectorised for
    float32 weights), then the weights are scattered into W's row-major
    layout.  ``buf`` (3, N + 1) holds the rolling diagonals shifted by one:
    slot i + 1 is row i, slot 0 is row -1 (always big, except R[-1, -1] = 0
    for the first cell), so the three predecessors of a diagonal's cells are
    plain slices; ``tmp`` (3, N) holds costs and weights of one diagonal.
    Returns R[n-1, m-1] (``big`` when the band admits no path).
    """
    one = big / big  # 1 and 0 in the working dtype: float64 literals would promote
    zero = big - big
    inv_gamma = one / gamma
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for r in range(3):
        for i in range(n + 1):
            buf[r, i] = big
    tc = tmp[0]
    twd = tmp[1]
    twu = tmp[2]
    n_feat = X.shape[1]
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
                df = X[i, 0] - Y[k - i, 0]
                tc[i] = df * df
        elif series:
            for i in range(b, a + 1):
                cost = zero
                for f in range(n_feat):
                    df = X[i, f] - Y[k - i, f]
                    cost += df * df
                tc[i] = cost
        else:
            for i in range(b, a + 1):
                tc[i] = C[i, k - i]
        e = a + 1
        if k == 0:
            d2[0] = zero  # R[-1, -1]
        # costs, diagonal / upper / left predecessors, cells: slices that start at 0
        cells = (
            tc[b:e],
            d2[b:e],
            d1[b:e],
            d1[b + 1 : e + 1],
            gamma,
            inv_gamma,
            big,
            cur[b + 1 : e + 1],
        )
        if weights:
            _weights_of_diagonal(*cells, twd[b:e], twu[b:e])
        else:
            _value_cells(*cells)
        if k == 0:
            d2[0] = big
        if store:
            for i in range(b, a + 1):
                j = k - i
                W[i, j, 0] = twd[i]
                W[i, j, 1] = twu[i]
    return buf[(n + m - 2) % 3, n]


@njit_parallel
def _values_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, gamma, big, n_chunks):
    """out[q] = soft-DTW of pair p_start + q (see ``_pairs.pair_of``), in n_chunks chunks."""
    n_pairs = out.shape[0]
    N = X.shape[1]
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_pairs)
        # per-chunk scratch: no allocation per pair (an empty chunk loops zero times)
        buf = np.empty((3, N + 1), dtype=out.dtype)
        tmp = np.empty((3, N), dtype=out.dtype)
        bounds = (np.empty(N, dtype=np.int64), np.empty(N, dtype=np.int64))
        no_cw = (np.empty((1, 1), dtype=out.dtype), np.empty((1, 1, 2), dtype=out.dtype))
        for q in range(start, stop):
            a, b = pair_of(p_start + q, mode, X.shape[0], Y.shape[0])
            v = _sweep(
                no_cw[0], X[a], Y[b], True, lx[a], ly[b], kind, radius, slope, gamma, big,
                False, False, no_cw[1], bounds[0], bounds[1], buf, tmp,
            )  # fmt: skip
            out[q] = np.inf if v >= big else v


@njit_parallel
def _forward_kernel(C, X, Y, series, lx, ly, kind, radius, slope, gamma, big, store, W, out):
    """Values and (with ``store``) weights of pair p: costs C[p] or series X[p], Y[p].

    The arrays not used (C with ``series``, X and Y without, W without
    ``store``) are one-slot dummies, hence the ``p % shape[0]``.
    """
    B = out.shape[0]
    N = max(C.shape[1], X.shape[1])
    for p in prange(B):
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        buf = np.empty((3, N + 1), dtype=out.dtype)
        tmp = np.empty((3, N), dtype=out.dtype)
        v = _sweep(
            C[p % C.shape[0]],
            X[p % X.shape[0]],
            Y[p % Y.shape[0]],
            series,
            lx[p],
            ly[p],
            kind,
            radius,
            slope,
            gamma,
            big,
            True,
            store,
            W[p % W.shape[0]],
            lo,
            hi,
            buf,
            tmp,
        )
        out[p] = np.inf if v >= big else v


@njit_parallel
def _backward_kernel(W, lx, ly, kind, radius, slope, one, E):
    B, N, M = E.shape
    zero = one - one  # W's dtype: float32 stays float32
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        lo, hi = pair_band(N, n, m, kind, radius, slope)
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


def _run_values(X, Y, lx, ly, mode, start, band, gamma, out):
    kind, radius, slope = band
    dt = out.dtype.type  # scalars in the data's dtype: float32 inputs compute in float32
    scalars = (int(kind), int(radius), float(slope), dt(gamma), dt(sentinel(out.dtype)))
    work = block_cells(lx, ly, mode, out.shape[0])  # small calls run serially (_jit.SMALL_WORK)
    _values_kernel.run(work, X, Y, lx, ly, mode, start, out, *scalars, n_chunks(out.shape[0]))


def soft_dtw_values(X, Y, lx, ly, band, gamma):
    """Soft-DTW of each pair ``(X[b], Y[b])`` straight from the series.

    X: (B, N, d), Y: (B, M, d); lx, ly: (B,) int64 lengths; ``gamma > 0``.
    Returns (B,) in X's dtype; ``inf`` where the band admits no path.
    """
    out = np.empty(X.shape[0], dtype=X.dtype)
    if out.shape[0] > 0:
        _run_values(X, Y, lx, ly, PAIRS_BATCH, 0, band, gamma, out)
    return out


def soft_dtw_cdist(X, Y, lx, ly, band, gamma, symmetric, progress=None):
    """Soft-DTW of every pair of two datasets, (nx, ny).

    With ``symmetric=True`` (Y is X) the pairs a <= b are computed (the
    diagonal too: soft-DTW of a series with itself is not zero).
    ``progress(done, total)`` is called between blocks of pairs.
    """

    def run(mode, start, stop, out):
        _run_values(X, Y, lx, ly, mode, start, band, gamma, out)

    return _pairs.cdist(np, run, X.shape[0], Y.shape[0], symmetric, True, X.dtype, progress)


def _run_forward(C, X, Y, series, lx, ly, band, gamma, need_weights, dtype, B, N, M):
    out = np.empty(B, dtype=dtype)
    W = np.zeros((B, N, M, 2) if need_weights else (1, 1, 1, 2), dtype=dtype)
    kind, radius, slope = band
    dt = np.dtype(dtype).type  # scalars in the data's dtype: float32 computes in float32
    _forward_kernel(
        C,
        X,
        Y,
        series,
        lx,
        ly,
        int(kind),
        int(radius),
        float(slope),
        dt(gamma),
        dt(sentinel(dtype)),
        bool(need_weights),
        W,
        out,
    )
    return out, (W if need_weights else None)


def soft_dtw_forward(C, lx, ly, band, gamma, need_weights=True):
    """Soft-DTW values of cost matrices C (B, N, M) and the soft-min weights.

    Returns ``(values (B,), W (B, N, M, 2))``; W holds the normalised weights
    of the diagonal and upper predecessors of each cell (zero outside the band
    and the lengths), which is all :func:`soft_dtw_backward` needs.  With
    ``need_weights=False`` W is not allocated and ``None`` is returned.
    """
    B, N, M = C.shape
    dummy = np.zeros((1, 1, 1), dtype=C.dtype)
    return _run_forward(C, dummy, dummy, False, lx, ly, band, gamma, need_weights, C.dtype, B, N, M)


def soft_dtw_forward_series32(X, Y, lx, ly, band, gamma):
    """:func:`soft_dtw_forward` of the squared Euclidean costs of float32 series.

    X: (B, N, d), Y: (B, M, d) float32; the costs are computed on the fly (no
    (B, N, M) cost matrix, no strided reads of one).  Returns ``(values, W)``.
    """
    B, N, M = X.shape[0], X.shape[1], Y.shape[1]
    dummy = np.zeros((1, 1, 1), dtype=np.float32)
    return _run_forward(dummy, X, Y, True, lx, ly, band, gamma, True, np.float32, B, N, M)


def soft_dtw_backward(W, lx, ly, band):
    """Expected alignments E (B, N, M) = d soft-DTW / d C from the weights W."""
    B, N, M = W.shape[0], W.shape[1], W.shape[2]
    E = np.zeros((B, N, M), dtype=W.dtype)
    kind, radius, slope = band
    _backward_kernel(W, lx, ly, int(kind), int(radius), float(slope), W.dtype.type(1), E)
    return E


@njit
def _accumulated_kernel(D, gamma, big, R):
    N, M = D.shape
    inv_gamma = 1.0 / gamma
    for i in range(N):
        for j in range(M):
            if i == 0 and j == 0:
                R[0, 0] = D[0, 0]
                continue
            up = R[i - 1, j] if i > 0 else big
            left = R[i, j - 1] if j > 0 else big
            diag = R[i - 1, j - 1] if i > 0 and j > 0 else big
            R[i, j] = D[i, j] + _softmin(up, diag, left, gamma, inv_gamma, big, 1.0)


def soft_dtw_accumulated(D, gamma):
    """Accumulated soft-DTW matrix R (N, M) of one float64 cost matrix D (N, M).

    ``R[i, j]`` is the soft-DTW value of the prefixes ``D[:i + 1, :j + 1]``
    (the same soft-min as the forward kernels), so ``R[-1, -1]`` is the value.
    """
    D = np.ascontiguousarray(D, dtype=np.float64)
    R = np.empty_like(D)
    _accumulated_kernel(D, float(gamma), sentinel(np.float64), R)
    return R
