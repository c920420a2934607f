"""The kernel contract: every declared launcher exists on each device it is declared for."""

from __future__ import annotations

import importlib
import inspect

import pytest

from tsalign.kernels._contract import BOTH, CPU_ONLY, LAUNCHERS, check_launcher

ROWS = [(fam, name, where) for fam, names in LAUNCHERS.items() for name, where in names.items()]


def _side(family: str, side: str):
    # the CUDA launcher modules import cupy lazily, so they import without a GPU
    return importlib.import_module(f"tsalign.kernels.{side}.{family}")


@pytest.mark.parametrize("family,name,where", ROWS, ids=[f"{f}.{n}" for f, n, _ in ROWS])
def test_declared_launcher_exists(family, name, where):
    cpu = getattr(_side(family, "cpu"), name, None)
    assert callable(cpu), f"kernels/cpu/{family}.py lacks {name}"
    if where == BOTH:
        cuda = getattr(_side(family, "cuda"), name, None)
        assert callable(cuda), f"kernels/cuda/{family}.py lacks {name}"
        assert inspect.signature(cpu) == inspect.signature(cuda), (family, name)
    else:
        assert where == CPU_ONLY


def test_every_public_launcher_is_declared():
    # a public function of a launcher module that the table does not list is dead or undeclared
    for family in LAUNCHERS:
        for side in ("cpu", "cuda"):
            try:
                mod = _side(family, side)
            except ModuleNotFoundError:
                continue
            for name, obj in vars(mod).items():
                if name.startswith("_") or not inspect.isfunction(obj):
                    continue
                if obj.__module__ != mod.__name__:
                    continue
                assert name in LAUNCHERS[family] or name in _HELPERS, f"{side}/{family}.{name}"


# public helpers of launcher modules that are not launchers (device-independent utilities)
_HELPERS = {"sentinel"}


def test_undeclared_or_cpu_only_on_gpu_is_refused():
    with pytest.raises(LookupError, match="not declared"):
        check_launcher("dtw", "nope", gpu=False)
    with pytest.raises(LookupError, match="CPU only"):
        check_launcher("soft_dtw", "soft_dtw_forward_series", gpu=True)
