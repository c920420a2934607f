"""Inter-pair SIMD kernels (issue 15): cells per second, per cycle, against peers.

Every comparison runs tsalign (lane kernels), tsalign's scalar kernels
(``_lanes.scalar_only``) and the peers in this one process, interleaved
(``_harness.interleaved``), medians of a few rounds after a warm-up call each
(numba compilation excluded; measured separately at the end).  Rows:

- ``cdist_dtw``, 400 series x length 256 against themselves (the issue's case),
  all threads, against dtaidistance ``distance_matrix_fast(parallel=True)``
  (target ratio <= 0.05) and aeon ``dtw_pairwise_distance`` (target <= 0.07);
  and 150 series x 256 on one thread, with the scalar kernels (at 400 x 256
  only with ``--scalar-all-threads``) (dtaidistance ``parallel=False``,
  aeon ``n_jobs=1``);
- ``cdist_soft_dtw``, 48 series x 128, float64 and float32, lane kernels
  against the scalar kernels (tslearn has no soft-DTW cdist kernel: its
  ``cdist_soft_dtw`` loops in Python; it is given as well);
- the issue's other soft-DTW rows as they stand (one pair N=M=1000 float64
  against tslearn ``soft_dtw``; ``SoftDTWLoss`` B=32 N=M=200 float32 against
  tslearn ``SoftDTWLossPyTorch``);
- first-call compile time of the lane kernels (fresh numba cache directory,
  in a subprocess) and the cached first call;
- ``--idle`` (alone): the loss step after the cores sat idle (``idle_rows``).

G cells/s counts alignment-matrix cells; cells per cycle per core divides by
the clock measured here (a chain of dependent integer ops, 1 cycle each) and the
threads used.  Run: ``python benchmarks/bench_simd.py [--rounds 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench_soft_dtw.py

import numba  # noqa: E402
import numpy as np  # noqa: E402
from _harness import interleaved, machine, table  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tsalign  # noqa: E402
from tsalign.kernels.cpu import _lanes  # noqa: E402


@numba.njit(cache=False)
def _chain(n, x):
    # xorshift steps: each shift and xor waits on the previous one (1 cycle each)
    for _ in range(n):
        x ^= x << np.uint64(13)
        x ^= x >> np.uint64(7)
        x ^= x << np.uint64(17)
    return x


def clock_ghz() -> float:
    """Core clock from a dependent chain of 6 single-cycle integer ops per step:
    the fastest of many short bursts (on a shared machine most bursts share the
    core; the fastest one had it to itself)."""
    n = 200_000
    _chain(10, np.uint64(1))
    best = np.inf
    for _ in range(300):
        t0 = time.perf_counter()
        _chain(n, np.uint64(88172645463325252))
        best = min(best, time.perf_counter() - t0)
    return 6 * n / best / 1e9


def _scalar(fn):
    def run():
        with _lanes.scalar_only():
            return fn()

    return run


def _threads(k, fn):
    def run():
        saved = numba.get_num_threads()
        numba.set_num_threads(k)
        try:
            return fn()
        finally:
            numba.set_num_threads(saved)

    return run


def _aeon_pairwise():
    """aeon's ``dtw_pairwise_distance``, or ``None`` where aeon is not installed."""
    try:
        from aeon.distances import dtw_pairwise_distance
    except ImportError:
        return None
    return dtw_pairwise_distance


def dtw_rows(rounds, ghz, quick, with_scalar):
    from dtaidistance import dtw as dtai

    dtw_pairwise_distance = _aeon_pairwise()

    rng = np.random.default_rng(0)
    rows = []
    n_all = numba.get_num_threads()
    cases = [(400, 256, n_all), (150, 256, 1)]
    if quick:
        cases = [(200, 128, n_all), (100, 128, 1)]
    for n, L, k in cases:
        X = rng.normal(size=(n, L)).cumsum(axis=1)
        X3 = X[:, None, :]
        D = tsalign.cdist_dtw(X)
        with _lanes.scalar_only():
            assert np.array_equal(D, tsalign.cdist_dtw(X))  # bit-identical
        iu = np.triu_indices(n, k=1)
        assert np.allclose(D[iu], dtai.distance_matrix_fast(X)[iu])
        par = k > 1
        contenders = {
            "lanes": _threads(k, lambda X=X: tsalign.cdist_dtw(X)),
            "scalar": _threads(k, _scalar(lambda X=X: tsalign.cdist_dtw(X))),
            "dtai": lambda X=X, par=par: dtai.distance_matrix_fast(X, parallel=par),
        }
        if dtw_pairwise_distance is not None:
            assert np.allclose(D**2, dtw_pairwise_distance(X3))
            contenders["aeon"] = lambda X3=X3, k=k: dtw_pairwise_distance(X3, n_jobs=k)
        if k > 1 and not with_scalar:
            del contenders["scalar"]  # the slowest; the one-thread row has it
        t = interleaved(contenders, rounds=rounds, warmup=1)
        t.setdefault("scalar", float("nan"))
        t.setdefault("aeon", float("nan"))  # not installed: "nan" in the table
        cells = n * (n - 1) / 2 * L * L
        rows.append(
            [
                f"cdist_dtw {n} x {L}, f64, {k} thr",
                *(f"{cells / t[c] / 1e9:.2f}" for c in ("lanes", "scalar", "dtai", "aeon")),
                f"{cells / t['lanes'] / 1e9 / ghz / k:.2f}",
                f"{t['lanes'] / t['dtai']:.3f}" + (" (<= 0.05)" if n == 400 else ""),
                f"{t['lanes'] / t['aeon']:.3f}" + (" (<= 0.07)" if n == 400 else ""),
            ]
        )
    # float32, one thread: the lanes are twice as many
    n, L = (150, 256) if not quick else (100, 128)
    X = rng.normal(size=(n, L)).cumsum(axis=1).astype(np.float32)
    t = interleaved(
        {
            "lanes": _threads(1, lambda: tsalign.cdist_dtw(X)),
            "scalar": _threads(1, _scalar(lambda: tsalign.cdist_dtw(X))),
        },
        rounds=rounds,
        warmup=1,
    )
    cells = n * (n - 1) / 2 * L * L
    rows.append(
        [
            f"cdist_dtw {n} x {L}, f32, 1 thr",
            f"{cells / t['lanes'] / 1e9:.2f}",
            f"{cells / t['scalar'] / 1e9:.2f}",
            "-",
            "-",
            f"{cells / t['lanes'] / 1e9 / ghz:.2f}",
            "-",
            "-",
        ]
    )
    return table(
        rows,
        [
            "case",
            "lanes Gc/s",
            "scalar Gc/s",
            "dtaidistance Gc/s",
            "aeon Gc/s",
            "lanes cells/cycle/core",
            "ratio vs dtai (target)",
            "ratio vs aeon (target)",
        ],
    )


def soft_rows(rounds, ghz, quick):
    import tslearn.metrics as tsm

    rng = np.random.default_rng(1)
    rows = []
    n, L = (48, 128) if not quick else (32, 64)
    for dt in (np.float64, np.float32):
        X = rng.normal(size=(n, L)).astype(dt)
        t = interleaved(
            {
                "lanes": _threads(1, lambda X=X: tsalign.cdist_soft_dtw(X, gamma=1.0)),
                "scalar": _threads(1, _scalar(lambda X=X: tsalign.cdist_soft_dtw(X, gamma=1.0))),
            },
            rounds=rounds,
            warmup=1,
        )
        cells = n * (n + 1) / 2 * L * L
        rows.append(
            [
                f"cdist_soft_dtw {n} x {L}, {np.dtype(dt).name}, 1 thr",
                f"{cells / t['lanes'] / 1e9:.3f}",
                f"{cells / t['scalar'] / 1e9:.3f}",
                f"{cells / t['lanes'] / 1e9 / ghz:.3f}",
                f"{t['lanes'] / t['scalar']:.2f}",
            ]
        )
    Xs = rng.normal(size=(24, L))
    t = interleaved(
        {
            "lanes": lambda: tsalign.cdist_soft_dtw(Xs, gamma=1.0),
            "tslearn": lambda: tsm.cdist_soft_dtw(Xs, gamma=1.0),
        },
        rounds=rounds,
        warmup=1,
    )
    cells = 24 * 24 * L * L  # tslearn computes the full matrix
    rows.append(
        [
            f"cdist_soft_dtw 24 x {L}, f64, all thr, vs tslearn",
            f"{24 * 25 / 2 * L * L / t['lanes'] / 1e9:.3f}",
            f"tslearn {cells / t['tslearn'] / 1e9:.3f}",
            "-",
            f"{t['lanes'] / t['tslearn']:.3f} (vs tslearn)",
        ]
    )
    return table(
        rows,
        ["case", "lanes Gc/s", "scalar Gc/s", "lanes cells/cycle/core", "lanes / scalar"],
    )


def issue_rows(rounds):
    """The issue's soft-DTW targets: one float64 pair (the per-pair kernel) and the
    float32 loss (lane groups: forward weights, E and gradient)."""
    import torch
    from tslearn.metrics import SoftDTWLossPyTorch
    from tslearn.metrics import soft_dtw as ts_soft_dtw

    from tsalign.nn import SoftDTWLoss

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=1000), rng.normal(size=1000)
    t1 = interleaved(
        {
            "ours": lambda: tsalign.soft_dtw(x, y, gamma=1.0),
            "tslearn": lambda: ts_soft_dtw(x, y, gamma=1.0),
        },
        rounds=rounds,
        min_time=0.05,
    )
    B, N = 32, 200
    xt = torch.randn(B, N, 1, requires_grad=True)
    yt = torch.randn(B, N, 1)
    ours, theirs = SoftDTWLoss(gamma=1.0), SoftDTWLossPyTorch(gamma=1.0)

    def step(loss):
        def run():
            xt.grad = None
            loss(xt, yt).mean().backward()

        return run

    t2 = interleaved(
        {"ours": step(ours), "tslearn": step(theirs)}, rounds=max(rounds, 11), warmup=1
    )

    def evaluate(loss):  # a validation step: the loss alone, no graph
        def run():
            with torch.no_grad():
                loss(xt, yt).mean()

        return run

    t3 = interleaved(
        {"ours": evaluate(ours), "tslearn": evaluate(theirs)}, rounds=max(rounds, 11), warmup=1
    )
    rows = [
        [
            "soft_dtw 1 pair N=M=1000 f64",
            f"{1e6 / t1['ours'] / 1e9:.3f} Gc/s",
            f"{t1['ours'] / t1['tslearn']:.3f}",
            "<= 0.2",
        ],
        [
            "SoftDTWLoss fwd+bwd B=32 N=M=200 f32",
            f"{B * N * N / t2['ours'] / 1e9:.3f} Gc/s",
            f"{t2['ours'] / t2['tslearn']:.3f}",
            "<= 0.05",
        ],
        [
            "SoftDTWLoss forward, no_grad, B=32 N=M=200 f32",
            f"{B * N * N / t3['ours'] / 1e9:.3f} Gc/s",
            f"{t3['ours'] / t3['tslearn']:.3f}",
            "",
        ],
    ]
    return table(rows, ["case", "tsalign", "ratio vs tslearn", "target"])


@numba.njit(parallel=True, cache=False)
def _two_tasks(n, out):
    # two independent integer chains: one per core when both cores take part
    for i in numba.prange(2):
        out[i] = _chain(n, np.uint64(i + 1))


def idle_rows(rounds):
    """The loss step and its two kernels after the cores sat idle.

    Each call is timed alone, right after one of: nothing (back to back), a
    40 ms sleep (both cores idle), a 40 ms spin of the calling thread (the other
    core idle), one step of tslearn's loss (what the interleaved benchmark does:
    tslearn runs on one core for ~45 ms).  A two-task probe (two independent
    chains of ~0.5 ms, one per thread) shows whether the second core takes part.
    Medians of ``rounds`` calls, one and two numba threads."""
    import torch
    from tslearn.metrics import SoftDTWLossPyTorch

    from tsalign.nn import SoftDTWLoss

    B, N = 32, 200
    xt = torch.randn(B, N, 1, requires_grad=True)
    yt = torch.randn(B, N, 1)
    ours, theirs = SoftDTWLoss(gamma=1.0), SoftDTWLossPyTorch(gamma=1.0)
    parts = {}

    def step(loss):
        xt.grad = None
        t0 = time.perf_counter()
        value = loss(xt, yt).mean()
        t1 = time.perf_counter()
        value.backward()
        parts["fwd"], parts["bwd"] = t1 - t0, time.perf_counter() - t1

    def spin(s):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < s:
            pass

    out = np.zeros(2, dtype=np.uint64)
    n = 330_000  # ~0.5 ms of 6 single-cycle ops per step at 4 GHz
    _two_tasks(n, out)
    for _ in range(3):
        step(ours)
        step(theirs)
    before = {
        "back to back": lambda: None,
        "after a 40 ms sleep": lambda: time.sleep(0.04),
        "after a 40 ms spin": lambda: spin(0.04),
        "after a tslearn step": lambda: step(theirs),
    }
    rows = []
    saved = numba.get_num_threads()
    try:
        for threads in (saved, 1):
            numba.set_num_threads(threads)
            for label, pre in before.items():
                fwd, bwd, probe = [], [], []
                for _ in range(rounds):
                    pre()
                    step(ours)
                    fwd.append(parts["fwd"])
                    bwd.append(parts["bwd"])
                    pre()
                    t0 = time.perf_counter()
                    _two_tasks(n, out)
                    probe.append(time.perf_counter() - t0)
                med = [1e3 * float(np.median(v)) for v in (fwd, bwd, probe)]
                rows.append(
                    [str(threads), label, f"{med[0]:.2f}", f"{med[1]:.2f}",
                     f"{med[0] + med[1]:.2f}", f"{med[2]:.2f}"]
                )  # fmt: skip
    finally:
        numba.set_num_threads(saved)
    header = ["threads", "before the call", "forward ms", "backward ms", "step ms", "probe ms"]
    return table(rows, header)


_COMPILE = """
import time, numpy as np
t0 = time.process_time()
import tsalign
X = np.random.default_rng(0).normal(size=(40, 32))
t1 = time.process_time()
tsalign.cdist_dtw(X)
t2 = time.process_time()
tsalign.cdist_soft_dtw(X)
t3 = time.process_time()
print(f"{t1 - t0:.2f} {t2 - t1:.2f} {t3 - t2:.2f}")
"""


def compile_rows():
    """First calls in fresh processes: cold (empty numba cache) and cached, in CPU
    seconds of the process (compilation is single-threaded CPU work: on a shared
    machine the figure to trust)."""
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for simd in ("1", "0"):
            env = dict(os.environ, NUMBA_CACHE_DIR=f"{cache}/{simd}", TSALIGN_SIMD=simd)
            for label in ("cold", "cached"):
                out = subprocess.run(
                    [sys.executable, "-c", _COMPILE],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                kind = "lanes + scalar" if simd == "1" else "scalar only"
                rows.append([f"{label}, {kind}", f"{out[0]} s", f"{out[1]} s", f"{out[2]} s"])
    return table(rows, ["first call (CPU s)", "import", "cdist_dtw", "cdist_soft_dtw"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller cases (a smoke run)")
    ap.add_argument("--skip-compile", action="store_true")
    ap.add_argument(
        "--idle", action="store_true", help="only the loss after idle cores (idle_rows)"
    )
    ap.add_argument(
        "--scalar-all-threads", action="store_true", help="time the scalar kernels at 400 x 256 too"
    )
    args = ap.parse_args()
    ghz = clock_ghz()
    print(f"machine: {machine()}; numba threads {numba.get_num_threads()}")
    print(f"measured clock: {ghz:.2f} GHz (dependent integer chain)")
    print("the machine was shared with other jobs: trust the ratios, not the absolute times\n")
    if args.idle:
        print(idle_rows(max(args.rounds, 21)))
        return
    print(dtw_rows(args.rounds, ghz, args.quick, args.scalar_all_threads), "\n")
    print(soft_rows(args.rounds, ghz, args.quick), "\n")
    print(issue_rows(args.rounds), "\n")
    if not args.skip_compile:
        print(compile_rows())


if __name__ == "__main__":
    main()
