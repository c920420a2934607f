"""``tsalign warmup``: compile the CPU kernels once, into numba's on-disk cache.

numba compiles a kernel the first time it is called with a new combination of
argument types, and writes the machine code to its cache (``__pycache__``
next to the sources, or numba's user cache directory when the install is
read-only; ``NUMBA_CACHE_DIR`` overrides both).  Later processes load it
instead of compiling.  This module calls every main entry point on tiny
inputs in float32 and float64 (the two dtypes the kernels are specialised
for), so that the first real call of every later process only loads.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

__all__ = ["entry_points", "warmup"]


def entry_points(dtypes=("float64", "float32")) -> list[tuple[str, Callable[[], object]]]:
    """(name, call) for each main entry point and dtype, on tiny inputs."""
    import numpy as np

    import tsalign

    rng = np.random.default_rng(0)
    out: list[tuple[str, Callable[[], object]]] = []
    for dt in dtypes:
        x = rng.standard_normal((6, 1)).astype(dt)
        y = rng.standard_normal((5, 1)).astype(dt)
        batch = rng.standard_normal((3, 6, 1)).astype(dt)
        out += [
            (f"dtw ({dt})", lambda x=x, y=y: tsalign.dtw(x, y)),
            (f"dtw, banded ({dt})", lambda x=x, y=y: tsalign.dtw(x, y, sakoe_chiba_radius=1)),
            (f"dtw_path ({dt})", lambda x=x, y=y: tsalign.dtw_path(x, y)),
            (f"cdist_dtw ({dt})", lambda b=batch: tsalign.cdist_dtw(b)),
            (f"soft_dtw ({dt})", lambda x=x, y=y: tsalign.soft_dtw(x, y)),
            (f"soft_dtw_alignment ({dt})", lambda x=x, y=y: tsalign.soft_dtw_alignment(x, y)),
            (f"cdist_soft_dtw ({dt})", lambda b=batch: tsalign.cdist_soft_dtw(b)),
            (f"dilate ({dt})", lambda b=batch: tsalign.dilate(b, b[::-1].copy())),
        ]
        if importlib.util.find_spec("torch") is not None:
            out += _torch_entry_points(dt)
    return out


def _torch_entry_points(dt: str) -> list[tuple[str, Callable[[], object]]]:
    import torch

    from tsalign.nn import DILATELoss, SoftDTWLoss, SSNTLoss

    tdt = getattr(torch, dt)

    def soft_dtw_loss():
        a = torch.randn(2, 6, 1, dtype=tdt, requires_grad=True)
        SoftDTWLoss(gamma=0.1)(a, torch.randn(2, 5, 1, dtype=tdt)).sum().backward()

    def dilate_loss():
        a = torch.randn(2, 6, 1, dtype=tdt, requires_grad=True)
        DILATELoss()(a, torch.randn(2, 6, 1, dtype=tdt)).backward()

    def ssnt_loss():
        B, T, S, V = 2, 3, 4, 5
        lp = torch.randn(B, T, S, V, dtype=tdt).log_softmax(-1).requires_grad_(True)
        emit = torch.randn(B, T, S, dtype=tdt)
        targets = torch.randint(0, V, (B, T))
        SSNTLoss()(lp, targets, emit_logits=emit).backward()

    return [
        (f"nn.SoftDTWLoss fwd+bwd ({dt})", soft_dtw_loss),
        (f"nn.DILATELoss fwd+bwd ({dt})", dilate_loss),
        (f"nn.SSNTLoss fwd+bwd ({dt})", ssnt_loss),
    ]


def warmup(print_fn: Callable[[str], object] | None = print) -> dict[str, float]:
    """Call every main entry point once per dtype; returns the seconds each took.

    Parameters
    ----------
    print_fn : callable or None, default print
        Receives one line per entry point; None prints nothing.

    Returns
    -------
    dict of str to float
        Seconds per entry point (compile or cache load included).
    """
    times: dict[str, float] = {}
    t_all = time.perf_counter()
    for name, fn in entry_points():
        t0 = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - t0
        if print_fn is not None:
            print_fn(f"{name:<40s} {times[name]:7.2f} s")
    if print_fn is not None:
        import numba

        cache = numba.config.CACHE_DIR or "__pycache__ next to tsalign's kernels"
        print_fn(f"{'total':<40s} {time.perf_counter() - t_all:7.2f} s (numba cache: {cache})")
    return times
