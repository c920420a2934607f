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

from .. import _contract, _pairs
from .._contract import SCRATCH_BYTES, SMEM_BYTES

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


def band_args(band) -> tuple:
    """A band ``(kind, radius, slope)`` as the kernels' (int, long long, double) arguments."""
    kind, radius, slope = band
    return (np.int32(kind), np.int64(radius), np.float64(slope))


def launch_per_pair(k, A, lx, ly, band, *rest) -> None:
    """Launch ``k`` with one block per pair on (B, N, M, ...) arrays ``A``.

    The arguments are ``A``, the lengths, N, M, the band, then ``rest``: the
    layout of the kernels that walk one pair's matrix (``dtw_acc``,
    ``soft_dtw_backward``).
    """
    import cupy

    B, N, M = (int(s) for s in A.shape[:3])
    head = (A, cupy.asarray(lx), cupy.asarray(ly), np.int64(N), np.int64(M), *band_args(band))
    k((B,), (threads_for(min(N, M)),), (*head, *rest))


def launch_over_pairs(k, n_pairs: int, N: int, dtype, threads: int, args_of) -> None:
    """Launch ``k`` with one block per pair, each with three rolling diagonals of N values.

    The diagonals sit in shared memory up to ``SMEM_BYTES`` per block, else in
    global scratch, and the pairs are then launched in slices so that the
    scratch stays within ``SCRATCH_BYTES``.  ``args_of(start, stop, scratch)``
    gives the arguments of the launch over pairs ``start <= p < stop``
    (``scratch`` is a null pointer when the diagonals are in shared memory).
    """
    import cupy

    per_pair = 3 * N * np.dtype(dtype).itemsize
    if per_pair <= SMEM_BYTES:
        step, smem, scratch = max(n_pairs, 1), per_pair, None
    else:
        step, smem = max(1, min(n_pairs, SCRATCH_BYTES // per_pair)), 0
        scratch = cupy.empty(step * 3 * N, dtype=dtype)
    for s in range(0, n_pairs, step):
        e = min(n_pairs, s + step)
        ptr = scratch if scratch is not None else np.uint64(0)
        k((e - s,), (threads,), args_of(s, e, ptr), shared_mem=smem)


def launch_values(k, X, Y, lx, ly, ia, ib, band, extra, out) -> None:
    """A ``<family>_values`` kernel over the pairs (X[ia[p]], Y[ib[p]]) into out.

    The value kernels of every family take the same leading arguments (series,
    lengths, pairs, sizes, band), then the family's ``extra`` scalars, then the
    scratch pointer and the output (see ``dtw.cu``, ``soft_dtw.cu``).
    """
    n_pairs = int(ia.shape[0])
    if n_pairs == 0:
        return
    N, M, d = int(X.shape[1]), int(Y.shape[1]), int(X.shape[2])
    sizes = (np.int64(N), np.int64(M), np.int64(d))

    def args(s, e, scratch):
        pairs = (ia[s:e], ib[s:e], np.int64(e - s))
        return (X, Y, lx, ly, *pairs, *sizes, *band_args(band), *extra, scratch, out[s:e])

    launch_over_pairs(k, n_pairs, N, X.dtype, threads_for(min(N, M)), args)


def batch_on_device(values, X, lx, ly):
    """``values(lx, ly, ia, ib, out)`` over the batch pairs (X[b], Y[b]): (B,) in X's dtype."""
    import cupy

    idx = cupy.arange(X.shape[0], dtype=cupy.int64)
    out = cupy.empty(X.shape[0], dtype=X.dtype)
    values(cupy.asarray(lx), cupy.asarray(ly), idx, idx, out)
    return out


def cdist_on_device(values, X, Y, lx, ly, symmetric: bool, diagonal: bool, progress):
    """The (nx, ny) matrix of ``values(lx, ly, ia, ib, out)`` over a cdist's pairs.

    The pairs and the blocks are those of ``kernels/_pairs.py``, as on the CPU.
    """
    import cupy

    nx, ny = X.shape[0], Y.shape[0]
    lx_d, ly_d = cupy.asarray(lx), cupy.asarray(ly)
    ia, ib = (cupy.asarray(a) for a in _pairs.cdist_pairs(nx, ny, symmetric, diagonal))

    def run(mode, s, e, out):
        values(lx_d, ly_d, ia[s:e], ib[s:e], out)

    sync = cupy.cuda.get_current_stream().synchronize
    return _pairs.cdist(cupy, run, nx, ny, symmetric, diagonal, X.dtype, progress, sync)


def threads_for(width: int, cap: int = _contract.MAX_THREADS) -> int:
    """Threads per block for a wavefront whose diagonals hold up to ``width`` cells."""
    t = 32
    while t < width and t < cap:
        t *= 2
    return t
