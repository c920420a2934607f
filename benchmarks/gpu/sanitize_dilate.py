"""One small launch of every DILATE CUDA launcher (for compute-sanitizer); see _driver.py."""

from __future__ import annotations

import numpy as np
from _driver import main


def body(drv, dtype):
    rng = np.random.default_rng(2)
    lx = np.array([6, 3, 100, 1], dtype=np.int64)
    ly = np.array([6, 5, 97, 4], dtype=np.int64)
    D = np.ascontiguousarray(rng.random(size=(4, 100, 100)) * 2, dtype=dtype)
    Dd = drv.dev(D)
    for gamma in (0.0, 0.01, 1.0):
        out = drv.call("dilate_forward", Dd, lx, ly, gamma)
        W, E = out[3], out[2]
        for k, part in enumerate(out[:2]):
            drv.finite(f"dilate_forward output {k}", drv.host(part))
        gs = drv.dev(rng.normal(size=4).astype(dtype))
        gt = drv.dev(rng.normal(size=4).astype(dtype))
        G = drv.host(drv.call("dilate_backward", W, E, gs, gt, lx, ly, gamma))
        drv.finite("dilate_backward", G)


if __name__ == "__main__":
    raise SystemExit(main("dilate", body))
