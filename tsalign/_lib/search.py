"""Validation and result shaping for the exact searches of ``tsalign.neighbors``.

kNN under DTW and subsequence search share: the dataset validation of
``validation.py`` (ragged lists, trailing-NaN padding, clear errors), tslearn's
constraint rules (``constraints.py``), the refusal of an Itakura band that leaves
a pair of lengths without a path (as ``cdist_dtw`` refuses it), and the pruning
statistics the kernels count.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ..kernels._contract import NN_STATS, SUBSEQ_STATS
from .backend import Backend
from .constraints import BAND_ITAKURA, BAND_SAKOE_CHIBA, infeasible_error
from .validation import SeriesBatch, check_int, dataset


def check_no_inf(be: Backend, X, name: str) -> None:
    """ValueError naming ``name`` if a series holds +-inf (padding is NaN, never inf)."""
    if bool(be.xp.any(be.xp.isinf(X))):
        raise ValueError(f"{name} contains inf; series must hold finite values")


def datasets_for_search(be: Backend, queries, refs, names=("X_query", "X_ref")):
    """Two validated datasets with one feature size and one float dtype."""
    A = dataset(be, queries, names[0])
    B = dataset(be, refs, names[1])
    if A.X.shape[2] != B.X.shape[2]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same feature size: got "
            f"d={A.X.shape[2]} and d={B.X.shape[2]}"
        )
    check_no_inf(be, A.X, names[0])
    check_no_inf(be, B.X, names[1])
    X, Y = A.X, B.X
    if X.dtype != Y.dtype:
        X = be.xp.astype(X, be.xp.float64)
        Y = be.xp.astype(Y, be.xp.float64)
    return SeriesBatch(X, A.lengths), SeriesBatch(Y, B.lengths)


def check_n_neighbors(n_neighbors, n_ref: int, name: str = "n_neighbors") -> int:
    k = check_int(n_neighbors, name, minimum=1)
    if k > n_ref:
        raise ValueError(
            f"{name}={k} is larger than the number of reference series ({n_ref}); "
            f"expected 1 <= {name} <= {n_ref}"
        )
    return k


def check_band_feasible(be: Backend, lq: np.ndarray, lr: np.ndarray, band, ref) -> None:
    """Raise (as ``cdist_dtw`` does) if an Itakura band leaves a pair without a path.

    Only the distinct pairs of lengths are tried, with the DTW kernel on zero series
    (``inf`` where the band admits no path).  Sakoe-Chiba bands and no band always
    admit one (the band is widened by the length difference).
    """
    if band[0] != BAND_ITAKURA:
        return
    un, um = np.unique(lq), np.unique(lr)
    pn = np.repeat(un, len(um)).astype(np.int64)
    pm = np.tile(um, len(un)).astype(np.int64)
    xp = be.xp
    dev = be.device_of(ref)
    Z1 = xp.zeros((len(pn), int(un.max()), 1), dtype=ref.dtype, device=dev)
    Z2 = xp.zeros((len(pm), int(um.max()), 1), dtype=ref.dtype, device=dev)
    sq = be.call_kernel("dtw", "dtw_values", ref, Z1, Z2, pn, pm, band)
    bad = np.isinf(np.asarray(be.to_numpy(sq)))
    if np.any(bad):
        k = int(np.argmax(bad))
        raise infeasible_error(band, int(pn[k]), int(pm[k]))


def stats_dict(stats, n_candidates: int, names=NN_STATS) -> dict:
    """Pruning counts summed over queries, with the number of candidates examined."""
    total = np.asarray(stats).sum(axis=0)
    out = {"candidates": int(n_candidates)}
    out.update({name: int(v) for name, v in zip(names, total, strict=True)})
    return out


def warping_radius(sakoe_chiba_radius, n: int) -> int:
    """The UCR suite's warping width: None = no constraint, an integer is a length,
    a float in [0, 1] a fraction of the query length ``n`` (rounded down)."""
    if sakoe_chiba_radius is None:
        return max(n - 1, 0)
    if isinstance(sakoe_chiba_radius, bool):
        raise TypeError(f"sakoe_chiba_radius must be a number, got {sakoe_chiba_radius!r}")
    if isinstance(sakoe_chiba_radius, Integral):
        return check_int(sakoe_chiba_radius, "sakoe_chiba_radius", minimum=0)
    if isinstance(sakoe_chiba_radius, Real):
        r = float(sakoe_chiba_radius)
        if not np.isfinite(r) or r < 0:
            raise ValueError(f"sakoe_chiba_radius must be >= 0, got {sakoe_chiba_radius}")
        if r > 1:
            if not r.is_integer():
                raise ValueError(
                    "sakoe_chiba_radius must be an integer length or a fraction in [0, 1] "
                    f"of the query length, got {sakoe_chiba_radius}"
                )
            return int(r)
        return int(np.floor(r * n))
    raise TypeError(f"sakoe_chiba_radius must be a number or None, got {sakoe_chiba_radius!r}")


def subsequence_band(radius: int):
    return (BAND_SAKOE_CHIBA, int(radius), 2.0)


__all__ = [
    "check_no_inf",
    "datasets_for_search",
    "check_n_neighbors",
    "check_band_feasible",
    "stats_dict",
    "warping_radius",
    "subsequence_band",
    "NN_STATS",
    "SUBSEQ_STATS",
]
