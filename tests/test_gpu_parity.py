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


def _host_facing(fn):
    """``fn`` taking and returning numpy arrays, run on the device in between."""

    def call(*args, **kwargs):
        import cupy

        dev = [_to_device(a) for a in args]
        kw = {k: _to_device(v) for k, v in kwargs.items()}
        converted = any(d is not a for d, a in zip(dev, args, strict=True)) or any(
            kw[k] is not v for k, v in kwargs.items()
        )
        out = fn(*dev, **kw)
        if not converted:  # called with device arrays (from another launcher): as is
            return out
        cupy.cuda.runtime.deviceSynchronize()
        for a, d in zip(args, dev, strict=True):
            if d is not a and a.flags.writeable:
                a[...] = d.get()  # in-place outputs (the gradient buffers)
        return _to_host(out)

    call.host_facing = True
    return call


@pytest.fixture
def gpu_family(monkeypatch):
    """Import kernels/cuda/<family>.py with its launchers host-facing, on the real GPU."""

    def load(family: str):
        mod = importlib.import_module(f"tsalign.kernels.cuda.{family}")
        for name, where in LAUNCHERS[family].items():
            fn = getattr(mod, name, None)
            if where == "both" and fn is not None and not getattr(fn, "host_facing", False):
                monkeypatch.setattr(mod, name, _host_facing(fn))
        return mod

    return load


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
