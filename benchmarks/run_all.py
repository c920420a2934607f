"""Run every benchmark script (``bench_*.py``) and print their tables.

Each script runs in its own process (numba threads, torch settings and GPU
state stay separate).  ``python benchmarks/run_all.py [name ...]`` runs only
the scripts whose names contain one of the given words.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(filters: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if filters:
        found = [p for p in found if any(f in p.stem for f in filters)]
    return found


def main(argv: list[str]) -> int:
    status = 0
    for path in scripts(argv):
        print(f"## {path.stem}\n", flush=True)
        res = subprocess.run([sys.executable, str(path)], cwd=HERE)
        if res.returncode != 0:
            print(f"{path.name} failed with exit code {res.returncode}", file=sys.stderr)
            status = 1
        print(flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
