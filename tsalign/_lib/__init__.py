"""Machinery shared by the public families; no public API lives here.

The house (read this before adding a module)::

    tsalign/
      dtw.py soft_dtw.py dilate.py ssnt.py ...   public API only: validate (with _lib),
                                                 compute (with _lib and the kernels),
                                                 shape the result
      nn.py                                      every torch.nn loss
      backend.py                                 the public backend names (re-exported)
      _lib/       backend-agnostic helpers shared by the families:
                    backend.py      the backend classes and call_kernel, the one dispatch
                    validation.py   inputs -> (B, N, d) arrays + host lengths; lengths,
                                    reductions, dataset pairs
                    constraints.py  tslearn's constraint parameters -> a band; band masks
                    costs.py        squared Euclidean cost matrices
                    paths.py        DTW accumulated costs, optimal paths, feasibility
                    values.py       squared DTW and soft-DTW of validated pairs
                    pairs.py        cdist: validation, kernel path, differentiable path
                                    (pair enumeration, memory-bounded slices)
                    progress.py     the progress bar of verbose cdist calls
                    ssnt_flags.py   the errors behind the SSNT kernels' flags
      _torch/     torch-only glue, one module per family (dtw, soft_dtw, dilate, ssnt,
                  costs): the autograd Functions and the choice between them (fused
                  float32 soft-DTW or not).  Imported only for tensors that need grad.
      kernels/
        _contract.py   the launcher table and the codes shared by Python, numba and CUDA
        cpu/ cuda/     one module per recurrence family and device, same launcher names

Data flows one way: public function -> ``_lib`` validation -> cost -> kernel (through
``Backend.call_kernel``) -> result; with torch gradients the public function or ``_lib``
hands the validated arrays to a ``_torch`` function, whose Functions call the same kernels.

Rules, checked by ``../shared/tools/check_layers.py`` and ``tests/test_contract.py``:

- no module imports an underscore name from a public module (``dtw``, ``soft_dtw``,
  ``dilate``, ``ssnt``, ``nn``, ``plot``, ...); shared code moves here or to ``_torch/``;
- nothing in ``_lib/``, ``_torch/`` or ``kernels/`` imports a public module;
- no import circles (imports inside functions count);
- kernels are reached through ``Backend.call_kernel`` only, and only by launchers that
  ``kernels/_contract.py`` declares (CPU-only ones marked so); a constant that the
  kernels and Python share is written once, in ``_contract.py``;
- every autograd Function has one shape: validation and the choice of variant before
  ``apply``; ``forward`` = kernel call + save; ``backward`` = kernel call, honouring
  ``needs_input_grad``; saved tensors are never modified (see ``tsalign/_torch``);
- docstrings keep invariants and reasons; measured numbers live in
  ``benchmarks/README*.md``.
"""
