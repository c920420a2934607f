"""Soft-DTW benchmarks: tsalign against tslearn (CPU) and pysdtw (GPU).

Every comparison runs the peers in this one process, interleaved (A, B, A, B,
...) after a warm-up call each (numba compilation excluded), and reports the
median time of each and the ratio tsalign / peer (< 1: tsalign is faster).

CPU rows (issue 3 targets):
  - ``soft_dtw`` on one pair of univariate series of length 1000, against
    ``tslearn.metrics.soft_dtw`` (target ratio <= 0.5); also a batch of 32
    such pairs in one call against a loop of tslearn calls;
  - ``SoftDTWLoss`` forward + backward at B=32, N=M=200, d=1 (float32),
    against ``tslearn.metrics.SoftDTWLossPyTorch`` (target ratio <= 0.2).
GPU rows (only with a CUDA device; otherwise "not measured: no device"):
  - ``SoftDTWLoss`` forward + backward at B=256, N=M=512, d=64 against
    ``pysdtw.SoftDTW`` (target: >= 10x faster);
  - cells/s of forward + backward for N = M from 128 to 16384, against the
    bound set by HBM traffic (bytes each cell must move, see below).

Run: ``python benchmarks/bench_soft_dtw.py [--repeats 15] [--quick]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# torch and numba each run an OpenMP pool; with the default (active) wait
# policy the idle pool spins and steals the cores from the other, which made
# every figure 2-4x slower and noisier on a small shared machine.  Passive
# waiting is set for both peers alike (export OMP_WAIT_POLICY to override).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import torch

    lines = [
        f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"cpu: {cpu}, {os.cpu_count()} cores visible, numba threads {numba.get_num_threads()}",
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}",
    ]
    try:
        import tslearn

        lines.append(f"tslearn {tslearn.__version__}")
    except ImportError:
        lines.append("tslearn: not installed")
    if _gpu_ok():
        lines.append(f"gpu: {torch.cuda.get_device_name()}")
    else:
        lines.append("gpu: none")
    return "\n".join(lines)


def _gpu_ok() -> bool:
    try:
        import torch

        if not torch.cuda.is_available():
            return False
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def interleaved(fns: dict, repeats: int, sync=None) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved."""
    for fn in fns.values():  # warm-up: compilation, caches
        fn()
        if sync:
            sync()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            if sync:
                sync()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def row(label: str, med: dict[str, float], ours: str, peer: str, target: str) -> str:
    ratio = med[ours] / med[peer]
    return (
        f"| {label} | {med[ours] * 1e3:.2f} ms | {med[peer] * 1e3:.2f} ms | {ratio:.3f} "
        f"| {target} |"
    )


def cpu_rows(repeats: int) -> list[str]:
    import torch
    from tslearn.metrics import SoftDTWLossPyTorch
    from tslearn.metrics import soft_dtw as ts_soft_dtw

    from tsalign import soft_dtw
    from tsalign.nn import SoftDTWLoss

    rng = np.random.default_rng(0)
    out = ["| case | tsalign | peer | ratio | target |", "|---|---|---|---|---|"]

    x = rng.normal(size=1000)
    y = rng.normal(size=1000)
    med = interleaved(
        {
            "tsalign": lambda: soft_dtw(x, y, gamma=1.0),
            "tslearn": lambda: ts_soft_dtw(x, y, gamma=1.0),
        },
        repeats,
    )
    out.append(
        row(
            "soft_dtw, 1 pair, N=M=1000, d=1, float64 (vs tslearn)",
            med,
            "tsalign",
            "tslearn",
            "<= 0.5",
        )
    )

    X = rng.normal(size=(32, 1000, 1))
    Y = rng.normal(size=(32, 1000, 1))
    med = interleaved(
        {
            "tsalign": lambda: soft_dtw(X, Y, gamma=1.0),
            "tslearn": lambda: [ts_soft_dtw(X[b], Y[b], gamma=1.0) for b in range(32)],
        },
        max(3, repeats // 3),
    )
    out.append(
        row(
            "soft_dtw, batch of 32 pairs N=M=1000 in one call (vs tslearn loop)",
            med,
            "tsalign",
            "tslearn",
            "-",
        )
    )

    B, N, d = 32, 200, 1
    xt = torch.randn(B, N, d, requires_grad=True)
    yt = torch.randn(B, N, d)
    ours = SoftDTWLoss(gamma=1.0)
    theirs = SoftDTWLossPyTorch(gamma=1.0)

    def step(loss):
        def run():
            xt.grad = None
            loss(xt, yt).mean().backward()

        return run

    med = interleaved({"tsalign": step(ours), "tslearn": step(theirs)}, repeats)
    out.append(
        row(
            "SoftDTWLoss fwd+bwd, B=32, N=M=200, d=1, float32 (vs SoftDTWLossPyTorch)",
            med,
            "tsalign",
            "tslearn",
            "<= 0.2",
        )
    )
    return out


def hbm_bytes_per_cell(itemsize: int) -> int:
    """Bytes each cell moves through HBM at least, forward + backward.

    forward: read C, write the two weights (3 s); backward: read the weights,
    write E (3 s), then the cost gradient g * E: read E, write dC (2 s).
    """
    return 8 * itemsize


def gpu_rows(repeats: int, quick: bool) -> list[str]:
    if not _gpu_ok():
        return [
            "GPU, fwd+bwd B=256, N=M=512, d=64 vs pysdtw: not measured: no device",
            "GPU, cells/s for N=M=128..16384 vs HBM bound: not measured: no device",
        ]
    import cupy
    import torch

    from tsalign.nn import SoftDTWLoss

    name = torch.cuda.get_device_name()
    sync = torch.cuda.synchronize
    out = [f"GPU: {name}", "| case | tsalign | peer | ratio | target |", "|---|---|---|---|---|"]
    B, N, d = 256, 512, 64
    x = torch.randn(B, N, d, device="cuda", requires_grad=True)
    y = torch.randn(B, N, d, device="cuda")
    ours = SoftDTWLoss(gamma=1.0)

    def step(loss):
        def run():
            x.grad = None
            loss(x, y).mean().backward()

        return run

    fns = {"tsalign": step(ours)}
    try:
        import pysdtw

        fns["pysdtw"] = step(pysdtw.SoftDTW(gamma=1.0, use_cuda=True))
    except Exception as exc:  # pysdtw missing or refusing the size
        out.append(f"pysdtw unavailable: {exc!r}")
    med = interleaved(fns, repeats, sync=sync)
    if "pysdtw" in med:
        out.append(
            row(
                f"SoftDTWLoss fwd+bwd B={B}, N=M={N}, d={d}, float32 (vs pysdtw)",
                med,
                "tsalign",
                "pysdtw",
                ">= 10x faster (ratio <= 0.1)",
            )
        )
    else:
        out.append(
            f"| tsalign fwd+bwd B={B}, N=M={N}, d={d} | {med['tsalign'] * 1e3:.2f} ms | - | - | - |"
        )

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    bw = 2 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8  # bytes/s
    bpc = hbm_bytes_per_cell(4)
    out += [
        "",
        f"HBM bandwidth from the device properties: {bw / 1e12:.2f} TB/s; bound = "
        f"{bw / bpc / 1e9:.1f} Gcells/s at {bpc} B/cell (float32, fwd+bwd)",
        "| N=M | B | fwd+bwd time | Gcells/s | fraction of HBM bound |",
        "|---|---|---|---|---|",
    ]
    sizes = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
    if quick:
        sizes = sizes[:4]
    for n in sizes:
        b = max(1, min(1024, (1 << 28) // (n * n)))
        C = torch.rand(b, n, n, device="cuda", requires_grad=True)
        from tsalign import soft_dtw_from_cost

        def run(C=C):
            C.grad = None
            soft_dtw_from_cost(C, gamma=1.0).sum().backward()

        t = interleaved({"t": run}, max(3, repeats // 3), sync=sync)["t"]
        cells = b * n * n
        rate = cells / t
        out.append(f"| {n} | {b} | {t * 1e3:.2f} ms | {rate / 1e9:.2f} | {rate * bpc / bw:.3f} |")
        del C
        torch.cuda.empty_cache()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="fewer GPU sizes")
    args = ap.parse_args()
    print(machine())
    print()
    print("\n".join(cpu_rows(args.repeats)))
    print()
    print("\n".join(gpu_rows(args.repeats, args.quick)))


if __name__ == "__main__":
    main()
