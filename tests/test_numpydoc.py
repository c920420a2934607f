"""Every public function, class and method has a complete numpydoc docstring.

"Public" is found at run time, so names added later are checked too: every
module of the package without a leading underscore (``kernels`` aside), and in
each its ``__all__`` (or, without one, the functions and classes it defines);
for a class, its public methods and ``__call__``.  A method without a
docstring of its own that overrides a documented one (``forward`` of a
subclass, ``extra_repr`` of a ``torch.nn.Module``) inherits that one, as
Sphinx shows it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tsalign

numpydoc_validate = pytest.importorskip("numpydoc.validate")

# parameters documented (PR01) and existing (PR02), returns documented (RT01),
# a docstring at all (GL08), a type and a description for each parameter (PR04, PR07),
# a description for each return value (RT03)
CHECKED = {"PR01", "PR02", "RT01", "GL08", "PR04", "PR07", "RT03"}


def public_modules() -> list[str]:
    found = ["tsalign"]
    for info in pkgutil.iter_modules(tsalign.__path__):
        if info.name.startswith("_") or info.name == "kernels":
            continue
        found.append(f"tsalign.{info.name}")
    return found


def _importable(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:  # tsalign.nn without torch
        return None


def _inherits_doc(cls, attr: str) -> bool:
    for base in cls.__mro__[1:]:
        other = base.__dict__.get(attr)
        if other is not None and getattr(other, "__doc__", None):
            return True
    return False


def public_objects() -> list[str]:
    """Dotted names (where each object is defined) of every public function, class, method."""
    names: list[str] = []
    for modname in public_modules():
        mod = _importable(modname)
        if mod is None:
            continue
        exported = getattr(mod, "__all__", None)
        if exported is None:
            exported = [
                n
                for n, obj in vars(mod).items()
                if (inspect.isfunction(obj) or inspect.isclass(obj))
                and getattr(obj, "__module__", None) == modname
            ]
        for n in exported:
            if n.startswith("_"):
                continue
            obj = getattr(mod, n)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            names.append(f"{obj.__module__}.{obj.__qualname__}")
            if inspect.isclass(obj):
                for attr, val in vars(obj).items():
                    if attr.startswith("_") and attr != "__call__":
                        continue
                    if not inspect.isfunction(val):
                        continue
                    if not val.__doc__ and _inherits_doc(obj, attr):
                        continue
                    names.append(f"{obj.__module__}.{obj.__qualname__}.{attr}")
    return sorted(set(names))


def test_the_public_names_are_found():
    names = public_objects()
    for expected in ("tsalign.dtw.dtw", "tsalign.datasets.make_cbf", "tsalign.plot.plot_matches"):
        assert expected in names
    assert len(names) >= 40
    assert not hasattr(tsalign, "annotations")  # a stray `from __future__` name


@pytest.mark.parametrize("name", public_objects())
def test_docstring_is_complete(name):
    result = numpydoc_validate.validate(name)
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code in CHECKED]
    assert not errors, f"{name}\n" + "\n".join(errors)


def test_the_check_catches_a_missing_parameter(monkeypatch):
    def documented(a, b):
        """Add.

        Parameters
        ----------
        a : int
            First.

        Returns
        -------
        int
            The sum.
        """
        return a + b

    monkeypatch.setattr(tsalign, "_probe_for_the_test", documented, raising=False)
    documented.__module__, documented.__qualname__ = "tsalign", "_probe_for_the_test"
    codes = {
        code for code, _ in numpydoc_validate.validate("tsalign._probe_for_the_test")["errors"]
    }
    assert "PR01" in codes


def test_docstring_fragments_nest():
    # a family's argument list can be one fragment naming the shared ones (lcss_pair ...)
    from tsalign._lib.docs import add_fragments, fill_doc

    add_fragments(test_nested="%(be)s\nextra : int\n    An extra.")

    def f():
        """Summary.

        Parameters
        ----------
        %(test_nested)s
        """

    doc = fill_doc(f).__doc__
    assert "%(" not in doc
    assert '        be : Backend, {"numpy", "pytorch", "cupy"} or None\n' in doc
    assert "        extra : int\n            An extra." in doc

    def g():
        """%(no_such_fragment)s"""

    with pytest.raises(KeyError):
        fill_doc(g)
