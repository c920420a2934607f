"""tsalign: alignment metrics for sequences on numpy, PyTorch and CuPy.

Importing tsalign is cheap: it imports numpy and array-api-compat only.
torch, cupy and numba are imported when a computation needs them (the
public modules import their kernels lazily).
"""

from __future__ import annotations

from .backend import Backend, instantiate_backend
from .ctw import cdist_ctw, ctw, ctw_path
from .dilate import dilate, temporal_distortion_index
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
from .soft_dtw import (
    cdist_soft_dtw,
    cdist_soft_dtw_normalized,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_from_cost,
    soft_dtw_normalized,
)
from .ssnt import lengths_to_padding_mask, ssnt

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "instantiate_backend",
    "dtw",
    "dtw_path",
    "dtw_path_from_metric",
    "cdist_dtw",
    "dtw_subsequence_path",
    "sakoe_chiba_mask",
    "itakura_mask",
    "compute_mask",
    "lb_envelope",
    "lb_keogh",
    "soft_dtw",
    "soft_dtw_alignment",
    "soft_dtw_normalized",
    "soft_dtw_from_cost",
    "cdist_soft_dtw",
    "cdist_soft_dtw_normalized",
    "dilate",
    "temporal_distortion_index",
    "ssnt",
    "lengths_to_padding_mask",
    "dtw_accumulated_matrix",
    "subsequence_cost_matrix",
    "subsequence_path",
    "dtw_limited_warping_length",
    "dtw_path_limited_warping_length",
    "frechet",
    "frechet_path",
    "frechet_accumulated_matrix",
    "frechet_path_from_metric",
    "cdist_frechet",
    "lcss",
    "lcss_path",
    "lcss_path_from_metric",
    "gak",
    "unnormalized_gak",
    "cdist_gak",
    "sigma_gak",
    "ctw",
    "ctw_path",
    "cdist_ctw",
    "__version__",
]
