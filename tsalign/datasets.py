"""Built-in example data, generated (nothing is downloaded).

:func:`make_cbf` is the Cylinder-Bell-Funnel problem of Saito (1994), the
classic synthetic benchmark for elastic distances: each class is a plateau,
a ramp up or a ramp down over a random interval, plus noise, so series of the
same class are similar up to time warping.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_cbf"]


def make_cbf(n_per_class: int = 10, length: int = 128, seed: int | None = 0):
    """Cylinder-Bell-Funnel series.

    Parameters
    ----------
    n_per_class : int
        Series per class (3 classes).
    length : int
        Series length (at least 16).
    seed : int or None
        Seed of the random generator.

    Returns
    -------
    X : ndarray, shape (3 * n_per_class, length)
        The series, float64, grouped by class.
    y : ndarray of int, shape (3 * n_per_class,)
        0 = cylinder, 1 = bell, 2 = funnel.

    Examples
    --------
    >>> X, y = make_cbf(n_per_class=2, length=32)
    >>> X.shape, y.tolist()
    ((6, 32), [0, 0, 1, 1, 2, 2])
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    if length < 16:
        raise ValueError(f"length must be >= 16, got {length}")
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    X, y = [], []
    for label in range(3):
        for _ in range(n_per_class):
            # the event starts in the first eighth-to-third and lasts 1/8 to 3/4 of the series
            a = rng.integers(length // 8, length // 3)
            b = a + rng.integers(length // 8, 3 * length // 4)
            b = min(b, length - 1)
            inside = (t >= a) & (t <= b)
            ramp = np.where(inside, (t - a) / max(b - a, 1), 0.0)
            shape = {0: inside.astype(float), 1: ramp, 2: np.where(inside, 1 - ramp, 0.0)}[label]
            X.append((6 + rng.normal()) * shape + rng.normal(size=length))
            y.append(label)
    return np.asarray(X), np.asarray(y)
