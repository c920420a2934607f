"""Progress reporting for long pairwise computations (``verbose``).

With `tqdm <https://tqdm.github.io/>`_ installed (the ``progress`` extra) the
bar is tqdm's; otherwise a built-in bar on stderr.  Both show the pairs done,
the rate and the time left.
"""

from __future__ import annotations

import sys
import time


def check_verbose(verbose) -> int:
    """``verbose`` as an int: booleans are accepted (tslearn, scikit-learn), as are ints."""
    import numpy as np

    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    if isinstance(verbose, (int, np.integer)):
        return int(verbose)
    if isinstance(verbose, float) and verbose.is_integer():
        return int(verbose)
    raise TypeError(f"verbose must be a bool or an integer, got {verbose!r}")


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Called as ``progress(done, total)`` between blocks of pairs.

    Parameters
    ----------
    label : str
        Shown before the bar (the function's name).
    use_tqdm : bool or None
        None: tqdm when it is installed; False: the built-in bar.
    stream : file or None
        Where the built-in bar is written (default stderr).
    """

    def __init__(self, label: str, use_tqdm: bool | None = None, stream=None):
        self.label = label
        self._tqdm_cls = _tqdm() if use_tqdm is not False else None
        self._bar = None
        self._stream = stream
        self._start = time.perf_counter()
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._tqdm_cls is not None:
            if self._bar is None:
                self._bar = self._tqdm_cls(total=total, desc=self.label, unit="pair")
            self._bar.update(done - self._done)
            self._done = done
            if done >= total:
                self._bar.close()
            return
        self._builtin(done, total)

    def _builtin(self, done: int, total: int) -> None:
        out = self._stream if self._stream is not None else sys.stderr
        frac = 1.0 if total == 0 else done / total
        elapsed = time.perf_counter() - self._start
        rate = done / elapsed if elapsed > 0 else float("inf")
        left = (total - done) / rate if rate > 0 else float("inf")
        bar = "#" * int(30 * frac)
        rate_s = f"{rate:.3g} pairs/s" if rate != float("inf") else "? pairs/s"
        out.write(
            f"\r{self.label} [{bar:<30}] {100 * frac:5.1f}% ({done}/{total} pairs, "
            f"{rate_s}, elapsed {_duration(elapsed)}, ETA {_duration(left)})"
        )
        if done >= total:
            out.write("\n")
        out.flush()
