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
]

MODULE_INTROS = {
    "tsalign": "The metrics. Every function takes ``be=`` and runs on numpy arrays, torch "
    "tensors (CPU and CUDA) and CuPy arrays; see :doc:`../backends`.",
    "tsalign.nn": "``torch.nn.Module`` losses (imports PyTorch).",
    "tsalign.neighbors": "Exact DTW neighbours with pruning; the classifier needs scikit-learn "
    '(``pip install "tsalign[sklearn]"``).',
    "tsalign.backend": "Backend selection and the array glue; ``tsalign.instantiate_backend`` "
    "and ``tsalign.Backend`` are the same objects as here.",
    "tsalign.metrics": "Every public name of ``tslearn.metrics``: ``import tsalign.metrics as "
    "metrics`` replaces ``import tslearn.metrics as metrics``. Its functions are the ones "
    "documented above; listed here are the names that live only in this namespace. "
    "``tsalign.compat.tslearn`` has the same names with tslearn's behaviour where tsalign "
    "differs (see :doc:`../coming_from`).",
    "tsalign.performance": "tslearn.metrics.performance's forecasting errors.",
    "tsalign.plot": 'Figures of alignments (needs matplotlib: ``pip install "tsalign[plot]"``).',
}

GALLERY_NEEDS = {
    "plot_soft_dtw_barycenter.py": ["tsalign.soft_dtw", "tsalign.soft_dtw_alignment"],
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


MISSING_API = write_api_page(HERE / "generated" / "api.rst")
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
}


def setup(app):
    from sphinx.util import logging

    log = logging.getLogger("tsalign.docs")

    def report(app):
        for module, names in MISSING_API.items():
            log.info(f"[tsalign docs] not in this build of {module}: {', '.join(names)}")
        if _pending:
            log.info(f"[tsalign docs] gallery examples left out (API missing): {_pending}")

    app.connect("builder-inited", report)
