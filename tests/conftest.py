"""Shared fixtures: a ``backend`` fixture over every array library present.

GPU cases (cupy, torch-cuda) carry the ``gpu`` marker and are skipped where
no CUDA device is available, so the same suite runs on CI and on a GPU box.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest


def _has(mod: str) -> bool:
    return importlib.util.find_spec(mod) is not None


def _cupy_ok() -> bool:
    if not _has("cupy"):
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _torch_cuda_ok() -> bool:
    if not _has("torch"):
        return False
    import torch

    return torch.cuda.is_available() and _cupy_ok()


class Case:
    """One backend under test: how to make its arrays and read them back."""

    def __init__(self, name: str):
        self.name = name
        self.be_string = {
            "numpy": "numpy",
            "torch": "pytorch",
            "cupy": "cupy",
            "torch-cuda": "pytorch",
        }[name]
        self.gpu = name in ("cupy", "torch-cuda")

    def __repr__(self) -> str:
        return self.name

    def asarray(self, x, dtype=np.float64, requires_grad: bool = False):
        x = np.asarray(x, dtype=dtype)
        if self.name == "numpy":
            return x.copy()
        if self.name == "cupy":
            import cupy

            return cupy.asarray(x)
        import torch

        t = torch.tensor(x, device="cuda" if self.gpu else "cpu")
        if requires_grad:
            t.requires_grad_(True)
        return t

    @staticmethod
    def to_numpy(x):
        if isinstance(x, (float, int)):
            return np.asarray(x)
        if hasattr(x, "detach"):
            return x.detach().cpu().numpy()
        if hasattr(x, "get"):
            return x.get()
        return np.asarray(x)


_ALL = ["numpy", "torch", "cupy", "torch-cuda"]


def _params():
    out = []
    for name in _ALL:
        marks = []
        if name in ("cupy", "torch-cuda"):
            marks.append(pytest.mark.gpu)
            ok = _cupy_ok() if name == "cupy" else _torch_cuda_ok()
            if not ok:
                marks.append(pytest.mark.skip(reason=f"{name}: no CUDA device"))
        elif name == "torch" and not _has("torch"):
            marks.append(pytest.mark.skip(reason="torch not installed"))
        out.append(pytest.param(Case(name), id=name, marks=marks))
    return out


@pytest.fixture(params=_params())
def backend(request) -> Case:
    return request.param


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


def tol(dtype) -> dict:
    """Comparison tolerance for results computed in ``dtype``."""
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


@pytest.fixture
def rng():
    return np.random.default_rng(0)
