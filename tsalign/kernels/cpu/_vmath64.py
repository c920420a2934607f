"""float64 ``exp`` and ``log`` as inline arithmetic that LLVM can vectorise.

The float64 twin of :mod:`._vmath32`: numba calls libm's ``exp``/``log`` one value
at a time, which keeps every loop that uses them scalar; these are plain
arithmetic plus bit casts, so a loop over contiguous arrays that calls them
compiles to SIMD code.

``exp64`` (for ``x <= 0``; 0 below -708, where exp leaves float64's normal range,
also for -inf): Cody-Waite reduction ``x = n ln2 + r`` with ``|r| <= ln2 / 2`` and
``ln2`` split in two so that ``n * ln2_hi`` is exact, then the Taylor polynomial
of ``exp(r)`` to degree 13 (truncation error below 1e-17 relative) by Horner,
scaled by ``2**n`` built from the exponent bits.

``log64`` (finite ``x >= 1``, any positive normal in fact): ``x = 2**e m`` with
``m`` in ``[sqrt(1/2), sqrt(2))``, ``f = m - 1`` (exact), ``s = f / (2 + f)``, and
``log(1 + f) = f - f**2/2 + s (f**2/2 + R(s**2))`` with ``R`` the atanh series
``2 (z/3 + z**2/5 + ...)`` to ``z**10`` (``|s| <= 0.172``, truncation below
1e-18): the large part ``f - f**2/2`` is nearly exact, so the rounding errors
of the series land on a small correction.  ``e ln2`` is added in two parts.

Both are accurate to about 1-2 ulp (``tests/test_vmath64.py`` measures it).
"""

from __future__ import annotations

import numpy as np
from numba import types

from ._bits import bitcast
from ._jit import njit

_d2i = bitcast(types.float64, types.int64)
_i2d = bitcast(types.int64, types.float64)

_LOG2E = 1.4426950408889634
_EXP_LO = -708.0  # exp(-708) ~ 3.3e-308: below it the result is 0
_LN2_HI = 6.93145751953125e-1  # few mantissa bits: n * _LN2_HI is exact
_LN2_LO = 1.42860682030941723212e-6
# 1/k! for k = 13 .. 2
_E13 = 1.0 / 6227020800.0
_E12 = 1.0 / 479001600.0
_E11 = 1.0 / 39916800.0
_E10 = 1.0 / 3628800.0
_E9 = 1.0 / 362880.0
_E8 = 1.0 / 40320.0
_E7 = 1.0 / 5040.0
_E6 = 1.0 / 720.0
_E5 = 1.0 / 120.0
_E4 = 1.0 / 24.0
_E3 = 1.0 / 6.0
_E2 = 0.5

_SQRTHF = 0.7071067811865476
_LOG_LN2_HI = 6.93147180369123816490e-01  # its last 32 bits are 0: e * hi is exact
_LOG_LN2_LO = 1.90821492927058770002e-10
_MANT = 0x000FFFFFFFFFFFFF
_HALF_EXP = 0x3FE0000000000000  # the exponent bits of [0.5, 1)


@njit
def exp64(x):
    """exp of a float64 ``x <= 0`` (0 for x < -708, also for -inf)."""
    xc = x if x > _EXP_LO else _EXP_LO
    n = np.floor(xc * _LOG2E + 0.5)
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = _E13
    p = p * r + _E12
    p = p * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = (p * r) * r + r + 1.0
    scale = _i2d((np.int64(n) + np.int64(1023)) << np.int64(52))
    return 0.0 if x < _EXP_LO else p * scale


@njit
def log64(x):
    """Natural log of a finite float64 ``x >= 1`` (any positive normal float64)."""
    bits = _d2i(x)
    e = (bits >> np.int64(52)) - np.int64(1022)
    m = _i2d((bits & np.int64(_MANT)) | np.int64(_HALF_EXP))  # in [0.5, 1)
    small = m < _SQRTHF
    ef = np.float64(e - np.int64(1)) if small else np.float64(e)
    f = (m + m - 1.0) if small else (m - 1.0)  # exact, in [-0.293, 0.414)
    s = f / (2.0 + f)
    z = s * s
    # R(z) = 2 (z/3 + z^2/5 + ... + z^10/21)
    R = 2.0 / 21.0
    R = R * z + 2.0 / 19.0
    R = R * z + 2.0 / 17.0
    R = R * z + 2.0 / 15.0
    R = R * z + 2.0 / 13.0
    R = R * z + 2.0 / 11.0
    R = R * z + 2.0 / 9.0
    R = R * z + 2.0 / 7.0
    R = R * z + 2.0 / 5.0
    R = R * z + 2.0 / 3.0
    R = R * z
    hfsq = 0.5 * f * f
    return ef * _LOG_LN2_HI - ((hfsq - (s * (hfsq + R) + ef * _LOG_LN2_LO)) - f)
