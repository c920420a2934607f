"""Progress reporting for long pairwise computations (``verbose`` > 0)."""

from __future__ import annotations

import sys


class Progress:
    """A text progress bar on stderr for ``verbose`` > 0."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, done: int, total: int) -> None:
        frac = 1.0 if total == 0 else done / total
        bar = "#" * int(30 * frac)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {100 * frac:5.1f}% ({done}/{total} pairs)")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
