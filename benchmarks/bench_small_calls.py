"""Small calls, the thread pool and numba's threading layer (issue 11, items 5 and 6).

Three parts, each short (the machines are shared):

``python benchmarks/bench_small_calls.py``
    Small calls (``dtw_path``, ``soft_dtw``, ``cdist_dtw``, ``cdist_soft_dtw`` on
    25-frame series) timed with the serial twin (tsalign's rule: below
    ``SMALL_WORK`` cells) and forced onto the thread pool, interleaved, first on
    the machine as it is, then with a busy-loop process on one core.  Reports the
    median and the 90th percentile.
``--threshold``
    Serial twin vs thread pool for ``cdist_dtw`` / ``cdist_soft_dtw`` over a
    sweep of sizes (cells): where the pool starts to pay is ``SMALL_WORK``.
``--layers``
    ``cdist_dtw`` and ``SoftDTWLoss`` forward+backward under each threading
    layer (``tbb``, ``omp``, ``workqueue``), one subprocess per layer and
    round, interleaved.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_time, machine, table  # noqa: E402


def _busy(stop):
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _small_cases(rng):
    import tsalign

    a = rng.normal(size=(25, 1))
    b = rng.normal(size=(30, 1))
    ds = rng.normal(size=(8, 25, 1))
    return {
        "dtw_path 25x30": lambda: tsalign.dtw_path(a, b),
        "soft_dtw 25x30": lambda: tsalign.soft_dtw(a, b, gamma=0.1),
        "cdist_dtw 8 series x 25": lambda: tsalign.cdist_dtw(ds),
        "cdist_soft_dtw 8 series x 25": lambda: tsalign.cdist_soft_dtw(ds, gamma=0.1),
    }


def _time_calls(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _modes(jit):
    saved = jit.SMALL_WORK
    return {"serial twin (tsalign)": saved, "thread pool (forced)": 0}


def small_calls(calls: int, rounds: int) -> None:
    from tsalign.kernels.cpu import _jit

    rng = np.random.default_rng(0)
    cases = _small_cases(rng)
    modes = _modes(_jit)
    for fn in cases.values():  # compile both variants
        for w in modes.values():
            _jit.SMALL_WORK = w
            fn()
    print(f"threading layer: {_jit.THREADING_LAYER}, numba threads: {_jit.n_threads()}")
    for load in ("no busy-loop process", "one core busy"):
        stop = mp.Event()
        proc = None
        if load != "no busy-loop process":
            proc = mp.Process(target=_busy, args=(stop,), daemon=True)
            proc.start()
            time.sleep(0.5)
        times = {(c, m): [] for c in cases for m in modes}
        try:
            for _ in range(rounds):
                for c, fn in cases.items():
                    for m, w in modes.items():
                        _jit.SMALL_WORK = w
                        times[(c, m)] += _time_calls(fn, calls)
        finally:
            _jit.SMALL_WORK = modes["serial twin (tsalign)"]
            stop.set()
            if proc is not None:
                proc.join(5)
        rows = []
        for c in cases:
            ser = times[(c, "serial twin (tsalign)")]
            par = times[(c, "thread pool (forced)")]
            rows.append(
                [
                    c,
                    fmt_time(statistics.median(ser)),
                    fmt_time(float(np.percentile(ser, 90))),
                    fmt_time(statistics.median(par)),
                    fmt_time(float(np.percentile(par, 90))),
                    f"{statistics.median(par) / statistics.median(ser):.2f}",
                ]
            )
        print(f"\n{load}: {rounds} rounds x {calls} calls each, interleaved")
        print(
            table(
                rows,
                ["case", "serial median", "serial p90", "pool median", "pool p90", "pool/serial"],
            )
        )


def threshold(rounds: int) -> None:
    import tsalign
    from tsalign.kernels.cpu import _jit

    rng = np.random.default_rng(1)
    rows = []
    saved = _jit.SMALL_WORK
    for n_series, length in ((4, 20), (8, 25), (8, 50), (16, 50), (16, 100), (32, 100)):
        ds = rng.normal(size=(n_series, length, 1))
        cells = n_series * (n_series - 1) // 2 * length * length
        for name, fn in (
            ("cdist_dtw", lambda ds=ds: tsalign.cdist_dtw(ds)),
            ("cdist_soft_dtw", lambda ds=ds: tsalign.cdist_soft_dtw(ds, gamma=0.1)),
        ):
            res = {}
            for w in (10**12, 0):
                _jit.SMALL_WORK = w
                fn()
            per = {10**12: [], 0: []}
            for _ in range(rounds):
                for w in per:
                    _jit.SMALL_WORK = w
                    t = _time_calls(fn, 5)
                    per[w].append(statistics.median(t))
            res = {w: statistics.median(v) for w, v in per.items()}
            rows.append(
                [
                    f"{name} {n_series} x {length}",
                    f"{cells:,}",
                    fmt_time(res[10**12]),
                    fmt_time(res[0]),
                    f"{res[0] / res[10**12]:.2f}",
                ]
            )
    _jit.SMALL_WORK = saved
    print(f"threading layer: {_jit.THREADING_LAYER}, numba threads: {_jit.n_threads()}")
    print(table(rows, ["case", "cells", "serial", "thread pool", "pool/serial"]))


_LAYER_CHILD = r"""
import json, statistics, sys, time
import numpy as np, torch
import tsalign
from tsalign.nn import SoftDTWLoss
from tsalign.kernels.cpu import _jit
import numba
rng = np.random.default_rng(0)
ds = rng.normal(size=(60, 64, 1))
x = torch.tensor(rng.normal(size=(32, 64, 1)), dtype=torch.float32, requires_grad=True)
y = torch.tensor(rng.normal(size=(32, 64, 1)), dtype=torch.float32)
loss = SoftDTWLoss(gamma=0.1)
def sdtw():
    loss(x, y).sum().backward()
out = {}
for name, fn in (("cdist_dtw 60 x 64", lambda: tsalign.cdist_dtw(ds)),
                 ("SoftDTWLoss fwd+bwd B=32 N=64 f32", sdtw)):
    fn(); fn()
    t = []
    for _ in range(7):
        t0 = time.perf_counter(); fn(); t.append(time.perf_counter() - t0)
    out[name] = statistics.median(t)
out["layer"] = numba.threading_layer()
print(json.dumps(out))
"""


def layers(rounds: int) -> None:
    env0 = dict(os.environ)
    results: dict[str, dict[str, list[float]]] = {}
    seen = {}
    for _ in range(rounds):
        for layer in ("tbb", "omp", "workqueue"):
            env = dict(env0, NUMBA_THREADING_LAYER=layer)
            res = subprocess.run(
                [sys.executable, "-c", _LAYER_CHILD],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            if res.returncode != 0:
                print(f"{layer}: failed: {res.stderr.strip().splitlines()[-1:]}")
                continue
            data = json.loads(res.stdout.strip().splitlines()[-1])
            seen[layer] = data.pop("layer")
            for k, v in data.items():
                results.setdefault(k, {}).setdefault(layer, []).append(v)
    rows = []
    for case, per in results.items():
        base = statistics.median(per.get("omp", [float("nan")]))
        for layer, v in per.items():
            m = statistics.median(v)
            rows.append([case, f"{layer} ({seen[layer]})", fmt_time(m), f"{m / base:.2f}"])
    print(table(rows, ["case", "layer (running)", "median", "vs omp"]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threshold", action="store_true")
    p.add_argument("--layers", action="store_true")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=40)
    args = p.parse_args()
    print(machine())
    print("(shared machine: trust the ratios, not the absolute times)")
    if args.threshold:
        threshold(args.rounds)
    elif args.layers:
        layers(args.rounds)
    else:
        small_calls(args.calls, args.rounds)


if __name__ == "__main__":
    main()
