"""Keep numba's on-disk cache of the kernels in step with their sources.

numba invalidates a cached kernel when the file that defines it changes, but
not when a helper it inlined from another file does (``_band.py``,
``_vmath32.py``, ``_contract.py``, ...): after an upgrade, or any edit of a
helper, a process could load machine code built from the old helper.  (Seen:
float32 soft-DTW gradients one ulp away from a fresh build.)  So the cache
directory of the kernels carries a stamp, a digest of every source the
kernels are built from and of numba's version; the first kernel a process
defines checks it, and a stale or missing stamp empties the directory's
kernel files (``*.nbi`` / ``*.nbc``) before anything is loaded from it.  All
the kernels live in ``kernels/cpu``, so they share that one directory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba

STAMP = "tsalign-kernels.stamp"
_checked: set[str] = set()
_digest: str | None = None


def sources_digest() -> str:
    """Digest of the kernels' sources (``kernels/cpu/*.py``, ``kernels/*.py``), numba's version."""
    global _digest
    if _digest is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256(numba.__version__.encode())
        for p in sorted(here.glob("*.py")) + sorted(here.parent.glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
        _digest = h.hexdigest()
    return _digest


def check_cache(dispatcher) -> None:
    """Empty the cache directory of ``dispatcher`` once per process if its stamp is stale."""
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(cache, "cache_path", None)
    if not path or path in _checked:
        return
    _checked.add(path)
    folder = Path(path)
    stamp = folder / STAMP
    digest = sources_digest()
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for f in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
            f.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:  # a cache numba cannot write to either: nothing is cached there
        pass
