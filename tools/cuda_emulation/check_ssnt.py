"""Check the SSNT CUDA kernels against the numba kernels, with no GPU.

``ssnt.cu`` is compiled for the CPU by g++ through ``ssnt_emu.cpp`` (one real
thread per CUDA thread, a barrier for ``__syncthreads``), for float and
double, and its forward lattice, flags, beta and gradients are compared with
``tsalign.kernels.cpu.ssnt`` on random padded and packed batches, both
emission modes, with e = 0 and e = 1 cells, and several block sizes.

    python tools/cuda_emulation/check_ssnt.py

It is a development check, not part of the test suite (it needs g++ with
C++20); the numba kernels themselves are tested against the alignment
enumeration in tests/test_ssnt.py.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tsalign.kernels.cpu import ssnt as cpu  # noqa: E402

CUDA_DIR = ROOT / "tsalign" / "kernels" / "cuda"
_P = ctypes.c_void_p
_L = ctypes.c_longlong


def build(out_dir: Path) -> dict:
    libs = {}
    for dt, real in ((np.float32, "float"), (np.float64, "double")):
        so = out_dir / f"ssnt_emu_{real}.so"
        subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", f"-DREAL_T={real}",
                        f"-I{CUDA_DIR}", "-o", str(so), str(HERE / "ssnt_emu.cpp"), "-lpthread"],
                       check=True)
        libs[dt] = ctypes.CDLL(str(so))
    return libs


def _ptr(a):
    return None if a is None else a.ctypes.data_as(_P)


def emulate(lib, threads, lp, tg, emit, sl, tl, ro, mode, gout):
    """What the CuPy launchers do, with the emulated kernels."""
    dt = lp.dtype
    R, S, V = lp.shape
    B = len(sl)
    alpha = np.full((R + B, S), -np.inf, dt)
    total = np.empty(B, dt)
    flags = np.zeros(B, np.int32)
    common = (_ptr(lp), _ptr(tg), _ptr(emit), _ptr(sl), _ptr(tl), _ptr(ro))
    lib.emu_forward(ctypes.c_uint(threads), *common, _L(B), _L(S), _L(V), ctypes.c_int(mode),
                    _ptr(alpha), _ptr(total), _ptr(flags))
    beta = np.full((R + B, S), -np.inf, dt)
    lib.emu_beta(ctypes.c_uint(threads), *common, _L(B), _L(S), _L(V), ctypes.c_int(mode),
                 _ptr(beta))
    row_seq = np.full(R, -1, np.int64)
    for b in range(B):
        row_seq[ro[b]: ro[b] + tl[b]] = b
    glp, gem = np.zeros_like(lp), np.zeros_like(emit)
    # a small grid, so the grid-stride loop wraps
    lib.emu_grad(ctypes.c_uint(3), ctypes.c_uint(7), *common, _ptr(row_seq), _L(R), _L(S),
                 _L(V), ctypes.c_int(mode), _ptr(alpha), _ptr(beta), _ptr(total), _ptr(gout),
                 _ptr(glp), _ptr(gem))
    return total, alpha, flags, glp, gem


def main() -> None:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        libs = build(Path(tmp))
        n = 0
        for trial in range(30):
            B, T, S, V = (int(rng.integers(1, k)) for k in (5, 6, 9, 5))
            tl = rng.integers(1, T + 1, B).astype(np.int64)
            sl = rng.integers(1, S + 1, B).astype(np.int64)
            if trial % 2:
                R = int(tl.sum())
                ro = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
            else:
                R = B * T
                ro = np.arange(B, dtype=np.int64) * T
            for dt in (np.float32, np.float64):
                for mode in (cpu.MODE_LOG_P_CHOOSE, cpu.MODE_LOGITS):
                    lp = np.log(rng.dirichlet(np.ones(V), size=(R, S))).astype(dt)
                    z = rng.normal(scale=2, size=(R, S))
                    emit = (z if mode == cpu.MODE_LOGITS else -np.logaddexp(0, -z)).astype(dt)
                    if trial % 5 == 0 and mode == cpu.MODE_LOG_P_CHOOSE:
                        emit[rng.random(emit.shape) < 0.1] = 0.0
                        emit[rng.random(emit.shape) < 0.1] = -np.inf
                    tg = rng.integers(0, V, R).astype(np.int64)
                    gout = rng.normal(size=B).astype(dt)
                    want_t, want_a, want_f = cpu.ssnt_forward(lp, tg, emit, sl, tl, ro, mode)
                    want_glp, want_gem = np.zeros_like(lp), np.zeros_like(emit)
                    cpu.ssnt_backward(lp, tg, emit, sl, tl, ro, mode, want_a, want_t, gout,
                                      want_glp, want_gem)
                    tol = 1e-4 if dt == np.float32 else 1e-11
                    for threads in (1, 2, 3, 32):
                        got = emulate(libs[dt], threads, lp, tg, emit, sl, tl, ro, mode, gout)
                        for g, w in zip(got, (want_t, want_a, want_f, want_glp, want_gem),
                                        strict=True):
                            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
                        n += 1
        # flags: target out of range (never read) and log e > 0
        lp = np.log(np.full((2, 3, 2), 0.5))
        lp[1, 0, 0] = np.nan
        emit = np.log(np.full((2, 3), 0.5))
        emit[0, 1] = 0.3
        args = (lp, np.array([0, 5]), emit, np.array([3]), np.array([2]), np.array([0]), 0)
        got = emulate(libs[np.float64], 2, *args, np.ones(1))[2]
        assert list(got) == [cpu.FLAG_TARGET | cpu.FLAG_EMIT], got
        assert list(cpu.ssnt_forward(*args)[2]) == list(got)
    print(f"ssnt.cu (emulated) matches the numba kernels on {n} cases")


if __name__ == "__main__":
    main()
