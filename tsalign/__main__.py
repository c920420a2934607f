"""The command line: ``python -m tsalign`` (also installed as ``tsalign``).

``tsalign --version``
    The version.
``tsalign info``
    Version, array libraries and backends found, CUDA devices, CPU threads.
``tsalign align A B [--metric dtw|soft-dtw] [--gamma G] [--global-constraint C]
[--sakoe-chiba-radius R] [--itakura-max-slope S] [--plot out.png]``
    Reads two series from .csv / .npy / .txt files (one frame per row, one
    feature per column, or a univariate series on a single row; trailing NaN
    rows are padding), prints the value.
``tsalign bench [--script PATH] [ARGS ...]``
    Runs the benchmark suite (``benchmarks/run_all.py`` of a source checkout)
    and prints its table; without a checkout, runs the built-in quick benchmark.
``tsalign bench --quick``
    A short benchmark built into the package (tsalign only, no peers): works
    from an installed wheel.
``tsalign warmup``
    Calls every main entry point once on tiny inputs (float32 and float64), so
    numba compiles the CPU kernels into its on-disk cache; later processes
    load them instead of compiling.

Mistakes (missing or unreadable files, bad options, inputs the metric refuses)
print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

PROG = "tsalign"
SUFFIXES = (".csv", ".npy", ".txt")
BENCH_SCRIPT = Path("benchmarks") / "run_all.py"


class UsageError(Exception):
    """A user mistake: reported as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + message; we want one line
        raise UsageError(message)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- info
def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch_lines() -> list[str]:
    if importlib.util.find_spec("torch") is None:
        return ["pytorch  not installed (pip install 'tsalign-metrics[torch]')"]
    try:
        import torch
    except Exception as exc:  # a broken install should not break `info`
        return [f"pytorch  installed but failed to import: {_one_line(exc)}"]
    lines = [f"pytorch  torch {torch.__version__}: CPU tensors (numba kernels on zero-copy views)"]
    if torch.cuda.is_available():
        for k in range(torch.cuda.device_count()):
            lines.append(
                f"         cuda:{k} {torch.cuda.get_device_name(k)} (CuPy kernels via "
                "DLPack, on torch's current stream)"
            )
    else:
        lines.append("         CUDA: not available")
    return lines


def _cupy_lines() -> list[str]:
    if importlib.util.find_spec("cupy") is None:
        return [
            "cupy     not installed "
            "(pip install 'tsalign-metrics[cuda12]' or 'tsalign-metrics[cuda13]')"
        ]
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return [f"cupy     installed, no usable CUDA device ({_one_line(exc)})"]
    lines = [f"cupy     cupy {cupy.__version__}: {n} device(s)"]
    for k in range(n):
        name = cupy.cuda.runtime.getDeviceProperties(k)["name"]
        name = name.decode() if isinstance(name, bytes) else name
        lines.append(f"         device {k}: {name}")
    return lines


def _metrics_found() -> list[str]:
    import tsalign

    names = ["dtw", "soft_dtw", "dilate", "ssnt"]
    return [n for n in names if hasattr(tsalign, n)]


def _cmd_info(args) -> int:
    import tsalign

    numba_v = _version("numba")
    threads = "?"
    if numba_v is not None:
        import numba

        threads = str(numba.config.NUMBA_NUM_THREADS)
    print(f"tsalign {tsalign.__version__}")
    print(f"python  {platform.python_version()} ({sys.executable})")
    from tsalign._quickbench import cpu_model

    print(f"machine {cpu_model()}, {os.cpu_count()} logical cores, {platform.system()}")
    print(
        f"numpy {_version('numpy')}, numba {numba_v} ({threads} threads), "
        f"array-api-compat {_version('array-api-compat')}, "
        f"matplotlib {_version('matplotlib') or 'not installed'}"
    )
    print("metrics: " + ", ".join(_metrics_found()))
    print("backends:")
    print("numpy    always: CPU (numba kernels)")
    for line in _torch_lines() + _cupy_lines():
        print(line)
    return 0


# --------------------------------------------------------------------------- align
def _load_series(path: str, name: str):
    """Read one series from a .csv, .npy or .txt file as a (N,) or (N, d) float array."""
    import numpy as np

    p = Path(path)
    if not p.exists():
        raise UsageError(f"{name}: no such file: {path}")
    if not p.is_file():
        raise UsageError(f"{name}: not a file: {path}")
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"{name}: unsupported file type {suffix or '(none)'!r} for {path} "
            f"(expected {', '.join(SUFFIXES)})"
        )
    try:
        if suffix == ".npy":
            data = np.load(p, allow_pickle=False)
        else:
            data = _load_text(p, "," if suffix == ".csv" else None)
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"{name}: cannot read {path}: {_one_line(exc)}") from None
    if data.dtype == object or not (np.issubdtype(data.dtype, np.number) or data.dtype == np.bool_):
        raise UsageError(f"{name}: {path} does not hold numbers (dtype {data.dtype})")
    if data.ndim == 0 or data.size == 0:
        raise UsageError(f"{name}: {path} holds no series (shape {data.shape})")
    if data.ndim > 2:
        raise UsageError(
            f"{name}: {path} must hold one series of shape (N,) or (N, d), got shape {data.shape}"
        )
    if np.issubdtype(data.dtype, np.floating) and np.any(np.isinf(data)):
        row = int(np.argwhere(np.isinf(data.reshape(data.shape[0], -1)))[0][0]) + 1
        raise UsageError(f"{name}: {path} contains infinite values (frame {row})")
    return data


def _parse_row(line: str, delimiter):
    """The numbers of one text row, or None if a field is not a number."""
    fields = line.split(delimiter) if delimiter else line.split()
    out = []
    for f in fields:
        try:
            out.append(float(f))
        except ValueError:
            return None
    return out


def _load_text(p: Path, delimiter):
    """Rows of numbers; a first row is a header (skipped) only when it is not numbers.

    Every data row must have the columns of the first one: a ragged file is an
    error naming the line, never a row dropped silently.
    """
    import numpy as np

    kind = "comma" if delimiter else "whitespace"
    rows: list[list[float]] = []
    width = None
    first = True
    with open(p, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            values = _parse_row(line, delimiter)
            if values is None:
                if first:  # a header line (column names)
                    first = False
                    continue
                raise ValueError(
                    f"line {lineno}: expected numbers only ({kind}-separated columns), "
                    f"got {_one_line(raw)[:60]!r}"
                )
            first = False
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise ValueError(
                    f"line {lineno}: {len(values)} column(s) where the first row has {width} "
                    "(every row is one frame with the same number of features)"
                )
            rows.append(values)
    if not rows:
        return np.zeros(0)  # reported as "holds no series"
    data = np.asarray(rows, dtype=np.float64)
    # one frame per row; a single row is a univariate series written across
    return data[0] if data.shape[0] == 1 else data


def _soft_dtw(name: str):
    import tsalign

    fn = getattr(tsalign, name, None)
    if fn is None:
        raise UsageError(
            f"--metric soft-dtw needs tsalign.{name}, which this version of "
            f"tsalign ({tsalign.__version__}) does not have"
        )
    return fn


def _cmd_align(args) -> int:
    if args.gamma is not None:
        if args.metric != "soft-dtw":
            raise UsageError("--gamma applies only to --metric soft-dtw")
        if not math.isfinite(args.gamma) or args.gamma < 0:
            raise UsageError(f"--gamma must be a finite number >= 0, got {args.gamma}")
    if args.plot is not None:
        out = Path(args.plot)
        if not out.parent.is_dir():
            raise UsageError(f"--plot: directory does not exist: {out.parent}")
    s1 = _load_series(args.a, "A")
    s2 = _load_series(args.b, "B")
    constraints = {
        "global_constraint": args.global_constraint,
        "sakoe_chiba_radius": args.sakoe_chiba_radius,
        "itakura_max_slope": args.itakura_max_slope,
    }
    gamma = 1.0 if args.gamma is None else args.gamma
    try:
        if args.metric == "dtw":
            from tsalign import dtw

            value = float(dtw(s1, s2, **constraints))
        else:
            value = float(_soft_dtw("soft_dtw")(s1, s2, gamma=gamma, **constraints))
    except (ValueError, TypeError) as exc:
        raise UsageError(_cli_names(_one_line(exc), args)) from None
    print(repr(value))
    if args.plot is not None:
        _write_plot(args, s1, s2, value, gamma, constraints)
    return 0


def _cli_names(message: str, args) -> str:
    """A metric's error with its Python argument names replaced by the flags and files."""
    import re

    names = {
        "s1": f"A ({args.a})",
        "s2": f"B ({args.b})",
        "sakoe_chiba_radius": "--sakoe-chiba-radius",
        "itakura_max_slope": "--itakura-max-slope",
        "global_constraint": "--global-constraint",
        "gamma": "--gamma",
    }
    pattern = re.compile(r"(?<![\w-])(" + "|".join(names) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], message)


def _write_plot(args, s1, s2, value: float, gamma: float, constraints: dict) -> None:
    try:
        import matplotlib
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'tsalign-metrics[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tsalign.plot import plot_alignment_matrix, plot_cost_matrix, plot_matches

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), width_ratios=(1, 1.4))
    try:
        if args.metric == "dtw":
            plot_cost_matrix(s1, s2, ax=left, **constraints)
            left.set_title("cost matrix and DTW path")
            plot_matches(s1, s2, ax=right, **constraints)
            right.set_title(f"DTW = {value:.6g}: matched frames")
        else:
            E, _ = _soft_dtw("soft_dtw_alignment")(s1, s2, gamma=gamma, **constraints)
            from tsalign import dtw_path

            path, _ = dtw_path(s1, s2, **constraints)
            plot_alignment_matrix(E, path=path, ax=left)
            left.set_title(f"expected alignment, gamma={gamma:g} (DTW path dashed)")
            plot_matches(s1, s2, path=None, ax=right)
            right.set_title(f"soft-DTW = {value:.6g}")
        fig.tight_layout()
        fig.savefig(args.plot)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--plot: cannot write {args.plot}: {_one_line(exc)}") from None
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- bench
def _find_bench_script(search: list[Path]) -> Path | None:
    """The first ``benchmarks/run_all.py`` under the given directories."""
    for root in search:
        candidate = root / BENCH_SCRIPT
        if candidate.is_file():
            return candidate
    return None


def _cmd_bench(args) -> int:
    if args.quick:
        if args.script is not None or args.args:
            raise UsageError(
                "--quick runs the built-in benchmark: it takes no --script or arguments"
            )
        from tsalign._quickbench import run_quick

        return run_quick()
    if args.script is not None:
        script = Path(args.script)
        if not script.is_file():
            raise UsageError(f"--script: no such file: {args.script}")
    else:
        roots = [Path.cwd(), Path(__file__).resolve().parent.parent]
        script = _find_bench_script(roots)
        if script is None:
            if args.args:
                raise UsageError(
                    f"no benchmark suite found ({BENCH_SCRIPT} in "
                    f"{' or '.join(map(str, roots))}) to pass arguments to: it ships with the "
                    "source tree; run from a checkout or pass --script"
                )
            # an installed wheel has no suite: run the one built into the package
            print(
                f"{PROG}: no benchmark suite ({BENCH_SCRIPT}) here, it ships with the source "
                "tree; running the built-in quick benchmark (tsalign bench --quick)",
                file=sys.stderr,
            )
            from tsalign._quickbench import run_quick

            return run_quick()
    extra = list(args.args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    # The suite prints its own table; we pass its output and exit status through.
    return subprocess.call([sys.executable, str(script), *extra])


def _cmd_warmup(args) -> int:
    from tsalign._warmup import warmup

    warmup()
    return 0


# --------------------------------------------------------------------------- main
def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Alignment metrics for sequences (tsalign).")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="{info,align,bench,warmup}")

    p_info = sub.add_parser("info", help="version, backends and devices found")
    p_info.set_defaults(func=_cmd_info)

    p_align = sub.add_parser(
        "align",
        help="align two series read from files and print the value",
        description="Read two series (.csv, .npy or .txt: one frame per row, one feature per "
        "column; trailing NaN rows are padding) and print their DTW or soft-DTW.",
    )
    p_align.add_argument("a", metavar="A", help="first series file")
    p_align.add_argument("b", metavar="B", help="second series file")
    p_align.add_argument(
        "--metric",
        choices=("dtw", "soft-dtw"),
        default="dtw",
        help="dtw (default): sqrt of the cheapest path's cost; soft-dtw: "
        "smoothed minimum of the path costs (no square root)",
    )
    p_align.add_argument(
        "--gamma",
        type=float,
        default=None,
        help="soft-DTW smoothing (default 1.0); only with --metric soft-dtw",
    )
    p_align.add_argument(
        "--global-constraint",
        choices=("sakoe_chiba", "itakura"),
        default=None,
        help="name the constraint (otherwise inferred from the parameter given, as in tslearn)",
    )
    p_align.add_argument(
        "--sakoe-chiba-radius",
        type=int,
        default=None,
        metavar="R",
        help="Sakoe-Chiba band of radius R",
    )
    p_align.add_argument(
        "--itakura-max-slope",
        type=float,
        default=None,
        metavar="S",
        help="Itakura parallelogram of maximum slope S",
    )
    p_align.add_argument(
        "--plot",
        metavar="OUT.png",
        default=None,
        help="also write a figure of the alignment to this file",
    )
    p_align.set_defaults(func=_cmd_align)

    p_bench = sub.add_parser("bench", help="run the benchmark suite and print its table")
    p_bench.add_argument(
        "--script", default=None, help=f"the suite to run (default: {BENCH_SCRIPT} of the checkout)"
    )
    p_bench.add_argument(
        "--quick",
        action="store_true",
        help="run the short benchmark built into the package (tsalign only, no peers)",
    )
    p_bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed on to the suite")
    p_bench.set_defaults(func=_cmd_bench)

    p_warmup = sub.add_parser(
        "warmup",
        help="compile the CPU kernels once into numba's cache (first calls then only load)",
    )
    p_warmup.set_defaults(func=_cmd_warmup)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : list of str or None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 2 for a usage error (reported as one line on stderr),
        or the benchmark suite's own status for ``bench``.

    Examples
    --------
    >>> from tsalign.__main__ import main
    >>> main(["align", "no_such_file.csv", "other.csv"])  # the error line goes to stderr
    2
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            import tsalign

            print(f"{PROG} {tsalign.__version__}")
            return 0
        if args.command is None:
            raise UsageError("choose a command: info, align, bench or warmup (see --help)")
        return int(args.func(args))
    except UsageError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
