"""Every public name of ``tslearn.metrics`` (0.10.0), on tsalign.

``import tsalign.metrics as metrics`` replaces ``import tslearn.metrics as
metrics``: the same 44 names with tslearn's signatures, defaults and return
types, computed by tsalign's kernels.  Where tsalign deliberately differs
(listed on the coming-from page), :mod:`tsalign.compat.tslearn` gives
tslearn's behaviour.  ``SoftDTWLossPyTorch`` is :class:`tsalign.nn.SoftDTWLoss`
(imported on first access: it needs torch).

Besides the functions of the family modules this module defines tslearn's
two small classes, :class:`SquaredEuclidean` and :class:`SoftDTW` (the
cost-matrix object, not the torch module :class:`tsalign.nn.SoftDTW`), the
constants, and :func:`gamma_soft_dtw`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import performance  # noqa: F401  (tslearn.metrics.performance)
from ._lib.backend import backend_of, instantiate_backend
from ._lib.constraints import NO_BAND
from ._lib.docs import fill_doc
from ._lib.validation import as_array, check_float, single_series
from .ctw import cdist_ctw, ctw, ctw_path
from .cycc import cdist_normalized_cc, y_shifted_sbd_vec
from .dtw import (
    cdist_dtw,
    compute_mask,
    dtw,
    dtw_accumulated_matrix,
    dtw_path,
    dtw_path_from_metric,
    dtw_subsequence_path,
    itakura_mask,
    lb_envelope,
    lb_keogh,
    sakoe_chiba_mask,
    subsequence_cost_matrix,
    subsequence_path,
)
from .frechet import (
    cdist_frechet,
    frechet,
    frechet_accumulated_matrix,
    frechet_path,
    frechet_path_from_metric,
)
from .gak import cdist_gak, gak, sigma_gak, unnormalized_gak
from .lcss import lcss, lcss_path, lcss_path_from_metric
from .ldtw import dtw_limited_warping_length, dtw_path_limited_warping_length
from .sax import cdist_sax
from .soft_dtw import (
    cdist_soft_dtw,
    cdist_soft_dtw_normalized,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_normalized,
)

__all__ = [
    "TSLEARN_VALID_METRICS",
    "VARIABLE_LENGTH_METRICS",
    "GLOBAL_CONSTRAINT_CODE",
    "compute_mask",
    "itakura_mask",
    "sakoe_chiba_mask",
    "dtw",
    "dtw_path",
    "dtw_accumulated_matrix",
    "dtw_path_from_metric",
    "cdist_dtw",
    "dtw_limited_warping_length",
    "dtw_path_limited_warping_length",
    "subsequence_path",
    "subsequence_cost_matrix",
    "dtw_subsequence_path",
    "lb_envelope",
    "lb_keogh",
    "lcss",
    "lcss_path",
    "lcss_path_from_metric",
    "ctw_path",
    "ctw",
    "cdist_ctw",
    "cdist_sax",
    "cdist_soft_dtw",
    "cdist_soft_dtw_normalized",
    "sigma_gak",
    "gak",
    "unnormalized_gak",
    "cdist_gak",
    "soft_dtw",
    "soft_dtw_alignment",
    "soft_dtw_normalized",
    "gamma_soft_dtw",
    "SquaredEuclidean",
    "SoftDTW",
    "SoftDTWLossPyTorch",  # noqa: F822 (module __getattr__: imports torch)
    "cdist_normalized_cc",
    "y_shifted_sbd_vec",
    "frechet",
    "frechet_path",
    "frechet_accumulated_matrix",
    "frechet_path_from_metric",
    "cdist_frechet",
    "METRIC_TO_FUNCTION",
]

#: Metric names tslearn's estimators accept.
TSLEARN_VALID_METRICS = [
    "ctw",
    "dtw",
    "gak",
    "sax",
    "softdtw",
    "softdtw_normalized",
    "lcss",
    "frechet",
]
#: Metrics that take series of different lengths.
VARIABLE_LENGTH_METRICS = list(TSLEARN_VALID_METRICS)
#: tslearn's integer codes of the global constraints.
GLOBAL_CONSTRAINT_CODE = {None: 0, "": 0, "itakura": 1, "sakoe_chiba": 2}
#: The cdist function of each metric name (tslearn's table; it has no LCSS cdist).
METRIC_TO_FUNCTION = {
    "ctw": cdist_ctw,
    "dtw": cdist_dtw,
    "gak": cdist_gak,
    "sax": cdist_sax,
    "softdtw": cdist_soft_dtw,
    "softdtw_normalized": cdist_soft_dtw_normalized,
    "frechet": cdist_frechet,
}


@fill_doc
def gamma_soft_dtw(dataset, n_samples: int = 100, random_state=None, be: Any = None):
    r"""Smoothing ``gamma`` for soft-DTW from the data: ``2 * sigma_gak(...) ** 2``.

    Parameters
    ----------
    dataset : array-like, shape (n, N, d), (n, N) or (N,)
        The dataset.
    n_samples : int
        Number of frames drawn (see :func:`tsalign.gak.sigma_gak`).
    random_state : int, numpy.random.RandomState or None
        Seed of the draw.
    %(be)s

    Returns
    -------
    numpy float or 0-d array
        The suggested ``gamma``.

    Examples
    --------
    >>> float(gamma_soft_dtw([[1, 2, 2, 3], [1., 2., 3., 4.]], n_samples=200, random_state=0))
    8.0
    """
    return 2.0 * sigma_gak(dataset, n_samples=n_samples, random_state=random_state, be=be) ** 2


_NUMPY = instantiate_backend("numpy")


@fill_doc
class SquaredEuclidean:
    r"""Squared Euclidean cost matrix between two series (tslearn's helper class).

    Parameters
    ----------
    X : array-like, shape (m,) or (m, d)
        First series.
    Y : array-like, shape (n,) or (n, d)
        Second series.
    %(be)s
    %(compute_with_backend)s

    Attributes
    ----------
    X, Y : arrays, shapes (m, d) and (n, d)
        The series in float64.

    Examples
    --------
    >>> SquaredEuclidean([1, 2, 2, 3], [1, 2, 3, 4]).compute()
    array([[0., 1., 4., 9.],
           [1., 0., 1., 4.],
           [1., 0., 1., 4.],
           [4., 1., 0., 1.]])
    """

    def __init__(self, X, Y, be: Any = None, compute_with_backend: bool = False):
        self.be = backend_of(X, Y, be=be)
        xp = self.be.xp
        self.X = xp.astype(single_series(self.be, X, "X").X[0], xp.float64)
        self.Y = xp.astype(single_series(self.be, Y, "Y").X[0], xp.float64)
        if self.X.shape[1] != self.Y.shape[1]:
            raise ValueError(
                f"X and Y must have the same feature size, got {self.X.shape[1]} and "
                f"{self.Y.shape[1]}"
            )

    def compute(self):
        """The (m, n) matrix of squared distances between the frames.

        Returns
        -------
        array, shape (m, n)
            The squared Euclidean distances.
        """
        return self.be.cdist(self.X, self.Y, metric="sqeuclidean")

    def jacobian_product(self, E):
        r"""Product of the cost's Jacobian (w.r.t. X) with ``E`` (m, n): shape (m, d).

        :math:`G_i = 2 \sum_j E_{ij} (X_i - Y_j)`.

        Parameters
        ----------
        E : array-like, shape (m, n)
            The matrix multiplied (e.g. :meth:`SoftDTW.grad`).

        Returns
        -------
        array, shape (m, d)
            The product.
        """
        xp = self.be.xp
        E = xp.astype(as_array(self.be, E, "E"), xp.float64)
        if tuple(E.shape) != (self.X.shape[0], self.Y.shape[0]):
            raise ValueError(
                f"E must have shape ({self.X.shape[0]}, {self.Y.shape[0]}), got {tuple(E.shape)}"
            )
        return 2.0 * (self.X * xp.sum(E, axis=1)[:, None] - E @ self.Y)


@fill_doc
class SoftDTW:
    r"""Soft-DTW of a cost matrix, with its gradient (tslearn's ``metrics.SoftDTW``).

    Not to be confused with :class:`tsalign.nn.SoftDTW`, the torch loss module.

    Parameters
    ----------
    D : array-like, shape (m, n), or an object with a ``compute()`` method
        The cost matrix (e.g. :class:`SquaredEuclidean`).
    gamma : float
        Smoothing, > 0.
    %(be)s
    %(compute_with_backend)s

    Attributes
    ----------
    D : array, shape (m, n)
        The cost matrix in float64.
    gamma : float
        The smoothing.
    computed : bool
        Whether :meth:`compute` ran.
    R_ : array, shape (m + 2, n + 2)
        tslearn's accumulated cost matrix: ``R_[i, j]`` (1-based) is the
        soft-DTW value of ``D[:i, :j]``, with tslearn's borders (0 everywhere
        before :meth:`compute`; ``DBL_MAX`` on the first row and column after
        it; ``-DBL_MAX`` on the last ones after :meth:`grad`).  Built on first
        access (the kernels do not keep it).

    Examples
    --------
    >>> sdtw = SoftDTW(SquaredEuclidean([1, 2, 3], [1., 2., 2., 3.]), gamma=1.)
    >>> round(sdtw.compute(), 6)
    -1.58128
    >>> sdtw.grad().shape
    (3, 4)
    >>> bool(abs(sdtw.R_[3, 4] - sdtw.compute()) < 1e-12), sdtw.R_.shape
    (True, (5, 6))
    """

    def __init__(self, D, gamma: float = 1.0, be: Any = None, compute_with_backend: bool = False):
        if hasattr(D, "compute"):
            D = D.compute()
        self.be = backend_of(D, be=be)
        xp = self.be.xp
        D = as_array(self.be, D, "D")
        if D.ndim != 2 or D.shape[0] == 0 or D.shape[1] == 0:
            raise ValueError(f"D must be a non-empty (m, n) cost matrix, got {tuple(D.shape)}")
        self.D = xp.astype(D, xp.float64)
        self.gamma = check_float(gamma, "gamma", positive=True)
        self.computed = False
        self._W = None
        self._graded = False

    @property
    def R_(self):  # noqa: N802  (tslearn's name)
        m, n = int(self.D.shape[0]), int(self.D.shape[1])
        R = np.zeros((m + 2, n + 2), dtype=np.float64)
        if self.computed:
            big = np.finfo(np.float64).max
            R[: m + 1, 0] = big
            R[0, : n + 1] = big
            R[0, 0] = 0.0
            D = self.be.to_numpy(self.D)
            R[1 : m + 1, 1 : n + 1] = _NUMPY.call_kernel(
                "soft_dtw", "soft_dtw_accumulated", D, D, self.gamma
            )
            if self._graded:
                R[1 : m + 1, n + 1] = -big
                R[m + 1, 1 : n + 1] = -big
                R[m + 1, n + 1] = R[m, n]
        if self.be.is_numpy:
            return R
        return self.be.xp.asarray(R, device=self.be.device_of(self.D))

    def _lengths(self):
        m, n = int(self.D.shape[0]), int(self.D.shape[1])
        return np.array([m], dtype=np.int64), np.array([n], dtype=np.int64)

    def compute(self):
        """The soft-DTW value of ``D``.

        Returns
        -------
        float or 0-d array
            A float on numpy, 0-d otherwise.
        """
        D = self.D.detach() if self.be.is_pytorch else self.D
        lx, ly = self._lengths()
        values, self._W = self.be.call_kernel(
            "soft_dtw", "soft_dtw_forward", D[None], D[None], lx, ly, NO_BAND, self.gamma
        )
        self.computed = True
        return self.be.scalar(values[0])

    def grad(self):
        """Gradient of the value w.r.t. ``D`` (the expected alignment).

        Returns
        -------
        array, shape (m, n)
            The expected alignment matrix.
        """
        if not self.computed:
            raise ValueError("Needs to call compute() first.")
        lx, ly = self._lengths()
        E = self.be.call_kernel("soft_dtw", "soft_dtw_backward", self._W, self._W, lx, ly, NO_BAND)
        self._graded = True
        return E[0]


def __getattr__(name: str):
    if name == "SoftDTWLossPyTorch":
        from .nn import SoftDTWLoss

        return SoftDTWLoss
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
