"""The sliding min / max behind the reference envelopes (kNN) and the subsequence
search, against a slice per position, at every radius (0 to past the series, where
every window is clipped at an end: the no-band envelope) and every start / count."""

from __future__ import annotations

import numpy as np
import pytest

from tsalign.kernels.cpu.neighbors import _sliding_minmax


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("length", [1, 2, 5, 16, 23])
def test_sliding_minmax_equals_the_slices(dtype, length):
    rng = np.random.default_rng(length)
    v = rng.normal(size=length).astype(dtype)
    v[length // 2] = v[0]  # ties
    work = np.empty((4, 3 * (length + 1)), dtype=dtype)
    for r in range(length + 3):
        for start in range(length):
            for count in range(1, length - start + 1):
                lo = np.full(count, np.nan, dtype=dtype)
                hi = np.full(count, np.nan, dtype=dtype)
                _sliding_minmax(v, start, count, r, lo, hi, work)
                for t in range(count):
                    p = start + t
                    window = v[max(0, p - r) : min(length - 1, p + r) + 1]
                    assert lo[t] == window.min() and hi[t] == window.max(), (r, start, t)
