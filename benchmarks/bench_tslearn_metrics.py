"""cdist of the tslearn.metrics families added by issue 17: tsalign vs tslearn (and aeon).

tsalign's ``cdist_frechet``, ``cdist_gak``, ``cdist_ctw`` and LCSS (no cdist in
tslearn: a loop of ``lcss`` over the pairs in both libraries) against tslearn's,
and aeon's ``lcss_pairwise_distance`` where aeon is installed, in one process,
interleaved; medians and ratios.  Every contender gets the same float64 data;
values are checked to agree before timing.

    python benchmarks/bench_tslearn_metrics.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_time, interleaved, machine, table  # noqa: E402

import tsalign.metrics as ta  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import tslearn.metrics as tl

    try:
        from aeon.distances import lcss_pairwise_distance
    except ImportError:
        lcss_pairwise_distance = None
    rng = np.random.default_rng(0)
    n, sz = (16, 64) if args.quick else (48, 128)
    X = rng.normal(size=(n, sz, 1))
    Y = rng.normal(size=(n, sz, 1))
    cases = {
        "cdist_frechet": (
            lambda: ta.cdist_frechet(X, Y),
            lambda: tl.cdist_frechet(X, Y),
            None,
        ),
        "cdist_frechet sakoe r=8": (
            lambda: ta.cdist_frechet(X, Y, sakoe_chiba_radius=8),
            lambda: tl.cdist_frechet(X, Y, sakoe_chiba_radius=8),
            None,
        ),
        "cdist_gak": (
            lambda: ta.cdist_gak(X, Y, sigma=2.0),
            lambda: tl.cdist_gak(X, Y, sigma=2.0),
            None,
        ),
        "lcss over all pairs": (
            lambda: np.array([[ta.lcss(a, b, eps=0.5) for b in Y] for a in X]),
            lambda: np.array([[tl.lcss(a, b, eps=0.5) for b in Y] for a in X]),
            (lambda: 1 - lcss_pairwise_distance(X[:, :, 0], Y[:, :, 0], epsilon=0.5))
            if lcss_pairwise_distance
            else None,
        ),
        "cdist_ctw (first 8 series)": (
            lambda: ta.cdist_ctw(X[:8], Y[:8]),
            lambda: tl.cdist_ctw(X[:8], Y[:8]),
            None,
        ),
    }
    rows = []
    for name, (ours, theirs, aeon) in cases.items():
        a, b = ours(), theirs()
        if "ctw" not in name:  # CTW differs on purpose (see docs/coming_from.rst)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        contenders = {"tsalign": ours, "tslearn": theirs}
        if aeon is not None:
            contenders["aeon"] = aeon
        t = interleaved(contenders, rounds=3 if args.quick else 7, warmup=1)
        rows.append(
            [
                name,
                fmt_time(t["tsalign"]),
                fmt_time(t["tslearn"]),
                f"{t['tslearn'] / t['tsalign']:.1f}x",
                fmt_time(t["aeon"]) if "aeon" in t else "aeon not installed: not measured",
            ]
        )
    print(f"n={n} series of length {sz} against n={n}; {machine()}")
    print(table(rows, ["case", "tsalign", "tslearn", "tslearn / tsalign", "aeon"]))


if __name__ == "__main__":
    main()
