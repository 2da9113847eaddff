"""Benchmark the prediction profiler in a real browser: slider step to all panels repainted.

Problem: the DoE explorer notebook's models (``data_samples/doe``: face-centred CCD in 5
factors, 32 runs, full quadratic models with 21 terms for log10 titer, % full and %
viability, desirability goals from ``aav_goals.yaml``), shown by
:class:`pdkit.ui.profiler.Profiler` with ``--points`` points per trace: 3 response rows +
the desirability row, 5 factor columns, i.e. 20 panels (the current-setting marker is on
each, so all of them change on every step).  The panels of a row share one Bokeh figure, so
a step repaints 4 row figures and the row headers; the y-axes repaint with their row when its
range changes and are timed then; the x-axis strip never repaints.

The profiler is saved as a standalone HTML page (BokehJS inline) and opened in Debian's
Chromium (``/usr/bin/chromium`` through Playwright: ``--headless --no-sandbox
--disable-gpu --disable-background-networking --disable-component-update --disable-sync
--no-first-run``, a fresh ``--user-data-dir``, network off).  In the page, every Bokeh plot
view's ``repaint`` is wrapped to log ``performance.now()``, and a capture-phase ``keydown``
listener logs the time of each key press.  Then:

* **single steps**: the first slider's handle gets the focus and ``ArrowRight`` /
  ``ArrowLeft`` is pressed ``--steps`` times, waiting after each press until *every* plot
  has repainted; latency = last repaint - key press (input to all panels redrawn); "on
  screen" = the animation frame that follows the last repaint - key press (the browser has
  had its chance to show the new pixels by then); and ``compute`` = the JavaScript update
  itself (``profiler.js`` ``update``: all sources, one pass);
* **rapid presses**: 20 ``ArrowRight`` presses sent back to back through Playwright (each
  press returns once the page has taken the key, so they arrive one per frame at best), and
  20 ``keydown`` events dispatched on the handle at 30 ms intervals, as keyboard auto-repeat
  sends them; total time from the first key press to the last repaint of every plot after
  the last press, and how many updates ran (the page merges presses that arrive while it
  paints into one update).
* **Maximize**: the in-page *Maximize desirability* button (JS compass search), click to
  status; and, for comparison, :func:`pdkit.doe.optimize.maximize_desirability` (what the
  explorer's button runs in the kernel).

Prints a markdown table (median and 95th percentile, milliseconds); writes nothing else.

With ``--lab`` the same steps are also measured on the explorer notebook
(``notebooks/doe_explorer.py``, converted on the fly) run in JupyterLab 4 through the test
harness ``tests/_jupyterlab.py`` (only the profiler's plots are counted; the contour plot is
updated by the kernel), and the explorer's *Maximize desirability* button (Python) is timed
from click to its result line.

Usage: ``python benchmarks/bench_profiler_browser.py [--points 50] [--steps 60] [--lab] [--chromium /usr/bin/chromium]``
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

#: Installed in the page: wrap every plot view's repaint, log key presses.
INSTRUMENT = """() => {
  const B = window.__bench = {keys: [], paints: [], frames: [], plots: 0, required: new Set()};
  // the profiler's plots: the rows and the row headers (they draw from the profiler's sources) must
  // repaint on a step; the y-axes repaint only when a y-range changes and are timed when they do;
  // the x-axis strip never repaints; in JupyterLab the explorer's contour plot is updated by the
  // kernel and not counted
  const drawn = /^(current|profile:|trace:|band:|marks:|headers$)/;
  const profilerPlot = (m) => m.renderers.some((r) => r.data_source && typeof r.data_source.name === 'string'
      && drawn.test(r.data_source.name));
  const yAxis = (m) => typeof m.name === 'string' && m.name.startsWith('y_axis:');
  document.addEventListener('keydown', () => B.keys.push(performance.now()), true);
  const seen = new Set();
  const visit = (v) => {
    if (v == null || seen.has(v)) return;
    seen.add(v);
    if (typeof v.repaint === 'function' && v.model && v.model.renderers !== undefined && !v.__wrapped &&
        (profilerPlot(v.model) || yAxis(v.model))) {
      const orig = v.repaint.bind(v);
      const id = B.plots++;
      if (profilerPlot(v.model)) B.required.add(id);
      // the animation frame after a repaint starts once the browser has had the chance to put the
      // repainted canvas on screen: its time is logged as well
      v.repaint = function () {
        const r = orig();
        B.paints.push([id, performance.now()]);
        requestAnimationFrame(() => B.frames.push([id, performance.now()]));
        return r;
      };
      v.__wrapped = true;
    }
    if (typeof v.children === 'function') { for (const c of v.children()) visit(c); }
  };
  for (const r of Bokeh.index.roots) visit(r);
  for (const r of Bokeh.index) visit(r);
  return B.required.size;
}"""

#: From key press ``a`` to the last repaint after key press ``b``.
RAPID_TOTAL = """([a, b]) => { const B = window.__bench; const t0 = B.keys[a], t1 = B.keys[b];
  let last = t1; for (const [, t] of B.paints) if (t >= t1) last = Math.max(last, t);
  return last - t0; }"""

#: CPU yardstick run in the page: 2e7 square roots (about 25-40 ms on an idle core of a
#: 2020s x86 server); a loaded machine shows proportionally larger times everywhere.
CALIBRATE = """() => { const t = performance.now(); let x = 0;
  for (let i = 0; i < 2e7; i++) x += Math.sqrt(i);
  return [performance.now() - t, x]; }"""

#: Resolves to the latency once every required plot repainted after key press ``k`` (the
#: latest repaint of any timed plot since the key press: a y-axis repaints with its row).
ALL_PAINTED = """([k, n]) => { const B = window.__bench; const t0 = B.keys[k];
  if (t0 === undefined) return false;
  const last = new Map();
  let latest = t0;
  for (const [id, t] of B.paints) if (t >= t0) { if (B.required.has(id)) last.set(id, t); latest = Math.max(latest, t); }
  if (last.size < n) return false;
  return latest - t0; }"""


#: Per single step ``k`` in ``[a, b)``: from the key press to the animation frame that follows the
#: last repaint of a required plot (the repainted panels are on screen by then).
NEXT_FRAME = """([a, b]) => { const B = window.__bench; const out = [];
  for (let k = a; k < b; k++) {
    const t0 = B.keys[k], t1 = k + 1 < B.keys.length ? B.keys[k + 1] : Infinity;
    let last = null;
    for (const [id, t] of B.frames) if (B.required.has(id) && t >= t0 && t < t1) last = Math.max(last === null ? t : last, t);
    out.push(last === null ? null : last - t0);
  }
  return out; }"""


#: Resolves after two more animation frames (the frame logged after the last repaint has run).
AFTER_NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def make_profiler(points: int):
    from pdkit import doe
    from pdkit.ui.profiler import Profiler

    factors = doe.as_factors(pd.read_csv(ROOT / "data_samples/doe/aav_factors.csv").to_dict("records"))
    data = pd.read_csv(ROOT / "data_samples/doe/aav_transfection_rsm_synthetic.csv")
    data["log10_vg_titer"] = np.log10(data["vg_titer"])
    targets = yaml.safe_load((ROOT / "data_samples/doe/aav_goals.yaml").read_text())
    responses = ["log10_vg_titer", "full_pct", "viability_pct"]
    fits = {r: doe.fit(data, r, "quadratic", factors) for r in responses}
    prof = Profiler(fits, goals=targets["goals"], n_points=points,
                    units={"log10_vg_titer": "log10 vg/mL", "full_pct": "%", "viability_pct": "%"})
    return prof, fits, targets["goals"]


def lab_steps(chromium: str, steps: int) -> dict:
    """The explorer notebook run in JupyterLab (tests/_jupyterlab.py harness): key steps on the
    first profiler slider, latency to every profiler panel repainted."""
    sys.path.insert(0, str(ROOT / "tests"))
    import nbformat
    from _jupyterlab import jupyter_lab, lab_browser, stage_notebooks

    from pdkit.reports.nbio import read_notebook

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lab"
        root.mkdir()
        stage_notebooks(root, ROOT, [], folders=("data_samples",))
        (root / "notebooks").mkdir()
        nbformat.write(read_notebook(ROOT / "notebooks/doe_explorer.py"), str(root / "notebooks/doe_explorer.ipynb"))
        with jupyter_lab(root) as server, lab_browser(chromium, viewport=(1500, 1300)) as browser:
            lab = browser.new_page(server)
            lab.open_notebook("notebooks/doe_explorer.ipynb")
            lab.run_all_cells(timeout=300)
            page = lab.page
            page.locator(".jp-OutputArea-output canvas").first.wait_for(timeout=60000)
            page.wait_for_timeout(3000)
            n_plots = page.evaluate(INSTRUMENT)
            calib = [page.evaluate(CALIBRATE)[0] for _ in range(3)]
            handle = page.locator(".jp-OutputArea-output .noUi-handle").first
            handle.scroll_into_view_if_needed(timeout=30000)
            handle.focus()
            latency = []
            for i in range(steps):
                handle.press("ArrowLeft" if (i // 10) % 2 == 0 else "ArrowRight")
                latency.append(page.wait_for_function(ALL_PAINTED, arg=[i, n_plots], timeout=60000,
                                                      polling="raf").json_value())
                page.evaluate(AFTER_NEXT_FRAME)
            page.wait_for_timeout(500)
            on_screen = page.evaluate(NEXT_FRAME, [0, steps])
            first = steps
            for _ in range(20):
                handle.press("ArrowLeft")
            page.wait_for_function(ALL_PAINTED, arg=[first + 19, n_plots], timeout=120000, polling="raf")
            rapid = page.evaluate(RAPID_TOTAL, [first, first + 19])
            lab.wait_kernel_idle(120)
            # Maximize (Python, in the kernel): click to the result line
            page.get_by_role("button", name="Maximize desirability").scroll_into_view_if_needed()
            t = time.perf_counter()
            page.get_by_role("button", name="Maximize desirability").click()
            page.locator(".widget-html:has-text('Maximum desirability')").first.wait_for(timeout=120000)
            maximize_s = time.perf_counter() - t
            calib += [page.evaluate(CALIBRATE)[0] for _ in range(2)]
            lab.close()
    return {"latency": latency, "on_screen": [x for x in on_screen if x is not None], "rapid": rapid,
            "maximize_s": maximize_s, "calib": calib, "plots": n_plots}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--lab", action="store_true", help="also measure the explorer notebook in JupyterLab")
    a = ap.parse_args()
    if not Path(a.chromium).exists():
        print(f"_not measured: no chromium at {a.chromium}_")
        return 0
    from playwright.sync_api import sync_playwright

    prof, fits, goals = make_profiler(a.points)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = prof.save(Path(tmp) / "profiler.html")
        ctx = p.chromium.launch_persistent_context(str(Path(tmp) / "profile"), executable_path=a.chromium,
                                                   args=CHROMIUM_ARGS, headless=True,
                                                   viewport={"width": 1500, "height": 1300})
        try:
            ctx.set_offline(True)
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            t0 = time.perf_counter()
            page.goto(page_file.as_uri())
            page.locator(".noUi-handle").first.wait_for(timeout=120000)
            page.wait_for_timeout(1500)
            load_s = time.perf_counter() - t0
            n_plots = page.evaluate(INSTRUMENT)
            calib = [page.evaluate(CALIBRATE)[0] for _ in range(3)]
            handle = page.locator(".noUi-handle").first
            handle.focus()
            latency, compute = [], []
            k = 0
            for i in range(a.steps):
                page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
                latency.append(page.wait_for_function(ALL_PAINTED, arg=[k, n_plots], timeout=60000,
                                                      polling="raf").json_value())
                page.evaluate(AFTER_NEXT_FRAME)
                k += 1
            compute = page.evaluate("() => window.__pdkitProfiler.computeMs.slice()")[-a.steps:]
            page.wait_for_timeout(100)
            on_screen = [x for x in page.evaluate(NEXT_FRAME, [0, k]) if x is not None]
            updates_before = page.evaluate("() => window.__pdkitProfiler.updates")
            page.wait_for_timeout(300)
            # 20 rapid presses through Playwright: each press waits until the page has taken the key
            first = k
            for _ in range(20):
                page.keyboard.press("ArrowRight")
            k += 20
            page.wait_for_function(ALL_PAINTED, arg=[k - 1, n_plots], timeout=120000, polling="raf")
            rapid = page.evaluate(RAPID_TOTAL, [first, k - 1])
            rapid_updates = page.evaluate("() => window.__pdkitProfiler.updates") - updates_before
            # 20 presses at 30 ms intervals, as keyboard auto-repeat sends them (events on the handle)
            page.wait_for_timeout(300)
            updates_before = page.evaluate("() => window.__pdkitProfiler.updates")
            value_before = page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider:%s').value"
                                         % prof.explored[0])
            page.evaluate("""(h) => { for (let i = 0; i < 20; i++) setTimeout(() => h.dispatchEvent(
                new KeyboardEvent('keydown', {key: 'ArrowLeft', code: 'ArrowLeft', keyCode: 37, which: 37,
                                              bubbles: true, composed: true, cancelable: true})), 30 * i); }""",
                          handle.element_handle())
            first = k
            k += 20
            page.wait_for_function(ALL_PAINTED, arg=[k - 1, n_plots], timeout=120000, polling="raf")
            page.wait_for_timeout(500)
            repeat = page.evaluate(RAPID_TOTAL, [first, k - 1])
            repeat_updates = page.evaluate("() => window.__pdkitProfiler.updates") - updates_before
            value_after = page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider:%s').value"
                                        % prof.explored[0])
            calib += [page.evaluate(CALIBRATE)[0] for _ in range(2)]
            # in-page Maximize
            t_click = time.perf_counter()
            page.get_by_text("Maximize desirability").click()
            page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('status').text.length > 0",
                                   timeout=60000)
            js_max_s = time.perf_counter() - t_click
            status = page.evaluate("() => Bokeh.documents[0].get_model_by_name('status').text")
            if errors:
                print(f"page errors: {errors}", file=sys.stderr)
        finally:
            ctx.close()
    from pdkit.doe.optimize import maximize_desirability

    t = time.perf_counter()
    opt = maximize_desirability(fits, goals, seed=1)
    py_max_s = time.perf_counter() - t
    n_resp = len(fits)
    print(f"Profiler: {n_resp} responses + desirability x {len(prof.explored)} factors x {a.points} points "
          f"({n_plots} Bokeh plots repainted per step), quadratic models with "
          f"{next(iter(fits.values())).X.shape[1]} terms; Chromium headless, page load {load_s:.1f} s; "
          f"CPU yardstick in the page (2e7 square roots) {statistics.median(calib):.0f} ms "
          f"(~30 ms on an idle core), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print()
    print("| measurement | median | p95 | n |")
    print("|---|---:|---:|---:|")
    print(f"| slider step (key press) to every panel repainted, ms | {statistics.median(latency):.1f} | "
          f"{pct(latency, 95):.1f} | {len(latency)} |")
    print(f"| slider step to the next animation frame after the last repaint (on screen), ms | "
          f"{statistics.median(on_screen):.1f} | {pct(on_screen, 95):.1f} | {len(on_screen)} |")
    print(f"| JavaScript update of all sources (one pass), ms | {statistics.median(compute):.1f} | "
          f"{pct(compute, 95):.1f} | {len(compute)} |")
    print(f"| 20 key presses sent one after another (Playwright), first press to last repaint, ms | "
          f"{rapid:.0f} | | 20 presses, {rapid_updates} updates |")
    print(f"| 20 key presses at 30 ms intervals (auto-repeat), first press to last repaint, ms | "
          f"{repeat:.0f} | | 20 presses, {repeat_updates} updates |")
    print(f"| Maximize desirability in the page (JS search), click to result, ms | {1000 * js_max_s:.0f} | | 1 |")
    print(f"| `maximize_desirability` in Python (explorer's button), ms | {1000 * py_max_s:.0f} | | 1 |")
    if a.lab:
        r = lab_steps(a.chromium, a.steps)
        print(f"| JupyterLab, explorer notebook ({r['plots']} profiler plots; yardstick "
              f"{statistics.median(r['calib']):.0f} ms): slider step to every profiler panel repainted, ms | "
              f"{statistics.median(r['latency']):.1f} | {pct(r['latency'], 95):.1f} | {len(r['latency'])} |")
        print(f"| JupyterLab: slider step to the next animation frame after the last repaint (on screen), ms | "
              f"{statistics.median(r['on_screen']):.1f} | {pct(r['on_screen'], 95):.1f} | {len(r['on_screen'])} |")
        print(f"| JupyterLab: 20 key presses one after another, first press to last repaint, ms | "
              f"{r['rapid']:.0f} | | 20 |")
        print(f"| JupyterLab: Maximize desirability button (Python, in the kernel), click to result line, ms | "
              f"{1000 * r['maximize_s']:.0f} | | 1 |")
    print()
    print(f"in-page maximize: {status}; Python optimum D = {opt.overall:.4f}; auto-repeat moved the slider "
          f"{value_before:g} -> {value_after:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
