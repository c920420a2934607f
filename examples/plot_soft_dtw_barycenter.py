"""
Soft-DTW barycenter by gradient descent
=======================================

The Euclidean mean of series that differ by timing is blurred: the events
happen at different frames, and averaging frame by frame smears them into a
low, wide hump.  A *soft-DTW barycenter* is the series z that minimises the
average soft-DTW to the set,

.. math::

   z^\\star = \\arg\\min_z \\frac1n \\sum_k \\mathrm{sdtw}_\\gamma(z, x_k),

which aligns before it averages (Cuturi and Blondel, 2017).  soft-DTW is
differentiable, so z is found by plain gradient descent with PyTorch: the
batch of n pairs (z, x_k) is one call of :func:`tsalign.soft_dtw`, and
autograd gives the gradient.  The data are ten noisy bumps of random
position and width.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from tsalign import dtw_path, soft_dtw, soft_dtw_alignment
from tsalign.plot import plot_alignment_matrix

rng = np.random.default_rng(0)
n, N = 10, 100
t = np.arange(N)
centers = rng.uniform(30, 70, size=n)
widths = rng.uniform(4, 7, size=n)
series = np.exp(-0.5 * ((t[None, :] - centers[:, None]) / widths[:, None]) ** 2)
series += 0.02 * rng.normal(size=series.shape)
X = torch.tensor(series[:, :, None])  # (n, N, 1), float64
euclidean_mean = X.mean(dim=0)

# %%
# Gradient descent from the Euclidean mean
# ----------------------------------------
# ``z.expand(n, N, 1)`` pairs the same candidate with every series; the mean
# of the n soft-DTW values is the objective.
gamma = 1.0
z = euclidean_mean.clone().requires_grad_(True)
optimizer = torch.optim.Adam([z], lr=0.05)
history = []
for _ in range(300):
    optimizer.zero_grad()
    loss = soft_dtw(z.expand(n, N, 1), X, gamma=gamma).mean()
    loss.backward()
    optimizer.step()
    history.append(loss.item())
print(
    f"mean soft-DTW to the set: {history[0]:.3f} (Euclidean mean) -> "
    f"{history[-1]:.3f} (barycenter, after {len(history)} steps)"
)
barycenter = z.detach()

# %%
# The barycenter keeps the shape
# ------------------------------
# Thin grey lines are the ten series.  The Euclidean mean (blue) is a low,
# wide hump, like none of them; the soft-DTW barycenter (red) is a bump about
# as high and as narrow as the series themselves, at a central time.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=(1.6, 1))
for series in X[:, :, 0]:
    left.plot(series, color="0.75", linewidth=0.8)
left.plot(euclidean_mean[:, 0], color="C0", linewidth=2, label="Euclidean mean")
left.plot(barycenter[:, 0], color="C3", linewidth=2, label=f"soft-DTW barycenter, γ={gamma:g}")
left.set_xlabel("frame")
left.legend(loc="upper left")
right.plot(history, color="C3")
right.set_xlabel("gradient step")
right.set_ylabel("mean soft-DTW to the set")
fig.tight_layout()
plt.show()

# %%
# How the barycenter aligns with one of the series
# ------------------------------------------------
# The expected alignment between the barycenter and the series whose bump is
# farthest from the barycenter's: each cell is the probability that a path
# drawn from the Gibbs distribution of soft-DTW goes through it, the gradient
# of soft-DTW with respect to the cost matrix.  The path bends where the two
# bumps are matched; it is drawn at γ = 0.1, where it is sharp enough to
# see (at γ = 1 the same alignment spreads over a wider band), with the hard
# DTW path dashed.  On the flat parts, where many alignments cost about the
# same, the expected alignment spreads out while the hard path picks one of
# them.
peak = int(barycenter[:, 0].argmax())
k = int(np.argmax(np.abs(centers - peak)))
z_np, x_np = barycenter[:, 0].numpy(), X[k, :, 0].numpy()
E, value = soft_dtw_alignment(z_np, x_np, gamma=0.1)
path, _ = dtw_path(z_np, x_np)
ax = plot_alignment_matrix(E, path=path)
ax.set_xlabel(f"series {k} (frame j), bump at frame {centers[k]:.0f}")
ax.set_ylabel(f"barycenter (frame i), peak at frame {peak}")
ax.set_title(f"expected alignment, γ = 0.1 (soft-DTW = {value:.3f})")
plt.show()
