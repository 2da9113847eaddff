"""The browser profiler (pdkit.ui.profiler) run in Debian's headless Chromium, network off.

* The JavaScript arithmetic (``profiler.js``: predictions, confidence and prediction
  limits, desirability) equals the Python reference ``evaluate_spec`` and
  ``DoEFit.predict(interval="confidence"/"prediction")`` to 1e-9 relative, for continuous,
  two-level and three-level categorical factors.
* A standalone profiler page (``Profiler.save``): one keyboard step on a slider changes every
  panel that depends on it in one update, to the numbers Python computes at the new setting;
  the prediction-band toggle shows the bands inside the y-range; lock + Maximize keeps the
  locked factor; Export writes the CSV Python writes.

Timing is measured in ``benchmarks/bench_profiler_browser.py``, not asserted here.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile

import numpy as np
import pandas as pd
import pytest

from _browser import CHROMIUM_ARGS
from conftest import require_chromium
from pdkit.ui.profiler import Profiler, evaluate_spec, model_spec, profiler_js
from test_explorer import GOALS, ccd_fits, mixed_data, mixed_fits
from test_profiler import random_settings, two_level_fits

pytestmark = [pytest.mark.browser]

READ_SOURCE = """(name) => {
  const m = Bokeh.documents[0].get_model_by_name(name);
  const out = {};
  for (const [k, v] of Object.entries(m.data)) out[k] = Array.from(v);
  return out;
}"""


@pytest.fixture(scope="module")
def browser_context():
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, args=CHROMIUM_ARGS,
                                                   headless=True, viewport={"width": 1500, "height": 1300})
        try:
            ctx.set_offline(True)
            ctx.route("**/*", route)
            ctx.blocked = blocked
            yield ctx
        finally:
            ctx.close()


@pytest.mark.parametrize("make", [ccd_fits, mixed_fits, two_level_fits])
def test_js_arithmetic_equals_python_and_predict(browser_context, make):
    fits = make()
    spec = model_spec(fits, goals=GOALS if make is ccd_fits else None)
    new = random_settings(fits, 40, 3)
    rows = [{k: (float(v) if isinstance(v, (float, np.floating)) else str(v)) for k, v in r.items()}
            for r in new.to_dict("records")]
    page = browser_context.new_page()
    try:
        page.goto("about:blank")
        js = page.evaluate("([lib, spec, rows]) => { const P = new Function(lib + '\\nreturn PDKIT;')();"
                           " return P.evaluate(spec, rows); }", [profiler_js(), json.dumps(spec), rows])
    finally:
        page.close()
    ref = evaluate_spec(spec, {k: new[k].to_numpy() for k in new}, len(new))
    for r, f in fits.items():
        ci = f.predict(new, interval="confidence")
        pi = f.predict(new, interval="prediction")
        for col, want in (("prediction", ci["prediction"]), ("lower", ci["lower"]), ("upper", ci["upper"]),
                          ("pi_lower", pi["lower"]), ("pi_upper", pi["upper"])):
            np.testing.assert_allclose(js[r][col], ref[r][col], rtol=1e-9, atol=0)
            np.testing.assert_allclose(js[r][col], want, rtol=1e-9, atol=0)


def _python_profiles(prof: Profiler, state: dict) -> dict:
    """Every source the page updates (the profiles, the current row and the drawn row sources)."""
    profiles, current = prof.compute_profiles(state), prof.compute_current(state)
    return {**{f"profile:{n}": d for n, d in profiles.items()}, "current": current,
            **prof.drawn_data(profiles, current)}


def test_standalone_page_step_toggle_lock_maximize_export(browser_context, tmp_path):
    fits = ccd_fits()
    prof = Profiler(fits, goals=GOALS, n_points=25, units={"yield": "%", "viscosity": "cSt", "mw": "g/mol"})
    page_file = prof.save(tmp_path / "profiler.html")
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents[0].get_model_by_name('profile:temp') !== null", timeout=60000)
        page.locator(".noUi-handle").first.wait_for(timeout=60000)
        names = ["profile:time", "profile:temp", "current"]
        before = {n: page.evaluate(READ_SOURCE, n) for n in names}
        # ---- one keyboard step on the first slider (time, step 0.01)
        page.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__pdkitProfiler && window.__pdkitProfiler.updates >= 1", timeout=30000)
        after = {n: page.evaluate(READ_SOURCE, n) for n in names}
        time_value = page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider:time').value")
        assert time_value == pytest.approx(85.01, abs=1e-9)
        state = {"time": time_value, "temp": 175.0}
        want = _python_profiles(prof, state)
        for n in ("profile:temp", "current"):
            changed = [k for k in before[n] if k.startswith(("pred:", "lower:", "pi_upper:", "D"))
                       and not np.allclose(before[n][k], after[n][k], rtol=0, atol=0)]
            assert changed, f"{n} did not change after one slider step"
            for k, v in want[n].items():
                if k.startswith("label"):
                    continue
                np.testing.assert_allclose(after[n][k], v, rtol=1e-9, atol=1e-12, err_msg=f"{n} {k}")
        # the rows are drawn from one trace, band and marks source per row (and one header source):
        # after the step they hold the same numbers as Python's drawn_data at the new state
        drawn = ["trace:yield", "band:yield", "marks:yield", "trace:mw", "band:mw", "marks:mw",
                 "trace:desirability", "marks:desirability", "headers"]
        for n in drawn:
            got = page.evaluate(READ_SOURCE, n)
            assert set(got) == set(want[n]), n
            for k, v in want[n].items():
                if k == "text":
                    assert got[k] == list(v), n
                else:
                    np.testing.assert_allclose(np.asarray(got[k], dtype=float), v, rtol=1e-9, atol=1e-9,
                                               err_msg=f"{n} {k}")
        assert want["marks:yield"]["pred"][0] == pytest.approx(want["current"]["pred:yield"][0], rel=1e-12)
        assert page.evaluate("() => window.__pdkitProfiler.updates") == 1  # one batched update per step
        # ---- prediction band on: the y-range contains it
        page.get_by_text("prediction band").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('options').active.includes(1)")
        page.wait_for_timeout(200)
        temp = page.evaluate(READ_SOURCE, "profile:temp")
        shown = page.evaluate("() => ['pi:yield', 'ci:yield', 'pi:mw'].map("
                              "(n) => Bokeh.documents[0].get_model_by_name(n).visible)")
        assert shown == [True, True, True]
        yr = page.evaluate("() => { const m = Bokeh.documents[0].get_model_by_name('y_range:yield');"
                           " return [m.start, m.end]; }")
        lo, hi = min(temp["pi_lower:yield"]), max(temp["pi_upper:yield"])
        assert yr[0] <= lo and yr[1] >= hi and (yr[1] - yr[0]) < 3 * (hi - lo), (lo, hi, yr)
        # ---- export: the CSV equals Python's at the same state
        page.get_by_text("Export settings (CSV)").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('export_text').value.length > 0")
        text = page.evaluate("() => Bokeh.documents[0].get_model_by_name('export_text').value")
        prof.state = dict(state)
        rows_js = list(csv.DictReader(io.StringIO(text)))
        rows_py = list(csv.DictReader(io.StringIO(prof.export_settings())))
        assert [r["name"] for r in rows_js] == [r["name"] for r in rows_py] == ["time", "temp", "yield",
                                                                                 "viscosity", "mw", "D"]
        for a, b in zip(rows_js, rows_py):
            for k in ("value", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
                if b[k]:
                    assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-9), (a, b)
            assert a["units"] == b["units"]
        # ---- lock temp, maximize: temp stays, D does not decrease
        d_before = page.evaluate(READ_SOURCE, "current")["D"][0]
        page.locator("input[type=checkbox]").nth(1).check()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('lock:temp').active === true")
        page.get_by_text("Maximize desirability").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('status').text.length > 0",
                               timeout=30000)
        status = page.evaluate("() => Bokeh.documents[0].get_model_by_name('status').text")
        assert "Maximum desirability found" in status and "locked" in status
        cur = page.evaluate(READ_SOURCE, "current")
        assert cur["x:temp"][0] == 175.0 and cur["D"][0] >= d_before
        from pdkit.doe.optimize import maximize_desirability

        ref = maximize_desirability(fits, GOALS, factors=["time"], hold={"temp": 175.0}, seed=0)
        assert cur["D"][0] == pytest.approx(ref.overall, abs=1e-4)
        assert errors == []
        assert browser_context.blocked == [], "the page tried to reach the network"
    finally:
        page.close()


def test_categorical_dropdown_updates_panels(browser_context, tmp_path):
    fits = mixed_fits()
    prof = Profiler(fits, n_points=9)
    page = browser_context.new_page()
    try:
        page.goto(prof.save(tmp_path / "mixed.html").as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=60000)
        page.locator("select").first.wait_for(timeout=60000)
        page.locator("select").first.select_option("L3")
        page.wait_for_function("() => window.__pdkitProfiler && window.__pdkitProfiler.updates >= 1", timeout=30000)
        got = page.evaluate(READ_SOURCE, "profile:a")
        want = prof.compute_profiles({"a": 4.0, "b": 20.0, "cat": "L3"})["a"]
        for k in ("pred:y", "upper:y", "pi_lower:z"):
            np.testing.assert_allclose(got[k], want[k], rtol=1e-9)
        ref = fits["y"].predict(pd.DataFrame({"a": want["x"], "b": 20.0, "cat": "L3"}), interval="confidence")
        np.testing.assert_allclose(got["lower:y"], ref["lower"], rtol=1e-9)
        # the current-setting mark of the categorical panel moved to the pixel of level L3 (index 2)
        marks = page.evaluate(READ_SOURCE, "marks:y")
        a, b = prof.pixel_map["cat"]
        assert marks["x"][prof.explored.index("cat")] == pytest.approx(a + 2 * b, rel=1e-12)
        trace = page.evaluate(READ_SOURCE, "trace:y")
        np.testing.assert_allclose(trace["y"][:9], want["pred:y"], rtol=1e-9)
    finally:
        page.close()


ROW_LEFTS = """() => { const out = {};
  const visit = (v) => {
    if (!v) return;
    const name = v.model && v.model.name;
    if (typeof name === 'string' && (name.startsWith('row:') || name === 'x_axes' || name.startsWith('y_axis:')))
      out[name] = [v.el.getBoundingClientRect().left, v.el.getBoundingClientRect().width];
    if (typeof v.children === 'function') for (const c of v.children()) visit(c);
  };
  for (const r of Bokeh.index.roots) visit(r);
  return out; }"""


def test_rows_and_x_axes_line_up_with_wide_tick_labels(browser_context, tmp_path):
    """A response in the 1e11 range (scientific tick labels) next to one in single digits: every
    row's panels and the x-axis strip start at the same pixel, and no y-axis is wider than its
    column (it would push its row off the strip's axes)."""
    from pdkit.doe import fit

    d = mixed_data()
    d["titer"] = d["y"] * 1.3e10
    fits = {r: fit(d, r, factors=["a", "b", "cat"]) for r in ("titer", "y")}
    prof = Profiler(fits, units={"titer": "vg/mL"}, n_points=9)
    page = browser_context.new_page()
    try:
        page.goto(prof.save(tmp_path / "wide.html").as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.index && Bokeh.index.roots.length > 0", timeout=60000)
        page.locator(".noUi-handle").first.wait_for(timeout=60000)
        page.wait_for_timeout(500)
        boxes = page.evaluate(ROW_LEFTS)
        assert set(boxes) >= {"row:titer", "row:y", "x_axes"}, boxes
        lefts = {n: round(b[0], 1) for n, b in boxes.items() if not n.startswith("y_axis:")}
        assert len(set(lefts.values())) == 1, lefts
        widths = {n: round(b[1], 1) for n, b in boxes.items() if n.startswith("y_axis:")}
        assert len(set(widths.values())) == 1, widths
    finally:
        page.close()
