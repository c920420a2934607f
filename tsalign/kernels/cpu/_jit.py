"""numba decorators: on-disk cache, the threading layer, small calls off the thread pool.

Cache
    The cache lives next to the sources (``__pycache__``) or, when the install
    is read-only, in numba's user-wide cache directory; when neither is usable
    the functions are compiled without a cache instead of failing at import.

Threading layer (chosen here, before numba's first parallel call)
    numba's layers differ in what survives: GNU OpenMP (``omp``, numba's
    default when TBB is missing) is not fork-safe, so a DataLoader forking
    after a kernel ran dies; ``workqueue`` is fork-safe but not thread-safe
    (two Python threads in parallel kernels abort the process); ``tbb`` is
    both.  tsalign asks for ``tbb`` (the ``tbb`` wheel is a dependency where
    PyPI has one: x86-64 Linux, Windows and macOS) and otherwise for
    ``workqueue`` with a process-wide lock around parallel calls, so both
    fork and threads are safe everywhere.  A layer the user chose
    (``NUMBA_THREADING_LAYER``, or one already running) is respected.

Small calls
    :func:`njit_parallel` kernels are compiled twice, with and without
    ``parallel``; a call whose work (alignment-matrix cells) is below
    :data:`SMALL_WORK` runs the serial one in the calling thread, so small
    problems never wait on the thread pool (a pool with one thread on a busy
    core stalls every call).  docs/backends.rst has the measurements.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
import types

import numba
import numpy as np

from ._cache import check_cache

# Below this many cells (sum of N * M over the pairs; for kernels on cell-sized
# arrays, the largest one) a parallel kernel runs serially in the caller's
# thread.  Measured with benchmarks/bench_small_calls.py --threshold on the
# shared 2-core machine (benchmarks/README.md): the pool did not pay for
# cdist_soft_dtw at 17,500 cells (1.05x the serial time) and did at 70,000
# (0.78x); for DTW's cheaper cells it hardly pays below 10^6 cells, where a
# serial call costs < 1 ms anyway.  Every call the small cases make
# (20-30 frames, a few series) is far below this.
SMALL_WORK = 50_000

_TBB_LIBS = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}


def _preload_tbb() -> bool:
    """Load the tbb wheel's library so numba's TBB layer finds it.

    The wheel puts ``libtbb`` under ``<prefix>/lib``, which is not on the
    dynamic loader's path; loading it first by its full path makes numba's
    ``tbbpool`` resolve against it.
    """
    target = _TBB_LIBS.get(sys.platform)
    if target is None:
        return False
    try:
        import importlib.metadata as md

        files = md.files("tbb") or []
    except Exception:  # not installed, or metadata unreadable
        return False
    for f in files:
        if f.name == target:
            try:
                ctypes.CDLL(str(f.locate()), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
            except OSError:
                return False
            return True
    return False


def _tbb_usable() -> bool:
    _preload_tbb()
    try:
        from numba.np.ufunc import tbbpool  # noqa: F401
    except ImportError:
        return False
    try:  # numba needs TBB_INTERFACE_VERSION >= 12060 (oneTBB 2021.6)
        from numba.np.ufunc.parallel import _check_tbb_version_compatible

        _check_tbb_version_compatible()
    except ImportError:
        pass
    except Exception:
        return False
    return True


def _layer_running() -> str | None:
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel call yet
        return None


def _select_threading_layer() -> str:
    """Set numba's threading layer unless the user or a running layer decided it."""
    running = _layer_running()
    if running is not None:
        return running
    if os.environ.get("NUMBA_THREADING_LAYER"):
        if numba.config.THREADING_LAYER in ("tbb", "default", "safe", "threadsafe", "forksafe"):
            _preload_tbb()  # the user's choice may be or include tbb
        return str(numba.config.THREADING_LAYER)
    layer = "tbb" if _tbb_usable() else "workqueue"
    numba.config.THREADING_LAYER = layer
    return layer


THREADING_LAYER = _select_threading_layer()

# Serialises parallel kernels when the layer is not thread-safe (workqueue).
_POOL_LOCK = threading.Lock()


def _reset_lock_in_child() -> None:
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()  # a fork may happen while another thread holds it


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def _needs_lock() -> bool:
    layer = _layer_running() or str(numba.config.THREADING_LAYER)
    return layer not in ("tbb", "omp", "threadsafe", "safe")


def _jit(fn, **options):
    try:
        dispatcher = numba.njit(cache=True, nogil=True, **options)(fn)
    except (RuntimeError, OSError, PermissionError):  # no writable cache location
        return numba.njit(cache=False, nogil=True, **options)(fn)
    check_cache(dispatcher)  # before anything is loaded from the cache (see _cache.py)
    return dispatcher


def njit(fn):
    """Serial kernel (inlined helpers, per-pair work)."""
    return _jit(fn)


def njit_inline(fn):
    """Helper inlined into its callers at numba's IR level (a vectorised loop
    that calls it stays one loop; the caller's fast-math flags apply).

    Also what keeps cold compilation short for helpers called with constant
    arguments: numba compiles a dispatcher once per argument type, and a
    literal (``f(x, 0)``, or a loop variable ``a = 0`` while numba's type
    inference still iterates over the loop) is a type of its own
    (``Literal[int](0)``); an inlined helper is no dispatcher.  Loop-carried
    integers that are passed to helpers start as ``np.int64(...)`` for the same
    reason.
    """
    return _jit(fn, inline="always")


def _renamed(fn, suffix: str):
    """A copy of ``fn`` under another name (its own numba cache file)."""
    clone = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__
    )
    clone.__qualname__ = fn.__qualname__ + suffix
    clone.__module__ = fn.__module__
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _auto_work(args) -> int:
    """Work of a call when the launcher does not say: the largest float array.

    Right for kernels on cell-sized arrays (cost matrices, accumulated costs,
    soft-min weights); launchers of kernels on series pass ``work=`` instead.
    """
    best = 0
    for a in args:
        size = getattr(a, "size", None)
        if size is not None and getattr(getattr(a, "dtype", None), "kind", "") == "f":
            best = max(best, int(size))
    return best


class ParallelKernel:
    """A ``prange`` kernel with a serial twin for small calls.

    ``kernel(*args)`` estimates the work from the arguments;
    ``kernel.run(work, *args)`` takes it from the launcher (cells).
    """

    def __init__(self, fn, options: dict):
        self.py_func = fn
        self._options = options
        self.parallel = _jit(fn, parallel=True, **options)
        self._serial = None
        functools.update_wrapper(self, fn)

    @property
    def serial(self):
        if self._serial is None:
            self._serial = _jit(_renamed(self.py_func, "__serial"), **self._options)
        return self._serial

    def __call__(self, *args):
        return self.run(_auto_work(args), *args)

    def run(self, work: int, *args):
        if work < SMALL_WORK or numba.get_num_threads() == 1:
            return self.serial(*args)
        if _needs_lock():
            with _POOL_LOCK:
                return self.parallel(*args)
        return self.parallel(*args)


def njit_parallel(fn) -> ParallelKernel:
    """Kernel parallel over pairs with ``numba.prange`` (serial below SMALL_WORK)."""
    return ParallelKernel(fn, {})


def n_threads() -> int:
    return numba.get_num_threads()


def pair_cells(lx, ly, mode: str = "batch") -> int:
    """Alignment-matrix cells of the pairs: ``batch`` (lx[b] * ly[b]), ``cross``
    (every lx with every ly) or ``triangle`` (pairs a < b of one dataset)."""
    lx = np.asarray(lx, dtype=np.int64)
    ly = np.asarray(ly, dtype=np.int64)
    if mode == "batch":
        return int(np.dot(lx, ly))
    sx, sy = int(lx.sum()), int(ly.sum())
    return sx * sy if mode == "cross" else sx * sy // 2


# Flags that let LLVM vectorise loops of plain float arithmetic (FMA
# contraction, reciprocal, no signed zeros) without assuming away inf or NaN;
# error_model="numpy" drops the zero-divisor check (a branch that would stop
# the vectoriser; the divisors of these kernels are >= 1).
_VEC_FLAGS = {"contract", "arcp", "nsz", "afn"}


def njit_vec(fn):
    """Serial helper whose loops may be vectorised (see ``_VEC_FLAGS``)."""
    return _jit(fn, fastmath=_VEC_FLAGS, error_model="numpy")


def njit_vec_exact(fn):
    """Serial helper whose loops may be vectorised with IEEE arithmetic as written
    (no fast-math flag: vector and scalar iterations round alike); only the
    zero-divisor check is dropped (``error_model="numpy"``), as in :func:`njit_vec`."""
    return _jit(fn, error_model="numpy")


def njit_parallel_sum(fn) -> ParallelKernel:
    """Kernel parallel over pairs with vectorised sums (reassociated, like BLAS)."""
    return ParallelKernel(fn, {"fastmath": _VEC_FLAGS | {"reassoc"}, "error_model": "numpy"})
