"""tslearn's backend helpers on tsalign's backends (mixed into ``Backend``).

tslearn's ``Backend`` objects offer a few helpers beyond array functions:
``belongs_to_backend``, ``is_float``, ``cdist``, ``pairwise_distances``,
``from_numpy``, ``get_backend`` / ``set_backend`` and a ``testing`` namespace;
``cast`` and ``select_backend`` are module functions.  Type checks here are by
type (not by matching the text of ``str(x)``, which formats whole arrays).

One deliberate difference: tsalign's backends are shared, immutable
instances, so ``set_backend(data)`` returns the backend for ``data`` instead
of turning the instance it is called on into another backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class _Testing:
    """``assert_equal`` / ``assert_allclose`` that accept any backend's arrays."""

    @staticmethod
    def _host(x):
        if hasattr(x, "detach"):
            return x.detach().cpu().numpy()
        if type(x).__module__.startswith("cupy"):
            return x.get()
        return x

    def assert_equal(self, actual, desired, *args, **kwargs):
        np.testing.assert_equal(self._host(actual), self._host(desired), *args, **kwargs)

    def assert_allclose(self, actual, desired, *args, **kwargs):
        np.testing.assert_allclose(self._host(actual), self._host(desired), *args, **kwargs)


TESTING = _Testing()


class TslearnBackendMethods:
    """Helpers of tslearn's backend objects, shared by every tsalign backend."""

    testing = TESTING

    def belongs_to_backend(self, x) -> bool:
        """Whether ``x`` is an array (or scalar) of this backend's library.

        On numpy, Python floats count too: tsalign returns them for one pair.
        """
        if self.is_numpy:
            return isinstance(x, (np.ndarray, np.generic, float))
        return self.is_array(x)

    def is_float(self, x) -> bool:
        """Whether ``x`` is a float scalar or an array of a floating dtype."""
        if isinstance(x, (float, np.floating)):
            return True
        dt = getattr(x, "dtype", None)
        if dt is None:
            return False
        try:
            return bool(self.xp.isdtype(dt, "real floating"))
        except (TypeError, ValueError):
            return False

    def from_numpy(self, x):
        """A numpy array as this backend's array (zero-copy where the library allows)."""
        if self.is_pytorch:
            import torch

            return torch.from_numpy(np.asarray(x))
        return self.xp.asarray(x)

    def cdist(self, x, y, metric: str = "euclidean", p=None):
        """Distances between the rows of ``x`` (n, d) and ``y`` (m, d).

        ``metric``: "euclidean", "sqeuclidean" or "minkowski" (with ``p``) on
        every backend; on numpy any :func:`scipy.spatial.distance.cdist` metric.
        """
        if self.is_numpy:
            from scipy.spatial.distance import cdist

            kw = {"p": p} if metric == "minkowski" and p is not None else {}
            return cdist(np.asarray(x), np.asarray(y), metric=metric, **kw)
        xp = self.xp
        diff = x[:, None, :] - y[None, :, :]
        if metric == "sqeuclidean":
            return xp.sum(diff * diff, axis=-1)
        if metric == "euclidean":
            return xp.sqrt(xp.sum(diff * diff, axis=-1))
        if metric == "minkowski":
            q = 2.0 if p is None else float(p)
            return xp.sum(xp.abs(diff) ** q, axis=-1) ** (1.0 / q)
        raise ValueError(
            f"metric must be 'euclidean', 'sqeuclidean' or 'minkowski' on the "
            f"{self.backend_string} backend, got {metric!r}"
        )

    def pairwise_distances(self, X, Y=None, metric: Any = "euclidean", **kwds):
        """Distances between the rows of ``X`` and ``Y`` (``Y=X`` by default).

        ``metric`` is a name (as in :meth:`cdist`) or a callable on two rows.
        """
        if Y is None:
            Y = X
        if callable(metric):
            rows = [
                [metric(X[i], Y[j], **kwds) for j in range(Y.shape[0])] for i in range(X.shape[0])
            ]
            if self.is_numpy:
                return np.asarray(rows, dtype=np.float64)
            xp = self.xp
            return xp.stack([xp.stack([xp.asarray(v) for v in r]) for r in rows])
        return self.cdist(X, Y, metric=metric)

    def get_backend(self):
        """The backend itself (tslearn's wrapper returned the wrapped backend)."""
        return self

    def set_backend(self, data=None):
        """The backend for ``data`` (tsalign's backends are immutable: see the module)."""
        return self._select_backend(data)
