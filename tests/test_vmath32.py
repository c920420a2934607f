"""The vectorisable float32 exp/log used by the soft-DTW CPU kernels are accurate."""

from __future__ import annotations

import numba
import numpy as np

from tsalign.kernels.cpu._vmath32 import exp32, log32


@numba.njit
def _map_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = exp32(x[i])


@numba.njit
def _map_log(x, out):
    for i in range(x.shape[0]):
        out[i] = log32(x[i])


def _ulps(got32, exact64):
    spacing = np.spacing(np.abs(exact64).astype(np.float32)).astype(np.float64)
    return np.abs(got32.astype(np.float64) - exact64) / spacing


def test_exp32_on_nonpositive_inputs():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            -rng.exponential(scale=5.0, size=100_000),
            np.linspace(-87.0, 0.0, 20_001),
            [0.0, -1e-30, -1e-7],
        ]
    ).astype(np.float32)
    out = np.empty_like(x)
    _map_exp(x, out)
    exact = np.exp(x.astype(np.float64))
    normal = exact >= np.finfo(np.float32).tiny
    assert _ulps(out[normal], exact[normal]).max() <= 3
    assert out[np.argmax(x == 0.0)] == 1.0
    # below float32's normal range the result is exactly 0, as documented
    tiny = np.array([-87.5, -100.0, -1e30, -np.inf], dtype=np.float32)
    out_t = np.empty_like(tiny)
    _map_exp(tiny, out_t)
    assert np.all(out_t == 0.0)


def test_log32_on_inputs_at_least_one():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            np.linspace(1.0, 3.0, 50_001),  # the soft-min's sums lie in [1, 3]
            np.exp(rng.uniform(0, 80, size=50_000)),
            [1.0, np.nextafter(np.float32(1), np.float32(2))],
        ]
    ).astype(np.float32)
    out = np.empty_like(x)
    _map_log(x, out)
    exact = np.log(x.astype(np.float64))
    assert out[np.argmax(x == 1.0)] == 0.0
    big = exact > 1e-3
    assert _ulps(out[big], exact[big]).max() <= 3
    # near 1 the result is tiny: compare absolutely, at float32 resolution of x
    assert np.max(np.abs(out[~big] - exact[~big])) <= 2 * np.finfo(np.float32).eps
