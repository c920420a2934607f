"""Pure-PyTorch SSNT loss, the benchmark peer of ``tsalign.ssnt``.

Written from the formulation of the ssnt-loss seed (after monotonic
attention): with ``C[j, t] = sum_{l < t} log(1 - e[j, l])`` (the log of the
exclusive cumprod of ``1 - e``, taken with an exclusive cumsum),

    alpha_{j+1}[t] = P[j, t] + log e[j, t] + C[j, t]
                     + logcumsumexp_{t' <= t}(alpha_j[t'] - C[j, t'])

starting from ``alpha_0 = [0, -inf, ..., -inf]``, one vectorised step per
target over the whole batch; the log-likelihood of sequence b is
``alpha_{J_b}[S_b - 1]``.  Unlike the seed there is no clamping at -1e4, and
``log(1 - e)`` uses the log1p/expm1 switch.  The subtraction of ``C`` is the
formulation's weak point: where ``e = 1`` exactly, ``C = -inf`` and the step
gives NaN (the tsalign kernels have no such case); random benchmark inputs
never hit it.

``gather="once"`` picks every target's log-prob with one ``gather`` (its
backward builds the (B, T, S, V) gradient once); ``gather="per_row"`` gathers
inside the loop as the seed does, so autograd materialises one full-size
gradient per target row.  Only the padded layout (B, T, S, V) is implemented.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(x)) for x <= 0."""
    return torch.where(
        x > -0.6931471805599453, torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x))
    )


def ssnt_torch_reference(
    log_probs,
    targets,
    log_p_choose,
    source_lengths,
    target_lengths,
    reduction: str = "mean",
    gather: str = "once",
):
    B, T, S, V = log_probs.shape
    if gather == "once":
        index = targets[:, :, None, None].expand(B, T, S, 1)
        P = log_probs.gather(-1, index).squeeze(-1)  # (B, T, S)
    elif gather != "per_row":
        raise ValueError(f"gather must be 'once' or 'per_row', got {gather!r}")
    C = F.pad(torch.cumsum(log1mexp(log_p_choose), dim=-1)[..., :-1], (1, 0))
    alpha = torch.full((B, S), float("-inf"), dtype=log_probs.dtype, device=log_probs.device)
    alpha = torch.cat([torch.zeros_like(alpha[:, :1]), alpha[:, 1:]], dim=1)
    rows = [alpha]
    for j in range(T):
        if gather == "once":
            P_j = P[:, j]
        else:
            P_j = log_probs[:, j].gather(-1, targets[:, j, None, None].expand(B, S, 1))
            P_j = P_j.squeeze(-1)
        C_j = C[:, j]
        alpha = P_j + log_p_choose[:, j] + C_j + torch.logcumsumexp(alpha - C_j, dim=-1)
        rows.append(alpha)
    A = torch.stack(rows, dim=1)  # (B, T + 1, S)
    b = torch.arange(B, device=log_probs.device)
    tl = torch.as_tensor(target_lengths, device=log_probs.device)
    sl = torch.as_tensor(source_lengths, device=log_probs.device)
    loss = -A[b, tl, sl - 1]
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss
