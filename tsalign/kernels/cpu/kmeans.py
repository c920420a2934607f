"""k-means helpers on the CPU (numba): DTW capped per series.

Not called by ``TimeSeriesKMeans`` any more: its k-means++ rounds run on the
DTW family's ``dtw_cdist`` lane kernels, which took a third of this kernel's
CPU time (benchmarks/README_barycenters.md).  Kept while
``kernels/_contract.py`` declares it.

tslearn's k-means++ under DTW keeps, for every series, the squared distance to
its closest seed so far and replaces it by ``min(closest, d(candidate, x)^2)``
for each candidate seed.  Only a distance below ``closest`` matters, so each
candidate's DTW to series x is early-abandoned (and pruned, EAPruned) at
``cap[x]``: a value <= cap is exact (the arithmetic of ``kernels/cpu/dtw.py``,
through the neighbours family's ``ea_dtw``), anything above comes back as
``inf``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._band import band_ranges
from ._jit import n_threads, njit_parallel, pair_cells
from .neighbors import ea_dtw


@njit_parallel
def _capped_kernel(C, lc, X, lx, cap, kind, radius, slope, n_chunks, out):
    nc = C.shape[0]
    n = X.shape[0]
    N = C.shape[1]
    M = X.shape[1]
    chunk = (n + n_chunks - 1) // n_chunks
    for t in prange(n_chunks):
        start = t * chunk
        stop = min(n, start + chunk)
        lo = np.empty(N, dtype=np.int64)
        hi = np.empty(N, dtype=np.int64)
        cbs = np.zeros(N + 1, dtype=np.float64)
        prev = np.empty(M, dtype=out.dtype)
        cur = np.empty(M, dtype=out.dtype)
        consts = np.zeros(2, dtype=out.dtype)
        consts[0] = np.inf
        inf_t = consts[0]
        zero_t = consts[1]
        for b in range(start, stop):
            m = lx[b]
            ub = cap[b]
            for c in range(nc):
                n_c = lc[c]
                band_ranges(n_c, m, kind, radius, slope, lo, hi)
                v, _ = ea_dtw(
                    C[c], X[b], n_c, m, lo, hi, cbs, ub, float(ub), prev, cur, inf_t, zero_t
                )
                out[c, b] = v


def dtw_capped(C, X, lc, lx, cap, band):
    """DTW of every centre C[c] (rows) with every series X[b], or ``inf`` above ``cap[b]``.

    C: (nc, N, d), X: (n, M, d) zero-padded past lc / lx; cap: (n,) in X's
    dtype (accumulated squared cost).  Returns (nc, n) in X's dtype: the
    accumulated squared cost of the best path where it is <= cap[b] (bit-
    identical to ``dtw_cdist``), ``inf`` otherwise (and where the band admits
    no path).
    """
    kind, radius, slope = band
    nc, n = C.shape[0], X.shape[0]
    out = np.empty((nc, n), dtype=X.dtype)
    n_chunks = max(1, min(n, 4 * n_threads()))
    _capped_kernel.run(
        pair_cells(lc, lx, "cross"),
        np.ascontiguousarray(C, dtype=X.dtype),
        np.ascontiguousarray(lc, dtype=np.int64),
        np.ascontiguousarray(X),
        np.ascontiguousarray(lx, dtype=np.int64),
        np.ascontiguousarray(cap, dtype=X.dtype),
        int(kind),
        int(radius),
        float(slope),
        n_chunks,
        out,
    )
    return out
