"""The contract between the Python layer and the kernels (numba-free, cupy-free).

Every code and constant that crosses Python, numba and CUDA is written here once
(band kinds, SSNT mode and flag codes, the soft-DTW sentinel, DILATE's cut-off,
CUDA launch budgets); the CUDA sources get them as -D defines (``CUDA_DEFINES``).

``LAUNCHERS`` is the table of what each kernel family provides: for every family, the
launcher names and the devices that implement them.  ``Backend.call_kernel`` refuses a
name that is not in the table, and ``tests/test_contract.py`` checks that every
``"both"`` launcher exists with the same signature in ``kernels/cpu/<family>.py`` and
``kernels/cuda/<family>.py`` (``"cpu"`` launchers only on the CPU side).  To add a
recurrence family: one row here, one module per device, one public module.
"""

from __future__ import annotations

import numpy as np

# --- codes and constants shared by Python, numba and CUDA -------------------------
# Written here once: the numba kernels import them, the CUDA sources receive every
# name of CUDA_DEFINES as a -D define (kernels/cuda/_module.py, cuda_defines) and do
# not compile without them.

# Global constraints: a band is (kind, radius, slope), see kernels/cpu/_band.py.
BAND_NONE = 0
BAND_ITAKURA = 1  # slope = the Itakura parallelogram's maximum slope
BAND_SAKOE_CHIBA = 2  # radius = the Sakoe-Chiba radius
NO_BAND = (BAND_NONE, 0, 2.0)

# SSNT: what ``emit`` holds (mode) and the bits of the per-sequence bad-input flags.
SSNT_MODE_LOG_P_CHOOSE = 0  # emit = log e
SSNT_MODE_LOGITS = 1  # emit = logits z, log e = logsigmoid(z)
SSNT_FLAG_TARGET = 1  # a target out of range
SSNT_FLAG_LOG_PROBS = 2  # NaN or +inf in log_probs
SSNT_FLAG_EMIT = 4  # log e > 0 or NaN (a NaN logit)

# How the wavefront kernels of kernels/cuda/dtw.cu combine a cell's cost with the
# best predecessor: DTW sums, the discrete Frechet distance takes the larger.
COMBINE_SUM = 0
COMBINE_MAX = 1

# Pairs of a kernel run over many pairs: pair p is (X[p], Y[p]) (batch), (X[p // ny],
# Y[p % ny]) (cross), or the p-th pair a < b (triangle) / a <= b (upper) of X
# against itself, row-major (kernels/_pairs.py, kernels/cpu/_pairs.py).
PAIRS_BATCH = 0
PAIRS_CROSS = 1
PAIRS_TRIANGLE = 2
PAIRS_UPPER = 3

# DILATE: soft-min weights and expected-alignment entries below TINY are set to 0:
# at small gamma they reach the subnormal range, where x86 arithmetic is very slow.
TINY = 1e-30

# CUDA launch budgets: rolling diagonals sit in shared memory up to SMEM_BYTES per
# block and in global scratch (at most SCRATCH_BYTES per launch) beyond; blocks have
# a power of two <= MAX_THREADS threads (block reductions size their shared arrays
# with it); element-wise kernels use GRAD_THREADS threads and at most GRID_MAX_BLOCKS
# blocks, striding over the rest.
SMEM_BYTES = 48 * 1024
SCRATCH_BYTES = 1 << 28
MAX_THREADS = 512
GRAD_THREADS = 256
GRID_MAX_BLOCKS = 65535

# The names the CUDA sources see as -D defines.
CUDA_DEFINES: dict[str, int | float] = {
    "BAND_NONE": BAND_NONE,
    "BAND_ITAKURA": BAND_ITAKURA,
    "BAND_SAKOE_CHIBA": BAND_SAKOE_CHIBA,
    "SSNT_MODE_LOG_P_CHOOSE": SSNT_MODE_LOG_P_CHOOSE,
    "SSNT_MODE_LOGITS": SSNT_MODE_LOGITS,
    "SSNT_FLAG_TARGET": SSNT_FLAG_TARGET,
    "SSNT_FLAG_LOG_PROBS": SSNT_FLAG_LOG_PROBS,
    "SSNT_FLAG_EMIT": SSNT_FLAG_EMIT,
    "COMBINE_SUM": COMBINE_SUM,
    "COMBINE_MAX": COMBINE_MAX,
    "TINY": TINY,
    "MAX_THREADS": MAX_THREADS,
}


def sentinel(dtype) -> float:
    """The finite value of unreachable soft-DTW cells for a dtype (a quarter of its max).

    Finite, so that no ``inf - inf`` can arise; a quarter, so that adding a cost or
    another sentinel to it cannot overflow.  Passed to the CPU and CUDA kernels as
    an argument in the data's dtype.
    """
    return float(np.finfo(np.dtype(dtype)).max) / 4.0


# --- the launchers of each family ------------------------------------------------

BOTH = "both"
CPU_ONLY = "cpu"

LAUNCHERS: dict[str, dict[str, str]] = {
    "dtw": {
        "dtw_values": BOTH,
        "dtw_cdist": BOTH,
        "dtw_acc": BOTH,
        "dtw_paths": BOTH,
        "band_mask": CPU_ONLY,
    },
    "soft_dtw": {
        "soft_dtw_values": BOTH,
        "soft_dtw_cdist": BOTH,
        "soft_dtw_forward": BOTH,
        "soft_dtw_backward": BOTH,
        "soft_dtw_forward_series": CPU_ONLY,
        "soft_dtw_backward_series": CPU_ONLY,
        "soft_dtw_accumulated": CPU_ONLY,
    },
    "dba": {
        "dba_accumulate": BOTH,
        "dba_subgradient_epoch": CPU_ONLY,
    },
    "sdtw_bary": {
        "sdtw_barycenter_objective": CPU_ONLY,
    },
    "sq_euclidean": {
        "sq_euclidean_grad": CPU_ONLY,
    },
    "dilate": {
        "dilate_forward": BOTH,
        "dilate_backward": BOTH,
        "dilate_forward_series": CPU_ONLY,
        "dilate_backward_series": CPU_ONLY,
    },
    "ssnt": {
        "ssnt_forward": BOTH,
        "ssnt_backward": BOTH,
        "ssnt_check_log_probs": CPU_ONLY,
    },
    "frechet": {
        "frechet_values": BOTH,
        "frechet_cdist": BOTH,
        "frechet_acc": BOTH,
    },
    "lcss": {
        "lcss_acc": BOTH,
        "lcss_paths": BOTH,
    },
    "gak": {
        "gak_log_pairs": BOTH,
        "gak_forward": CPU_ONLY,
        "gak_backward": CPU_ONLY,
    },
    "ldtw": {
        "ldtw_acc": BOTH,
        "ldtw_end": BOTH,
        "ldtw_paths": BOTH,
    },
    "neighbors": {
        "dtw_kneighbors": BOTH,
        "dtw_subsequence_search": CPU_ONLY,
    },
}

# Columns of the pruning statistics the neighbors kernels return (one row per
# query): where each candidate (reference series or window) was rejected or
# fully computed.
NN_STATS = (
    "lb_kim",
    "lb_keogh_ec",
    "lb_enhanced",
    "lb_keogh_eq",
    "lb_webb",
    "dtw_abandoned",
    "dtw_full",
)
SUBSEQ_STATS = ("lb_kim", "lb_keogh_eq", "lb_keogh_ec", "dtw_abandoned", "dtw_full")


def check_launcher(family: str, name: str, gpu: bool) -> None:
    """Raise if ``family.name`` is not a declared launcher on that device."""
    try:
        where = LAUNCHERS[family][name]
    except KeyError:
        msg = f"kernel launcher {family}.{name} is not declared in the contract"
        raise LookupError(msg) from None
    if gpu and where == CPU_ONLY:
        raise LookupError(f"kernel launcher {family}.{name} exists on the CPU only")
