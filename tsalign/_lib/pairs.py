"""Pairwise matrices (cdist) of a family: the kernel path and the differentiable one.

Without gradients :func:`kernel_cdist` runs the family's ``<family>_cdist`` launcher, which
enumerates the pairs itself and needs O(N) memory per pair in flight, with a progress bar
for ``verbose`` and the band-feasibility check of every pair.  With gradients each pair
keeps N x M floats for its backward (the accumulated costs and path for DTW; the cost
matrix, soft-min weights and expected alignment for soft-DTW), so
:func:`differentiable_cdist` evaluates the pairs in slices whose total size is bounded by
:data:`SLICE_BYTES`, then gathers the values into the (n1, n2) matrix with one
differentiable ``take``, which gives each entry of a symmetric matrix the gradient of both
its places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import Backend, backend_of
from .constraints import resolve_band
from .frame_metrics import metric_pair
from .paths import check_feasible
from .progress import Progress, check_verbose
from .validation import SeriesBatch, dataset_pair, series_pair

# Bytes of N x M work a slice of pairs may keep for its backward (counted in float64).
SLICE_BYTES = 1 << 29


def pair_indices(n1: int, n2: int, symmetric: bool, diagonal: bool):
    """Host int64 indices (ia, ib) of the pairs to compute, in row-major order.

    ``symmetric`` (dataset against itself): the pairs a < b, or a <= b with ``diagonal``.
    """
    if symmetric:
        return np.triu_indices(n1, k=0 if diagonal else 1)
    return np.divmod(np.arange(n1 * n2), n2)


@dataclass
class CdistJob:
    """Validated inputs of a cdist: backend, band, both datasets, and how to run it."""

    be: Backend
    band: tuple
    A: SeriesBatch
    B: SeriesBatch
    symmetric: bool
    n_jobs: int | None
    verbose: int

    @property
    def needs_grad(self) -> bool:
        return self.be.needs_grad(self.A.X, self.B.X)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.A.X.shape[0]), int(self.B.X.shape[0])

    def pairs(self):
        """Host int64 ``(ia, ib)`` of the pairs to compute (the upper triangle if symmetric)."""
        return cdist_pairs(*self.shape, self.symmetric)

    def fill(self, values, ia, ib, diagonal=0.0):
        """The (n1, n2) matrix of the pairs' ``values`` (see :func:`fill_matrix`)."""
        return fill_matrix(self.be, values, ia, ib, *self.shape, self.symmetric, diagonal)


def cdist_job(
    dataset1,
    dataset2,
    be: Any,
    constraint: tuple,
    n_jobs,
    verbose,
    same_features: bool = True,
) -> CdistJob:
    """Validate a cdist's arguments (``constraint``: tslearn's three constraint parameters).

    ``same_features=False`` lets the datasets' feature sizes differ (CTW).
    """
    be = backend_of(dataset1, dataset2, be=be)
    band = resolve_band(*constraint)
    verbose = check_verbose(verbose)
    A, B, symmetric = dataset_pair(be, dataset1, dataset2, same_features)
    return CdistJob(be, band, A, B, symmetric, n_jobs, verbose)


def pair_job(s1, s2, be: Any, constraint: tuple):
    """Validate a pair function's arguments; ``(be, band, a, b, batched)``.

    ``constraint``: tslearn's three constraint parameters.  The checks run in the order of
    :func:`cdist_job`'s: the backend, the constraint, then the series.
    """
    be = backend_of(s1, s2, be=be)
    band = resolve_band(*constraint)
    a, b, batched = series_pair(be, s1, s2)
    return be, band, a, b, batched


def metric_job(s1, s2, metric: Any, kwds: dict, be: Any, constraint: tuple):
    """Validate a ``*_path_from_metric``'s arguments; ``(be, band, C, lx, ly)``.

    ``C`` is the (1, N, M) frame-distance matrix and ``lx``, ``ly`` its host lengths (see
    :func:`~tsalign._lib.frame_metrics.metric_pair`); the checks run in :func:`pair_job`'s
    order.
    """
    be = backend_of(s1, s2, be=be)
    band = resolve_band(*constraint)
    C, lx, ly = metric_pair(be, s1, s2, metric, kwds)
    return be, band, C, lx, ly


def differentiable_cdist(
    job: CdistJob,
    values: Callable[[SeriesBatch, SeriesBatch], object],
    diagonal: bool,
    floats_per_cell: int,
    progress_label: str | None = None,
):
    """(n1, n2) matrix of ``values(pairs_a, pairs_b)`` over every pair, differentiable.

    ``values`` maps two batches of validated series to their (k,) values; it is called on
    slices of at most ``SLICE_BYTES / (8 floats_per_cell N M)`` pairs.  With ``symmetric``
    the lower triangle mirrors the upper one, and without ``diagonal`` the diagonal is 0.
    With ``progress_label`` and ``verbose`` a progress bar follows the slices.
    """
    be, A, B, symmetric = job.be, job.A, job.B, job.symmetric
    xp = be.xp
    X, Y = A.X, B.X
    n1, n2 = int(X.shape[0]), int(Y.shape[0])
    ia, ib = pair_indices(n1, n2, symmetric, diagonal)
    dev = be.device_of(X)
    cells = max(1, int(X.shape[1]) * int(Y.shape[1]))
    step = max(1, SLICE_BYTES // (8 * floats_per_cell * cells))
    progress = Progress(progress_label) if progress_label and job.verbose > 0 else None
    parts = []
    for s in range(0, len(ia), step):
        sa, sb = ia[s : s + step], ib[s : s + step]
        ta = xp.asarray(sa, device=dev)
        tb = xp.asarray(sb, device=dev)
        parts.append(values(SeriesBatch(X[ta], A.lengths[sa]), SeriesBatch(Y[tb], B.lengths[sb])))
        if progress is not None:
            progress(s + len(sa), len(ia))
    vals = xp.concat(parts) if parts else xp.zeros(0, dtype=X.dtype, device=dev)
    if not symmetric:
        return xp.reshape(vals, (n1, n2))
    # position of each entry in [vals, 0]: (a, b) and (b, a) read pair (min, max)
    r = np.arange(n1)
    lo, hi = np.minimum.outer(r, r), np.maximum.outer(r, r)
    index = np.full((n1, n1), len(ia), dtype=np.int64)
    index[ia, ib] = np.arange(len(ia))
    where = index[lo, hi].reshape(-1)
    padded = xp.concat([vals, xp.zeros(1, dtype=vals.dtype, device=dev)])
    return xp.reshape(xp.take(padded, xp.asarray(where, device=dev), axis=0), (n1, n1))


def cdist_pairs(n1: int, n2: int, symmetric: bool, diagonal: bool = False):
    """:func:`pair_indices` as int64 arrays (what the value kernels take)."""
    ia, ib = pair_indices(n1, n2, symmetric, diagonal)
    return np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64)


def fill_matrix(be: Backend, values, ia, ib, n1: int, n2: int, symmetric: bool, diagonal=0.0):
    """The (n1, n2) matrix holding ``values`` at ``(ia, ib)`` (and ``(ib, ia)`` if symmetric).

    For pair values computed without gradients, or whose gradient is carried by
    ``index_put`` (torch); ``diagonal`` fills what no pair covers.
    """
    xp = be.xp
    dev = be.device_of(values)
    if not symmetric:
        return xp.reshape(values, (n1, n2))
    if be.is_pytorch:
        out = values.new_full((n1, n2), float(diagonal))
        ta = be.torch.as_tensor(ia, device=values.device)
        tb = be.torch.as_tensor(ib, device=values.device)
        out = out.index_put((ta, tb), values)
        return out.index_put((tb, ta), values)
    out = xp.full((n1, n2), diagonal, dtype=values.dtype, device=dev)
    ta = xp.asarray(ia, device=dev)
    tb = xp.asarray(ib, device=dev)
    out[ta, tb] = values
    out[tb, ta] = values
    return out


def kernel_cdist(job: CdistJob, family: str, params: tuple):
    """(n1, n2) values of the launcher ``<family>_cdist`` (no autograd).

    ``params`` are the family's scalars between the band and ``symmetric`` (gamma for
    soft-DTW).
    """
    from .. import kernels

    be, A, B = job.be, job.A, job.B
    progress = Progress(f"cdist_{family}") if job.verbose > 0 else None
    with kernels.threads(job.n_jobs):
        out = be.call_kernel(
            family,
            f"{family}_cdist",
            A.X,
            A.X,
            B.X,
            A.lengths,
            B.lengths,
            job.band,
            *params,
            job.symmetric,
            progress=progress,
        )
    lx = np.repeat(A.lengths, len(B.lengths))
    ly = np.tile(B.lengths, len(A.lengths))
    check_feasible(be, be.xp.reshape(out, (-1,)), job.band, lx, ly)
    return out
