"""Barycenter machinery shared by ``barycenters`` and ``clustering`` (backend-agnostic).

- argument checks (weights, constraint parameters, random states);
- tslearn's initialisations (NaN-aware mean, linear resampling);
- DBA: one pass over the dataset per iteration (exact DTW paths, weighted
  frame sums scattered onto the barycenter frames), one fused kernel call
  (``kernels/cpu/dba.py``, ``kernels/cuda/dba.cu``); the unfused variant (the
  DTW family's accumulated costs and paths in slices of pairs, frames
  scatter-added with ``index_add_`` / ``cupyx.scatter_add``) is kept as a check.
  Several independent barycenters (one per k-means cluster) run in lockstep, each with its own
  stopping rule, so a k-means iteration is one call per DBA iteration;
- the subgradient DBA epoch (sequential: one fused call on the CPU);
- the soft-DTW barycenter objective and its gradient (one fused kernel call for
  float64 CPU data, else the soft-DTW family's E recursion batched over the
  dataset) and its minimisation (scipy's
  L-BFGS-B on host arrays, ``torch.optim.LBFGS`` on torch tensors on a GPU).
"""

from __future__ import annotations

import warnings
from numbers import Number

import numpy as np

from .backend import Backend
from .constraints import infeasible_error, resolve_band
from .costs import sq_euclidean
from .paths import end_values, optimal_paths
from .validation import SeriesBatch

# cells (pairs x rows x columns) per slice of the non-fused paths and soft-DTW objective
CELL_BUDGET = 1 << 22

BAND_KEYS = ("global_constraint", "sakoe_chiba_radius", "itakura_max_slope")


# --------------------------------------------------------------------------- arguments
def check_weights(weights, n: int, name: str = "weights") -> np.ndarray:
    """Host float64 weights of length n: finite, >= 0, not all zero (None = ones)."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    if hasattr(weights, "detach"):
        weights = weights.detach()
    if hasattr(weights, "get") and type(weights).__module__.startswith("cupy"):
        weights = weights.get()
    elif hasattr(weights, "cpu"):
        weights = weights.cpu()
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of numbers, got {type(weights).__name__}"
        ) from None
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"{name} must have one entry per series ({n}), got shape {tuple(np.shape(weights))}"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must be finite")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got min {w.min()}")
    if not np.any(w > 0):
        raise ValueError(f"{name} must not all be zero")
    return w


def band_from_params(params, name: str = "metric_params", ignore=()) -> tuple:
    """The band of a tslearn ``metric_params`` dict (constraint keys only)."""
    if params is None:
        return resolve_band()
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict or None, got {type(params).__name__}")
    unknown = sorted(k for k in params if k not in BAND_KEYS and k not in ignore)
    if unknown:
        raise ValueError(
            f"{name}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(BAND_KEYS + tuple(ignore))}"
        )
    return resolve_band(*(params.get(k) for k in BAND_KEYS))


def check_random_state(seed) -> np.random.RandomState:
    """scikit-learn's ``check_random_state`` (None = numpy's global generator)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.RandomState(seed)
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState, got {type(seed).__name__}"
    )


def check_positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Number, np.number)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")
    return value


def convergence_warning() -> type:
    """scikit-learn's ConvergenceWarning when installed (what tslearn raises)."""
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:  # pragma: no cover - sklearn is optional
        return UserWarning
    return ConvergenceWarning


# --------------------------------------------------------------------------- arrays
def on_device(be: Backend, host, like):
    """A host numpy array as a backend array next to ``like``."""
    if be.is_numpy:
        return host
    return be.xp.asarray(host, device=be.device_of(like))


def host(be: Backend, x) -> np.ndarray:
    return x if be.is_numpy else be.to_numpy(x)


def detach(be: Backend, x):
    return x.detach() if be.is_pytorch else x


def scatter_add(be: Backend, out, index, values):
    """``out[index[k]] += values[k]`` along the first axis (duplicates accumulate)."""
    if be.is_numpy:
        np.add.at(out, index, values)
        return out
    if be.is_pytorch:
        return out.index_add_(0, index, values)
    import cupyx

    cupyx.scatter_add(out, index, values)
    return out


def lengths_mask(be: Backend, lengths: np.ndarray, N: int, like):
    """(n, N) boolean mask of the frames inside each series."""
    xp = be.xp
    pos = xp.arange(N, device=be.device_of(like))
    return pos[None, :] < on_device(be, lengths, like)[:, None]


def nanmean_init(be: Backend, data: SeriesBatch, size: int):
    """tslearn's ``_init_avg``: frame-wise mean over the series present, resampled."""
    xp = be.xp
    X = data.X
    N = int(np.max(data.lengths))
    X = X[:, :N]
    mask = xp.astype(lengths_mask(be, data.lengths, N, X), X.dtype)
    avg = xp.sum(X, axis=0) / xp.sum(mask, axis=0)[:, None]  # padding frames are zeros
    if size == N:
        return avg
    return interp_linear(be, avg, N, size)


def interp_linear(be: Backend, y, n_in: int, n_out: int):
    """``y`` (given at ``linspace(0, 1, n_in)``) linearly interpolated at ``linspace(0, 1, n_out)``.

    The arithmetic of ``scipy.interpolate.interp1d`` / ``numpy.interp``.
    """
    if n_in == 1:
        return be.xp.broadcast_to(y[:1], (n_out, y.shape[1])) * 1
    xs = np.linspace(0.0, 1.0, n_in)
    xn = np.linspace(0.0, 1.0, n_out)
    hi = np.clip(np.searchsorted(xs, xn, side="left"), 1, n_in - 1)
    lo = hi - 1
    frac = (xn - xs[lo]) / (xs[hi] - xs[lo])
    ylo = be.xp.take(y, on_device(be, lo, y), axis=0)
    yhi = be.xp.take(y, on_device(be, hi, y), axis=0)
    f = be.xp.astype(on_device(be, frac, y), y.dtype)[:, None]
    return ylo + f * (yhi - ylo)


def resample(be: Backend, data: SeriesBatch, size: int):
    """tslearn's ``TimeSeriesResampler(sz=size)``: each series stretched linearly."""
    xp = be.xp
    out = []
    for b in range(data.X.shape[0]):
        n_b = int(data.lengths[b])
        out.append(interp_linear(be, data.X[b, :n_b], n_b, size))
    return xp.stack(out)


def check_costs(costs: np.ndarray, band, size: int, lengths: np.ndarray) -> None:
    bad = ~np.isfinite(costs)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise infeasible_error(band, size, int(lengths[k]))


# --------------------------------------------------------------------------- DBA
def dba_pass(be: Backend, X, lx, Z, assign, weights, idx, band, bary_first, fused=None):
    """Weighted frame sums aligned with each barycenter frame, over the series ``idx``.

    X (n, N, d), Z (K, S, d) backend arrays; lx, assign, weights, idx host
    arrays.  Returns ``(sums (K, S, d) float64, counts (K, S) float64)`` as
    backend arrays and the squared DTW of each used series (host, in X's dtype).
    """
    if fused is None:
        fused = True  # kernels/cpu/dba.py and kernels/cuda/dba.cu
    if fused:
        sums, counts, costs = be.call_kernel(
            "dba", "dba_accumulate", X, X, lx, Z, assign, weights, idx, band, bary_first
        )
        return sums, counts, host(be, costs)
    return _dba_pass_sliced(be, X, lx, Z, assign, weights, idx, band, bary_first)


def _dba_pass_sliced(be: Backend, X, lx, Z, assign, weights, idx, band, bary_first):
    xp = be.xp
    K, S, d = Z.shape
    N = X.shape[1]
    sums = xp.zeros((K * S, d), dtype=xp.float64, device=be.device_of(X))
    counts = xp.zeros((K * S,), dtype=xp.float64, device=be.device_of(X))
    costs = []
    step = max(1, CELL_BUDGET // max(1, S * N))
    for s in range(0, len(idx), step):
        ib = idx[s : s + step]
        b = len(ib)
        tb = on_device(be, ib, X)
        tk = on_device(be, assign[ib], X)
        Xb = xp.take(X, tb, axis=0)
        Zb = xp.take(Z, tk, axis=0)
        lxb = np.ascontiguousarray(lx[ib])
        lzb = np.full(b, S, dtype=np.int64)
        if bary_first:
            R, paths, plen, end_j = optimal_paths(be, Zb, Xb, lzb, lxb, band)
            costs.append(host(be, end_values(be, R, lzb, end_j)))
            zi, xj = paths[:, :, 0], paths[:, :, 1]
        else:
            R, paths, plen, end_j = optimal_paths(be, Xb, Zb, lxb, lzb, band)
            costs.append(host(be, end_values(be, R, lxb, end_j)))
            zi, xj = paths[:, :, 1], paths[:, :, 0]
        L = paths.shape[1]
        plen_d = on_device(be, host(be, plen), X)
        valid = xp.arange(L, device=be.device_of(X))[None, :] < plen_d[:, None]
        wb = on_device(be, weights[ib], X)
        wv = xp.where(valid, wb[:, None], xp.zeros_like(wb)[:, None])  # (b, L) float64
        rows = xp.arange(b, device=be.device_of(X))[:, None]
        frames = xp.astype(Xb[rows, xj], xp.float64)  # (b, L, d)
        target = xp.reshape(tk[:, None] * S + zi, (-1,))
        scatter_add(be, counts, target, xp.reshape(wv, (-1,)))
        scatter_add(be, sums, target, xp.reshape(frames * wv[:, :, None], (-1, d)))
    out_costs = np.concatenate(costs) if costs else np.zeros(0)
    return xp.reshape(sums, (K, S, d)), xp.reshape(counts, (K, S)), out_costs


def dba_lockstep(
    be: Backend,
    X,
    lx,
    Z,
    assign,
    weights,
    band,
    max_iter: int,
    tol: float,
    bary_first: bool,
    verbose: bool = False,
    fused=None,
):
    """K independent DBA runs (barycenter k averages the series with ``assign == k``).

    tslearn's loop for each: the cost of the current barycenter and the update
    from its paths; stop when the cost changes by less than ``tol`` or
    increases (with a ConvergenceWarning), after the update.  Returns
    ``(Z (K, S, d), cost (K,) host)``.
    """
    xp = be.xp
    K = Z.shape[0]
    wsum = np.bincount(assign, weights=weights, minlength=K)
    active = wsum > 0
    prev = np.full(K, np.inf)
    cost = np.full(K, np.inf)
    for it in range(max_iter):
        idx = np.flatnonzero(active[assign]).astype(np.int64)
        sums, counts, costs = dba_pass(be, X, lx, Z, assign, weights, idx, band, bary_first, fused)
        check_costs(costs, band, Z.shape[1], lx[idx])
        # tslearn squares the DTW value (the square root of the cost)
        sq = np.sqrt(costs.astype(np.float64)) ** 2
        ck = np.bincount(assign[idx], weights=weights[idx] * sq, minlength=K)
        ck = np.divide(ck, wsum, out=np.full(K, np.inf), where=wsum > 0)
        safe = xp.where(counts > 0, counts, xp.ones_like(counts))
        newZ = xp.astype(sums / safe[:, :, None], Z.dtype)
        act_d = on_device(be, active, Z)
        Z = xp.where(act_d[:, None, None], newZ, Z)
        cost[active] = ck[active]
        if verbose:
            print(f"[DBA] epoch {it + 1}, cost: {cost[0]:.3f}")
        converged = active & (np.abs(prev - cost) < tol)
        rising = active & ~converged & (prev < cost)
        if np.any(rising):
            warnings.warn(
                "DBA loss is increasing while it should not be. Stopping optimization.",
                convergence_warning(),
                stacklevel=3,
            )
        go_on = active & ~converged & ~rising
        prev[go_on] = cost[go_on]
        active = go_on
        if not np.any(active):
            break
    return Z, cost


def dba_cost(be: Backend, X, lx, Z, weights, band) -> float:
    """tslearn's DBA cost: ``sum_i w_i dtw(Z, X_i)^2 / sum_i w_i`` (host float)."""
    xp = be.xp
    n = X.shape[0]
    S = Z.shape[0]
    Zr = xp.broadcast_to(Z[None], (n, S, Z.shape[1])) * 1
    lz = np.full(n, S, dtype=np.int64)
    sq = host(be, be.call_kernel("dtw", "dtw_values", Zr, Zr, X, lz, lx, band))
    check_costs(sq, band, S, lx)
    return float(np.sum((np.sqrt(sq.astype(np.float64)) ** 2) * weights) / np.sum(weights))


def subgradient_epoch(
    be: Backend, X, lx, Z, order, weights, band, eta, eta_drop, first, fused=None
):
    """One epoch of the stochastic subgradient DBA; returns ``(Z, eta)``."""
    if fused is None:
        fused = not be.on_gpu(X)
    if fused:
        Zn, eta = be.call_kernel(
            "dba",
            "dba_subgradient_epoch",
            X,
            X,
            lx,
            Z,
            order,
            weights,
            band,
            eta,
            eta_drop,
            first,
        )
        return Zn, eta
    xp = be.xp
    S, d = Z.shape
    wsum = float(np.sum(weights))
    scale = wsum / len(weights)
    zero = np.zeros(1, dtype=np.int64)
    for b in order:
        w = float(weights[b])
        if w == 0.0:
            continue
        n_b = int(lx[b])
        sums, counts, _ = _dba_pass_sliced(
            be, X[b : b + 1, :n_b], lx[b : b + 1], Z[None], zero, np.ones(1), zero, band, True
        )
        coef = 2.0 * eta / scale
        delta = (w * counts[0])[:, None] * xp.astype(Z, xp.float64) - w * sums[0]
        Z = xp.astype(xp.astype(Z, xp.float64) - coef * delta, Z.dtype)
        if first:
            eta -= eta_drop * w / wsum
    return Z, eta


# --------------------------------------------------------------------------- soft-DTW
def sdtw_objective(be: Backend, X, lx, weights, band, gamma: float, divergence: bool):
    """``f(Z) -> (value, grad)`` of ``sum_i w_i sdtw(Z, X_i)`` (or of the divergence).

    The gradient is ``2 (diag(E 1) Z - E X)`` summed over the series, E the
    expected alignments.  Float64 CPU data: one fused kernel call
    (``kernels/cpu/sdtw_bary.py``) returns the values and the weighted sums of
    E; otherwise the soft-DTW family's forward and backward kernels run on
    slices of at most ``CELL_BUDGET`` cells.
    """
    xp = be.xp
    n, N = X.shape[0], X.shape[1]
    w_d = xp.astype(on_device(be, weights, X), X.dtype)
    wsum = float(np.sum(weights))
    const = 0.0
    if divergence:
        self_vals = be.call_kernel(
            "soft_dtw", "soft_dtw_values", X, X, X, lx, lx, band, float(gamma)
        )
        const = float(np.sum(host(be, self_vals).astype(np.float64) * weights))

    def forward_backward(A, Bm, la, lb):
        C = sq_euclidean(be, A, Bm)
        vals, W = be.call_kernel("soft_dtw", "soft_dtw_forward", C, C, la, lb, band, float(gamma))
        hv = host(be, vals)
        if not np.all(np.isfinite(hv)):
            k = int(np.argmax(~np.isfinite(hv)))
            raise infeasible_error(band, int(la[k]), int(lb[k]))
        E = be.call_kernel("soft_dtw", "soft_dtw_backward", W, W, la, lb, band)
        return vals, E

    fused = not be.on_gpu(X) and str(X.dtype).endswith("float64")

    def sliced(Z):
        S, d = Z.shape
        step = max(1, CELL_BUDGET // max(1, S * N))
        value = 0.0
        rows = xp.zeros((S,), dtype=Z.dtype, device=be.device_of(Z))
        ex = xp.zeros((S, d), dtype=Z.dtype, device=be.device_of(Z))
        for s in range(0, n, step):
            Xc = X[s : s + step]
            b = Xc.shape[0]
            lz = np.full(b, S, dtype=np.int64)
            vals, E = forward_backward(Z[None], Xc, lz, lx[s : s + step])
            wc = w_d[s : s + step]
            value += float(xp.sum(wc * vals))
            rows = rows + xp.sum(wc[:, None] * xp.sum(E, axis=2), axis=0)
            ex = ex + xp.sum(wc[:, None, None] * xp.matmul(E, Xc), axis=0)
        return value, rows, ex

    scratch: dict = {}  # the fused kernel's cell scratch, kept across the calls

    def f(Z):
        S = Z.shape[0]
        if fused:
            # one call: values and the weighted E sums, nothing of size S x N returned
            vals, rows, ex = be.call_kernel(
                "sdtw_bary",
                "sdtw_barycenter_objective",
                X,
                Z,
                X,
                lx,
                weights,
                band,
                gamma,
                scratch=scratch,
            )
            hv = host(be, vals)
            if not np.all(np.isfinite(hv)):
                k = int(np.argmax(~np.isfinite(hv)))
                raise infeasible_error(band, S, int(lx[k]))
            value = float(np.sum(weights * hv))
        else:
            value, rows, ex = sliced(Z)
        G = 2 * (rows[:, None] * Z - ex)
        if divergence:
            lz = np.full(1, S, dtype=np.int64)
            vals, E = forward_backward(Z[None], Z[None], lz, lz)
            E0 = E[0]
            Et = xp.permute_dims(E0, (1, 0))
            deg = xp.sum(E0, axis=1) + xp.sum(E0, axis=0)
            Gs = 2 * (deg[:, None] * Z - xp.matmul(E0, Z) - xp.matmul(Et, Z))
            value -= 0.5 * (wsum * float(vals[0]) + const)
            G = G - (0.5 * wsum) * Gs
        return value, G

    return f


def minimize_lbfgs(be: Backend, f, Z0, max_iter: int, tol: float, method: str):
    """Minimise ``f`` from ``Z0`` (S, d): scipy on host arrays, torch's L-BFGS on torch GPUs.

    ``method="torch"`` forces ``torch.optim.LBFGS`` (torch tensors only); any
    other name is a ``scipy.optimize.minimize`` method (with the gradient).
    """
    if max_iter == 0:
        return Z0
    use_torch = method == "torch" or (be.is_pytorch and be.on_gpu(Z0) and method == "L-BFGS-B")
    if use_torch:
        if not be.is_pytorch:
            raise ValueError("method='torch' needs torch tensors")
        return _minimize_torch(f, Z0, max_iter, tol)
    from scipy.optimize import minimize

    shape, dtype = tuple(Z0.shape), Z0.dtype
    xp = be.xp

    def fun(z):
        Z = xp.astype(on_device(be, np.reshape(z, shape), Z0), dtype)
        v, G = f(Z)
        return v, np.ravel(host(be, G)).astype(np.float64)

    x0 = np.ravel(host(be, Z0)).astype(np.float64)
    res = minimize(fun, x0, method=method, tol=tol, jac=True, options={"maxiter": max_iter})
    return xp.astype(on_device(be, np.reshape(res.x, shape), Z0), dtype)


def _minimize_torch(f, Z0, max_iter: int, tol: float):
    import torch

    Zp = Z0.detach().clone().requires_grad_(True)
    opt = torch.optim.LBFGS(
        [Zp],
        lr=1.0,
        max_iter=max_iter,
        max_eval=max(15000, 2 * max_iter),
        tolerance_grad=tol,
        tolerance_change=1e-12 if Zp.dtype == torch.float64 else 1e-7,
        history_size=10,
        line_search_fn="strong_wolfe",
    )
    best = {"v": float("inf"), "Z": Zp.detach().clone()}

    def closure():
        with torch.no_grad():
            v, G = f(Zp.detach())
            Zp.grad = G.to(Zp.dtype)
            if v < best["v"]:
                best["v"] = v
                best["Z"] = Zp.detach().clone()
        return torch.tensor(v, dtype=torch.float64)

    opt.step(closure)
    return best["Z"]
