"""One small launch of every soft-DTW CUDA launcher (for compute-sanitizer); see _driver.py."""

from __future__ import annotations

import numpy as np
from _driver import batch, main

from tsalign.kernels._contract import BAND_ITAKURA, BAND_NONE, BAND_SAKOE_CHIBA

BANDS = [(BAND_NONE, 0, 2.0), (BAND_SAKOE_CHIBA, 7, 2.0), (BAND_ITAKURA, 0, 2.0)]


def body(drv, dtype):
    rng = np.random.default_rng(1)
    lx = np.array([1, 37, 100, 64, 90], dtype=np.int64)
    ly = np.array([5, 40, 97, 64, 1], dtype=np.int64)
    X, Y = batch(rng, lx, 100, 2, dtype), batch(rng, ly, 100, 2, dtype)
    Xd, Yd = drv.dev(X), drv.dev(Y)
    for band in BANDS:
        drv.host(drv.call("soft_dtw_values", Xd, Yd, lx, ly, band, 0.1))
    drv.finite(
        "soft_dtw_values", drv.host(drv.call("soft_dtw_values", Xd, Yd, lx, ly, BANDS[0], 1.0))
    )
    for sym in (True, False):
        D = drv.call(
            "soft_dtw_cdist", Xd, Xd if sym else Yd, lx, lx if sym else ly, BANDS[0], 1.0, sym
        )
        drv.finite("soft_dtw_cdist", drv.host(D))
    C = ((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1).astype(dtype)
    Cd = drv.dev(np.ascontiguousarray(C))
    for band in BANDS[:2]:
        values, W = drv.call("soft_dtw_forward", Cd, lx, ly, band, 1.0)
        E = drv.host(drv.call("soft_dtw_backward", W, lx, ly, band))
        if band == BANDS[0]:  # a band may leave short/long pairs without a path (inf)
            drv.finite("soft_dtw_forward values", drv.host(values))
            drv.finite("soft_dtw_backward", E)
    drv.call("soft_dtw_forward", Cd, lx, ly, BANDS[0], 1.0, need_weights=False)
    saved = drv.scratch_path()
    try:
        drv.finite(
            "soft_dtw_values (scratch)",
            drv.host(drv.call("soft_dtw_values", Xd, Yd, lx, ly, BANDS[0], 1.0)),
        )
        values, W = drv.call("soft_dtw_forward", Cd, lx, ly, BANDS[0], 1.0)
        drv.finite("soft_dtw_forward (scratch)", drv.host(values))
    finally:
        drv.restore(saved)


if __name__ == "__main__":
    raise SystemExit(main("soft_dtw", body))
