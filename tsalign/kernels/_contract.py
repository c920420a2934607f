"""The contract between the Python layer and the kernels (numba-free, cupy-free).

``LAUNCHERS`` is the table of what each kernel family provides: for every family, the
launcher names and the devices that implement them.  ``Backend.call_kernel`` refuses a
name that is not in the table, and ``tests/test_contract.py`` checks that every
``"both"`` launcher exists with the same signature in ``kernels/cpu/<family>.py`` and
``kernels/cuda/<family>.py`` (``"cpu"`` launchers only on the CPU side).  To add a
recurrence family: one row here, one module per device, one public module.
"""

from __future__ import annotations

BOTH = "both"
CPU_ONLY = "cpu"

LAUNCHERS: dict[str, dict[str, str]] = {
    "dtw": {
        "dtw_values": BOTH,
        "dtw_cdist": BOTH,
        "dtw_acc": BOTH,
        "dtw_paths": BOTH,
    },
    "soft_dtw": {
        "soft_dtw_values": BOTH,
        "soft_dtw_cdist": BOTH,
        "soft_dtw_forward": BOTH,
        "soft_dtw_backward": BOTH,
        "soft_dtw_forward_series32": CPU_ONLY,
    },
    "sq_euclidean": {
        "sq_euclidean_grad": CPU_ONLY,
    },
    "dilate": {
        "dilate_forward": BOTH,
        "dilate_backward": BOTH,
    },
    "ssnt": {
        "ssnt_forward": BOTH,
        "ssnt_backward": BOTH,
    },
    "frechet": {
        "frechet_values": CPU_ONLY,
        "frechet_pairs": CPU_ONLY,
        "frechet_acc": CPU_ONLY,
    },
    "lcss": {
        "lcss_acc": CPU_ONLY,
        "lcss_paths": CPU_ONLY,
    },
    "gak": {
        "gak_log_pairs": CPU_ONLY,
        "gak_forward": CPU_ONLY,
        "gak_backward": CPU_ONLY,
    },
    "ldtw": {
        "ldtw_acc": CPU_ONLY,
        "ldtw_end": CPU_ONLY,
        "ldtw_paths": CPU_ONLY,
    },
}


def check_launcher(family: str, name: str, gpu: bool) -> None:
    """Raise if ``family.name`` is not a declared launcher on that device."""
    try:
        where = LAUNCHERS[family][name]
    except KeyError:
        msg = f"kernel launcher {family}.{name} is not declared in the contract"
        raise LookupError(msg) from None
    if gpu and where == CPU_ONLY:
        raise LookupError(f"kernel launcher {family}.{name} exists on the CPU only")
