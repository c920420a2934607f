"""kNN under DTW with dask inputs: queries chunked across the workers.

A reference set up to :data:`REF_BYTES` is one block that every task shares: scattered
once to every worker (``client.scatter(..., broadcast=True)``) when a
``distributed.Client`` is active and the reference is in memory, a single graph key
otherwise (each worker fetches it once).  A larger one is searched in blocks of about
:data:`REF_BYTES`: each (query block, reference block) task returns its own top-k, which
are merged per query block with the kernel's order (distance, then the lower index).
Each task runs the in-memory ``kneighbors_dtw`` (bounds, pruning and early abandoning
against its own best-so-far), so a query's neighbours and distances are the in-memory
ones; the results come back as numpy arrays.
"""

from __future__ import annotations

import math

import dask
import dask.array as da
import numpy as np

from .._lib.progress import check_verbose
from .._lib.search import check_n_neighbors
from ._common import (
    active_client,
    as_dask_dataset,
    check_same_features,
    located,
    padded_numpy,
    probe,
    scheduler_threads,
    task_kw,
)

# a reference up to this size is one block, shared by every task
REF_BYTES = 1 << 28
# the pruned search of one query runs few of its DTWs in full: count a twentieth of
# the brute-force cells (plus the bounds' O(N) per candidate) when sizing a task
PRUNED_SHARE = 0.05
# cells of work per task, as for the cdist tiles
TASK_CELLS = 1 << 30


def _search(fn, kw, where, offset, q, r):
    """One task: the in-memory search of ``q`` in ``r``, indices made global."""
    try:
        dist, ind, stats = fn(q, r, return_distance=True, return_stats=True, **kw)
    except ValueError as exc:
        raise located(exc, where) from None
    return dist, ind + offset, stats


def _merge(k: int, *parts):
    """Top-k of per-block top-k's: ascending distance, ties to the lower index."""
    if len(parts) == 1:
        return parts[0]
    dist = np.concatenate([p[0] for p in parts], axis=1)
    ind = np.concatenate([p[1] for p in parts], axis=1)
    order = np.lexsort((ind, dist), axis=-1)[:, :k]
    stats = {key: sum(p[2][key] for p in parts) for key in parts[0][2]}
    return (
        np.take_along_axis(dist, order, axis=1),
        np.take_along_axis(ind, order, axis=1),
        stats,
    )


def _query_rows(nq: int, n_ref_block: int, n: int, m: int, threads: int) -> int:
    per_query = n_ref_block * (PRUNED_SHARE * n * m + 4 * (n + m))
    by_cost = math.ceil(TASK_CELLS / max(per_query, 1.0))
    balanced = math.ceil(nq / (4 * threads))  # several tasks per thread: pruning is uneven
    # but not below a sixteenth of the target (the per-task cost would show)
    return max(1, min(nq, max(min(by_cost, balanced), math.ceil(by_cost / 16))))


def dask_kneighbors(fn, X_query, X_ref, n_neighbors, kw: dict):
    """``fn(X_query, X_ref, n_neighbors, **kw)`` over dask inputs, computed now."""
    return_distance = kw.pop("return_distance", True)
    return_stats = kw.pop("return_stats", False)
    verbose = check_verbose(kw.get("verbose", 0))
    Q = as_dask_dataset(X_query, "X_query")
    # an in-memory reference stays on the host: scattered from here, not round-tripped
    ref_host = None if isinstance(X_ref, da.Array) else padded_numpy(X_ref, "X_ref")
    R = as_dask_dataset(X_ref if ref_host is None else ref_host, "X_ref")
    check_same_features(Q, R, ("X_query", "X_ref"))
    n_ref, nq = int(R.shape[0]), int(Q.shape[0])
    k = check_n_neighbors(n_neighbors, n_ref)
    # the arguments are checked here, on a tiny problem, before any task runs
    fn(probe(Q), probe(R), 1, **{**kw, "verbose": 0})
    kw = task_kw(kw)
    n, m = int(Q.shape[1]), int(R.shape[1])
    client = active_client()
    # the reference: one shared block, or blocks of about REF_BYTES
    if R.nbytes <= REF_BYTES:
        R = R.rechunk({0: -1})
    else:
        rows = max(k, math.ceil(REF_BYTES / (R.nbytes / n_ref)))
        R = R.rechunk({0: rows})
    starts = [0, *np.cumsum(R.chunks[0]).tolist()]
    if len(R.chunks[0]) == 1 and client is not None and ref_host is not None:
        host = ref_host if ref_host.ndim > 1 else ref_host[None]
        refs = [client.scatter(host, broadcast=True, hash=False)]
    else:
        refs = list(R.to_delayed().ravel())
    qb = _query_rows(nq, max(R.chunks[0]), n, m, scheduler_threads())
    # the caller's query blocks are kept when coarser (memory) but still enough tasks
    if max(Q.chunks[0]) < qb or len(Q.chunks[0]) < min(nq, 4 * scheduler_threads()):
        Q = Q.rechunk({0: qb})
    qstarts = [0, *np.cumsum(Q.chunks[0]).tolist()]
    search = dask.delayed(_search, pure=True)
    merge = dask.delayed(_merge, pure=True)
    parts = []
    for i, q in enumerate(Q.to_delayed().ravel()):
        found = []
        for j, r in enumerate(refs):
            kj = min(k, starts[j + 1] - starts[j])
            where = f"X_query[{qstarts[i]}:{qstarts[i + 1]}] x X_ref[{starts[j]}:{starts[j + 1]}]"
            found.append(search(fn, {**kw, "n_neighbors": kj}, where, starts[j], q, r))
        parts.append(found[0] if len(found) == 1 else merge(k, *found))
    if verbose > 0 and client is None:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            results = dask.compute(*parts)
    else:
        results = dask.compute(*parts)
    dist = np.concatenate([p[0] for p in results], axis=0)
    ind = np.concatenate([p[1] for p in results], axis=0)
    out = [dist] if return_distance else []
    out.append(ind)
    if return_stats:
        stats = {key: sum(p[2][key] for p in results) for key in results[0][2]}
        stats["candidates"] = nq * n_ref
        out.append(stats)
    return out[0] if len(out) == 1 else tuple(out)
