"""Shared timing harness for the benchmark scripts.

Peers and tsalign run in the same process, interleaved round by round (so a
noisy neighbour slows every contender alike); we report medians and ratios.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line naming the machine the numbers come from."""
    cpu = cpu_model()
    gpu = "no CUDA device"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    date = datetime.date.today().isoformat()
    return f"{cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}, {date}"


def interleaved(
    contenders: dict[str, Callable[[], object]],
    rounds: int = 15,
    warmup: int = 2,
    min_time: float = 0.0,
) -> dict[str, float]:
    """Median seconds per call of each contender, timed round-robin."""
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            reps, t = 0, 0.0
            t0 = time.perf_counter()
            while True:
                fn()
                reps += 1
                t = time.perf_counter() - t0
                if t >= min_time:
                    break
            times[name].append(t / reps)
    return {k: statistics.median(v) for k, v in times.items()}


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def table(rows: list[list[str]], header: list[str]) -> str:
    """A GitHub-markdown table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *map(line, rows)])
