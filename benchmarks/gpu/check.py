"""``make gpu-check``: every GPU check of issue 18 in one time-boxed command.

    python3 benchmarks/gpu/check.py [--wheels build/gpu-wheels] [--budget 480]
                                    [--only install,env,...] [--dry-run]

Meant for a bare CUDA machine with PyTorch, CuPy and numba but no package
index (the lent H200: see benchmarks/README.md, "GPU check"); standard library
only, so it runs before anything is installed.  Stages, in order, each under
its own time limit (``timeout``; a stage that hangs is killed and the next one
runs) and all of them inside ``--budget`` seconds (``STAGE_BUDGET`` below,
scaled to the budget; a stage must end by the sum of the budgets up to it, so
time an early stage leaves goes to the later ones):

1. ``install``: the wheels carried in ``--wheels`` (``make gpu-wheels``: what the
   machine lacks, and tsalign's own wheel built from this tree) go into a
   private site folder with ``pip --no-index --no-deps``; ``import tsalign`` is
   then checked from outside the tree (the CUDA sources must be in the wheel).
   The later stages run the tree itself (its root comes first on their path),
   so a kernel fixed in the tree is what they test;
2. ``env``: nvidia-smi, driver, CUDA, library versions, the device's properties;
3. ``nvrtc``: every ``.cu`` compiled through CuPy's NVRTC with the launchers' own
   options, and the nvcc resource report (``benchmarks/gpu/nvrtc_compile.py``);
4. ``sanitizer``: ``compute-sanitizer`` memcheck and racecheck on one small launch
   of each kernel family (``benchmarks/gpu/sanitize_<family>.py``), 4 at a time;
5. ``pytest``: ``pytest -m gpu`` over ``tests/`` (the backend-parametrised GPU
   cases, the CPU-vs-GPU parity tests of ``tests/test_gpu_parity.py`` and the
   GPU-only tests of ``tests/test_gpu.py``), JUnit XML;
6. ``bench``: ``benchmarks/bench_gpu.py --quick`` (JSON).

Results: ``build/gpu-check/`` (one log per stage, ``summary.md``,
``summary.json``, ``junit-gpu.xml``, ``nvrtc.json``, ``bench_gpu.json``).  When
``$OUT`` is set (the device tool), the summary, the JSON/XML files and a
``gpu-check.tar.gz`` of the whole folder are copied there after every stage
(at most 8 files come back from ``$OUT``), so a run cut short still returns
what it finished.  Without a CUDA device the GPU stages are skipped, the
pytest stage still collects (everything skips) and the summary says "no GPU";
``--dry-run`` instead runs their CPU stand-ins (NVRTC options without
compiling, the launch drivers under the host emulator, the benchmark's CPU
smoke run).  Exit status: 0 when no stage failed (or there is no GPU), else 1.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FAMILIES = ("dtw", "soft_dtw", "dilate", "ssnt")
SANITIZER_TOOLS = ("memcheck", "racecheck")
# seconds per stage; they add up to the default budget of 480 s (8 minutes)
STAGE_BUDGET = {
    "install": 40,
    "env": 20,
    "nvrtc": 50,
    "sanitizer": 95,
    "pytest": 150,
    "bench": 125,
}
STAGES = tuple(STAGE_BUDGET)


def _wheel_fits(path: str) -> bool:
    """Whether a wheel's tags match this interpreter (pure-Python ones always do)."""
    try:
        from packaging import tags
    except ImportError:
        try:
            from pip._vendor.packaging import tags
        except ImportError:
            return True  # cannot tell: let pip decide
    name = Path(path).name[: -len(".whl")]
    parts = name.split("-")
    if len(parts) < 5:
        return True
    py, abi, plat = parts[-3], parts[-2], parts[-1]
    wanted = {(t.interpreter, t.abi, t.platform) for t in tags.sys_tags()}
    return any(
        (i, a, p) in wanted for i in py.split(".") for a in abi.split(".") for p in plat.split(".")
    )


class Check:
    def __init__(self, args):
        self.args = args
        self.results_dir = Path(args.results).resolve()
        self.out = Path(os.environ["OUT"]).resolve() if os.environ.get("OUT") else None
        self.site = (ROOT / "build" / "gpu-site").resolve()
        self.start = time.monotonic()
        self.deadline = self.start + args.budget
        self.stages: list[dict] = []
        self.gpu: str | None = None  # device name, None when there is none
        self.gpu_reason = "not probed"
        self.env = dict(os.environ)
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.site), self.env.get("PYTHONPATH", "")) if p
        )
        self.env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.py = args.python

    # ----------------------------------------------------------------- running
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def left(self) -> float:
        """Seconds left to the running stage (its budget, within the overall one)."""
        return max(1.0, self.stage_end - time.monotonic())

    def run(self, cmd, log: Path, timeout: float, cwd=ROOT) -> dict:
        """Run ``cmd`` (a list) under ``timeout``, output appended to ``log``."""
        t0 = time.monotonic()
        wrapped = list(map(str, cmd))
        if shutil.which("timeout"):
            wrapped = ["timeout", "-k", "5", f"{max(1, int(timeout))}", *wrapped]
        with open(log, "a") as f:
            f.write(f"$ {' '.join(map(str, cmd))}\n")
            f.flush()
            proc = subprocess.Popen(
                wrapped,
                cwd=cwd,
                env=self.env,
                stdout=f,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                rc = proc.wait(timeout=timeout + 15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            f.write(f"[exit {rc} after {time.monotonic() - t0:.1f} s]\n\n")
        return {"rc": rc, "seconds": time.monotonic() - t0, "timed_out": rc in (124, 137, -9)}

    def stage(self, name: str, fn) -> None:
        if self.args.only and name not in self.args.only:
            return
        log = self.results_dir / f"{name}.log"
        entry = {"stage": name, "status": "?", "seconds": 0.0, "details": {}}
        t0 = time.monotonic()
        # a stage must end by the sum of the budgets up to it: time an earlier
        # stage did not use goes to the later ones, the overall budget still holds
        names = list(STAGES)
        scale = self.args.budget / sum(STAGE_BUDGET.values())
        slot_end = self.start + scale * sum(STAGE_BUDGET[n] for n in names[: names.index(name) + 1])
        self.stage_end = max(t0 + 1, min(slot_end, self.deadline - 2))
        if self.remaining() < 5:
            entry["status"] = "skipped: the overall budget is spent"
        else:
            try:
                status, details = fn(log)
                entry["status"], entry["details"] = status, details
            except Exception as exc:  # the harness itself broke: say so, go on
                entry["status"] = f"FAILED (harness error: {type(exc).__name__}: {exc})"
        entry["seconds"] = round(time.monotonic() - t0, 1)
        self.stages.append(entry)
        print(f"[gpu-check] {name:9s} {entry['seconds']:6.1f} s  {entry['status']}", flush=True)
        self.write_summary()
        self.publish()

    # ----------------------------------------------------------------- stages
    def s_install(self, log: Path):
        details = {}
        wheels_dir = Path(self.args.wheels)
        wheels, foreign = [], []
        for w in sorted(glob.glob(str(wheels_dir / "*.whl"))):
            (wheels if _wheel_fits(w) else foreign).append(w)
        details["wheels"] = [Path(w).name for w in wheels]
        if foreign:  # e.g. cp312 wheels on a dev machine's other Python: left out, said so
            details["not_for_this_python"] = [Path(w).name for w in foreign]
        if self.site.exists():
            shutil.rmtree(self.site)
        self.site.mkdir(parents=True)
        pip = [self.py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile"]
        pip += ["--no-cache-dir", "--disable-pip-version-check", "--target", str(self.site)]
        failed = []
        if wheels:
            r = self.run([*pip, "--upgrade", *wheels], log, self.left())
            if r["rc"] != 0:
                failed.append(f"wheels rc {r['rc']}")
        else:
            details["note"] = f"no wheels in {wheels_dir} (make gpu-wheels, then carry it)"
        if not any(Path(w).name.startswith("tsalign-") for w in wheels):
            failed.append("no tsalign wheel among the wheels (make gpu-wheels builds one)")
        probe = (
            "import sys, tsalign, array_api_compat, numpy, numba; "
            "from tsalign.kernels.cuda import _module; "
            "print('tsalign', tsalign.__version__, tsalign.__file__); "
            "print('cuda sources', [p.name for p in _module.sources()]); "
            "print('numpy', numpy.__version__, 'numba', numba.__version__, "
            "'array_api_compat', array_api_compat.__version__); "
            "sys.exit(0 if _module.sources() else 3)"
        )
        r = self.run([self.py, "-c", probe], log, self.left(), cwd="/")  # the install, not the tree
        if r["rc"] != 0:
            failed.append(f"import from the install rc {r['rc']}")
        missing = [
            m
            for m in ("torch", "cupy", "numba", "pytest", "tslearn", "pysdtw", "array_api_compat")
            if not self._importable(m)
        ]
        details["missing_modules"] = missing
        if failed:
            return "FAILED: " + "; ".join(failed), details
        status = "ok" if not missing else f"ok (missing: {', '.join(missing)})"
        if foreign:
            status += f" ({len(foreign)} wheel(s) not for this Python left out)"
        return status, details

    def _importable(self, mod: str) -> bool:
        code = (
            f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({mod!r}) else 1)"
        )
        res = subprocess.run([self.py, "-c", code], env=self.env, capture_output=True)
        return res.returncode == 0

    def s_env(self, log: Path):
        for cmd in (
            ["nvidia-smi"],
            [
                "nvidia-smi",
                "--query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,"
                "clocks.max.sm,power.limit,temperature.gpu",
                "--format=csv",
            ],
            ["nvcc", "--version"],
            ["compute-sanitizer", "--version"],
            ["ncu", "--version"],
        ):
            if shutil.which(cmd[0]):
                self.run(cmd, log, min(self.left(), 15))
            else:
                with open(log, "a") as f:
                    f.write(f"$ {cmd[0]}: not on the PATH\n\n")
        probe = r"""
import json, platform
info = {"python": platform.python_version()}
for m in ("numpy", "numba", "torch", "cupy", "scipy", "sklearn", "pytest", "tslearn", "pysdtw"):
    try:
        info[m] = __import__(m).__version__
    except Exception as exc:
        info[m] = f"unavailable ({type(exc).__name__})"
try:
    import cupy
    n = cupy.cuda.runtime.getDeviceCount()
    info["devices"] = n
    if n:
        p = cupy.cuda.runtime.getDeviceProperties(0)
        info["gpu"] = p["name"].decode() if isinstance(p["name"], bytes) else p["name"]
        for k in ("major", "minor", "multiProcessorCount", "totalGlobalMem", "l2CacheSize",
                  "sharedMemPerBlock", "sharedMemPerBlockOptin", "clockRate", "memoryClockRate",
                  "memoryBusWidth"):
            info[k] = p.get(k)
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
except Exception as exc:
    info["devices"] = 0
    info["cupy_error"] = f"{type(exc).__name__}: {exc}"
try:
    import torch
    info["torch_cuda"] = torch.cuda.is_available()
    info["torch_cuda_version"] = torch.version.cuda
except Exception:
    info["torch_cuda"] = False
print("ENV " + json.dumps(info))
"""
        r = self.run([self.py, "-c", probe], log, self.left())
        info = {}
        for line in log.read_text().splitlines():
            if line.startswith("ENV "):
                info = json.loads(line[4:])
        if info.get("devices") and info.get("torch_cuda"):
            self.gpu = info.get("gpu", "CUDA device")
        else:
            self.gpu = None
            self.gpu_reason = (
                "no GPU: "
                + (info.get("cupy_error") or "")
                + ("" if info.get("torch_cuda") else " torch.cuda.is_available() is False")
            ).strip()
        status = "ok" if r["rc"] == 0 else f"FAILED rc {r['rc']}"
        status += f" ({self.gpu})" if self.gpu else f" ({self.gpu_reason})"
        return status, info

    def _no_gpu(self):
        return f"skipped: {self.gpu_reason}", {}

    def s_nvrtc(self, log: Path):
        if self.gpu is None and not self.args.dry_run:
            return self._no_gpu()
        cmd = [self.py, HERE / "nvrtc_compile.py", "--json", self.results_dir / "nvrtc.json"]
        if self.gpu is None:
            cmd.append("--dry-run")
        r = self.run(cmd, log, self.left())
        text = log.read_text()
        m = re.search(r"NVRTC: (\d+)/(\d+) modules ok, (\d+) failures", text)
        details = {"line": m.group(0) if m else None, "rc": r["rc"]}
        if r["timed_out"]:
            return "FAILED: timed out", details
        status = "ok" if r["rc"] == 0 else f"FAILED rc {r['rc']}"
        if self.gpu is None:
            status += " (dry run: options and nvcc only, no NVRTC)"
        return status + (f": {m.group(0)}" if m else ""), details

    def s_sanitizer(self, log: Path):
        if self.gpu is None and not self.args.dry_run:
            return self._no_gpu()
        sanitizer = shutil.which("compute-sanitizer") or next(
            iter(glob.glob("/usr/local/cuda*/bin/compute-sanitizer")), None
        )
        emulate = self.gpu is None
        jobs = []
        sdir = self.results_dir / "sanitizer"
        sdir.mkdir(exist_ok=True)
        for fam in FAMILIES:
            driver = [self.py, str(HERE / f"sanitize_{fam}.py")]
            if emulate:
                jobs.append((fam, "emulated", [*driver, "--emulate"], None))
            elif sanitizer is None:
                jobs.append((fam, "plain", driver, None))
            else:
                for tool in SANITIZER_TOOLS:
                    tlog = sdir / f"{tool}-{fam}.txt"
                    cmd = [sanitizer, "--tool", tool, "--error-exitcode", "86"]
                    cmd += ["--print-limit", "50", "--log-file", str(tlog), *driver]
                    jobs.append((fam, tool, cmd, tlog))
        t_end = self.stage_end
        running, done = [], {}
        pending = list(jobs)
        while pending or running:
            while pending and len(running) < self.args.parallel:
                fam, tool, cmd, tlog = pending.pop(0)
                jlog = sdir / f"{tool}-{fam}.log"
                f = open(jlog, "w")
                wrapped = [str(c) for c in cmd]
                left = max(1, int(t_end - time.monotonic()))
                if shutil.which("timeout"):
                    wrapped = ["timeout", "-k", "5", str(left), *wrapped]
                f.write(f"$ {' '.join(map(str, cmd))}\n")
                f.flush()
                p = subprocess.Popen(
                    wrapped,
                    cwd=ROOT,
                    env=self.env,
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                running.append((fam, tool, p, f, tlog, time.monotonic()))
            time.sleep(0.2)
            for job in list(running):
                fam, tool, p, f, tlog, t0 = job
                rc = p.poll()
                if rc is None and time.monotonic() > t_end + 10:
                    os.killpg(p.pid, signal.SIGKILL)
                    rc = p.wait()
                if rc is not None:
                    f.close()
                    running.remove(job)
                    done[f"{tool}-{fam}"] = self._sanitizer_result(rc, tlog, t0)
        with open(log, "a") as f:
            for key, res in done.items():
                f.write(f"{key}: {json.dumps(res)}\n")
        bad = {k: v for k, v in done.items() if not v["ok"]}
        kind = (
            "emulated drivers, no sanitizer"
            if emulate
            else (
                "no compute-sanitizer: drivers run plain"
                if sanitizer is None
                else "compute-sanitizer"
            )
        )
        if bad:
            return f"FAILED ({kind}): " + ", ".join(
                f"{k} {v['what']}" for k, v in bad.items()
            ), done
        return f"ok ({kind}, {len(done)} runs)", done

    @staticmethod
    def _sanitizer_result(rc: int, tlog, t0: float) -> dict:
        res = {"rc": rc, "seconds": round(time.monotonic() - t0, 1)}
        text = tlog.read_text(errors="replace") if tlog is not None and tlog.exists() else ""
        m = re.search(r"ERROR SUMMARY: (\d+) error", text)
        if m:
            res["errors"] = int(m.group(1))
        m = re.search(r"RACECHECK SUMMARY: (\d+) hazard", text)
        if m:
            res["hazards"] = int(m.group(1))
        res["ok"] = rc == 0 and not res.get("errors") and not res.get("hazards")
        if rc in (124, 137, -9):
            res["what"] = "timed out"
        elif rc == 86 or res.get("errors") or res.get("hazards"):
            res["what"] = f"{res.get('errors', 0)} errors, {res.get('hazards', 0)} hazards"
        elif rc != 0:
            res["what"] = f"driver failed rc {rc}"
        else:
            res["what"] = "clean"
        return res

    def s_pytest(self, log: Path):
        junit = self.results_dir / "junit-gpu.xml"
        cmd = [self.py, "-m", "pytest", "tests", "-m", "gpu", "-p", "no:cacheprovider", "-q"]
        cmd += ["-rfEs", f"--junitxml={junit}", "-o", "junit_family=xunit1"]
        # a test module needing a package the machine lacks must not stop the rest
        cmd += ["--continue-on-collection-errors"]
        if self.gpu is not None and self._importable("xdist"):
            cmd += ["-n", str(self.args.parallel), "--dist", "loadfile"]
        if self._importable("pytest_timeout"):
            cmd += ["--timeout", "240"]
        r = self.run(cmd, log, self.left())
        counts = self._junit_counts(junit)
        details = {"rc": r["rc"], **counts}
        summary = (
            f"{counts.get('passed', 0)} passed, {counts.get('failures', 0)} failed, "
            f"{counts.get('errors', 0)} errors, {counts.get('skipped', 0)} skipped"
            if counts
            else "no JUnit XML"
        )
        if r["timed_out"]:
            return f"FAILED: timed out ({summary} so far)", details
        if self.gpu is None:
            ok = r["rc"] == 0 and not counts.get("failures") and not counts.get("errors")
            return ("ok" if ok else f"FAILED rc {r['rc']}") + f" (no GPU: {summary})", details
        return ("ok" if r["rc"] == 0 else f"FAILED rc {r['rc']}") + f": {summary}", details

    @staticmethod
    def _junit_counts(path: Path) -> dict:
        if not path.exists():
            return {}
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            return {"unreadable": True}
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        out = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for s in suites:
            for k in out:
                out[k] += int(s.get(k, 0))
        out["passed"] = out["tests"] - out["failures"] - out["errors"] - out["skipped"]
        out["failed_tests"] = [
            f"{tc.get('classname')}::{tc.get('name')}"
            for tc in root.iter("testcase")
            if tc.find("failure") is not None or tc.find("error") is not None
        ][:50]
        return out

    def s_bench(self, log: Path):
        js = self.results_dir / "bench_gpu.json"
        cmd = [self.py, ROOT / "benchmarks" / "bench_gpu.py", "--quick", "--json", js]
        if self.gpu is None and self.args.dry_run:
            cmd.append("--cpu-smoke")
        r = self.run(cmd, log, self.left())
        text = log.read_text()
        table = "\n".join(line for line in text.splitlines() if line.startswith("|"))
        details = {"rc": r["rc"], "table": table}
        if r["timed_out"]:
            return "FAILED: timed out (rows done so far are in bench.log)", details
        status = "ok" if r["rc"] == 0 else f"FAILED rc {r['rc']}"
        if self.gpu is None:
            status += " (no GPU: " + ("CPU smoke run)" if self.args.dry_run else "not measured)")
        return status, details

    # ----------------------------------------------------------------- output
    def write_summary(self) -> None:
        failed = [s for s in self.stages if s["status"].startswith("FAILED")]
        head = self.gpu or self.gpu_reason
        overall = (
            "no GPU"
            if self.gpu is None
            else ("all stages ok" if not failed else f"{len(failed)} stage(s) FAILED")
        )
        data = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": platform.node(),
            "gpu": head,
            "overall": overall,
            "dry_run": self.args.dry_run,
            "budget_s": self.args.budget,
            "elapsed_s": round(time.monotonic() - self.start, 1),
            "stages": self.stages,
        }
        (self.results_dir / "summary.json").write_text(json.dumps(data, indent=1, default=str))
        lines = [
            f"# make gpu-check: {overall}",
            "",
            f"{data['date']}, host {data['host']}, device: {head}"
            + (" (dry run)" if self.args.dry_run else ""),
            f"elapsed {data['elapsed_s']} s of a {self.args.budget:.0f} s budget",
            "",
            "| stage | seconds | status |",
            "|---|---|---|",
        ]
        lines += [f"| {s['stage']} | {s['seconds']} | {s['status']} |" for s in self.stages]
        for s in self.stages:
            d = s["details"]
            if s["stage"] == "pytest" and d.get("failed_tests"):
                lines += ["", "Failed tests:", *[f"- {t}" for t in d["failed_tests"]]]
            if s["stage"] == "bench" and d.get("table"):
                lines += ["", "bench_gpu.py --quick:", "", d["table"]]
        lines += ["", f"Logs: {self.results_dir} (one per stage; sanitizer/ per run)."]
        (self.results_dir / "summary.md").write_text("\n".join(lines) + "\n")

    def publish(self) -> None:
        """Copy what must come back to $OUT (at most 8 files there)."""
        if self.out is None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        for name in ("summary.md", "summary.json", "junit-gpu.xml", "nvrtc.json", "bench_gpu.json"):
            src = self.results_dir / name
            if src.exists():
                shutil.copy2(src, self.out / name)
        tmp = self.out / "gpu-check.tar.gz.part"
        with tarfile.open(tmp, "w:gz") as tar:
            tar.add(self.results_dir, arcname="gpu-check")
        tmp.replace(self.out / "gpu-check.tar.gz")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", default=str(ROOT / "build" / "gpu-wheels"))
    ap.add_argument("--results", default=str(ROOT / "build" / "gpu-check"))
    ap.add_argument("--budget", type=float, default=float(sum(STAGE_BUDGET.values())))
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(STAGES)}")
    ap.add_argument("--parallel", type=int, default=4, help="sanitizer runs / pytest workers")
    ap.add_argument("--python", default=sys.executable, help="interpreter for every stage")
    ap.add_argument("--dry-run", action="store_true", help="CPU stand-ins for the GPU stages")
    args = ap.parse_args(argv)
    args.only = [s for s in args.only.split(",") if s]
    bad = sorted(set(args.only) - set(STAGES))
    if bad:
        ap.error(f"unknown stages {bad}")
    if args.only and "env" not in args.only:
        args.only.append("env")  # the GPU probe decides what the other stages do
    check = Check(args)
    if check.results_dir.exists():
        shutil.rmtree(check.results_dir)
    check.results_dir.mkdir(parents=True)
    print(f"[gpu-check] results in {check.results_dir}; budget {args.budget:.0f} s", flush=True)
    for name in STAGES:
        check.stage(name, getattr(check, f"s_{name}"))
    check.write_summary()
    check.publish()
    print()
    print((check.results_dir / "summary.md").read_text())
    failed = [s for s in check.stages if s["status"].startswith("FAILED")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
