"""Tests of pdkit.ui.profiler: the model spec shipped to the browser and its Python reference.

Sources
-------
* Montgomery, D. C. (2013) Design and Analysis of Experiments, 8th ed., Wiley, Example 11.2
  (central composite design in time and temperature; yield model
  79.94 + 0.995 x1 + 0.515 x2 - 1.376 x1^2 - 1.001 x2^2 + 0.250 x1 x2, residual mean square
  0.0714 on 7 df).
* Prediction interval of a new observation, Montgomery & Runger (2014) Applied Statistics and
  Probability for Engineers, 6th ed., eq. 12-29:
  ``y0 -/+ t(alpha/2; n-p) sqrt(s^2 (1 + x0' (X'X)^-1 x0))``; confidence interval eq. 12-27
  without the ``1 +``.  Hand calculation at the centre of the CCD below.
* The arithmetic is compared with pdkit.doe.analysis.DoEFit.predict (statsmodels'
  get_prediction) for continuous, two-level and three-level categorical factors.
"""
from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdkit.doe.analysis import fit
from pdkit.doe.optimize import desirability
from pdkit.errors import InputError
from pdkit.ui.profiler import BAND_OPTIONS, Profiler, evaluate_spec, model_spec, profiler_js

from test_explorer import GOALS, ccd_fits, mixed_data, mixed_fits


def two_level_fits() -> dict:
    rng = np.random.default_rng(5)
    a = np.tile([-1.0, 1.0, -1.0, 1.0, 0.0], 4)
    resin = np.repeat(["AAVX", "POROS"], 10)
    y = 3 + 0.5 * a + np.where(resin == "POROS", 0.4, -0.4) + 0.3 * a * (resin == "POROS") + rng.normal(0, 0.1, 20)
    d = pd.DataFrame({"a": a, "resin": resin, "y": y})
    return {"y": fit(d, "y", "interactions", ["a", "resin"])}


def random_settings(fits: dict, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f0 = next(iter(fits.values()))
    cols = {}
    for f in f0.factors:
        if f.is_continuous:
            cols[f.name] = rng.uniform(f.low - 0.3 * f.half_range, f.high + 0.3 * f.half_range, n)
        else:
            cols[f.name] = rng.choice(np.array(f.levels, dtype=object), n)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("make", [ccd_fits, mixed_fits, two_level_fits])
def test_reference_equals_predict_confidence_and_prediction(make):
    """evaluate_spec (the Python twin of profiler.js) equals DoEFit.predict for both intervals."""
    fits = make()
    spec = model_spec(fits)
    new = random_settings(fits, 60, 7)
    out = evaluate_spec(spec, {k: new[k].to_numpy() for k in new}, len(new))
    for r, f in fits.items():
        ci = f.predict(new, interval="confidence")
        pi = f.predict(new, interval="prediction")
        np.testing.assert_allclose(out[r]["prediction"], ci["prediction"], rtol=1e-12)
        np.testing.assert_allclose(out[r]["lower"], ci["lower"], rtol=1e-12)
        np.testing.assert_allclose(out[r]["upper"], ci["upper"], rtol=1e-12)
        np.testing.assert_allclose(out[r]["pi_lower"], pi["lower"], rtol=1e-12)
        np.testing.assert_allclose(out[r]["pi_upper"], pi["upper"], rtol=1e-12)


def test_hand_calculation_at_the_ccd_centre():
    """Montgomery Example 11.2: at the centre Var(yhat) = s^2/5 (5 centre runs, rotatable CCD), so
    CI half-width t(0.975; 7) sqrt(s^2/5) and PI half-width t(0.975; 7) sqrt(s^2 (1 + 1/5))."""
    fits = ccd_fits()
    spec = model_spec(fits, alpha=0.05)
    out = evaluate_spec(spec, {"time": [85.0], "temp": [175.0]})["yield"]
    s2 = fits["yield"].rmse ** 2
    t = stats.t.ppf(0.975, 7)
    assert out["prediction"][0] == pytest.approx(79.94, abs=0.005)
    assert out["upper"][0] - out["prediction"][0] == pytest.approx(t * np.sqrt(s2 / 5), rel=1e-6)
    assert out["pi_upper"][0] - out["prediction"][0] == pytest.approx(t * np.sqrt(s2 * 1.2), rel=1e-6)
    r = next(x for x in spec["responses"] if x["name"] == "yield")
    assert r["df"] == 7 and r["t"] == pytest.approx(t, rel=1e-12)


def test_spec_is_json_and_describes_coding():
    fits = mixed_fits()
    spec = model_spec(fits, explored=["b", "cat"], ranges={"b": (10.0, 30.0)}, state={"a": 5.0, "cat": "L3"},
                      units={"y": "g/L"})
    again = json.loads(json.dumps(spec, allow_nan=False))
    assert again == spec
    cat = next(f for f in spec["factors"] if f["name"] == "cat")
    assert cat["levels"] == ["L1", "L2", "L3"] and cat["value"] == 2 and cat["kind"] == "categorical"
    a = next(f for f in spec["factors"] if f["name"] == "a")
    assert (a["center"], a["half"], a["value"]) == (4.0, 2.0, 5.0)
    assert spec["explored"] == [1, 2]
    y = next(r for r in spec["responses"] if r["name"] == "y")
    assert y["label"] == "y (g/L)" and len(y["beta"]) == len(y["index"]) == fits["y"].X.shape[1]
    # held factors take the spec's value when left out of the settings
    out = evaluate_spec(spec, {"b": [20.0]})["y"]["prediction"][0]
    ref = fits["y"].predict({"a": [5.0], "b": [20.0], "cat": ["L3"]})["prediction"].iloc[0]
    assert out == pytest.approx(ref, rel=1e-12)


def test_saturated_fit_has_no_bands():
    d = pd.DataFrame({"A": [-1, 1, -1, 1], "B": [-1, -1, 1, 1], "y": [10.0, 14.0, 11.0, 19.0]})
    spec = model_spec(fit(d, "y", "interactions"))
    assert spec["responses"][0]["cov"] is None and spec["responses"][0]["t"] is None
    out = evaluate_spec(spec, {"A": [1.0], "B": [1.0]})["y"]
    assert out["prediction"][0] == pytest.approx(19.0)  # hand: the run at (+1, +1)
    assert out["pi_lower"][0] == out["pi_upper"][0] == out["prediction"][0]


def test_profiler_sources_bands_desirability_and_points():
    fits = ccd_fits()
    prof = Profiler(fits, goals=GOALS, n_points=11, show=BAND_OPTIONS)
    data = prof.sources["profile:time"].data
    new = pd.DataFrame({"time": data["x"], "temp": [175.0] * 11})
    for r, f in fits.items():
        pi = f.predict(new, interval="prediction")
        np.testing.assert_allclose(data[f"pi_lower:{r}"], pi["lower"], rtol=1e-12)
        np.testing.assert_allclose(data[f"pi_upper:{r}"], pi["upper"], rtol=1e-12)
        # the y-range contains both bands and the design points
        yr = prof.y_ranges[r]
        pts = prof.sources[f"points:{r}"].data["y"]
        for n in ("time", "temp"):
            d = prof.sources[f"profile:{n}"].data
            assert yr.start <= min(d[f"pi_lower:{r}"].min(), pts.min())
            assert yr.end >= max(d[f"pi_upper:{r}"].max(), pts.max())
    ref = desirability(fits, GOALS)(new)
    np.testing.assert_allclose(data["D"], ref["D"], rtol=1e-12)
    for r in GOALS:
        np.testing.assert_allclose(data[f"d:{r}"], ref[f"d_{r}"], rtol=1e-12)
    np.testing.assert_array_equal(prof.sources["points:yield"].data["x:temp"], fits["yield"].data["temp"])
    assert all(rd.visible for rd in prof.pi_renderers + prof.point_renderers)
    assert prof.maximize_button is not None and prof.options.active == [0, 1, 2]


def test_rows_are_drawn_from_one_trace_band_and_marks_source_per_row():
    """One figure per row (JMP layout): the panels of a row share one canvas, the traces of its
    continuous panels are one NaN-separated line at fixed pixel x, the bands NaN-separated
    polygons, the current settings one marks source; every panel keeps to its own pixels."""
    fits = mixed_fits()
    prof = Profiler(fits, n_points=7, state={"a": 5.0, "b": 12.0, "cat": "L2"})
    prof_data, cur = prof.compute_profiles(), prof.compute_current()
    drawn = prof.drawn_data(prof_data, cur)
    n = 7
    cont = ["a", "b"]  # the categorical factor 'cat' is drawn by its own glyphs
    # panels side by side, no overlap; the slider range maps onto the panel less PAD on each side
    assert prof.panel_starts[0] == 0 and prof.frame_width == sum(prof.panel_widths)
    for j, f in enumerate(prof.explored):
        a, b = prof.pixel_map[f]
        lo, hi = prof.panel_limits[f]
        assert a + b * lo == pytest.approx(prof.panel_starts[j] + prof.PAD)
        assert a + b * hi == pytest.approx(prof.panel_starts[j] + prof.panel_widths[j] - prof.PAD)
    assert prof.panel_limits["cat"] == (-0.5, 2.5)
    for r in ("y", "z"):
        tr = drawn[f"trace:{r}"]
        assert len(tr["x"]) == len(tr["y"]) == 2 * (n + 1)
        for k, f in enumerate(cont):
            seg = slice(k * (n + 1), k * (n + 1) + n)
            a, b = prof.pixel_map[f]
            np.testing.assert_allclose(tr["x"][seg], a + b * prof_data[f]["x"], rtol=1e-12)
            np.testing.assert_allclose(tr["y"][seg], prof_data[f][f"pred:{r}"], rtol=1e-12)
            assert np.isnan(tr["y"][k * (n + 1) + n])
        band = drawn[f"band:{r}"]
        poly = slice(0, 2 * n)  # the first panel: lower limits forward, upper limits backward
        np.testing.assert_allclose(band["ci"][poly], np.r_[prof_data["a"][f"lower:{r}"],
                                                           prof_data["a"][f"upper:{r}"][::-1]], rtol=1e-12)
        np.testing.assert_allclose(band["pi"][poly], np.r_[prof_data["a"][f"pi_lower:{r}"],
                                                           prof_data["a"][f"pi_upper:{r}"][::-1]], rtol=1e-12)
        marks = drawn[f"marks:{r}"]
        pix = [prof.pixel_map[f][0] + prof.pixel_map[f][1] * v for f, v in (("a", 5.0), ("b", 12.0), ("cat", 1.0))]
        np.testing.assert_allclose(marks["x"], pix, rtol=1e-12)
        assert set(marks["pred"]) == {cur[f"pred:{r}"][0]} and set(marks["upper"]) == {cur[f"upper:{r}"][0]}
    assert drawn["headers"]["text"] == [cur["label:y"][0], cur["label:z"][0]]
    # the canvases that repaint on a step: one per row plus the row headers (axes are separate)
    from bokeh.models import ColumnDataSource
    step_sources = {id(prof.sources[k]) for k in prof.sources if not k.startswith("points:")}
    repainted = [p for p in [*prof.row_figures, prof.header_figure, prof.axis_strip]
                 if any(isinstance(getattr(rd, "data_source", None), ColumnDataSource)
                        and id(rd.data_source) in step_sources for rd in p.renderers)]
    assert repainted == [*prof.row_figures, prof.header_figure] and len(prof.row_figures) == 2


def test_categorical_factor_is_a_dropdown_of_level_names():
    prof = Profiler(mixed_fits(), n_points=7)
    sel = prof.sliders["cat"]
    assert type(sel).__name__ == "Select" and sel.options == ["L1", "L2", "L3"] and sel.value == "L1"
    assert list(prof.sources["profile:cat"].data["x"]) == [0.0, 1.0, 2.0]
    assert type(prof.sliders["a"]).__name__ == "Slider" and prof.sliders["a"].title == "a"
    assert prof.maximize_button is None  # no goals


def test_export_csv_lists_settings_predictions_and_locks():
    fits = mixed_fits()
    prof = Profiler(fits, goals={"y": ("maximize", 8.0, 14.0)}, units={"y": "=cmd|' /C calc'!A0"}, n_points=5)
    prof.locks["b"].active = True
    rows = list(csv.DictReader(io.StringIO(prof.export_settings())))
    assert [r["name"] for r in rows] == ["a", "b", "cat", "y", "z", "D"]
    assert rows[1]["locked"] == "yes" and rows[0]["locked"] == "no" and rows[2]["value"] == "L1"
    ref = fits["y"].predict({"a": [4.0], "b": [20.0], "cat": ["L1"]}, interval="prediction")
    assert float(rows[3]["value"]) == pytest.approx(ref["prediction"].iloc[0], rel=1e-12)
    assert float(rows[3]["pi_upper"]) == pytest.approx(ref["upper"].iloc[0], rel=1e-12)
    assert rows[3]["units"].startswith("'=")  # a spreadsheet never evaluates user text


def test_standalone_html_is_offline_and_escapes_user_text():
    payload = "<img src=x onerror=alert(1)>"
    prof = Profiler(ccd_fits(), units={"yield": payload}, n_points=5)
    html = prof.to_html()
    assert payload not in html
    assert "PDKIT.schedule" in html
    assert re.search(r"<script[^>]*\bsrc=", html) is None and re.search(r"<link[^>]*\bhref=", html) is None


def test_js_library_defines_the_functions():
    js = profiler_js()
    for name in ("evaluate", "update", "toggle", "maximize", "exportText"):
        assert f"{name}" in js
    assert js.lstrip().startswith("//") and "const PDKIT" in js


@pytest.mark.parametrize("kwargs, message", [
    ({"n_points": 1}, r"n_points: expected an integer from 2 to 500, got 1"),
    ({"units": {"purity": "%"}}, r"units: no fitted model for response 'purity'"),
    ({"show": ["ribbons"]}, r"show: 'ribbons' is not one of confidence band"),
    ({"factors": ["time", "pressure"]}, r"factors: 'pressure' is not a factor of the fits"),
    ({"alpha": 0}, r"alpha: expected a number in \(0, 1\)"),
])
def test_bad_options_name_the_parameter(kwargs, message):
    with pytest.raises(InputError, match=message):
        Profiler(ccd_fits(), **kwargs)


def test_unknown_level_in_settings_is_named():
    spec = model_spec(mixed_fits())
    with pytest.raises(InputError, match=r"'L9' is not a level of 'cat'"):
        evaluate_spec(spec, {"cat": ["L9"]})


def test_mixed_data_is_not_modified():
    d = mixed_data()
    before = d.copy()
    f = fit(d.drop(columns="z"), "y", "linear", ["a", "b", "cat"])
    Profiler(f, n_points=4)
    pd.testing.assert_frame_equal(d, before)
