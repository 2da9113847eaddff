"""Benchmark optimal-design construction: D- and I-optimal coordinate exchange (issues 3 and 7).

Builds, with the default ``n_starts`` (10 random starts) and a fixed seed,

* 3 continuous factors, full quadratic (10 terms), 15 runs;
* 5 continuous factors, full quadratic (21 terms), 30 runs;
* 5 continuous factors plus one three-level categorical factor, quadratic
  (30 model columns), 40 runs,

by D and by I, and prints a markdown table of wall time (best of ``--repeats``), CPU time and
the design's D-efficiency (and average prediction variance for I).  Before the rank-one
coordinate exchange with an exact-gradient refinement, the 5-factor D case took about 2-3 s
wall on 2 cores here (issue 3 reported about 2 minutes on another machine); it now takes a
fraction of a second.

Usage: ``python benchmarks/bench_doe.py [--repeats 3] [--seed 0]``
"""
from __future__ import annotations

import argparse
import time

from pdkit.doe.designs import optimal_design
from pdkit.doe.factors import Factor

CASES = [
    ("3 factors, quadratic, 15 runs", [Factor(n, 0, 1) for n in "ABC"], 15),
    ("5 factors, quadratic, 30 runs", [Factor(n, 0, 1) for n in "ABCDE"], 30),
    ("6 factors (1 categorical, 3 levels), quadratic, 40 runs",
     [Factor(n, 0, 1) for n in "ABCDE"] + [Factor("resin", levels=["X", "Y", "Z"])], 40),
]


def run(repeats: int, seed: int) -> str:
    """Time every case and criterion; return the markdown table."""
    lines = [
        "| design | criterion | wall time (s) | CPU time (s) | D-efficiency (%) | average variance |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, factors, runs in CASES:
        for crit in ("D", "I"):
            best_wall, best_cpu, design = float("inf"), float("inf"), None
            for _ in range(repeats):
                w0, c0 = time.perf_counter(), time.process_time()
                design = optimal_design(factors, "quadratic", runs=runs, criterion=crit, seed=seed)
                best_wall = min(best_wall, time.perf_counter() - w0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            avg = design.details.get("average_variance")
            lines.append(
                f"| {name} | {crit} | {best_wall:.2f} | {best_cpu:.2f} | {design.details['d_efficiency']:.2f} | "
                f"{'' if avg is None else f'{avg:.4f}'} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="repeats per case; the best time is shown")
    ap.add_argument("--seed", type=int, default=0, help="seed of the design search")
    args = ap.parse_args()
    # warm-up: imports (scipy.optimize) and first-call overheads are not part of the timing
    optimal_design([Factor("A", 0, 1)], "quadratic", runs=3, seed=0, n_starts=1)
    print(run(max(1, args.repeats), args.seed))


if __name__ == "__main__":
    main()
