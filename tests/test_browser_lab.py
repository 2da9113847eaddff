"""Notebooks run in a real JupyterLab 4 in Debian's headless Chromium (issue 6).

One JupyterLab server (127.0.0.1, random token) and one Chromium serve the whole module;
notebooks are copied into a temporary folder first, so the repository is never modified.
Screenshots go to ``$PDKIT_TEST_ARTIFACTS`` (default: the test's ``tmp_path``).

* :func:`test_slider_moves_bokeh_plot` runs ``tests/fixtures/lab/widget_bokeh_demo.ipynb``
  (made by ``make_widget_bokeh_demo.py``), moves its ipywidgets slider with the keyboard and
  checks that the data BokehJS holds in the page, and the pixels of the plot, changed.
* :func:`test_notebook_runs_without_errors` runs every notebook in :data:`LAB_NOTEBOOKS`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from _jupyterlab import (BOKEH_CANVAS_SELECTOR, SLIDER_HANDLE_SELECTOR, jupyter_lab, lab_browser,
                         stage_notebooks)
from conftest import ROOT, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The widget + bokeh fixture notebook (path relative to the repository root).
FIXTURE = "tests/fixtures/lab/widget_bokeh_demo.ipynb"

#: Notebooks (paths relative to the repository root) that must run in JupyterLab without
#: error outputs; e.g. "notebooks/doe_explorer.ipynb", a course lesson.
LAB_NOTEBOOKS: list[str] = ["notebooks/course/05_scaleup.ipynb"]

#: The DoE explorer notebook (issue 3/6/17: move a profiler slider in a real browser): the
#: jupytext source, converted on the fly into the staged folder as ``EXPLORER``.
EXPLORER_SOURCE = "notebooks/doe_explorer.py"
EXPLORER = "notebooks/doe_explorer.ipynb"

#: Bound on running all cells of one notebook (seconds).
RUN_TIMEOUT = 180.0


def _stage_text_notebook(root: Path, source: str, target: str) -> None:
    """Convert a jupytext notebook of the repository into ``root/target`` (.ipynb); the data
    folders next to it are copied by :func:`stage_notebooks`."""
    import nbformat

    from pdkit.reports.nbio import read_notebook

    dest = root / target
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(read_notebook(ROOT / source), str(dest))


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def lab_server(chromium, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab_root")
    # notebooks kept as jupytext scripts (.py) are converted on the fly into the staged folder
    text = [nb for nb in LAB_NOTEBOOKS if not (ROOT / nb).exists() and (ROOT / nb).with_suffix(".py").exists()]
    stage_notebooks(root, ROOT, [FIXTURE, *[nb for nb in LAB_NOTEBOOKS if nb not in text]])
    for nb in text:
        _stage_text_notebook(root, str(Path(nb).with_suffix(".py")), nb)
    _stage_text_notebook(root, EXPLORER_SOURCE, EXPLORER)
    with jupyter_lab(root) as server:
        yield server


@pytest.fixture(scope="module")
def lab(chromium, lab_server):
    with lab_browser(chromium) as browser:
        yield browser


@pytest.fixture
def artifacts(tmp_path) -> Path:
    folder = Path(os.environ.get("PDKIT_TEST_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _errors_message(page) -> str:
    errors = page.error_outputs()
    return "\n\n".join(str(e) for e in errors) + (f"\npage errors: {page.page_errors}" if page.page_errors else "")


def test_slider_moves_bokeh_plot(lab, lab_server, artifacts):
    page = lab.new_page(lab_server)
    try:
        page.open_notebook(FIXTURE)
        page.run_all_cells(timeout=RUN_TIMEOUT)
        assert page.error_outputs() == [], _errors_message(page)
        assert page.page_errors == []
        # the second code cell printed its number: trapezoid rule for |sin x| on [0, 10] with
        # 101 points = 6.1615 (exact integral 7 + cos 10 = 6.1609)
        page.page.get_by_text("area under |sin x| on [0, 10] = 6.16").wait_for(timeout=10000)

        canvas = page.page.locator(BOKEH_CANVAS_SELECTOR).first
        canvas.wait_for(timeout=30000)
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150, box
        assert page.page.locator(SLIDER_HANDLE_SELECTOR).count() == 1

        before = page.bokeh_source_data("demo_source")
        x = np.asarray(before["x"])
        assert len(x) == 101 and x[0] == 0.0 and x[-1] == 10.0
        np.testing.assert_allclose(before["y"], np.sin(x), atol=1e-12)
        assert page.slider_value() == "1.00"
        page.screenshot(artifacts / "lab_widget_before.png", show=BOKEH_CANVAS_SELECTOR)
        pixels_before = canvas.screenshot()

        readout = page.move_slider(5)  # 5 x ArrowRight, step 0.1
        assert readout == "1.50"
        after = page.wait_bokeh_source_change("demo_source", before)
        np.testing.assert_allclose(after["x"], x)
        np.testing.assert_allclose(after["y"], np.sin(1.5 * x), atol=1e-12)
        page.page.wait_for_timeout(500)  # let BokehJS repaint before taking pixels
        page.screenshot(artifacts / "lab_widget_after.png", show=BOKEH_CANVAS_SELECTOR)
        assert canvas.screenshot() != pixels_before, "the plot's pixels did not change"

        assert page.error_outputs() == [], _errors_message(page)
        assert page.page_errors == []
        assert lab.blocked_requests == [], "the page tried to reach beyond 127.0.0.1"
    finally:
        page.close()


@pytest.mark.parametrize("notebook", LAB_NOTEBOOKS)
def test_notebook_runs_without_errors(lab, lab_server, artifacts, notebook):
    page = lab.new_page(lab_server)
    try:
        page.open_notebook(notebook)
        try:
            page.run_all_cells(timeout=RUN_TIMEOUT)
        finally:
            page.screenshot(artifacts / f"lab_{Path(notebook).stem}.png")
        assert page.error_outputs() == [], f"{notebook}:\n{_errors_message(page)}"
        assert page.page_errors == [], f"{notebook}: {page.page_errors}"
    finally:
        page.close()


def test_doe_explorer_profiler_slider_updates_traces(lab, lab_server, artifacts):
    """Open the DoE explorer, run it, move the first factor's (Bokeh) slider in the browser and
    check that every panel's source was recomputed in the page, without the kernel, to the
    numbers Python computes at the new setting; then that the kernel's state followed."""
    page = lab.new_page(lab_server)
    try:
        page.open_notebook(EXPLORER)
        page.run_all_cells(timeout=RUN_TIMEOUT)
        assert page.error_outputs() == [], _errors_message(page)
        assert page.page_errors == []
        page.page.locator(BOKEH_CANVAS_SELECTOR).first.wait_for(timeout=30000)
        page.page.wait_for_timeout(3000)  # let every BokehJS view render before reading models
        names = ["profile:pei_dna_ratio", "profile:harvest_h", "profile:dna_ug_per_1e6_cells", "current",
                 "trace:full_pct"]
        before = {n: page.bokeh_source_data(n) for n in names}
        point_before = page.bokeh_source_data("contour_point")
        assert len(before["profile:pei_dna_ratio"]["x"]) == 50 and "pi_upper:viability_pct" in before["current"]
        page.screenshot(artifacts / "doe_explorer_before.png")
        handle = page.page.locator(".jp-OutputArea-output .noUi-handle").first  # dna_ug_per_1e6_cells
        handle.scroll_into_view_if_needed(timeout=30000)
        handle.focus()
        handle.press("ArrowLeft")
        after = {n: page.wait_bokeh_source_change(n, before[n]) for n in names[:2] + ["current", "trace:full_pct"]}
        state = page.page.evaluate("""() => { const out = {};
            for (const doc of Bokeh.documents) for (const m of doc.all_models)
              if (m.name && m.name.startsWith('slider:')) out[m.name.slice(7)] = m.value;
            return out; }""")
        assert set(state) == {"dna_ug_per_1e6_cells", "pei_dna_ratio", "repcap_goi_ratio", "vcd_1e6_per_ml",
                              "harvest_h"}
        want = _explorer_profiler(state)
        for n in names[:2]:
            for k in ("pred:full_pct", "lower:viability_pct", "pi_upper:log10_vg_titer", "D"):
                np.testing.assert_allclose(after[n][k], want[f"profile:{n[8:]}"][k], rtol=1e-9, err_msg=f"{n} {k}")
        np.testing.assert_allclose(after["current"]["pred:log10_vg_titer"], want["current"]["pred:log10_vg_titer"],
                                   rtol=1e-9)
        # the row of full_pct is drawn from one trace source: it holds the new predictions
        np.testing.assert_allclose(np.asarray(after["trace:full_pct"]["y"], dtype=float), want["trace:full_pct"]["y"],
                                   rtol=1e-9)
        # the kernel followed the slider: its contour plot (computed in Python) moved its marker
        point = page.wait_bokeh_source_change("contour_point", point_before, timeout=60)
        assert point["x"][0] == pytest.approx(state["dna_ug_per_1e6_cells"], abs=1e-12)
        page.wait_kernel_idle(60)
        page.page.wait_for_timeout(500)
        page.screenshot(artifacts / "doe_explorer_after.png")
        assert page.error_outputs() == [], _errors_message(page)
        assert page.page_errors == []
        assert lab.blocked_requests == [], "the page tried to reach beyond 127.0.0.1"
    finally:
        page.close()


def _explorer_profiler(state: dict) -> dict:
    """The explorer notebook's profiler sources computed in Python at ``state``."""
    import pandas as pd
    import yaml

    from pdkit import doe
    from pdkit.ui.profiler import Profiler

    factors = doe.as_factors(pd.read_csv(ROOT / "data_samples/doe/aav_factors.csv").to_dict("records"))
    data = pd.read_csv(ROOT / "data_samples/doe/aav_transfection_rsm_synthetic.csv")
    data["log10_vg_titer"] = np.log10(data["vg_titer"])
    goals = yaml.safe_load((ROOT / "data_samples/doe/aav_goals.yaml").read_text())["goals"]
    fits = {r: doe.fit(data, r, "quadratic", factors) for r in ["log10_vg_titer", "full_pct", "viability_pct"]}
    prof = Profiler(fits, goals=goals, n_points=50)
    profiles, current = prof.compute_profiles(state), prof.compute_current(state)
    out = {f"profile:{n}": d for n, d in profiles.items()}
    out["current"] = current
    out.update(prof.drawn_data(profiles, current))
    return out
