r"""Distance between SAX representations (Lin et al. 2007): tslearn's ``cdist_sax``."""

from __future__ import annotations

import numpy as np

from ._lib.validation import check_int

__all__ = ["cdist_sax"]


def _symbols(ds, name: str) -> np.ndarray:
    arr = np.asarray(ds)
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of SAX symbols")
    if arr.ndim == 1:
        arr = arr[None, :, None]
    elif arr.ndim == 2:
        arr = arr[:, :, None]
    elif arr.ndim != 3:
        raise ValueError(f"{name} must have shape (n, sz) or (n, sz, d), got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise ValueError(f"{name} must hold integer SAX symbols")
    return arr.astype(np.int64)


def cdist_sax(
    dataset1,
    breakpoints_avg,
    size_fitted,
    dataset2=None,
    n_jobs: int | None = None,
    verbose: int = 0,
):
    r"""SAX distance between every pair of SAX-encoded series.

    .. math::

        d(X, Y) = \sqrt{\tfrac{n}{w} \sum_{t, k} c(X_{t,k}, Y_{t,k})^2}

    with :math:`c(a, b) = \beta_{\max(a,b) - 1} - \beta_{\min(a,b)}` when
    :math:`|a - b| > 1` and 0 otherwise (:math:`\beta` the breakpoints, :math:`n` the
    original length, :math:`w` the number of segments).

    Parameters
    ----------
    dataset1 : array-like of int, shape (n1, w) or (n1, w, d)
        SAX symbols.
    breakpoints_avg : array-like, shape (alphabet_size - 1,)
        The breakpoints of the alphabet.
    size_fitted : int
        Length of the original series.
    dataset2 : array-like of int, or None
        The other dataset; None means ``dataset1`` against itself (zero diagonal).
    n_jobs : int or None
        Accepted for tslearn compatibility (the computation is vectorised).
    verbose : int
        Accepted for tslearn compatibility.

    Returns
    -------
    numpy.ndarray, shape (n1, n2)
        The distances (float64).

    Examples
    --------
    >>> cdist_sax([[-1, 0, 1], [1, 0, 1]], [-0.5, 0., 0.5], 3, dataset2=[[-1, 0, 1], [1, 0, 1]])
    array([[0., 1.],
           [1., 0.]])
    """
    size_fitted = check_int(size_fitted, "size_fitted", minimum=1)
    bp = np.asarray(breakpoints_avg, dtype=np.float64).ravel()
    if bp.size == 0:
        raise ValueError("breakpoints_avg must hold at least one breakpoint")
    A = _symbols(dataset1, "dataset1")
    B = A if dataset2 is None else _symbols(dataset2, "dataset2")
    if A.shape[1:] != B.shape[1:]:
        raise ValueError(
            f"dataset1 and dataset2 must have the same (w, d), got {A.shape[1:]} and {B.shape[1:]}"
        )
    w = A.shape[1]
    out = np.empty((A.shape[0], B.shape[0]), dtype=np.float64)
    for i in range(A.shape[0]):
        a = A[i][None]
        hi = np.maximum(a, B)
        lo = np.minimum(a, B)
        far = np.abs(a - B) > 1
        try:
            cell = np.where(far, bp[np.where(far, hi - 1, 0)] - bp[np.where(far, lo, 0)], 0.0)
        except IndexError:
            raise ValueError("a SAX symbol is out of range for breakpoints_avg") from None
        out[i] = np.sqrt((cell * cell).sum(axis=(1, 2)) * float(size_fitted) / w)
    if dataset2 is None:
        np.fill_diagonal(out, 0.0)
    return out
