r"""Soft-DTW: tslearn's API on numpy, PyTorch and CuPy, CPU and GPU.

.. math::

    \text{soft-DTW}_\gamma(X, Y) = \min_\pi{}^\gamma \sum_{(i, j) \in \pi} \|X_i - Y_j\|^2,
    \qquad \min{}^\gamma(a_1, \dots, a_k) = -\gamma \log \sum_l e^{-a_l / \gamma}

over the warping paths :math:`\pi` from (0, 0) to (N-1, M-1) (Cuturi & Blondel,
2017).  The cost is the squared Euclidean distance (no square root), so the
value can be negative; ``gamma=0`` is exactly ``dtw(X, Y) ** 2``.  Shapes and
padding follow the DTW family: ``(N,)``/``(N, d)`` is one series, ``(B, N, d)``
with ``(B, M, d)`` a batch of pairs, trailing all-NaN rows mark shorter series.
With torch tensors that require grad every function is differentiable in both
inputs (through the cost matrix, see ``tsalign/_torch/soft_dtw.py``).

Memory per pair (N x M, floats of s bytes; what the kernels allocate):

- values without gradients (``soft_dtw``, ``cdist_soft_dtw``...): O(N),
  costs are computed on the fly from the series (three anti-diagonals of N
  values; on the CPU also the band bounds, 2 N int64; on the GPU the
  diagonals sit in shared memory up to 48 KiB, in global memory beyond);
- with gradients, forward: the cost matrix (``N M s``, transient: autograd
  keeps only the series, the cost's backward being two batched matmuls) and
  the soft-min weights (``2 N M s``, kept for the backward pass); backward:
  the expected alignment ``E`` and the cost gradient (``N M s`` each).  For
  N = M = 4096 in float32: 64 MiB + 128 MiB forward, 2 x 64 MiB backward.
  No (N, M, d) tensor is ever built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dask import cdist_split, is_dask
from ._lib.backend import backend_of
from ._lib.constraints import resolve_band
from ._lib.costs import sq_euclidean
from ._lib.docs import add_fragments, fill_doc
from ._lib.pairs import cdist_job, differentiable_cdist, kernel_cdist, pair_job
from ._lib.paths import check_feasible, pair_result
from ._lib.validation import as_array, check_finite, check_float, dataset_pair
from ._lib.values import soft_dtw_cost_values, soft_dtw_values
from .dtw import cdist_dtw, dtw, dtw_path

__all__ = [
    "soft_dtw",
    "soft_dtw_alignment",
    "soft_dtw_normalized",
    "soft_dtw_from_cost",
    "cdist_soft_dtw",
    "cdist_soft_dtw_normalized",
]


add_fragments(
    sdtw_gamma="""\
gamma : float, default 1.0
    Smoothing, >= 0, as in :func:`soft_dtw`.""",
    # the whole Parameters section of soft_dtw_alignment and soft_dtw_normalized
    sdtw_parameters="""\
%(pair_parameters)s
%(sdtw_gamma)s
%(constraint)s
%(be)s
%(compute_with_backend)s""",
)


# --------------------------------------------------------------------------- helpers
def _gamma(gamma) -> float:
    return check_float(gamma, "gamma", nonnegative=True)


# --------------------------------------------------------------------------- metrics
@fill_doc
def soft_dtw(
    s1,
    s2,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    compute_with_backend: Any = None,
):
    r"""Soft-DTW between two series (or batches of pairs).

    .. math::

        \text{soft-DTW}_\gamma(X, Y) = \min_\pi{}^\gamma \sum_{(i, j) \in \pi}
        \|X_i - Y_j\|^2

    Parameters
    ----------
    s1, s2 : array-like, shapes (N,), (N, d) or (B, N, d) and (M,), (M, d) or (B, M, d)
        Two series, or two batches of B series, as in :func:`tsalign.dtw`
        (trailing all-NaN rows are padding).
    gamma : float
        Smoothing, >= 0.  ``gamma=0`` gives exactly ``dtw(s1, s2) ** 2``.
    %(constraint)s
    %(be)s
    %(compute_with_backend)s

    Returns
    -------
    float or array
        A Python float for one numpy pair, a 0-d tensor/array for one
        torch/cupy pair, shape (B,) for a batch.  Differentiable with torch
        inputs that require grad (gradients w.r.t. both inputs, finite under
        every constraint).

    Notes
    -----
    Memory per pair (N x M, floats of s bytes): ``3 N s`` without gradients;
    with gradients, forward ``N M s`` (transient cost matrix) + ``2 N M s``
    (soft-min weights, kept), backward ``2 N M s`` (E and the cost
    gradient); see the module notes.

    Examples
    --------
    >>> soft_dtw([1, 2, 2, 3], [1., 2., 3., 4.], gamma=1.)
    -0.89544...
    >>> soft_dtw([1, 2, 3, 3], [1., 2., 2.1, 3.2], gamma=0.01)
    0.09...
    >>> soft_dtw([1, 2, 3], [3, 4, -3], gamma=0.0)
    42.0...
    >>> import numpy as np
    >>> soft_dtw(np.zeros((2, 3, 1)), np.ones((2, 4, 1)), gamma=1.0)
    array([1.82890198, 1.82890198])
    """
    gamma = _gamma(gamma)
    if gamma == 0.0:
        return dtw(s1, s2, global_constraint, sakoe_chiba_radius, itakura_max_slope, be=be) ** 2
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    values = soft_dtw_values(be, a, b, band, gamma)
    return pair_result(be, values, batched)


@fill_doc
def soft_dtw_alignment(
    s1,
    s2,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    compute_with_backend: Any = None,
):
    r"""Soft-DTW and its expected alignment matrix.

    The expected alignment is :math:`E = \partial\, \text{soft-DTW} / \partial C`
    for the cost matrix :math:`C_{ij} = \|X_i - Y_j\|^2`: the mean of the
    paths' 0/1 matrices under the Gibbs distribution
    :math:`p(\pi) \propto e^{-\text{cost}(\pi) / \gamma}`.

    %(sdtw_parameters)s

    Returns
    -------
    E : array, shape (N, M), or (B, N, M) for a batch
        The expected alignment (for a batch, zero outside each pair's
        lengths and band); for ``gamma=0``, the 0/1 matrix of the optimal
        path.  Not differentiable.
    value : float or array
        As returned by :func:`soft_dtw` (differentiable with torch inputs).

    Notes
    -----
    Memory per pair (floats): the cost matrix ``N M``, the soft-min weights
    ``2 N M`` and E ``N M``.

    Examples
    --------
    >>> E, value = soft_dtw_alignment([1, 2, 2, 3], [1., 2., 3., 4.], gamma=1.)
    >>> value
    -0.89544...
    >>> E.round(3)
    array([[1.   , 0.189, 0.   , 0.   ],
           [0.34 , 0.817, 0.089, 0.   ],
           [0.051, 0.71 , 0.53 , 0.007],
           [0.   , 0.131, 0.73 , 1.   ]])
    """
    gamma = _gamma(gamma)
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    xp = be.xp
    if gamma == 0.0:
        paths, dist = dtw_path(
            s1, s2, global_constraint, sakoe_chiba_radius, itakura_max_slope, be=be
        )
        B, N, M = a.X.shape[0], a.X.shape[1], b.X.shape[1]
        host = np.zeros((B, N, M), dtype=np.dtype(str(a.X.dtype).split(".")[-1]))
        for k, path in enumerate(paths if batched else [paths]):
            for i, j in path:
                host[k, i, j] = 1.0
        E = host if be.is_numpy else xp.asarray(host, device=be.device_of(a.X))
        value = dist**2
    else:
        X, Y = (a.X.detach(), b.X.detach()) if be.is_pytorch else (a.X, b.X)
        C = sq_euclidean(be, X, Y)
        values, W = be.call_kernel(
            "soft_dtw", "soft_dtw_forward", C, C, a.lengths, b.lengths, band, gamma
        )
        check_feasible(be, values, band, a.lengths, b.lengths)
        E = be.call_kernel("soft_dtw", "soft_dtw_backward", W, W, a.lengths, b.lengths, band)
        if be.needs_grad(a.X, b.X):
            values = soft_dtw_values(be, a, b, band, gamma)
        value = pair_result(be, values, batched)
    if batched:
        return E, value
    return E[0, : int(a.lengths[0]), : int(b.lengths[0])], value


@fill_doc
def soft_dtw_normalized(
    s1,
    s2,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
    compute_with_backend: Any = None,
):
    r"""Soft-DTW divergence (Blondel, Mensch & Vert, 2021).

    .. math::

        D_\gamma(X, Y) = \text{soft-DTW}_\gamma(X, Y)
        - \tfrac12 \left(\text{soft-DTW}_\gamma(X, X) + \text{soft-DTW}_\gamma(Y, Y)\right)

    which is zero for ``X == Y`` and non-negative; at ``gamma=0`` it equals
    ``dtw ** 2``.

    %(sdtw_parameters)s

    Returns
    -------
    float or array
        A Python float for one numpy pair, a 0-d tensor/array for one
        torch/cupy pair, shape (B,) for a batch; differentiable with torch
        inputs that require grad.

    Notes
    -----
    Three soft-DTW evaluations; memory per evaluation as in :func:`soft_dtw`.

    Examples
    --------
    >>> soft_dtw_normalized([1, 2, 2, 3], [1, 2, 2, 3], gamma=0.1)
    0.0
    >>> soft_dtw_normalized([1, 2, 2, 3], [1., 2., 3., 4.], gamma=1.)
    1.309...
    """
    gamma = _gamma(gamma)
    if gamma == 0.0:
        # the divergence of DTW^2 is DTW^2 itself; computed as soft_dtw(gamma=0) is, so the
        # two agree to the last bit (dtw ** 2, not the accumulated cost, which can differ by
        # one ulp)
        return soft_dtw(s1, s2, 0.0, global_constraint, sakoe_chiba_radius, itakura_max_slope, be)
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    be, band, a, b, batched = pair_job(s1, s2, be, constraint)
    xy = soft_dtw_values(be, a, b, band, gamma)
    xx = soft_dtw_values(be, a, a, band, gamma)
    yy = soft_dtw_values(be, b, b, band, gamma)
    values = xy - 0.5 * (xx + yy)
    return pair_result(be, values, batched)


@fill_doc
def soft_dtw_from_cost(
    C,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    be: Any = None,
):
    r"""Soft-DTW of a precomputed cost matrix (or a batch of them).

    Use it for costs other than the squared Euclidean distance: with a torch
    tensor that requires grad the value is differentiable in ``C`` (the
    gradient is the expected alignment), so gradients flow through whatever
    built ``C``.

    Parameters
    ----------
    C : array-like, shape (N, M) or (B, N, M)
        Cost matrix (no NaN).
    %(sdtw_gamma)s
    %(constraint)s
    %(be)s

    Returns
    -------
    float or array
        Scalar for one matrix, (B,) for a batch.

    Examples
    --------
    >>> soft_dtw_from_cost([[0., 1.], [1., 0.]], gamma=1.0)
    -0.5514...
    >>> soft_dtw_from_cost([[0., 1.], [1., 0.]], gamma=0.0)
    0.0
    """
    gamma = _gamma(gamma)
    be = backend_of(C, be=be)
    band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
    Ca = as_array(be, C, "C")
    batched = Ca.ndim == 3
    if Ca.ndim == 2:
        Ca = Ca[None]
    elif Ca.ndim != 3:
        raise ValueError(f"C must have shape (N, M) or (B, N, M), got {tuple(Ca.shape)}")
    B, N, M = (int(s) for s in Ca.shape)
    if N == 0 or M == 0 or B == 0:
        raise ValueError(f"C must not be empty, got shape {tuple(Ca.shape)}")
    check_finite(be, Ca, "C")
    lx = np.full(B, N, dtype=np.int64)
    ly = np.full(B, M, dtype=np.int64)
    values = soft_dtw_cost_values(be, Ca, lx, ly, band, gamma)
    return pair_result(be, values, batched)


@fill_doc
def cdist_soft_dtw(
    dataset1,
    dataset2=None,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
    compute_with_backend: Any = None,
    block=None,
):
    r"""Soft-DTW between every series of ``dataset1`` and every series of ``dataset2``.

    Parameters
    ----------
    %(dataset1)s
        %(dask_dataset)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself (pairs
        a <= b are computed, the diagonal included: soft-DTW of a series with
        itself is not zero).
    %(sdtw_gamma)s
    %(constraint)s
    %(cdist_run)s
    %(compute_with_backend)s
    %(block)s

    Returns
    -------
    array, shape (n1, n2)
        Differentiable with torch inputs that require grad.
        %(dask_result)s

    Notes
    -----
    Memory: O(N) per pair in flight without gradients; with gradients
    pairs are processed in slices, each pair as in :func:`soft_dtw`.

    Examples
    --------
    >>> cdist_soft_dtw([[1, 2, 2, 3], [1., 2., 3., 4.]], gamma=.01)
    array([[-0.01098612,  1.        ],
           [ 1.        ,  0.        ]])
    """
    if block is not None or is_dask(dataset1, dataset2):
        return cdist_split(cdist_soft_dtw, "soft_dtw", locals())
    gamma = _gamma(gamma)
    if gamma == 0.0:
        return (
            cdist_dtw(
                dataset1,
                dataset2,
                global_constraint,
                sakoe_chiba_radius,
                itakura_max_slope,
                n_jobs=n_jobs,
                verbose=verbose,
                be=be,
            )
            ** 2
        )
    constraint = (global_constraint, sakoe_chiba_radius, itakura_max_slope)
    job = cdist_job(dataset1, dataset2, be, constraint, n_jobs, verbose)
    if job.needs_grad:
        # the diagonal too: soft-DTW of a series with itself is not zero
        def pair(pa, pb):
            return soft_dtw_values(job.be, pa, pb, job.band, gamma)

        return differentiable_cdist(job, pair, diagonal=True, floats_per_cell=4)
    return kernel_cdist(job, "soft_dtw", (gamma,))


@fill_doc
def cdist_soft_dtw_normalized(
    dataset1,
    dataset2=None,
    gamma: float = 1.0,
    global_constraint: str | None = None,
    sakoe_chiba_radius: int | None = None,
    itakura_max_slope: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
    compute_with_backend: Any = None,
    block=None,
):
    r"""Soft-DTW divergence between every pair of series of two datasets.

    ``D[a, b] = sdtw(x_a, y_b) - (sdtw(x_a, x_a) + sdtw(y_b, y_b)) / 2``,
    non-negative and zero on identical series; at ``gamma=0`` it equals
    ``cdist_dtw ** 2``.

    Parameters
    ----------
    %(dataset1)s
        %(dask_dataset)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself.
    %(sdtw_gamma)s
    %(constraint)s
    %(cdist_run)s
    %(compute_with_backend)s
    %(block)s

    Returns
    -------
    array, shape (n1, n2)
        The divergences (zero on the diagonal for a dataset against itself);
        differentiable with torch inputs that require grad.
        %(dask_result)s

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(5, 12, 1))
    >>> D = cdist_soft_dtw_normalized(X, gamma=0.5)
    >>> bool(np.all(D >= 0)), bool(np.allclose(np.diag(D), 0))
    (True, True)
    >>> cdist_soft_dtw_normalized([[1, 2, 2, 3], [1., 2., 3., 4.]], gamma=1.0)
    array([[0.        , 1.30...],
           [1.30..., 0.        ]])
    """
    if block is not None or is_dask(dataset1, dataset2):
        return cdist_split(cdist_soft_dtw_normalized, "soft_dtw_normalized", locals())
    gamma = _gamma(gamma)
    cd = cdist_soft_dtw(
        dataset1,
        dataset2,
        gamma,
        global_constraint,
        sakoe_chiba_radius,
        itakura_max_slope,
        n_jobs=n_jobs,
        verbose=verbose,
        be=be,
    )
    if gamma == 0.0:
        return cd
    be = backend_of(dataset1, dataset2, be=be)
    xp = be.xp
    if dataset2 is None:
        sx = xp.linalg.diagonal(cd)
        sy = sx
    else:
        band = resolve_band(global_constraint, sakoe_chiba_radius, itakura_max_slope)
        A, Bd, _ = dataset_pair(be, dataset1, dataset2)
        sx = soft_dtw_values(be, A, A, band, gamma)
        sy = soft_dtw_values(be, Bd, Bd, band, gamma)
    return cd - 0.5 * (sx[:, None] + sy[None, :])
