"""Every CUDA source compiles, for float and double, wherever a compiler exists.

CI machines have no GPU but do have nvcc, so kernels cannot rot there.  With
no nvcc, CuPy's NVRTC is used if CuPy can load; with neither, the check is
skipped (nothing can compile CUDA on such a machine).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tsalign.kernels import _contract
from tsalign.kernels.cuda._module import NVCC_OPTIONS, SOURCE_DIR, compile_options, sources

SOURCES = sources()


def _nvrtc_ok() -> bool:
    try:
        import cupy  # noqa: F401
        from cupy.cuda import nvrtc  # noqa: F401
    except Exception:
        return False
    return True


def test_there_are_cuda_sources():
    assert {p.stem for p in SOURCES} >= {"dtw"}


@pytest.mark.parametrize("real", ["float", "double"])
@pytest.mark.parametrize("src", SOURCES, ids=[p.name for p in SOURCES])
def test_cuda_source_compiles(src, real, tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc:
        cmd = [
            nvcc,
            *compile_options(real),
            "-ptx",
            "-Werror",
            "all-warnings",
            "-o",
            str(tmp_path / "out.ptx"),
            str(src),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out.ptx").stat().st_size > 0
    elif _nvrtc_ok():
        import cupy

        mod = cupy.RawModule(code=src.read_text(), options=compile_options(real))
        mod.compile()
    else:
        pytest.skip("no CUDA compiler (nvcc or NVRTC) on this machine")


def test_contract_constants_reach_cuda_only_as_defines():
    """No source defines a contract name itself (no copy that could drift)."""
    for src in [*SOURCES, *SOURCE_DIR.glob("*.cuh")]:
        text = src.read_text()
        for name in ["REAL_T", *_contract.CUDA_DEFINES]:
            assert not re.search(rf"#\s*define\s+{name}\b", text), (src.name, name)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc")
def test_cuda_source_without_the_contract_defines_fails(tmp_path):
    src = SOURCE_DIR / "dtw.cu"
    cmd = [shutil.which("nvcc"), *NVCC_OPTIONS, "-ptx", "-DREAL_T=float", f"-I{SOURCE_DIR}"]
    res = subprocess.run(
        [*cmd, "-o", str(tmp_path / "out.ptx"), str(src)], capture_output=True, text=True
    )
    assert res.returncode != 0
    assert "cuda_defines" in res.stderr
