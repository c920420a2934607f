"""Turn user input into (B, N, d) float arrays plus lengths, with clear errors.

Everything a metric needs from its inputs goes through here:

- conversion to the backend's array type (lists, other libraries' arrays),
  refusing to copy a CUDA array to the host behind the user's back;
- dtype: float32 and float64 are kept, half precision becomes float32 and
  integers/booleans float64; two inputs are promoted to a common type;
- shapes: ``(N,)`` and ``(N, d)`` are one series, ``(B, N, d)`` a batch;
- tslearn's variable-length convention: trailing all-NaN rows are padding.
  Lengths are returned as host int64 arrays and the padding is replaced by
  zeros in a *new* array (inputs are never modified).  NaN inside a series,
  +inf or -inf anywhere, empty and all-NaN series are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Any

import array_api_compat
import numpy as np

from .backend import Backend


@dataclass
class SeriesBatch:
    """Validated series: ``X`` (B, N, d) backend array, ``lengths`` (B,) int64."""

    X: Any
    lengths: np.ndarray


def _is_any_array(x) -> bool:
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, Number)


def _is_cuda_foreign(x) -> bool:
    if array_api_compat.is_cupy_array(x):
        return True
    return array_api_compat.is_torch_array(x) and bool(x.is_cuda)


def as_array(be: Backend, x, name: str):
    """``x`` as an array of ``be``'s library (no copy when it already is one)."""
    if be.is_array(x):
        arr = x
    elif _is_any_array(x):
        if _is_cuda_foreign(x) and not be.is_cupy and not be.is_pytorch:
            raise TypeError(
                f"{name} is a CUDA array but the {be.backend_string} backend runs on the CPU; "
                "tsalign never copies device arrays to the host silently: move it yourself "
                "(.cpu() / .get()) or use a GPU backend"
            )
        if be.is_pytorch:
            import torch

            if array_api_compat.is_cupy_array(x):
                arr = torch.from_dlpack(x)
            else:
                arr = torch.as_tensor(np.asarray(x))
        elif be.is_cupy:
            import cupy

            if array_api_compat.is_torch_array(x) and x.is_cuda:
                arr = cupy.from_dlpack(x.detach())
            else:
                arr = cupy.asarray(_to_host(x))
        else:
            arr = _to_host(x)
    else:
        try:
            host = np.asarray(x)
        except ValueError as exc:
            raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None
        if host.dtype == object:
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
        arr = be.array(host)
    return _as_float(be, arr, name)


def _to_host(x) -> np.ndarray:
    if array_api_compat.is_torch_array(x):
        return x.detach().numpy()
    return np.asarray(x)


def _as_float(be: Backend, arr, name: str):
    xp = be.xp
    dt = arr.dtype
    if dt in (xp.float32, xp.float64):
        return arr
    if xp.isdtype(dt, "complex floating"):
        raise TypeError(f"{name} must be real-valued, got dtype {dt}")
    if xp.isdtype(dt, "real floating"):  # float16 / bfloat16: compute in float32
        return xp.astype(arr, xp.float32)
    if xp.isdtype(dt, "integral") or dt == xp.bool:
        return xp.astype(arr, xp.float64)
    raise TypeError(f"{name} must hold numbers, got dtype {dt}")


def common_float(be: Backend, *arrays):
    """Cast arrays to float64 if any is float64, else leave them float32."""
    xp = be.xp
    if any(a.dtype == xp.float64 for a in arrays):
        return tuple(a if a.dtype == xp.float64 else xp.astype(a, xp.float64) for a in arrays)
    return arrays


def _fill_padding(be: Backend, X, name: str) -> SeriesBatch:
    """Lengths from trailing all-NaN rows; padding replaced by zeros."""
    xp = be.xp
    B, N = X.shape[0], X.shape[1]
    if N == 0 or X.shape[2] == 0:
        raise ValueError(
            f"{name}: one of the input time series contains only nans or has zero length."
        )
    # one device-side reduction on the common path (finite data); NaN (padding)
    # and inf are told apart only when something is not finite
    if bool(xp.all(xp.isfinite(X))):
        return SeriesBatch(X, np.full(B, N, dtype=np.int64))
    refuse_inf(be, X, name)
    nan = xp.isnan(X)
    valid_row = xp.logical_not(xp.all(nan, axis=2))  # (B, N)
    pos = xp.arange(1, N + 1, device=array_api_compat.device(X))
    lengths_d = xp.max(xp.where(valid_row, pos, xp.zeros_like(pos)), axis=1)
    inside = pos[None, :] <= lengths_d[:, None]
    interior_nan = bool(xp.any(xp.logical_and(nan, inside[:, :, None])))
    lengths = np.asarray(be.to_numpy(lengths_d), dtype=np.int64)
    if np.any(lengths == 0):
        b = int(np.argmax(lengths == 0))
        raise ValueError(
            f"{name}: one of the input time series contains only nans or has zero length "
            f"(series {b})."
        )
    if interior_nan:
        raise ValueError(
            f"{name} contains NaN inside a series; only trailing all-NaN rows are allowed "
            "(they mark the end of a shorter series)"
        )
    X = xp.where(nan, xp.zeros_like(X), X)
    return SeriesBatch(X, lengths)


def refuse_inf(be: Backend, X, name: str) -> None:
    """ValueError naming ``name`` if ``X`` holds +inf or -inf (checked on X's device)."""
    xp = be.xp
    if bool(xp.any(xp.isinf(X))):
        raise ValueError(f"{name} contains infinite values")


def check_finite(be: Backend, X, name: str, what: str = "") -> None:
    """ValueError naming ``name`` if ``X`` holds NaN or inf (for cost matrices and
    values that have no padding convention); one device-side reduction."""
    xp = be.xp
    if not bool(xp.all(xp.isfinite(X))):
        kind = "NaN" if bool(xp.any(xp.isnan(X))) else "infinite values"
        raise ValueError(f"{name}{what} contains {kind}")


def _reshape_series(be: Backend, arr, name: str, allow_batch: bool):
    xp = be.xp
    if arr.ndim == 1:
        return xp.reshape(arr, (1, arr.shape[0], 1)), False
    if arr.ndim == 2:
        return arr[None, :, :], False
    if arr.ndim == 3 and allow_batch:
        return arr, True
    expected = "(N,), (N, d) or (B, N, d)" if allow_batch else "(N,) or (N, d)"
    raise ValueError(f"{name} must have shape {expected}, got {tuple(arr.shape)}")


def series_pair(be: Backend, s1, s2, names=("s1", "s2"), allow_batch: bool = True):
    """Validate two series (or two batches of series) for a pairwise metric.

    Returns ``(a, b, batched)`` with ``a``, ``b`` :class:`SeriesBatch` sharing
    one float dtype.
    """
    n1, n2 = names
    x = as_array(be, s1, n1)
    y = as_array(be, s2, n2)
    x, bx = _reshape_series(be, x, n1, allow_batch)
    y, by = _reshape_series(be, y, n2, allow_batch)
    if bx != by:
        raise ValueError(
            f"{n1} and {n2} must both be single series or both be batches (B, N, d): "
            f"got shapes {_shape(s1)} and {_shape(s2)}"
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{n1} and {n2} must have the same batch size: got {x.shape[0]} and {y.shape[0]}"
        )
    check_features(x, y, names)
    x, y = common_float(be, x, y)
    return _fill_padding(be, x, n1), _fill_padding(be, y, n2), bx


def single_series(be: Backend, s, name: str) -> SeriesBatch:
    """Validate one series of shape (N,) or (N, d) as a batch of one."""
    x, _ = _reshape_series(be, as_array(be, s, name), name, allow_batch=False)
    return _fill_padding(be, x, name)


def check_features(x, y, names) -> None:
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same feature size (all input time series "
            f"must have the same feature size): got d={x.shape[-1]} and d={y.shape[-1]}"
        )


def _shape(x) -> tuple:
    return tuple(getattr(x, "shape", np.shape(x) if not isinstance(x, list) else (len(x),)))


def dataset(be: Backend, ds, name: str) -> SeriesBatch:
    """Validate a dataset of series (tslearn's ``to_time_series_dataset``).

    ``(N,)`` is one univariate series, ``(n, N)`` n univariate series and
    ``(n, N, d)`` is taken as is; a list of series of different lengths is
    padded with NaN (then treated as variable-length).
    """
    if isinstance(ds, (list, tuple)) and len(ds) > 0 and not _is_flat_numbers(ds):
        return _ragged(be, ds, name)
    arr = as_array(be, ds, name)
    xp = be.xp
    if arr.ndim == 1:
        arr = xp.reshape(arr, (1, arr.shape[0], 1))
    elif arr.ndim == 2:
        arr = arr[:, :, None]
    elif arr.ndim != 3:
        raise ValueError(f"{name} must have shape (N,), (n, N) or (n, N, d), got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty dataset")
    return _fill_padding(be, arr, name)


def _is_flat_numbers(seq) -> bool:
    return all(
        isinstance(v, Number) or (np.ndim(v) == 0 and not isinstance(v, (list, tuple))) for v in seq
    )


def _ragged(be: Backend, ds, name: str) -> SeriesBatch:
    xp = be.xp
    series = []
    for k, s in enumerate(ds):
        a = as_array(be, s, f"{name}[{k}]")
        if a.ndim == 1:
            a = xp.reshape(a, (a.shape[0], 1))
        elif a.ndim != 2:
            raise ValueError(f"{name}[{k}] must have shape (N,) or (N, d), got {a.shape}")
        series.append(a)
    ds_dims = {int(a.shape[1]) for a in series}
    if len(ds_dims) > 1:
        raise ValueError(
            f"{name}: all time series must have the same feature size, got {sorted(ds_dims)}"
        )
    d = ds_dims.pop()
    series = common_float(be, *series)
    N = max(int(a.shape[0]) for a in series)
    dev = array_api_compat.device(series[0])
    padded = []
    for a in series:
        pad = N - int(a.shape[0])
        if pad:
            filler = xp.full((pad, d), float("nan"), dtype=a.dtype, device=dev)
            a = xp.concat([a, filler], axis=0)
        padded.append(a)
    return _fill_padding(be, xp.stack(padded), name)


def check_int(value, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(value, name: str, *, positive=False, nonnegative=False) -> float:
    if isinstance(value, bool) or not isinstance(value, (Number, np.number)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def host_lengths(
    value,
    name: str,
    *,
    count: int | None = None,
    minimum: int = 1,
    maximum: int | None = None,
    what: str = "",
    flatten: bool = False,
) -> np.ndarray:
    """Per-sample lengths as a host int64 (B,) array, checked; every family parses them here.

    Lengths are metadata: a torch tensor or cupy array is read back to the host (they are
    small).  Non-integer dtypes are a TypeError; a wrong count (``count``, the batch size)
    or a length outside ``[minimum, maximum]`` a ValueError naming the argument and, for
    the range, the first offending sample (``what`` says where ``maximum`` comes from).
    ``flatten`` accepts any shape with ``count`` elements (``tsalign.nn``'s convention).
    """
    if array_api_compat.is_torch_array(value):
        host = value.detach().cpu().numpy()
    elif array_api_compat.is_cupy_array(value):
        host = value.get()
    else:
        try:
            host = np.asarray(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be a 1-d array of integers ({exc})") from None
    if host.size == 0 and host.dtype != object:
        host = host.astype(np.int64)
    if host.dtype == object or not np.issubdtype(host.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {host.dtype}")
    if flatten:
        host = host.reshape(-1)
    elif host.ndim != 1:
        raise ValueError(f"{name} must have shape (B,), got {tuple(host.shape)}")
    host = np.ascontiguousarray(host, dtype=np.int64)
    if count is not None and host.shape[0] != count:
        raise ValueError(
            f"{name} must have shape ({count},) (one length per sample), got ({host.shape[0]},)"
        )
    if host.size and host.min() < minimum:
        b = int(np.argmin(host))
        raise ValueError(f"{name} must be >= {minimum}, got {int(host[b])} for sample {b}")
    if maximum is not None and host.size and host.max() > maximum:
        b = int(np.argmax(host))
        where = f" ({what})" if what else ""
        raise ValueError(f"{name} must be <= {maximum}{where}, got {int(host[b])} for sample {b}")
    return host


REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction) -> str:
    """A loss reduction: "none" (per sample), "mean" or "sum" over the batch."""
    if not isinstance(reduction, str):
        raise TypeError(f"reduction must be a string, got {type(reduction).__name__}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def dataset_pair(be: Backend, dataset1, dataset2, same_features: bool = True):
    """Validate the datasets of a cdist: ``(A, B, symmetric)``, one float dtype.

    ``dataset2=None`` means ``dataset1`` against itself (``B is A``, ``symmetric``).
    Without ``same_features`` (CTW compares series of different feature sizes) the two
    are returned as they are.
    """
    A = dataset(be, dataset1, "dataset1")
    symmetric = dataset2 is None
    B = A if symmetric else dataset(be, dataset2, "dataset2")
    if not same_features:
        return A, B, symmetric
    if A.X.shape[2] != B.X.shape[2]:
        raise ValueError(
            "dataset1 and dataset2 must have the same feature size (all input time series must "
            f"have the same feature size): got d={A.X.shape[2]} and d={B.X.shape[2]}"
        )
    if A.X.dtype != B.X.dtype:
        xp = be.xp
        A = SeriesBatch(xp.astype(A.X, xp.float64), A.lengths)
        B = SeriesBatch(xp.astype(B.X, xp.float64), B.lengths)
    return A, B, symmetric


def as_int_array(be: Backend, x, name: str, device):
    """``x`` (class indices, say) as a C-contiguous int64 array of ``be`` on ``device``."""
    if be.is_array(x):
        arr = x
    elif _is_any_array(x):
        if _is_cuda_foreign(x) and not (be.is_cupy or be.is_pytorch):
            raise TypeError(
                f"{name} is a CUDA array but the {be.backend_string} backend runs on the CPU; "
                "move it yourself (.cpu() / .get()) or use a GPU backend"
            )
        if _is_cuda_foreign(x):
            arr = be.xp.from_dlpack(x)
        else:
            arr = be.array(_to_host(x))
    else:
        host = np.asarray(x)
        if host.dtype == object:
            raise TypeError(f"{name} must be an array of integers, got {type(x).__name__}")
        arr = be.array(host)
    xp = be.xp
    if arr.dtype == xp.bool or not xp.isdtype(arr.dtype, "integral"):
        raise TypeError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    if be.is_pytorch:
        return arr.to(device=device, dtype=be.torch.int64).contiguous()
    if be.is_cupy:
        import cupy

        with device:
            return cupy.ascontiguousarray(arr, dtype=cupy.int64)
    return np.ascontiguousarray(arr, dtype=np.int64)
