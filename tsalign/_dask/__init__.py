"""Dask inputs: lazy tiled cdist matrices and kNN search on whatever scheduler is active.

The public functions hand their dask inputs here (a few lines in ``dtw.py``,
``soft_dtw.py``, ``neighbors.py``).  Detection is by type and only when ``dask.array``
is already imported (as for torch and cupy in ``_lib/backend.py``), so importing
tsalign never imports dask; the modules that import dask (:mod:`.cdist`,
:mod:`.neighbors`) are loaded on the first dask input.

Every task runs the *in-memory* public function on numpy blocks (validation,
constraints, kernels through ``Backend.call_kernel``), so a tile is computed exactly as
the same pairs would be in memory; the scheduler's workers are the parallelism, each task
running its kernels on one numba thread unless ``n_jobs`` says otherwise (numba's thread
count is per thread, so a worker with T threads runs T single-threaded kernels: no
oversubscription).  See ``docs/distributed.rst``.
"""

from __future__ import annotations

import sys

from .._lib.docs import add_fragments

# numpydoc text of the cdist functions' dask inputs and block= (see _lib/docs.py)
add_fragments(
    dask_dataset="""\
A ``dask.array.Array`` (chunked along the series) gives a lazy, tiled
result on the active Dask scheduler (see "Beyond one machine").""",
    block="""\
block : ((int, int), (int, int)) or None
    Compute only the block ``D[i0:i1, j0:j1]`` of the matrix, given as
    ``((i0, i1), (j0, j1))`` (dtaidistance's ``block=``, to split a large
    matrix by hand); the result has the block's shape.  ``None`` for one of
    the two ranges means the whole axis.""",
    dask_result="""\
A lazy ``dask.array.Array`` when a dataset is one.""",
)


def is_dask(*xs) -> bool:
    """Whether any of ``xs`` is a ``dask.array.Array`` (False if dask is not imported)."""
    da = sys.modules.get("dask.array")
    if da is None:
        return False
    return any(isinstance(x, da.Array) for x in xs)


def cdist_split(fn, family: str, call: dict):
    """A cdist with dask inputs (lazy, tiled) or with ``block=`` (in memory).

    ``fn`` is the public in-memory ``cdist_*`` function, ``family`` one of ``"dtw"``,
    ``"soft_dtw"``, ``"soft_dtw_normalized"`` (for the cost of a pair), ``call`` the
    call's arguments (the ``locals()`` of ``fn`` before anything else ran).
    """
    kw = dict(call)
    dataset1, dataset2, block = kw.pop("dataset1"), kw.pop("dataset2"), kw.pop("block")
    kw.pop("compute_with_backend", None)  # accepted by soft-DTW's cdists, ignored
    if is_dask(dataset1, dataset2):
        from .cdist import dask_cdist

        return dask_cdist(fn, family, dataset1, dataset2, block, kw)
    from .._lib.blocks import cdist_block

    return cdist_block(fn, dataset1, dataset2, block, kw)


def kneighbors_split(fn, call: dict):
    """kNN with dask inputs (``call``: the ``locals()`` of the public ``fn``).

    The result is computed now and comes back as numpy arrays, equal to ``fn``'s
    in-memory result.
    """
    from .neighbors import dask_kneighbors

    kw = dict(call)
    X_query, X_ref, n_neighbors = kw.pop("X_query"), kw.pop("X_ref"), kw.pop("n_neighbors")
    return dask_kneighbors(fn, X_query, X_ref, n_neighbors, kw)
