"""The errors that the SSNT kernels' per-sequence flags stand for.

The lattice kernels check what only they read cheaply (each target within ``[0, V)``, the
gathered log-probabilities and emissions free of NaN) and return one flag word per sequence
(bits in ``kernels/_contract.py``); :func:`check_flags` turns a raised flag into the
ValueError naming the argument.  Shared by ``tsalign.ssnt`` and ``_torch/ssnt.py``.
"""

from __future__ import annotations

import numpy as np

from ..kernels._contract import (
    SSNT_FLAG_EMIT,
    SSNT_FLAG_LOG_PROBS,
    SSNT_FLAG_TARGET,
    SSNT_MODE_LOGITS,
)
from .backend import Backend


def _raise_flags(flags: np.ndarray, mode: int, V: int) -> None:
    for bit in (SSNT_FLAG_TARGET, SSNT_FLAG_EMIT, SSNT_FLAG_LOG_PROBS):
        hit = np.nonzero(flags & bit)[0]
        if hit.size == 0:
            continue
        b = int(hit[0])
        if bit == SSNT_FLAG_TARGET:
            raise ValueError(
                f"targets must be class indices in [0, {V}) (V = log_probs.shape[-1]);"
                f" sequence {b} has one outside that range"
            )
        if bit == SSNT_FLAG_EMIT and mode == SSNT_MODE_LOGITS:
            raise ValueError(f"emit_logits contains NaN (sequence {b})")
        if bit == SSNT_FLAG_EMIT:
            raise ValueError(
                f"log_p_choose must hold log-probabilities (<= 0, not NaN) within the lengths; "
                f"sequence {b} does not (pass logits as emit_logits= instead)"
            )
        raise ValueError(f"log_probs contains NaN or +inf at an entry the loss uses (sequence {b})")


def check_flags(be: Backend, flags, mode: int, V: int) -> None:
    """Raise the error of the first raised flag (``V`` = log_probs.shape[-1])."""
    host = flags if isinstance(flags, np.ndarray) else be.to_numpy(flags)
    if np.any(host):
        _raise_flags(np.asarray(host), mode, V)
