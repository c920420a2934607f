"""Global constraints: tslearn's parameters resolved to a band description.

A band is the tuple ``(kind, radius, slope)`` understood by every kernel
family (see ``kernels/cpu/_band.py``); the kind codes are those of
``kernels/_contract.py``.
"""

from __future__ import annotations

import numpy as np

from ..kernels._contract import BAND_ITAKURA, BAND_NONE, BAND_SAKOE_CHIBA, NO_BAND
from .validation import check_float, check_int

_CODES = {
    None: BAND_NONE,
    "": BAND_NONE,
    0: BAND_NONE,
    "itakura": BAND_ITAKURA,
    1: BAND_ITAKURA,
    "sakoe_chiba": BAND_SAKOE_CHIBA,
    2: BAND_SAKOE_CHIBA,
}


class ConstraintError(ValueError, RuntimeWarning):
    """Contradictory constraint parameters.

    A ValueError; also a RuntimeWarning, which is what tslearn raises in the
    same situation, so code written against tslearn keeps catching it.
    """


def resolve_band(global_constraint=None, sakoe_chiba_radius=None, itakura_max_slope=None):
    """tslearn's inference rules, returning ``(kind, radius, slope)``.

    - ``global_constraint`` names the constraint ("sakoe_chiba", "itakura",
      or tslearn's integer codes 2 / 1; None or "" for none);
    - without a name, the one parameter given decides; both given is an error;
    - defaults: radius 1, max slope 2.
    """
    try:
        kind = _CODES[global_constraint]
    except (KeyError, TypeError):
        raise ValueError(
            f"global_constraint must be None, 'sakoe_chiba' or 'itakura', got {global_constraint!r}"
        ) from None
    if kind == BAND_NONE:
        if sakoe_chiba_radius is not None and itakura_max_slope is not None:
            raise ConstraintError(
                "global_constraint is not set for DTW, but both sakoe_chiba_radius and "
                "itakura_max_slope are set, hence global_constraint cannot be inferred: "
                "pass global_constraint='sakoe_chiba' or 'itakura'"
            )
        if sakoe_chiba_radius is not None:
            kind = BAND_SAKOE_CHIBA
        elif itakura_max_slope is not None:
            kind = BAND_ITAKURA
    if kind == BAND_SAKOE_CHIBA:
        radius = 1 if sakoe_chiba_radius is None else sakoe_chiba_radius
        radius = check_int(radius, "sakoe_chiba_radius", minimum=0)
        return (BAND_SAKOE_CHIBA, radius, 2.0)
    if kind == BAND_ITAKURA:
        slope = 2.0 if itakura_max_slope is None else itakura_max_slope
        slope = check_float(slope, "itakura_max_slope", positive=True)
        return (BAND_ITAKURA, 0, slope)
    return NO_BAND


def infeasible_error(band, n, m) -> ValueError:
    """The error for a band that admits no path between lengths n and m.

    A :class:`ConstraintError`: a ValueError, and the RuntimeWarning tslearn raises.
    """
    if band[0] == BAND_ITAKURA:
        return ConstraintError(
            f"itakura_max_slope={band[2]} is infeasible (it leads to no admissible path) "
            f"for time series of sizes {n} and {m}"
        )
    return ValueError(f"the global constraint admits no path for sizes {n} and {m}")


def band_mask(n: int, m: int, band) -> np.ndarray:
    """Boolean (n, m) host mask of the cells a band allows (True = allowed).

    The cells come from the kernels' own band bounds (``kernels/cpu/_band.py``, reached
    through the dispatch like every kernel), so a mask shows exactly the cells the
    recurrences use; a second, vectorised copy of the Itakura rounding here could drift.
    Raises when an Itakura band leaves a row or a column without a cell.
    """
    from .backend import instantiate_backend

    host = instantiate_backend("numpy").call_kernel("dtw", "band_mask", np.empty(0), n, m, band)
    if band[0] == BAND_ITAKURA and (not host.any(axis=1).all() or not host.any(axis=0).all()):
        raise ConstraintError(str(infeasible_error(band, n, m)))
    return host
