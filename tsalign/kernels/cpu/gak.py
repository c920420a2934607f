"""Global Alignment Kernel (Cuturi 2011) in log space on the CPU (numba).

With the log local kernel ``k[i, j] = -c / (2 sigma^2) - log(2 - exp(-c / (2 sigma^2)))``
(``c`` the squared Euclidean cost), ``F[i, j] = logsumexp(F[i-1, j], F[i, j-1],
F[i-1, j-1]) + k[i, j]`` with ``F[-1, -1] = 0``: ``F[n-1, m-1]`` is the log of the
sum over all alignments of the product of the local kernels.  Working in log
space keeps it finite where the linear recursion overflows (long series).

- ``gak_log_pairs``: log values straight from the series, two rolling rows,
  parallel over pairs;
- ``gak_forward`` / ``gak_backward``: whole matrices from log-kernel matrices
  (B, N, M), the backward giving ``dF[n-1, m-1] / dk[i, j]`` (the posterior
  occupancy of each cell, in [0, 1]) for autograd.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import njit, njit_parallel
from ._pairs import chunk_of, n_chunks


@njit
def _lse3(a, b, c):
    mx = a
    if b > mx:
        mx = b
    if c > mx:
        mx = c
    if mx == -np.inf:
        return mx
    return mx + np.log(np.exp(a - mx) + np.exp(b - mx) + np.exp(c - mx))


@njit
def _log_kernel(c, inv):
    u = -c * inv
    return u - np.log(2.0 - np.exp(u))


@njit
def _gak_rows(x, y, n, m, inv, prev, cur):
    ninf = -np.inf
    for j in range(m + 1):
        prev[j] = ninf
    prev[0] = 0.0
    d = x.shape[1]
    for i in range(n):
        cur[0] = ninf
        for j in range(m):
            c = 0.0
            for k in range(d):
                diff = x[i, k] - y[j, k]
                c += diff * diff
            cur[j + 1] = _lse3(prev[j], prev[j + 1], cur[j]) + _log_kernel(c, inv)
        prev, cur = cur, prev
        prev[0] = ninf
    return prev[m]


@njit_parallel
def _pairs_kernel(X, Y, lx, ly, ia, ib, inv, out, chunks):
    M = Y.shape[1]
    for c in prange(chunks):
        start, stop = chunk_of(c, chunks, out.shape[0])
        # per-chunk scratch (an empty chunk loops zero times)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for p in range(start, stop):
            a = ia[p]
            b = ib[p]
            out[p] = _gak_rows(X[a], Y[b], lx[a], ly[b], inv, prev, cur)


def gak_log_pairs(X, Y, lx, ly, ia, ib, sigma):
    """Log unnormalised GAK of the pairs ``(X[ia[p]], Y[ib[p]])``; (P,) in X's dtype."""
    out = np.empty(ia.shape[0], dtype=X.dtype)
    if out.shape[0] == 0:
        return out
    inv = 1.0 / (2.0 * float(sigma) * float(sigma))
    _pairs_kernel(
        X,
        Y,
        lx,
        ly,
        np.ascontiguousarray(ia, dtype=np.int64),
        np.ascontiguousarray(ib, dtype=np.int64),
        X.dtype.type(inv),
        out,
        n_chunks(out.shape[0]),
    )
    return out


@njit_parallel
def _forward_kernel(K, lx, ly, F):
    B, N, M = K.shape
    ninf = -np.inf
    for b in prange(B):
        n, m = lx[b], ly[b]
        Fb = F[b]
        Fb[:, :] = ninf
        for i in range(n):
            for j in range(m):
                if i == 0 and j == 0:
                    acc = 0.0
                else:
                    up = Fb[i - 1, j] if i > 0 else ninf
                    left = Fb[i, j - 1] if j > 0 else ninf
                    diag = Fb[i - 1, j - 1] if (i > 0 and j > 0) else ninf
                    acc = _lse3(up, left, diag)
                Fb[i, j] = acc + K[b, i, j]


def gak_forward(K, lx, ly):
    """Log forward matrices F (B, N, M) from log local kernels K (B, N, M)."""
    F = np.empty_like(K)
    _forward_kernel(K, lx, ly, F)
    return F


@njit_parallel
def _backward_kernel(K, F, lx, ly, G):
    B, N, M = K.shape
    ninf = -np.inf
    for b in prange(B):
        n, m = lx[b], ly[b]
        Gb, Kb = G[b], K[b]
        # Bk holds log sums over the paths from a cell to the end (excluding the cell)
        Bk = np.full((n + 1, m + 1), ninf, dtype=K.dtype)
        total = F[b, n - 1, m - 1]
        Gb[:, :] = 0.0
        for i in range(n - 1, -1, -1):
            for j in range(m - 1, -1, -1):
                if i == n - 1 and j == m - 1:
                    acc = 0.0
                else:
                    down = Bk[i + 1, j] + Kb[i + 1, j] if i + 1 < n else ninf
                    right = Bk[i, j + 1] + Kb[i, j + 1] if j + 1 < m else ninf
                    diag = (
                        Bk[i + 1, j + 1] + Kb[i + 1, j + 1] if (i + 1 < n and j + 1 < m) else ninf
                    )
                    acc = _lse3(down, right, diag)
                Bk[i, j] = acc
                if acc != ninf and F[b, i, j] != ninf:
                    Gb[i, j] = np.exp(F[b, i, j] + acc - total)


def gak_backward(K, F, lx, ly):
    """Occupancies G (B, N, M): d F[n-1, m-1] / d K[i, j] for each pair."""
    G = np.empty_like(K)
    _backward_kernel(K, F, lx, ly, G)
    return G
