"""Kernels: the hot loops, one module per recurrence family, on CPU and GPU.

``kernels/cpu/<family>.py`` holds numba functions working on numpy arrays;
``kernels/cuda/<family>.cu`` holds the CUDA sources and ``kernels/cuda/<family>.py``
their CuPy launchers working on cupy arrays.  Both sides of a family expose the
same launcher names with the same arguments, so the public modules pick a side
with :func:`family` and call it without knowing which one they got.

Kernels know nothing of backends: they see C-contiguous float32/float64 arrays
(numpy or cupy), int64 length arrays and plain Python scalars.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def family(name: str, gpu: bool) -> ModuleType:
    """Return the kernel module of family ``name`` for the CPU or the GPU."""
    side = "cuda" if gpu else "cpu"
    return importlib.import_module(f"tsalign.kernels.{side}.{name}")


class threads:
    """Context manager: run CPU kernels with ``n_jobs`` threads (joblib's convention).

    ``None`` or ``-1`` use every thread numba has; ``k > 0`` uses ``k``;
    ``-2`` all but one, and so on.
    """

    def __init__(self, n_jobs: int | None):
        self.n_jobs = n_jobs
        self._saved: int | None = None

    def __enter__(self):
        if self.n_jobs is None:
            return self
        import numba

        top = numba.config.NUMBA_NUM_THREADS
        n = self.n_jobs
        if isinstance(n, bool) or not isinstance(n, int) or n == 0:
            raise ValueError(f"n_jobs must be None or a non-zero integer, got {n!r}")
        k = n if n > 0 else top + 1 + n
        self._saved = numba.get_num_threads()
        numba.set_num_threads(max(1, min(top, k)))
        return self

    def __exit__(self, *exc):
        if self._saved is not None:
            import numba

            numba.set_num_threads(self._saved)
        return False
