"""DILATE on the CPU (numba): soft-DTW, expected alignment and its Hessian.

For each pair ``b`` of a batch of cost matrices ``D[b]`` (only the leading
``lx[b] x ly[b]`` block is used) with smoothing ``gamma``:

- ``dilate_forward`` runs the soft-DTW recurrence
  ``R[i, j] = D[i, j] + softmin_gamma(R[i-1, j-1], R[i-1, j], R[i, j-1])``
  storing the soft-min weights of every cell in
  ``W[b, i, j] = (w_diag, w_up, w_left)``; a reverse sweep then gives the
  expected alignment ``E = dR[n-1, m-1] / dD`` from those weights alone (no
  exp), and the temporal term ``sum E * (i-j)^2 / (n m)``.  For gamma > 0 both
  sweeps are the soft-DTW family's (``soft_dtw_forward``/``soft_dtw_backward``);
  this module adds the left weight and the temporal term.
- ``dilate_backward`` returns ``gs[b] * E[b] + H[b] @ Z[b]`` where ``H`` is
  the Hessian of soft-DTW in ``D`` and ``Z[b] = gt[b] (i-j)^2 / (n m)``: the
  gradient of ``gs . shape + gt . temporal``.  The Hessian-vector product is
  one forward sweep (directional derivative of ``R``) and one reverse sweep
  (directional derivative of ``E``), both reusing ``W`` (again no exp).

``gamma = 0`` is hard DTW: the weights are the indicator of the minimum
(exact ties split in proportion to the number of optimal paths through each
predecessor, so E is the mean of the optimal paths: the limit of the soft
alignment), computed by this module's own row-major sweep, and the
second-order term vanishes (the alignment is piecewise constant in ``D``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._contract import NO_BAND, TINY, sentinel
from ._dilate_lanes import dilate_backward_kernel, dilate_forward_kernel
from ._jit import njit, njit_parallel
from ._soft_dtw_lanes import loss_layout


@njit
def _hard_forward_pair(D, n, m, W, E, prev, cur, lprev, lcur):
    """DTW (gamma = 0) with the hard weights: the tie-splitting minimum of each cell.

    Weights are proportional to the number of optimal paths reaching each tied
    predecessor (log-counts, in ``lprev``/``lcur``: they grow exponentially), the
    gamma -> 0 limit of the soft weights.  Two rolling rows of R; returns the
    value and the temporal term, filling W (n, m, 3) and E.
    """
    inf = np.inf
    M = prev.shape[0] - 1
    # prev[j + 1] holds R[i - 1, j]; prev[0] is the virtual origin R[-1, -1] = 0
    prev[0] = 0.0
    lprev[0] = 0.0
    for j in range(1, M + 1):
        prev[j] = inf
        lprev[j] = -inf
    for i in range(n):
        cur[0] = inf
        lcur[0] = -inf
        for j in range(m):
            a0 = prev[j]
            a1 = prev[j + 1]
            a2 = cur[j]
            rmin = a0
            if a1 < rmin:
                rmin = a1
            if a2 < rmin:
                rmin = a2
            l0 = lprev[j] if a0 == rmin else -inf
            l1 = lprev[j + 1] if a1 == rmin else -inf
            l2 = lcur[j] if a2 == rmin else -inf
            lmax = max(l0, max(l1, l2))
            e0 = np.exp(l0 - lmax)
            e1 = np.exp(l1 - lmax)
            e2 = np.exp(l2 - lmax)
            s = e0 + e1 + e2
            lcur[j + 1] = lmax + np.log(s)
            W[i, j, 0] = e0 / s
            W[i, j, 1] = e1 / s
            W[i, j, 2] = e2 / s
            cur[j + 1] = D[i, j] + rmin
        for j in range(m + 1):
            prev[j] = cur[j]
            lprev[j] = lcur[j]
        # the virtual origin only feeds cell (0, 0)
        prev[0] = inf
        lprev[0] = -inf
    value = prev[m]

    # expected alignment, successors first
    scale = 1.0 / (n * m)
    temporal = 0.0
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if i == n - 1 and j == m - 1:
                e = 1.0
            else:
                e = 0.0
                if i + 1 < n:
                    e += E[i + 1, j] * W[i + 1, j, 1]
                    if j + 1 < m:
                        e += E[i + 1, j + 1] * W[i + 1, j + 1, 0]
                if j + 1 < m:
                    e += E[i, j + 1] * W[i, j + 1, 2]
                if e < TINY:
                    e = 0.0
            E[i, j] = e
            t = i - j
            temporal += e * (t * t)
    return value, temporal * scale


@njit_parallel
def _hard_forward_kernel(D, lx, ly, shape, temporal, E, W):
    B, N, M = D.shape
    for b in prange(B):
        prev = np.empty(M + 1, dtype=D.dtype)
        cur = np.empty(M + 1, dtype=D.dtype)
        lprev = np.empty(M + 1, dtype=np.float64)
        lcur = np.empty(M + 1, dtype=np.float64)
        v, t = _hard_forward_pair(D[b], lx[b], ly[b], W[b], E[b], prev, cur, lprev, lcur)
        shape[b] = v
        temporal[b] = t


@njit_parallel
def _weights3_and_temporal(W2, E, lx, ly, W, temporal):
    """W = (w_diag, w_up, 1 - w_diag - w_up) inside each block; sum E (i-j)^2 / (n m).

    Weights and alignment entries below TINY are flushed to 0 (E in place):
    at small gamma they reach the subnormal range, where x86 arithmetic in the
    Hessian-vector product is several times slower.
    """
    B = W2.shape[0]
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        t = 0.0
        for i in range(n):
            for j in range(m):
                a = W2[b, i, j, 0]
                u = W2[b, i, j, 1]
                if a < TINY:
                    a = 0.0
                if u < TINY:
                    u = 0.0
                left = 1.0 - a - u
                if left < TINY:
                    left = 0.0
                W[b, i, j, 0] = a
                W[b, i, j, 1] = u
                W[b, i, j, 2] = left
                e = E[b, i, j]
                if e < TINY:
                    E[b, i, j] = 0.0
                else:
                    d = i - j
                    t += e * (d * d)
        temporal[b] = t / (n * m)


def dilate_forward(D, lx, ly, gamma):
    """Soft-DTW values, temporal terms, expected alignments and soft-min weights.

    D: (B, N, M) float array; lx, ly: (B,) int64 lengths (pair b uses
    ``D[b, :lx[b], :ly[b]]``); gamma >= 0.  Returns ``(shape (B,), temporal
    (B,), E (B, N, M), W (B, N, M, 3))`` in D's dtype; E and W are zero
    outside each pair's block.

    For gamma > 0 the soft-DTW forward pass and the E recursion are the soft-DTW
    family's (anti-diagonal, vectorised in float32; timings in
    ``benchmarks/bench_dilate.py``), whose stored weights are the same
    normalised soft-min weights; only the third (left) weight and the temporal
    term are added here.  gamma = 0 (hard weights that split exact ties by path
    counts) keeps this family's own sweep.
    """
    B, N, M = D.shape
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    temporal = np.empty(B, dtype=D.dtype)
    W = np.zeros((B, N, M, 3), dtype=D.dtype)
    if gamma > 0:
        from . import soft_dtw as sdtw

        shape, W2 = sdtw.soft_dtw_forward(D, lx, ly, NO_BAND, gamma)
        E = sdtw.soft_dtw_backward(W2, lx, ly, NO_BAND)
        _weights3_and_temporal(W2, E, lx, ly, W, temporal)
        return shape, temporal, E, W
    shape = np.empty(B, dtype=D.dtype)
    E = np.zeros((B, N, M), dtype=D.dtype)
    _hard_forward_kernel(D, lx, ly, shape, temporal, E, W)
    return shape, temporal, E, W


@njit
def _hvp_pair(W, E, n, m, gamma, gs, gt, G, Rd):
    scale = gt / (n * m)
    # forward sweep: Rd = directional derivative of R along Z
    for i in range(n):
        for j in range(m):
            t = i - j
            r = scale * (t * t)
            if i > 0:
                r += W[i, j, 1] * Rd[i - 1, j]
                if j > 0:
                    r += W[i, j, 0] * Rd[i - 1, j - 1]
            if j > 0:
                r += W[i, j, 2] * Rd[i, j - 1]
            Rd[i, j] = r
    # reverse sweep: G = directional derivative of E.  For a successor s of
    # (i, j) reached through weight w = W[s, k], d w = -(w / gamma) *
    # (Rd[i, j] - (Rd[s] - Z[s])), since sum_k W[s, k] Rd[pred_k(s)] = Rd[s] - Z[s].
    inv = 1.0 / gamma
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if i == n - 1 and j == m - 1:
                G[i, j] = 0.0
                continue
            rij = Rd[i, j]
            acc = 0.0
            if i + 1 < n:
                t = i + 1 - j
                base = Rd[i + 1, j] - scale * (t * t)
                acc += W[i + 1, j, 1] * (G[i + 1, j] - inv * E[i + 1, j] * (rij - base))
                if j + 1 < m:
                    t = i - j
                    base = Rd[i + 1, j + 1] - scale * (t * t)
                    acc += W[i + 1, j + 1, 0] * (
                        G[i + 1, j + 1] - inv * E[i + 1, j + 1] * (rij - base)
                    )
            if j + 1 < m:
                t = i - j - 1
                base = Rd[i, j + 1] - scale * (t * t)
                acc += W[i, j + 1, 2] * (G[i, j + 1] - inv * E[i, j + 1] * (rij - base))
            G[i, j] = acc
    for i in range(n):
        for j in range(m):
            G[i, j] += gs * E[i, j]


@njit_parallel
def _backward_kernel(W, E, gs, gt, lx, ly, gamma, G):
    B, N, M = E.shape
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        if gamma > 0.0 and gt[b] != 0.0:
            Rd = np.empty((n, m), dtype=E.dtype)
            _hvp_pair(W[b], E[b], n, m, gamma, gs[b], gt[b], G[b], Rd)
        else:
            # no second-order term: hard DTW, or no gradient reaching temporal
            for i in range(n):
                for j in range(m):
                    G[b, i, j] = gs[b] * E[b, i, j]


def dilate_backward(W, E, gs, gt, lx, ly, gamma):
    """Gradient in D of ``sum_b gs[b] shape[b] + gt[b] temporal[b]``.

    W, E: as returned by :func:`dilate_forward`; gs, gt: (B,) arrays in E's
    dtype.  Returns G (B, N, M), zero outside each pair's block.
    """
    G = np.zeros_like(E)
    _backward_kernel(
        W,
        E,
        np.ascontiguousarray(gs, dtype=E.dtype),
        np.ascontiguousarray(gt, dtype=E.dtype),
        np.ascontiguousarray(lx, dtype=np.int64),
        np.ascontiguousarray(ly, dtype=np.int64),
        float(gamma),
        G,
    )
    return G


def dilate_forward_series(X, Y, lx, ly, gamma):
    """DILATE's per-pair terms of series under the squared Euclidean cost, and
    what :func:`dilate_backward_series` needs (gamma > 0).

    X: (B, N, d) targets (rows), Y: (B, M, d) predictions (columns), float32 or
    float64; the costs are computed on the fly by lane groups of pairs sorted by
    their lengths (:mod:`._dilate_lanes`).  Returns ``(shape (B,), temporal (B,),
    S (3, size), plan, pairs)``: soft-DTW values, temporal terms, the soft-min
    weights and expected alignments in the groups' diagonal-major layout, the
    groups and the order of the pairs in them.
    """
    X = np.ascontiguousarray(X)
    Y = np.ascontiguousarray(Y)
    B = X.shape[0]
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    shape = np.empty(B, dtype=X.dtype)
    temporal = np.empty(B, dtype=X.dtype)
    pairs, work, plan, size = loss_layout(lx, ly, X.dtype, *NO_BAND)
    S = np.empty((3, size), dtype=X.dtype)
    dt = X.dtype.type
    args = (dt(gamma), dt(sentinel(X.dtype)), S[0], S[1], S[2], shape, temporal)
    dilate_forward_kernel.run(work, X, Y, lx, ly, pairs, plan, *args)
    return shape, temporal, S, plan, pairs


def dilate_backward_series(S, plan, pairs, X, Y, lx, ly, gamma, gs, gt):
    """(dX, dY) of ``sum_p gs[p] shape[p] + gt[p] temporal[p]`` from what
    :func:`dilate_forward_series` returned (zero past each length)."""
    X = np.ascontiguousarray(X)
    Y = np.ascontiguousarray(Y)
    gx = np.empty_like(X)
    gy = np.empty_like(Y)
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    gs = np.ascontiguousarray(gs, dtype=X.dtype)
    gt = np.ascontiguousarray(gt, dtype=X.dtype)
    work = int(np.dot(lx, ly))
    args = (float(gamma), S[0], S[1], S[2], gs, gt, gx, gy)
    dilate_backward_kernel.run(work, X, Y, lx, ly, pairs, plan, *args)
    return gx, gy
