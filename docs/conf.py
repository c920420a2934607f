"""Sphinx configuration of the tsalign documentation.

The build is offline: no intersphinx inventories are fetched unless
``TSALIGN_DOCS_INTERSPHINX=1`` is set, and the gallery examples use data
shipped with installed packages.

Two things are generated here at configuration time, into ``generated/``
(git-ignored, removed by ``make clean``):

- the API page, from :data:`API_SECTIONS` below: the one list to extend when
  a public name is added.  Names that the installed tsalign does not have are
  left out (so the page builds on every branch), and public names that no
  section lists land in an "Other" section of their module, so nothing public
  goes undocumented;
- the benchmark tables of the performance page, from ``benchmarks/README.md``
  and ``benchmarks/README_*.md`` when they exist, and the reproductions of
  published results, from every ``docs/*.md`` (Markdown converted by
  ``_markdown.py``, or shown verbatim when it does not convert cleanly).

Gallery examples listed in :data:`GALLERY_NEEDS` are built only when the API
they use exists; the others are always built and executed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))  # _markdown.py

import tsalign  # noqa: E402

# -- project -----------------------------------------------------------------------
project = "tsalign"
author = "tsalign developers"
copyright = f"{date.today().year}, {author}"
release = tsalign.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "generated/*.inc"]
default_role = "code"

html_theme = "furo"
html_title = f"tsalign {release}"
html_static_path = ["_static"] if (HERE / "_static").is_dir() else []

# -- formulas, offline ------------------------------------------------------------------
# MathJax 3 is served from the built site itself: its files come from the
# sphinx-mathjax-offline package on PyPI (in the docs extra) and are copied into
# _static/mathjax/ when the build finishes (the parts tex-chtml.js loads: the CHTML
# fonts and the TeX extensions it may autoload, the menu and assistive MathML).
# No CDN is contacted, by the build or by a reader's browser.
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml/fonts", "input/tex/extensions", "ui", "a11y"]


def mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the docs render formulas with a local MathJax: pip install sphinx-mathjax-offline "
            "(part of the docs extra)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"


def copy_mathjax(app, exc) -> None:
    import shutil

    if exc is not None or app.builder.format != "html":
        return
    src = mathjax_source()
    dst = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (src / part).is_dir():
            shutil.copytree(src / part, dst / part, dirs_exist_ok=True)
        else:
            (dst / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / part, dst / part)


# -- API docs ------------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

if os.environ.get("TSALIGN_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "torch": ("https://pytorch.org/docs/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# (module, section title, names).  The one place to extend: a name that the
# installed tsalign lacks is skipped, so metrics still being written can be
# listed ahead of time.
API_SECTIONS: list[tuple[str, str, list[str]]] = [
    (
        "tsalign",
        "Exact DTW",
        [
            "dtw",
            "dtw_path",
            "dtw_path_from_metric",
            "cdist_dtw",
            "dtw_subsequence_path",
        ],
    ),
    ("tsalign", "Global constraints", ["sakoe_chiba_mask", "itakura_mask", "compute_mask"]),
    ("tsalign", "Lower bounds", ["lb_envelope", "lb_keogh"]),
    (
        "tsalign.neighbors",
        "Exact nearest neighbours and search",
        ["kneighbors_dtw", "subsequence_search_dtw", "KNeighborsTimeSeriesClassifier"],
    ),
    (
        "tsalign",
        "Soft-DTW",
        [
            "soft_dtw",
            "soft_dtw_alignment",
            "soft_dtw_normalized",
            "soft_dtw_from_cost",
            "cdist_soft_dtw",
            "cdist_soft_dtw_normalized",
        ],
    ),
    ("tsalign", "DILATE", ["dilate", "temporal_distortion_index"]),
    ("tsalign", "SSNT", ["ssnt", "lengths_to_padding_mask"]),
    (
        "tsalign",
        "DTW matrices, subsequences and limited warping length",
        [
            "dtw_accumulated_matrix",
            "subsequence_cost_matrix",
            "subsequence_path",
            "dtw_limited_warping_length",
            "dtw_path_limited_warping_length",
        ],
    ),
    (
        "tsalign",
        "Fréchet",
        [
            "frechet",
            "frechet_path",
            "frechet_accumulated_matrix",
            "frechet_path_from_metric",
            "cdist_frechet",
        ],
    ),
    ("tsalign", "LCSS", ["lcss", "lcss_path", "lcss_path_from_metric"]),
    ("tsalign", "Global Alignment Kernel", ["gak", "unnormalized_gak", "cdist_gak", "sigma_gak"]),
    ("tsalign", "Canonical Time Warping", ["ctw", "ctw_path", "cdist_ctw"]),
    (
        "tsalign.metrics",
        "tslearn.metrics drop-in",
        [
            "gamma_soft_dtw",
            "SquaredEuclidean",
            "SoftDTW",
            "cdist_sax",
            "cdist_normalized_cc",
            "y_shifted_sbd_vec",
            "TSLEARN_VALID_METRICS",
            "VARIABLE_LENGTH_METRICS",
            "GLOBAL_CONSTRAINT_CODE",
            "METRIC_TO_FUNCTION",
        ],
    ),
    ("tsalign.performance", "Forecasting errors", ["mae", "mse", "mase"]),
    (
        "tsalign.barycenters",
        "Barycenters",
        [
            "euclidean_barycenter",
            "dtw_barycenter_averaging",
            "dtw_barycenter_averaging_subgradient",
            "softdtw_barycenter",
        ],
    ),
    ("tsalign.clustering", "Clustering", ["TimeSeriesKMeans"]),
    ("tsalign.nn", "PyTorch losses", ["SoftDTWLoss", "SoftDTW", "DILATELoss", "SSNTLoss"]),
    (
        "tsalign.backend",
        "Backends",
        [
            "instantiate_backend",
            "backend_of",
            "Backend",
            "NumPyBackend",
            "PyTorchBackend",
            "CuPyBackend",
            "cast",
            "select_backend",
        ],
    ),
    ("tsalign.plot", "Plots", ["plot_cost_matrix", "plot_alignment_matrix", "plot_matches"]),
    ("tsalign.datasets", "Example data", ["make_cbf"]),
]

MODULE_INTROS = {
    "tsalign": "The metrics. Every function takes ``be=`` and runs on numpy arrays, torch "
    "tensors (CPU and CUDA) and CuPy arrays; see :doc:`../backends`.",
    "tsalign.barycenters": "Averages of series under the Euclidean distance, DTW (DBA) and "
    "soft-DTW, with tslearn's names (the soft-DTW barycenter needs scipy on the CPU).",
    "tsalign.clustering": "k-means under DTW and soft-DTW (a scikit-learn estimator: "
    '``pip install "tsalign-metrics[clustering]"``).',
    "tsalign.nn": "``torch.nn.Module`` losses (imports PyTorch).",
    "tsalign.neighbors": "Exact DTW neighbours with pruning; the classifier needs scikit-learn "
    '(``pip install "tsalign-metrics[sklearn]"``).',
    "tsalign.backend": "Backend selection and the array glue; ``tsalign.instantiate_backend`` "
    "and ``tsalign.Backend`` are the same objects as here.",
    "tsalign.metrics": "Every public name of ``tslearn.metrics``: ``import tsalign.metrics as "
    "metrics`` replaces ``import tslearn.metrics as metrics``. Its functions are the ones "
    "documented above; listed here are the names that live only in this namespace. "
    "``tsalign.compat.tslearn`` has the same names with tslearn's behaviour where tsalign "
    "differs (see :doc:`../coming_from`).",
    "tsalign.performance": "tslearn.metrics.performance's forecasting errors.",
    "tsalign.datasets": "Example data generated on the fly (nothing is downloaded).",
    "tsalign.plot": "Figures of alignments (needs matplotlib: "
    '``pip install "tsalign-metrics[plot]"``).',
}

GALLERY_NEEDS = {
    "plot_soft_dtw_barycenter.py": [
        "tsalign.barycenters.softdtw_barycenter",
        "tsalign.clustering.TimeSeriesKMeans",
    ],
    "plot_soft_dtw_loss_model.py": ["tsalign.nn.SoftDTWLoss"],
    "plot_dilate_forecasting.py": ["tsalign.dilate", "tsalign.temporal_distortion_index"],
    "plot_ssnt_toy_transducer.py": ["tsalign.ssnt"],
}


def _import(module: str):
    """The module, or None if it does not exist or cannot be imported here
    (``tsalign.nn`` needs PyTorch)."""
    try:
        if importlib.util.find_spec(module) is None:
            return None
        return importlib.import_module(module)
    except ImportError:
        return None


def _has(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    mod = _import(module)
    return mod is not None and hasattr(mod, name)


def _underline(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def write_api_page(path: Path) -> dict[str, list[str]]:
    """Write the API page; returns the listed names that do not exist (yet)."""
    missing: dict[str, list[str]] = {}
    by_module: dict[str, list[tuple[str, list[str]]]] = {}
    for module, title, names in API_SECTIONS:
        by_module.setdefault(module, []).append((title, names))
    out = [
        ".. This file is generated by docs/conf.py: edit API_SECTIONS there.\n",
        _underline("API reference", "="),
    ]
    listed_ids: set[int] = set()
    for module, _, names in API_SECTIONS:
        mod = _import(module)
        if mod is not None:
            listed_ids.update(id(getattr(mod, n)) for n in names if hasattr(mod, n))
    for module, sections in by_module.items():
        mod = _import(module)
        if mod is None:
            missing[module] = ["(module)"]
            continue
        blocks = []
        listed = set()
        for title, names in sections:
            present = [n for n in names if hasattr(mod, n)]
            missing.setdefault(module, []).extend(n for n in names if not hasattr(mod, n))
            listed.update(names)
            if present:
                blocks.append((title, present))
        extra = [
            n
            for n in getattr(mod, "__all__", [])
            if n not in listed
            and not n.startswith("_")
            and id(getattr(mod, n, None)) not in listed_ids
        ]
        if extra:
            blocks.append(("Other", extra))
        if not blocks:
            continue
        out.append(_underline(f"``{module}``", "-"))
        if module in MODULE_INTROS:
            out.append(MODULE_INTROS[module] + "\n")
        # the module's own docstring, which also makes it a link target
        out.append(f".. automodule:: {module}\n   :no-members:\n")
        out.append(f".. currentmodule:: {module}\n")
        for title, names in blocks:
            out.append(_underline(title, "~"))
            out.append(".. autosummary::\n   :toctree: .\n   :nosignatures:\n")
            out.extend(f"   {n}" for n in names)
            out.append("")
    _write_if_changed(path, "\n".join(out) + "\n")
    return {k: v for k, v in missing.items() if v}


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:  # keep Sphinx's incremental builds
        path.write_text(text)


def write_benchmark_tables(path: Path) -> None:
    """``benchmarks/README.md`` then ``benchmarks/README_*.md`` (converted to reST),
    or a placeholder when there are none."""
    from _markdown import include_markdown

    bench = ROOT / "benchmarks"
    found = [p for p in [bench / "README.md", *sorted(bench.glob("README_*.md"))] if p.is_file()]
    if found:
        text = "\n".join(
            include_markdown(p, f"/../benchmarks/{p.name}", top_level=3) for p in found
        )
    else:
        text = (
            ".. note::\n\n   No benchmark tables yet: they land in ``benchmarks/README.md``, "
            "written from the output of ``make bench`` (``benchmarks/run_all.py``), and "
            "appear here.\n"
        )
    _write_if_changed(path, text)


def write_reproductions(path: Path) -> None:
    """Every ``docs/*.md`` (reproductions of published results), converted to reST."""
    from _markdown import include_markdown

    found = sorted(HERE.glob("*.md"))
    if found:
        text = "\n".join(include_markdown(p, f"/{p.name}", top_level=3) for p in found)
    else:
        text = (
            ".. note::\n\n   No reproductions yet: each lands in ``docs/<name>_results.md`` "
            "and appears here.\n"
        )
    _write_if_changed(path, text)


def read_gpu_status(path: Path | None = None) -> dict:
    """``benchmarks/gpu_status.toml``: the one record of the last run on a GPU."""
    import tomllib

    path = path or ROOT / "benchmarks" / "gpu_status.toml"
    return tomllib.loads(path.read_text())["last_run"]


def gpu_status_text(status: dict) -> str:
    """One sentence (reST) saying whether the GPU path has run on a GPU, and where."""
    if str(status.get("date", "never")).strip().lower() in ("", "never"):
        return (
            "**GPU status: never run on a GPU.** The CUDA kernels compile with nvcc and "
            "match the CPU kernels in an emulator (``tests/cuda_emu.py``), but no test or "
            "benchmark of this version has run on a GPU yet."
        )
    text = (
        f"**GPU status: last run on a GPU on {status['date']}**, "
        f"card: {status.get('card', 'not recorded')}"
    )
    if status.get("command"):
        text += f", command: ``{status['command']}``"
    if status.get("result"):
        text += f"; result: {status['result']}"
    return text + "."


def write_gpu_status(path: Path) -> None:
    status = gpu_status_text(read_gpu_status())
    _write_if_changed(path, f".. note::\n\n   {status}\n")


def public_names(module) -> list[str]:
    """The public names of a module: ``__all__``, or its non-underscore attributes."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
        names = [
            n
            for n in names
            if getattr(getattr(module, n), "__module__", "").startswith(
                module.__name__.split(".")[0]
            )
        ]
    return sorted({n for n in names if not n.startswith("_")})


def tslearn_coverage() -> tuple[list[tuple[str, str]], int, int]:
    """(tslearn.metrics name, where tsalign has it or ""), covered, total."""
    metrics = _import("tslearn.metrics")
    if metrics is None:
        return [], 0, 0
    # tsalign.nn.SoftDTW is pytorch-softdtw-cuda's module, not tslearn's SoftDTW class: only
    # the top-level namespace counts, plus the loss that tslearn names differently
    renamed = {"SoftDTWLossPyTorch": "tsalign.nn.SoftDTWLoss"}
    rows = []
    for name in public_names(metrics):
        where = ""
        if _has(f"tsalign.{name}"):
            where = f"``tsalign.{name}``"
        elif name in renamed and _has(renamed[name]):
            where = f"``{renamed[name]}`` (same arguments)"
        rows.append((name, where))
    return rows, sum(1 for _, w in rows if w), len(rows)


def write_tslearn_coverage(path: Path) -> None:
    rows, covered, total = tslearn_coverage()
    if not rows:
        _write_if_changed(path, ".. note::\n\n   tslearn is not installed in this build.\n")
        return
    import tslearn

    out = [
        f"tsalign has **{covered} of the {total}** public names of ``tslearn.metrics`` "
        f"(tslearn {tslearn.__version__}, compared when these pages were built):\n",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 40 60",
        "",
        "   * - ``tslearn.metrics``",
        "     - tsalign",
    ]
    for name, where in rows:
        out += [f"   * - ``{name}``", f"     - {where or 'not yet'}"]
    _write_if_changed(path, "\n".join(out) + "\n")


def write_markdown_page(src: Path, path: Path, top_level: int = 1) -> None:
    """A Markdown file of the repository (CHANGELOG.md, CONTRIBUTING.md) as reST."""
    from _markdown import include_markdown

    rel = os.path.relpath(src, HERE).replace(os.sep, "/")
    _write_if_changed(path, include_markdown(src, f"/{rel}", top_level=top_level))


MISSING_API = write_api_page(HERE / "generated" / "api.rst")
write_gpu_status(HERE / "generated" / "gpu_status.inc")
write_tslearn_coverage(HERE / "generated" / "tslearn_coverage.inc")
write_markdown_page(ROOT / "CHANGELOG.md", HERE / "generated" / "changelog.inc")
write_markdown_page(ROOT / "CONTRIBUTING.md", HERE / "generated" / "contributing.inc")
write_markdown_page(
    ROOT / "benchmarks" / "README_fastdtw.md", HERE / "generated" / "fastdtw.inc", top_level=3
)
write_benchmark_tables(HERE / "generated" / "benchmarks.inc")
write_reproductions(HERE / "generated" / "reproductions.inc")

# -- gallery -------------------------------------------------------------------------
_pending = sorted(f for f, needs in GALLERY_NEEDS.items() if not all(_has(n) for n in needs))
_ignore = r"^(?!plot_)"  # scripts such as demo.py live in examples/ but are not gallery items
if _pending:
    _ignore += "|^(?:" + "|".join(f.replace(".", r"\.") for f in _pending) + ")$"

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": _ignore,
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    # the computation-times page loads jQuery and DataTables from CDNs: the site stays offline
    "write_computation_times": False,
}
# pages left by builds made before that setting
(HERE / "sg_execution_times.rst").unlink(missing_ok=True)
(HERE / "auto_examples" / "sg_execution_times.rst").unlink(missing_ok=True)


def setup(app):
    from sphinx.util import logging

    log = logging.getLogger("tsalign.docs")

    def report(app):
        for module, names in MISSING_API.items():
            log.info(f"[tsalign docs] not in this build of {module}: {', '.join(names)}")
        if _pending:
            log.info(f"[tsalign docs] gallery examples left out (API missing): {_pending}")

    app.connect("builder-inited", report)
    app.connect("build-finished", copy_mathjax)
