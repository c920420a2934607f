"""Parallel-over-pairs driver shared by the value kernels of the CPU families.

A value kernel computes one number per pair ``(X[ia[p]], Y[ib[p]])``; the pairs
are split into chunks run by ``prange``, each chunk owning its scratch rows.
"""

from __future__ import annotations

from ._jit import n_threads


def n_chunks(n_pairs: int) -> int:
    """Chunks for ``n_pairs`` pairs: enough to balance the threads, few enough to be cheap."""
    return max(1, min(n_pairs, 8 * n_threads()))
