"""The vectorisable float64 exp/log of the soft-DTW CPU kernels are accurate."""

from __future__ import annotations

import math

import numba
import numpy as np

from tsalign.kernels.cpu._vmath64 import exp64, log64


@numba.njit
def _map_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = exp64(x[i])


@numba.njit
def _map_log(x, out):
    for i in range(x.shape[0]):
        out[i] = log64(x[i])


def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


def test_exp64_on_nonpositive_inputs():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            -rng.exponential(scale=5.0, size=100_000),
            -rng.exponential(scale=200.0, size=20_000),
            np.linspace(-708.0, 0.0, 20_001),
            -np.abs(rng.normal(scale=1e-8, size=1000)),
            [0.0, -0.0, -1e-300, -5e-324],
        ]
    )
    x = x[x >= -708.0]
    out = np.empty_like(x)
    _map_exp(x, out)
    ref = np.exp(x)
    assert _ulps(out, ref).max() <= 2
    assert out[np.argmax(x == 0.0)] == 1.0
    # below float64's normal range the result is exactly 0, as documented
    tiny = np.array([-708.5, -745.2, -1e30, -np.inf])
    out_t = np.empty_like(tiny)
    _map_exp(tiny, out_t)
    assert np.all(out_t == 0.0)


def test_log64_on_inputs_at_least_one():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            np.linspace(1.0, 3.0, 50_001),  # the soft-min's sums lie in [1, 3]
            1.0 + rng.uniform(0, 1e-6, size=10_000),
            np.exp(rng.uniform(0, 700, size=50_000)),
            rng.uniform(1e-300, 1.0, size=10_000),  # beyond the documented range too
            [1.0, np.nextafter(1.0, 2.0), np.sqrt(2.0), np.sqrt(0.5), 2.0, 1.5, 1e308],
        ]
    )
    out = np.empty_like(x)
    _map_log(x, out)
    ref = np.log(x)
    nz = ref != 0.0
    assert _ulps(out[nz], ref[nz]).max() <= 2
    assert out[np.argmax(x == 1.0)] == 0.0
    # against Python's math.log (another libm path) on a sample
    for v in x[::997]:
        assert abs(log64(v) - math.log(v)) <= 2 * np.spacing(abs(math.log(v))) or v == 1.0


def test_they_vectorise():
    """The loops above compile to SIMD code (packed double arithmetic)."""
    for fn, arg in ((_map_exp, -np.ones(8)), (_map_log, np.full(8, 2.0))):
        out = np.empty(8)
        fn(arg, out)
        asm = "".join(fn.inspect_asm().values())
        assert any(op in asm for op in ("vmulpd", "mulpd", "fmul.2d", "fmul\tv")), fn
