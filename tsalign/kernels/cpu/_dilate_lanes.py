"""DILATE of many pairs at once: soft-DTW lane groups, the temporal term and the
Hessian-vector product, walked by anti-diagonals (numba).

The squared-Euclidean DILATE of torch's CPU training path, on the groups
of :mod:`._soft_dtw_lanes` (``G`` pairs side by side, each diagonal a flat loop
of ``L x G`` independent cells), with the costs computed on the fly (no
``(B, N, M)`` cost matrix):

- forward: :func:`._soft_dtw_lanes.sweep_group` gives the values and stores the
  soft-min weights; a reverse walk gives the expected alignment ``E`` (stored in
  the weights' diagonal-major layout, for the backward) and the temporal term
  ``sum E (i - j)^2 / (n m)`` of every lane;
- backward: the gradient in the costs is ``gs E + H (gt Omega)`` (``H`` the
  Hessian of soft-DTW, ``Omega[i, j] = (i - j)^2 / (n m)``), the per-pair
  kernel's two sweeps (``dilate._hvp_pair``): the directional derivative ``Rd``
  of the accumulated costs along ``gt Omega``, forward, stored; then, in
  reverse, that of ``E``, and in the same reverse walk the gradient of the costs
  with respect to both series (as ``_soft_dtw_lanes.backward_group`` does with
  ``E``).

Every successor read is a slice of the stored blocks at the rows
``backward_group`` reads its weights from, or of three rolling diagonals (zero
outside each diagonal's rows); per-lane constants (the scale ``gt / (n m)``,
``gs``) and twice the row index are tiled arrays read with the same slices, so
the cell loops stay branch-free and contiguous.  Cells outside a lane's lengths
(ragged groups) have zero weights, so nothing reaches them or leaves them.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import njit, njit_parallel, njit_vec_exact
from ._simd import scatter_lanes
from ._soft_dtw_lanes import (
    add_grads,
    block_of,
    block_rows,
    e_cells,
    load_group,
    next_blocks,
    sweep_group,
    weights_size,
)


@njit_vec_exact
def _temporal_cells(e, iv2, k, acc):
    """acc[t] += e[t] (i - j)^2 (float64), i - j = iv2[t] - k with iv2 = 2 i."""
    for t in range(e.shape[0]):
        u = np.float64(iv2[t]) - k
        acc[t] += np.float64(e[t]) * (u * u)


@njit_vec_exact
def _rd_cells(sc, iv2, k, wd, wu, rdiag, rup, rleft, one, out):
    """out[t] = Rd of a diagonal's cells: sc (i - j)^2 plus the weighted Rd of
    their predecessors (left weight 1 - wd - wu clipped at 0)."""
    zero = one - one
    for t in range(out.shape[0]):
        u = iv2[t] - k
        wl = one - wd[t] - wu[t]
        wl = wl if wl > zero else zero
        out[t] = sc[t] * (u * u) + ((wu[t] * rup[t] + wd[t] * rdiag[t]) + wl * rleft[t])


@njit_vec_exact
def _hvp_cells(  # noqa: PLR0913
    sc, iv2, k, inv, rd, gs, e,
    wu1, g1d, e1d, rd1d,
    wd1r, wu1r, g1r, e1r, rd1r,
    wd2, g2, e2, rd2,
    one, gk, tot,
):  # fmt: skip
    """The directional derivative of E along the cells' successors (down: wu1,
    right: left weight of wd1r/wu1r, diagonal: wd2), into ``gk``; ``tot`` =
    gk + gs E, the cells' gradient in their costs."""
    zero = one - one
    for t in range(gk.shape[0]):
        u = iv2[t] - k
        r = rd[t]
        wl = one - wd1r[t] - wu1r[t]
        wl = wl if wl > zero else zero
        zd = sc[t] * ((u + one) * (u + one))
        zr = sc[t] * ((u - one) * (u - one))
        zg = sc[t] * (u * u)
        acc = wu1[t] * (g1d[t] - inv * e1d[t] * (r - (rd1d[t] - zd)))
        acc += wd2[t] * (g2[t] - inv * e2[t] * (r - (rd2[t] - zg)))
        acc += wl * (g1r[t] - inv * e1r[t] * (r - (rd1r[t] - zr)))
        gk[t] = acc
        tot[t] = acc + gs[t] * e[t]


@njit_vec_exact
def _shape_cells(gs, e, tot):
    """tot = gs E: the cells' gradient when no lane has a temporal gradient."""
    for t in range(tot.shape[0]):
        tot[t] = gs[t] * e[t]


@njit
def _walk_scratch(n, m, lo, hi, G, N, M, like, iv_like):
    """The group's diagonal blocks (:func:`._soft_dtw_lanes.block_rows`), zeros
    standing for the diagonals past the last (``like``'s dtype) and twice the row
    index of every slot (``iv_like``'s dtype)."""
    rows = np.empty((3, N + M), dtype=np.int64)
    block_rows(n, m, lo, hi, G, rows)
    zw = np.zeros((N + 2) * G, dtype=like.dtype)
    iv2 = np.empty(N * G, dtype=iv_like.dtype)
    for r in range(n):
        for l in range(G):
            iv2[r * G + l] = 2 * r
    return rows, zw, iv2


@njit
def _tile(values, n, out):
    """out[r G + l] = values[l] (G = len(values)) for rows r < n."""
    G = values.shape[0]
    for r in range(n):
        for l in range(G):
            out[r * G + l] = values[l]


@njit
def _e_walk(n, m, ns, ms, G, rows, Wd, Wu, Es, zw, iv2, acc):
    """E of every walked cell into Es (the weights' layout, pads zero), and
    acc[i G + l] = sum over row i of lane l of E (i - j)^2."""
    one = Es.dtype.type(1)
    zero = one - one
    K = n + m - 1
    acc[:] = 0.0
    for k in range(K - 1, -1, -1):
        _, _, ok, s0, s1 = block_of(rows, k, G)
        W1d, o1, W2d, o2 = next_blocks(Wd, zw, rows, k, K, s0, G)
        W1u, _, _, _ = next_blocks(Wu, zw, rows, k, K, s0, G)
        E1, _, E2, _ = next_blocks(Es, zw, rows, k, K, s0, G)
        out = Es[ok + s0 : ok + s1]
        e_cells(
            E2[o2 + s0 + G : o2 + s1 + G], W2d[o2 + s0 + G : o2 + s1 + G],
            E1[o1 + s0 + G : o1 + s1 + G], W1u[o1 + s0 + G : o1 + s1 + G],
            E1[o1 + s0 : o1 + s1], W1d[o1 + s0 : o1 + s1], W1u[o1 + s0 : o1 + s1],
            one, out,
        )  # fmt: skip
        Es[ok + s0 - G : ok + s0] = zero  # pad row b - 1
        Es[ok + s1 : ok + s1 + G] = zero  # pad row last + 1
        for l in range(G):
            if k == ns[l] + ms[l] - 2:
                Es[ok + (ns[l] - 1) * G + l] = one  # dR / dR at the lane's last cell
        _temporal_cells(out, iv2[s0:s1], np.float64(k), acc[s0:s1])


@njit
def _hvp_walk(  # noqa: PLR0913
    xs, ys, d, sx, sy, n, m, G, rows, Wd, Wu, Es, Rds, zw, iv2, sc, gs, inv, one, buf, tot,
    gxs, gys, hvp,
):  # fmt: skip
    """Rd forward (stored in Rds), then the reverse walk: the cells' gradient in
    their costs (``tot``) and from it ``gxs``/``gys`` += tot (x_i - y_j).
    Without ``hvp`` (no lane has a temporal gradient) the gradient is gs E:
    neither sweep of the Hessian-vector product runs."""
    zero = one - one
    K = n + m - 1
    buf[:, : (n + 2) * G] = zero  # slot r + 1: row r; slot 0 (row -1) stays 0
    for k in range(K if hvp else 0):
        _, _, ok, s0, s1 = block_of(rows, k, G)
        cur = buf[k % 3]
        d1 = buf[(k + 2) % 3]
        d2 = buf[(k + 1) % 3]
        cur[s0 : s0 + G] = zero  # row b - 1: the next diagonals read it
        cur[s1 + G : s1 + 2 * G] = zero  # row last + 1
        kf = iv2.dtype.type(k)
        _rd_cells(
            sc[s0:s1], iv2[s0:s1], kf, Wd[ok + s0 : ok + s1], Wu[ok + s0 : ok + s1],
            d2[s0:s1], d1[s0:s1], d1[s0 + G : s1 + G], one, cur[s0 + G : s1 + G],
        )  # fmt: skip
        Rds[ok + s0 - G : ok + s0] = zero
        Rds[ok + s0 : ok + s1] = cur[s0 + G : s1 + G]
        Rds[ok + s1 : ok + s1 + G] = zero
    buf[:, : (n + 2) * G] = zero
    gxs[:] = zero
    gys[:] = zero
    for k in range(K - 1, -1, -1):
        b, _, ok, s0, s1 = block_of(rows, k, G)
        Gk = buf[k % 3]
        G1 = buf[(k + 1) % 3]
        G2 = buf[(k + 2) % 3]
        if not hvp:
            _shape_cells(gs[s0:s1], Es[ok + s0 : ok + s1], tot[s0:s1])
        else:
            # the stored weights (A: diagonal, B: upper), E (C) and Rd (D) of the successors
            A1, o1, A2, o2 = next_blocks(Wd, zw, rows, k, K, s0, G)
            B1, _, _, _ = next_blocks(Wu, zw, rows, k, K, s0, G)
            C1, _, C2, _ = next_blocks(Es, zw, rows, k, K, s0, G)
            D1, _, D2, _ = next_blocks(Rds, zw, rows, k, K, s0, G)
            kf = iv2.dtype.type(k)
            _hvp_cells(
                sc[s0:s1], iv2[s0:s1], kf, inv, Rds[ok + s0 : ok + s1], gs[s0:s1],
                Es[ok + s0 : ok + s1],
                B1[o1 + s0 + G : o1 + s1 + G], G1[s0 + 2 * G : s1 + 2 * G],
                C1[o1 + s0 + G : o1 + s1 + G], D1[o1 + s0 + G : o1 + s1 + G],
                A1[o1 + s0 : o1 + s1], B1[o1 + s0 : o1 + s1], G1[s0 + G : s1 + G],
                C1[o1 + s0 : o1 + s1], D1[o1 + s0 : o1 + s1],
                A2[o2 + s0 + G : o2 + s1 + G], G2[s0 + 2 * G : s1 + 2 * G],
                C2[o2 + s0 + G : o2 + s1 + G], D2[o2 + s0 + G : o2 + s1 + G],
                one, Gk[s0 + G : s1 + G], tot[s0:s1],
            )  # fmt: skip
            Gk[s0 : s0 + G] = zero  # row b - 1 (slot b)
            Gk[s1 + G : s1 + 2 * G] = zero  # row last + 1
        add_grads(tot[s0:s1], xs, ys, d, sx, sy, s0, s1, (m - 1 - k + b) * G, gxs, gys)


@njit_parallel
def dilate_forward_kernel(X, Y, lx, ly, pairs, plan, gamma, big, Wd, Wu, Es, shape, temporal):
    """Values, temporal terms (by pair), weights and E of the groups of ``plan``."""
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    for g in prange(plan.shape[0]):
        p0, G, w0 = plan[g, 0], plan[g, 1], plan[g, 2]
        idx = pairs[p0 : p0 + G]
        xs, ys, buf, tc, res, lo, hi, LO, HI, ns, ms, n, m, masked = load_group(
            X, Y, idx, idx, lx, ly, 0, 0, 0.0, shape
        )
        size = weights_size(n, m, lo, hi, G)
        wd = Wd[w0 : w0 + size]
        wu = Wu[w0 : w0 + size]
        sweep_group(
            xs, ys, d, N * G, M * G, ns, ms, n, m, lo, hi, masked, LO, HI, gamma, big, True,
            wd, wu, buf, tc, res,
        )  # fmt: skip
        acc = np.empty(N * G, dtype=np.float64)
        rows, zw, iv2 = _walk_scratch(n, m, lo, hi, G, N, M, shape, acc)
        _e_walk(n, m, ns, ms, G, rows, wd, wu, Es[w0 : w0 + size], zw, iv2, acc)
        for l in range(G):
            p = idx[l]
            shape[p] = np.inf if res[l] >= big else res[l]
            t = 0.0
            for r in range(ns[l]):
                t += acc[r * G + l]
            temporal[p] = t / (ns[l] * ms[l])


@njit_parallel
def dilate_backward_kernel(X, Y, lx, ly, pairs, plan, gamma, Wd, Wu, Es, gs, gt, gx, gy):
    """gx, gy = d (gs[p] shape[p] + gt[p] temporal[p]) / d (X[p], Y[p]) from the
    arrays of :func:`dilate_forward_kernel` (zero past each series' length)."""
    N = X.shape[1]
    M = Y.shape[1]
    d = X.shape[2]
    dt = gx.dtype.type
    one = dt(1)
    inv = one / dt(gamma)
    for g in prange(plan.shape[0]):
        p0, G, w0 = plan[g, 0], plan[g, 1], plan[g, 2]
        idx = pairs[p0 : p0 + G]
        xs, ys, buf, _, _, lo, hi, _, _, ns, ms, n, m, _ = load_group(
            X, Y, idx, idx, lx, ly, 0, 0, 0.0, gx
        )
        size = weights_size(n, m, lo, hi, G)
        rows, zw, iv2 = _walk_scratch(n, m, lo, hi, G, N, M, gx, gx)
        scale = np.empty(G, dtype=gx.dtype)  # gt / (n m) of each lane
        hvp = False  # a lane has a temporal gradient
        for l in range(G):
            scale[l] = gt[idx[l]] / (ns[l] * ms[l])
            hvp = hvp or gt[idx[l]] != 0.0
        sc = np.empty(N * G, dtype=gx.dtype)
        _tile(scale, n, sc)
        gsl = np.empty(N * G, dtype=gx.dtype)
        _tile(gs[idx], n, gsl)
        Rds = np.empty(size if hvp else 0, dtype=gx.dtype)
        tot = np.empty(N * G, dtype=gx.dtype)
        gxs = np.empty(N * d * G, dtype=gx.dtype)
        gys = np.empty(M * d * G, dtype=gx.dtype)
        _hvp_walk(
            xs, ys, d, N * G, M * G, n, m, G, rows, Wd[w0 : w0 + size], Wu[w0 : w0 + size],
            Es[w0 : w0 + size], Rds, zw, iv2, sc, gsl, inv, one, buf, tot, gxs, gys, hvp,
        )  # fmt: skip
        two = one + one
        for l in range(G):
            p = idx[l]
            scatter_lanes(gxs, l, G, N * G, n, ns[l], False, two, gx[p])
            scatter_lanes(gys, l, G, M * G, m, ms[l], True, two, gy[p])
