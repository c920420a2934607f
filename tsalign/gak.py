r"""Global Alignment Kernel (Cuturi 2011): tslearn's API, computed in log space.

.. math::

    k(X, Y) = \sum_{\pi} \prod_{(i, j) \in \pi} \kappa(X_i, Y_j), \qquad
    \kappa(x, y) = \frac{e^{-\|x - y\|^2 / (2 \sigma^2)}}{2 - e^{-\|x - y\|^2 / (2 \sigma^2)}}

summed over every warping path :math:`\pi`.  :func:`gak` is the normalised
kernel :math:`k(X, Y) / \sqrt{k(X, X) k(Y, Y)}` in (0, 1].  The recursion runs
in log space, so the normalised value stays finite for long series where the
unnormalised one overflows.  Differentiable with torch tensors that require
grad (the gradient of the log kernel is the occupancy of each cell).  On a
GPU (CuPy, CUDA tensors) the values run on the device: log GAK is the negated
soft-DTW (gamma = 1) of the costs ``-log kappa``, so soft-DTW's CUDA
recurrence computes it, and soft-DTW's CUDA backward gives the gradient
(GAK's own gradient kernels run on the CPU).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._lib.backend import backend_of
from ._lib.costs import sq_euclidean
from ._lib.docs import add_fragments, fill_doc
from ._lib.pairs import cdist_job
from ._lib.paths import pair_result
from ._lib.progress import Progress
from ._lib.validation import check_float, check_int, series_pair
from ._lib.validation import dataset as as_dataset

__all__ = ["gak", "unnormalized_gak", "cdist_gak", "sigma_gak", "SigmaError"]

add_fragments(
    # the whole Parameters section of the family's pair functions
    gak_parameters="""\
%(pair_parameters)s
sigma : float
    Bandwidth of the Gaussian local kernel (non-zero; see :func:`sigma_gak`).
%(be)s""",
)


class SigmaError(ValueError, ZeroDivisionError):
    """``sigma`` is zero: a ValueError, and the ZeroDivisionError tslearn raises."""


def _check_sigma(sigma) -> float:
    sigma = check_float(sigma, "sigma")
    if math.isclose(sigma, 0.0):
        raise SigmaError("sigma must be non-zero (it scales the local kernel)")
    return sigma


def _log_values(be, X, Y, lx, ly, ia, ib, sigma):
    """log unnormalised GAK of the pairs (X[ia], Y[ib]); differentiable with torch."""
    if be.needs_grad(X, Y):
        from ._torch.gak import log_gak

        dev = X.device
        Xp = X[be.torch.as_tensor(ia, device=dev)]
        Yp = Y[be.torch.as_tensor(ib, device=dev)]
        u = -sq_euclidean(be, Xp, Yp) / (2.0 * sigma * sigma)
        K = u - be.torch.log(2.0 - be.torch.exp(u))
        return log_gak(K, lx[ia], ly[ib])
    return be.call_kernel("gak", "gak_log_pairs", X, X, Y, lx, ly, ia, ib, sigma)


def _exp(be, v):
    if be.is_numpy:
        with np.errstate(over="ignore"):
            return np.exp(v)
    return be.xp.exp(v)


def _pair(s1, s2, sigma, be):
    """The backend, the validated pair, ``batched``, the pairs' indices and ``sigma``."""
    be = backend_of(s1, s2, be=be)
    sigma = _check_sigma(sigma)
    a, b, batched = series_pair(be, s1, s2)
    idx = np.arange(a.X.shape[0], dtype=np.int64)
    return be, a, b, batched, idx, sigma


@fill_doc
def gak(s1, s2, sigma: float = 1.0, be: Any = None):
    r"""Normalised Global Alignment Kernel between two series (or batches of pairs).

    %(gak_parameters)s

    Returns
    -------
    float or array
        :math:`k(X, Y) / \sqrt{k(X, X) k(Y, Y)}`: a float for one numpy pair,
        a 0-d tensor for one torch pair, shape (B,) for a batch.

    Raises
    ------
    SigmaError
        If ``sigma`` is zero (a ValueError and a ZeroDivisionError).

    Examples
    --------
    >>> round(gak([1, 2, 2, 3], [1., 2., 3., 4.], sigma=2.), 6)
    0.656297
    >>> gak([1, 2, 3], [1, 2, 3])
    1.0
    """
    be, a, b, batched, idx, sigma = _pair(s1, s2, sigma, be)
    lxy = _log_values(be, a.X, b.X, a.lengths, b.lengths, idx, idx, sigma)
    lxx = _log_values(be, a.X, a.X, a.lengths, a.lengths, idx, idx, sigma)
    lyy = _log_values(be, b.X, b.X, b.lengths, b.lengths, idx, idx, sigma)
    return pair_result(be, _exp(be, lxy - 0.5 * (lxx + lyy)), batched)


@fill_doc
def unnormalized_gak(s1, s2, sigma: float = 1.0, be: Any = None):
    r"""Unnormalised Global Alignment Kernel :math:`k(X, Y)`.

    Same arguments as :func:`gak`.  The value grows exponentially with the
    lengths and is ``inf`` once it leaves the floating-point range (about 400
    frames in float64); :func:`gak` stays finite.

    %(gak_parameters)s

    Returns
    -------
    float or array
        :math:`k(X, Y)`.

    Examples
    --------
    >>> round(unnormalized_gak([1, 2, 3], [1., 2., 2., 3.], sigma=2.), 3)
    15.358
    """
    be, a, b, batched, idx, sigma = _pair(s1, s2, sigma, be)
    value = _exp(be, _log_values(be, a.X, b.X, a.lengths, b.lengths, idx, idx, sigma))
    return pair_result(be, value, batched)


@fill_doc
def cdist_gak(
    dataset1,
    dataset2=None,
    sigma: float = 1.0,
    n_jobs: int | None = None,
    verbose: int = 0,
    be: Any = None,
):
    r"""Normalised GAK between every series of ``dataset1`` and of ``dataset2``.

    Parameters
    ----------
    %(dataset1)s
    dataset2 : same as dataset1, or None
        The other dataset; None means ``dataset1`` against itself (upper
        triangle computed once and mirrored; the diagonal is 1).
    sigma : float
        Bandwidth of the local kernel (non-zero).
    %(cdist_run)s

    Returns
    -------
    array, shape (n1, n2)
        The kernel values (differentiable with torch inputs that require grad).

    Examples
    --------
    >>> cdist_gak([[1, 2, 2, 3], [1., 2., 3., 4.]], sigma=2.)
    array([[1.        , 0.65629661],
           [0.65629661, 1.        ]])
    """
    from . import kernels

    sigma = _check_sigma(sigma)
    job = cdist_job(dataset1, dataset2, be, (None, None, None), n_jobs, verbose)
    be, A, B, symmetric = job.be, job.A, job.B, job.symmetric
    X, Y = A.X, B.X
    n1, n2 = job.shape
    ia, ib = job.pairs()
    i1 = np.arange(n1, dtype=np.int64)
    i2 = np.arange(n2, dtype=np.int64)
    with kernels.threads(n_jobs):
        lxy = _log_values(be, X, Y, A.lengths, B.lengths, ia, ib, sigma)
        dx = _log_values(be, X, X, A.lengths, A.lengths, i1, i1, sigma)
        dy = dx if symmetric else _log_values(be, Y, Y, B.lengths, B.lengths, i2, i2, sigma)
    if job.verbose > 0:
        Progress("cdist_gak")(len(ia), len(ia))
    values = _exp(be, lxy - 0.5 * (dx[ia] + dy[ib]) if not be.is_pytorch else lxy)
    if be.is_pytorch:
        t = be.torch
        values = t.exp(lxy - 0.5 * (dx[t.as_tensor(ia)] + dy[t.as_tensor(ib)]))
    return job.fill(values, ia, ib, diagonal=1.0)


@fill_doc
def sigma_gak(dataset, n_samples: int = 100, random_state=None, be: Any = None):
    r"""Bandwidth for GAK from the data (tslearn's heuristic).

    The median Euclidean distance between ``n_samples`` frames drawn at random
    from the dataset, times the square root of the series length.

    Parameters
    ----------
    dataset : array-like, shape (n, N, d), (n, N) or (N,)
        The dataset (NaN padding allowed).
    n_samples : int
        Number of frames drawn.
    random_state : int, numpy.random.RandomState or None
        Seed of the draw (same draws as tslearn for the same seed).
    %(be)s

    Returns
    -------
    numpy float or 0-d array
        The suggested ``sigma`` (a numpy scalar on numpy, as in tslearn).

    Examples
    --------
    >>> float(sigma_gak([[1, 2, 2, 3], [1., 2., 3., 4.]], n_samples=200, random_state=0))
    2.0
    """
    be = backend_of(dataset, be=be)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    A = as_dataset(be, dataset, "dataset")
    sz = int(A.X.shape[1])
    d = int(A.X.shape[2])
    host = be.to_numpy(A.X) if not be.is_numpy else A.X
    rows = np.arange(sz)[None, :] < A.lengths[:, None]
    frames = host[rows].reshape(-1, d)
    rs = random_state
    if not isinstance(rs, np.random.RandomState):
        rs = np.random.RandomState(rs)
    idx = rs.choice(len(frames), size=n_samples, replace=len(frames) < n_samples)
    from scipy.spatial.distance import pdist

    value = np.median(pdist(frames[idx], metric="euclidean")) * np.sqrt(sz)
    if be.is_numpy:
        return host.dtype.type(value)
    return be.xp.asarray(np.asarray(value, dtype=host.dtype), device=be.device_of(A.X))
