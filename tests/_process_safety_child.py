"""Run by tests/test_process_safety.py in a fresh interpreter: ``fork`` or ``threads``.

Prints one JSON line; a crash, an abort or a hang is the failure the test looks for.
"""

from __future__ import annotations

import json
import sys
import threading

import numpy as np

import tsalign
from tsalign.kernels.cpu import _jit

rng = np.random.default_rng(0)
DS = rng.normal(size=(12, 30, 1))


def work(k: int):
    ds = DS + 0.01 * k
    return (
        tsalign.cdist_dtw(ds),
        tsalign.cdist_soft_dtw(ds, gamma=0.5),
        np.asarray(tsalign.soft_dtw(ds, ds[::-1], gamma=0.5)),
    )


def fork_case() -> dict:
    import torch
    from torch.utils.data import DataLoader, Dataset

    parent = work(0)  # the parent runs parallel kernels before forking

    class D(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, k):
            return torch.from_numpy(work(k)[0])

    loader = DataLoader(D(), batch_size=1, num_workers=2, multiprocessing_context="fork")
    got = [b[0].numpy() for b in loader]
    ok = all(np.allclose(g, work(k)[0]) for k, g in enumerate(got))
    return {"ok": bool(ok), "n": len(got), "parent": float(parent[0].sum())}


def threads_case() -> dict:
    serial = [work(k) for k in range(8)]
    results: list = [None] * 8
    errors: list = []
    barrier = threading.Barrier(8)

    def run(k):
        try:
            barrier.wait()
            for _ in range(3):
                results[k] = work(k)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    ts = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    same = all(
        all(np.array_equal(a, b) for a, b in zip(results[k], serial[k], strict=True))
        for k in range(8)
    )
    return {"ok": bool(same and not errors), "errors": errors}


if __name__ == "__main__":
    # every call on the thread pool: the case that used to break.  Set here, not at
    # import, because pytest's --doctest-modules imports this file into the test process.
    _jit.SMALL_WORK = 0
    case = fork_case() if sys.argv[1] == "fork" else threads_case()
    import numba

    case["layer"] = numba.threading_layer()
    print(json.dumps(case))
