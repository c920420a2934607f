"""Build and cache the CuPy RawModules of the CUDA kernel families.

Each ``<family>.cu`` is compiled lazily on first use, once per float type
(``-DREAL_T=float`` / ``-DREAL_T=double``) and per device, and cached for the
process (CuPy also keeps its own on-disk cache of compiled modules).  The codes
and constants of ``kernels/_contract.py`` reach the sources as -D defines made by
:func:`cuda_defines`, the one list that NVRTC, the nvcc compile test and the host
emulator (``tests/cuda_emu.py``) all compile with; a source compiled without them
fails (``_common.cuh`` checks).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .. import _contract

SOURCE_DIR = Path(__file__).resolve().parent
REAL_T = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
NVCC_OPTIONS = ("-std=c++17",)


def sources() -> list[Path]:
    """The CUDA sources of every family (for the compile checks)."""
    return sorted(SOURCE_DIR.glob("*.cu"))


def cuda_defines(real: str) -> tuple[str, ...]:
    """The -D options of every CUDA compile: ``REAL_T`` and the contract's constants."""
    if real not in REAL_T.values():
        raise ValueError(f"real must be one of {sorted(REAL_T.values())}, got {real!r}")
    defs = [f"-DREAL_T={real}", "-DTSALIGN_CONTRACT=1"]
    for name, value in _contract.CUDA_DEFINES.items():
        # repr round-trips a float exactly, and C reads it back as the same double
        defs.append(f"-D{name}={value!r}")
    return tuple(defs)


def compile_options(real: str) -> tuple[str, ...]:
    """Options for NVRTC and nvcc: language level, the defines, the include path."""
    return NVCC_OPTIONS + cuda_defines(real) + (f"-I{SOURCE_DIR}",)


def real_t(dtype) -> str:
    try:
        return REAL_T[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"CUDA kernels take float32 or float64 arrays, got {dtype}") from None


@functools.cache
def _module(family: str, real: str, device_id: int):
    import cupy

    code = (SOURCE_DIR / f"{family}.cu").read_text()
    return cupy.RawModule(code=code, options=compile_options(real))


def kernel(family: str, name: str, dtype):
    """The RawKernel ``name`` of ``family`` compiled for ``dtype`` on this device."""
    import cupy

    return _module(family, real_t(dtype), cupy.cuda.Device().id).get_function(name)


def threads_for(width: int, cap: int = _contract.MAX_THREADS) -> int:
    """Threads per block for a wavefront whose diagonals hold up to ``width`` cells."""
    t = 32
    while t < width and t < cap:
        t *= 2
    return t
