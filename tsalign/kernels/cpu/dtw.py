"""Exact DTW on the CPU (numba).

Two kinds of kernels:

- *value* kernels compute the accumulated squared-Euclidean cost of the best
  path straight from the series, with two rolling rows and no cost matrix, in
  parallel over pairs (a batch of pairs, all pairs of two datasets, or the
  upper triangle of one dataset against itself);
- *matrix* kernels fill the whole accumulated-cost matrix from a cost matrix
  and backtrack the optimal path (tslearn's tie-break: diagonal, then up, then
  left), for ``dtw_path`` and friends.

Cells outside a pair's lengths or its band hold ``inf``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import band_mask, band_ranges  # noqa: F401 - band_mask is a launcher
from ._jit import n_threads, njit, njit_parallel, pair_cells

MODE_BATCH = 0  # pair p = (X[p], Y[p])
MODE_CROSS = 1  # pair p = (X[p // ny], Y[p % ny])
MODE_TRIANGLE = 2  # pair p = p-th (a, b), a < b, of X against itself, row-major


@njit
def _triangle_index(p, n):
    """(a, b) of the p-th pair a < b in row-major order over an n x n triangle."""
    # row a starts at off(a) = a * (2n - a - 1) / 2
    a = int((2 * n - 1 - np.sqrt((2.0 * n - 1) ** 2 - 8.0 * p)) // 2)
    if a < 0:
        a = 0
    while a > 0 and a * (2 * n - a - 1) // 2 > p:
        a -= 1
    while (a + 1) * (2 * n - a - 2) // 2 <= p:
        a += 1
    b = p - a * (2 * n - a - 1) // 2 + a + 1
    return a, b


@njit
def _dtw_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur):
    """Accumulated squared cost at (n-1, m-1) with two rolling rows."""
    inf = np.inf
    band_ranges(n, m, kind, radius, slope, lo, hi)
    for j in range(m + 1):
        prev[j] = inf
        cur[j] = inf
    prev[0] = 0.0
    d = x.shape[1]
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        cur[0] = inf
        if i >= 2:
            # entries of row i-2 left of this row's range are stale: clear them
            # (bounds are non-decreasing, so nothing stale lies right of hi_i)
            for jj in range(lo[i - 2] + 1, lo_i + 1):
                cur[jj] = inf
        left = cur[lo_i]
        if d == 1:
            xi = x[i, 0]
            for j in range(lo_i, hi_i):
                diff = xi - y[j, 0]
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = diff * diff + best
                cur[j + 1] = left
        else:
            for j in range(lo_i, hi_i):
                c = 0.0
                for k in range(d):
                    diff = x[i, k] - y[j, k]
                    c += diff * diff
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = c + best
                cur[j + 1] = left
        prev, cur = cur, prev
    return prev[m]


@njit_parallel
def _dtw_values_kernel(X, Y, lx, ly, mode, p_start, out, kind, radius, slope, n_chunks):
    n_pairs = out.shape[0]
    N = X.shape[1]
    M = Y.shape[1]
    ny = Y.shape[0]
    nx = X.shape[0]
    chunk = (n_pairs + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(n_pairs, start + chunk)
        if start >= stop:
            continue
        # per-chunk scratch: no allocation per pair
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        prev = np.empty(M + 1, dtype=out.dtype)
        cur = np.empty(M + 1, dtype=out.dtype)
        for q in range(start, stop):
            p = p_start + q
            if mode == MODE_BATCH:
                a = p
                b = p
            elif mode == MODE_CROSS:
                a = p // ny
                b = p % ny
            else:
                a, b = _triangle_index(p, nx)
            out[q] = _dtw_rows(X[a], Y[b], lx[a], ly[b], kind, radius, slope, lo, hi, prev, cur)


@njit
def _dtw_value_single(x, y, n, m, kind, radius, slope, dtype_like):
    """One pair without the thread pool (waking workers costs more than it saves)."""
    lo = np.empty(x.shape[0], dtype=np.int64)
    hi = np.empty(x.shape[0], dtype=np.int64)
    prev = np.empty(m + 1, dtype=dtype_like.dtype)
    cur = np.empty(m + 1, dtype=dtype_like.dtype)
    return _dtw_rows(x, y, n, m, kind, radius, slope, lo, hi, prev, cur)


def _chunks(n_pairs: int) -> int:
    return max(1, min(n_pairs, 8 * n_threads()))


def dtw_values(X, Y, lx, ly, band):
    """Accumulated squared cost of the best path for each pair ``(X[b], Y[b])``.

    X: (B, N, d), Y: (B, M, d) float arrays; lx, ly: (B,) int64 lengths.
    Returns (B,) in X's dtype; ``inf`` where the band admits no path.
    """
    B = X.shape[0]
    out = np.empty(B, dtype=X.dtype)
    kind, radius, slope = band
    if B == 1:
        out[0] = _dtw_value_single(
            X[0], Y[0], lx[0], ly[0], int(kind), int(radius), float(slope), out
        )
        return out
    _dtw_values_kernel.run(
        pair_cells(lx, ly),
        X,
        Y,
        lx,
        ly,
        MODE_BATCH,
        0,
        out,
        int(kind),
        int(radius),
        float(slope),
        _chunks(B),
    )
    return out


def dtw_cdist(X, Y, lx, ly, band, symmetric, progress=None):
    """Accumulated squared cost for every pair of two datasets.

    With ``symmetric=True`` (Y is X) only pairs a < b are computed; the
    diagonal is zero.  ``progress(done, total)`` is called between blocks.
    Returns (nx, ny) in X's dtype.
    """
    nx = X.shape[0]
    ny = Y.shape[0]
    kind, radius, slope = band
    if symmetric:
        mode = MODE_TRIANGLE
        n_pairs = nx * (nx - 1) // 2
    else:
        mode = MODE_CROSS
        n_pairs = nx * ny
    flat = np.empty(n_pairs, dtype=X.dtype)
    n_blocks = 1 if progress is None else min(max(n_pairs, 1), 20)
    bounds = np.linspace(0, n_pairs, n_blocks + 1).astype(np.int64)
    cells = pair_cells(lx, ly, "triangle" if symmetric else "cross")
    for s, e in zip(bounds[:-1], bounds[1:], strict=False):
        if e > s:
            part = flat[s:e]
            _dtw_values_kernel.run(
                cells * int(e - s) // max(n_pairs, 1),
                X,
                Y,
                lx,
                ly,
                mode,
                int(s),
                part,
                int(kind),
                int(radius),
                float(slope),
                _chunks(int(e - s)),
            )
        if progress is not None:
            progress(int(e), n_pairs)
    if symmetric:
        out = np.zeros((nx, nx), dtype=X.dtype)
        iu = np.triu_indices(nx, k=1)
        out[iu] = flat
        out.T[iu] = flat
        return out
    return flat.reshape(nx, ny)


@njit_parallel
def _dtw_acc_kernel(C, lx, ly, kind, radius, slope, subsequence, R):
    B, N, M = C.shape
    inf = np.inf
    for b in prange(B):
        n = lx[b]
        m = ly[b]
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        band_ranges(n, m, kind, radius, slope, lo, hi)
        Rb = R[b]
        Cb = C[b]
        for i in range(N):
            for j in range(M):
                Rb[i, j] = inf
        for i in range(n):
            for j in range(lo[i], hi[i]):
                if i == 0:
                    if j == 0 or subsequence:
                        best = 0.0
                    else:
                        best = Rb[0, j - 1]
                elif j == 0:
                    best = Rb[i - 1, 0]
                else:
                    best = Rb[i - 1, j - 1]
                    if Rb[i - 1, j] < best:
                        best = Rb[i - 1, j]
                    if Rb[i, j - 1] < best:
                        best = Rb[i, j - 1]
                Rb[i, j] = Cb[i, j] + best


def dtw_acc(C, lx, ly, band, subsequence=False):
    """Accumulated-cost matrices (B, N, M) from cost matrices C (B, N, M).

    With ``subsequence=True`` a path may start anywhere on the first row.
    """
    R = np.empty_like(C)
    kind, radius, slope = band
    _dtw_acc_kernel(C, lx, ly, int(kind), int(radius), float(slope), bool(subsequence), R)
    return R


@njit_parallel
def _dtw_backtrack_kernel(R, lx, end_j, subsequence, paths, plen):
    B = R.shape[0]
    for b in prange(B):
        i = lx[b] - 1
        j = end_j[b]
        k = 0
        paths[b, 0, 0] = i
        paths[b, 0, 1] = j
        k = 1
        Rb = R[b]
        while (i > 0) or (j > 0 and not subsequence):
            if i == 0:
                j -= 1
            elif j == 0:
                i -= 1
            else:
                diag = Rb[i - 1, j - 1]
                up = Rb[i - 1, j]
                left = Rb[i, j - 1]
                if diag <= up and diag <= left:
                    i -= 1
                    j -= 1
                elif up <= left:
                    i -= 1
                else:
                    j -= 1
            paths[b, k, 0] = i
            paths[b, k, 1] = j
            k += 1
        # reverse in place: paths run from the start cell to the end cell
        for t in range(k // 2):
            a0 = paths[b, t, 0]
            a1 = paths[b, t, 1]
            paths[b, t, 0] = paths[b, k - 1 - t, 0]
            paths[b, t, 1] = paths[b, k - 1 - t, 1]
            paths[b, k - 1 - t, 0] = a0
            paths[b, k - 1 - t, 1] = a1
        plen[b] = k


def dtw_paths(R, lx, ly, end_j=None, subsequence=False):
    """Backtrack optimal paths through accumulated-cost matrices R (B, N, M).

    Paths end at ``(lx-1, end_j)`` (default ``ly-1``).  Returns ``paths``
    (B, N+M-1, 2) int64, valid up to ``plen`` (B,) int64 entries each.
    """
    B, N, M = R.shape
    if end_j is None:
        end_j = ly - 1
    paths = np.zeros((B, N + M - 1, 2), dtype=np.int64)
    plen = np.zeros(B, dtype=np.int64)
    _dtw_backtrack_kernel(
        R, lx, np.ascontiguousarray(end_j, dtype=np.int64), bool(subsequence), paths, plen
    )
    return paths, plen
