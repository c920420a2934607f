"""Float64 SSNT reference by enumeration of every alignment (tiny sizes only).

Written from the definition in issue 5, not from the lattice recurrence: for
one sequence with S frames and J targets, an alignment is
``0 <= a_1 <= ... <= a_J = S - 1`` (with ``a_0 = 0``) and

    log P(y, a) = sum_j ( P[j, a_j] + log e[j, a_j]
                          + sum_{l = a_{j-1}}^{a_j - 1} log(1 - e[j, l]) )

where ``P[j, s] = log_probs[j, s, targets[j]]``.  The loss is
``-log sum_a exp(log P(y, a))``.  Gradients are central finite differences
of this function.
"""

from __future__ import annotations

import itertools

import numpy as np


def alignments(S: int, J: int):
    """Every non-decreasing (a_1, ..., a_J) with a_J = S - 1."""
    for head in itertools.combinations_with_replacement(range(S), J - 1):
        yield (*head, S - 1)


def _logsumexp(v: np.ndarray) -> float:
    m = np.max(v)
    if m == -np.inf:
        return -np.inf
    return float(m + np.log(np.sum(np.exp(v - m))))


def sequence_loss(P: np.ndarray, log_e: np.ndarray, log_1me: np.ndarray) -> float:
    """Loss of one sequence from (J, S) arrays of P, log e and log(1 - e)."""
    J, S = P.shape
    terms = []
    for a in alignments(S, J):
        total = 0.0
        prev = 0
        for j in range(J):
            total += P[j, a[j]] + log_e[j, a[j]]
            for lvl in range(prev, a[j]):
                total += log_1me[j, lvl]
            prev = a[j]
        terms.append(total)
    return -_logsumexp(np.asarray(terms, dtype=np.float64))


def _emit_logs(emit: np.ndarray, logits: bool):
    emit = np.asarray(emit, dtype=np.float64)
    if logits:
        # log sigmoid(z) and log sigmoid(-z), written out in float64
        return -np.logaddexp(0.0, -emit), -np.logaddexp(0.0, emit)
    with np.errstate(divide="ignore"):
        return emit, np.log(-np.expm1(emit))


def ssnt_padded_ref(
    log_probs, targets, emit, source_lengths, target_lengths, logits: bool = False
) -> np.ndarray:
    """Per-sequence losses (B,) of the padded layout (B, T, S, V)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    targets = np.asarray(targets)
    out = []
    for b in range(log_probs.shape[0]):
        S, J = int(source_lengths[b]), int(target_lengths[b])
        P = np.array([[log_probs[b, j, s, targets[b, j]] for s in range(S)] for j in range(J)])
        le, l1 = _emit_logs(np.asarray(emit)[b, :J, :S], logits)
        out.append(sequence_loss(P, le, l1))
    return np.asarray(out)


def finite_diff(f, x: np.ndarray, eps: float = 1e-6, entries=None) -> np.ndarray:
    """Central differences of scalar ``f`` at ``x`` (all entries, or the given ones)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    idx = np.ndindex(x.shape) if entries is None else entries
    for i in idx:
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad
