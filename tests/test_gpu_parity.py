"""The emulator's CPU-vs-GPU parity tests, run on a real CUDA device.

``tests/test_cuda_emulated.py`` checks every CUDA launcher against the numba
kernels with CuPy faked by numpy and the kernels run by the host emulator.  This
module collects the same test functions (every one that takes the
``gpu_family`` fixture) and overrides that fixture: the launchers of
``tsalign/kernels/cuda/`` then run on the GPU, with real CuPy.  Float arrays go
to the device, integer arrays (lengths, offsets: host arrays in
``Backend.call_kernel`` too) stay on the host, results come back to numpy, and
arrays the launcher writes in place (gradients) are copied back.  Everything
here carries the ``gpu`` marker and is skipped without a device.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from tsalign.kernels._contract import LAUNCHERS

from . import test_cuda_emulated as _emulated
from .conftest import _cupy_ok

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _cupy_ok(), reason="no CUDA device (CuPy)"),
]


def _to_device(a):
    import cupy

    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return cupy.asarray(a)
    return a


def _to_host(x):
    if isinstance(x, tuple):
        return tuple(_to_host(v) for v in x)
    if isinstance(x, list):
        return [_to_host(v) for v in x]
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return x


class _OnDevice:
    """A kernels/cuda/<family> module whose launchers take and return numpy arrays."""

    def __init__(self, family: str):
        mod = importlib.import_module(f"tsalign.kernels.cuda.{family}")
        object.__setattr__(self, "_mod", mod)
        object.__setattr__(self, "_launchers", set(LAUNCHERS[family]))

    def __getattr__(self, name):
        attr = getattr(self._mod, name)
        if name not in self._launchers:
            return attr

        def call(*args, **kwargs):
            import cupy

            dev = [_to_device(a) for a in args]
            kw = {k: _to_device(v) for k, v in kwargs.items()}
            out = attr(*dev, **kw)
            cupy.cuda.runtime.deviceSynchronize()
            for a, d in zip(args, dev, strict=True):
                if d is not a and a.flags.writeable:
                    a[...] = d.get()  # in-place outputs (the gradient buffers)
            return _to_host(out)

        return call

    # monkeypatch.setattr(gpu, "_SMEM_BYTES", 64) must reach the module itself
    def __setattr__(self, name, value):
        setattr(self._mod, name, value)

    def __delattr__(self, name):
        delattr(self._mod, name)


@pytest.fixture
def gpu_family():
    return _OnDevice


_COLLECTED = []
for _name, _fn in vars(_emulated).items():
    if (
        _name.startswith("test_")
        and callable(_fn)
        and "gpu_family" in inspect.signature(_fn).parameters
    ):
        globals()[_name] = _fn
        _COLLECTED.append(_name)


def test_parity_covers_every_family():
    """Every family with a CUDA launcher has at least one parity test here."""
    text = inspect.getsource(_emulated)
    for family in LAUNCHERS:
        cuda_ones = [n for n, where in LAUNCHERS[family].items() if where == "both"]
        if cuda_ones:
            assert f'gpu_family("{family}")' in text, family
    assert _COLLECTED
