"""Docstring fragments shared by the public functions (numpydoc entries).

A parameter that means the same thing in twenty functions is described once,
here, so that the descriptions cannot drift apart.  A docstring names a
fragment on a line of its own, ``%(name)s``, indented like the entries around
it; :func:`fill_doc` replaces that line by the fragment, re-indented (a fragment may
itself name fragments, so a family's whole argument list can be one).  Sphinx,
numpydoc, ``help()`` and the doctests all read the filled ``__doc__``.
"""

from __future__ import annotations

import re


def _constraint_as_in(func: str) -> str:
    """The constraint entries of an object that passes them on to ``func`` unchanged."""
    return f"""\
global_constraint : {{"itakura", "sakoe_chiba"}} or None
    Global constraint on the paths, as in :func:`{func}`.
sakoe_chiba_radius : int or None
    Radius of the Sakoe-Chiba band, as in :func:`{func}`.
itakura_max_slope : float or None
    Maximum slope of the Itakura parallelogram, as in :func:`{func}`."""


_FRAGMENTS: dict[str, str] = {
    "pair": """\
s1 : array-like, shape (N,), (N, d) or (B, N, d)
    A series, or a batch of B series (with ``s2`` of shape (B, M, d)).
    Trailing all-NaN rows are padding (variable lengths).
s2 : array-like, shape (M,), (M, d) or (B, M, d)
    The other series, or batch.""",
    # the head of the Parameters section of a pair function; a family's fragment
    # (gak_parameters ...) goes on with its own arguments
    "pair_parameters": """\
Parameters
----------
%(pair)s""",
    # the whole Parameters section of dtw, dtw_path, frechet, frechet_path
    "constrained_pair_parameters": """\
%(pair_parameters)s
%(constraint)s
%(be)s""",
    "constraint": """\
global_constraint : {"itakura", "sakoe_chiba"} or None
    Global constraint on the alignments (tslearn's names; its codes 1 and 2
    also work); None: inferred from the one parameter below that is given.
sakoe_chiba_radius : int or None
    Radius of the Sakoe-Chiba band (default 1 when that band is named;
    widened by ``|N - M|`` for unequal lengths, as in tslearn).
itakura_max_slope : float or None
    Maximum slope of the Itakura parallelogram (default 2 when named).""",
    # the constraint of the estimators and losses built on a family's function
    "constraint_as_dtw": _constraint_as_in("tsalign.dtw"),
    "constraint_as_soft_dtw": _constraint_as_in("tsalign.soft_dtw"),
    "be": """\
be : Backend, {"numpy", "pytorch", "cupy"} or None
    Backend; by default the inputs' own library.""",
    "be_cpu": """\
be : Backend, {"numpy", "pytorch"} or None
    Backend; by default the inputs' own library (CPU kernels: a CUDA
    input is refused).""",
    "compute_with_backend": """\
compute_with_backend : any
    Accepted for compatibility with tslearn's older API and ignored: the
    computation always runs with the backend's own kernels.""",
    "dataset1": """\
dataset1 : array-like, shape (n1, N, d), (n1, N) or (N,); or a list of series
    A dataset; series of different lengths are fine (a list, or NaN
    padding).""",
    "n_jobs": """\
n_jobs : int or None
    CPU threads: None or -1 = all of numba's threads, k > 0 = k threads.""",
    "verbose": """\
verbose : int or bool
    If > 0 (or True), a progress bar on stderr with the rate and the time
    left (tqdm's when it is installed, the ``progress`` extra).""",
    # the last arguments of every cdist that runs a kernel over the pairs
    "cdist_run": """\
%(n_jobs)s
%(verbose)s
%(be)s""",
    # the series of every ``*_path_from_metric``
    "metric_series": """\
s1 : array-like, shape (N,) or (N, d); or (N, M) if ``metric="precomputed"``
    A series, or the precomputed frame-distance (cost) matrix.
s2 : array-like, shape (M,) or (M, d), or None
    The other series (unused with a precomputed matrix).""",
    # the arguments of every ``*_accumulated_matrix``
    "masked_pair": """\
s1 : array-like, shape (N,) or (N, d)
    First series.
s2 : array-like, shape (M,) or (M, d)
    Second series.
mask : array-like of bool, shape (N, M)
    Cells that may be used (e.g. from :func:`tsalign.compute_mask`).
%(be)s""",
    # the last arguments of every ``*_path_from_metric``
    "metric_rest": """\
%(constraint)s
%(be)s
**kwds
    Extra arguments of the metric.""",
}


def add_fragments(**texts: str) -> None:
    """Register a module's own fragments (entries shared by its functions).

    A name registered twice must keep its text: two modules cannot mean
    different things by one name.
    """
    for name, text in texts.items():
        old = _FRAGMENTS.setdefault(name, text)
        if old != text:
            raise ValueError(f"docstring fragment {name!r} is already registered with another text")


_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def fill_text(doc: str) -> str:
    """``doc`` with each ``%(name)s`` line replaced by its fragment (see :func:`fill_doc`)."""

    def fill(match: re.Match) -> str:
        indent = match.group("indent")
        text = _FRAGMENTS[match.group("name")]
        return "\n".join(indent + line if line else line for line in text.splitlines())

    # a fragment may name other fragments (a family's arguments: the pair, its own
    # parameter, the constraint): fill until nothing is left to fill
    filled = _PLACEHOLDER.sub(fill, doc)
    while filled != doc:
        doc, filled = filled, _PLACEHOLDER.sub(fill, filled)
    return filled


def fill_doc(obj):
    """Replace each ``%(name)s`` line of ``obj.__doc__`` by its fragment; return ``obj``.

    An unknown name is a KeyError at import time, so a typo cannot reach the
    built documentation.  Works on functions and classes (methods are filled
    by decorating them too); a docstring stripped by ``python -OO`` is left alone.
    """
    if obj.__doc__:
        obj.__doc__ = fill_text(obj.__doc__)
    return obj
