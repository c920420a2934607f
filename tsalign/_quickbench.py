"""``tsalign bench --quick``: a short benchmark that ships inside the package.

It times tsalign alone (no peers, nothing outside the installed package and
its required dependencies; PyTorch rows only when torch is installed) on a
few fixed cases, and prints a table with the machine it ran on.  The full
suite, with tslearn, dtaidistance, pysdtw and fastdtw as peers, lives in
``benchmarks/`` of the source tree.

Each case is timed twice over: the first call of the process (which includes
loading or compiling the numba kernels: see ``tsalign warmup``), then the
median of a few calls once warm.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

__all__ = ["run_quick"]


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _cases(rng) -> list[tuple[str, Callable[[], object]]]:
    import importlib.util

    import numpy as np

    import tsalign

    x1000 = rng.standard_normal(1000)
    y1000 = rng.standard_normal(1000)
    x500 = rng.standard_normal(500)
    y500 = rng.standard_normal(500)
    data = rng.standard_normal((50, 100, 1))
    cases: list[tuple[str, Callable[[], object]]] = [
        ("dtw, N=M=1000, d=1, float64", lambda: tsalign.dtw(x1000, y1000)),
        (
            "dtw, N=M=1000, Sakoe-Chiba radius 10",
            lambda: tsalign.dtw(x1000, y1000, sakoe_chiba_radius=10),
        ),
        ("cdist_dtw, 50 series of length 100", lambda: tsalign.cdist_dtw(data)),
        ("soft_dtw, N=M=500, gamma=1, float64", lambda: tsalign.soft_dtw(x500, y500, gamma=1.0)),
        (
            "soft_dtw, N=M=500, float32",
            lambda: tsalign.soft_dtw(x500.astype(np.float32), y500.astype(np.float32)),
        ),
    ]
    if importlib.util.find_spec("torch") is not None:
        import torch

        from tsalign.nn import SoftDTWLoss

        a = torch.randn(16, 100, 1, requires_grad=True)
        b = torch.randn(16, 100, 1)
        loss = SoftDTWLoss(gamma=0.1)

        def fwd_bwd():
            a.grad = None
            loss(a, b).mean().backward()

        cases.append(("SoftDTWLoss fwd+bwd, B=16, N=M=100, float32 (torch CPU)", fwd_bwd))
    return cases


def run_quick(rounds: int = 5, print_fn: Callable[[str], object] = print) -> int:
    """Time the quick cases and print a table; returns 0.

    Parameters
    ----------
    rounds : int, default 5
        Warm calls per case; the table reports their median.
    print_fn : callable, default print
        Where the lines go.

    Returns
    -------
    int
        The exit status (0).
    """
    import numpy as np

    import tsalign

    rng = np.random.default_rng(0)
    import numba

    print_fn(f"tsalign {tsalign.__version__} quick benchmark (tsalign only, no peers)")
    print_fn(
        f"machine: {cpu_model()}, {os.cpu_count()} logical cores, "
        f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads), "
        f"Python {platform.python_version()}"
    )
    rows = []
    for name, fn in _cases(rng):
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        warm = []
        for _ in range(max(1, int(rounds))):
            t0 = time.perf_counter()
            fn()
            warm.append(time.perf_counter() - t0)
        rows.append((name, _fmt(first), _fmt(statistics.median(warm))))
    header = ("case", "first call", f"median of {max(1, int(rounds))} warm calls")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print_fn("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print_fn(
        "first call: includes loading the compiled kernels from numba's cache, or compiling "
        "them when the cache is empty (run `tsalign warmup` once after installing)."
    )
    print_fn(
        "The full suite with peers (tslearn, dtaidistance, pysdtw, fastdtw) is in benchmarks/ "
        "of the source tree: `make bench` or `tsalign bench` from a checkout."
    )
    return 0
