"""DILATE on the synthetic experiment of Le Guen & Thome (NeurIPS 2019), Table 1.

Three seq2seq GRU forecasters (128 hidden units, the paper's architecture) are
trained on the paper's synthetic step-signal data (500 training and 500 test
series, 20 input and 20 output steps, noise 0.01), with batch 100, Adam
(learning rate 1e-3), gamma = 0.01 and alpha = 0.5, one with each loss:

- MSE;
- soft-DTW: ``tsalign.nn.SoftDTWLoss`` (batch mean);
- DILATE: ``tsalign.nn.DILATELoss`` (``tsalign.dilate``).

The test split is then scored with MSE, DTW (``tsalign.dtw``: square root of
the best path's squared cost, as ``tslearn.metrics.dtw_path`` in the paper's
evaluation) and TDI (``tsalign.temporal_distortion_index``), printed next to
the paper's Table 1 (MSE x100, DTW x100, TDI x10).

The default is the paper's 500 epochs per model: the three models trained in
4.5 to 8 minutes on a 2-core CPU shared with other jobs (``--epochs`` to change; the
output says which was used).  Runs on CUDA when torch sees a device
(``--device``).  Results: docs/dilate_results.md.

Usage: python examples/dilate_synthetic.py [--epochs 500] [--seed 0] [--threads 1]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import torch

import tsalign
import tsalign.kernels

PAPER = {  # Table 1, synthetic dataset: MSE x100, DTW x100, TDI x10
    "MSE": (1.10, 24.6, 17.2),
    "soft-DTW": (2.31, 22.7, 20.0),
    "DILATE": (1.21, 23.1, 14.8),
}


def synthetic_dataset(n_series: int, n_input: int, n_output: int, sigma: float, rng: random.Random):
    """The paper's generator: two input peaks, then a step whose time and
    height depend on them.  Returns train/test (inputs, targets) as float32
    arrays of shape (n_series, length, 1)."""
    length = n_input + n_output
    series = np.empty((2 * n_series, length))
    for k in range(2 * n_series):
        s = np.array([sigma * rng.random() for _ in range(length)])
        i1 = rng.randint(1, 10)
        i2 = rng.randint(10, 18)
        h1 = rng.random()
        h2 = rng.random()
        step_at = i2 + abs(i2 - i1) + rng.randint(-3, 3)
        s[i1] += h1
        s[i2] += h2
        s[step_at:] += h2 - h1
        series[k] = s
    series = series[..., None].astype(np.float32)
    train, test = series[:n_series], series[n_series:]
    return (train[:, :n_input], train[:, n_input:]), (test[:, :n_input], test[:, n_input:])


class Seq2Seq(torch.nn.Module):
    """GRU encoder, autoregressive GRU decoder with a 16-unit ReLU head."""

    def __init__(self, n_output: int, hidden: int = 128, fc_units: int = 16):
        super().__init__()
        self.n_output = n_output
        self.encoder = torch.nn.GRU(1, hidden, batch_first=True)
        self.decoder = torch.nn.GRU(1, hidden, batch_first=True)
        self.fc = torch.nn.Linear(hidden, fc_units)
        self.out = torch.nn.Linear(fc_units, 1)

    def forward(self, x):
        _, h = self.encoder(x)
        step = x[:, -1:, :]  # the last observed value starts the decoding
        outputs = []
        for _ in range(self.n_output):
            o, h = self.decoder(step, h)
            step = self.out(torch.relu(self.fc(o)))
            outputs.append(step)
        return torch.cat(outputs, dim=1)


def soft_dtw_criterion(gamma: float):
    from tsalign.nn import SoftDTWLoss

    return "tsalign.nn.SoftDTWLoss", SoftDTWLoss(gamma=gamma, reduction="mean")


def dilate_criterion(alpha: float, gamma: float):
    from tsalign.nn import DILATELoss

    return DILATELoss(alpha=alpha, gamma=gamma)


def train(model, loss_fn, data, epochs, batch_size, lr, device, generator, label):
    x, y = (torch.tensor(a, device=device) for a in data)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        for s in range(0, n, batch_size):
            idx = order[s : s + batch_size]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if (epoch + 1) % 50 == 0 or epoch == epochs - 1:
            print(
                f"  [{label}] epoch {epoch + 1:4d}/{epochs}  last batch loss {loss.item():.5f}",
                flush=True,
            )


@torch.no_grad()
def evaluate(model, data, device):
    x, y = (torch.tensor(a, device=device) for a in data)
    pred = model(x)
    mse = torch.mean((pred - y) ** 2).item()
    dtw = torch.mean(tsalign.dtw(y, pred)).item()
    tdi = torch.mean(tsalign.temporal_distortion_index(pred, y)).item()
    return mse, dtw, tdi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for torch and tsalign's kernels (default 1: this "
        "small GRU and batch gain little from more, and lose a lot when "
        "the cores are shared)",
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    gamma, alpha, batch_size, lr = 0.01, 0.5, 100, 1e-3

    rng = random.Random(args.seed)
    train_data, test_data = synthetic_dataset(500, 20, 20, 0.01, rng)
    sdtw_name, sdtw_loss = soft_dtw_criterion(gamma)
    losses = {
        "MSE": torch.nn.MSELoss(),
        "soft-DTW": sdtw_loss,
        "DILATE": dilate_criterion(alpha, gamma),
    }
    print(
        f"device {device}; {args.epochs} epochs per model (the paper: 500); "
        f"gamma={gamma}, alpha={alpha}, batch {batch_size}, Adam lr {lr}; "
        f"soft-DTW loss: {sdtw_name}"
    )
    results = {}
    start = time.perf_counter()
    for name, loss_fn in losses.items():
        torch.manual_seed(args.seed)
        gen = torch.Generator().manual_seed(args.seed)
        model = Seq2Seq(n_output=20).to(device)
        t0 = time.perf_counter()
        with tsalign.kernels.threads(args.threads):
            train(model, loss_fn, train_data, args.epochs, batch_size, lr, device, gen, name)
            results[name] = evaluate(model, test_data, device)
        print(f"  [{name}] trained in {time.perf_counter() - t0:.0f} s", flush=True)

    print(
        f"\nTest split, {args.epochs} epochs per model "
        f"({time.perf_counter() - start:.0f} s in all on {device})"
    )
    print(f"{'trained with':<10} | {'MSE x100':>17} | {'DTW x100':>17} | {'TDI x10':>17}")
    print(
        f"{'':<10} | {'ours':>8} {'paper':>8} | {'ours':>8} {'paper':>8} | {'ours':>8} {'paper':>8}"
    )
    for name, (mse, dtw, tdi) in results.items():
        pm, pd, pt = PAPER[name]
        print(
            f"{name:<10} | {100 * mse:8.2f} {pm:8.2f} | {100 * dtw:8.1f} {pd:8.1f} | "
            f"{10 * tdi:8.1f} {pt:8.1f}"
        )


if __name__ == "__main__":
    main()
