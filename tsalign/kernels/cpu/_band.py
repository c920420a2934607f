"""Global constraints as per-row column ranges, shared by every DP family.

A band is ``(kind, radius, slope)``: kind ``BAND_NONE``, ``BAND_ITAKURA``
(Itakura parallelogram, ``slope`` = max slope) or ``BAND_SAKOE_CHIBA``
(``radius``), codes of ``kernels/_contract.py``.  For a pair of lengths
``(n, m)`` row ``i`` may use columns ``lo[i] <= j < hi[i]``.  The bounds follow
tslearn's masks exactly (including the band widening ``|n - m| + radius`` for
unequal lengths and the 2-decimal rounding of the Itakura bounds) and are
non-decreasing in ``i``, which the rolling-row kernels rely on.
"""

from __future__ import annotations

import numpy as np

from .._contract import BAND_ITAKURA, BAND_SAKOE_CHIBA
from ._jit import njit


@njit
def _round2(x):
    return np.rint(x * 100.0) / 100.0


@njit
def _itakura_edges(j, n, m, s_a, s_b):
    """The two rounded lines bounding column ``j``: slope s_a from (0, 0), s_b into (n-1, m-1)."""
    return _round2(s_a * j), _round2((n - 1) - s_b * (m - 1) + s_b * j)


@njit
def itakura_col_lo(j, n, m, slope):
    """First row allowed in column ``j`` (Itakura)."""
    ratio = n / m
    a, b = _itakura_edges(j, n, m, ratio / slope, slope * ratio)
    return int(np.ceil(max(a, b)))


@njit
def itakura_col_hi(j, n, m, slope):
    """One past the last row allowed in column ``j`` (Itakura), capped at n."""
    ratio = n / m
    a, b = _itakura_edges(j, n, m, slope * ratio, ratio / slope)
    return min(int(np.floor(min(a, b) + 1.0)), n)


@njit
def band_ranges(n, m, kind, radius, slope, lo, hi):
    """Fill ``lo[:n]``, ``hi[:n]`` with the allowed columns of each row."""
    if kind == BAND_SAKOE_CHIBA:
        if n <= m:
            width = m - n + radius
            for i in range(n):
                lo[i] = max(0, i - radius)
                hi[i] = min(m, i + width + 1)
        else:
            width = n - m + radius
            for i in range(n):
                lo[i] = max(0, i - width)
                hi[i] = min(m, i + radius + 1)
    elif kind == BAND_ITAKURA:
        # Column j allows rows [col_lo(j), col_hi(j)); both bounds are
        # non-decreasing in j, so row i allows the columns between the first j
        # with col_hi(j) > i and the last j with col_lo(j) <= i.
        first = np.int64(0)  # not a literal: one compile of the helpers (_jit.njit_inline)
        stop = np.int64(0)
        for i in range(n):
            while first < m and itakura_col_hi(first, n, m, slope) <= i:
                first += 1
            while stop < m and itakura_col_lo(stop, n, m, slope) <= i:
                stop += 1
            lo[i] = first
            hi[i] = max(first, stop)
    else:
        for i in range(n):
            lo[i] = 0
            hi[i] = m


@njit
def pair_band(N, n, m, kind, radius, slope):
    """(lo, hi) int64 arrays of N slots holding the band of an n x m pair."""
    lo = np.empty(N, dtype=np.int64)
    hi = np.empty(N, dtype=np.int64)
    band_ranges(n, m, kind, radius, slope, lo, hi)
    return lo, hi


def band_mask(n: int, m: int, band) -> np.ndarray:
    """Boolean (n, m) mask of the cells a band allows."""
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    kind, radius, slope = band
    band_ranges(n, m, int(kind), int(radius), float(slope), lo, hi)
    j = np.arange(m)
    return (j[None, :] >= lo[:, None]) & (j[None, :] < hi[:, None])
