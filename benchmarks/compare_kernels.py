"""A refactored kernel against the same kernel from another checkout, in one process.

For clean-ups that must not make a kernel slower (benchmarks/README_house.md): the
other checkout's ``tsalign`` is copied as ``tsalign_old`` (its own numba cache), both
run on the same inputs, alternating call by call, each result is checked to be the
same to the bit, and the minimum of the calls' thread CPU time is compared (CPU time:
on a loaded machine, wall time counts the other processes' slices too).  Run with
``NUMBA_NUM_THREADS=1`` so that the parallel kernels run their serial twins::

    NUMBA_NUM_THREADS=1 python benchmarks/compare_kernels.py /tmp/base acc dba dtw knn subseq
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import machine


def _import_old(checkout: str):
    root = Path(tempfile.mkdtemp(prefix="tsalign_old_"))
    shutil.copytree(Path(checkout) / "tsalign", root / "tsalign_old")
    sys.path.insert(0, str(root))
    import tsalign_old

    return tsalign_old


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _bench(name, old, new, reps):
    assert _same(old(), new()), name
    to, tn = [], []
    for _ in range(reps):
        t0 = time.thread_time()
        old()
        to.append(time.thread_time() - t0)
        t0 = time.thread_time()
        new()
        tn.append(time.thread_time() - t0)
    a, b = min(to), min(tn)
    print(f"{name:46s} old {a * 1e3:8.3f} ms  new {b * 1e3:8.3f} ms  new/old {b / a:.3f}")


def main(argv):
    import tsalign.kernels.cpu.dba as ndba
    import tsalign.kernels.cpu.dtw as ndtw
    import tsalign.kernels.cpu.frechet as nfr
    import tsalign.kernels.cpu.neighbors as nnb

    old = _import_old(argv[0])
    from tsalign_old.kernels.cpu import dba as odba
    from tsalign_old.kernels.cpu import dtw as odtw
    from tsalign_old.kernels.cpu import frechet as ofr
    from tsalign_old.kernels.cpu import neighbors as onb

    print(machine(), "| old:", old.__file__)
    rng = np.random.default_rng(0)
    sc, nb = (2, 20, 2.0), (0, 0, 2.0)
    for what in argv[1:]:
        if what == "acc":  # 32 pairs of 200 x 200 cost matrices
            for dt in (np.float32, np.float64):
                C = rng.random((32, 200, 200)).astype(dt)
                lx = np.full(32, 200, dtype=np.int64)
                for band in (nb, sc):
                    tag = f"{np.dtype(dt).name} band {band[0]}"
                    _bench(
                        f"dtw_acc {tag}",
                        lambda b=band, C=C, lx=lx: odtw.dtw_acc(C, lx, lx, b),
                        lambda b=band, C=C, lx=lx: ndtw.dtw_acc(C, lx, lx, b),
                        100,
                    )
                    _bench(
                        f"frechet_acc {tag}",
                        lambda b=band, C=C, lx=lx: ofr.frechet_acc(C, lx, lx, b),
                        lambda b=band, C=C, lx=lx: nfr.frechet_acc(C, lx, lx, b),
                        100,
                    )
        if what == "dba":  # 64 series of 100 frames against 2 barycenters
            for dt, d, band in ((np.float64, 1, nb), (np.float64, 3, sc), (np.float32, 1, nb)):
                X = rng.normal(size=(64, 100, d)).astype(dt)
                lx = np.full(64, 100, dtype=np.int64)
                lx[::3] = 93
                Z = rng.normal(size=(2, 100, d)).astype(dt)
                a = (X, lx, Z, np.arange(64) % 2, np.ones(64), np.arange(64), band, True)
                _bench(
                    f"dba_accumulate {np.dtype(dt).name} d={d} band {band[0]}",
                    lambda a=a: odba.dba_accumulate(*a),
                    lambda a=a: ndba.dba_accumulate(*a),
                    40,
                )
        if what == "dtw":  # 64 pairs of 200 frames, equal and ragged lengths
            for dt, d, band in ((np.float64, 1, nb), (np.float32, 1, nb), (np.float64, 3, sc)):
                X = rng.normal(size=(64, 200, d)).astype(dt)
                Y = rng.normal(size=(64, 200, d)).astype(dt)
                full = np.full(64, 200, dtype=np.int64)
                ragged = rng.integers(100, 201, size=(2, 64)).astype(np.int64)
                for kind, lx, ly in (("equal", full, full), ("ragged", *ragged)):
                    a = (X, Y, lx, ly, band)
                    _bench(
                        f"dtw_values {np.dtype(dt).name} d={d} band {band[0]} {kind}",
                        lambda a=a: odtw.dtw_values(*a),
                        lambda a=a: ndtw.dtw_values(*a),
                        80,
                    )
        if what == "knn":  # random walks: 64 queries, 200 references of 128 frames
            for dt, d, visit in (
                (np.float64, 1, "lanes"),
                (np.float32, 1, "lanes"),
                (np.float64, 3, "lanes"),
                (np.float64, 1, "scalar"),
            ):
                Y = np.cumsum(rng.normal(size=(200, 128, d)), axis=1).astype(dt)
                X = np.cumsum(rng.normal(size=(64, 128, d)), axis=1).astype(dt)
                lx = np.full(64, 128, dtype=np.int64)
                ly = np.full(200, 128, dtype=np.int64)
                a = (X, Y, lx, ly, (2, 6, 2.0), 3, 0, visit)
                _bench(
                    f"dtw_kneighbors {np.dtype(dt).name} d={d} {visit}",
                    lambda a=a: onb.dtw_kneighbors(*a),
                    lambda a=a: nnb.dtw_kneighbors(*a),
                    30,
                )
        if what == "subseq":  # 4 queries of 128 frames in 20,000, radius 6
            for d in (1, 2):
                T = np.cumsum(rng.normal(size=(20000, d)), axis=0)
                Q = np.cumsum(rng.normal(size=(4, 128, d)), axis=1)
                for zn in (True, False):
                    a = (Q, T, 6, 3, 64, zn, 4)
                    _bench(
                        f"dtw_subsequence_search d={d} znorm={zn}",
                        lambda a=a: onb.dtw_subsequence_search(*a),
                        lambda a=a: nnb.dtw_subsequence_search(*a),
                        20,
                    )


if __name__ == "__main__":
    main(sys.argv[1:])
