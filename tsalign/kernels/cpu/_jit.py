"""numba decorators with an on-disk cache that degrades gracefully.

The cache lives next to the sources (``__pycache__``) or, when the install is
read-only, in numba's user-wide cache directory; when neither is usable the
functions are compiled without a cache instead of failing at import.
"""

from __future__ import annotations

import numba


def _jit(fn, **options):
    try:
        return numba.njit(cache=True, nogil=True, **options)(fn)
    except (RuntimeError, OSError, PermissionError):  # no writable cache location
        return numba.njit(cache=False, nogil=True, **options)(fn)


def njit(fn):
    """Serial kernel (inlined helpers, per-pair work)."""
    return _jit(fn)


def njit_parallel(fn):
    """Kernel parallel over pairs with ``numba.prange``."""
    return _jit(fn, parallel=True)


def n_threads() -> int:
    return numba.get_num_threads()


# Flags that let LLVM vectorise loops of plain float arithmetic (FMA
# contraction, reciprocal, no signed zeros) without assuming away inf or NaN;
# error_model="numpy" drops the zero-divisor check (a branch that would stop
# the vectoriser; the divisors of these kernels are >= 1).
_VEC_FLAGS = {"contract", "arcp", "nsz", "afn"}


def njit_vec(fn):
    """Serial helper whose loops may be vectorised (see ``_VEC_FLAGS``)."""
    return _jit(fn, fastmath=_VEC_FLAGS, error_model="numpy")


def njit_parallel_sum(fn):
    """Kernel parallel over pairs with vectorised sums (reassociated, like BLAS)."""
    return _jit(fn, parallel=True, fastmath=_VEC_FLAGS | {"reassoc"}, error_model="numpy")
