"""instantiate_backend follows tslearn's contract; detection never imports frameworks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import tsalign
from tsalign.backend import (
    Backend,
    CuPyBackend,
    NumPyBackend,
    PyTorchBackend,
    backend_of,
    instantiate_backend,
)


@pytest.mark.parametrize(
    "args, expected",
    [
        (("numpy",), "numpy"),
        (("pytorch",), "pytorch"),
        (("torch",), "pytorch"),
        ((np.array([0]),), "numpy"),
        ((None,), "numpy"),
        (("Hello, World!",), "numpy"),
        ((), "numpy"),
        ((1, None, "Hello, World!"), "numpy"),
        ((1, None, "Hello, World!", torch.tensor([0]), "numpy"), "pytorch"),
        ((np.array([0]), torch.tensor([0])), "numpy"),
        (([torch.tensor([0.0])],), "numpy"),  # tslearn: a list is "anything else"
    ],
)
def test_seed_contract(args, expected):
    assert instantiate_backend(*args).backend_string == expected


def test_tensor_picks_pytorch_and_instance_is_returned_as_is():
    be = instantiate_backend(torch.tensor([0]))
    assert be.backend_string == "pytorch" and be.is_pytorch
    assert instantiate_backend(be) is be
    custom = NumPyBackend()
    assert instantiate_backend(custom, torch.tensor([0])) is custom


def test_cupy_string_gives_cupy_backend_class():
    # the class is chosen without importing cupy; instantiating needs cupy
    from tsalign._lib.backend import _BY_NAME

    assert _BY_NAME["cupy"] is CuPyBackend


def test_array_helpers_follow_numpy_names():
    be = instantiate_backend("pytorch")
    mat = be.array([[0, 1], [2, 3]], dtype=float)
    assert isinstance(mat, torch.Tensor) and mat.dtype == torch.float64
    assert float(be.linalg.norm(mat)) == pytest.approx(3.7416573867739413)
    bn = instantiate_backend("numpy")
    m2 = bn.array([[0, 1], [2, 3]], dtype=float)
    assert m2.dtype == np.float64
    assert float(bn.linalg.norm(m2)) == pytest.approx(3.7416573867739413)
    # helpers come from array-api-compat
    assert bool(be.all(be.isfinite(be.zeros(3))))
    assert be.float32 is torch.float32


def test_backend_of_refuses_mixed_libraries():
    with pytest.raises(TypeError, match="numpy.ndarray and torch.Tensor"):
        backend_of(np.zeros(3), torch.zeros(3))
    # an explicit backend settles it
    assert backend_of(np.zeros(3), torch.zeros(3), be="pytorch").is_pytorch
    # a list of tensors is torch's (unlike tslearn's string matching)
    assert backend_of([torch.zeros(3), torch.zeros(2)]).is_pytorch


def test_backend_of_rejects_unknown_be():
    with pytest.raises(ValueError, match="be:"):
        backend_of(np.zeros(3), be="tensorflow")


def test_metric_be_argument_converts_inputs():
    v = tsalign.dtw([1.0, 2.0, 3.0], [3.0, 4.0, -3.0], be="pytorch")
    assert isinstance(v, torch.Tensor) and v.ndim == 0
    v2 = tsalign.dtw(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([3.0, 4.0, -3.0]), be="numpy")
    assert isinstance(v2, float)
    assert v2 == pytest.approx(float(v))


def test_backend_is_a_backend():
    assert isinstance(instantiate_backend("numpy"), Backend)
    assert isinstance(instantiate_backend("pytorch"), PyTorchBackend)


def test_import_is_light():
    code = (
        "import sys, tsalign\n"
        "heavy = [m for m in ('torch', 'cupy', 'numba') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import tsalign imported {out}"


def test_detection_does_not_import_frameworks():
    code = (
        "import sys, numpy as np\n"
        "from tsalign import instantiate_backend, dtw\n"
        "instantiate_backend([1, 2], 'hello', np.zeros(2))\n"
        "dtw([1., 2.], [2., 3.])\n"
        "print('torch' in sys.modules, 'cupy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False False"
