"""What the Dask cdist and kNN share: inputs as dask arrays, the scheduler, the tasks."""

from __future__ import annotations

import os
import sys

import dask
import dask.array as da
import numpy as np

from .._lib.backend import instantiate_backend
from .._lib.validation import as_array, dataset


def as_dask_dataset(ds, name: str, like=None):
    """``ds`` as a dask array ``(n, N)`` or ``(n, N, d)``, time and features in one chunk.

    A dask array is kept lazy; anything else (numpy, a list of series of different lengths,
    a CPU tensor) becomes a NaN-padded numpy array first, in one chunk per ``like``'s
    chunk size when given.
    """
    if isinstance(ds, da.Array):
        arr = ds
    else:
        host = padded_numpy(ds, name)
        chunks = {k: -1 for k in range(host.ndim)}
        if like is not None and host.ndim > 1:
            chunks[0] = like.chunksize[0]
        arr = da.from_array(host, chunks=chunks)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (N,), (n, N) or (n, N, d), got {arr.shape}")
    if any(np.isnan(s) for s in arr.shape):
        raise ValueError(
            f"{name} has unknown chunk sizes along an axis; call {name}.compute_chunk_sizes() first"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty dataset")
    if arr.shape[1] == 0 or (arr.ndim == 3 and arr.shape[2] == 0):
        raise ValueError(
            f"{name}: one of the input time series contains only nans or has zero length."
        )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    rest = {k: -1 for k in range(1, arr.ndim)}
    if any(len(arr.chunks[k]) > 1 for k in rest):
        arr = arr.rechunk(rest)
    return arr


def padded_numpy(ds, name: str) -> np.ndarray:
    """A numpy dataset with tslearn's NaN padding (ragged lists padded here)."""
    be = instantiate_backend("numpy")
    if isinstance(ds, (list, tuple)):
        ok = dataset(be, ds, name)  # validates and pads a ragged list (padding -> zeros)
        out = np.array(ok.X)
        for b, n in enumerate(ok.lengths):
            out[b, n:] = np.nan
        return out
    return as_array(be, ds, name)


def feature_size(arr) -> int:
    return 1 if arr.ndim == 2 else int(arr.shape[2])


def check_same_features(a, b, names) -> None:
    if feature_size(a) != feature_size(b):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same feature size (all input time series "
            f"must have the same feature size): got d={feature_size(a)} and d={feature_size(b)}"
        )


def probe(arr, n: int = 1, length: int = 2):
    """A tiny zero dataset of ``arr``'s block type and dtype (checks the call's arguments)."""
    shape = (n, length) + tuple(arr.shape[2:])
    return np.zeros_like(arr._meta, shape=shape, dtype=arr.dtype)


def active_client():
    """The ``distributed.Client`` that computes now (the default one, or one set with
    ``dask.config.set(scheduler=client)``), or None when another scheduler is active."""
    if "distributed" not in sys.modules:
        return None
    import distributed
    from dask.base import get_scheduler

    owner = getattr(get_scheduler(), "__self__", None)
    return owner if isinstance(owner, distributed.Client) else None


def scheduler_threads() -> int:
    """How many tasks the active scheduler runs at once (for the number of tasks)."""
    client = active_client()
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    from dask.base import get_scheduler

    sched = get_scheduler()
    if sched is None or getattr(sched, "__name__", "") != "get_sync":
        return max(1, int(dask.config.get("num_workers", None) or os.cpu_count() or 1))
    return 1


def task_kw(kw: dict) -> dict:
    """The in-memory call's arguments inside a task: one numba thread, no progress bar."""
    out = dict(kw)
    if out.get("n_jobs") is None:
        out["n_jobs"] = 1
    if "verbose" in out:
        out["verbose"] = 0
    return out


def located(exc: ValueError, where: str, rename: dict | None = None) -> ValueError:
    """``exc`` with the block it came from (indices in a block are the block's own)."""
    msg = str(exc)
    for old, new in (rename or {}).items():
        msg = msg.replace(old, new)
    return type(exc)(f"{msg} [{where}]") if type(exc) is ValueError else exc
