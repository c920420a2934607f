"""All-pairs DTW matrix and 1-NN search on a Dask LocalCluster vs the in-memory calls.

The in-memory call with k numba threads (``n_jobs=k``) against a ``LocalCluster`` of k
single-thread worker processes (k = 1, 2), timed round-robin in one process (the
clusters are started once, before timing, and warmed up by one untimed run).  Reported:
the median of each, the cluster's overhead at equal cores (cluster / in-memory; target
<= 1.25) and the scaling from 1 to 2 cores (time with 1 / time with 2).

    python benchmarks/bench_dask.py            # 2000 series x 256 (the issue's size)
    python benchmarks/bench_dask.py --quick    # 600 series x 128, 2 rounds
    python benchmarks/bench_dask.py --n 1000 --length 256 --rounds 3
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import fmt_time, interleaved, machine, table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="600 series of length 128, 2 rounds")
    ap.add_argument("--n", type=int, default=None, help="series in the dataset (default 2000)")
    ap.add_argument("--length", type=int, default=None, help="series length (default 256)")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds (default 3)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: cdist, knn")
    args = ap.parse_args()
    n = args.n or (600 if args.quick else 2000)
    length = args.length or (128 if args.quick else 256)
    rounds = args.rounds or (2 if args.quick else 3)

    import dask
    import dask.array as da
    import distributed

    import tsalign._dask.cdist as dcdist
    from tsalign import cdist_dtw
    from tsalign.neighbors import kneighbors_dtw

    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(n, length, 1)), axis=1)
    X -= X.mean(axis=1, keepdims=True)
    n_query = max(2, n // 4)
    Q = np.cumsum(rng.normal(size=(n_query, length, 1)), axis=1)
    Q -= Q.mean(axis=1, keepdims=True)

    logging.getLogger("distributed").setLevel(logging.ERROR)
    clusters = {}
    for k in (1, 2):
        cluster = distributed.LocalCluster(
            n_workers=k,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        clusters[k] = distributed.Client(cluster, set_as_default=False)
    print(f"machine: {machine()}")
    print(f"data: {n} series x {length} (random walks), 1-NN: {n_query} queries; {rounds} rounds")

    def in_memory_cdist(k):
        return lambda: cdist_dtw(X, n_jobs=k)

    def cluster_cdist(k):
        client = clusters[k]

        def run():
            with dask.config.set(scheduler=client):
                return cdist_dtw(da.from_array(X, chunks=(n, -1, -1))).compute()

        return run

    def in_memory_knn(k):
        return lambda: kneighbors_dtw(Q, X, 1, n_jobs=k)

    def cluster_knn(k):
        client = clusters[k]

        def run():
            with dask.config.set(scheduler=client):
                return kneighbors_dtw(da.from_array(Q, chunks=(n_query, -1, -1)), X, 1)

        return run

    skip = set(filter(None, args.skip.split(",")))
    results = {}
    try:
        for part, mem, clu in (
            ("cdist", in_memory_cdist, cluster_cdist),
            ("knn", in_memory_knn, cluster_knn),
        ):
            if part in skip:
                continue
            # same results first (and the workers' kernels loaded)
            with dask.config.set(scheduler=clusters[2]):
                want, got = mem(2)(), clu(2)()
            if part == "cdist":
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
                with dask.config.set(scheduler=clusters[2]):
                    D = cdist_dtw(da.from_array(X, chunks=(n, -1, -1)))
                tiles = len(D.chunks[0]) * (len(D.chunks[0]) + 1) // 2
                print(f"cdist: tiles of {D.chunks[0][0]} series, {tiles} tile tasks")
            else:
                np.testing.assert_array_equal(got[1], want[1])
                np.testing.assert_array_equal(got[0], want[0])
            contenders = {}
            for k in (1, 2):
                contenders[f"in-memory, {k} thread(s)"] = mem(k)
                contenders[f"LocalCluster, {k} worker(s) x 1 thread"] = clu(k)
            results[part] = interleaved(contenders, rounds=rounds, warmup=1)
            print(f"{part}: done", flush=True)
    finally:
        for client in clusters.values():
            cluster = client.cluster
            client.close()
            cluster.close()

    rows = []
    for part, res in results.items():
        label = "all-pairs cdist_dtw" if part == "cdist" else "1-NN kneighbors_dtw"
        t = list(res.values())  # mem1, clu1, mem2, clu2
        rows.append(
            [
                label,
                fmt_time(t[0]),
                fmt_time(t[1]),
                f"{t[1] / t[0]:.2f}x",
                fmt_time(t[2]),
                fmt_time(t[3]),
                f"{t[3] / t[2]:.2f}x",
                f"{t[0] / t[2]:.2f}x / {t[1] / t[3]:.2f}x",
            ]
        )
    header = [
        "job",
        "in-memory 1 thr",
        "cluster 1 worker",
        "overhead (1 core)",
        "in-memory 2 thr",
        "cluster 2 workers",
        "overhead (2 cores)",
        "scaling 1->2 (mem / cluster)",
    ]
    print()
    print(table(rows, header))
    print(f"\ntile target: {dcdist.TILE_CELLS} DTW cells per task")


if __name__ == "__main__":
    main()
