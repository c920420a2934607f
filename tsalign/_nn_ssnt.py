"""``SSNTLoss``: the SSNT loss as a torch module (re-exported by ``tsalign.nn``)."""

from __future__ import annotations

import torch

from .ssnt import _REDUCTIONS, ssnt


class SSNTLoss(torch.nn.Module):
    """SSNT loss module: :func:`tsalign.ssnt` with a fixed reduction.

    Parameters
    ----------
    reduction : {"none", "sum", "mean"}
        Per-sequence losses, their sum, or their mean over the batch.

    Examples
    --------
    >>> import torch
    >>> from tsalign.nn import SSNTLoss
    >>> log_probs = torch.full((1, 1, 1, 2), 0.5).log().requires_grad_()
    >>> loss = SSNTLoss()(log_probs, torch.tensor([[1]]), torch.tensor([[[0.25]]]).log())
    >>> loss.backward()
    >>> round(loss.item(), 6)
    2.079442
    >>> log_probs.grad.flatten().tolist()
    [0.0, -1.0]
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def forward(
        self,
        log_probs,
        targets,
        log_p_choose=None,
        source_lengths=None,
        target_lengths=None,
        *,
        emit_logits=None,
    ):
        """SSNT loss of a batch, as :func:`tsalign.ssnt` computes it.

        Parameters
        ----------
        log_probs : Tensor, shape (B, T, S, V) or (T_flat, S, V)
            Token log-probabilities (padded or packed layout).
        targets : int Tensor, shape (B, T) or (T_flat,)
            Target class indices in ``[0, V)``.
        log_p_choose : Tensor, shape (B, T, S) or (T_flat, S), or None
            Emission log-probabilities; give this or ``emit_logits``.
        source_lengths : int Tensor or sequence, shape (B,), or None
            Frames of each sample (``1 <= S_b <= S``); None: all ``S``.
        target_lengths : int Tensor or sequence, shape (B,), or None
            Targets of each sample (``1 <= J_b <= T``); None: all ``T``
            (needed by the packed layout).  Entries beyond a sample's
            lengths are never read.
        emit_logits : Tensor, shape as ``log_p_choose``, or None
            Emission logits ``z`` instead of ``log_p_choose``: ``log e =
            logsigmoid(z)`` and ``log(1 - e) = logsigmoid(-z)``.

        Returns
        -------
        Tensor
            Per-sample losses, shape (B,), with ``reduction="none"``; their
            sum or mean (a scalar) otherwise.
        """
        return ssnt(
            log_probs,
            targets,
            log_p_choose,
            source_lengths,
            target_lengths,
            reduction=self.reduction,
            emit_logits=emit_logits,
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
