"""``vexp``/``vlog``: the vectorisable exp/log of the data's dtype (numba only).

float32 arguments get :mod:`._vmath32`, float64 ones :mod:`._vmath64`; the
choice is made at compile time, so each specialisation has one inline path
(a loop that calls them stays free of calls and vectorises).
"""

from __future__ import annotations

from numba import types
from numba.extending import overload

from ._vmath32 import exp32, log32
from ._vmath64 import exp64, log64


def vexp(x):
    """exp of ``x <= 0`` in x's dtype (0 below the dtype's normal range)."""
    raise NotImplementedError("numba-only (see the overload below)")


def vlog(x):
    """log of a finite ``x >= 1`` in x's dtype."""
    raise NotImplementedError("numba-only (see the overload below)")


def _by_dtype(f32, f64):
    """The overload of a function of x: ``f32`` for a float32 x, ``f64`` otherwise."""

    def typer(x):
        fn = f32 if x == types.float32 else f64

        def impl(x):
            return fn(x)

        return impl

    return typer


_OPTIONS = {"jit_options": {"cache": True, "nogil": True}, "inline": "always"}
overload(vexp, **_OPTIONS)(_by_dtype(exp32, exp64))
overload(vlog, **_OPTIONS)(_by_dtype(log32, log64))
