r"""SSNT loss: the segment-to-segment neural transducer lattice (Yu et al., 2016).

The loss of one sequence with ``S`` source frames and ``J`` targets is the
negative log-likelihood of the targets summed over every monotonic alignment
``0 <= a_1 <= ... <= a_J = S - 1`` (with ``a_0 = 0``) of targets to frames:

.. math::

    \log P(y, a) = \sum_{j=1}^{J} \Big( P_{j, a_j} + \log e_{j, a_j}
        + \sum_{l=a_{j-1}}^{a_j - 1} \log(1 - e_{j, l}) \Big),
    \qquad \mathcal{L} = -\log \sum_a P(y, a)

where ``P[j, s] = log_probs[j, s, targets[j]]`` is the token log-probability and
``e[j, s]`` the probability of emitting token ``j`` at frame ``s`` rather than
moving on to the next frame.  It is computed exactly (no clamping) on the
(J + 1) x S lattice of the kernels in ``kernels/{cpu,cuda}/ssnt``, and is
differentiable with torch inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lib.backend import Backend, backend_of, instantiate_backend
from ._lib.docs import fill_doc
from ._lib.ssnt_flags import check_flags
from ._lib.validation import (
    as_array,
    as_int_array,
    check_reduction,
    common_float,
    host_lengths,
)
from .kernels._contract import SSNT_MODE_LOG_P_CHOOSE, SSNT_MODE_LOGITS

__all__ = ["ssnt", "lengths_to_padding_mask"]


# --------------------------------------------------------------------------- helpers
def _float_input(be: Backend, x, name: str, device):
    arr = as_array(be, x, name)
    if be.is_pytorch and arr.device != device:
        raise ValueError(f"{name} is on {arr.device} but log_probs is on {device}")
    if be.is_cupy and arr.device != device:
        raise ValueError(f"{name} is on {arr.device} but log_probs is on {device}")
    return arr


def _check_shape(arr, expected: tuple, name: str, layout: str) -> None:
    if tuple(arr.shape) != expected:
        raise ValueError(
            f"{name} must have shape {expected} for the {layout} layout of log_probs, "
            f"got {tuple(arr.shape)}"
        )


# Rounding allowance of the log-probability checks: a frame's probabilities may
# sum to exp(1e-3) ~ 1.001 (log_softmax in float32 or half, then cast).
LOG_PROB_TOL = 1e-3


def _frame_logsumexp(be: Backend, x):
    """logsumexp over the last axis, on x's device (-inf rows give -inf, +inf gives +inf)."""
    if be.is_pytorch:
        return be.torch.logsumexp(x.detach(), dim=-1)
    xp = be.xp
    m = xp.max(x, axis=-1)
    m_safe = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        total = xp.sum(xp.exp(x - m_safe[..., None]), axis=-1)
        return m_safe + xp.log(total)


_NUMPY = instantiate_backend("numpy")
_LOG_PROBS_ERROR = (
    "log_probs must hold log-probabilities (the output of a log-softmax over V): "
    f"each entry <= 0 and each frame's logsumexp over V <= 0 (tolerance {LOG_PROB_TOL}); "
)


def _check_log_probs(be: Backend, flat_lp, layout, T, src_len, tgt_len, row_off) -> None:
    """Refuse log_probs that are not log-probabilities within the lengths.

    Every entry of every frame a sequence uses must be <= LOG_PROB_TOL and every
    such frame must log-sum-exp to <= LOG_PROB_TOL.  Padding is not looked at.
    On the CPU one parallel kernel pass (max, then a vectorised exp only where
    the max does not already bound the logsumexp); on a GPU the reductions run
    on the device and one bool comes back.
    """
    R, S = int(flat_lp.shape[0]), int(flat_lp.shape[1])
    # frames each row uses: src_len of its sequence for the rows within the
    # target lengths, 0 for padded rows (host ints of size R)
    frames = np.zeros(R, dtype=np.int64)
    for b in range(len(tgt_len)):
        start = b * T if layout == "padded" else int(row_off[b])
        frames[start : start + int(tgt_len[b])] = int(src_len[b])
    x = flat_lp.detach() if be.is_pytorch else flat_lp
    if not be.on_gpu(x):
        host = np.ascontiguousarray(x.numpy() if be.is_pytorch else x)
        code = _NUMPY.call_kernel("ssnt", "ssnt_check_log_probs", host, host, frames, LOG_PROB_TOL)
        too_big, lse_big = code == 1, code == 2
    else:
        xp = be.xp
        dev = be.device_of(x)
        used = xp.asarray(frames, device=dev)[:, None] > xp.arange(S, device=dev)[None, :]
        too_big = bool(xp.any(xp.logical_and(used, xp.max(x, axis=-1) > LOG_PROB_TOL)))
        lse_big = not too_big and bool(
            xp.any(xp.logical_and(used, _frame_logsumexp(be, x) > LOG_PROB_TOL))
        )
    if too_big:
        raise ValueError(_LOG_PROBS_ERROR + "some entry within the lengths is > 0")
    if lse_big:
        raise ValueError(_LOG_PROBS_ERROR + "some frame within the lengths sums to more than 1")


# --------------------------------------------------------------------------- public API
@fill_doc
def ssnt(
    log_probs,
    targets,
    log_p_choose=None,
    source_lengths=None,
    target_lengths=None,
    reduction: str = "mean",
    be: Any = None,
    *,
    emit_logits=None,
):
    r"""SSNT loss: negative log-likelihood of the targets over all monotonic alignments.

    For one sequence with ``S`` frames and ``J`` targets, an alignment is
    ``0 <= a_1 <= ... <= a_J = S - 1`` (``a_0 = 0``) and

    .. math::

        \log P(y, a) = \sum_{j=1}^{J} \Big( P_{j, a_j} + \log e_{j, a_j}
            + \sum_{l=a_{j-1}}^{a_j - 1} \log(1 - e_{j, l}) \Big)

    with ``P[j, s] = log_probs[j, s, targets[j]]`` and ``log e = log_p_choose``.
    The loss is :math:`-\log \sum_a P(y, a)`, computed exactly in log space
    (no clamping: a loss of 15000 is 15000, with its gradient).

    Two layouts, told apart by ``log_probs.ndim``:

    - padded: ``log_probs`` (B, T, S, V), ``targets`` (B, T), ``log_p_choose``
      (B, T, S);
    - packed (the rows of each sequence concatenated, as the reference
      implementation's ``ssnt_loss_mem``): ``log_probs`` (T_flat, S, V),
      ``targets`` (T_flat,), ``log_p_choose`` (T_flat, S), with
      ``T_flat = sum(target_lengths)``.

    Entries beyond a sequence's lengths are never read: padding, whatever it
    holds, does not change the loss, and ``S`` may exceed the longest source.

    Parameters
    ----------
    log_probs : array, shape (B, T, S, V) or (T_flat, S, V)
        Token log-probabilities (the output of a log-softmax over V).
    targets : int array, shape (B, T) or (T_flat,)
        Target class indices in ``[0, V)`` (only those within
        ``target_lengths`` are read).
    log_p_choose : array, shape (B, T, S) or (T_flat, S), or None
        Emission log-probabilities ``log e`` (``<= 0``, e.g. from
        ``logsigmoid``); ``log(1 - e)`` is derived stably.  Give this or
        ``emit_logits``.
    source_lengths : int array (B,) or None
        Frames of each sequence (``1 <= S_b <= S``); None: all ``S``.
    target_lengths : int array (B,) or None
        Targets of each sequence (``1 <= J_b <= T``); None: all ``T``
        (padded layout only: the packed layout needs them).
    reduction : {"none", "sum", "mean"}
        Per-sequence losses (B,), their sum, or their mean over the batch.
    %(be)s
    emit_logits : array, same shape as ``log_p_choose``, or None
        Emission logits ``z`` instead of ``log_p_choose``:
        ``log e = logsigmoid(z)`` and ``log(1 - e) = logsigmoid(-z)``, both
        accurate even where ``e`` rounds to 1.

    Returns
    -------
    float or array
        Shape (B,) for ``reduction="none"``, else a scalar (a Python float on
        numpy, a 0-d tensor/array otherwise), in float64 if any float input is
        float64, else float32.  Differentiable with torch inputs that require
        grad (w.r.t. ``log_probs`` and ``log_p_choose`` / ``emit_logits``); a
        sequence no alignment can produce has loss ``inf`` and zero gradient.

    Raises
    ------
    ValueError
        For shapes that do not match a layout, lengths outside ``[1, S]`` /
        ``[1, T]`` or of the wrong batch size, an unknown reduction, targets
        outside ``[0, V)``, ``log_p_choose > 0`` or NaN within the lengths,
        ``log_probs`` that are not log-probabilities within the lengths (an
        entry > 0, or a frame whose logsumexp over V is > 0, beyond a rounding
        allowance of 1e-3).
    TypeError
        For non-integer targets or lengths.

    Examples
    --------
    One frame and one target: the only alignment emits it at frame 0, so the
    loss is ``-(log 0.5 + log 0.25)``.

    >>> import numpy as np
    >>> log_probs = np.log(np.full((1, 1, 1, 2), 0.5))
    >>> ssnt(log_probs, [[1]], np.log([[[0.25]]]))
    2.0794415416798357

    A padded batch of two with different lengths, and the same batch packed:

    >>> rng = np.random.default_rng(0)
    >>> lp = np.log(rng.dirichlet(np.ones(5), size=(2, 3, 4)))
    >>> y = rng.integers(0, 5, size=(2, 3))
    >>> z = rng.normal(size=(2, 3, 4))
    >>> src, tgt = np.array([4, 2]), np.array([3, 2])
    >>> padded = ssnt(lp, y, source_lengths=src, target_lengths=tgt,
    ...               reduction="none", emit_logits=z)
    >>> keep = ~lengths_to_padding_mask(tgt)
    >>> packed = ssnt(lp[keep], y[keep], source_lengths=src, target_lengths=tgt,
    ...               reduction="none", emit_logits=z[keep])
    >>> bool(np.allclose(padded, packed))
    True
    """
    check_reduction(reduction)
    if (log_p_choose is None) == (emit_logits is None):
        raise ValueError("give exactly one of log_p_choose and emit_logits")
    emit_name = "log_p_choose" if emit_logits is None else "emit_logits"
    mode = SSNT_MODE_LOG_P_CHOOSE if emit_logits is None else SSNT_MODE_LOGITS
    emit_in = log_p_choose if emit_logits is None else emit_logits

    be = backend_of(log_probs, targets, emit_in, be=be)
    lp = as_array(be, log_probs, "log_probs")
    device = be.device_of(lp)
    emit = _float_input(be, emit_in, emit_name, device)
    lp, emit = common_float(be, lp, emit)
    tg = as_int_array(be, targets, "targets", device)

    if lp.ndim == 4:
        layout = "padded"
        B, T, S, V = (int(n) for n in lp.shape)
        _check_shape(tg, (B, T), "targets", layout)
        _check_shape(emit, (B, T, S), emit_name, layout)
    elif lp.ndim == 3:
        layout = "packed"
        R, S, V = (int(n) for n in lp.shape)
        _check_shape(tg, (R,), "targets", layout)
        _check_shape(emit, (R, S), emit_name, layout)
    else:
        raise ValueError(
            "log_probs must have shape (B, T, S, V) (padded) or (T_flat, S, V) (packed), "
            f"got {tuple(lp.shape)}"
        )
    if S == 0 or V == 0 or (layout == "padded" and (B == 0 or T == 0)):
        raise ValueError(f"log_probs must not be empty, got shape {tuple(lp.shape)}")

    if layout == "padded":
        if target_lengths is None:
            tgt_len = np.full(B, T, dtype=np.int64)
        else:
            tgt_len = host_lengths(
                target_lengths, "target_lengths", count=B, maximum=T, what="log_probs.shape[1]"
            )
        row_off = np.arange(B, dtype=np.int64) * T
    else:
        if target_lengths is None:
            raise ValueError(
                "target_lengths is required with the packed layout "
                "(log_probs of shape (T_flat, S, V))"
            )
        tgt_len = host_lengths(
            target_lengths, "target_lengths", maximum=R, what="log_probs.shape[0]"
        )
        B = int(tgt_len.shape[0])
        if B == 0:
            raise ValueError("target_lengths must not be empty")
        if int(tgt_len.sum()) != R:
            raise ValueError(
                f"target_lengths must sum to T_flat = log_probs.shape[0] = {R} in the packed "
                f"layout, got sum {int(tgt_len.sum())}"
            )
        row_off = np.concatenate([[0], np.cumsum(tgt_len)[:-1]]).astype(np.int64)
    if source_lengths is None:
        src_len = np.full(B, S, dtype=np.int64)
    else:
        src_len = host_lengths(
            source_lengths, "source_lengths", count=B, maximum=S, what="log_probs' source dimension"
        )

    flat_lp = be.xp.reshape(lp, (-1, S, V))
    _check_log_probs(be, flat_lp, layout, T if layout == "padded" else 0, src_len, tgt_len, row_off)
    flat_emit = be.xp.reshape(emit, (-1, S))
    flat_tg = be.xp.reshape(tg, (-1,))
    lattice = (flat_tg, flat_emit, src_len, tgt_len, row_off, mode)
    if be.needs_grad(lp, emit):
        from ._torch.ssnt import ssnt_nll

        loss = ssnt_nll(flat_lp, *lattice)
    else:
        total, _, flags = be.call_kernel("ssnt", "ssnt_forward", flat_lp, flat_lp, *lattice)
        check_flags(be, flags, mode, V)
        loss = -total
    if reduction == "none":
        return loss
    value = be.xp.sum(loss)
    if reduction == "mean":
        value = value / B
    return float(value) if be.is_numpy else value


def lengths_to_padding_mask(lengths, *, max_len: int | None = None):
    """Boolean padding mask (B, max_len): True where a position is beyond its length.

    The helper of the reference SSNT implementation: ``~lengths_to_padding_mask(
    target_lengths)`` selects the valid rows of a padded (B, T, ...) array,
    which is how the packed layout of :func:`ssnt` is built.

    Parameters
    ----------
    lengths : int array, shape (B,)
        Non-negative lengths (numpy, torch or cupy; a list is taken as numpy).
    max_len : int or None
        Width of the mask, ``>= max(lengths)``; default ``max(lengths)``.

    Returns
    -------
    array of bool, shape (B, max_len)
        Of the library (and device) of ``lengths``.

    Examples
    --------
    >>> lengths_to_padding_mask([3, 1])
    array([[False, False, False],
           [False,  True,  True]])
    >>> lengths_to_padding_mask([1], max_len=2)
    array([[False,  True]])
    """
    be = backend_of(lengths)
    host = host_lengths(lengths, "lengths", minimum=0)
    if max_len is None:
        width = int(host.max()) if host.size else 0
    else:
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)):
            raise TypeError(f"max_len must be an integer or None, got {max_len!r}")
        width = int(max_len)
        if width < 0:
            raise ValueError(f"max_len must be >= 0, got {width}")
        longest = int(host.max()) if host.size else 0
        if width < longest:
            raise ValueError(
                f"max_len must be >= max(lengths) = {longest} (a narrower mask would drop "
                f"positions of the longest sequences), got {width}"
            )
    if not be.is_array(lengths):
        return np.arange(width)[None, :] >= host[:, None]
    xp = be.xp
    dev = be.device_of(lengths)
    pos = xp.arange(width, device=dev)
    lens = xp.asarray(lengths, device=dev)
    return pos[None, :] >= xp.astype(lens, pos.dtype)[:, None]
