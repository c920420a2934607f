"""One small launch of every SSNT CUDA launcher (for compute-sanitizer); see _driver.py."""

from __future__ import annotations

import numpy as np
from _driver import main


def body(drv, dtype):
    rng = np.random.default_rng(3)
    S, V = 100, 5
    tgt_len = np.array([3, 1, 50, 4], dtype=np.int64)
    src_len = np.array([7, 1, 100, 4], dtype=np.int64)
    row_off = np.concatenate([[0], np.cumsum(tgt_len)[:-1]]).astype(np.int64)
    R = int(tgt_len.sum())
    logits = rng.normal(size=(R, S, V))
    log_probs = np.ascontiguousarray(
        logits - np.log(np.exp(logits).sum(-1, keepdims=True)), dtype=dtype
    )
    targets = rng.integers(0, V, size=R).astype(np.int64)
    z = rng.normal(size=(R, S))
    lp = drv.dev(log_probs)
    for mode in (0, 1):
        emit = drv.dev(np.ascontiguousarray(z if mode == 1 else -np.log1p(np.exp(-z)), dtype=dtype))
        args = (lp, targets, emit, src_len, tgt_len, row_off, mode)
        total, alpha, flags = drv.call("ssnt_forward", *args)
        drv.finite("ssnt_forward total", drv.host(total))
        glp = drv.dev(np.zeros_like(log_probs))
        gem = drv.dev(np.zeros(emit.shape, dtype=dtype))
        g_out = drv.dev(rng.normal(size=4).astype(dtype))
        drv.call("ssnt_backward", *args, alpha, total, g_out, glp, gem)
        drv.finite("ssnt_backward grad log_probs", drv.host(glp))
        drv.finite("ssnt_backward grad emit", drv.host(gem))


if __name__ == "__main__":
    raise SystemExit(main("ssnt", body))
