"""SSNT loss: tsalign against a pure-PyTorch implementation, forward + backward.

    python benchmarks/bench_ssnt.py [--B 16 --T 64 --S 400 --V 1000] [--repeats 5]
                                    [--dtype float32] [--per-row] [--no-memory]

Time: both peers run in this process, interleaved, on the same inputs (log_probs
from a log-softmax, log_p_choose from a logsigmoid, random lengths with the
longest equal to T and S); the medians of ``repeats`` forward+backward passes
and their ratio are printed, after one warm-up pass each (numba compiles on the
first call).  Both must agree on the per-sequence losses (printed).

Peak memory on the CPU: each peer runs once in a fresh subprocess, which
builds the inputs, warms up, resets its resident-set high-water mark
(``/proc/self/clear_refs``), runs forward+backward and reports the rise of
VmHWM over the resident set before the pass.  That counts everything the pass
touches, torch's and numpy's allocations alike (tracemalloc sees only numpy's),
including the (B, T, S, V) gradient both peers have to produce.

GPU rows (when ``torch.cuda`` has a device and CuPy is installed): times with
CUDA events, peak memory with ``torch.cuda.max_memory_allocated`` while CuPy
allocates through PyTorch's allocator (so tsalign's CuPy buffers are counted).
Without a device they print "not measured: no device".

Peers: ``torch-ref`` gathers the target log-probs once; with ``--per-row`` the
seed's per-row gather inside the loop is timed too (``torch-ref-per-row``:
autograd builds one full-size gradient per target row, so it is slow).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _harness import cpu_model  # noqa: E402


def machine() -> str:
    import numba
    import torch

    return (
        f"{cpu_model()}, {os.cpu_count()} cores visible, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numba {numba.__version__} "
        f"({numba.get_num_threads()} threads), {platform.python_version()}, "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}"
    )


def make_inputs(B, T, S, V, dtype, device, seed=0):
    import torch

    g = torch.Generator().manual_seed(seed)
    log_probs = torch.randn(B, T, S, V, generator=g, dtype=dtype)
    log_probs = torch.log_softmax(log_probs, dim=-1).to(device)
    targets = torch.randint(0, V, (B, T), generator=g).to(device)
    log_p_choose = torch.nn.functional.logsigmoid(
        torch.randn(B, T, S, generator=g, dtype=dtype)
    ).to(device)
    src = torch.randint(S // 2, S + 1, (B,), generator=g)
    tgt = torch.randint(max(1, T // 2), T + 1, (B,), generator=g)
    src[0], tgt[0] = S, T
    return log_probs, targets, log_p_choose, src, tgt


def peers(per_row: bool):
    from ssnt_torch_reference import ssnt_torch_reference

    import tsalign

    out = {
        "tsalign": lambda lp, y, lpc, s, t, r: tsalign.ssnt(lp, y, lpc, s, t, reduction=r),
        "torch-ref": lambda lp, y, lpc, s, t, r: ssnt_torch_reference(lp, y, lpc, s, t, r),
    }
    if per_row:
        out["torch-ref-per-row"] = lambda lp, y, lpc, s, t, r: ssnt_torch_reference(
            lp, y, lpc, s, t, r, gather="per_row"
        )
    return out


def fwd_bwd(fn, lp, y, lpc, s, t):
    lp.grad = None
    lpc.grad = None
    loss = fn(lp, y, lpc, s, t, "mean")
    loss.backward()
    return loss


def _sync(device):
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def time_peers(args, device):
    import torch

    dtype = getattr(torch, args.dtype)
    lp, y, lpc, s, t = make_inputs(args.B, args.T, args.S, args.V, dtype, device)
    lp.requires_grad_(True)
    lpc.requires_grad_(True)
    fns = peers(args.per_row)
    with torch.no_grad():
        values = {k: f(lp, y, lpc, s, t, "none") for k, f in fns.items()}
    base = values["tsalign"]
    for k, v in values.items():
        if k != "tsalign":
            print(
                f"  agreement {k} vs tsalign: max |loss difference| = "
                f"{(v - base).abs().max().item():.3g} (losses ~{base.mean().item():.4g})"
            )
    times = {k: [] for k in fns}
    fwd_times = {k: [] for k in fns}
    for f in fns.values():  # warm-up (numba compilation, allocator)
        fwd_bwd(f, lp, y, lpc, s, t)
    _sync(device)
    for _ in range(args.repeats):
        for k, f in fns.items():
            _sync(device)
            t0 = time.perf_counter()
            with torch.no_grad():
                f(lp, y, lpc, s, t, "mean")
            _sync(device)
            t1 = time.perf_counter()
            fwd_bwd(f, lp, y, lpc, s, t)
            _sync(device)
            t2 = time.perf_counter()
            fwd_times[k].append(t1 - t0)
            times[k].append(t2 - t1)
    return times, fwd_times


def memory_child(args, name, device):
    """Peak memory of one forward+backward of peer ``name`` (run in a subprocess)."""
    import torch

    dtype = getattr(torch, args.dtype)
    if device == "cuda":
        _route_cupy_through_torch()
    lp, y, lpc, s, t = make_inputs(args.B, args.T, args.S, args.V, dtype, device)
    lp.requires_grad_(True)
    lpc.requires_grad_(True)
    fn = peers(True)[name]
    fwd_bwd(fn, lp, y, lpc, s, t)  # warm-up
    lp.grad = lpc.grad = None
    _sync(device)
    if device == "cuda":
        torch.cuda.empty_cache()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fwd_bwd(fn, lp, y, lpc, s, t)
        _sync(device)
        peak = torch.cuda.max_memory_allocated() - before
    else:
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kib("VmRSS")
        fwd_bwd(fn, lp, y, lpc, s, t)
        peak = (_status_kib("VmHWM") - before) * 1024
    print(json.dumps({"peak_bytes": int(peak)}))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _route_cupy_through_torch():
    """Make CuPy allocate from PyTorch's caching allocator (one peak counter)."""
    import cupy
    import torch

    def alloc(size):
        buf = torch.empty(max(size, 1), dtype=torch.uint8, device="cuda")
        mem = cupy.cuda.UnownedMemory(buf.data_ptr(), size, buf)
        return cupy.cuda.MemoryPointer(mem, 0)

    cupy.cuda.set_allocator(alloc)


def measure_memory(args, device, names):
    out = {}
    for name in names:
        cmd = [
            sys.executable,
            __file__,
            "--child-memory",
            name,
            "--device",
            device,
            "--B",
            str(args.B),
            "--T",
            str(args.T),
            "--S",
            str(args.S),
            "--V",
            str(args.V),
            "--dtype",
            args.dtype,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            out[name] = f"failed: {res.stderr.strip().splitlines()[-1:]}"
            continue
        out[name] = json.loads(res.stdout.strip().splitlines()[-1])["peak_bytes"]
    return out


def report(label, args, device, names):
    times, fwd = time_peers(args, device)
    med = {k: statistics.median(v) for k, v in times.items()}
    fmed = {k: statistics.median(v) for k, v in fwd.items()}
    mem = measure_memory(args, device, names) if args.memory else {}
    print(
        f"\n{label}: B={args.B} T={args.T} S={args.S} V={args.V} {args.dtype}, "
        f"{args.repeats} repeats (median)"
    )
    print(
        f"  {'peer':<20}{'fwd+bwd s':>12}{'(min-max)':>16}{'ratio':>8}{'fwd s':>10}"
        f"{'peak MiB':>12}{'ratio':>9}"
    )
    for k in med:
        ratio = med[k] / med["tsalign"]
        m = mem.get(k, "n/a")
        if isinstance(m, int) and isinstance(mem.get("tsalign"), int) and mem["tsalign"] > 0:
            mtxt = f"{m / 2**20:12.0f}{m / mem['tsalign']:9.2f}"
        elif isinstance(m, int):
            mtxt = f"{m / 2**20:12.0f}{'':>9}"
        else:
            mtxt = f"{str(m):>21}"
        spread = f"({min(times[k]):.3f}-{max(times[k]):.3f})"
        print(f"  {k:<20}{med[k]:12.3f}{spread:>16}{ratio:8.2f}{fmed[k]:10.3f}{mtxt}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--B", type=int, default=16)
    ap.add_argument("--T", type=int, default=64)
    ap.add_argument("--S", type=int, default=400)
    ap.add_argument("--V", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--per-row", action="store_true", help="also time the seed's per-row gather")
    ap.add_argument("--no-memory", dest="memory", action="store_false")
    ap.add_argument("--child-memory", help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        memory_child(args, args.child_memory, args.device)
        return
    import torch

    print(f"machine: {machine()}")
    names = ["tsalign", "torch-ref"] + (["torch-ref-per-row"] if args.per_row else [])
    report("CPU", args, "cpu", names)
    try:
        import cupy  # noqa: F401

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    if has_gpu:
        print(f"GPU: {torch.cuda.get_device_name()}")
        report("GPU", args, "cuda", names)
    else:
        print("\nGPU: not measured: no device")


if __name__ == "__main__":
    main()
