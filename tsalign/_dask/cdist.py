"""Lazy cdist matrices of dask datasets, tiled i-block x j-block.

A tile is the in-memory ``cdist_*`` call on two blocks of series (a symmetric call on a
block of a dataset against itself), so its values are the in-memory ones.  A dataset
against itself gets the upper triangle of tiles only; a tile below the diagonal is the
transpose of its mirror, a task that depends on it (no pair is computed twice).

Tile size comes from the kernel's cost: about :data:`TILE_CELLS` DTW-cell equivalents per
tile (soft-DTW's cells cost :data:`CELL_COST` times more; a band counts only its cells),
a tile long enough that the scheduler's per-task cost (about a millisecond on
``distributed``) is noise, and small enough that the active scheduler's threads get
several tiles each.  The caller's chunking along the series axis is kept when it is
coarser than that (a memory choice) up to :data:`MAX_TILE_BYTES` per tile and as long
as it makes enough tiles for the threads; it is merged when it is finer.
"""

from __future__ import annotations

import math
from functools import partial

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.core import flatten
from dask.highlevelgraph import HighLevelGraph

from .._lib.blocks import CROSS, SYMMETRIC, block_pieces, check_block
from .._lib.constraints import band_mask, resolve_band
from .._lib.progress import check_verbose
from ._common import (
    as_dask_dataset,
    check_same_features,
    located,
    probe,
    scheduler_threads,
    task_kw,
)

# DTW cells per tile: ~0.2-0.4 s on one core of the 2-core test machines with the SIMD
# lane kernels (0.2-0.3 ns/cell); 2^27, sized for the scalar kernel (3 ns/cell), left
# tiles of 30-50 ms whose per-task cost showed (1.2-1.35x the in-memory call)
TILE_CELLS = 1 << 30
# soft-DTW's cell (a log-sum-exp) against DTW's (a min), measured on that machine: 7x
CELL_COST = {"dtw": 1.0, "soft_dtw": 7.0, "soft_dtw_normalized": 7.0}
# at most this many bytes of matrix per tile (4096 x 4096 float64)
MAX_TILE_BYTES = 1 << 27


def pair_cells(n: int, m: int, band) -> int:
    """Cells a pair of lengths n, m computes under ``band`` (all n*m for long series)."""
    if n * m <= 1 << 22:
        return max(1, int(band_mask(n, m, band).sum()))
    return n * m


def _rows(n: int, target_pairs: float, tiles_wanted: int, cap: int, symmetric: bool, n2=None):
    """Series per block (rows, columns) for tiles of about ``target_pairs`` pairs."""
    if symmetric:
        b = math.ceil(math.sqrt(target_pairs))
        # several tiles per thread when the matrix allows (n^2 / 2 pairs in all), but not
        # below a sixteenth of the target (the per-task cost would show)
        balanced = math.ceil(n / math.sqrt(2 * tiles_wanted))
        b = max(min(b, balanced), math.ceil(math.sqrt(target_pairs / 16)))
        b = max(1, min(b, n, cap))
        return b, b
    b2 = max(1, min(n2, math.ceil(math.sqrt(target_pairs)), cap))
    b1 = max(1, min(n, math.ceil(target_pairs / b2), cap))
    if b1 == n:
        b2 = max(1, min(n2, math.ceil(target_pairs / n), cap))
    while b1 > 1 and math.ceil(n / b1) * math.ceil(n2 / b2) < tiles_wanted:
        if b1 * b2 <= target_pairs / 16:
            break
        if b1 >= b2:
            b1 = math.ceil(b1 / 2)
        else:
            b2 = math.ceil(b2 / 2)
    return b1, b2


def _chunked(X, b: int, cap: int, tiles, wanted: int):
    """``X`` with blocks of ``b`` series, unless the caller's are coarser (up to ``cap``)
    and still make ``wanted`` tiles (``tiles(number of blocks)``) for the threads."""
    biggest = max(X.chunks[0])
    if b <= biggest <= cap and tiles(len(X.chunks[0])) >= wanted:
        return X
    return X.rechunk({0: b})


def _series_keys(X) -> list:
    return list(flatten(X.__dask_keys__()))


def _starts(chunks) -> list[int]:
    return [0, *np.cumsum(chunks).tolist()]


# --------------------------------------------------------------------------- tasks
def _tile_self(fn, kw, where, x):
    try:
        return fn(x, **kw)
    except ValueError as exc:
        raise located(exc, where) from None


def _tile_cross(fn, kw, where, rename, x, y):
    try:
        return fn(x, y, **kw)
    except ValueError as exc:
        raise located(exc, where, rename) from None


def _mirror(tile):
    return tile.T.copy()


# --------------------------------------------------------------------------- graphs
class _Plan:
    """What every tile of one cdist shares."""

    def __init__(self, fn, family: str, kw: dict, dtype, meta, pair_cost: float):
        self.fn = fn
        self.family = family
        self.kw = task_kw(kw)
        self.meta = np.empty_like(meta, shape=(0, 0), dtype=dtype)
        self.cap = max(1, math.isqrt(MAX_TILE_BYTES // np.dtype(dtype).itemsize))
        self.target_pairs = max(1.0, TILE_CELLS / pair_cost)
        self.tiles_wanted = 4 * scheduler_threads()

    def name(self, *parts) -> str:
        return f"cdist_{self.family}-" + tokenize(self.fn, self.kw, *parts)

    def self_matrix(self, X, label: str, offset: int):
        n = int(X.shape[0])
        b, _ = _rows(n, self.target_pairs, self.tiles_wanted, self.cap, True)
        X = _chunked(X, b, self.cap, lambda nb: nb * (nb + 1) // 2, self.tiles_wanted)
        keys, starts = _series_keys(X), _starts(X.chunks[0])
        name = self.name("self", X.name)
        dsk = {}
        nb = len(keys)
        for i in range(nb):
            for j in range(nb):
                if i == j:
                    where = f"{label}[{offset + starts[i]}:{offset + starts[i + 1]}]"
                    dsk[(name, i, j)] = (partial(_tile_self, self.fn, self.kw, where), keys[i])
                elif i < j:
                    where = (
                        f"{label}[{offset + starts[i]}:{offset + starts[i + 1]}] x "
                        f"{label}[{offset + starts[j]}:{offset + starts[j + 1]}]"
                    )
                    rename = {"dataset2": label, "dataset1": label}
                    task = partial(_tile_cross, self.fn, self.kw, where, rename)
                    dsk[(name, i, j)] = (task, keys[i], keys[j])
                else:
                    dsk[(name, i, j)] = (_mirror, (name, j, i))
        graph = HighLevelGraph.from_collections(name, dsk, dependencies=[X])
        return da.Array(graph, name, chunks=(X.chunks[0], X.chunks[0]), meta=self.meta)

    def cross_matrix(self, X, Y, labels, offsets, rename):
        n1, n2 = int(X.shape[0]), int(Y.shape[0])
        b1, b2 = _rows(n1, self.target_pairs, self.tiles_wanted, self.cap, False, n2)
        X = _chunked(X, b1, self.cap, lambda nb: nb * len(Y.chunks[0]), self.tiles_wanted)
        Y = _chunked(Y, b2, self.cap, lambda nb: nb * len(X.chunks[0]), self.tiles_wanted)
        kx, ky = _series_keys(X), _series_keys(Y)
        sx, sy = _starts(X.chunks[0]), _starts(Y.chunks[0])
        name = self.name("cross", X.name, Y.name)
        dsk = {}
        for i in range(len(kx)):
            for j in range(len(ky)):
                where = (
                    f"{labels[0]}[{offsets[0] + sx[i]}:{offsets[0] + sx[i + 1]}] x "
                    f"{labels[1]}[{offsets[1] + sy[j]}:{offsets[1] + sy[j + 1]}]"
                )
                task = partial(_tile_cross, self.fn, self.kw, where, rename)
                dsk[(name, i, j)] = (task, kx[i], ky[j])
        graph = HighLevelGraph.from_collections(name, dsk, dependencies=[X, Y])
        return da.Array(graph, name, chunks=(X.chunks[0], Y.chunks[0]), meta=self.meta)


def dask_cdist(fn, family: str, dataset1, dataset2, block, kw: dict):
    """The lazy ``(n1, n2)`` (or block) matrix of ``fn`` over dask datasets."""
    X = as_dask_dataset(dataset1, "dataset1")
    Y = None if dataset2 is None else as_dask_dataset(dataset2, "dataset2", like=X)
    if Y is not None:
        check_same_features(X, Y, ("dataset1", "dataset2"))
    # the call's arguments are checked now, not in the first task, on a tiny problem that
    # also gives the result's dtype and array type
    check_verbose(kw.get("verbose", 0))
    out = fn(probe(X), None if Y is None else probe(Y), **{**kw, "verbose": 0})
    if type(out) is not type(X._meta):
        raise TypeError(
            f"be: with dask inputs the tiles run on the blocks' own library "
            f"({type(X._meta).__module__}), got a result of type {type(out).__name__}"
        )
    if Y is not None and X.dtype != Y.dtype:
        X, Y = X.astype(out.dtype), Y.astype(out.dtype)
    gamma = kw.get("gamma")
    cost = CELL_COST["dtw"] if gamma == 0 else CELL_COST[family]
    band = resolve_band(
        kw.get("global_constraint"), kw.get("sakoe_chiba_radius"), kw.get("itakura_max_slope")
    )
    n_len, m_len = int(X.shape[1]), int((X if Y is None else Y).shape[1])
    plan = _Plan(fn, family, kw, out.dtype, X._meta, cost * pair_cells(n_len, m_len, band))
    n1 = int(X.shape[0])
    if Y is not None:
        (r0, r1), (c0, c1) = check_block(block, n1, int(Y.shape[0]))
        return plan.cross_matrix(
            X[r0:r1], Y[c0:c1], ("dataset1", "dataset2"), (r0, c0), rename=None
        )
    if block is None:
        return plan.self_matrix(X, "dataset1", 0)
    rows, cols = check_block(block, n1, n1)
    rename = {"dataset2": "dataset1"}
    grid = []
    for line in block_pieces(rows, cols):
        parts = []
        for kind, (a0, a1), (b0, b1) in line:
            if kind == SYMMETRIC:
                parts.append(plan.self_matrix(X[a0:a1], "dataset1", a0))
            elif kind == CROSS:
                labels = ("dataset1", "dataset1")
                parts.append(plan.cross_matrix(X[a0:a1], X[b0:b1], labels, (a0, b0), rename))
            else:
                labels = ("dataset1", "dataset1")
                t = plan.cross_matrix(X[b0:b1], X[a0:a1], labels, (b0, a0), rename)
                parts.append(t.T)
        grid.append(parts)
    return da.block(grid)
