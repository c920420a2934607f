"""Compile every CUDA source through CuPy's NVRTC, as the launchers do, and report resources.

    python benchmarks/gpu/nvrtc_compile.py [--json out.json] [--dry-run]

For each ``tsalign/kernels/cuda/<family>.cu`` and each float type, every
``extern "C" __global__`` kernel of the source is fetched through
``tsalign.kernels.cuda._module.kernel(family, name, dtype)`` -- the very call the
launchers make -- so the source, the options (``-std``, ``-DREAL_T``, ``-I``
and any ``-D`` constants ``_module.py`` adds) and the architecture are exactly
those of a real launch.  The options are read off the ``cupy.RawModule`` calls
that ``_module`` makes (recorded, not re-typed here).  Then ``nvcc -cubin
-Xptxas -v`` compiles the same source with the same options for the device's
architecture and the registers, shared memory, stack frame and spills of every
kernel are listed (where nvcc is on the PATH).

``--dry-run`` (no GPU / no CuPy): a stand-in CuPy records the options without
compiling, so the script's own logic and the nvcc resource report (sm_90 by
default) can be checked on a CPU machine with nvcc.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

KERNEL_RE = re.compile(
    r'extern\s+"C"\s+__global__\s+(?:__launch_bounds__\([^)]*\)\s+)?void\s+(\w+)'
)
PTXAS_FUNC = re.compile(r"Compiling entry function '(\w+)' for '(\w+)'")
PTXAS_USED = re.compile(r"Used (\d+) registers")


def kernel_names(src: Path) -> list[str]:
    return KERNEL_RE.findall(src.read_text())


class _Recorder:
    """Wraps ``cupy.RawModule`` so every module ``_module`` builds is recorded."""

    def __init__(self, real_cls):
        self.real_cls = real_cls
        self.made: list[dict] = []

    def __call__(self, *args, **kwargs):
        # RawModule(code=None, path=None, options=(), ...), by keyword or position
        code = kwargs.get("code", args[0] if args else None)
        options = kwargs.get("options", args[2] if len(args) > 2 else ())
        self.made.append({"options": list(options), "code_chars": len(code or "")})
        if self.real_cls is None:
            return _FakeModule()
        return self.real_cls(*args, **kwargs)


class _FakeModule:
    def get_function(self, name):
        return name

    def compile(self, *a, **k):
        return None


def _install_fake_cupy():
    fake = types.ModuleType("cupy")
    fake.RawModule = None  # replaced by the recorder
    fake.cuda = types.SimpleNamespace(Device=lambda *a: types.SimpleNamespace(id=0))
    sys.modules["cupy"] = fake
    return fake


def nvcc_resources(src: Path, options: list[str], arch: str) -> dict:
    """Registers / spills / shared memory per kernel from ``nvcc -Xptxas -v``."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return {"status": "skipped: no nvcc on the PATH"}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [nvcc, "-cubin", f"-arch={arch}", "-Xptxas", "-v", *options]
        cmd += ["-o", str(Path(tmp) / "k.cubin"), str(src)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = {"command": " ".join(cmd), "rc": res.returncode, "kernels": {}}
    current = None
    for line in (res.stderr + res.stdout).splitlines():
        m = PTXAS_FUNC.search(line)
        if m:
            current = m.group(1)
            out["kernels"][current] = {"lines": []}
            continue
        if current is not None and ("ptxas info" in line or "stack frame" in line):
            text = line.split("ptxas info    :")[-1].strip()
            if not text.startswith("Function properties"):
                out["kernels"][current]["lines"].append(text)
            m = PTXAS_USED.search(line)
            if m:
                out["kernels"][current]["registers"] = int(m.group(1))
    if res.returncode != 0:
        out["stderr"] = res.stderr[-4000:]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--dry-run", action="store_true", help="record options, compile nothing")
    ap.add_argument("--arch", default=None, help="nvcc -arch for the resource report")
    args = ap.parse_args(argv)

    if args.dry_run:
        cupy = _install_fake_cupy()
        arch = args.arch or "sm_90"
    else:
        import cupy

        cc = cupy.cuda.Device().compute_capability  # e.g. "90"
        arch = args.arch or f"sm_{cc}"
    recorder = _Recorder(None if args.dry_run else cupy.RawModule)
    cupy.RawModule = recorder

    from tsalign.kernels.cuda import _module

    results = []
    failures = 0
    for src in _module.sources():
        family = src.stem
        names = kernel_names(src)
        for dtype in (np.float32, np.float64):
            entry = {"family": family, "dtype": np.dtype(dtype).name, "kernels": names}
            n_before = len(recorder.made)
            t0 = time.perf_counter()
            try:
                if not names:
                    raise RuntimeError(f'no extern "C" __global__ kernel found in {src.name}')
                for name in names:
                    fn = _module.kernel(family, name, dtype)
                    if not args.dry_run:
                        # get_function compiles the module (NVRTC) and loads the kernel
                        _ = fn.attributes  # registers etc. of the loaded kernel
                        entry.setdefault("attributes", {})[name] = {
                            k: fn.attributes[k]
                            for k in ("num_regs", "shared_size_bytes", "local_size_bytes")
                            if k in fn.attributes
                        }
                entry["status"] = "ok" if not args.dry_run else "ok (dry run: not compiled)"
            except Exception as exc:
                failures += 1
                entry["status"] = f"FAILED: {type(exc).__name__}"
                entry["error"] = str(exc)[-6000:]
            entry["seconds"] = round(time.perf_counter() - t0, 3)
            made = recorder.made[n_before:]
            if made:
                entry["options"] = made[0]["options"]
            elif recorder.made:  # cached module from an earlier call
                entry["options"] = "cached module (options recorded earlier)"
            results.append(entry)
            opts = entry.get("options")
            if isinstance(opts, list):
                entry["nvcc"] = nvcc_resources(src, opts, arch)
                if entry["nvcc"].get("rc", 0) != 0:
                    failures += 1
                    entry["status"] += "; nvcc -cubin FAILED"
            print(
                f"{family:10s} {entry['dtype']:8s} {entry['status']:30s} "
                f"{entry['seconds']:7.2f} s  options {opts}",
                flush=True,
            )
            for k, info in entry.get("nvcc", {}).get("kernels", {}).items():
                print(f"    {k}: {'; '.join(info['lines'])}")
    summary = {
        "arch": arch,
        "dry_run": args.dry_run,
        "sources": [p.name for p in _module.sources()],
        "compiled": sum(1 for r in results if r["status"].startswith("ok")),
        "total": len(results),
        "failures": failures,
        "results": results,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1, default=str))
    print(f"NVRTC: {summary['compiled']}/{summary['total']} modules ok, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
