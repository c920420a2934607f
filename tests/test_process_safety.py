"""Fork and thread safety of the CPU kernels (issue 11, item 5).

Each case runs in a fresh interpreter (the threading layer is chosen once per
process), with a timeout: a DataLoader whose workers fork after the parent ran
a kernel, and 8 Python threads calling the kernels at once (results identical
to a serial run).  Both under tsalign's choice of layer and under the
``workqueue`` fallback (used where the tbb wheel does not exist), where a lock
keeps concurrent calls from aborting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).with_name("_process_safety_child.py")


def _run(case: str, layer: str | None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("NUMBA_THREADING_LAYER", None)
    if layer is not None:
        env["NUMBA_THREADING_LAYER"] = layer
    res = subprocess.run(
        [sys.executable, str(CHILD), case],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, (res.returncode, res.stderr[-2000:])
    assert "unsafe" not in res.stderr, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method: Linux")
@pytest.mark.parametrize("layer", [None, "workqueue"], ids=["tsalign-choice", "workqueue"])
def test_dataloader_forks_after_a_kernel_ran(layer):
    out = _run("fork", layer)
    assert out["ok"] and out["n"] == 4, out
    if layer is None:
        from tsalign.kernels.cpu import _jit

        assert out["layer"] == _jit.THREADING_LAYER


@pytest.mark.parametrize("layer", [None, "workqueue"], ids=["tsalign-choice", "workqueue"])
def test_eight_threads_concurrently_match_serial(layer):
    out = _run("threads", layer)
    assert out["ok"], out


def test_layer_choice_is_fork_and_thread_safe():
    from tsalign.kernels.cpu import _jit

    # tbb where it loads, else workqueue behind a lock; never GNU OpenMP by our choice
    assert _jit.THREADING_LAYER in ("tbb", "workqueue") or os.environ.get("NUMBA_THREADING_LAYER")
    if _jit.THREADING_LAYER == "workqueue":
        assert _jit._needs_lock()


def test_small_calls_stay_off_the_thread_pool(monkeypatch):
    """Below SMALL_WORK cells the serial twin runs; above it the prange kernel."""
    import numpy as np

    import tsalign
    from tsalign.kernels.cpu import _jit

    used = []
    real_run = _jit.ParallelKernel.run

    def spy(self, work, *args):
        used.append((self.__name__, work, work < _jit.SMALL_WORK))
        return real_run(self, work, *args)

    monkeypatch.setattr(_jit.ParallelKernel, "run", spy)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(25, 1)), rng.normal(size=(30, 1))
    tsalign.dtw_path(a, b)
    tsalign.soft_dtw(a, b)
    tsalign.cdist_dtw(rng.normal(size=(8, 25, 1)))
    tsalign.cdist_soft_dtw(rng.normal(size=(8, 25, 1)))
    assert used and all(small for _, _, small in used), used
    used.clear()
    big = rng.normal(size=(30, 60, 1))  # 435 pairs x 3600 cells
    serial = tsalign.cdist_dtw(big, n_jobs=1)
    pooled = tsalign.cdist_dtw(big)
    assert any(not small for _, _, small in used), used
    np.testing.assert_array_equal(serial, pooled)


def test_serial_twin_matches_the_pool():
    import numpy as np

    import tsalign
    from tsalign.kernels.cpu import _jit

    ds = np.random.default_rng(3).normal(size=(6, 12, 2))
    saved = _jit.SMALL_WORK
    try:
        _jit.SMALL_WORK = 0
        pool = (tsalign.cdist_dtw(ds), tsalign.cdist_soft_dtw(ds, gamma=0.3))
        _jit.SMALL_WORK = 10**15
        ser = (tsalign.cdist_dtw(ds), tsalign.cdist_soft_dtw(ds, gamma=0.3))
    finally:
        _jit.SMALL_WORK = saved
    for p, s in zip(pool, ser, strict=True):
        np.testing.assert_array_equal(p, s)
