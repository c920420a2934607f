"""The numba cache degrades to no cache instead of failing at import."""

from __future__ import annotations

import numba
import pytest

from tsalign.kernels.cpu import _jit


def test_falls_back_without_cache_when_no_location_is_writable(monkeypatch):
    real_njit = numba.njit
    calls = []

    def fake_njit(*args, cache=False, **kw):
        calls.append(cache)
        if cache:
            # what numba raises when neither the source tree nor the user-wide
            # cache directory can be written
            raise RuntimeError("cannot cache function 'f': no locator available for file")
        return real_njit(*args, cache=cache, **kw)

    monkeypatch.setattr(numba, "njit", fake_njit)

    def f(x):
        return x + 1

    jitted = _jit.njit(f)
    assert calls == [True, False]
    assert jitted(1) == 2


def test_other_errors_are_not_swallowed(monkeypatch):
    def broken(*args, **kw):
        raise TypeError("not a cache problem")

    monkeypatch.setattr(numba, "njit", broken)
    with pytest.raises(TypeError, match="not a cache problem"):
        _jit.njit(lambda x: x)
