"""FastDTW (the ``fastdtw`` package) against tsalign's exact DTW: time and error.

FastDTW (Salvador & Chan, 2007) approximates DTW: it solves a coarsened
problem, projects the path one resolution up and widens it by ``radius``
cells, and repeats.  Its answer is the cost of *a* warping path, so it is an
upper bound of the exact DTW cost; ``radius`` trades time for error.

For each length N and each radius, on pairs of random walks (univariate),
this script reports

- the relative error of ``fastdtw(x, y, radius=r)`` against the exact DTW
  with the same frame cost (``|x_i - y_j|``, fastdtw's default for scalars;
  exact value from ``tsalign.dtw_path_from_metric(metric="cityblock")``), as
  the median and the maximum over the pairs;
- the median time of ``fastdtw`` (value and path) and of tsalign's exact
  calls, run interleaved in one process: ``dtw_path_from_metric`` with the
  same cost (value and path, like fastdtw), ``dtw`` (value only, squared
  Euclidean cost, unconstrained) and ``dtw`` with a Sakoe-Chiba band of the
  same radius (exact within the band).

Run: ``python benchmarks/bench_fastdtw.py [--lengths 100 1000 4000] [--radii 1 10 30]
[--pairs 5] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from _harness import fmt_time, interleaved, machine, table

import tsalign


def exact_cityblock(a: np.ndarray, b: np.ndarray) -> float:
    return float(tsalign.dtw_path_from_metric(a[:, None], b[:, None], metric="cityblock")[1])


def main(lengths, radii, n_pairs: int, rounds: int) -> str:
    import fastdtw as fastdtw_pkg
    from fastdtw import fastdtw

    rng = np.random.default_rng(0)
    out = [
        f"machine: {machine()} (shared with other jobs: trust the ratios)",
        f"fastdtw {getattr(fastdtw_pkg, '__version__', '0.3.4')}, tsalign {tsalign.__version__}",
        "",
    ]
    rows = []
    for n in lengths:
        pairs = [(rng.normal(size=n).cumsum(), rng.normal(size=n).cumsum()) for _ in range(n_pairs)]
        exact = [exact_cityblock(a, b) for a, b in pairs]
        a, b = pairs[0]
        for r in radii:
            errors = [
                (fastdtw(x, y, radius=r)[0] - e) / e for (x, y), e in zip(pairs, exact, strict=True)
            ]
            assert min(errors) > -1e-9  # a path's cost is never below the optimum
            t = interleaved(
                {
                    "fastdtw": lambda a=a, b=b, r=r: fastdtw(a, b, radius=r),
                    "path": lambda a=a, b=b: tsalign.dtw_path_from_metric(
                        a[:, None], b[:, None], metric="cityblock"
                    ),
                    "dtw": lambda a=a, b=b: tsalign.dtw(a, b),
                    "band": lambda a=a, b=b, r=r: tsalign.dtw(a, b, sakoe_chiba_radius=r),
                },
                rounds=rounds,
                warmup=1,
            )
            rows.append(
                [
                    str(n),
                    str(r),
                    f"{100 * statistics.median(errors):.2f} % / {100 * max(errors):.2f} %",
                    fmt_time(t["fastdtw"]),
                    f"{fmt_time(t['path'])} ({t['fastdtw'] / t['path']:.0f}x)",
                    f"{fmt_time(t['dtw'])} ({t['fastdtw'] / t['dtw']:.0f}x)",
                    f"{fmt_time(t['band'])} ({t['fastdtw'] / t['band']:.0f}x)",
                ]
            )
            print(rows[-1], flush=True)
    header = [
        "N",
        "radius",
        "fastdtw error, median / max",
        "fastdtw",
        "tsalign dtw_path_from_metric (exact, path)",
        "tsalign dtw (exact, value)",
        "tsalign dtw, band = radius",
    ]
    out.append(table(rows, header))
    out.append("")
    out.append(
        f"error: (fastdtw - exact) / exact over {n_pairs} pairs of random walks, same frame "
        "cost |x_i - y_j|; times: medians, one pair, in parentheses how many times faster than "
        "fastdtw. The banded DTW is exact within its band, not an approximation of the "
        "unconstrained DTW."
    )
    return "\n".join(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[100, 1000, 4000])
    p.add_argument("--radii", type=int, nargs="+", default=[1, 10, 30])
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    print(main(args.lengths, args.radii, args.pairs, args.rounds))
