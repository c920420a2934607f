r"""Normalised cross-correlation (k-Shape's SBD): tslearn's ``cycc`` helpers.

The normalised cross-correlation of two series of the same length is
:math:`NCC_w(X, Y) = \sum_t \langle X_{t+w}, Y_t \rangle / (\|X\| \|Y\|)` for the
shifts :math:`w = -(sz-1), \dots, sz-1`, computed by FFT.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cdist_normalized_cc", "y_shifted_sbd_vec"]


def _as3(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (n_ts, sz, d), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or inf")
    return arr


def _norms(norms, data) -> np.ndarray:
    norms = np.array(norms, dtype=np.float64, copy=True).ravel()
    if norms.shape[0] != data.shape[0]:
        raise ValueError(f"norms must have one entry per series ({data.shape[0]})")
    if np.any(norms < 0):
        norms = np.linalg.norm(data.reshape(data.shape[0], -1), axis=1)
    return norms


def _ncc(ref_fft, others_fft, sz, denom):
    """NCC of one series (its FFT) against many, shape (n, 2 sz - 1)."""
    cc = np.fft.irfft(ref_fft[None] * np.conj(others_fft), axis=1, n=_fft_size(sz))
    cc = np.concatenate([cc[:, -(sz - 1) :], cc[:, :sz]], axis=1) if sz > 1 else cc[:, :1]
    return cc.sum(axis=-1) / denom[:, None]


def _fft_size(sz: int) -> int:
    return 1 << int(np.ceil(np.log2(2 * sz - 1))) if sz > 1 else 1


def _denoms(n1, norms2):
    d = n1 * norms2
    return np.where(d < 1e-9, np.inf, d)


def cdist_normalized_cc(dataset1, dataset2, norms1, norms2, self_similarity: bool):
    r"""Largest normalised cross-correlation between every pair of series.

    Parameters
    ----------
    dataset1 : array-like, shape (n1, sz, d)
        A dataset.
    dataset2 : array-like, shape (n2, sz, d)
        Another dataset (same sz and d).
    norms1 : array-like, shape (n1,)
        Norms of ``dataset1``'s series; negative entries mean "compute them".
    norms2 : array-like, shape (n2,)
        Norms of ``dataset2``'s series, same convention.
    self_similarity : bool
        True when ``dataset2`` is ``dataset1``: the diagonal is then left at 0
        and the matrix is symmetric (tslearn's convention).

    Returns
    -------
    numpy.ndarray, shape (n1, n2)
        :math:`\max_w NCC_w`.  The norms passed in are not modified.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[1.], [2.], [3.]], [[3.], [2.], [1.]]])
    >>> cdist_normalized_cc(X, X, np.array([-1., -1.]), np.array([-1., -1.]), False).round(4)
    array([[1.    , 0.8571],
           [0.8571, 1.    ]])
    """
    A = _as3(dataset1, "dataset1")
    B = _as3(dataset2, "dataset2")
    if A.shape[1:] != B.shape[1:]:
        raise ValueError(f"datasets must share (sz, d), got {A.shape[1:]} and {B.shape[1:]}")
    n1 = _norms(norms1, A)
    n2 = _norms(norms2, B)
    sz = A.shape[1]
    nfft = _fft_size(sz)
    FA = np.fft.rfft(A, n=nfft, axis=1)
    FB = np.fft.rfft(B, n=nfft, axis=1)
    out = np.zeros((A.shape[0], B.shape[0]))
    for i in range(A.shape[0]):
        if self_similarity:
            if i == 0:
                continue
            out[i, :i] = _ncc(FA[i], FB[:i], sz, _denoms(n1[i], n2[:i])).max(axis=1)
        else:
            out[i] = _ncc(FA[i], FB, sz, _denoms(n1[i], n2)).max(axis=1)
    if self_similarity:
        out = out + out.T
    return out


def y_shifted_sbd_vec(ref_ts, dataset, norm_ref, norms_dataset):
    r"""Shift each series of ``dataset`` to its best cross-correlation with ``ref_ts``.

    Parameters
    ----------
    ref_ts : array-like, shape (sz, d)
        The reference series.
    dataset : array-like, shape (n, sz, d)
        The series to shift (zeros fill the vacated frames).
    norm_ref : float
        Norm of ``ref_ts`` (negative: compute it).
    norms_dataset : array-like, shape (n,)
        Norms of the series (negative entries: compute them).

    Returns
    -------
    numpy.ndarray, shape (n, sz, d)
        The shifted series (the inputs are not modified).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.array([[0.], [1.], [0.]])
    >>> y_shifted_sbd_vec(ref, np.array([[[1.], [0.], [0.]]]), -1., np.array([-1.]))[0].ravel()
    array([0., 1., 0.])
    """
    ref = np.asarray(ref_ts, dtype=np.float64)
    D = _as3(dataset, "dataset")
    if ref.ndim != 2 or ref.shape != D.shape[1:]:
        raise ValueError(f"ref_ts must have shape {D.shape[1:]}, got {ref.shape}")
    nr = float(norm_ref)
    if nr < 0:
        nr = float(np.linalg.norm(ref))
    nd = _norms(norms_dataset, D)
    sz = D.shape[1]
    nfft = _fft_size(sz)
    cc = _ncc(np.fft.rfft(ref, n=nfft, axis=0), np.fft.rfft(D, n=nfft, axis=1), sz, _denoms(nr, nd))
    out = np.zeros_like(D)
    for i, idx in enumerate(np.argmax(cc, axis=1)):
        shift = int(idx) + 1 - sz
        if shift > 0:
            out[i, shift:] = D[i, :-shift]
        elif shift < 0:
            out[i, :shift] = D[i, -shift:]
        else:
            out[i] = D[i]
    return out
