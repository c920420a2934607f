"""Build and cache the CuPy RawModules of the CUDA kernel families.

Each ``<family>.cu`` is compiled lazily on first use, once per float type
(``-DREAL_T=float`` / ``-DREAL_T=double``) and per device, and cached for the
process (CuPy also keeps its own on-disk cache of compiled modules).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

SOURCE_DIR = Path(__file__).resolve().parent
REAL_T = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
NVCC_OPTIONS = ("-std=c++17",)


def sources() -> list[Path]:
    """The CUDA sources of every family (for the compile checks)."""
    return sorted(SOURCE_DIR.glob("*.cu"))


def real_t(dtype) -> str:
    try:
        return REAL_T[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"CUDA kernels take float32 or float64 arrays, got {dtype}") from None


@functools.cache
def _module(family: str, real: str, device_id: int):
    import cupy

    code = (SOURCE_DIR / f"{family}.cu").read_text()
    options = NVCC_OPTIONS + (f"-DREAL_T={real}", f"-I{SOURCE_DIR}")
    return cupy.RawModule(code=code, options=options)


def kernel(family: str, name: str, dtype):
    """The RawKernel ``name`` of ``family`` compiled for ``dtype`` on this device."""
    import cupy

    return _module(family, real_t(dtype), cupy.cuda.Device().id).get_function(name)


def threads_for(width: int, cap: int = 512) -> int:
    """Threads per block for a wavefront whose diagonals hold up to ``width`` cells."""
    t = 32
    while t < width and t < cap:
        t *= 2
    return t
