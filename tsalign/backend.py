"""Backends: which array library a computation runs with, and where.

A :class:`Backend` wraps one array library (numpy, PyTorch or CuPy).  Its array
helpers come from `array-api-compat <https://data-apis.org/array-api-compat/>`_
(``be.zeros``, ``be.sqrt``, ``be.linalg.norm``, ...), so the metric code is
written once for every library.  On top of that it knows the *kernel hooks*:
how to hand an array to the numba (CPU) or CuPy (GPU) kernels without copying
it, and how to wrap a kernel's result back into the caller's array type.

:func:`instantiate_backend` follows tslearn's contract: a Backend instance is
returned as is, the strings ``"numpy"``, ``"pytorch"`` (or ``"torch"``) and
``"cupy"`` pick that backend, an array picks its own library, anything else is
skipped, the first argument that decides wins, and numpy is the default.
Detection is by type, and only among libraries already imported (a torch
tensor cannot exist unless torch was imported), so ``import tsalign`` never
imports torch or cupy.
"""

from __future__ import annotations

from ._lib.backend import (
    Backend,
    CuPyBackend,
    NumPyBackend,
    PyTorchBackend,
    backend_of,
    cast,
    instantiate_backend,
    select_backend,
)

__all__ = [
    "cast",
    "select_backend",
    "Backend",
    "NumPyBackend",
    "PyTorchBackend",
    "CuPyBackend",
    "instantiate_backend",
    "backend_of",
]
