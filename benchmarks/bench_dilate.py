"""DILATE forward+backward against soft-DTW forward+backward, interleaved.

Shapes from issue 4: (B=100, N=20) and (B=32, N=256), univariate, float32,
gamma=0.01, alpha=0.5.  The soft-DTW peer is ``tsalign.nn.SoftDTWLoss`` when
it exists, else tslearn's ``SoftDTWLossPyTorch`` (said in the output).  Also
shown: tsalign's DILATE with alpha=1 (soft-DTW value and expected alignment,
no Hessian-vector product), to show what the temporal term costs.

Each timed call is one forward and one backward of the batch-mean loss on
fresh inputs that require grad; the peers run in turn inside each repetition,
medians are reported.  GPU rows run only where torch sees a CUDA device.

Usage: python benchmarks/bench_dilate.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
import torch

import tsalign

SHAPES = [(100, 20), (32, 256)]
GAMMA = 0.01
ALPHA = 0.5


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def soft_dtw_peer():
    try:
        from tsalign.nn import SoftDTWLoss

        crit = SoftDTWLoss(gamma=GAMMA)
        return "tsalign.nn.SoftDTWLoss", lambda p, t: crit(p, t)
    except ImportError:
        from tslearn.metrics import SoftDTWLossPyTorch

        crit = SoftDTWLossPyTorch(gamma=GAMMA)
        return "tslearn SoftDTWLossPyTorch (tsalign.nn.SoftDTWLoss not importable)", \
            lambda p, t: crit(p, t).mean()


def make_runs(peer):
    def dilate_run(p, t):
        return tsalign.dilate(p, t, alpha=ALPHA, gamma=GAMMA)[0]

    def shape_only(p, t):
        return tsalign.dilate(p, t, alpha=1.0, gamma=GAMMA)[0]

    return {"tsalign.dilate (alpha=0.5)": dilate_run,
            "tsalign.dilate (alpha=1, no HVP)": shape_only,
            peer[0]: peer[1]}


def time_once(fn, p0, t0, sync):
    p = p0.clone().requires_grad_(True)
    sync()
    start = time.perf_counter()
    loss = fn(p, t0)
    loss.backward()
    sync()
    return time.perf_counter() - start


def bench(device: str, repeats: int) -> None:
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    peer = soft_dtw_peer()
    runs = make_runs(peer)
    rng = np.random.default_rng(0)
    for B, N in SHAPES:
        p0 = torch.tensor(rng.normal(size=(B, N, 1)), dtype=torch.float32, device=device)
        t0 = torch.tensor(rng.normal(size=(B, N, 1)), dtype=torch.float32, device=device)
        for fn in runs.values():  # warm-up: numba / CUDA compilation
            time_once(fn, p0, t0, sync)
        times = {name: [] for name in runs}
        for _ in range(repeats):
            for name, fn in runs.items():
                times[name].append(time_once(fn, p0, t0, sync))
        med = {name: statistics.median(v) for name, v in times.items()}
        ref = med[peer[0]]
        print(f"\n[{device}] B={B}, N={N}, d=1, float32, gamma={GAMMA}: median of {repeats}")
        for name, m in med.items():
            print(f"  {name:<70s} {1e3 * m:9.2f} ms   {m / ref:5.2f}x soft-DTW peer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    import numba

    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores visible, numba threads "
          f"{numba.get_num_threads()}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    bench("cpu", args.repeats)
    if torch.cuda.is_available():
        print(f"\nGPU: {torch.cuda.get_device_name()}")
        bench("cuda", args.repeats)
    else:
        print("\n[cuda] not measured: no device")


if __name__ == "__main__":
    main()
