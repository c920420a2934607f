"""The kernels' numba cache is emptied when any source it is built from changes."""

from __future__ import annotations

import os
import subprocess
import sys

from tsalign.kernels.cpu import _cache

CHILD = "import numpy as np, tsalign; print(tsalign.dtw(np.arange(5.0), np.arange(6.0) * 0.5))"


def _run(cache_dir) -> str:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_stale_stamp_empties_the_cache(tmp_path):
    first = _run(tmp_path)
    stamps = list(tmp_path.rglob(_cache.STAMP))
    assert len(stamps) == 1  # every kernel shares one cache folder
    folder = stamps[0].parent
    assert stamps[0].read_text() == _cache.sources_digest()
    assert list(folder.glob("*.nbi"))
    # a helper changed since these were built: the stamp no longer matches
    stamps[0].write_text("an older build")
    planted = folder / "stale_kernel-1.py311.nbi"
    planted.write_bytes(b"built from old sources")
    assert _run(tmp_path) == first
    assert not planted.exists()
    assert stamps[0].read_text() == _cache.sources_digest()
    # a matching stamp keeps the cache
    kept = sorted(p.name for p in folder.glob("*.nb[ic]"))
    assert _run(tmp_path) == first
    assert sorted(p.name for p in folder.glob("*.nb[ic]")) == kept
