"""Soft-DTW of many pairs at once: lane groups walked by anti-diagonals (numba).

A lane group holds ``G`` pairs side by side (every scratch array lane-major: the
value of row ``i``, lane ``l`` at ``i * G + l``) and walks their alignment
matrices by anti-diagonals together.  The cells of one anti-diagonal are
independent, so a diagonal of ``L`` rows is *one* flat loop of ``L * G`` cells:
the very loops the per-pair kernel (``soft_dtw._sweep``) runs on an
anti-diagonal, :func:`._softmin.value_cells` and :func:`._softmin.weight_cells`,
on longer, contiguous rows.  What makes LLVM vectorise them: the operands are
contiguous slices indexed from 0, the bodies have no call (the exp/log of
:mod:`._vmath` are inline arithmetic) and no branch (mins and the sentinel test
are selects).  Nothing in a diagonal waits on a neighbour, so the exp/log chains
of consecutive vectors overlap (a row-by-row walk of the lanes waits ~200 cycles
per cell on its left neighbour's exp and log), and a diagonal's costs, weights
and expected alignments are ``G`` contiguous values per cell.  ``G`` is a
run-time value: any group size, 1 included, takes the same code, so a
remainder needs no other kernel.

Values: each lane does the per-pair kernel's arithmetic in its order (the cost
summed over features from 0 without contraction, then ``value_cells``), so both
give the same bits for a pair, whatever group or cdist block computed it.

Groups whose pairs share their lengths (all of them for equal lengths, most
after sorting by length) run one band for all lanes.  Other groups run the union
of the lanes' bands (made monotone, so that each diagonal's rows are still one
interval) and a select per lane after each diagonal: cells outside the lane's
band or lengths are the sentinel ``big`` with zero weights, and the series are
gathered as zeros past each lane's length (NaN padding never reaches a cell).

Gradients (the losses): the forward stores, for every cell of the walked rows,
the normalised weights of its diagonal and upper predecessors (``Wd``, ``Wu``;
see ``soft_dtw``'s notes), diagonal after diagonal, each diagonal's block
padded with one zero row on either side: the backward reads the successors'
weights of a diagonal as plain slices.  The backward walks the diagonals in
reverse, computing the expected alignment ``E`` of a diagonal from the two
after it (three rolling diagonals, no ``N x M`` array of ``E``) and, in the same
walk, the gradient of the squared Euclidean costs with respect to both series.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from . import _lanes
from ._band import band_ranges
from ._jit import SMALL_WORK, n_threads, njit, njit_inline, njit_parallel, njit_vec_exact
from ._pairs import chunk_of, pair_of
from ._simd import gather_lanes, scatter_lanes
from ._softmin import diag_step, value_cells, weight_cells


@njit
def group_bands(ns, ms, kind, radius, slope, lo, hi, LO, HI, tlo, thi):
    """Rows of the group's walk: ``lo[i] <= j < hi[i]`` for ``i < nmax``.

    Returns ``(nmax, mmax, masked)``.  Equal lengths: ``lo``/``hi`` are the
    band of every lane, ``masked`` is False.  Otherwise ``LO[i, l]``,
    ``HI[i, l]`` hold lane l's band (empty past its rows) and ``lo``/``hi`` the
    union, widened so that both are non-decreasing (rows past a lane's end
    keep its last row's upper bound): ``i + lo[i]`` and ``i + hi[i]`` then
    strictly increase, which :func:`._softmin.diag_step` needs.
    """
    G = ns.shape[0]
    nmax = np.int64(0)  # int64, not a literal: see _jit.njit_inline
    mmax = np.int64(0)
    uniform = True
    for l in range(G):
        nmax = max(nmax, ns[l])
        mmax = max(mmax, ms[l])
        uniform = uniform and ns[l] == ns[0] and ms[l] == ms[0]
    if uniform:
        band_ranges(nmax, mmax, kind, radius, slope, lo, hi)
        return nmax, mmax, False
    for i in range(nmax):
        lo[i] = mmax
        hi[i] = 0
    for l in range(G):
        n = ns[l]
        band_ranges(n, ms[l], kind, radius, slope, tlo, thi)
        for i in range(nmax):
            if i < n:
                LO[i * G + l] = tlo[i]
                HI[i * G + l] = thi[i]
                lo[i] = min(lo[i], tlo[i])
                hi[i] = max(hi[i], thi[i])
            else:  # past the lane's rows: no cell
                LO[i * G + l] = 0
                HI[i * G + l] = 0
                hi[i] = max(hi[i], thi[n - 1])
    return nmax, mmax, True


@njit
def _rows(k, n, lo, hi, a, b):
    """(a, b, last): :func:`diag_step`'s state and the diagonal's last row, at
    least ``b - 1`` (an empty diagonal), so that block sizes never go negative."""
    a, b = diag_step(k, n, lo, hi, a, b)
    return a, b, max(a, b - 1)


@njit
def weights_size(n, m, lo, hi, G):
    """Floats per weight array of a group walking rows ``lo``/``hi`` (n x m)."""
    a = np.int64(-1)  # int64, not a literal: see _jit.njit_inline
    b = np.int64(0)
    size = 0
    for k in range(n + m - 1):
        a, b, last = _rows(k, n, lo, hi, a, b)
        size += (last - b + 3) * G
    return size


@njit
def block_rows(n, m, lo, hi, G, rows):
    """Each diagonal's rows and weight block, as :func:`sweep_group` walked them:
    ``rows[0, k]``, ``rows[1, k]`` its first and last row, ``rows[2, k]`` the
    offset of row r's G values at ``rows[2, k] + r * G`` in the stored arrays
    (blocks from row first - 1 to row last + 1, the two pad rows zero)."""
    a = np.int64(-1)  # int64, not a literal: see _jit.njit_inline
    b = np.int64(0)
    off = 0
    for k in range(n + m - 1):
        a, b, last = _rows(k, n, lo, hi, a, b)
        rows[0, k] = b
        rows[1, k] = last
        rows[2, k] = off - (b - 1) * G
        off += (last - b + 3) * G


@njit_inline
def block_of(rows, k, G):
    """``(b, last, ok, s0, s1)`` of diagonal k (:func:`block_rows`): its first and
    last row, its stored block's offset (row r at ``ok + r G``) and the flat range
    ``[s0, s1)`` of its rows' G-value slots."""
    b = rows[0, k]
    last = rows[1, k]
    return b, last, rows[2, k], b * G, (last + 1) * G


@njit_inline
def next_blocks(A, zw, rows, k, K, s0, G):
    """``(A1, o1, A2, o2)``: the stored array of diagonals k + 1 and k + 2 and their
    offsets (as ``ok`` of :func:`block_of`), ``A`` itself or, past the last
    diagonal, ``zw`` (zeros, indexed from row b of diagonal k)."""
    A1 = zw
    A2 = zw
    o1 = -s0
    o2 = -s0 - G
    if k + 1 < K:
        A1 = A
        o1 = rows[2, k + 1]
    if k + 2 < K:
        A2 = A
        o2 = rows[2, k + 2]
    return A1, o1, A2, o2


@njit_inline
def _sq_diff(x, y, first, out):
    """out = (x - y)**2, or out += (x - y)**2 unless ``first``."""
    for t in range(out.shape[0]):
        df = x[t] - y[t]
        out[t] = df * df if first else out[t] + df * df


@njit
def _costs(xs, ys, d, sx, sy, s0, s1, r0, zero, tc):
    """tc[s0:s1] = squared costs of a diagonal's cells: x rows from flat offset
    s0 (of feature 0; feature f at f * sx), reversed y rows from r0 (f * sy),
    so both are contiguous; d = 1 the square, else the sum from 0 over the
    features (the per-pair kernel's arithmetic)."""
    c = tc[s0:s1]
    n = s1 - s0
    if d == 1:
        _sq_diff(xs[s0:s1], ys[r0 : r0 + n], True, c)
        return
    c[:] = zero
    for f in range(d):
        _sq_diff(xs[f * sx + s0 : f * sx + s1], ys[f * sy + r0 : f * sy + r0 + n], False, c)


@njit_vec_exact
def _mask(LO, HI, b, last, k, G, big, weights, cur, wd, wu):
    """Lane l's cells of rows b .. last outside ``LO[i G + l] <= k - i < HI[i G + l]``:
    value ``big``, weights 0 (cur, wd, wu indexed from row b)."""
    zero = big - big
    for i in range(b, last + 1):
        j = k - i
        o = (i - b) * G
        for l in range(G):
            inside = (LO[i * G + l] <= j) & (j < HI[i * G + l])
            cur[o + l] = cur[o + l] if inside else big
            if weights:
                wd[o + l] = wd[o + l] if inside else zero
                wu[o + l] = wu[o + l] if inside else zero


@njit
def sweep_group(
    xs, ys, d, sx, sy, ns, ms, n, m, lo, hi, masked, LO, HI, gamma, big, weights, Wd, Wu,
    buf, tc, res,
):  # fmt: skip
    """Soft-DTW of the group's lanes into ``res`` (``big`` where unreachable).

    xs, ys: the series from :func:`._simd.gather_lanes`, lane-major, feature
    f at f * sx (f * sy), y rows reversed; rows ``lo``/``hi``
    from :func:`group_bands`.  ``buf`` (3, (n + 1) G) holds three rolling
    diagonals shifted by one row (slot i + 1 is row i, slot 0 row -1, always
    ``big`` but for R[-1, -1] = 0 on the first diagonal), so the predecessors
    of a diagonal are slices; ``tc`` (n G) its costs.  With ``weights`` the
    cells' normalised weights go to ``Wd``/``Wu`` (:func:`weights_size` floats
    each), diagonal by diagonal, each block from row b - 1 to row last + 1
    with the two pad rows zero.
    """
    G = ns.shape[0]
    one = big / big  # 1 and 0 in the working dtype: float64 literals would promote
    zero = big - big
    inv_gamma = one / gamma
    buf[:, : (n + 1) * G] = big
    a = np.int64(-1)  # int64, not a literal: see _jit.njit_inline
    b = np.int64(0)
    off = 0
    for k in range(n + m - 1):
        a, b, last = _rows(k, n, lo, hi, a, b)
        cur = buf[k % 3]
        d1 = buf[(k + 2) % 3]
        d2 = buf[(k + 1) % 3]
        # rows just outside the diagonal: the next two diagonals read them
        if b >= 1:
            cur[b * G : (b + 1) * G] = big
        if last + 1 < n:
            cur[(last + 2) * G : (last + 3) * G] = big
        s0 = b * G
        s1 = (last + 1) * G
        _costs(xs, ys, d, sx, sy, s0, s1, (m - 1 - k + b) * G, zero, tc)
        if k == 0:
            d2[:G] = zero  # R[-1, -1]
        cells = (
            tc[s0:s1], d2[s0:s1], d1[s0:s1], d1[s0 + G : s1 + G], gamma, inv_gamma, big,
            cur[s0 + G : s1 + G],
        )  # fmt: skip
        size = s1 - s0
        if weights:
            Wd[off : off + G] = zero
            Wu[off : off + G] = zero
            wd = Wd[off + G : off + G + size]
            wu = Wu[off + G : off + G + size]
            weight_cells(*cells, wd, wu)
            Wd[off + G + size : off + 2 * G + size] = zero
            Wu[off + G + size : off + 2 * G + size] = zero
            off += size + 2 * G
        else:
            wd = Wd[:0]
            wu = Wu[:0]
            value_cells(*cells)
        if k == 0:
            d2[:G] = big
        if masked:
            _mask(LO, HI, b, last, k, G, big, weights, cur[s0 + G : s1 + G], wd, wu)
        for l in range(G):
            if k == ns[l] + ms[l] - 2:
                res[l] = cur[ns[l] * G + l]


@njit_vec_exact
def e_cells(e2, wd2, e1u, wu1, e1l, wd1, wu1l, one, out):
    """out[t] = E of a diagonal's cells from their successors: diagonal (e2,
    weight wd2), upper (e1u, wu1) and left (e1l, 1 - wd1 - wu1l clipped at 0),
    in the order of ``soft_dtw._backward_kernel``."""
    zero = one - one
    for t in range(out.shape[0]):
        wl = one - wd1[t] - wu1l[t]
        wl = wl if wl > zero else zero
        out[t] = (e1u[t] * wu1[t] + e2[t] * wd2[t]) + e1l[t] * wl


@njit_vec_exact
def grad_cells(e, x, y, gx, gy):
    """gx += e (x - y), gy -= e (x - y): half the cost's gradient, weighted by
    the expected alignment, of a diagonal's cells (contiguous slices)."""
    for t in range(e.shape[0]):
        v = e[t] * (x[t] - y[t])
        gx[t] += v
        gy[t] -= v


@njit_inline
def add_grads(e, xs, ys, d, sx, sy, s0, s1, r0, gxs, gys):
    """:func:`grad_cells` of a diagonal's cells (slots ``[s0, s1)``, reversed y rows
    from ``r0``) for each of the d features: gxs += e (x - y), gys -= e (x - y)."""
    for f in range(d):
        x0 = f * sx + s0
        y0 = f * sy + r0
        grad_cells(
            e, xs[x0 : x0 + s1 - s0], ys[y0 : y0 + s1 - s0], gxs[x0 : x0 + s1 - s0],
            gys[y0 : y0 + s1 - s0],
        )  # fmt: skip


@njit
def backward_group(
    xs, ys, d, sx, sy, ns, ms, n, m, lo, hi, Wd, Wu, one, Ebuf, zw, rows, gxs, gys
):  # fmt: skip
    """The expected alignment of the group's lanes from :func:`sweep_group`'s
    weights, and from it ``gxs``/``gys`` (lane-major like xs, ys; zeroed here)
    = sum over cells of ``E (x_i - y_j)`` (half the cost's gradient).

    xs, ys as in :func:`sweep_group`.  ``Ebuf`` (3, (n + 2) G): three rolling
    diagonals, slot i + 1 row i, zero outside each diagonal's rows; ``zw``
    ((n + 2) G zeros) stands for the weights of the diagonals past the last;
    ``rows`` (3, n + m) int64 scratch.
    """
    G = ns.shape[0]
    zero = one - one
    K = n + m - 1
    block_rows(n, m, lo, hi, G, rows)
    Ebuf[:, : (n + 2) * G] = zero
    gxs[:] = zero
    gys[:] = zero
    for k in range(K - 1, -1, -1):
        b, last, _, s0, s1 = block_of(rows, k, G)
        Ek = Ebuf[k % 3]
        E1 = Ebuf[(k + 1) % 3]
        E2 = Ebuf[(k + 2) % 3]
        W1d, o1, W2d, o2 = next_blocks(Wd, zw, rows, k, K, s0, G)
        W1u, _, _, _ = next_blocks(Wu, zw, rows, k, K, s0, G)
        e_cells(
            E2[s0 + 2 * G : s1 + 2 * G],
            W2d[o2 + s0 + G : o2 + s1 + G],
            E1[s0 + 2 * G : s1 + 2 * G],
            W1u[o1 + s0 + G : o1 + s1 + G],
            E1[s0 + G : s1 + G],
            W1d[o1 + s0 : o1 + s1],
            W1u[o1 + s0 : o1 + s1],
            one,
            Ek[s0 + G : s1 + G],
        )
        Ek[s0 : s0 + G] = zero  # row b - 1 (slot b)
        Ek[s1 + G : s1 + 2 * G] = zero  # row last + 1
        for l in range(G):
            if k == ns[l] + ms[l] - 2:
                Ek[ns[l] * G + l] = one  # dR / dR at the lane's last cell
        add_grads(Ek[s0 + G : s1 + G], xs, ys, d, sx, sy, s0, s1, (m - 1 - k + b) * G, gxs, gys)


@njit
def load_group(X, Y, ia, ib, lx, ly, kind, radius, slope, like):
    """A group of pairs ``(X[ia[l]], Y[ib[l]])``: its series lane-major (y rows
    reversed, :func:`._simd.gather_lanes`), its rows (:func:`group_bands`) and
    scratch for :func:`sweep_group` / :func:`backward_group` in ``like``'s dtype.

    Returns ``xs, ys, buf, tc, res, lo, hi, LO, HI, ns, ms, n, m, masked``.
    """
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    G = ia.shape[0]
    dt = like.dtype
    xs = np.empty(N * d * G, dtype=dt)
    ys = np.empty(M * d * G, dtype=dt)
    lo = np.empty(N, dtype=np.int64)
    hi = np.empty(N, dtype=np.int64)
    LO = np.empty(N * G, dtype=np.int64)
    HI = np.empty(N * G, dtype=np.int64)
    ns = lx[ia]
    ms = ly[ib]
    tlo = np.empty(N, dtype=np.int64)
    thi = np.empty(N, dtype=np.int64)
    n, m, masked = group_bands(ns, ms, kind, radius, slope, lo, hi, LO, HI, tlo, thi)
    gather_lanes(X, ia, ns, n, xs, G, N * G, False)
    gather_lanes(Y, ib, ms, m, ys, G, M * G, True)
    buf = np.empty((3, (N + 2) * G), dtype=dt)
    tc = np.empty(N * G, dtype=dt)
    res = np.empty(G, dtype=dt)
    return xs, ys, buf, tc, res, lo, hi, LO, HI, ns, ms, n, m, masked


@njit_parallel
def _values_lanes_kernel(
    X, Y, lx, ly, mode, p_start, out, G, kind, radius, slope, gamma, big, n_chunks
):
    """out[q] = soft-DTW of pair p_start + q, by groups of G consecutive pairs
    (the last one smaller when G does not divide ``out.shape[0]``), n_chunks
    chunks of groups."""
    n_pairs = out.shape[0]
    n_groups = (n_pairs + G - 1) // G
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    no_w = np.empty(0, dtype=out.dtype)
    for c in prange(n_chunks):
        start, stop = chunk_of(c, n_chunks, n_groups)
        for g in range(start, stop):
            q0 = g * G
            Gg = min(G, n_pairs - q0)
            ia = np.empty(Gg, dtype=np.int64)
            ib = np.empty(Gg, dtype=np.int64)
            for l in range(Gg):
                ia[l], ib[l] = pair_of(p_start + q0 + l, mode, X.shape[0], Y.shape[0])
            xs, ys, buf, tc, res, lo, hi, LO, HI, ns, ms, n, m, masked = load_group(
                X, Y, ia, ib, lx, ly, kind, radius, slope, out
            )
            sweep_group(
                xs, ys, d, N * Gg, M * Gg, ns, ms, n, m, lo, hi, masked, LO, HI, gamma, big,
                False, no_w, no_w, buf, tc, res,
            )  # fmt: skip
            for l in range(Gg):
                out[q0 + l] = np.inf if res[l] >= big else res[l]


def _loss_groups(B: int, dtype, work: int) -> np.ndarray:
    """Lane groups of a loss batch: (first pair, lanes, weight offset) rows.

    As wide as :func:`._lanes.loss_group_size` allows while every thread gets a
    group; the remainder in groups of halving size (a group of G lanes costs
    about G pairs, so no lane is wasted and no other kernel is needed).
    """
    threads = n_threads() if work >= SMALL_WORK else 1
    G = _lanes.loss_group_size(dtype)
    while G > 1 and B < G * threads:
        G //= 2
    rows = []
    p = 0
    while p < B:
        while G > B - p:
            G //= 2
        rows.append((p, G, 0))
        p += G
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


@njit
def loss_plan(lx, ly, pairs, plan, kind, radius, slope):
    """Fill column 2 of ``plan`` (groups: first index into ``pairs``, lanes,
    offset of the group's weights) and return the weights' total size."""
    N = max(1, lx.max())
    lo = np.empty(N, dtype=np.int64)
    hi = np.empty(N, dtype=np.int64)
    tlo = np.empty(N, dtype=np.int64)
    thi = np.empty(N, dtype=np.int64)
    off = 0
    for g in range(plan.shape[0]):
        p0 = plan[g, 0]
        G = plan[g, 1]
        idx = pairs[p0 : p0 + G]
        LO = np.empty(N * G, dtype=np.int64)
        HI = np.empty(N * G, dtype=np.int64)
        n, m, _ = group_bands(lx[idx], ly[idx], kind, radius, slope, lo, hi, LO, HI, tlo, thi)
        plan[g, 2] = off
        off += weights_size(n, m, lo, hi, G)
    return off


def loss_layout(lx, ly, dtype, kind, radius, slope):
    """``(pairs, work, plan, size)`` of a loss batch: the pairs sorted by their
    lengths (equal lengths side by side), the cells, the lane groups
    (:func:`_loss_groups`, offsets filled by :func:`loss_plan`) and the floats
    per stored array."""
    pairs = np.lexsort((ly, lx)).astype(np.int64)
    work = int(np.dot(lx, ly))
    plan = _loss_groups(lx.shape[0], dtype, work)
    size = loss_plan(lx, ly, pairs, plan, kind, radius, slope)
    return pairs, work, plan, size


@njit_parallel
def _loss_forward_kernel(X, Y, lx, ly, pairs, plan, kind, radius, slope, gamma, big, Wd, Wu, out):
    """Values (into ``out``, by pair) and weights of the groups of ``plan``."""
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    for g in prange(plan.shape[0]):
        p0, G, w0 = plan[g, 0], plan[g, 1], plan[g, 2]
        idx = pairs[p0 : p0 + G]
        xs, ys, buf, tc, res, lo, hi, LO, HI, ns, ms, n, m, masked = load_group(
            X, Y, idx, idx, lx, ly, kind, radius, slope, out
        )
        size = weights_size(n, m, lo, hi, G)
        sweep_group(
            xs, ys, d, N * G, M * G, ns, ms, n, m, lo, hi, masked, LO, HI, gamma, big, True,
            Wd[w0 : w0 + size], Wu[w0 : w0 + size], buf, tc, res,
        )  # fmt: skip
        for l in range(G):
            out[idx[l]] = np.inf if res[l] >= big else res[l]


@njit_parallel
def _loss_backward_kernel(X, Y, lx, ly, pairs, plan, kind, radius, slope, Wd, Wu, grad, gx, gy):
    """gx, gy = grad[p] d soft-DTW(X[p], Y[p]) / d (X[p], Y[p]) from the weights
    of :func:`_loss_forward_kernel` (zero past each series' length)."""
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    one = grad.dtype.type(1)
    for g in prange(plan.shape[0]):
        p0, G, w0 = plan[g, 0], plan[g, 1], plan[g, 2]
        idx = pairs[p0 : p0 + G]
        xs, ys, buf, _, _, lo, hi, _, _, ns, ms, n, m, _ = load_group(
            X, Y, idx, idx, lx, ly, kind, radius, slope, grad
        )
        gxs = np.empty(N * d * G, dtype=grad.dtype)
        gys = np.empty(M * d * G, dtype=grad.dtype)
        zw = np.zeros((N + 2) * G, dtype=grad.dtype)
        rows = np.empty((3, N + M), dtype=np.int64)
        size = weights_size(n, m, lo, hi, G)
        backward_group(
            xs, ys, d, N * G, M * G, ns, ms, n, m, lo, hi, Wd[w0 : w0 + size],
            Wu[w0 : w0 + size], one, buf, zw, rows, gxs, gys,
        )  # fmt: skip
        for l in range(G):
            p = idx[l]
            s = (one + one) * grad[p]
            scatter_lanes(gxs, l, G, N * G, n, ns[l], False, s, gx[p])
            scatter_lanes(gys, l, G, M * G, m, ms[l], True, s, gy[p])
