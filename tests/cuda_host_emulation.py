"""Check the logic of kernels/cuda/soft_dtw.cu on a machine without a GPU.

A development script, not part of the test suite (run it by hand:
``python tests/cuda_host_emulation.py``; it needs g++).  The .cu source is
compiled as host C++ with the CUDA keywords defined away, one "thread" per
block and ``__syncthreads()`` a no-op, for float and double; each kernel is
then launched block by block through ctypes and compared with the numba
kernels on random problems (lengths, Sakoe-Chiba and Itakura bands, shared
and global scratch).  With one thread per block the check covers indexing,
bands, sentinels, lengths and the E recursion; races between threads are
not covered (within an anti-diagonal the cells are independent, and the
band-edge sentinels are written to rows no other thread writes).
"""

from __future__ import annotations

import ctypes as ct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CUDA_DIR = ROOT / "tsalign" / "kernels" / "cuda"

HARNESS = r"""
#include <cmath>
#include <cstdint>
using std::exp; using std::log; using std::rint; using std::ceil; using std::floor;
using std::fmax; using std::fmin;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __shared__
struct dim3_ { long long x; };
extern "C" { dim3_ threadIdx{0}, blockIdx{0}, blockDim{1}; }
inline void __syncthreads() {}
extern "C" { alignas(16) unsigned char smem_raw[1 << 24]; }
#include "soft_dtw.cu"
"""

LL, I32, F64 = ct.c_longlong, ct.c_int, ct.c_double


def _ptr(a):
    return None if a is None else a.ctypes.data_as(ct.c_void_p)


def build(tmp: Path) -> dict:
    src = tmp / "harness.cpp"
    src.write_text(HARNESS)
    libs = {}
    for dtype, real in ((np.float32, "float"), (np.float64, "double")):
        so = tmp / f"emu_{real}.so"
        subprocess.run(["g++", "-O1", "-std=c++17", "-shared", "-fPIC", "-w", f"-DREAL_T={real}",
                        f"-I{CUDA_DIR}", "-o", str(so), str(src)], check=True)
        libs[np.dtype(dtype)] = ct.CDLL(str(so))
    return libs


def _sentinel(dtype):
    from tsalign.kernels.cuda.soft_dtw import _sentinel

    return _sentinel(dtype)


def values(lib, X, Y, lx, ly, band, gamma, global_scratch):
    B, N, d = X.shape
    M = Y.shape[1]
    idx = np.arange(B, dtype=np.int64)
    out = np.empty(B, X.dtype)
    big = _sentinel(X.dtype)
    scratch = np.full(B * 3 * N, np.nan, X.dtype) if global_scratch else None
    block = LL.in_dll(lib, "blockIdx")
    for p in range(B):
        block.value = p
        lib.soft_dtw_values(_ptr(X), _ptr(Y), _ptr(lx), _ptr(ly), _ptr(idx), _ptr(idx), LL(B),
                            LL(N), LL(M), LL(d), I32(band[0]), LL(band[1]), F64(band[2]),
                            F64(gamma), F64(big), _ptr(scratch), _ptr(out))
    return out


def forward(lib, C, lx, ly, band, gamma, need_weights=True):
    B, N, M = C.shape
    out = np.empty(B, C.dtype)
    W = np.zeros((B, N, M, 2), C.dtype) if need_weights else None
    big = _sentinel(C.dtype)
    scratch = np.full(B * 3 * N, np.nan, C.dtype)
    block = LL.in_dll(lib, "blockIdx")
    for p in range(B):
        block.value = p
        lib.soft_dtw_forward(_ptr(C), _ptr(lx), _ptr(ly), LL(N), LL(M), I32(band[0]),
                             LL(band[1]), F64(band[2]), F64(gamma), F64(big),
                             _ptr(scratch), _ptr(W), _ptr(out))
    return out, W


def backward(lib, W, lx, ly, band):
    B, N, M = W.shape[:3]
    E = np.zeros((B, N, M), W.dtype)
    block = LL.in_dll(lib, "blockIdx")
    for p in range(B):
        block.value = p
        lib.soft_dtw_backward(_ptr(W), _ptr(lx), _ptr(ly), LL(N), LL(M), I32(band[0]),
                              LL(band[1]), F64(band[2]), _ptr(E))
    return E


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tsalign.kernels.cpu import soft_dtw as cpu

    rng = np.random.default_rng(0)
    bad = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        libs = build(Path(tmp))
        for dtype in (np.float64, np.float32):
            lib = libs[np.dtype(dtype)]
            tol = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else \
                {"rtol": 1e-11, "atol": 1e-12}
            for band in [(0, 0, 2.0), (2, 0, 2.0), (2, 1, 2.0), (2, 3, 2.0), (1, 0, 2.0),
                         (1, 0, 3.0)]:
                for _ in range(8):
                    B, N, M = 4, int(rng.integers(1, 30)), int(rng.integers(1, 30))
                    d = int(rng.integers(1, 4))
                    X = rng.normal(size=(B, N, d)).astype(dtype)
                    Y = rng.normal(size=(B, M, d)).astype(dtype)
                    lx = rng.integers(1, N + 1, size=B).astype(np.int64)
                    ly = rng.integers(1, M + 1, size=B).astype(np.int64)
                    lx[0], ly[0] = N, M
                    gamma = float(rng.choice([1.0, 0.1, 0.01]))
                    ref = cpu.soft_dtw_values(X, Y, lx, ly, band, gamma)
                    for global_scratch in (False, True):
                        got = values(lib, X, Y, lx, ly, band, gamma, global_scratch)
                        checked += 1
                        if not np.allclose(got, ref, **tol):
                            bad += 1
                            print("values", dtype.__name__, band, N, M, got, ref)
                    C = ((X[:, :, None] - Y[:, None]) ** 2).sum(-1).astype(dtype)
                    v_ref, W_ref = cpu.soft_dtw_forward(C, lx, ly, band, gamma)
                    v, W = forward(lib, C, lx, ly, band, gamma)
                    v_only, _ = forward(lib, C, lx, ly, band, gamma, need_weights=False)
                    E_ref = cpu.soft_dtw_backward(W_ref, lx, ly, band)
                    E = backward(lib, W, lx, ly, band)
                    checked += 1
                    if not (np.allclose(v, v_ref, **tol) and np.array_equal(v, v_only)
                            and np.allclose(E, E_ref, **tol)
                            and np.allclose(W, W_ref, rtol=1e-3, atol=1e-4)):
                        bad += 1
                        print("forward/backward", dtype.__name__, band, N, M, v, v_ref)
    print(f"{checked} comparisons, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
