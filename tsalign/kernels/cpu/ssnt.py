"""SSNT transducer lattice on the CPU (numba), forward and backward.

Layout shared with ``kernels/cuda/ssnt.py``: the token rows of every sequence
are rows of one flat array, ``log_probs`` (R, S, V), ``emit`` (R, S) and
``targets`` (R,); sequence ``b`` owns rows ``row_off[b] .. row_off[b] +
tgt_len[b] - 1`` (token ``u`` = 1..J is row ``row_off[b] + u - 1``) and the
frames ``0 .. src_len[b] - 1``.  The padded layout (B, T, ...) is the case
``row_off[b] = b * T``; the packed one is ``row_off = exclusive cumsum of the
target lengths``.  Nothing outside those rows and frames is read, so padding
can hold anything.

The lattice state ``(u, t)`` is "u tokens emitted, at frame t":

    alpha[0, 0] = 0
    alpha[u, t] = logaddexp(alpha[u-1, t] + log e[u, t] + P[u, t],
                            alpha[u, t-1] + log(1 - e[u+1, t-1]))   (shift only for u < J)

and the log-likelihood is ``alpha[J, S_b - 1]``.  Sequence b's lattice rows
``u = 0..J`` are rows ``row_off[b] + b + u`` of ``alpha`` (R + B, S).

``emit`` holds either log e (``mode`` 0, log_p_choose; log(1 - e) is taken
with the log1p/expm1 switch) or logits z (``mode`` 1; log e = logsigmoid(z),
log(1 - e) = logsigmoid(-z)).  Bad values at cells the loss uses are reported
per sequence in ``flags`` (bit 1: target out of range, 2: NaN or +inf in
log_probs, 4: log e > 0 or NaN / NaN logit) rather than raised, so the public
module can name the argument.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._contract import (
    SSNT_FLAG_EMIT,
    SSNT_FLAG_LOG_PROBS,
    SSNT_FLAG_TARGET,
    SSNT_MODE_LOGITS,
)
from ._jit import njit, njit_parallel, njit_parallel_sum
from ._vmath32 import exp32

_LN_HALF = -0.6931471805599453


@njit
def _log_add(a, b):
    m = a if a > b else b
    if m == -np.inf:
        return m
    return m + math.log1p(math.exp(-abs(a - b)))


@njit
def _log1mexp(x):
    # log(1 - exp(x)) for x <= 0: expm1 is exact near 0, log1p far from it
    if x > _LN_HALF:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit
def _log_sigmoid(z):
    if z >= 0:
        return -math.log1p(math.exp(-z))
    return z - math.log1p(math.exp(z))


@njit
def _emit_logs(x, mode):
    """(log e, log(1 - e)) of one cell."""
    if mode == SSNT_MODE_LOGITS:
        return _log_sigmoid(x), _log_sigmoid(-x)
    return x, _log1mexp(x)


@njit_parallel
def _forward_kernel(lattice, alpha, total, flags):
    lp, targets, emit, src_len, tgt_len, row_off, mode = lattice
    B = src_len.shape[0]
    V = lp.shape[2]
    ninf = -np.inf
    for b in prange(B):
        Sb = src_len[b]
        J = tgt_len[b]
        r0 = row_off[b]
        a0 = r0 + b
        flag = 0
        alpha[a0, 0] = 0.0
        for t in range(1, Sb):
            alpha[a0, t] = alpha[a0, t - 1] + _emit_logs(emit[r0, t - 1], mode)[1]
        for u in range(1, J + 1):
            row = r0 + u - 1
            tok = targets[row]
            bad_tok = tok < 0 or tok >= V
            if bad_tok:
                flag |= SSNT_FLAG_TARGET
            prev = alpha[a0 + u - 1]
            cur = alpha[a0 + u]
            left = ninf
            for t in range(Sb):
                x = emit[row, t]
                if mode == SSNT_MODE_LOGITS:
                    if x != x:
                        flag |= SSNT_FLAG_EMIT
                elif not (x <= 0.0):
                    flag |= SSNT_FLAG_EMIT
                le = _emit_logs(x, mode)[0]
                if bad_tok:
                    p = np.nan
                else:
                    p = lp[row, t, tok]
                    if not (p < np.inf):
                        flag |= SSNT_FLAG_LOG_PROBS
                v = prev[t] + le + p
                if u < J and t > 0:
                    v = _log_add(v, left + _emit_logs(emit[row + 1, t - 1], mode)[1])
                cur[t] = v
                left = v
        total[b] = alpha[a0 + J, Sb - 1]
        flags[b] = flag


@njit_parallel
def _backward_kernel(lattice, alpha, total, gout, glp, gem, need_lp, need_em):
    lp, targets, emit, src_len, tgt_len, row_off, mode = lattice
    S = emit.shape[1]
    ninf = -np.inf
    for b in prange(total.shape[0]):
        Z = total[b]
        # an impossible sequence (loss +inf) gets zero gradients, not NaN
        if Z > ninf and Z < np.inf:
            g = gout[b]
            Sb = src_len[b]
            J = tgt_len[b]
            r0 = row_off[b]
            a0 = r0 + b
            bnext = np.empty(S, dtype=alpha.dtype)
            bcur = np.empty(S, dtype=alpha.dtype)
            for t in range(Sb):
                bcur[t] = ninf
            bcur[Sb - 1] = 0.0
            for u in range(J, -1, -1):
                if u < J:
                    # beta[u] from beta[u + 1] (in bnext) through token u + 1
                    rn = r0 + u
                    tok = targets[rn]
                    for t in range(Sb - 1, -1, -1):
                        le, ls = _emit_logs(emit[rn, t], mode)
                        v = le + lp[rn, t, tok] + bnext[t]
                        if t < Sb - 1:
                            v = _log_add(v, ls + bcur[t + 1])
                        bcur[t] = v
                    if need_em:
                        # shift edges (u, t) -> (u, t + 1) weighted by 1 - e[u + 1, t];
                        # the e / (1 - e) factor is folded into the exponent so that
                        # e = 1 (log(1 - e) = -inf) gives a finite gradient
                        for t in range(Sb - 1):
                            x = emit[rn, t]
                            log_a = alpha[a0 + u, t] + bcur[t + 1] - Z
                            if mode == SSNT_MODE_LOGITS:
                                le, ls = _emit_logs(x, mode)
                                gem[rn, t] += g * math.exp(log_a + ls + le)
                            else:
                                gem[rn, t] += g * math.exp(log_a + x)
                if u >= 1:
                    row = r0 + u - 1
                    tok = targets[row]
                    for t in range(Sb):
                        x = emit[row, t]
                        le, ls = _emit_logs(x, mode)
                        log_e = alpha[a0 + u - 1, t] + le + lp[row, t, tok] + bcur[t] - Z
                        occ = math.exp(log_e)
                        if need_lp:
                            glp[row, t, tok] = -g * occ
                        if need_em:
                            if mode == SSNT_MODE_LOGITS:
                                gem[row, t] -= g * math.exp(log_e + ls)
                            else:
                                gem[row, t] -= g * occ
                bnext, bcur = bcur, bnext


def _ints(a):
    return np.ascontiguousarray(a, dtype=np.int64)


def _lattice(log_probs, targets, emit, src_len, tgt_len, row_off, mode):
    """The leading kernel arguments, which describe the lattice (ints as int64)."""
    return (
        log_probs,
        _ints(targets),
        emit,
        _ints(src_len),
        _ints(tgt_len),
        _ints(row_off),
        int(mode),
    )


def ssnt_forward(log_probs, targets, emit, src_len, tgt_len, row_off, mode):
    """Log-likelihood of each sequence and the forward lattice.

    log_probs (R, S, V), emit (R, S) float arrays of one dtype; targets (R,)
    int64; src_len, tgt_len, row_off (B,) int64; mode 0 (emit = log e) or 1
    (emit = logits).  Returns ``(total, alpha, flags)``: total (B,) the
    log-likelihoods, alpha (R + B, S), flags (B,) int32 (see module doc).
    """
    R, S, _ = log_probs.shape
    B = int(np.shape(src_len)[0])
    alpha = np.full((R + B, S), -np.inf, dtype=log_probs.dtype)
    total = np.empty(B, dtype=log_probs.dtype)
    flags = np.zeros(B, dtype=np.int32)
    lattice = _lattice(log_probs, targets, emit, src_len, tgt_len, row_off, mode)
    _forward_kernel(lattice, alpha, total, flags)
    return total, alpha, flags


def ssnt_backward(
    log_probs,
    targets,
    emit,
    src_len,
    tgt_len,
    row_off,
    mode,
    alpha,
    total,
    grad_out,
    grad_log_probs=None,
    grad_emit=None,
):
    """Gradients of ``loss = -total`` scaled by ``grad_out`` (B,).

    Writes into ``grad_log_probs`` (R, S, V) and ``grad_emit`` (R, S), which
    must be zero-filled (either may be None to skip it): only the gathered
    entries ``[row, t, targets[row]]`` of valid rows and frames are written.
    """
    dt = log_probs.dtype
    need_lp = grad_log_probs is not None
    need_em = grad_emit is not None
    glp = grad_log_probs if need_lp else np.empty((0, 0, 0), dtype=dt)
    gem = grad_emit if need_em else np.empty((0, 0), dtype=dt)
    _backward_kernel(
        _lattice(log_probs, targets, emit, src_len, tgt_len, row_off, mode),
        alpha,
        total,
        np.ascontiguousarray(grad_out, dtype=dt),
        glp,
        gem,
        need_lp,
        need_em,
    )


@njit_parallel_sum
def _check_frames_kernel(log_probs, frames, tol, exp_tol, log_v, bad):
    # Row r's first frames[r] frames: bad[r] = 1 if an entry is > tol, 2 if the
    # frame's sum of exp is > exp(tol).  The max bounds the logsumexp by
    # max + log(V), so frames whose max is low enough skip the exp pass; the
    # others sum exp32 of entries <= tol (no overflow, no max shift needed).
    # Both inner loops are branch-free over V (max / sum reductions, with
    # reassociation allowed), which is what lets LLVM vectorise them.
    R = log_probs.shape[0]
    V = log_probs.shape[2]
    for r in prange(R):
        code = 0
        for t in range(frames[r]):
            row = log_probs[r, t]
            m = row[0]
            for v in range(1, V):
                m = max(m, row[v])
            if m > tol:
                code = 1
                break
            if m + log_v > tol:
                s = 0.0
                for v in range(V):
                    s += exp32(np.float32(row[v]))
                if s > exp_tol:
                    code = 2
                    break
        bad[r] = code


def ssnt_check_log_probs(log_probs, frames, tol):
    """Largest bad-input code over the used frames of ``log_probs`` (R, S, V).

    Row r uses its first ``frames[r]`` frames (0 for padded rows).  Returns 0
    when every used entry is <= ``tol`` and every used frame log-sum-exps to
    <= ``tol``; 1 when an entry is larger; 2 when only a frame's logsumexp is.
    The exp is float32's (a few ulp, relative), far inside a tolerance of 1e-3.
    """
    R, S, V = log_probs.shape
    frames = _ints(frames)
    bad = np.zeros(R, dtype=np.int32)
    tol = float(tol)
    _check_frames_kernel.run(
        int(frames.sum()) * int(V),
        log_probs,
        frames,
        tol,
        float(np.exp(tol)),
        float(np.log(V)),
        bad,
    )
    return int(bad.max()) if R else 0
