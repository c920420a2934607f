"""Barycenters and k-means: tsalign vs tslearn (and aeon where it has the method), CPU.

Every contender runs in this process, interleaved round by round (see
``_harness.py``); the table reports median wall-clock seconds, the process CPU
seconds of the same calls and the ratio to tsalign.  The problems:

- DBA of ``--dba-n`` series of length ``--length`` (10 iterations, tol 0):
  tsalign ``dtw_barycenter_averaging``, tslearn's, aeon's
  ``elastic_barycenter_average(method="petitjean")``;
- soft-DTW barycenter of ``--sdtw-n`` series (gamma 1, ``--sdtw-iter`` L-BFGS
  iterations from the same initialisation): tsalign and tslearn (aeon has no
  soft-DTW barycenter);
- k-means (k=8, DTW) of ``--km-n`` series, ``--km-iter`` iterations, same
  ``random_state``: tsalign and tslearn ``TimeSeriesKMeans``; aeon's
  ``TimeSeriesKMeans(distance="dtw", averaging_method="ba")`` with its own
  (random) initialisation, so its time is indicative only.

Usage: ``python benchmarks/bench_barycenters.py [--quick] [--problems kmeans] [--threads 1]``
(``--threads``: tsalign's numba threads; tslearn runs serially either way).  aeon is optional
(``pip install aeon``; it pins older numpy/numba, so a separate environment is
advisable).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _harness import fmt_time, machine, table

import tsalign.barycenters as tb
from tsalign.clustering import TimeSeriesKMeans
from tsalign.datasets import make_cbf


def _data(n: int, length: int, seed: int = 0) -> np.ndarray:
    X, _ = make_cbf(n_per_class=-(-n // 3), length=length, seed=seed)
    rng = np.random.default_rng(seed)
    return X[rng.permutation(len(X))[:n], :, None]


def _timed(contenders: dict, rounds: int, warmup: dict) -> dict:
    """Median (wall, cpu) seconds of each contender, interleaved, after a small warm-up call."""
    for fn in warmup.values():
        fn()
    wall: dict = {k: [] for k in contenders}
    cpu: dict = {k: [] for k in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return {k: (float(np.median(wall[k])), float(np.median(cpu[k]))) for k in contenders}


def _rows(problem: str, res: dict) -> list[list[str]]:
    ref_w, ref_c = res["tsalign"]
    out = []
    for name, (w, c) in res.items():
        out.append(
            [
                problem,
                name,
                fmt_time(w),
                fmt_time(c),
                "1" if name == "tsalign" else f"{w / ref_w:.1f}x",
                "1" if name == "tsalign" else f"{c / ref_c:.1f}x",
            ]
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--dba-n", type=int, default=1000)
    ap.add_argument("--sdtw-n", type=int, default=200)
    ap.add_argument("--sdtw-iter", type=int, default=10)
    ap.add_argument("--km-n", type=int, default=2000)
    ap.add_argument("--km-iter", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads (threadpoolctl; default 1: neither library's work uses BLAS "
        "threads, whose spinning between scipy's L-BFGS-B calls counts as process CPU time)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="numba threads for tsalign (default: numba's); tslearn's calls are serial",
    )
    ap.add_argument(
        "--problems",
        default="dba,sdtw,kmeans",
        help="comma-separated subset of dba, sdtw, kmeans (default: all three)",
    )
    args = ap.parse_args()
    todo = set(args.problems.split(","))
    if not todo <= {"dba", "sdtw", "kmeans"}:
        ap.error(f"--problems: unknown {sorted(todo - {'dba', 'sdtw', 'kmeans'})}")
    if args.quick:
        args.length, args.dba_n, args.sdtw_n, args.km_n, args.km_iter = 32, 50, 20, 60, 2
    warnings.simplefilter("ignore")
    import numba

    if args.threads is not None:
        numba.set_num_threads(args.threads)
    import scipy.optimize  # noqa: F401  (its own OpenBLAS, loaded before the limit below)
    import tslearn.barycenters as lb
    from tslearn.clustering import TimeSeriesKMeans as TKMeans

    try:
        from aeon.clustering import TimeSeriesKMeans as AKMeans
        from aeon.clustering.averaging import elastic_barycenter_average
    except ImportError:
        AKMeans = elastic_barycenter_average = None
    try:
        from threadpoolctl import threadpool_limits

        # after the imports: threadpoolctl limits only the libraries already loaded
        # (scipy's L-BFGS-B calls the OpenBLAS that scipy bundles, not numpy's)
        threadpool_limits(args.blas_threads, user_api="blas")
    except ImportError:
        print("threadpoolctl is not installed: --blas-threads ignored")

    rows: list[list[str]] = []
    L = args.length
    n_threads = numba.get_num_threads()

    def pinned(fn):
        """``fn`` on tsalign's thread count: aeon's calls set numba's threads to their
        ``n_jobs`` and do not restore the count another call set."""

        def run():
            numba.set_num_threads(n_threads)
            return fn()

        return run

    def dba(X):
        c = {
            "tsalign": pinned(lambda: tb.dtw_barycenter_averaging(X, max_iter=10, tol=0.0)),
            "tslearn": lambda: lb.dtw_barycenter_averaging(X, max_iter=10, tol=0.0),
        }
        if elastic_barycenter_average is not None:
            Xa = np.ascontiguousarray(X.transpose(0, 2, 1))
            c["aeon"] = lambda: elastic_barycenter_average(
                Xa, distance="dtw", max_iters=10, tol=0.0, method="petitjean"
            )
        return c

    if "dba" in todo:
        X = _data(args.dba_n, L)
        c = dba(X)
        diff = np.abs(c["tsalign"]() - c["tslearn"]()).max()
        rows += _rows(f"DBA {args.dba_n}x{L}, 10 it.", _timed(c, args.rounds, dba(X[:8])))
        print(f"DBA: max |tsalign - tslearn| = {diff:.1e}")

    it = args.sdtw_iter

    def sdtw(X):
        return {
            "tsalign": pinned(lambda: tb.softdtw_barycenter(X, gamma=1.0, max_iter=it)),
            "tslearn": lambda: lb.softdtw_barycenter(X, gamma=1.0, max_iter=it),
        }

    if "sdtw" in todo:
        X = _data(args.sdtw_n, L, seed=1)
        c = sdtw(X)
        diff = np.abs(c["tsalign"]() - c["tslearn"]()).max()
        rows += _rows(
            f"soft-DTW bary. {args.sdtw_n}x{L}, {it} it.", _timed(c, args.rounds, sdtw(X[:8]))
        )
        print(f"soft-DTW barycenter: max |tsalign - tslearn| = {diff:.1e}")

    def km(X, n_iter):
        kw = dict(n_clusters=8, metric="dtw", max_iter=n_iter, random_state=0)
        c = {
            "tsalign": pinned(lambda: TimeSeriesKMeans(**kw).fit(X)),
            "tslearn": lambda: TKMeans(**kw).fit(X),
        }
        if AKMeans is not None:
            Xa = np.ascontiguousarray(X.transpose(0, 2, 1))
            c["aeon (own init)"] = lambda: AKMeans(
                n_clusters=8,
                distance="dtw",
                averaging_method="ba",
                n_init=1,
                max_iter=n_iter,
                random_state=0,
            ).fit(Xa)
        return c

    if "kmeans" in todo:
        X = _data(args.km_n, L, seed=2)
        c = km(X, args.km_iter)
        for fn in km(X[: max(40, args.km_n // 5)], 1).values():  # warm-up (compilation)
            fn()
        res = {}
        labels = {}
        for name, fn in c.items():
            c0, t0 = time.process_time(), time.perf_counter()
            labels[name] = fn().labels_
            res[name] = (time.perf_counter() - t0, time.process_time() - c0)
        same = bool(np.array_equal(labels["tsalign"], labels["tslearn"]))
        rows += _rows(f"k-means k=8 DTW {args.km_n}x{L}, {args.km_iter} it.", res)
        print(f"k-means: same labels as tslearn: {same}")

    print()
    print(f"Machine: {machine()} (shared; trust the ratios, not the seconds)")
    print(
        f"tsalign: {n_threads} numba thread(s); tslearn: serial calls; "
        f"BLAS threads: {args.blas_threads}"
    )
    print()
    hdr = ["problem", "library", "wall (median)", "CPU (median)", "wall / tsalign", "CPU / tsalign"]
    print(table(rows, hdr))


if __name__ == "__main__":
    main()
