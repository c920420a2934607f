"""The value-only soft-DTW cell of every CPU kernel (anti-diagonals and lanes).

One function, so that the per-pair kernel (a loop over an anti-diagonal's
cells) and the lane kernel (a loop over a lane group's pairs) compute each cell
with the same operations in the same order: results agree bit for bit whichever
kernel (or block of a cdist) computed a pair.  No fast-math flag (vector and
scalar iterations of the loop round alike); the inline exp/log of
:mod:`._vmath` keep the loop free of calls, so LLVM vectorises it.
"""

from __future__ import annotations

from ._jit import njit, njit_inline, njit_vec, njit_vec_exact
from ._vmath import vexp, vlog


@njit_inline
def _shifted_exps(rd, ru, rl, inv_gamma):
    """``(mn, exp((mn - rd) / g), exp((mn - ru) / g), exp((mn - rl) / g))``, mn the
    smallest of the three predecessors: the start of every soft-min cell.

    Inlined into the caller's loop (numba IR), with the caller's fast-math
    flags.  Selects, not the builtin min (which this numba lowers to a slow
    out-of-line path on ties and which blocks vectorisation); three SIMD exps
    are cheaper than sorting out which one is exp(0) = 1 (exactly 1 here too)
    with data-dependent selects.
    """
    mn = rd if rd < ru else ru
    mn = mn if mn < rl else rl
    e_d = vexp((mn - rd) * inv_gamma)
    e_u = vexp((mn - ru) * inv_gamma)
    e_l = vexp((mn - rl) * inv_gamma)
    return mn, e_d, e_u, e_l


@njit_vec_exact
def value_cells(tc, td, tu, tl, gamma, inv_gamma, big, cur):
    """cur[i] = tc[i] + soft-min(td[i], tu[i], tl[i]), or ``big`` if unreachable.

    tc: costs, td/tu/tl: diagonal, upper and left predecessors (contiguous,
    indexed from 0 like ``cur``).  The log-sum-exp is shifted by the smallest
    predecessor; its exp(0) = 1 is computed too (exactly 1), cheaper in SIMD
    than sorting the three out.  ``e_d + (e_u + e_l)`` is symmetric in the up
    and left predecessors, so a pair and its transpose give the same bits.  A
    sentinel predecessor gives exp(-huge) = 0; a cell whose smallest
    predecessor is the sentinel is the sentinel, whatever the arithmetic on
    it gave (no ``inf - inf`` arises: the sentinel is finite).
    """
    for i in range(cur.shape[0]):
        mn, e_d, e_u, e_l = _shifted_exps(td[i], tu[i], tl[i], inv_gamma)
        v = tc[i] + (mn - gamma * vlog(e_d + (e_u + e_l)))
        cur[i] = big if mn >= big else v


@njit
def diag_step(k, n, lo, hi, a, b):
    """Advance the in-band rows of anti-diagonal k: rows b..a (inclusive).

    Row i's band is lo[i] <= j < hi[i] with j = k - i; i + lo[i] and i + hi[i]
    strictly increase with i, so {i : i + lo[i] <= k} is a prefix [0, a] and
    {i : i + hi[i] > k} a suffix [b, n): the diagonal's band is one interval
    whose ends move by at most one row per diagonal.
    """
    while a + 1 < n and a + 1 + lo[a + 1] <= k:
        a += 1
    while b < n and b + hi[b] <= k:
        b += 1
    return a, b


@njit_vec
def weight_cells(tc, td, tu, tl, gamma, inv_gamma, big, cur, twd, twu):
    """:func:`value_cells` that also writes the normalised weights of the
    diagonal and upper predecessors into ``twd``/``twu``.

    The value is :func:`value_cells`' arithmetic in its order, so a soft-DTW
    value is the same to the bit whether its weights are wanted or not (a loss
    with or without gradients, ``soft_dtw`` of tensors that need them or not).

    No calls and no branches (selects only): LLVM vectorises it, with
    :func:`._vmath.vexp`/:func:`._vmath.vlog` in SIMD registers.  The caller passes slices
    so that the loop starts at 0: an index that might be negative gets
    numba's wrap-around select, which stops the vectoriser.
    """
    one = big / big
    zero = big - big
    for i in range(cur.shape[0]):
        mn, e_d, e_u, e_l = _shifted_exps(td[i], tu[i], tl[i], inv_gamma)
        s = e_d + (e_u + e_l)
        inv_s = one / s
        v = tc[i] + (mn - gamma * vlog(s))
        unreachable = mn >= big
        cur[i] = big if unreachable else v
        twd[i] = zero if unreachable else e_d * inv_s
        twu[i] = zero if unreachable else e_u * inv_s
