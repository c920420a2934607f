"""DTW against tslearn and dtaidistance, same process, interleaved.

Cases (issue 2): ``dtw`` on two length-1000 univariate series, and
``cdist_dtw`` on 100 series of length 100.  Target: tsalign <= 0.7x
dtaidistance's time on both.  Run: ``python benchmarks/bench_dtw.py``.
"""

from __future__ import annotations

import numpy as np
from _harness import fmt_time, interleaved, machine, table

import tsalign


def main(rounds: int = 15) -> str:
    import tslearn.metrics as tsm
    from dtaidistance import dtw as dtai

    rng = np.random.default_rng(0)
    out = [f"machine: {machine()}", ""]
    rows = []

    # --- dtw, two univariate series of length 1000
    a = rng.normal(size=1000).cumsum()
    b = rng.normal(size=1000).cumsum()
    ref = tsalign.dtw(a, b)
    assert np.isclose(ref, tsm.dtw(a, b)) and np.isclose(ref, dtai.distance_fast(a, b))
    t = interleaved(
        {
            "tsalign": lambda: tsalign.dtw(a, b),
            "tslearn": lambda: tsm.dtw(a, b),
            "dtaidistance": lambda: dtai.distance_fast(a, b),
        },
        rounds=rounds,
        min_time=0.05,
    )
    rows.append(
        [
            "dtw, N=M=1000, d=1",
            fmt_time(t["tsalign"]),
            fmt_time(t["dtaidistance"]),
            fmt_time(t["tslearn"]),
            f"{t['tsalign'] / t['dtaidistance']:.2f}x",
            f"{t['tsalign'] / t['tslearn']:.2f}x",
        ]
    )

    # --- cdist_dtw, 100 series of length 100 against themselves
    X = rng.normal(size=(100, 100)).cumsum(axis=1)
    D = tsalign.cdist_dtw(X)
    Dd = dtai.distance_matrix_fast(X, parallel=True)
    iu = np.triu_indices(len(X), k=1)
    assert np.allclose(D[iu], Dd[iu]) and np.allclose(D, tsm.cdist_dtw(X))
    t = interleaved(
        {
            "tsalign": lambda: tsalign.cdist_dtw(X),
            "tslearn": lambda: tsm.cdist_dtw(X, n_jobs=-1),
            "dtaidistance": lambda: dtai.distance_matrix_fast(X, parallel=True),
        },
        rounds=max(5, rounds // 3),
        min_time=0.05,
    )
    rows.append(
        [
            "cdist_dtw, 100 x len 100",
            fmt_time(t["tsalign"]),
            fmt_time(t["dtaidistance"]),
            fmt_time(t["tslearn"]),
            f"{t['tsalign'] / t['dtaidistance']:.2f}x",
            f"{t['tsalign'] / t['tslearn']:.2f}x",
        ]
    )
    out.append(
        table(
            rows,
            [
                "case",
                "tsalign",
                "dtaidistance",
                "tslearn",
                "tsalign / dtaidistance",
                "tsalign / tslearn",
            ],
        )
    )
    return "\n".join(out)


if __name__ == "__main__":
    print(main())
