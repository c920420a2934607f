"""The command line, run as a user runs it: ``python -m tsalign`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tsalign

from .reference import dtw_ref_value

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        [sys.executable, "-m", "tsalign", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=300,
    )


def assert_usage_error(res: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 2 and exactly one line on stderr that says what is wrong."""
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("tsalign: error: ")
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in res.stderr


@pytest.fixture
def series(tmp_path):
    """Two short univariate series in every supported format."""
    a = np.array([0.0, 1.5, 2.0, 0.5])
    b = np.array([0.2, 2.1, 1.0, 0.0, 0.7])
    np.save(tmp_path / "a.npy", a)
    np.savetxt(tmp_path / "a.txt", a)
    np.savetxt(tmp_path / "b.csv", b[:, None], delimiter=",", header="value", comments="")
    np.savetxt(tmp_path / "b.txt", b)
    return tmp_path, a, b


def test_info():
    res = run("info")
    assert res.returncode == 0, res.stderr
    assert f"tsalign {tsalign.__version__}" in res.stdout
    for word in ("numpy", "pytorch", "cupy", "metrics: dtw"):
        assert word in res.stdout


def test_align_dtw_value_every_format(series):
    d, a, b = series
    expected = dtw_ref_value(a, b)
    for fa, fb in (("a.npy", "b.csv"), ("a.txt", "b.txt")):
        res = run("align", str(d / fa), str(d / fb))
        assert res.returncode == 0, res.stderr
        assert float(res.stdout) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_align_single_row_and_single_value(tmp_path):
    a, b = np.array([0.0, 2.0, 1.0]), np.array([0.5, 1.0, 2.0, 0.0])
    _write(tmp_path, "row.csv", "0,2,1\n")
    _write(tmp_path, "col.txt", "0.5\n1\n2\n0\n")
    _write(tmp_path, "one.txt", "3\n")
    res = run("align", str(tmp_path / "row.csv"), str(tmp_path / "col.txt"))
    assert res.returncode == 0, res.stderr
    assert float(res.stdout) == pytest.approx(dtw_ref_value(a, b), rel=1e-12)
    res = run("align", str(tmp_path / "one.txt"), str(tmp_path / "col.txt"))
    assert res.returncode == 0, res.stderr
    assert float(res.stdout) == pytest.approx(dtw_ref_value([3.0], b), rel=1e-12)


def test_align_multivariate_and_padding(tmp_path, rng):
    a, b = rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    padded = np.concatenate([a, np.full((2, 2), np.nan)])
    np.savetxt(tmp_path / "a.csv", padded, delimiter=",")
    np.save(tmp_path / "b.npy", b)
    res = run("align", str(tmp_path / "a.csv"), str(tmp_path / "b.npy"))
    assert res.returncode == 0, res.stderr
    assert float(res.stdout) == pytest.approx(dtw_ref_value(a, b), rel=1e-12, abs=1e-12)


def test_align_constraints_are_passed_on(tmp_path):
    a = np.array([0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    b = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0])
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    files = (str(tmp_path / "a.npy"), str(tmp_path / "b.npy"))
    free = float(run("align", *files).stdout)
    assert free == pytest.approx(dtw_ref_value(a, b))
    for opts, kw in (
        (["--sakoe-chiba-radius", "1"], {"sakoe_chiba_radius": 1}),
        (["--itakura-max-slope", "2"], {"itakura_max_slope": 2.0}),
        (["--global-constraint", "sakoe_chiba"], {"global_constraint": "sakoe_chiba"}),
    ):
        res = run("align", *files, *opts)
        assert res.returncode == 0, res.stderr
        value = float(res.stdout)
        assert value == pytest.approx(tsalign.dtw(a, b, **kw), rel=1e-12)
        assert value > free + 1  # the band forbids the cheap warp: the option took effect


def test_align_plot(series):
    d, _, _ = series
    out = d / "out.png"
    res = run("align", str(d / "a.npy"), str(d / "b.csv"), "--plot", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    img = plt.imread(out)
    assert img.shape[1] > img.shape[0] > 200 and img[..., :3].std() > 0.05


def test_align_soft_dtw(series):
    d, a, b = series
    files = (str(d / "a.npy"), str(d / "b.txt"))
    res = run("align", *files, "--metric", "soft-dtw", "--gamma", "0.5")
    if hasattr(tsalign, "soft_dtw"):
        assert res.returncode == 0, res.stderr
        assert float(res.stdout) == pytest.approx(tsalign.soft_dtw(a, b, gamma=0.5), rel=1e-10)
        out = d / "soft.png"
        res = run("align", *files, "--metric", "soft-dtw", "--plot", str(out))
        assert res.returncode == 0, res.stderr
        assert float(res.stdout) == pytest.approx(tsalign.soft_dtw(a, b, gamma=1.0), rel=1e-10)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert_usage_error(res, "soft-dtw", "tsalign.soft_dtw")


def _write(d: Path, name: str, text: str) -> str:
    (d / name).write_text(text)
    return str(d / name)


def test_bad_files(series):
    d, _, _ = series
    good = str(d / "a.npy")
    assert_usage_error(run("align", good, str(d / "missing.csv")), "B", "no such file")
    assert_usage_error(run("align", _write(d, "x.json", "[1, 2]"), good), "A", ".json")
    assert_usage_error(run("align", str(d), good), "A", "not a file")
    assert_usage_error(
        run("align", good, _write(d, "words.csv", "a,b\nc,d\ne,f\n")), "B", "cannot read", "numbers"
    )
    assert_usage_error(run("align", _write(d, "empty.txt", ""), good), "A", "no series")
    np.save(d / "cube.npy", np.zeros((2, 3, 1)))
    assert_usage_error(run("align", str(d / "cube.npy"), good), "A", "(N,) or (N, d)")
    (d / "junk.npy").write_bytes(b"not a numpy file")
    assert_usage_error(run("align", str(d / "junk.npy"), good), "A", "cannot read")


def test_bad_series_values(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(4))
    np.save(tmp_path / "two.npy", np.zeros((4, 2)))
    np.save(tmp_path / "hole.npy", np.array([0.0, np.nan, 1.0]))
    one, two, hole = (str(tmp_path / f) for f in ("one.npy", "two.npy", "hole.npy"))
    assert_usage_error(run("align", one, two), "feature size")
    assert_usage_error(run("align", hole, one), "NaN")


@pytest.mark.parametrize(
    "opts, words",
    [
        (["--metric", "euclid"], ["--metric", "euclid"]),
        (["--gamma", "1"], ["--gamma", "soft-dtw"]),
        (["--metric", "soft-dtw", "--gamma", "-1"], ["--gamma", ">= 0"]),
        (["--gamma", "abc"], ["--gamma", "abc"]),
        (["--sakoe-chiba-radius", "-1"], ["--sakoe-chiba-radius", ">= 0"]),
        (["--sakoe-chiba-radius", "1.5"], ["--sakoe-chiba-radius"]),
        (["--sakoe-chiba-radius", "1", "--itakura-max-slope", "2"], ["--global-constraint"]),
        (["--itakura-max-slope", "1"], ["--itakura-max-slope", "infeasible"]),
        (["--frobnicate"], ["--frobnicate"]),
    ],
)
def test_bad_options(series, opts, words):
    d, _, _ = series
    assert_usage_error(run("align", str(d / "a.npy"), str(d / "b.csv"), *opts), *words)


def test_bad_options_name_flags_not_python_arguments(series):
    d, _, _ = series
    res = run("align", str(d / "a.npy"), str(d / "b.csv"), "--sakoe-chiba-radius", "-1")
    assert "sakoe_chiba_radius" not in res.stderr


def test_header_skipped_only_when_not_numbers(tmp_path):
    good = _write(tmp_path, "good.csv", "0\n1\n2\n")
    # a named header is skipped
    res = run("align", _write(tmp_path, "h.csv", "value\n0\n1\n2\n"), good)
    assert res.returncode == 0 and float(res.stdout) == 0.0, res.stderr
    # a numeric first row of another width is data: the file is ragged, not headed
    ragged = _write(tmp_path, "ragged.txt", "1 2\n3\n")
    assert_usage_error(run("align", ragged, good), "ragged.txt", "line 2", "column")
    ragged_csv = _write(tmp_path, "r.csv", "1,2\n3,4\n5\n")
    assert_usage_error(run("align", good, ragged_csv), "r.csv", "line 3")
    # a second non-numeric line is not a header
    assert_usage_error(
        run("align", _write(tmp_path, "two.csv", "a\nb\n1\n"), good), "two.csv", "line 2"
    )


def test_inf_in_a_file_is_an_error(tmp_path):
    good = _write(tmp_path, "good.csv", "0\n1\n2\n")
    assert_usage_error(run("align", _write(tmp_path, "i.csv", "0\ninf\n2\n"), good), "i.csv", "inf")
    np.save(tmp_path / "i.npy", np.array([0.0, -np.inf]))
    assert_usage_error(run("align", good, str(tmp_path / "i.npy")), "i.npy", "infinite")


def test_version():
    res = run("--version")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"tsalign {tsalign.__version__}"


def test_bad_plot_target(series):
    d, _, _ = series
    res = run("align", str(d / "a.npy"), str(d / "b.csv"), "--plot", str(d / "no" / "x.png"))
    assert_usage_error(res, "--plot", "directory")
    res = run("align", str(d / "a.npy"), str(d / "b.csv"), "--plot", str(d / "x.unknownfmt"))
    assert_usage_error(res, "--plot", "x.unknownfmt")


def test_no_command_and_missing_arguments():
    assert_usage_error(run(), "command")
    assert_usage_error(run("align", "only_one.csv"), "B")
    assert_usage_error(run("frob"), "frob")


SUITE = """\
import sys
print("| benchmark | tsalign | peer | ratio |")
print("|-----------|---------|------|-------|")
print("| dtw       | 1.0 ms  | 2 ms | 0.50  |")
print("args:", sys.argv[1:])
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
"""


def test_bench_runs_the_suite_and_prints_its_table(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "run_all.py").write_text(SUITE)
    res = run("bench", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "| dtw       | 1.0 ms  | 2 ms | 0.50  |" in res.stdout
    res = run("bench", "--", "3", "--quick", cwd=tmp_path)
    assert res.returncode == 3  # the suite's own status is passed through
    assert "args: ['3', '--quick']" in res.stdout


def test_bench_explicit_script_and_missing_suite(tmp_path):
    script = tmp_path / "suite.py"
    script.write_text(SUITE)
    res = run("bench", "--script", str(script))
    assert res.returncode == 0 and "| benchmark |" in res.stdout
    assert_usage_error(run("bench", "--script", str(tmp_path / "nope.py")), "--script")


def test_bench_discovery_order(tmp_path):
    from tsalign.__main__ import _find_bench_script as find_bench_script

    first, second = tmp_path / "one", tmp_path / "two"
    for root in (first, second):
        (root / "benchmarks").mkdir(parents=True)
    assert find_bench_script([first, second]) is None
    (second / "benchmarks" / "run_all.py").write_text("")
    assert find_bench_script([first, second]) == second / "benchmarks" / "run_all.py"
    (first / "benchmarks" / "run_all.py").write_text("")
    assert find_bench_script([first, second]) == first / "benchmarks" / "run_all.py"


def test_main_returns_status_in_process(capsys):
    from tsalign.__main__ import main

    assert main(["align", "/nonexistent/a.csv", "/nonexistent/b.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err


def test_main_docstring_example():
    # pytest's --doctest-modules skips files named __main__.py, so run it here
    import doctest

    import tsalign.__main__ as cli

    result = doctest.testmod(cli)
    assert result.attempted > 0 and result.failed == 0


def test_bench_quick_and_the_fallback_without_a_suite(monkeypatch, capsys):
    import tsalign._quickbench as quick
    from tsalign import __main__ as cli

    calls = []
    monkeypatch.setattr(quick, "run_quick", lambda: calls.append("quick") or 0)
    assert cli.main(["bench", "--quick"]) == 0 and calls == ["quick"]
    assert cli.main(["bench", "--quick", "--script", "x.py"]) == 2
    assert "--quick" in capsys.readouterr().err
    # an installed wheel has no benchmarks/: `bench` runs the built-in benchmark
    monkeypatch.setattr(cli, "_find_bench_script", lambda roots: None)
    assert cli.main(["bench"]) == 0 and calls == ["quick", "quick"]
    assert "built-in quick benchmark" in capsys.readouterr().err
    assert cli.main(["bench", "--", "3"]) == 2  # arguments for a suite that is not there
    assert "no benchmark suite" in capsys.readouterr().err


def test_quick_benchmark_prints_its_table(monkeypatch):
    import tsalign._quickbench as quick

    monkeypatch.setattr(quick, "_cases", lambda rng: [("tiny case", lambda: sum(range(10)))])
    lines = []
    assert quick.run_quick(rounds=3, print_fn=lines.append) == 0
    text = "\n".join(lines)
    assert "quick benchmark" in text and "machine:" in text
    assert "tiny case" in text and "median of 3 warm calls" in text


def test_warmup_lists_every_main_entry_point():
    from tsalign._warmup import entry_points

    names = [n for n, _ in entry_points()]
    for family in ("dtw", "dtw_path", "cdist_dtw", "soft_dtw", "soft_dtw_alignment", "dilate"):
        assert f"{family} (float64)" in names and f"{family} (float32)" in names
    assert any(n.startswith("nn.SoftDTWLoss") for n in names)
