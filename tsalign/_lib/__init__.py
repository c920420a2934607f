"""Machinery shared by the public families; no public API lives here.

The house (read this before adding a module)::

    tsalign/
      dtw.py soft_dtw.py dilate.py ssnt.py ...   public API only: validate (here), call the
                                                 kernels through Backend.call_kernel, shape
                                                 the result
      nn.py                                      every torch.nn loss
      backend.py                                 the public backend names (re-exported)
      _lib/       backend-agnostic helpers shared by the families: the backend classes,
                  validation and lengths, constraints, costs, DTW paths and feasibility,
                  progress.  Never imports a public module.
      _torch/     torch-only glue, one file per family: the autograd Functions and the
                  choice between them.  Never imports a public module.
      kernels/
        _contract.py   the launcher table and the codes shared by Python, numba and CUDA
        cpu/ cuda/     one module per recurrence family and device, same launcher names

Rules, checked by ``../shared/tools/check_layers.py`` and ``tests/test_contract.py``:

- no module imports an underscore name from a public module (``dtw``, ``soft_dtw``,
  ``dilate``, ``ssnt``, ``nn``, ``plot``, ...); shared code moves here or to ``_torch/``;
- nothing in ``_lib/``, ``_torch/`` or ``kernels/`` imports a public module;
- no import circles;
- kernels are reached through ``Backend.call_kernel`` only, and only by launchers that
  ``kernels/_contract.py`` declares.
"""
