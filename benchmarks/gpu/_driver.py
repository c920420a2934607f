"""Shared set-up of the per-family launch drivers (``sanitize_<family>.py``).

Each driver makes one small launch of every CUDA launcher of its family (mixed
lengths, float32 and float64, a band, the global-scratch path where the family
has one), synchronises and checks that the outputs are finite where they must
be.  ``make gpu-check`` runs each under ``compute-sanitizer --tool memcheck``
and ``--tool racecheck``; sizes are small (a few pairs, blocks of up to 128
threads, so several warps share the shared-memory diagonals) because the
sanitizers slow kernels down by orders of magnitude.

On the GPU, CuPy's memory pool is switched off (every array is its own
``cudaMalloc``) so that memcheck sees each buffer's real bounds; a pool would
hide an overrun inside one of its large blocks.

``--emulate`` runs the same launches on the CPU, CuPy faked by numpy and the
kernels run by ``tests/cuda_emu.py`` (a check of the drivers themselves on a
machine without a GPU, with a host C++ compiler).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


class Driver:
    """What a family driver needs: the launcher module, device arrays, checks."""

    def __init__(self, family: str, emulate: bool):
        self.family = family
        self.emulate = emulate
        self.calls: list[str] = []
        if emulate:
            from tests import cuda_emu

            sys.modules["cupy"] = cuda_emu.FakeCupy
            self.xp = cuda_emu.FakeCupy
            self.mod = importlib.import_module(f"tsalign.kernels.cuda.{family}")
            # every loaded launcher module: a family may run another's (DILATE, soft-DTW's)
            for name, other in list(sys.modules.items()):
                if name.startswith("tsalign.kernels.cuda.") and hasattr(other, "kernel"):
                    other.kernel = cuda_emu.emulated_kernel
        else:
            import cupy

            cupy.cuda.set_allocator(None)  # one cudaMalloc per array: exact bounds
            self.xp = cupy
            self.mod = importlib.import_module(f"tsalign.kernels.cuda.{family}")

    def dev(self, a):
        """A device copy of a float array (integer arrays stay on the host)."""
        a = np.asarray(a)
        return self.xp.asarray(a) if a.dtype.kind == "f" else a

    def host(self, x):
        if isinstance(x, tuple):
            return tuple(self.host(v) for v in x)
        return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else np.asarray(x)

    def sync(self) -> None:
        if not self.emulate:
            self.xp.cuda.runtime.deviceSynchronize()

    def call(self, name: str, *args, **kwargs):
        """Launch ``name`` (a launcher of the family), synchronise, return its results."""
        t0 = time.perf_counter()
        out = getattr(self.mod, name)(*args, **kwargs)
        self.sync()
        self.calls.append(f"{name} ({time.perf_counter() - t0:.2f} s)")
        return out

    def finite(self, what: str, a, mask=None) -> None:
        a = np.asarray(a)
        if mask is not None:
            a = a[mask]
        if not np.isfinite(a).all():
            raise AssertionError(f"{self.family}: {what} has non-finite entries")

    def scratch_path(self):
        """Patch the launcher module so the next launches take the global-scratch path."""
        saved = {}
        small = {"SMEM_BYTES": 64, "SCRATCH_BYTES": 3 * 128 * 8 * 2}
        for name, value in small.items():
            for spelled in (name, f"_{name}"):  # the contract's name, or an older private one
                if hasattr(self.mod, spelled):
                    saved[spelled] = getattr(self.mod, spelled)
                    setattr(self.mod, spelled, value)
        if not saved:
            raise AttributeError(f"{self.mod.__name__} has no SMEM_BYTES to patch")
        return saved

    def restore(self, saved) -> None:
        for name, value in saved.items():
            setattr(self.mod, name, value)


def batch(rng, lengths, N: int, d: int, dtype) -> np.ndarray:
    """Zero-padded (B, N, d) series with the given lengths (the kernels read only those)."""
    X = np.zeros((len(lengths), N, d), dtype=dtype)
    for b, n in enumerate(lengths):
        X[b, :n] = rng.normal(size=(n, d))
    return X


def main(family: str, body) -> int:
    """Parse ``--emulate``, run ``body(driver, dtype)`` for float32 and float64, report."""
    ap = argparse.ArgumentParser(description=f"one small launch of every {family} launcher")
    ap.add_argument("--emulate", action="store_true", help="CPU emulator instead of a GPU")
    ap.add_argument("--dtypes", default="float32,float64")
    args = ap.parse_args()
    t0 = time.perf_counter()
    try:
        drv = Driver(family, args.emulate)
        for name in args.dtypes.split(","):
            body(drv, np.dtype(name))
    except Exception:
        traceback.print_exc()
        print(json.dumps({"family": family, "ok": False}))
        return 1
    report = {
        "family": family,
        "ok": True,
        "emulated": args.emulate,
        "seconds": round(time.perf_counter() - t0, 2),
        "launches": drv.calls,
    }
    print(json.dumps(report))
    return 0
