"""The release: distribution name, metadata, and a wheel that installs and runs.

The fast tests read the source tree.  The slow one builds the sdist and the
wheel with ``python -m build``, runs ``twine check``, looks inside both, and
installs the wheel by its distribution name into a fresh virtual environment
(outside the source tree), where it imports ``tsalign`` and runs
``python -m tsalign bench --quick``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
DIST = "tsalign-metrics"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_distribution_name_and_metadata():
    project = _pyproject()["project"]
    assert project["name"] == DIST
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert "version" in project["dynamic"] and "version" not in project
    classifiers = project["classifiers"]
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    # PEP 639: the licence is the SPDX expression, no licence classifier beside it
    assert not any(c.startswith("License ::") for c in classifiers)
    versions = {c.rsplit(" ", 1)[-1] for c in classifiers if c.startswith("Programming Language")}
    minimum = project["requires-python"].removeprefix(">=")
    assert minimum in versions
    assert project["urls"] and project["keywords"]
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert (ROOT / "tsalign" / "py.typed").is_file()


def test_one_source_of_the_version():
    import tsalign

    hatch = _pyproject()["tool"]["hatch"]["version"]
    assert hatch["path"] == "tsalign/__init__.py"
    text = (ROOT / "tsalign" / "__init__.py").read_text()
    assert re.search(r'^__version__ = "([^"]+)"$', text, re.M).group(1) == tsalign.__version__


def _text_files():
    for sub in ("tsalign", "docs", "examples", "benchmarks"):
        for p in (ROOT / sub).rglob("*"):
            if p.suffix in {".py", ".rst", ".md", ".txt", ".toml"} and "_build" not in p.parts:
                if "generated" in p.parts or "auto_examples" in p.parts:
                    continue
                yield p
    yield ROOT / "README.md"
    yield ROOT / "Makefile"


def test_every_pip_install_line_uses_the_distribution_name():
    # `pip install tsalign` installs an unrelated project that also imports as tsalign
    bad = re.compile(r"pip install\s+['\"]?tsalign(?![-\w])")
    found = [
        f"{p.relative_to(ROOT)}:{k}: {line.strip()}"
        for p in _text_files()
        for k, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if bad.search(line)
    ]
    assert not found, "\n".join(found)


def _run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, (
        f"{cmd}\nstdout:\n{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}"
    )
    return res


@pytest.mark.slow
def test_build_check_install_and_run(tmp_path):
    out = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)])
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    assert wheels[0].name.startswith("tsalign_metrics-")
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists)])

    wheel_names = zipfile.ZipFile(wheels[0]).namelist()
    assert "tsalign/py.typed" in wheel_names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel_names)
    assert {"tsalign/kernels/cuda/dtw.cu", "tsalign/kernels/cuda/_common.cuh"} <= set(wheel_names)
    assert not any("__pycache__" in n or n.endswith(".nbi") for n in wheel_names)
    metadata = zipfile.ZipFile(wheels[0]).read(
        next(n for n in wheel_names if n.endswith(".dist-info/METADATA"))
    )
    metadata = metadata.decode()
    assert "Name: tsalign-metrics" in metadata
    assert "License-Expression: BSD-3-Clause" in metadata

    with tarfile.open(sdists[0]) as tar:
        sdist_names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"LICENSE", "tsalign/py.typed", "tsalign/kernels/cuda/dtw.cu", "pyproject.toml"} <= (
        sdist_names
    )

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    # by its distribution name, from the wheel just built (dependencies from the index)
    _run(
        [str(py), "-m", "pip", "install", "--quiet", "--find-links", str(out), DIST],
        cwd=tmp_path,
    )
    res = _run(
        [
            str(py),
            "-c",
            "import importlib.metadata as m, tsalign; "
            "print(tsalign.__file__); print(m.version('tsalign-metrics'), tsalign.__version__)",
        ],
        cwd=tmp_path,
    )
    where, versions = res.stdout.splitlines()
    assert str(venv) in where  # the installed copy, not the source tree
    a, b = versions.split()
    assert a == b
    res = _run([str(py), "-m", "tsalign", "bench", "--quick"], cwd=tmp_path)
    assert "quick benchmark" in res.stdout and "dtw, N=M=1000" in res.stdout
