"""Canonical Time Warping (Zhou & De la Torre 2009): alternate DTW and CCA.

Runs on host float64 arrays (CCA is a small dense eigenproblem).  Start from
DTW between the first ``n_components`` features of each series; then, until
the path stops changing or ``max_iter`` passes, fit a CCA on the frames the
path pairs, project both series on the canonical directions and re-run DTW
between the projections.  The score is the DTW of the last projections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backend import instantiate_backend
from .paths import check_feasible, end_values, optimal_paths, path_lists

# Ridge added to the covariances (relative to their trace) so that constant
# or collinear features do not make the whitening singular.
RIDGE = 1e-8


@dataclass
class CCAProjection:
    """Linear projections fitted by CCA: ``(X - x_mean_) @ x_weights_`` and likewise for Y.

    Parameters
    ----------
    x_mean_ : numpy.ndarray, shape (d1,)
        Mean of the paired frames of X.
    y_mean_ : numpy.ndarray, shape (d2,)
        Mean of the paired frames of Y.
    x_weights_ : numpy.ndarray, shape (d1, k)
        Canonical directions of X.
    y_weights_ : numpy.ndarray, shape (d2, k)
        Canonical directions of Y.
    """

    x_mean_: np.ndarray
    y_mean_: np.ndarray
    x_weights_: np.ndarray
    y_weights_: np.ndarray

    def transform(self, X, Y=None):
        """Project X (and Y) on the canonical directions.

        Parameters
        ----------
        X : array-like, shape (n, d1)
            Frames of the first series.
        Y : array-like, shape (m, d2), or None
            Frames of the second series.

        Returns
        -------
        numpy.ndarray or tuple of numpy.ndarray
            The projection of X, or of X and Y.
        """
        tx = (np.asarray(X, dtype=np.float64) - self.x_mean_) @ self.x_weights_
        if Y is None:
            return tx
        return tx, (np.asarray(Y, dtype=np.float64) - self.y_mean_) @ self.y_weights_


def _inv_sqrt(C):
    w, V = np.linalg.eigh(C)
    w = np.maximum(w, w.max() * 1e-12 if w.max() > 0 else 1e-12)
    return (V / np.sqrt(w)) @ V.T


def fit_cca(Xw, Yw, k: int) -> CCAProjection:
    """CCA with ``k`` components on paired frames Xw (L, d1), Yw (L, d2)."""
    mx, my = Xw.mean(axis=0), Yw.mean(axis=0)
    Xc, Yc = Xw - mx, Yw - my
    L = Xw.shape[0]
    Cx = Xc.T @ Xc / L
    Cy = Yc.T @ Yc / L
    Cx += np.eye(Cx.shape[0]) * (RIDGE * (np.trace(Cx) + 1e-300))
    Cy += np.eye(Cy.shape[0]) * (RIDGE * (np.trace(Cy) + 1e-300))
    Wx, Wy = _inv_sqrt(Cx), _inv_sqrt(Cy)
    U, _, Vt = np.linalg.svd(Wx @ (Xc.T @ Yc / L) @ Wy)
    return CCAProjection(mx, my, Wx @ U[:, :k], Wy @ Vt.T[:, :k])


def _dtw(be, x, y, band):
    lx = np.array([x.shape[0]], dtype=np.int64)
    ly = np.array([y.shape[0]], dtype=np.int64)
    R, paths, plen, end_j = optimal_paths(be, x[None], y[None], lx, ly, band)
    sq = end_values(be, R, lx, end_j)
    check_feasible(be, sq, band, lx, ly)
    return path_lists(be, paths, plen)[0], float(sq[0])


def ctw_core(x, y, max_iter: int, n_components, band, tslearn_quirk: bool = False):
    """(path, cca, squared score) of CTW between host series x (n, d1), y (m, d2).

    ``tslearn_quirk=True`` reproduces tslearn 0.10.0: one CCA step, its path,
    and the score of the first DTW (tslearn's loop stops after one pass).
    """
    be = instantiate_backend("numpy")
    k = min(x.shape[1], y.shape[1]) if n_components is None else n_components
    path, sq = _dtw(be, x[:, :k], y[:, :k], band)
    first_sq = sq
    cca = None
    for _ in range(max_iter - 1):
        ii = np.array([p[0] for p in path])
        jj = np.array([p[1] for p in path])
        cca = fit_cca(x[ii], y[jj], k)
        tx, ty = cca.transform(x, y)
        new_path, new_sq = _dtw(be, np.ascontiguousarray(tx), np.ascontiguousarray(ty), band)
        if tslearn_quirk:
            return new_path, cca, first_sq
        if new_path == path:
            path, sq = new_path, new_sq
            break
        path, sq = new_path, new_sq
    return path, cca, sq
