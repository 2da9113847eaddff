"""Per-report overhead of `pdkit run` over the floor: a plain Python script making the same pdkit calls.

For each template, the *floor* is a script built from the template itself: the validated
parameters as assignments followed by every code cell, run by ``python`` in a fresh process.
It pays the same imports and computations and renders the same outputs - each displayed
object's text and HTML representation, each bokeh figure serialised with
``bokeh.embed.components`` - but has no kernel, papermill, HTML export or provenance.  The
overhead is therefore the cost of pdkit's report machinery itself.  ``pdkit run``
is timed as a fresh CLI process too.  Each measurement is the median of ``--repeats`` runs,
taken side by side in one session.

Usage: ``python benchmarks/bench_reports.py [--repeats 3] [--template NAME ...]``
Prints a markdown table (the target is an overhead under 1.5 s per report).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from pdkit.params import find_template, list_templates
from pdkit.runner import prepare_run

PRELUDE = """\
import pdkit.plots as _plots
from bokeh.embed import components as _components


def display(*objs, **kwargs):
    # what a notebook renders for each displayed object: its text and HTML representations
    for obj in objs:
        text = repr(obj)
        for method in ("_repr_html_", "_repr_markdown_"):
            render = getattr(obj, method, None)
            if callable(render):
                render()
        print(text if len(text) < 2000 else text[:2000])


import IPython.display as _ipd

_ipd.display = display  # templates import display from IPython.display
_plots.setup = lambda: None
_plots.show = lambda fig: _components(fig)  # serialise the figure as a report must
"""


def floor_script(template: str) -> str:
    """The template's code as one plain script with its default parameters assigned."""
    path, _specs, values, _given = prepare_run(template, {})
    nb = nbformat.read(str(path), as_version=4)
    lines = [PRELUDE] + [f"{k} = {v!r}" for k, v in values.items()]
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        lines.append(cell.source)
    return "\n\n".join(lines) + "\n"


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--template", action="append", default=None)
    args = ap.parse_args(argv)
    names = args.template or list_templates()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pdkit-bench-") as tmp:
        tmp = Path(tmp)
        for name in names:
            find_template(name)
            script = tmp / f"{name}_floor.py"
            script.write_text(floor_script(name))
            work = tmp / f"{name}_floor_cwd"
            work.mkdir()
            floor, full = [], []
            for i in range(args.repeats):  # alternate so drift affects both equally
                floor.append(timed([sys.executable, str(script)], work))
                full.append(timed([sys.executable, "-m", "pdkit.cli", "run", name, "-o", str(tmp / f"{name}_{i}")], tmp))
            f, r = statistics.median(floor), statistics.median(full)
            rows.append((name, f, r, r - f, r / f))
            print(f"  {name}: floor {f:.2f} s, pdkit run {r:.2f} s", file=sys.stderr, flush=True)
    print("| template | floor: plain script (s) | pdkit run (s) | overhead (s) | ratio | overhead < 1.5 s |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, f, r, d, q in rows:
        print(f"| {name} | {f:.2f} | {r:.2f} | {d:.2f} | {q:.2f} | {'yes' if d < 1.5 else 'NO'} |")
    worst = max(d for *_, d, _q in rows) if rows else 0.0
    print(f"\nmedian of {args.repeats} fresh-process runs each; largest overhead {worst:.2f} s. The floor is the "
          "template's own code as a plain script that renders the same outputs (text and HTML reprs of "
          "displayed objects, bokeh figures serialised) without kernel, papermill, HTML export or provenance.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
