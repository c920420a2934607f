"""torch.nn Module of the DILATE loss (re-exported by ``tsalign.nn``)."""

from __future__ import annotations

import torch

from ._lib.validation import check_float
from .dilate import dilate


class DILATELoss(torch.nn.Module):
    r"""DILATE loss as a torch Module: ``alpha * shape + (1 - alpha) * temporal``.

    Calls :func:`tsalign.dilate` and returns its scalar loss (the batch
    mean), differentiable with its exact gradient, on CPU and CUDA tensors.

    Parameters
    ----------
    alpha : float in [0, 1]
        Weight of the shape (soft-DTW) term.
    gamma : float >= 0
        Smoothing of soft-DTW (see :func:`tsalign.dilate` for ``gamma = 0``).

    Examples
    --------
    >>> import torch
    >>> from tsalign.nn import DILATELoss
    >>> y_true = torch.tensor([[0., 1., 3., 2., 0.]])
    >>> y_pred = torch.tensor([[0., 0., 1., 3., 2.]], requires_grad=True)
    >>> loss = DILATELoss(alpha=0.5, gamma=0.01)(y_pred, y_true)
    >>> loss.backward()
    >>> round(loss.item(), 4), tuple(y_pred.grad.shape)
    (2.08, (1, 5))
    """

    def __init__(self, alpha: float = 0.5, gamma: float = 0.01):
        super().__init__()
        alpha = check_float(alpha, "alpha")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = alpha
        self.gamma = check_float(gamma, "gamma", nonnegative=True)

    def forward(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """DILATE loss of a batch, as :func:`tsalign.dilate` computes it.

        Parameters
        ----------
        y_pred : Tensor, shape (B, M) or (B, M, d)
            Predicted series.  Per-sample lengths are given by padding:
            trailing all-NaN rows mark a shorter series, and each pair is then
            computed on its own lengths (the temporal term of a pair of
            lengths n and m is normalised by ``n * m``).
        y_true : Tensor, shape (B, N) or (B, N, d)
            Target series, padded the same way; N may differ from M.

        Returns
        -------
        Tensor
            The scalar loss (the batch mean of ``alpha * shape + (1 - alpha)
            * temporal``), differentiable with respect to both inputs.
        """
        return dilate(y_pred, y_true, alpha=self.alpha, gamma=self.gamma)[0]

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, gamma={self.gamma}"
