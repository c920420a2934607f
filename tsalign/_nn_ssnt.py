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
        """Loss of a batch; arguments as in :func:`tsalign.ssnt`."""
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
