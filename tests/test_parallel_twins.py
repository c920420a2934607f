"""Every ``prange`` kernel in the thread pool against its serial twin.

A :class:`~tsalign.kernels.cpu._jit.ParallelKernel` runs its serial twin below
``SMALL_WORK`` cells, and tests use small data, so most tests never compile a
kernel's parallel build.  A parallel build can fail where the serial one works
(seen: the kNN kernel did not compile in the pool, because numba gives
``prange`` an unsigned index and ``min(uint64, int64)`` types as a float), and
only large calls on a machine with two or more threads would find it.  Here
every public family runs twice on small data, forced into the pool
(``SMALL_WORK = 0``) and forced serial; the results must be equal, and every
``ParallelKernel`` defined in ``tsalign.kernels.cpu`` must have run in the pool
at least once, so a new kernel cannot be left out.
"""

from __future__ import annotations

import importlib
import pkgutil

import numba
import numpy as np
import pytest

import tsalign
from tsalign.kernels.cpu import _jit

pytestmark = pytest.mark.skipif(
    numba.get_num_threads() < 2, reason="numba has one thread here: every call runs serially"
)


# Outputs of kernels built to reassociate sums (``njit_parallel_sum``: the series'
# gradient of SoftDTWLoss sums E * 2(x - y) over frames like BLAS would) or with
# fast-math float32 cells: the pool's build and the serial build may vectorise the
# sums differently, so they agree to rounding (seen: 1 ulp in float64, 2 in
# float32), not to the bit.
_REASSOCIATED = ("soft_dtw_loss",)


def _all_parallel_kernels() -> dict[str, _jit.ParallelKernel]:
    import tsalign.kernels.cpu as cpu

    found = {}
    for info in pkgutil.iter_modules(cpu.__path__):
        mod = importlib.import_module(f"{cpu.__name__}.{info.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, _jit.ParallelKernel) and obj.py_func.__module__ == mod.__name__:
                found[f"{info.name}.{name}"] = obj
    return found


def _workload() -> dict[str, object]:
    """One call of every family that has a prange kernel (small sizes, fixed seeds)."""
    import torch

    from tsalign._torch import dilate as tdil
    from tsalign._torch import soft_dtw as tsd
    from tsalign.barycenters import dtw_barycenter_averaging, softdtw_barycenter
    from tsalign.clustering import TimeSeriesKMeans
    from tsalign.nn import DILATELoss, SoftDTWLoss, SSNTLoss

    rng = np.random.default_rng(7)
    ds = np.cumsum(rng.normal(size=(40, 24, 1)), axis=1)  # > one SIMD lane group of pairs
    ragged = ds.copy()
    ragged[3, 18:] = np.nan
    ds32 = ds.astype(np.float32)
    long = np.cumsum(np.random.default_rng(8).normal(size=(16, 140, 1)), axis=1)
    a, b = ds[0], ds[1, :20]
    out: dict[str, object] = {
        "dtw_path": tsalign.dtw_path(a, b),
        "dtw_band": tsalign.dtw(a, b, sakoe_chiba_radius=3),
        "cdist_dtw": tsalign.cdist_dtw(ragged),
        "cdist_dtw32": tsalign.cdist_dtw(ds32[:20], ds32[20:]),
        "cdist_dtw_few": tsalign.cdist_dtw(ds[:3]),  # too few pairs for lanes: scalar kernel
        "cdist_soft_dtw": tsalign.cdist_soft_dtw(ragged, gamma=0.5),
        "cdist_soft_dtw32": tsalign.cdist_soft_dtw(ds32[:20], ds32[20:], gamma=0.5),
        "soft_dtw_one": tsalign.soft_dtw(a, b, gamma=0.5),  # one float64 pair: per-pair kernel
        "soft_dtw_alignment": tsalign.soft_dtw_alignment(a, b, gamma=0.3),
        "frechet_path": tsalign.frechet_path(a, b),
        "cdist_frechet": tsalign.cdist_frechet(ds[:12]),
        "lcss_path": tsalign.lcss_path(a, b, eps=0.5),
        "cdist_gak": tsalign.cdist_gak(ds[:12], sigma=2.0),
        "ldtw_path": tsalign.dtw_path_limited_warping_length(a, b, 30),
        "dilate": tsalign.dilate(ds[:8], ds[8:16], gamma=0.1),
        "dilate_hard": tsalign.dilate(ds[:8], ds[8:16], gamma=0.0),
        # long series with no band: the scalar (EAPruned) visit
        "knn": tsalign.kneighbors_dtw(long[:6], long[6:], 3),
        # a lane group of queries in a narrow band: the lane-parallel visit
        "knn_band": tsalign.kneighbors_dtw(ds[:20], ds[20:], 2, sakoe_chiba_radius=2),
        "subsequence": tsalign.subsequence_search_dtw(
            ds[0, :16, 0], np.cumsum(rng.normal(size=600)), 3, sakoe_chiba_radius=2
        ),
        "subsequence_2d": tsalign.subsequence_search_dtw(
            rng.normal(size=(16, 2)), rng.normal(size=(400, 2)), 2, sakoe_chiba_radius=2
        ),
        "dba": dtw_barycenter_averaging(ds[:16], max_iter=3),
        "dba32": dtw_barycenter_averaging(ds32[:16], max_iter=3),  # the per-series kernel
        "sdtw_bary": softdtw_barycenter(ds[:16], gamma=1.0, max_iter=5),
    }
    km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=3, random_state=0).fit(ds)
    out["kmeans"] = (km.labels_, km.cluster_centers_, km.inertia_)

    torch.manual_seed(0)
    for dt in (torch.float32, torch.float64):
        x = torch.randn(16, 20, 2, dtype=dt, requires_grad=True)
        y = torch.randn(16, 22, 2, dtype=dt)
        SoftDTWLoss(gamma=0.2)(x, y).sum().backward()
        out[f"soft_dtw_loss_{dt}"] = x.grad.numpy().copy()
        p = torch.randn(8, 20, 1, dtype=dt, requires_grad=True)
        DILATELoss()(p, torch.randn(8, 20, 1, dtype=dt)).backward()
        out[f"dilate_loss_{dt}"] = p.grad.numpy().copy()
        # the cost-matrix path (CUDA's, and the CPU's for gamma = 0): a torch cost
        # matrix, the per-pair DILATE kernels and the cost's gradient kernel
        fused, tdil.fused = tdil.fused, lambda *a: False
        sdtw_fused, tsd.uses_fused = tsd.uses_fused, lambda *a: False
        try:
            p = torch.randn(8, 20, 1, dtype=dt, requires_grad=True)
            tsalign.dilate(p, torch.randn(8, 20, 1, dtype=dt), gamma=0.1)[0].backward()
            x = torch.randn(16, 20, 2, dtype=dt, requires_grad=True)
            SoftDTWLoss(gamma=0.2)(x, torch.randn(16, 22, 2, dtype=dt)).sum().backward()
        finally:
            tdil.fused = fused
            tsd.uses_fused = sdtw_fused
        out[f"dilate_cost_matrix_{dt}"] = p.grad.numpy().copy()
        out[f"soft_dtw_loss_cost_matrix_{dt}"] = x.grad.numpy().copy()
        g = torch.tensor(ds[:2], dtype=dt, requires_grad=True)  # GAK's log-space Function
        tsalign.gak(g[0], g[1], sigma=2.0).backward()
        out[f"gak_grad_{dt}"] = g.grad.numpy().copy()
    B, T, S, V = 4, 5, 30, 40
    lp = torch.randn(B, T, S, V, dtype=torch.float64).log_softmax(-1).requires_grad_(True)
    emit = torch.randn(B, T, S, dtype=torch.float64, requires_grad=True)
    SSNTLoss()(lp, torch.randint(0, V, (B, T)), emit_logits=emit).backward()
    out["ssnt_grad"] = (lp.grad.numpy().copy(), emit.grad.numpy().copy())
    return out


def _flatten(x) -> list[np.ndarray]:
    if isinstance(x, (tuple, list)):
        return [a for item in x for a in _flatten(item)]
    return [np.asarray(x)]


def test_every_parallel_kernel_matches_its_serial_twin(monkeypatch):
    kernels = _all_parallel_kernels()
    assert len(kernels) >= 20, sorted(kernels)  # the discovery itself works

    ran_in_pool: set[str] = set()
    real_run = _jit.ParallelKernel.run
    names = {id(k): name for name, k in kernels.items()}

    def spy(self, work, *args):
        if work >= _jit.SMALL_WORK:
            ran_in_pool.add(names.get(id(self), self.__name__))
        return real_run(self, work, *args)

    monkeypatch.setattr(_jit.ParallelKernel, "run", spy)
    monkeypatch.setattr(_jit, "SMALL_WORK", 0)
    pooled = _workload()
    monkeypatch.setattr(_jit, "SMALL_WORK", 10**15)
    serial = _workload()

    missing = sorted(set(kernels) - ran_in_pool)
    assert not missing, f"parallel kernels no call above reached: {missing}"
    differ = []
    for key, value in pooled.items():
        for p, s in zip(_flatten(value), _flatten(serial[key]), strict=True):
            assert p.dtype == s.dtype, key
            if key.startswith(_REASSOCIATED):
                scale = float(np.abs(s).max())
                rtol = 1e-5 if p.dtype == np.float32 else 1e-13
                ok = np.allclose(p, s, rtol=rtol, atol=rtol * scale)
            else:
                # each pair is computed by one thread either way: the same bits
                ok = np.array_equal(p, s, equal_nan=p.dtype.kind == "f")
            if not ok:
                differ.append(key)
    assert not differ, f"pool and serial twin differ: {differ}"
