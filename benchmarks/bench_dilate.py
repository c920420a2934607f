"""DILATE forward+backward against soft-DTW forward+backward, interleaved.

Shapes from issue 4: (B=100, N=20) and (B=32, N=256), univariate, float32,
gamma=0.01, alpha=0.5.  The soft-DTW peer is ``tsalign.nn.SoftDTWLoss`` when
it exists, else tslearn's ``SoftDTWLossPyTorch`` (said in the output).  Also
shown: tsalign's DILATE with alpha=1 (soft-DTW value and expected alignment,
no Hessian-vector product), to show what the temporal term costs, and on the
CPU the cost-matrix path (torch cost matrix, per-pair kernels) that CPU
tensors took before the fused lane-group kernels.

Each timed call is one forward and one backward of the batch-mean loss on
fresh inputs that require grad; the peers run in turn inside each repetition,
medians are reported.  GPU rows run only where torch sees a CUDA device.

Usage: python benchmarks/bench_dilate.py [--repeats 15] [--threads N] [--float64]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

import numpy as np
import torch
from _harness import cpu_model

import tsalign

SHAPES = [(100, 20), (32, 256)]
GAMMA = 0.01
ALPHA = 0.5


def soft_dtw_peer():
    try:
        from tsalign.nn import SoftDTWLoss

        crit = SoftDTWLoss(gamma=GAMMA)

        def loss(p, t):
            v = crit(p, t)
            return v.mean() if v.ndim else v  # per-pair values or already the mean

        return "tsalign.nn.SoftDTWLoss", loss
    except ImportError:
        from tslearn.metrics import SoftDTWLossPyTorch

        crit = SoftDTWLossPyTorch(gamma=GAMMA)
        return (
            "tslearn SoftDTWLossPyTorch (tsalign.nn.SoftDTWLoss not importable)",
            lambda p, t: crit(p, t).mean(),
        )


def make_runs(peer):
    def dilate_run(p, t):
        return tsalign.dilate(p, t, alpha=ALPHA, gamma=GAMMA)[0]

    def shape_only(p, t):
        return tsalign.dilate(p, t, alpha=1.0, gamma=GAMMA)[0]

    def cost_matrix(p, t):
        # the path every CPU call took before the fused lane kernels: a torch
        # cost matrix, the per-pair kernels, autograd through the costs
        from tsalign._torch import dilate as tdil

        saved = tdil.fused
        tdil.fused = lambda *a: False
        try:
            return tsalign.dilate(p, t, alpha=ALPHA, gamma=GAMMA)[0]
        finally:
            tdil.fused = saved

    runs = {
        "tsalign.dilate (alpha=0.5)": dilate_run,
        "tsalign.dilate (alpha=1, no HVP)": shape_only,
        peer[0]: peer[1],
    }
    try:
        from tsalign._torch import dilate as _tdil

        if hasattr(_tdil, "fused"):
            runs["tsalign.dilate (alpha=0.5), cost-matrix path"] = cost_matrix
    except ImportError:
        pass
    return runs


def time_once(fn, p0, t0, sync):
    """(wall seconds, process CPU seconds) of one forward + backward."""
    p = p0.clone().requires_grad_(True)
    sync()
    start, cpu = time.perf_counter(), time.process_time()
    loss = fn(p, t0)
    loss.backward()
    sync()
    return time.perf_counter() - start, time.process_time() - cpu


def bench(device: str, repeats: int, dtype=torch.float32) -> None:
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    peer = soft_dtw_peer()
    runs = make_runs(peer)
    rng = np.random.default_rng(0)
    for B, N in SHAPES:
        p0 = torch.tensor(rng.normal(size=(B, N, 1)), dtype=dtype, device=device)
        t0 = torch.tensor(rng.normal(size=(B, N, 1)), dtype=dtype, device=device)
        for fn in runs.values():  # warm-up: numba / CUDA compilation
            time_once(fn, p0, t0, sync)
        times = {name: [] for name in runs}
        for _ in range(repeats):
            for name, fn in runs.items():
                times[name].append(time_once(fn, p0, t0, sync))
        wall = {name: statistics.median(t[0] for t in v) for name, v in times.items()}
        cpu = {name: statistics.median(t[1] for t in v) for name, v in times.items()}
        print(
            f"\n[{device}] B={B}, N={N}, d=1, {str(dtype)[6:]}, gamma={GAMMA}: "
            f"medians of {repeats} "
            "(wall clock; process CPU time, all threads, which is steadier on shared cores)"
        )
        rw, rc = wall[peer[0]], cpu[peer[0]]
        for name in runs:
            print(
                f"  {name:<68s} wall {1e3 * wall[name]:8.2f} ms {wall[name] / rw:5.2f}x"
                f" | cpu {1e3 * cpu[name]:8.2f} ms {cpu[name] / rc:5.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--float64", action="store_true", help="the CPU rows in float64 too")
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads for numba and torch (default: all)"
    )
    args = parser.parse_args()
    import numba

    if args.threads is not None:
        numba.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)

    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(
        f"CPU: {cpu_model()}, {os.cpu_count()} cores visible, numba threads "
        f"{numba.get_num_threads()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads)"
    )
    bench("cpu", args.repeats)
    if args.float64:
        bench("cpu", args.repeats, torch.float64)
    if torch.cuda.is_available():
        print(f"\nGPU: {torch.cuda.get_device_name()}")
        bench("cuda", args.repeats)
    else:
        print("\n[cuda] not measured: no device")


if __name__ == "__main__":
    main()
