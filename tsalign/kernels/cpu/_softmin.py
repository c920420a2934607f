"""The value-only soft-DTW cell of every CPU kernel (anti-diagonals and lanes).

One function, so that the per-pair kernel (a loop over an anti-diagonal's
cells) and the lane kernel (a loop over a lane group's pairs) compute each cell
with the same operations in the same order: results agree bit for bit whichever
kernel (or block of a cdist) computed a pair.  No fast-math flag (vector and
scalar iterations of the loop round alike); the inline exp/log of
:mod:`._vmath` keep the loop free of calls, so LLVM vectorises it.
"""

from __future__ import annotations

from ._jit import njit_vec_exact
from ._vmath import vexp, vlog


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
        rd = td[i]
        ru = tu[i]
        rl = tl[i]
        mn = rd if rd < ru else ru
        mn = mn if mn < rl else rl
        s = vexp((mn - rd) * inv_gamma) + (
            vexp((mn - ru) * inv_gamma) + vexp((mn - rl) * inv_gamma)
        )
        v = tc[i] + (mn - gamma * vlog(s))
        cur[i] = big if mn >= big else v
