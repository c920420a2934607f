"""One small launch of every exact-DTW CUDA launcher (for compute-sanitizer); see _driver.py."""

from __future__ import annotations

import numpy as np
from _driver import batch, main

from tsalign.kernels._contract import BAND_ITAKURA, BAND_NONE, BAND_SAKOE_CHIBA

BANDS = [(BAND_NONE, 0, 2.0), (BAND_SAKOE_CHIBA, 7, 2.0), (BAND_ITAKURA, 0, 2.0)]


def body(drv, dtype):
    rng = np.random.default_rng(0)
    lx = np.array([1, 37, 100, 64, 90], dtype=np.int64)
    ly = np.array([5, 40, 97, 64, 1], dtype=np.int64)
    X, Y = batch(rng, lx, 100, 2, dtype), batch(rng, ly, 100, 2, dtype)
    Xd, Yd = drv.dev(X), drv.dev(Y)
    for band in BANDS:
        drv.host(drv.call("dtw_values", Xd, Yd, lx, ly, band))
    drv.finite("dtw_values", drv.host(drv.call("dtw_values", Xd, Yd, lx, ly, BANDS[0])))
    for sym in (True, False):
        D = drv.host(
            drv.call("dtw_cdist", Xd, Xd if sym else Yd, lx, lx if sym else ly, BANDS[0], sym)
        )
        drv.finite("dtw_cdist", D)
    C = ((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1).astype(dtype)
    Cd = drv.dev(np.ascontiguousarray(C))
    R = drv.call("dtw_acc", Cd, lx, ly, BANDS[0])
    P, L = drv.host(drv.call("dtw_paths", R, lx, ly))
    if not (np.asarray(L) >= np.maximum(lx, ly)).all():
        raise AssertionError("dtw_paths: a path shorter than max(n, m)")
    R = drv.call("dtw_acc", Cd, lx, ly, BANDS[0], subsequence=True)
    drv.host(drv.call("dtw_paths", R, lx, ly, subsequence=True))
    saved = drv.scratch_path()  # the rolling diagonals in global memory, pairs in slices
    try:
        drv.finite(
            "dtw_values (scratch)", drv.host(drv.call("dtw_values", Xd, Yd, lx, ly, BANDS[0]))
        )
    finally:
        drv.restore(saved)


if __name__ == "__main__":
    raise SystemExit(main("dtw", body))
