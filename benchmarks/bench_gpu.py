"""The GPU targets of issue 18 in one table: time, cells/s, % of the measured HBM roofline.

    python benchmarks/bench_gpu.py [--quick] [--repeats 10] [--json out.json]
                                   [--rows roofline,soft_dtw,long,dtw,dilate,ssnt]

Rows (each against the peer or bound named in the issue):

- ``roofline``: a device-to-device copy of a large buffer (``dst.copy_(src)``);
  bytes read plus bytes written over the median time is the HBM bandwidth every
  "% of roofline" figure below is taken against (measured on the card, not the
  datasheet);
- ``soft_dtw``: ``SoftDTWLoss`` forward + backward at B=256, N=M=512, d=64,
  float32, against ``pysdtw.SoftDTW`` (target: >= 10x faster, >= 30% of the
  roofline for the bytes the kernels move);
- ``long``: ``soft_dtw_from_cost`` forward + backward at B=1, N=M=16384 against
  the same at B=256, N=M=512, per cell (target: within 5x);
- ``dtw``: exact ``cdist_dtw`` of 4,096 univariate series of length 512 on the
  GPU (CuPy), against the numba CPU kernels on a subset of the pairs (cells/s;
  the CPU time of the full matrix is extrapolated from it and says so);
- ``dilate``: DILATE forward + backward against ``SoftDTWLoss`` forward + backward
  on the same (B, N) batches (target: <= 3x);
- ``ssnt``: SSNT forward + backward at B=16, T=64, S=400, V=1000 against the
  pure-PyTorch reference of ``benchmarks/ssnt_torch_reference.py``, time and peak
  memory (target: >= 10x faster with <= 1/4 of its memory).

Timing: CUDA events around each call (host work between launches included, as
the user sees it), contenders interleaved round by round after a warm-up call
each (compilation excluded), medians reported.  Every figure that was not
measured prints as "not measured" with the reason, e.g. without a CUDA device.
``--quick`` is the reduced grid that ``make gpu-check`` runs (a smaller cdist,
fewer repeats); the table says which grid it came from.

Bytes moved per cell, for the roofline column: the soft-DTW kernels as they are
store the cost matrix C and read it in the forward pass, write the two soft-min
weights W and read them back in the backward pass, write the expected alignment
E and read it again for the cost gradient: at least 8 values of s bytes per cell
(3 forward, 3 backward, 2 cost gradient), ``bytes_per_cell`` below.  A kernel
that recomputed costs and weights instead of storing them would move far less,
and this column would then have to change with it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

ROWS = ("roofline", "soft_dtw", "long", "dtw", "dilate", "ssnt")
NOT_MEASURED = "not measured"


def bytes_per_cell(itemsize: int) -> int:
    """Bytes each cell moves through HBM at least in soft-DTW forward + backward."""
    return 8 * itemsize


# --------------------------------------------------------------------------- device


def gpu_reason() -> str | None:
    """None when a CUDA device is usable by both torch and CuPy, else why not."""
    try:
        import torch
    except ImportError:
        return "no device: torch is not installed"
    if not torch.cuda.is_available():
        return "no device: torch.cuda.is_available() is False"
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no device: CuPy sees no CUDA device"
    except Exception as exc:  # cupy missing or broken
        return f"no device: CuPy unusable ({type(exc).__name__}: {exc})"
    return None


def machine() -> dict:
    """Who measured: card, driver, runtime, library versions, CPU, date."""
    from _harness import cpu_model

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores visible",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    for mod in ("numba", "torch", "cupy"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = "not installed"
    if gpu_reason() is None:
        import cupy
        import torch

        props = torch.cuda.get_device_properties(0)
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_memory_gib"] = round(props.total_memory / 2**30, 1)
        info["sm_count"] = props.multi_processor_count
        info["compute_capability"] = f"{props.major}.{props.minor}"
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
        try:
            import subprocess

            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            )
            info["driver"] = out.stdout.strip() or "unknown"
        except Exception:
            info["driver"] = "unknown (no nvidia-smi)"
    else:
        info["gpu"] = gpu_reason()
    return info


# --------------------------------------------------------------------------- timing


def event_time(ctx, fns: dict, repeats: int) -> dict[str, dict]:
    """Median seconds of each callable, CUDA events around each call, interleaved.

    One warm-up call each first; then ``repeats`` rounds, fewer (at least 3)
    when a round would not fit in the row's budget (``ctx.budget`` seconds).
    With ``--cpu-smoke`` the host clock replaces the events.
    """
    import torch

    cuda = ctx.device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    t0 = time.perf_counter()
    for fn in fns.values():
        fn()
    sync()
    warm = time.perf_counter() - t0
    rounds = max(3, min(repeats, int(ctx.budget / max(warm, 1e-6))))
    times: dict[str, list[float]] = {k: [] for k in fns}
    if cuda:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
    for _ in range(rounds):
        for name, fn in fns.items():
            if cuda:
                start.record()
                fn()
                end.record()
                end.synchronize()
                times[name].append(start.elapsed_time(end) / 1e3)
            else:
                t1 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t1)
    return {
        k: {"median_s": statistics.median(v), "times_s": v, "rounds": rounds}
        for k, v in times.items()
    }


def free_gpu() -> None:
    import gc

    import torch

    gc.collect()
    if not torch.cuda.is_available():
        return
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    try:
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
    except Exception:
        pass


def fmt_s(s) -> str:
    if not isinstance(s, (int, float)):
        return str(s)
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_rate(r) -> str:
    return f"{r / 1e9:.2f} Gcells/s" if isinstance(r, (int, float)) else str(r)


# --------------------------------------------------------------------------- rows


def row_roofline(ctx) -> list[dict]:
    import torch

    n = ctx.size((1 << 28) if ctx.quick else (1 << 29), 1 << 20)  # float32: 1 or 2 GiB
    src = torch.rand(n, device=ctx.device)
    dst = torch.empty_like(src)
    med = event_time(ctx, {"copy": lambda: dst.copy_(src)}, ctx.repeats * 2)["copy"]
    moved = 2 * n * 4
    bw = moved / med["median_s"]
    ctx.bandwidth = bw
    free_gpu()
    return [
        {
            "row": "roofline",
            "case": f"device-to-device copy, {n * 4 / 2**30:.0f} GiB (bytes read + written)",
            "tsalign": med["median_s"],
            "bandwidth_Bps": bw,
            "note": f"{bw / 1e12:.2f} TB/s: the roofline of every % below",
            "raw": med,
        }
    ]


def _roof(ctx, cells: float, seconds: float, itemsize: int):
    if not ctx.bandwidth:
        return NOT_MEASURED + " (no roofline row)"
    return 100.0 * cells * bytes_per_cell(itemsize) / seconds / ctx.bandwidth


def row_soft_dtw(ctx) -> list[dict]:
    import torch

    from tsalign.nn import SoftDTWLoss

    B, N, d = ctx.size(256, 4), ctx.size(512, 16), ctx.size(64, 3)
    g = torch.Generator(device=ctx.device).manual_seed(0)
    x = torch.randn(B, N, d, device=ctx.device, generator=g, requires_grad=True)
    y = torch.randn(B, N, d, device=ctx.device, generator=g)

    def step(loss):
        def run():
            x.grad = None
            loss(x, y).mean().backward()

        return run

    fns = {"tsalign": step(SoftDTWLoss(gamma=1.0))}
    peer_note = ""
    try:
        import pysdtw

        fns["pysdtw"] = step(pysdtw.SoftDTW(gamma=1.0, use_cuda=ctx.device == "cuda"))
    except Exception as exc:  # missing, or refusing the size
        peer_note = f"pysdtw unavailable: {type(exc).__name__}: {exc}"
    try:
        med = event_time(ctx, fns, ctx.repeats)
    except Exception as exc:
        if "pysdtw" not in fns:
            raise
        peer_note = f"pysdtw failed: {type(exc).__name__}: {exc}"
        del fns["pysdtw"]
        free_gpu()
        med = event_time(ctx, fns, ctx.repeats)
    t = med["tsalign"]["median_s"]
    cells = B * N * N
    out = {
        "row": "soft_dtw",
        "case": f"SoftDTWLoss fwd+bwd B={B}, N=M={N}, d={d}, float32, gamma=1",
        "tsalign": t,
        "cells_per_s": cells / t,
        "roofline_pct": _roof(ctx, cells, t, 4),
        "target": ">= 10x faster than pysdtw; >= 30% of roofline",
        "raw": med,
    }
    if "pysdtw" in med:
        tp = med["pysdtw"]["median_s"]
        out.update(peer="pysdtw.SoftDTW", peer_time=tp, ratio=t / tp)
    else:
        out.update(peer="pysdtw.SoftDTW", peer_time=NOT_MEASURED, note=peer_note)
    free_gpu()
    return [out]


def row_long(ctx) -> list[dict]:
    import torch

    from tsalign import soft_dtw_from_cost

    rows = []
    per_cell = {}
    big, long = (ctx.size(256, 4), ctx.size(512, 16)), (1, ctx.size(16384, 64))
    for B, N in (big, long):
        g = torch.Generator(device=ctx.device).manual_seed(1)
        C = torch.rand(B, N, N, device=ctx.device, generator=g, requires_grad=True)

        def run(C=C):
            C.grad = None
            soft_dtw_from_cost(C, gamma=1.0).sum().backward()

        med = event_time(ctx, {"t": run}, ctx.repeats)["t"]
        t = med["median_s"]
        cells = B * N * N
        per_cell[B] = t / cells
        rows.append(
            {
                "row": "long",
                "case": f"soft_dtw_from_cost fwd+bwd B={B}, N=M={N}, float32",
                "tsalign": t,
                "cells_per_s": cells / t,
                "roofline_pct": _roof(ctx, cells, t, 4),
                "raw": med,
            }
        )
        del C
        free_gpu()
    ratio = per_cell[1] / per_cell[big[0]]
    rows[-1].update(
        peer=f"same per cell at B={big[0]}, N=M={big[1]}",
        ratio=ratio,
        target="time per cell within 5x of the large batch (ratio <= 5)",
    )
    return rows


def row_dtw(ctx) -> list[dict]:
    from tsalign import cdist_dtw

    n, L = ctx.size(1024 if ctx.quick else 4096, 12), ctx.size(512, 16)
    n_cpu = ctx.size(128 if ctx.quick else 256, 6)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, L, 1)).astype(np.float32)
    if ctx.device == "cuda":
        import cupy

        Xd = cupy.asarray(X)
    else:
        Xd = X.copy()
    pairs = n * (n - 1) // 2
    med = event_time(ctx, {"gpu": lambda: cdist_dtw(Xd)}, max(3, ctx.repeats // 3))["gpu"]
    t = med["median_s"]
    cells = pairs * L * L
    free_gpu()
    # the CPU kernels on a subset (host clock: no device work)
    Xc = X[:n_cpu]
    cdist_dtw(Xc)  # numba compilation / cache load
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        cdist_dtw(Xc)
        times.append(time.perf_counter() - t0)
    tc = statistics.median(times)
    cells_cpu = n_cpu * (n_cpu - 1) // 2 * L * L
    rate_cpu = cells_cpu / tc
    return [
        {
            "row": "dtw",
            "case": f"cdist_dtw of {n} series of length {L}, d=1, float32, GPU (CuPy)",
            "tsalign": t,
            "cells_per_s": cells / t,
            "peer": f"numba CPU kernels, {n_cpu} series ({os.cpu_count()} cores), extrapolated",
            "peer_time": pairs * L * L / rate_cpu,
            "peer_cells_per_s": rate_cpu,
            "ratio": t / (pairs * L * L / rate_cpu),
            "target": "cells/s vs the CPU kernels and published GPU DTW figures",
            "raw": {"gpu": med, "cpu_times_s": times, "cpu_cells": cells_cpu},
        }
    ]


def row_dilate(ctx) -> list[dict]:
    import torch

    import tsalign
    from tsalign.nn import SoftDTWLoss

    gamma = 0.01
    sdtw = SoftDTWLoss(gamma=gamma)
    rows = []
    shapes = ((100, 20), (32, 256), (256, 512))
    if ctx.smoke:
        shapes = ((3, 5), (2, 9))
    for B, N in shapes:
        g = torch.Generator(device=ctx.device).manual_seed(3)
        p = torch.randn(B, N, 1, device=ctx.device, generator=g, requires_grad=True)
        t_ = torch.randn(B, N, 1, device=ctx.device, generator=g)

        def dil(p=p, t_=t_):
            p.grad = None
            tsalign.dilate(p, t_, alpha=0.5, gamma=gamma)[0].backward()

        def sd(p=p, t_=t_):
            p.grad = None
            sdtw(p, t_).mean().backward()

        med = event_time(ctx, {"dilate": dil, "soft_dtw": sd}, ctx.repeats)
        td, ts = med["dilate"]["median_s"], med["soft_dtw"]["median_s"]
        rows.append(
            {
                "row": "dilate",
                "case": f"dilate fwd+bwd B={B}, N=M={N}, d=1, float32, alpha=0.5, gamma={gamma}",
                "tsalign": td,
                "cells_per_s": B * N * N / td,
                "peer": "tsalign SoftDTWLoss fwd+bwd",
                "peer_time": ts,
                "ratio": td / ts,
                "target": "<= 3x soft-DTW",
                "raw": med,
            }
        )
        del p, t_
        free_gpu()
    return rows


def _route_cupy_through_torch():
    """Make CuPy allocate from PyTorch's caching allocator (one peak counter)."""
    import cupy
    import torch

    def alloc(size):
        buf = torch.empty(max(size, 1), dtype=torch.uint8, device="cuda")
        mem = cupy.cuda.UnownedMemory(buf.data_ptr(), size, buf)
        return cupy.cuda.MemoryPointer(mem, 0)

    cupy.cuda.set_allocator(alloc)


def row_ssnt(ctx) -> list[dict]:
    import torch
    from bench_ssnt import make_inputs
    from ssnt_torch_reference import ssnt_torch_reference

    import tsalign

    B, T, S, V = ctx.size(16, 2), ctx.size(64, 3), ctx.size(400, 7), ctx.size(1000, 5)
    lp, y, lpc, src, tgt = make_inputs(B, T, S, V, torch.float32, ctx.device)
    lp.requires_grad_(True)
    lpc.requires_grad_(True)
    peers = {
        "tsalign": lambda: tsalign.ssnt(lp, y, lpc, src, tgt, reduction="mean"),
        "torch-ref": lambda: ssnt_torch_reference(lp, y, lpc, src, tgt, "mean"),
    }

    def step(fn):
        def run():
            lp.grad = None
            lpc.grad = None
            fn().backward()

        return run

    with torch.no_grad():
        a = tsalign.ssnt(lp, y, lpc, src, tgt, reduction="none")
        b = ssnt_torch_reference(lp, y, lpc, src, tgt, "none")
        agree = float((a - b).abs().max() / b.abs().max())
    med = event_time(ctx, {k: step(f) for k, f in peers.items()}, ctx.repeats)
    # peak memory of one forward + backward each, CuPy allocating through torch
    peak = {}
    if ctx.device == "cuda":
        _route_cupy_through_torch()
    for name, fn in peers.items():
        if ctx.device != "cuda":
            peak[name] = float("nan")
            continue
        lp.grad = None
        lpc.grad = None
        free_gpu()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step(fn)()
        torch.cuda.synchronize()
        peak[name] = torch.cuda.max_memory_allocated() - before
    t, tr = med["tsalign"]["median_s"], med["torch-ref"]["median_s"]
    return [
        {
            "row": "ssnt",
            "case": f"ssnt fwd+bwd B={B}, T={T}, S={S}, V={V}, float32",
            "tsalign": t,
            "peer": "pure-PyTorch reference (benchmarks/ssnt_torch_reference.py)",
            "peer_time": tr,
            "ratio": t / tr,
            "memory_MiB": peak["tsalign"] / 2**20,
            "peer_memory_MiB": peak["torch-ref"] / 2**20,
            "memory_ratio": peak["tsalign"] / max(peak["torch-ref"], 1),
            "note": f"max relative difference of the losses {agree:.1e}",
            "target": ">= 10x faster (ratio <= 0.1), <= 1/4 of its memory",
            "raw": med,
        }
    ]


ROW_FUNCS = {
    "roofline": row_roofline,
    "soft_dtw": row_soft_dtw,
    "long": row_long,
    "dtw": row_dtw,
    "dilate": row_dilate,
    "ssnt": row_ssnt,
}

NOT_MEASURED_CASES = {
    "roofline": "device-to-device copy (HBM bandwidth)",
    "soft_dtw": "SoftDTWLoss fwd+bwd B=256, N=M=512, d=64 vs pysdtw",
    "long": "soft_dtw_from_cost fwd+bwd B=1, N=M=16384 vs B=256, N=M=512 per cell",
    "dtw": "cdist_dtw 4096 series of length 512, GPU vs CPU kernels",
    "dilate": "dilate fwd+bwd vs SoftDTWLoss fwd+bwd",
    "ssnt": "ssnt fwd+bwd B=16, T=64, S=400, V=1000 vs PyTorch reference, time and memory",
}


class Context:
    """The run's settings; ``smoke`` runs every row on the CPU at tiny sizes."""

    def __init__(self, quick: bool, repeats: int, budget: float, smoke: bool = False):
        self.quick = quick
        self.repeats = repeats
        self.budget = budget
        self.smoke = smoke
        self.device = "cpu" if smoke else "cuda"
        self.bandwidth = None

    def size(self, real: int, smoke: int) -> int:
        return smoke if self.smoke else real


def table(results: list[dict]) -> str:
    header = ["row", "case", "tsalign", "cells/s", "% roofline", "peer", "ratio", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        roof = r.get("roofline_pct", "–")
        roof = f"{roof:.1f}%" if isinstance(roof, float) else roof
        peer = r.get("peer", "–")
        if "peer_time" in r:
            peer = f"{peer}: {fmt_s(r['peer_time'])}"
        ratio = r.get("ratio", "–")
        ratio = f"{ratio:.3g}" if isinstance(ratio, float) else ratio
        extra = []
        if "memory_MiB" in r and r["memory_MiB"] != r["memory_MiB"]:  # NaN: on the CPU
            extra.append("memory not measured (CPU smoke run)")
        elif "memory_MiB" in r:
            extra.append(
                f"memory {r['memory_MiB']:.0f} vs {r['peer_memory_MiB']:.0f} MiB "
                f"({r['memory_ratio']:.2f})"
            )
        if r.get("note"):
            extra.append(r["note"])
        case = r["case"] + (f" [{'; '.join(extra)}]" if extra else "")
        cells = [
            r["row"],
            case,
            fmt_s(r.get("tsalign", "–")),
            fmt_rate(r.get("cells_per_s", "–")),
            roof,
            peer,
            ratio,
            r.get("target", "–"),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the reduced grid of make gpu-check")
    ap.add_argument("--repeats", type=int, default=None, help="timed rounds per row")
    ap.add_argument("--budget", type=float, default=None, help="seconds of timing per row")
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated subset of rows")
    ap.add_argument("--json", type=Path, default=None, help="write every number here")
    ap.add_argument(
        "--cpu-smoke",
        action="store_true",
        help="check this script: every row on the CPU at tiny sizes (numbers meaningless)",
    )
    args = ap.parse_args(argv)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        ap.error(f"unknown rows {unknown}; choose from {list(ROWS)}")
    repeats = args.repeats or (5 if args.quick else 15)
    budget = args.budget or (6.0 if args.quick else 30.0)
    if args.cpu_smoke:
        repeats, budget = 3, 1.0
    ctx = Context(args.quick, repeats, budget, smoke=args.cpu_smoke)
    info = machine()
    grid = "quick (reduced) grid" if args.quick else "full grid"
    if args.cpu_smoke:
        grid = "CPU SMOKE RUN at tiny sizes: checks the script, the numbers mean nothing"
    print(f"bench_gpu.py, {grid}: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    reason = None if args.cpu_smoke else gpu_reason()
    results = []
    if "soft_dtw" in rows and "roofline" not in rows and reason is None:
        rows = ["roofline", *rows]  # the % column needs it
    for name in rows:
        if reason is not None:
            results.append(
                {
                    "row": name,
                    "case": NOT_MEASURED_CASES[name],
                    "tsalign": f"{NOT_MEASURED}: {reason}",
                }
            )
            continue
        t0 = time.perf_counter()
        try:
            got = ROW_FUNCS[name](ctx)
        except Exception as exc:
            traceback.print_exc()
            got = [
                {
                    "row": name,
                    "case": NOT_MEASURED_CASES[name],
                    "tsalign": f"{NOT_MEASURED}: {type(exc).__name__}: {exc}"[:300],
                    "error": traceback.format_exc(),
                }
            ]
            try:
                free_gpu()
            except Exception:
                pass
        try:
            free_gpu()  # the row's buffers are gone with its frame
        except Exception:
            pass
        for r in got:
            r["wall_s"] = time.perf_counter() - t0
        results.extend(got)
        print(f"  row {name} done in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"machine": info, "grid": grid, "gpu": reason or "ok", "results": results}
        args.json.write_text(json.dumps(payload, indent=1, default=str))
        print(f"\nJSON: {args.json}")
    errors = [r for r in results if "error" in r]
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
