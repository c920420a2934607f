"""Run the CUDA kernels on the CPU: a small emulator for machines with no GPU.

Each ``.cu`` source is compiled by the host C++ compiler with a prelude that
maps CUDA's built-ins to C++: ``threadIdx``/``blockIdx`` become thread-local
variables, ``__syncthreads()`` a ``std::barrier``, ``__shared__`` arrays
static storage, ``atomicAdd`` an ``std::atomic_ref``.  A launch runs the
blocks one after another; inside a block every CUDA thread is a real OS
thread (a Python thread calling the kernel through ctypes, which releases the
GIL), so barriers, striding loops and shared-memory hand-offs between threads
are exercised for real.  Warp intrinsics are not emulated.

This checks the kernels' index arithmetic, boundaries and synchronisation
structure on CI; it is no substitute for running on a GPU (timing, memory
model details and races that happen to be benign on the CPU are not seen).
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from tsalign.kernels.cuda._module import SOURCE_DIR, cuda_defines

PRELUDE = r"""
#include <math.h>
#include <cmath>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <memory>
struct emu_dim3 { unsigned x, y, z; };
thread_local emu_dim3 threadIdx{0, 0, 0};
thread_local emu_dim3 blockIdx{0, 0, 0};
emu_dim3 blockDim{1, 1, 1};
emu_dim3 gridDim{1, 1, 1};
static std::unique_ptr<std::barrier<>> emu_barrier;
extern "C" void emu_configure(unsigned grid, unsigned block) {
    gridDim.x = grid; blockDim.x = block;
    emu_barrier = std::make_unique<std::barrier<>>(block);
}
extern "C" void emu_set_thread(unsigned t, unsigned b) { threadIdx.x = t; blockIdx.x = b; }
// a CUDA thread that has returned no longer takes part in barriers
extern "C" void emu_thread_exit() { emu_barrier->arrive_and_drop(); }
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __shared__ static
#define __syncthreads() emu_barrier->arrive_and_wait()
#define __ldg(p) (*(p))
#define __expf expf
#define __logf logf
using std::max;
using std::min;
#include <bit>
template <class T> T atomicAdd(T* p, T v) { return std::atomic_ref<T>(*p).fetch_add(v); }
template <class T> T atomicOr(T* p, T v) { return std::atomic_ref<T>(*p).fetch_or(v); }
template <class T> T atomicMax(T* p, T v) {
    std::atomic_ref<T> r(*p); T old = r.load();
    while (old < v && !r.compare_exchange_weak(old, v)) {}
    return old;
}
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline int __float_as_int(float x) { return std::bit_cast<int>(x); }
inline double __longlong_as_double(long long x) { return std::bit_cast<double>(x); }
inline long long __double_as_longlong(double x) { return std::bit_cast<long long>(x); }
"""

_EXTERN_SHARED = re.compile(
    r"extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([A-Za-z_][\w\s]*?)\s+(\w+)\s*\[\s*\]"
)
_SMEM_BYTES = 1 << 22
_lock = threading.Lock()
_cache: dict[tuple[str, str], ctypes.CDLL] = {}
_BUILD = Path(tempfile.gettempdir()) / "tsalign_cuda_emu"


def compiler() -> str | None:
    return shutil.which("g++") or shutil.which("clang++")


def build(family: str, real: str) -> ctypes.CDLL:
    """Compile ``kernels/cuda/<family>.cu`` for the CPU; cached per process and on disk."""
    key = (family, real)
    with _lock:
        if key in _cache:
            return _cache[key]
        src = (SOURCE_DIR / f"{family}.cu").read_text()
        common = (SOURCE_DIR / "_common.cuh").read_text()
        # dynamic shared memory: a static buffer per extern array, defined after the
        # source so that the element type (often the `real` typedef) is known
        names = _EXTERN_SHARED.findall(src)
        body = _EXTERN_SHARED.sub(lambda m: f"extern {m.group(1)} {m.group(2)}[]", src)
        types = {n: t.strip() for t, n in names}
        tail = "".join(
            f"\nalignas(16) {t} {n}[{_SMEM_BYTES} / sizeof({t})];" for n, t in types.items()
        )
        code = PRELUDE + body + tail
        defines = list(cuda_defines(real))  # the same -D list NVRTC and nvcc get
        digest = hashlib.sha1("\n".join([code, common, *defines]).encode()).hexdigest()[:16]
        _BUILD.mkdir(parents=True, exist_ok=True)
        so = _BUILD / f"{family}_{real}_{digest}.so"
        if not so.exists():
            cpp = _BUILD / f"{family}_{real}_{digest}.cpp"
            cpp.write_text(code)
            cmd = [
                compiler(),
                "-std=c++20",
                "-O1",
                "-shared",
                "-fPIC",
                "-pthread",
                "-w",
                *defines,
                f"-I{SOURCE_DIR}",
                "-o",
                str(so) + ".tmp",
                str(cpp),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if res.returncode != 0:
                raise RuntimeError(f"emulated build of {family}.cu failed:\n{res.stderr}")
            Path(str(so) + ".tmp").rename(so)
        lib = ctypes.CDLL(str(so))
        _cache[key] = lib
        return lib


def _arg(a):
    if a is None:
        return ctypes.c_void_p(0)
    if isinstance(a, np.ndarray):
        assert a.flags.c_contiguous, "kernels take C-contiguous arrays"
        return ctypes.c_void_p(a.ctypes.data)
    if isinstance(a, np.int64):
        return ctypes.c_longlong(int(a))
    if isinstance(a, np.int32):
        return ctypes.c_int(int(a))
    if isinstance(a, np.float64):
        return ctypes.c_double(float(a))
    if isinstance(a, np.float32):
        return ctypes.c_float(float(a))
    if isinstance(a, np.uint64):
        return ctypes.c_uint64(int(a))
    raise TypeError(f"pass kernel scalars with explicit numpy dtypes, got {type(a).__name__}")


def launch(family: str, name: str, real: str, grid: int, block: int, args) -> None:
    """Run kernel ``name`` over ``grid`` blocks of ``block`` threads on the CPU.

    ``args`` are numpy arrays (passed as pointers, modified in place), None
    (a null pointer) and numpy scalars (int64 / int32 / float64 / float32).
    """
    lib = build(family, real)
    fn = getattr(lib, name)
    fn.restype = None
    cargs = [_arg(a) for a in args]
    with _lock:  # one launch at a time: the barrier and block size are global
        errors: list[BaseException] = []

        def run(t, b):
            try:
                lib.emu_set_thread(ctypes.c_uint(t), ctypes.c_uint(b))
                fn(*cargs)
                lib.emu_thread_exit()
            except BaseException as exc:  # pragma: no cover - surfaced below
                errors.append(exc)

        for b in range(grid):
            # a fresh barrier per block: threads leave it with arrive_and_drop
            lib.emu_configure(ctypes.c_uint(grid), ctypes.c_uint(block))
            threads = [threading.Thread(target=run, args=(t, b)) for t in range(block)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        if errors:
            raise errors[0]


class _Stream:
    def synchronize(self):
        pass


class FakeCupy:
    """The slice of CuPy's API the launchers use, backed by numpy."""

    ndarray = np.ndarray
    int64, int32, float32, float64 = np.int64, np.int32, np.float32, np.float64
    inf = np.inf

    class cuda:  # noqa: N801 - mirrors cupy.cuda
        @staticmethod
        def get_current_stream():
            return _Stream()

    asarray = staticmethod(np.asarray)
    ascontiguousarray = staticmethod(np.ascontiguousarray)
    empty = staticmethod(np.empty)
    empty_like = staticmethod(np.empty_like)
    zeros = staticmethod(np.zeros)
    zeros_like = staticmethod(np.zeros_like)
    full = staticmethod(np.full)
    arange = staticmethod(np.arange)
    argsort = staticmethod(np.argsort)
    concatenate = staticmethod(np.concatenate)


class EmulatedKernel:
    def __init__(self, family: str, name: str, dtype):
        self.family, self.name = family, name
        self.real = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}[np.dtype(dtype)]

    def __call__(self, grid, block, args, shared_mem=0, **_):
        g = grid[0] if isinstance(grid, tuple) else grid
        b = block[0] if isinstance(block, tuple) else block
        assert (grid[1:] if isinstance(grid, tuple) else ()) in ((), (1,), (1, 1))
        launch(self.family, self.name, self.real, int(g), int(b), list(args))


def emulated_kernel(family: str, name: str, dtype):
    """Drop-in for ``tsalign.kernels.cuda._module.kernel`` that runs on the CPU."""
    return EmulatedKernel(family, name, dtype)
