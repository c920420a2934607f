"""torch.nn losses built on the tsalign kernels (importing this module imports torch).

:class:`SoftDTWLoss` is tslearn's ``SoftDTWLossPyTorch`` without its limits
(per-sample lengths, a choice of reduction, finite gradients under
constraints, no float32 round trip, no B x N x M x d intermediate);
:class:`SoftDTW` is the drop-in signature of pytorch-softdtw-cuda.  Both run
on CPU tensors (numba) and CUDA tensors (CuPy kernels); the device follows the
inputs.  Under ``torch.autocast`` the costs and the recursion run in float32
(or float64 for float64 inputs), never in half precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    from ._lib.dist import install_hint

    raise ImportError(
        f"tsalign.nn needs PyTorch, which is not installed: {install_hint('torch')}"
    ) from exc

from ._lib.backend import instantiate_backend
from ._lib.constraints import resolve_band
from ._lib.costs import sq_euclidean
from ._lib.docs import fill_doc
from ._lib.validation import (
    SeriesBatch,
    check_finite,
    check_float,
    check_reduction,
    host_lengths,
    series_pair,
)
from ._lib.values import soft_dtw_cost_values, soft_dtw_values
from ._torch.costs import sq_euclidean_cost
from .dilate import dilate
from .ssnt import ssnt

__all__ = ["SoftDTWLoss", "SoftDTW", "DILATELoss", "SSNTLoss"]


def _lengths(value, name: str, B: int, N: int, found: np.ndarray) -> np.ndarray:
    """Explicit per-sample lengths as host int64, checked against the data."""
    if value is None:
        return found
    host = host_lengths(value, name, count=B, maximum=N, what="the sequence length", flatten=True)
    if np.any(host > found):
        b = int(np.argmax(host > found))
        raise ValueError(
            f"{name}[{b}]={int(host[b])} exceeds the series' length without its trailing NaN "
            f"padding ({int(found[b])})"
        )
    return host


@fill_doc
class SoftDTWLoss(torch.nn.Module):
    r"""Soft-DTW loss between batches of sequences.

    .. math::

        \text{soft-DTW}_\gamma(X, Y) = \min_\pi{}^\gamma \sum_{(i, j) \in \pi} d(X_i, Y_j)

    with :math:`d` the squared Euclidean distance or ``dist_func``; with
    ``normalize=True`` the soft-DTW divergence
    :math:`\text{sdtw}(X, Y) - \frac12(\text{sdtw}(X, X) + \text{sdtw}(Y, Y))`.

    Parameters
    ----------
    gamma : float
        Smoothing, >= 0 (0 is squared DTW, differentiable along the optimal
        path).
    normalize : bool
        Return the soft-DTW divergence (non-negative, zero for X = Y).
    reduction : {"none", "mean", "sum"}
        "none" returns one loss per pair, shape (B,) (what tslearn and
        pytorch-softdtw-cuda return).
    dist_func : callable or None
        ``dist_func(x, y) -> (B, N, M)`` cost between frames, built with torch
        operations (it receives the gradient of the loss w.r.t. the cost
        matrix).  Default: squared Euclidean, computed without a
        (B, N, M, d) intermediate.
    %(constraint_as_soft_dtw)s

    Notes
    -----
    Memory per pair (N x M, floats of s bytes): forward builds the cost
    matrix (``N M s``; with the default cost it is not kept, its backward is
    two batched matmuls on the series; a ``dist_func`` keeps what its own
    autograd needs) and keeps the soft-min weights (``2 N M s``); backward
    allocates the expected alignment and the cost gradient (``2 N M s``).
    CPU inputs (float32, float64) with the default cost take a fused path: the costs
    are computed inside the forward kernel (no cost matrix) and backward
    turns the expected alignment into the series' gradients in one pass
    (``N M s`` in all for backward).
    ``normalize=True`` adds the same for the (X, X) and (Y, Y) pairs.

    Examples
    --------
    >>> import torch
    >>> loss = SoftDTWLoss(gamma=1.0)
    >>> x = torch.zeros((5, 10, 8), requires_grad=True)
    >>> loss(x, torch.ones((5, 12, 8)))
    tensor([91.9806, 91.9806, 91.9806, 91.9806, 91.9806], grad_fn=<...>)
    >>> SoftDTWLoss(gamma=1.0, normalize=True, reduction="mean")(x, torch.ones((5, 12, 8)))
    tensor(107.8901, grad_fn=<...>)
    """

    def __init__(
        self,
        gamma: float = 1.0,
        normalize: bool = False,
        reduction: str = "none",
        dist_func: Callable | None = None,
        global_constraint: str | None = None,
        sakoe_chiba_radius: int | None = None,
        itakura_max_slope: float | None = None,
    ) -> None:
        super().__init__()
        self.gamma = check_float(gamma, "gamma", nonnegative=True)
        if not isinstance(normalize, (bool, np.bool_)):
            raise TypeError(f"normalize must be a bool, got {normalize!r}")
        self.normalize = bool(normalize)
        self.reduction = check_reduction(reduction)
        if dist_func is not None and not callable(dist_func):
            raise TypeError(f"dist_func must be a callable or None, got {type(dist_func).__name__}")
        self.dist_func = dist_func
        self.band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, normalize={self.normalize}, reduction={self.reduction!r}"

    def forward(self, x, y, x_lengths=None, y_lengths=None):
        """Loss between ``x`` (B, N, d) and ``y`` (B, M, d).

        Parameters
        ----------
        x, y : Tensor
            Batches of sequences (``(N, d)`` and ``(M, d)`` are taken as a
            batch of one).  Trailing all-NaN rows mark shorter sequences.
        x_lengths, y_lengths : sequence of int, Tensor or None
            Per-sample lengths (the rest of each sequence is ignored): the
            loss of each pair is exactly that of the trimmed pair.

        Returns
        -------
        Tensor
            Shape (B,) with ``reduction="none"``, else a scalar.
        """
        for name, t in (("x", x), ("y", y)):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        # autocast would run the cost matmul in half precision: the costs and
        # the recursion need float32 at least
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self._forward(x, y, x_lengths, y_lengths)

    def _forward(self, x, y, x_lengths, y_lengths):
        be = instantiate_backend("pytorch")
        if x.ndim == 2:
            x = x[None]
        if y.ndim == 2:
            y = y[None]
        a, b, _ = series_pair(be, x, y, names=("x", "y"))
        B, N, M = a.X.shape[0], a.X.shape[1], b.X.shape[1]
        lx = _lengths(x_lengths, "x_lengths", B, N, a.lengths)
        ly = _lengths(y_lengths, "y_lengths", B, M, b.lengths)
        loss = self._sdtw(be, a.X, b.X, lx, ly)
        if self.normalize:
            xx = self._sdtw(be, a.X, a.X, lx, lx)
            yy = self._sdtw(be, b.X, b.X, ly, ly)
            loss = loss - 0.5 * (xx + yy)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def _cost(self, be, X, Y):
        if self.dist_func is None:
            if torch.is_grad_enabled() and (X.requires_grad or Y.requires_grad):
                return sq_euclidean_cost(X, Y)
            return sq_euclidean(be, X, Y)
        C = self.dist_func(X, Y)
        expected = (X.shape[0], X.shape[1], Y.shape[1])
        if not isinstance(C, torch.Tensor) or tuple(C.shape) != expected:
            shape = tuple(C.shape) if isinstance(C, torch.Tensor) else type(C).__name__
            raise ValueError(f"dist_func must return a tensor of shape {expected}, got {shape}")
        if C.dtype not in (torch.float32, torch.float64):
            C = C.to(X.dtype if X.dtype in (torch.float32, torch.float64) else torch.float32)
        check_finite(be, C.detach(), "dist_func", " output")
        return C

    def _sdtw(self, be, X, Y, lx, ly):
        if self.dist_func is None and self.gamma > 0:
            # series, not a cost matrix: with gradients the Functions of _torch/soft_dtw.py
            # (which choose the fused CPU one), without them the values kernel
            # that computes the costs on the fly (lane groups on the CPU)
            a, b = SeriesBatch(X, lx), SeriesBatch(Y, ly)
            return soft_dtw_values(be, a, b, self.band, self.gamma)
        C = self._cost(be, X, Y)
        if not C.is_contiguous():
            C = C.contiguous()
        return soft_dtw_cost_values(be, C, lx, ly, self.band, self.gamma)


class SoftDTW(SoftDTWLoss):
    """Drop-in replacement of pytorch-softdtw-cuda's ``SoftDTW`` module.

    ``SoftDTW(use_cuda, gamma=1.0, normalize=False, bandwidth=None,
    dist_func=None)(x, y)`` returns the (B,) soft-DTW losses, as the original,
    without its limits: no cap on the sequence lengths, costs without a
    (B, N, M, d) tensor, CPU and CUDA tensors alike.

    Parameters
    ----------
    use_cuda : bool
        Accepted for compatibility and ignored: the computation runs where
        the inputs are.
    gamma : float
        Smoothing, >= 0.
    normalize : bool
        Return the soft-DTW divergence.
    bandwidth : float or None
        Sakoe-Chiba pruning: cells with ``|i - j| > bandwidth`` are skipped
        (``None`` or 0 disable it, as in the original).  When N != M the band
        is widened by ``|N - M|`` towards the longer sequence (tslearn's
        Sakoe-Chiba band of radius ``floor(bandwidth)``): it then contains
        every cell within ``bandwidth`` of the straight line from (0, 0) to
        (N-1, M-1), so the end cell stays reachable, where the original
        returns ``inf`` as soon as ``|N - M| > bandwidth``.
    dist_func : callable or None
        ``dist_func(x, y) -> (B, N, M)``; default squared Euclidean.

    Examples
    --------
    >>> import torch
    >>> sdtw = SoftDTW(use_cuda=False, gamma=0.1)
    >>> x = torch.zeros((2, 5, 3), requires_grad=True)
    >>> sdtw(x, torch.ones((2, 7, 3))).shape
    torch.Size([2])
    """

    def __init__(
        self,
        use_cuda: bool,
        gamma: float = 1.0,
        normalize: bool = False,
        bandwidth: float | None = None,
        dist_func: Callable | None = None,
    ) -> None:
        radius = None
        if bandwidth is not None:
            bw = check_float(bandwidth, "bandwidth", nonnegative=True)
            if bw > 0:
                radius = int(math.floor(bw))
        super().__init__(
            gamma=gamma,
            normalize=normalize,
            reduction="none",
            dist_func=dist_func,
            sakoe_chiba_radius=radius,
        )
        self.use_cuda = use_cuda
        self.bandwidth = bandwidth


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
        self.reduction = check_reduction(reduction)

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
