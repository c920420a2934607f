"""Lane groups: many pairs per SIMD instruction (shared by the inter-pair kernels).

A kernel over many pairs is latency-bound when it walks one pair's recurrence at a
time: each cell waits for its left neighbour.  The inter-pair kernels instead put
``G`` independent pairs side by side, one per *lane*, in lane-major arrays
(``a[..., lane]``), and write every cell as an innermost ``for lane in range(G)``
loop of plain arithmetic and selects: LLVM turns that loop into SIMD instructions
(``G`` is a compile-time constant, the arrays are C-contiguous in the lane, and
there is no branch or call in the loop), so one dependency chain serves ``G``
pairs.  ``G`` is a few vector registers wide, not one: the chain of a DTW cell
(a min and an add, about 8 cycles of latency) is longer than the throughput cost
of a vector of cells, so several independent vectors must be in flight.

This module holds what every such kernel shares: the lane count, how a run of
pairs is cut into lane groups (the unit of work of ``prange``; the last one padded),
how pairs are ordered by length so that a group's lanes have equal lengths (and
need no masks), and the switch that forces the scalar kernels (for tests).
"""

from __future__ import annotations

import os

import numpy as np

from ._jit import SMALL_WORK

# Pairs per lane group, by dtype: see benchmarks/README.md (bench_simd.py) for
# the measurement behind the choice.
GROUPS = {"float64": 16, "float32": 32}


def group_size(dtype) -> int:
    """Pairs per lane group for data of ``dtype``."""
    return GROUPS[str(np.dtype(dtype))]


# Set TSALIGN_SIMD=0 to run the scalar kernels everywhere; tests flip ENABLED.
ENABLED = os.environ.get("TSALIGN_SIMD", "1") != "0"


# Soft-DTW lane groups walk anti-diagonals: their cells are independent, so
# the group needs no width for latency; these are the widths measured best
# (benchmarks/README.md, bench_simd.py).
SOFT_GROUPS = {"float64": 16, "float32": 32}
LOSS_GROUPS = {"float64": 8, "float32": 16}


def soft_group_size(dtype) -> int:
    """Pairs per soft-DTW values lane group (cdist, batches)."""
    return SOFT_GROUPS[str(np.dtype(dtype))]


def loss_group_size(dtype) -> int:
    """Widest lane group of the soft-DTW losses (fewer lanes when the batch is
    small next to the threads)."""
    return LOSS_GROUPS[str(np.dtype(dtype))]


def use_lanes(n_pairs: int, dtype) -> bool:
    """Whether a run of ``n_pairs`` pairs goes through the exact-DTW lane kernel.

    From a quarter of a group on: the kernel pads its last group (a group costs
    about G / 7 scalar pairs, the lanes measuring 7-8x the scalar kernel's
    cells per second), and a call that takes it compiles no scalar kernel.
    """
    return ENABLED and n_pairs >= max(2, group_size(dtype) // 4)


# Soft-DTW values of fewer cells than this take the per-pair kernel (tests set 0).
SOFT_MIN_CELLS = SMALL_WORK


def use_soft_lanes(n_pairs: int, dtype, cells: int) -> bool:
    """Whether soft-DTW values of ``n_pairs`` pairs (``cells`` cells in all) go
    through the lane kernel.

    Its groups walk anti-diagonals and take any size, so it pays from two
    pairs on, and for one float32 pair (the per-pair kernel stays for one
    float64 pair, where it measured faster: benchmarks/README.md).  Calls
    small enough to run serially (``_jit.SMALL_WORK`` cells, well under a
    millisecond either way) take the per-pair kernel: a first call on tiny
    inputs then compiles one kernel, not both.
    """
    if not ENABLED or cells < SOFT_MIN_CELLS:
        return False
    return n_pairs >= 2 or np.dtype(dtype) == np.float32


def split(n_pairs: int, dtype) -> tuple[int, int]:
    """(lane groups, pairs they cover): all of them, the last group padded."""
    g = group_size(dtype)
    return (n_pairs + g - 1) // g, n_pairs


def length_order(lengths) -> np.ndarray | None:
    """A stable permutation sorting series by length, or ``None`` if all are equal.

    Sorted datasets give lane groups whose pairs share their lengths (the
    kernels then need no per-lane masks) wherever the lengths allow it.
    """
    lengths = np.asarray(lengths)
    if lengths.shape[0] == 0 or lengths.min() == lengths.max():
        return None
    order = np.argsort(lengths, kind="stable")
    if np.all(order == np.arange(order.shape[0])):
        return None
    return order


def batch_order(lx, ly, dtype, use=use_lanes):
    """Permutation sorting a batch of pairs by (lx, ly), or ``None`` (lengths all
    equal, or ``use(n_pairs, dtype)`` says no lane kernel runs)."""
    if not use(len(lx), dtype):
        return None
    if length_order(lx) is None and length_order(ly) is None:
        return None
    return np.lexsort((ly, lx))


def cdist_orders(lx, ly, symmetric: bool):
    """Permutations sorting the two datasets of a cdist by length (``None`` where
    one is not needed; the same one twice when ``symmetric``)."""
    if not ENABLED:
        return None, None
    ox = length_order(lx)
    return ox, (ox if symmetric else length_order(ly))


def unsort_vector(out, order):
    """Values of sorted pairs back in the caller's order."""
    if order is None:
        return out
    back = np.empty_like(out)
    back[order] = out
    return back


def unsort_matrix(R, ox, oy):
    """A cdist of sorted datasets back in the caller's order."""
    if ox is None and oy is None:
        return R
    rows = np.arange(R.shape[0]) if ox is None else ox
    cols = np.arange(R.shape[1]) if oy is None else oy
    back = np.empty_like(R)
    back[np.ix_(rows, cols)] = R
    return back


class scalar_only:
    """Context manager: run the scalar kernels only (tests compare both)."""

    def __enter__(self):
        global ENABLED
        self._saved = ENABLED
        ENABLED = False
        return self

    def __exit__(self, *exc):
        global ENABLED
        ENABLED = self._saved
        return False
