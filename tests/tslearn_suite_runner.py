"""Run tslearn 0.10.0's own metric tests and doctests against tsalign (a script).

``python tests/tslearn_suite_runner.py SOURCE_DIR REPORT.json [pytest -k expr]``

``SOURCE_DIR`` holds tslearn's ``test_metrics.py`` and ``test_backend.py``
(from its sdist).  Before they are imported, ``tslearn.metrics`` and
``tslearn.backend`` (with ``.backend``, ``.numpy_backend``,
``.pytorch_backend``) are replaced in ``sys.modules`` by tsalign's
namespaces; the rest of tslearn (``utils``, ``clustering``) is imported first
and keeps its own bindings.  The doctests of the installed
``tslearn/metrics/*.py`` run with their globals replaced by
``tsalign.metrics``'.  The outcome of every test and doctest goes to
``REPORT.json`` as ``{id: "passed" | "failed: <first line>" | "skipped"}``.
"""

from __future__ import annotations

import doctest
import importlib
import json
import sys
import types
from pathlib import Path


def install_shim() -> None:
    import tslearn
    import tslearn.clustering  # noqa: F401  (binds the real metrics first)
    import tslearn.utils  # noqa: F401

    import tsalign.backend as tb
    import tsalign.metrics as tm

    def backend_factory(data=None):
        return tb.select_backend(data)

    try:  # Backend(data) once it is tslearn's constructor
        tb.Backend("numpy")
        Backend = tb.Backend
    except TypeError:
        Backend = backend_factory

    shim = types.ModuleType("tslearn.backend")
    shim.__path__ = []  # a package, so its submodules import
    shim.Backend = Backend
    shim.cast = tb.cast
    shim.instantiate_backend = tb.instantiate_backend
    shim.select_backend = tb.select_backend
    shim.NumPyBackend = tb.NumPyBackend
    shim.PyTorchBackend = tb.PyTorchBackend
    sub_backend = types.ModuleType("tslearn.backend.backend")
    sub_backend.__dict__.update({k: getattr(shim, k) for k in dir(shim) if not k.startswith("__")})
    numpy_backend = types.ModuleType("tslearn.backend.numpy_backend")
    numpy_backend.NumPyBackend = tb.NumPyBackend
    pytorch_backend = types.ModuleType("tslearn.backend.pytorch_backend")
    pytorch_backend.PyTorchBackend = tb.PyTorchBackend
    pytorch_backend.HAS_TORCH = importlib.util.find_spec("torch") is not None
    sys.modules["tslearn.backend"] = shim
    sys.modules["tslearn.backend.backend"] = sub_backend
    sys.modules["tslearn.backend.numpy_backend"] = numpy_backend
    sys.modules["tslearn.backend.pytorch_backend"] = pytorch_backend
    sys.modules["tslearn.metrics"] = tm
    tslearn.backend = shim
    tslearn.metrics = tm


class _Collect:
    def __init__(self):
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report):
        nodeid = report.nodeid.split("::", 1)[-1]
        name = Path(report.nodeid.split("::", 1)[0]).stem + "::" + nodeid
        if report.when == "call" or report.outcome != "passed":
            if report.passed:
                self.outcomes.setdefault(name, "passed")
            elif report.skipped:
                self.outcomes[name] = "skipped"
            else:
                text = str(report.longrepr).strip().splitlines()
                last = [t for t in text if t.startswith("E ")]
                self.outcomes[name] = "failed: " + (last[0][2:].strip() if last else text[-1])

    def pytest_collectreport(self, report):
        if report.failed:
            self.outcomes[Path(report.nodeid).stem + "::<collection>"] = (
                "failed: " + str(report.longrepr).strip().splitlines()[-1]
            )


def run_doctests(outcomes: dict) -> None:
    import numpy as np

    import tsalign.metrics as tm

    spec = importlib.util.find_spec("tslearn")
    folder = Path(spec.origin).parent / "metrics"
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for path in sorted(folder.glob("*.py")):
        modname = f"tslearn.metrics.{path.stem}"
        text = path.read_text()
        parser = doctest.DocTestParser()
        finder = doctest.DocTestFinder()
        # parse the docstrings from the source, not from an imported module
        fake = types.ModuleType(modname)
        fake.__file__ = str(path)
        try:
            code = compile(text, str(path), "exec")
        except SyntaxError:
            continue
        del code
        for test in _docstring_tests(text, modname, parser, finder):
            globs = {**vars(tm), "numpy": np, "np": np}
            test.globs = globs
            runner = doctest.DocTestRunner(optionflags=flags)
            out: list[str] = []
            runner.run(test, out=out.append)
            res = runner.summarize(verbose=False)
            outcomes[f"doctest::{test.name}"] = (
                "passed" if res.failed == 0 else "failed: " + _first_failure(out)
            )


def _first_failure(out) -> str:
    lines = "".join(out).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Failed example:") and i + 1 < len(lines):
            return "example " + lines[i + 1].strip()
    return lines[0] if lines else "failed"


def _docstring_tests(text, modname, parser, finder):
    import ast

    tree = ast.parse(text)
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for node in nodes:
        doc = ast.get_docstring(node, clean=True)
        if not doc or ">>>" not in doc:
            continue
        name = modname if node is tree else f"{modname}.{node.name}"
        yield parser.get_doctest(doc, {}, name, None, 0)


def main(argv) -> int:
    source, report = Path(argv[1]), Path(argv[2])
    extra = argv[3:]
    install_shim()
    import pytest

    collect = _Collect()
    if extra == ["--doctests-only"]:
        run_doctests(collect.outcomes)
        report.write_text(json.dumps(collect.outcomes, indent=1, sort_keys=True))
        return 0
    files = [str(source / "test_metrics.py"), str(source / "test_backend.py")]
    pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--rootdir",
            str(source),
            *extra,
            *files,
        ],
        plugins=[collect],
    )
    if not extra:
        run_doctests(collect.outcomes)
    report.write_text(json.dumps(collect.outcomes, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
