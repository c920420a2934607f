"""float32 ``exp`` and ``log`` as inline polynomials that LLVM can vectorise.

numba calls libm's ``expf``/``logf`` one value at a time (this numba build has
no SVML); these Cephes-style versions are plain arithmetic plus two bit casts,
so a loop over contiguous arrays that uses them compiles to SIMD code.  Both
are accurate to about 1-2 ulp on the ranges the soft-DTW kernels use them on:
``exp32`` on ``x <= 0`` (exactly 0 below float32's normal range) and
``log32`` on finite ``x >= 1``.
"""

from __future__ import annotations

import numpy as np
from numba import types

from ._bits import bitcast
from ._jit import njit

_f2i = bitcast(types.float32, types.int32)
_i2f = bitcast(types.int32, types.float32)

_F = np.float32
_ONE = _F(1.0)
_HALF = _F(0.5)
_ZERO = _F(0.0)
_LOG2E = _F(1.44269504088896341)
_EXP_LO = _F(-87.0)  # exp(-87) ~ 1.6e-38: below it the result is 0
_C1 = _F(0.693359375)
_C2 = _F(-2.12194440e-4)
_P0 = _F(1.9875691500e-4)
_P1 = _F(1.3981999507e-3)
_P2 = _F(8.3334519073e-3)
_P3 = _F(4.1665795894e-2)
_P4 = _F(1.6666665459e-1)
_P5 = _F(5.0000001201e-1)
_SQRTHF = _F(0.707106781186547524)
_L0 = _F(7.0376836292e-2)
_L1 = _F(-1.1514610310e-1)
_L2 = _F(1.1676998740e-1)
_L3 = _F(-1.2420140846e-1)
_L4 = _F(1.4249322787e-1)
_L5 = _F(-1.6668057665e-1)
_L6 = _F(2.0000714765e-1)
_L7 = _F(-2.4999993993e-1)
_L8 = _F(3.3333331174e-1)


@njit
def exp32(x):
    """exp of a float32 ``x <= 0`` (0 for x < -87, also for -inf)."""
    xc = x if x > _EXP_LO else _EXP_LO
    n = np.floor(xc * _LOG2E + _HALF)
    r = xc - n * _C1 - n * _C2
    p = ((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5
    p = p * r * r + r + _ONE
    scale = _i2f((np.int32(n) + np.int32(127)) << np.int32(23))
    return _ZERO if x < _EXP_LO else p * scale


@njit
def log32(x):
    """Natural log of a finite float32 ``x >= 1``."""
    bits = _f2i(x)
    e = (bits >> np.int32(23)) - np.int32(126)
    m = _i2f((bits & np.int32(0x007FFFFF)) | np.int32(0x3F000000))  # in [0.5, 1)
    small = m < _SQRTHF
    ef = _F(e - np.int32(1)) if small else _F(e)
    xm = (m + m - _ONE) if small else (m - _ONE)
    z = xm * xm
    y = (
        (
            (
                ((((((_L0 * xm + _L1) * xm + _L2) * xm + _L3) * xm + _L4) * xm + _L5) * xm + _L6)
                * xm
                + _L7
            )
            * xm
            + _L8
        )
        * xm
        * z
    )
    y = y + ef * _C2 - _HALF * z
    return xm + y + ef * _C1
