"""Run every benchmark side by side and write BENCHMARKS.md with the machine they ran on.

Usage: ``python benchmarks/run_all.py [--quick]`` (``--quick`` uses fewer repeats and
smaller sizes, for a smoke run). Each ``bench_*.py`` prints a markdown table; this script
collects them under one heading each, with the date, CPU, core count, memory and versions.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BENCHES = [
    ("Per-report overhead of `pdkit run` over a plain script (issue 7a)", "bench_reports.py", [], ["--repeats", "1"]),
    ("Batch of 48 reports: sequential vs `pdkit batch` on all cores (issue 7b)", "bench_batch.py", [], ["--reports", "8"]),
    ("Import time of pdkit and its computational modules (issue 7c)", "bench_imports.py", [], ["--repeats", "2"]),
    ("DoE explorer: per-slider recomputation and design-space Monte Carlo (issue 7d)", "bench_explorer.py", [], []),
    ("Optimal designs by coordinate exchange (issue 3)", "bench_doe.py", [], []),
    ("Upstream: 1,000 runs x 10,000 time points through dask vs in memory (issue 7e)", "bench_upstream.py", [],
     ["--runs", "100", "--times", "1000"]),
    ("Lot history: 40,000 results imported and the CPV report rendered (issue 14)", "bench_lots.py", [],
     ["--years", "4", "--lots", "25", "--attributes", "10"]),
    ("Prediction profiler in the browser: slider step to every panel repainted (issue 17)",
     "bench_profiler_browser.py", [], ["--steps", "20"]),
]


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{mem_kb / 1024 ** 2:.1f} GiB"
    except (OSError, StopIteration):
        mem = "unknown"
    pk = ", ".join(f"{p} {metadata.version(p)}" for p in ("pdkit", "numpy", "pandas", "statsmodels", "papermill", "dask"))
    return (f"- date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}\n- CPU: {cpu}, {os.cpu_count()} cores\n"
            f"- memory: {mem}\n- OS: {platform.platform()}\n- Python {platform.python_version()}; {pk}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    parts = ["# pdkit benchmarks", "", "Measured side by side in one session by `python benchmarks/run_all.py`"
             + (" --quick" if args.quick else "") + ".", "", "## Machine", "", machine(), ""]
    for title, script, full_args, quick_args in BENCHES:
        path = HERE / script
        parts += [f"## {title}", ""]
        if not path.exists():
            parts += [f"_not measured: `{script}` is not in this checkout yet_", ""]
            continue
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(path)] + (quick_args if args.quick else full_args),
                              capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - t0
        print(f"{script}: exit {proc.returncode} in {took:.0f} s", file=sys.stderr, flush=True)
        parts += [proc.stdout.strip() if proc.returncode == 0 else f"_failed (exit {proc.returncode}):_\n\n```\n{proc.stderr[-1500:]}\n```",
                  "", f"_`{script}` took {took:.0f} s_", ""]
    Path(args.output).write_text("\n".join(parts) + "\n")
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
