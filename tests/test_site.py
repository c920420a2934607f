"""The documentation site: offline, links that resolve, generated claims.

The fast tests check ``docs/check_site.py`` on small hand-made sites (so a
check that cannot fail would show) and the pieces ``docs/conf.py`` generates
(the GPU status, the tslearn coverage table).  The slow test builds the whole
site once (Sphinx, gallery not executed) into a temporary directory and runs
the checks on it; ``make docs`` runs the same checks on the full build.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checker():
    return _load("tsalign_docs_check_site", DOCS / "check_site.py")


@pytest.fixture(scope="module")
def conf():
    pytest.importorskip("sphinx")
    return _load("tsalign_docs_conf_site", DOCS / "conf.py")


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    return tmp_path


GOOD = {
    "index.html": '<html><head><script src="_static/mathjax/tex-chtml.js"></script>'
    '<link rel="stylesheet" href="_static/s.css"></head><body>'
    '<span class="math">\\(x\\)</span><a href="page.html#sec">p</a>'
    '<a href="https://example.org/">out</a><a href="#top" id="top">t</a></body></html>',
    "page.html": '<html><body><section id="sec"><a href="index.html">i</a>'
    '<img src="_static/i.png"></section></body></html>',
    "_static/mathjax/tex-chtml.js": "",
    "_static/s.css": "body { background: url(i.png); }",
    "_static/i.png": "",
}


def test_a_good_site_passes(checker, tmp_path):
    assert checker.check_site(_site(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"page.html": '<script src="https://cdn.example.org/x.js"></script>'}, "external"),
        ({"page.html": '<link rel="stylesheet" href="//fonts.example.org/f.css">'}, "external"),
        ({"_static/s.css": "@import 'https://fonts.example.org/css';"}, "external"),
        ({"_static/s.css": "x { src: url(https://fonts.example.org/f.woff2) }"}, "external"),
        (
            {"page.html": '<style><link href="https://cdn.example.org/b.css"></style>'},
            "external",
        ),
        ({"page.html": '<a href="missing.html">m</a>'}, "no such file"),
        ({"page.html": '<a href="index.html#nowhere">m</a>'}, "no id"),
        ({"page.html": '<img src="_static/none.png">'}, "no such file"),
        ({"page.html": '<div class="math">\\[x\\]</div>'}, "loads no MathJax"),
        (
            {"page.html": '<script src="_static/mj.js"></script><div class="math">x</div>'},
            "loads no MathJax",
        ),
        (
            {
                "page.html": '<script src="_static/mathjax/gone.js"></script>'
                '<div class="math">x</div>'
            },
            "missing",
        ),
    ],
)
def test_each_problem_is_reported(checker, tmp_path, change, expected):
    problems = checker.check_site(_site(tmp_path, {**GOOD, **change}))
    assert any(expected in p for p in problems), problems


def test_gpu_status_comes_from_one_file(conf, tmp_path):
    status = conf.read_gpu_status()
    assert set(status) >= {"date", "card", "command"}
    never = conf.gpu_status_text({"date": "never", "card": "", "command": ""})
    assert "never run on a GPU" in never
    ran = conf.gpu_status_text(
        {"date": "2026-12-02", "card": "NVIDIA H200", "command": "make gpu-check", "result": "ok"}
    )
    assert "2026-12-02" in ran and "NVIDIA H200" in ran and "make gpu-check" in ran
    # every page that describes the GPU shows it
    for page in ("index.rst", "getting_started.rst", "backends.rst", "install.rst"):
        assert ".. include:: generated/gpu_status.inc" in (DOCS / page).read_text(), page


def test_tslearn_coverage_table_is_generated_from_the_code(conf, tmp_path):
    metrics = pytest.importorskip("tslearn.metrics")
    import tsalign

    rows, covered, total = conf.tslearn_coverage()
    names = [n for n, _ in rows]
    assert names == sorted(set(metrics.__all__))
    assert total == len(names) and 0 < covered < total  # until every name is there
    where = dict(rows)
    for name in names:
        assert bool(where[name]) == (
            hasattr(tsalign, name) or (name == "SoftDTWLossPyTorch" and bool(where[name]))
        )
    assert where["dtw"] == "``tsalign.dtw``"
    assert "SoftDTWLoss" in where["SoftDTWLossPyTorch"]
    conf.write_tslearn_coverage(tmp_path / "t.inc")
    text = (tmp_path / "t.inc").read_text()
    assert f"**{covered} of the {total}**" in text
    assert text.count("not yet") == total - covered


@pytest.mark.slow
def test_built_site_is_offline_and_its_links_resolve(checker, tmp_path):
    out = tmp_path / "html"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-D",
            "plot_gallery=0",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr[-5000:]
    problems = checker.check_site(out)
    assert problems == [], "\n".join(problems)
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    numerics = (out / "numerics.html").read_text()
    assert 'class="math' in numerics and "_static/mathjax/tex-chtml.js" in numerics
    for page in ("index.html", "getting_started.html", "backends.html", "install.html"):
        assert "GPU status" in (out / page).read_text(), page
    assert "public names of" in (out / "coming_from.html").read_text()
    for page in ("changelog.html", "cite.html", "contributing.html", "install.html"):
        assert (out / page).is_file()
