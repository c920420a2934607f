"""torch-only glue: the autograd Functions of each family and the choice between them.

One module per family (``dtw``, ``soft_dtw``, ``dilate``, ``ssnt``) plus ``costs`` (the
squared Euclidean cost matrix the soft-DTW family differentiates through).  These modules
import torch at the top, so they are imported only once a computation has torch tensors
that need gradients; they never import a public module.

Every Function has one shape (after torchaudio's RNN-T loss):

- validation, lengths and the choice of device or of a fused variant happen *before*
  ``apply``, in the public module or in the module-level function that wraps ``apply``
  here (``soft_dtw_from_series`` chooses the fused CPU Function, so every public
  function that differentiates soft-DTW through the series gets it);
- ``forward`` is one kernel call plus ``ctx.save_for_backward`` of what the backward
  needs (saved tensors are never modified afterwards);
- ``backward`` is one kernel call (or a few tensor operations) and returns ``None`` for
  every input whose ``ctx.needs_input_grad`` is False;
- kernels are launched through :func:`backend` (the one PyTorch backend), whose
  ``call_kernel`` already runs them outside ``torch.compile`` tracing: no other level
  carries ``torch.compiler.disable``.
"""

from __future__ import annotations

from .._lib.backend import Backend, instantiate_backend


def backend() -> Backend:
    """The PyTorch backend every Function launches its kernels with (CPU or CUDA by input)."""
    return instantiate_backend("pytorch")
