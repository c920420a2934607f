"""Exact DTW k-nearest neighbours on the GPU: launchers of ``neighbors.cu``.

Same API and results as ``kernels/cpu/neighbors.py::dtw_kneighbors`` (the CPU
cascade's LB_Enhanced, LB_Keogh-against-the-query, LB_Webb / LB_Improved and
EAPruned stages are not here, so ``tight`` and ``visit`` are ignored: the GPU visits candidates
in the order of max(LB_Kim, LB_Keogh) and abandons DTWs by anti-diagonals).
Bounds are computed in bulk for a chunk of queries at a time (at most
``_BOUNDS_ENTRIES`` query x reference entries), so memory stays O(data).
"""

from __future__ import annotations

import numpy as np

from .._contract import MAX_THREADS
from ._module import kernel, threads_for

_BOUNDS_ENTRIES = 1 << 24


def _most_common(lengths) -> int:
    values, counts = np.unique(np.asarray(lengths), return_counts=True)
    return int(values[np.argmax(counts)])


def dtw_kneighbors(X, Y, lx, ly, band, k, tight=0, visit=None):
    import cupy

    nq, N, d = (int(v) for v in X.shape)
    nr, M = int(Y.shape[0]), int(Y.shape[1])
    kind, radius, slope = int(band[0]), int(band[1]), float(band[2])
    lx_h = np.asarray(lx, dtype=np.int64)
    n0 = _most_common(lx_h)
    lx_d = cupy.asarray(lx_h)
    ly_d = cupy.asarray(np.asarray(ly, dtype=np.int64))
    envL = cupy.empty((nr, n0, d), dtype=Y.dtype)
    envU = cupy.empty((nr, n0, d), dtype=Y.dtype)
    threads = 128
    blocks = max(1, min(65535, -(-nr * n0 // threads)))
    kernel("neighbors", "knn_envelopes", Y.dtype)(
        (blocks,),
        (threads,),
        (
            Y,
            ly_d,
            np.int64(nr),
            np.int64(n0),
            np.int64(M),
            np.int64(d),
            np.int32(kind),
            np.int64(radius),
            np.float64(slope),
            envL,
            envU,
        ),
    )
    out_d = cupy.empty((nq, k), dtype=X.dtype)
    out_i = cupy.empty((nq, k), dtype=cupy.int64)
    stats = cupy.zeros((nq, 6), dtype=cupy.int64)
    eps = float(np.finfo(X.dtype).eps)
    margin = 4.0 * (N + M + d + 4) * eps
    chunk = max(1, min(nq, _BOUNDS_ENTRIES // max(nr, 1)))
    search_threads = min(threads_for(min(N, M)), MAX_THREADS)
    used = cupy.zeros(nq, dtype=cupy.int32)
    for q0 in range(0, nq, chunk):
        nqc = min(chunk, nq - q0)
        bounds = cupy.empty((nqc, nr), dtype=cupy.float64)
        used_c = cupy.zeros(nqc, dtype=cupy.int32)
        blocks = max(1, min(65535, -(-nqc * nr // threads)))
        kernel("neighbors", "knn_bounds", X.dtype)(
            (blocks,),
            (threads,),
            (
                X,
                Y,
                lx_d,
                ly_d,
                envL,
                envU,
                np.int64(q0),
                np.int64(nqc),
                np.int64(nr),
                np.int64(N),
                np.int64(M),
                np.int64(d),
                np.int64(n0),
                bounds,
                used_c,
            ),
        )
        used[q0 : q0 + nqc] = used_c
        order = cupy.ascontiguousarray(cupy.argsort(bounds, axis=1).astype(cupy.int64))
        scratch = cupy.empty(nqc * 3 * N, dtype=X.dtype)
        kernel("neighbors", "knn_search", X.dtype)(
            (nqc,),
            (search_threads,),
            (
                X,
                Y,
                lx_d,
                ly_d,
                order,
                bounds,
                np.int64(q0),
                np.int64(nqc),
                np.int64(nr),
                np.int64(N),
                np.int64(M),
                np.int64(d),
                np.int32(kind),
                np.int64(radius),
                np.float64(slope),
                np.int64(k),
                np.float64(margin),
                scratch,
                out_d,
                out_i,
                stats,
            ),
        )
    # candidates rejected by the ordering bound count as LB_Kim where LB_Keogh was not used
    kim_only = used == 0
    stats[kim_only, 0] = stats[kim_only, 1]
    stats[kim_only, 1] = 0
    # the columns of NN_STATS (no LB_Enhanced, LB_Keogh EQ nor LB_Webb stage here)
    full = cupy.zeros((nq, 7), dtype=cupy.int64)
    full[:, 0] = stats[:, 0]
    full[:, 1] = stats[:, 1]
    full[:, 5] = stats[:, 4]
    full[:, 6] = stats[:, 5]
    return out_d, out_i, full
