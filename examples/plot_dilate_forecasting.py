"""
Forecasting a sudden change with DILATE
=======================================

A short version of the synthetic experiment of Le Guen and Thome (NeurIPS
2019).  Each series shows two peaks in its 20 input steps; in the 20 steps to
forecast, the level jumps by the difference of the two peak heights, at a
time set by the peaks' positions give or take 3 steps that nothing in the
input reveals.  Trained with the mean squared error, a model hedges over the
possible times and predicts a smooth ramp.  DILATE,

.. math::

   \\alpha\\,\\mathrm{shape} + (1 - \\alpha)\\,\\mathrm{temporal},

adds to soft-DTW (the *shape* term, which ignores small shifts) a penalty
on the expected alignment straying from the diagonal (the *temporal* term),
so the forecast keeps a sharp step, near the right time.

The same small network is trained with ``torch.nn.MSELoss`` and with
:func:`tsalign.dilate` (α = 0.5, γ = 0.01, the paper's values) for **only
100 epochs** each, with a learning rate of 3e-3 (the paper's is 1e-3), so
that this page builds quickly (about a minute of CPU in all),
and scored on test series with the paper's three criteria: MSE, DTW and the
temporal distortion index (TDI, :func:`tsalign.temporal_distortion_index`).
The scores are those of short training, not converged ones.  The full
reproduction, with the paper's GRU and 500 epochs (minutes on a CPU), is
``examples/dilate_synthetic.py``; its results are on the performance page.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from tsalign import dilate, dtw, temporal_distortion_index

rng = np.random.default_rng(0)
torch.manual_seed(0)
# The network is tiny: one thread is faster than several that synchronise on
# every small matmul (the setting is restored at the end).
saved_threads = torch.get_num_threads()
torch.set_num_threads(1)
N_IN, N_OUT = 20, 20
# A few epochs only, so that this page builds quickly: enough for the
# effect to show, not for converged scores (see the reproduction below).
EPOCHS = 100
LEARNING_RATE = 3e-3  # three times the paper's, to make up for the short training


def make_data(n, sigma=0.01):
    """Two peaks in the input, then a step of height h2 - h1 in the output."""
    series = sigma * rng.random((n, N_IN + N_OUT))
    for s in series:
        i1, i2 = rng.integers(1, 10), rng.integers(10, 18)
        h1, h2 = rng.random(), rng.random()
        s[i1] += h1
        s[i2] += h2
        s[i2 + abs(i2 - i1) + rng.integers(-3, 3) :] += h2 - h1
    series = torch.tensor(series[:, :, None], dtype=torch.float32)
    return series[:, :N_IN], series[:, N_IN:]


x_train, y_train = make_data(500)
x_test, y_test = make_data(500)


def train(loss_fn, epochs=EPOCHS, batch=100):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(N_IN, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, N_OUT),
        torch.nn.Unflatten(1, (N_OUT, 1)),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for _ in range(epochs):
        order = torch.randperm(len(x_train))
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
    return model


mse = torch.nn.MSELoss()
models = {
    "MSE": train(mse),
    "DILATE": train(lambda pred, true: dilate(pred, true, alpha=0.5, gamma=0.01)[0]),
}

# %%
# Test scores
# -----------
# Lower is better for all three; the units are the paper's (MSE and DTW
# ×100, TDI ×10).  MSE training wins on MSE; DILATE on the criteria that
# look at the shape (DTW) and at the timing (TDI) of the forecast.
print(f"{'trained with':14s} {'MSE x100':>9s} {'DTW x100':>9s} {'TDI x10':>8s}")
predictions = {}
for name, model in models.items():
    with torch.no_grad():
        pred = model(x_test)
    predictions[name] = pred
    score_mse = float(mse(pred, y_test))
    score_dtw = float(dtw(pred.double(), y_test.double()).mean())
    score_tdi = float(temporal_distortion_index(pred.double(), y_test.double()).mean())
    print(f"{name:14s} {100 * score_mse:9.2f} {100 * score_dtw:9.2f} {10 * score_tdi:8.2f}")

# %%
# Forecasts of three test series
# ------------------------------
# The three test series with the largest jumps.  The MSE model ramps
# smoothly over the steps where the jump might happen; the DILATE model
# jumps, not always at the right step.
jump = (y_test[:, -1, 0] - y_test[:, 0, 0]).abs()
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
t_in, t_out = np.arange(N_IN), np.arange(N_IN, N_IN + N_OUT)
for k, ax in zip(torch.argsort(jump, descending=True)[:3].tolist(), axes, strict=True):
    ax.plot(t_in, x_test[k, :, 0], color="0.4", label="input")
    ax.plot(t_out, y_test[k, :, 0], color="0.4", linestyle="--", label="truth")
    for (name, pred), color in zip(predictions.items(), ("C0", "C3"), strict=True):
        ax.plot(t_out, pred[k, :, 0], color=color, linewidth=2, label=name)
    ax.axvline(N_IN - 0.5, color="0.8", linewidth=1)
    ax.set_xlabel("time step")
# one legend for the three panels, below them, where it hides no data
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
fig.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()
torch.set_num_threads(saved_threads)
