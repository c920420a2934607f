"""
A toy transducer trained with the SSNT loss
===========================================

The segment-to-segment neural transducer (Yu et al., 2016) reads source
frames left to right and, at each frame, decides whether to *emit* the next
target token or to *shift* to the next frame.  Its loss, :func:`tsalign.ssnt`,
is the negative log-likelihood of the targets summed over every monotonic
alignment of targets to frames, so no alignment is needed for training.

The toy task: each source is a sequence of 3 to 6 symbols (out of 5), each
held for 2 to 5 frames, with noise; the target is the symbol sequence.  A
model has to learn both *what* to emit (the symbol under the frame) and
*when* (at the end of each segment, where the next frame differs).  The
model is tiny: a convolution over the frames (so each frame sees its
neighbours), an embedding of the previous target, and a joiner giving the
token log-probabilities and the emission logit for every (target, frame)
pair.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from tsalign import ssnt
from tsalign.plot import plot_alignment_matrix

rng = np.random.default_rng(0)
torch.manual_seed(0)
saved_threads = torch.get_num_threads()
torch.set_num_threads(1)  # tiny tensors: one thread avoids synchronisation costs
V, T_MAX, S_MAX, H = 5, 6, 30, 64


def make_batch(n):
    """Noisy one-hot frames of held symbols, the symbol sequences, and lengths."""
    frames = np.zeros((n, S_MAX, V), dtype=np.float32)
    targets = np.zeros((n, T_MAX), dtype=np.int64)
    src_len, tgt_len, segments = [], [], []
    for b in range(n):
        J = rng.integers(3, T_MAX + 1)
        symbols = [rng.integers(V)]
        while len(symbols) < J:  # consecutive symbols differ, so segments are visible
            symbols.append((symbols[-1] + rng.integers(1, V)) % V)
        durations = rng.integers(2, 6, size=J)
        s, seg_ends = 0, []
        for sym, d in zip(symbols, durations, strict=True):
            frames[b, s : s + d, sym] = 1.0
            s += d
            seg_ends.append(s - 1)
        targets[b, :J] = symbols
        src_len.append(s)
        tgt_len.append(J)
        segments.append(
            [
                (j, f)
                for j, (e, d) in enumerate(zip(seg_ends, durations, strict=True))
                for f in range(e - d + 1, e + 1)
            ]
        )
    frames += 0.3 * rng.normal(size=frames.shape).astype(np.float32)
    return (
        torch.tensor(frames),
        torch.tensor(targets),
        torch.tensor(src_len),
        torch.tensor(tgt_len),
        segments,
    )


class ToyTransducer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Conv1d(V, H, kernel_size=3, padding=1)
        self.previous = torch.nn.Embedding(V + 1, H)  # index V: "no previous target"
        self.joiner = torch.nn.Linear(H, V + 1)  # V token logits and 1 emission logit

    def joint(self, frames, previous):
        """Token log-probs (B, T, S, V) and emission logits (B, T, S)."""
        h = torch.tanh(self.encoder(frames.transpose(1, 2))).transpose(1, 2)  # (B, S, H)
        g = self.previous(previous)  # (B, T, H)
        out = self.joiner(torch.relu(h[:, None, :, :] + g[:, :, None, :]))
        return out[..., :V].log_softmax(-1), out[..., V]

    def forward(self, frames, targets):
        previous = torch.cat([torch.full_like(targets[:, :1], V), targets[:, :-1]], dim=1)
        return self.joint(frames, previous)


model = ToyTransducer()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
history = []
for _ in range(600):
    frames, targets, src_len, tgt_len, _ = make_batch(32)
    log_probs, emit_logits = model(frames, targets)
    loss = ssnt(
        log_probs, targets, source_lengths=src_len, target_lengths=tgt_len, emit_logits=emit_logits
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append(loss.item())
print(
    f"SSNT loss per sequence: {np.mean(history[:10]):.2f} (first 10 steps) -> "
    f"{np.mean(history[-10:]):.2f} (last 10)"
)

# %%
# Greedy decoding
# ---------------
# At frame s, with j targets emitted so far: emit the most likely token if the
# emission probability is above 1/2 (and stay on the frame), else shift to the
# next frame.


def greedy(frames_b, length):
    out, s = [], 0
    with torch.no_grad():
        while s < length and len(out) < T_MAX:
            previous = torch.tensor([[out[-1] if out else V]])
            log_probs, emit_logits = model.joint(frames_b[None], previous)
            if torch.sigmoid(emit_logits[0, 0, s]) > 0.5:
                out.append(int(log_probs[0, 0, s].argmax()))
            else:
                s += 1
    return out


frames, targets, src_len, tgt_len, segments = make_batch(200)
correct = sum(
    greedy(frames[b], int(src_len[b])) == targets[b, : int(tgt_len[b])].tolist() for b in range(200)
)
print(f"test sequences decoded exactly: {correct}/200")

# %%
# Where the model emits
# ---------------------
# The gradient of the loss with respect to the log-probability of target j at
# frame s is minus the posterior probability that target j is emitted at
# frame s (that entry appears, with coefficient one, in the log-likelihood
# of exactly the alignments that emit j at s).  So one backward pass gives
# the posterior alignment of a test sequence.  The dashed staircase marks,
# for each target, the frames of its segment: the posterior mass lies on it,
# mostly at the last frame of the segment (where the next frame differs);
# where the model is less sure, the mass spreads over the segment.  Any frame
# of the right segment gives the right tokens: the loss sums over all those
# alignments and does not care which one the model prefers.
b = 0
J, S = int(tgt_len[b]), int(src_len[b])
log_probs, emit_logits = model(frames[b : b + 1], targets[b : b + 1])
log_probs = log_probs.detach().requires_grad_(True)
ssnt(
    log_probs,
    targets[b : b + 1],
    source_lengths=src_len[b : b + 1],
    target_lengths=tgt_len[b : b + 1],
    emit_logits=emit_logits.detach(),
    reduction="sum",
).backward()
picked = targets[b, :J, None, None].expand(J, S, 1)
posterior = -log_probs.grad[0, :J, :S].gather(-1, picked)[..., 0]
ax = plot_alignment_matrix(posterior.numpy(), path=segments[b])
ax.set_xlabel("source frame s")
ax.set_ylabel("target j")
ax.set_title(f"posterior alignment, targets {targets[b, :J].tolist()}")
plt.show()

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(history)
ax.set_xlabel("training step (batch of 32)")
ax.set_ylabel("SSNT loss")
fig.tight_layout()
plt.show()
torch.set_num_threads(saved_threads)
