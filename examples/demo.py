"""tsalign demo: DTW on built-in data, on every backend this machine has.

Run with ``make demo``.  Prints values and timings for numpy, PyTorch (CPU,
and CUDA when present) and CuPy (when present), checks that every backend
agrees, and classifies Cylinder-Bell-Funnel series by 1-NN DTW.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

import tsalign
from tsalign.datasets import make_cbf


def backends():
    yield "numpy", lambda a: a
    if importlib.util.find_spec("torch"):
        import torch

        yield "torch (cpu)", torch.from_numpy
        if torch.cuda.is_available():
            yield "torch (cuda)", lambda a: torch.from_numpy(a).cuda()
    if importlib.util.find_spec("cupy"):
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                yield "cupy", cupy.asarray
        except Exception:  # a CuPy without a usable device
            pass


def to_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "get"):
        return x.get()
    return np.asarray(x)


def timed(fn, repeat=3):
    fn()  # first call compiles the kernels
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-series",
        metavar="DIR",
        help="also save a cylinder and a bell series as .npy files in DIR "
        "(for the command-line demo)",
    )
    args = parser.parse_args(argv)
    print(f"tsalign {tsalign.__version__}")
    X, y = make_cbf(n_per_class=20, length=128, seed=1)
    if args.write_series:
        out = Path(args.write_series)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "cylinder.npy", X[0])
        np.save(out / "bell.npy", X[25])
    train, test = np.arange(0, 60, 2), np.arange(1, 60, 2)
    a, b = X[0], X[25]
    print(f"data: Cylinder-Bell-Funnel, {len(X)} series of length {X.shape[1]}\n")
    print(
        f"{'backend':<14} {'dtw(a, b)':>12} {'dtw_path len':>13} {'cdist 30x30':>12} "
        f"{'1-NN error':>11} {'time dtw':>10} {'time cdist':>11}"
    )
    reference = None
    for name, conv in backends():
        xa, xb, Xtr, Xte = conv(a), conv(b), conv(X[train]), conv(X[test])
        v, t_dtw = timed(lambda xa=xa, xb=xb: tsalign.dtw(xa, xb))
        path, _ = tsalign.dtw_path(xa, xb)
        D, t_cd = timed(lambda Xte=Xte, Xtr=Xtr: tsalign.cdist_dtw(Xte, Xtr))
        D = to_numpy(D)
        err = np.mean(y[train][np.argmin(D, axis=1)] != y[test])
        value = float(to_numpy(v))
        if reference is None:
            reference = (value, D)
        else:
            assert np.isclose(value, reference[0]) and np.allclose(D, reference[1])
        print(
            f"{name:<14} {value:>12.6f} {len(path):>13d} {D.mean():>12.4f} {err:>11.3f} "
            f"{t_dtw * 1e3:>8.2f}ms {t_cd * 1e3:>9.2f}ms"
        )
    print("\nall backends agree.")


if __name__ == "__main__":
    main()
