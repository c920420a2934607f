"""The name this package is installed under (for ``pip install "<dist>[extra]"`` hints)."""

from __future__ import annotations

import functools

_PACKAGE = "tsalign"  # the import name; the distribution name is read from the metadata
_DIST = "tsalign-metrics"  # pyproject's name: used when no metadata says otherwise


@functools.lru_cache(maxsize=1)
def distribution_name() -> str:
    """The installed distribution providing ``tsalign`` (pyproject's name if none is found)."""
    try:
        import importlib.metadata as md

        names = md.packages_distributions().get(_PACKAGE) or []
    except Exception:  # metadata unreadable: fall back to the import name
        names = []
    if not names or _DIST in names:
        return _DIST
    return names[0]


def install_hint(extra: str) -> str:
    """``pip install "<dist>[extra]"`` for this install."""
    return f'pip install "{distribution_name()}[{extra}]"'
