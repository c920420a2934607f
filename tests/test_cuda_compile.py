"""Every CUDA source compiles, for float and double, wherever a compiler exists.

CI machines have no GPU but do have nvcc, so kernels cannot rot there.  With
no nvcc, CuPy's NVRTC is used if CuPy can load; with neither, the check is
skipped (nothing can compile CUDA on such a machine).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tsalign.kernels.cuda._module import NVCC_OPTIONS, SOURCE_DIR, sources

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
            *NVCC_OPTIONS,
            "-ptx",
            f"-DREAL_T={real}",
            f"-I{SOURCE_DIR}",
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

        mod = cupy.RawModule(
            code=src.read_text(), options=(*NVCC_OPTIONS, f"-DREAL_T={real}", f"-I{SOURCE_DIR}")
        )
        mod.compile()
    else:
        pytest.skip("no CUDA compiler (nvcc or NVRTC) on this machine")
