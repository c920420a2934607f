"""The documentation: its code snippets run, its API page lists every public name."""

from __future__ import annotations

import doctest
import importlib.util
import re
from pathlib import Path

import pytest

import tsalign

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.rst") if ">>> " in p.read_text())


@pytest.mark.parametrize("page", PAGES)
def test_page_snippets_run(page):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        verbose=False,
        report=True,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0 and result.failed == 0


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("tsalign_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_page_lists_every_public_name(conf, tmp_path):
    conf.write_api_page(tmp_path / "api.rst")
    text = (tmp_path / "api.rst").read_text()
    entries = set(re.findall(r"^   (\w+)$", text, flags=re.M))
    public = {n for n in tsalign.__all__ if not n.startswith("_")}
    # re-exports of tsalign.backend are documented there, once
    assert public - {"Backend", "instantiate_backend"} <= entries
    for module, _, names in conf.API_SECTIONS:
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        for name in names:
            assert (name in entries) == hasattr(mod, name), (module, name)


def test_api_page_catches_unlisted_names(conf, tmp_path, monkeypatch):
    monkeypatch.setattr(conf, "API_SECTIONS", [("tsalign.plot", "Plots", ["plot_matches"])])
    conf.write_api_page(tmp_path / "api.rst")
    text = (tmp_path / "api.rst").read_text()
    other = text.split("Other\n~~~~~")[1]
    assert "plot_cost_matrix" in other and "plot_alignment_matrix" in other


def test_gallery_selection(conf):
    ignore = re.compile(conf.sphinx_gallery_conf["ignore_pattern"])
    assert ignore.search("demo.py") and ignore.search("ucr_gunpoint_1nn.py")
    assert not ignore.search("plot_dtw_gunpoint.py")
    for name, needs in conf.GALLERY_NEEDS.items():
        assert (ignore.search(name) is None) == all(conf._has(n) for n in needs)


@pytest.fixture(scope="module")
def markdown():
    spec = importlib.util.spec_from_file_location("tsalign_docs_markdown", DOCS / "_markdown.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RESULTS_MD = """\
# DTW benchmarks

Measured on `AMD EPYC`, 2 cores (2026-11-22); see [the script](https://example.org/run_all.py).

```bash
make bench
```

| case | tsalign | peer | ratio |
|---|--:|---:|:-:|
| `dtw`, N=1000 | 1.0 ms | **2.0 ms** | 0.50 |
| cdist_dtw, 100 series | 5 ms | 9 ms |

- one bullet with n_jobs_
  continued
- another
Done.
"""


def test_markdown_subset_converts_to_clean_rest(markdown):
    rst = markdown.md_to_rst(RESULTS_MD, top_level=3)
    assert markdown.rst_is_clean(rst)
    assert "DTW benchmarks\n~~~~~~~~~~~~~~" in rst
    assert "``AMD EPYC``" in rst and "`the script <https://example.org/run_all.py>`__" in rst
    assert ".. code:: bash\n\n   make bench" in rst
    assert ".. list-table::" in rst
    assert "   * - ``dtw``, N=1000\n     - 1.0 ms\n     - **2.0 ms**\n     - 0.50" in rst
    assert "     - 9 ms\n     - \\ " in rst  # short rows are padded with empty cells
    assert "n_jobs\\_" in rst  # not a reST reference


def test_pipes_in_text_are_not_substitutions(markdown):
    # "|a - b|" in a paragraph is a reST substitution reference, undefined: Sphinx -W
    # fails on it; the converter writes the pipes as text, and the check sees the
    # error a transform reports when they are left in
    rst = markdown.md_to_rst("max |tsalign - tslearn| = 5.9e-12, `|i - j| <= r`\n")
    assert markdown.rst_is_clean(rst)
    assert r"max \|tsalign - tslearn\| = 5.9e-12" in rst and "``|i - j| <= r``" in rst
    assert not markdown.rst_is_clean("max |tsalign - tslearn| = 5.9e-12\n")


def test_benchmark_pages_convert_cleanly(markdown):
    # every benchmarks/README*.md converts (none falls back to the verbatim listing)
    pages = sorted((DOCS.parent / "benchmarks").glob("README*.md"))
    assert pages
    for page in pages:
        rst = markdown.md_to_rst(page.read_text(encoding="utf-8"), top_level=3)
        assert markdown.rst_is_clean(rst), page.name


def test_markdown_that_does_not_convert_is_shown_verbatim(markdown, tmp_path):
    good = tmp_path / "good.md"
    good.write_text(RESULTS_MD)
    assert markdown.include_markdown(good, "/good.md").startswith("DTW benchmarks\n---")
    bad = tmp_path / "bad.md"
    bad.write_text("# Title\n\nan unmatched *star in text\n")
    out = markdown.include_markdown(bad, "/bad.md")
    assert out == ".. literalinclude:: /bad.md\n   :language: markdown\n"
