"""A batch of reports: one after another vs `pdkit batch` on all cores, side by side.

The batch is the ``stability_shelf_life`` report on the bundled AAV study, once per grid
row (alternating the confidence levels of the bound and of the poolability tests so that rows differ).  Three ways
are timed in one session, each as fresh command-line processes:

* ``sequential``: ``pdkit run`` called once per report, one after another;
* ``batch --workers 1``: the same through ``pdkit batch`` on one worker;
* ``batch --workers N``: ``pdkit batch`` on all cores (N = ``os.cpu_count()``).

Usage: ``python benchmarks/bench_batch.py [--reports 48]``; prints a markdown table with the
speed-up of the parallel batch over the sequential loop (target: >= 1.8x on 2 cores).
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = "stability_shelf_life"


def write_grid(path: Path, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append({"report_id": f"r{i:03d}", "pool_alpha": ["0.25", "0.1"][i % 2],
                     "alpha": ["0.05", "0.1", "0.01"][i % 3]})
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


def run(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=48)
    args = ap.parse_args(argv)
    n, cores = args.reports, os.cpu_count() or 1
    pdkit = [sys.executable, "-m", "pdkit.cli"]
    with tempfile.TemporaryDirectory(prefix="pdkit-bench-batch-") as tmp:
        tmp = Path(tmp)
        rows = write_grid(tmp / "grid.csv", n)
        t0 = time.perf_counter()
        for row in rows:
            run(pdkit + ["run", TEMPLATE, "-p", "pool_alpha", row["pool_alpha"], "-p", "alpha", row["alpha"],
                         "-o", str(tmp / "seq" / row["report_id"])], tmp)
        sequential = time.perf_counter() - t0
        one = run(pdkit + ["batch", TEMPLATE, "--grid", str(tmp / "grid.csv"), "-o", str(tmp / "b1"),
                           "--workers", "1", "--no-progress"], tmp)
        many = run(pdkit + ["batch", TEMPLATE, "--grid", str(tmp / "grid.csv"), "-o", str(tmp / "bn"),
                            "--workers", str(cores), "--no-progress"], tmp)
    print(f"| way ({n} x {TEMPLATE}) | wall time (s) | per report (s) | speed-up vs sequential |")
    print("|---|---:|---:|---:|")
    for label, t in (("sequential `pdkit run` loop", sequential), ("`pdkit batch --workers 1`", one),
                     (f"`pdkit batch --workers {cores}`", many)):
        print(f"| {label} | {t:.1f} | {t / n:.2f} | {sequential / t:.2f}x |")
    print(f"\n{cores} cores; target speed-up of the parallel batch >= 1.8x: "
          f"{'met' if sequential / many >= 1.8 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
