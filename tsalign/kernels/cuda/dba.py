"""DTW Barycenter Averaging on the GPU: launcher of ``dba.cu`` (API of kernels/cpu/dba.py)."""

from __future__ import annotations

import numpy as np

from .._contract import SCRATCH_BYTES
from ._module import band_args, kernel, threads_for


def dba_accumulate(X, lx, Z, assign, weights, idx, band, bary_first):
    """One DBA pass: weighted sums of the frames aligned with each barycenter frame.

    Same arguments and results as the CPU launcher (``kernels/cpu/dba.py``):
    ``(sums (K, S, d) float64, counts (K, S) float64, costs (p,))`` as CuPy
    arrays; one block per used series, its accumulated costs in a global
    scratch slice (launches in slices of at most ``SCRATCH_BYTES``).
    """
    import cupy

    K, S, d = (int(s) for s in Z.shape)
    N = int(X.shape[1])
    p = int(np.asarray(idx).shape[0])
    rows, cols = (S, N) if bary_first else (N, S)
    sums = cupy.zeros((K, S, d), dtype=cupy.float64)
    counts = cupy.zeros((K, S), dtype=cupy.float64)
    costs = cupy.empty(p, dtype=X.dtype)
    if p == 0:
        return sums, counts, costs
    per = rows * cols * np.dtype(X.dtype).itemsize
    step = max(1, min(p, SCRATCH_BYTES // max(1, per)))
    scratch = cupy.empty(step * rows * cols, dtype=X.dtype)
    k = kernel("dba", "dba_accumulate", X.dtype)
    args = (
        cupy.ascontiguousarray(X),
        cupy.asarray(lx, dtype=cupy.int64),
        cupy.ascontiguousarray(cupy.asarray(Z, dtype=X.dtype)),
        cupy.asarray(assign, dtype=cupy.int64),
        cupy.asarray(weights, dtype=cupy.float64),
        cupy.asarray(idx, dtype=cupy.int64),
    )
    for s in range(0, p, step):
        e = min(p, s + step)
        k(
            (e - s,),
            (threads_for(min(rows, cols)),),
            (
                *args,
                np.int64(s),
                np.int64(N),
                np.int64(S),
                np.int64(d),
                *band_args(band),
                np.int32(bool(bary_first)),
                scratch,
                sums,
                counts,
                costs,
            ),
        )
    return sums, counts, costs
