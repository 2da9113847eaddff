"""Import time of `pdkit` and of each computational module, in fresh processes.

Each module is imported in a new interpreter (median of ``--repeats``); the table also
lists which heavy UI/notebook packages the import pulled in (there must be none: the
computational modules never import bokeh, ipywidgets or jupyter).

Usage: ``python benchmarks/bench_imports.py [--repeats 5]``
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

MODULES = ["pdkit", "pdkit.stats", "pdkit.trending", "pdkit.stability", "pdkit.specs", "pdkit.doe",
           "pdkit.doe.designs", "pdkit.doe.analysis", "pdkit.doe.optimize", "pdkit.upstream",
           "pdkit.downstream", "pdkit.scaleup", "pdkit.facility", "pdkit.tutorial"]
HEAVY = ["bokeh", "ipywidgets", "jupyter_bokeh", "jupyter_client", "jupyterlab", "nbconvert", "papermill",
         "IPython", "dask"]
CODE = """
import json, sys, time
t0 = time.perf_counter()
import {module}
t = time.perf_counter() - t0
print(json.dumps({{"t": t, "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def measure(module: str, repeats: int) -> tuple[float, list[str]]:
    times, heavy = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CODE.format(module=module, heavy=HEAVY)],
                             capture_output=True, text=True, check=True).stdout
        res = json.loads(out)
        times.append(res["t"])
        heavy = res["heavy"]
    return statistics.median(times), heavy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    base, _ = measure("numpy, pandas, scipy.stats", args.repeats)
    print("| module | import time (ms) | heavy UI/notebook packages imported |")
    print("|---|---:|---|")
    print(f"| numpy + pandas + scipy.stats (reference) | {base * 1000:.0f} | - |")
    for m in MODULES:
        t, heavy = measure(m, args.repeats)
        print(f"| {m} | {t * 1000:.0f} | {', '.join(heavy) or 'none'} |")
    print(f"\nmedian of {args.repeats} fresh interpreters per module")
    return 0


if __name__ == "__main__":
    sys.exit(main())
