"""What the first call of each entry point costs: numba compilation, then a cache load.

For each entry point of ``tsalign warmup`` (each main function and torch loss,
float64 and float32), a fresh Python process imports tsalign (and torch),
then times its first call on tiny inputs, twice over:

- with an empty numba cache directory (``NUMBA_CACHE_DIR`` pointed at a new
  folder): the call compiles every kernel it needs and writes it to the cache;
- in a second fresh process with that cache: the call only loads.

It reports wall-clock seconds and the CPU seconds of the process (compilation
is single-threaded CPU work, so the CPU time is the figure to trust on a
shared machine).  Run: ``python benchmarks/bench_first_call.py [--only dtw]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _harness import machine, table

CHILD = r"""
import json, sys, time
import numpy as np
import tsalign
from tsalign._warmup import entry_points
calls = dict(entry_points())
fn = calls[sys.argv[1]]
w0, c0 = time.perf_counter(), time.process_time()
fn()
print(json.dumps([time.perf_counter() - w0, time.process_time() - c0]))
"""


def first_call(name: str, cache_dir: str) -> tuple[float, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    res = subprocess.run(
        [sys.executable, "-c", CHILD, name], env=env, capture_output=True, text=True, check=True
    )
    wall, cpu = json.loads(res.stdout.strip().splitlines()[-1])
    return wall, cpu


def main(only: list[str]) -> str:
    from tsalign._warmup import entry_points

    names = [n for n, _ in entry_points()]
    if only:
        names = [n for n in names if any(o in n for o in only)]
    rows = []
    totals = [0.0, 0.0, 0.0, 0.0]
    for name in names:
        with tempfile.TemporaryDirectory() as cache:
            cold = first_call(name, cache)
            warm = first_call(name, cache)
        for k, v in enumerate(cold + warm):
            totals[k] += v
        rows.append(
            [name, f"{cold[1]:.2f} s", f"{cold[0]:.2f} s", f"{warm[1]:.2f} s", f"{warm[0]:.2f} s"]
        )
        print(rows[-1], flush=True)
    rows.append(["total", *(f"{t:.2f} s" for t in (totals[1], totals[0], totals[3], totals[2]))])
    header = [
        "entry point (tiny inputs)",
        "empty cache: CPU",
        "empty cache: wall",
        "cached: CPU",
        "cached: wall",
    ]
    return "\n".join(
        [f"machine: {machine()} (shared: trust the CPU seconds)", "", table(rows, header)]
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", default=[], help="entry points whose name contains one")
    print(main(p.parse_args().only))
