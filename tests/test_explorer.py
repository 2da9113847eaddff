"""Tests of pdkit.explorer (the interactive DoE explorer), driven through its Python API.

Sources
-------
* Montgomery, D. C. (2013) Design and Analysis of Experiments, 8th ed., Wiley, Example 11.2
  and section 11.3.4 (Table 11.6 in the 8th ed.: the central composite design in time and
  temperature with three responses, yield, viscosity and molecular weight).  Published
  fitted models in coded units:
  yield = 79.94 + 0.995 x1 + 0.515 x2 - 1.376 x1^2 - 1.001 x2^2 + 0.250 x1 x2,
  viscosity = 70.00 - 0.16 x1 - 0.95 x2 - 0.69 x1^2 - 6.69 x2^2 - 1.25 x1 x2,
  molecular weight = 3386.2 + 205.1 x1 + 177.4 x2;
  maximum predicted yield 80.21 at time 87 min, temperature 176.5 F.
* The explorer's own arithmetic (vectorised X b and t sqrt(diag(X V X'))) is checked
  against pdkit.doe.analysis.DoEFit.predict (statsmodels' get_prediction), against
  pdkit.doe.optimize (desirability, maximize_desirability, design_space) and against a
  hand calculation of the confidence interval at the centre of the CCD.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdkit.doe.analysis import fit
from pdkit.doe.factors import Factor
from pdkit.doe.optimize import design_space, desirability, maximize_desirability
from pdkit.errors import InputError
from pdkit.explorer import Explorer, ProfileEngine

TIME = [80, 80, 90, 90, 85, 85, 85, 85, 85, 92.07, 77.93, 85, 85]
TEMP = [170, 180, 170, 180, 175, 175, 175, 175, 175, 175, 175, 182.07, 167.93]
YIELD = [76.5, 77.0, 78.0, 79.5, 79.9, 80.3, 80.0, 79.7, 79.8, 78.4, 75.6, 78.5, 77.0]
VISCOSITY = [62, 60, 66, 59, 72, 69, 68, 70, 71, 68, 71, 58, 57]
MW = [2940, 3470, 3680, 3890, 3480, 3200, 3410, 3290, 3500, 3360, 3020, 3630, 3150]
FACTORS = [Factor("time", 80, 90, "min"), Factor("temp", 170, 180, "degF")]
GOALS = {"yield": ("maximize", 78.5, 80.5), "viscosity": ("target", 62.0, 68.0, 65.0),
         "mw": ("minimize", 3200.0, 3500.0)}
SPECS = {"yield": (78.5, None), "viscosity": (62.0, 68.0)}


def ccd() -> pd.DataFrame:
    return pd.DataFrame({"time": TIME, "temp": TEMP, "yield": YIELD, "viscosity": VISCOSITY, "mw": MW})


def ccd_fits() -> dict:
    d = ccd()
    return {"yield": fit(d[["time", "temp", "yield"]], "yield", "quadratic", FACTORS),
            "viscosity": fit(d[["time", "temp", "viscosity"]], "viscosity", "quadratic", FACTORS),
            "mw": fit(d[["time", "temp", "mw"]], "mw", "linear", FACTORS)}


def mixed_data(seed: int = 3) -> pd.DataFrame:
    """Synthetic 3^2 x 3-level categorical design with known coefficients and noise (seeded)."""
    rng = np.random.default_rng(seed)
    a, b, c = np.meshgrid([2.0, 4.0, 6.0], [10.0, 20.0, 30.0], ["L1", "L2", "L3"], indexing="ij")
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    effect = {"L1": 0.0, "L2": 1.5, "L3": -1.0}
    ca, cb = (a - 4.0) / 2.0, (b - 20.0) / 10.0
    y = 10 + 2 * ca - cb + np.array([effect[k] for k in c]) + 0.8 * ca * (c == "L2") - 1.2 * ca**2
    y = y + rng.normal(0, 0.3, y.size)
    z = 5 + ca + 0.5 * cb + rng.normal(0, 0.2, y.size)
    return pd.DataFrame({"a": a, "b": b, "cat": pd.array(c, dtype="str"), "y": y, "z": z})


def mixed_fits() -> dict:
    d = mixed_data()
    return {"y": fit(d.drop(columns="z"), "y", "quadratic", ["a", "b", "cat"]),
            "z": fit(d.drop(columns="y"), "z", "linear", ["a", "b", "cat"])}


def predict_trace(f, state: dict, factor: str, grid) -> pd.DataFrame:
    new = pd.DataFrame({k: [v] * len(grid) for k, v in state.items()})
    new[factor] = list(grid)
    return f.predict(new, interval="confidence")


def assert_trace(ex: Explorer, factor: str, fits: dict) -> None:
    data = ex.sources[f"profile:{factor}"].data
    f0 = ex._fmap[factor]
    grid = data["x"] if f0.is_continuous else list(f0.levels)
    for r, f in fits.items():
        pr = predict_trace(f, ex.state, factor, grid)
        np.testing.assert_allclose(data[f"pred:{r}"], pr["prediction"], rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(data[f"lower:{r}"], pr["lower"], rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(data[f"upper:{r}"], pr["upper"], rtol=1e-10, atol=1e-9)


# --------------------------------------------------------------------------- published numbers
def test_initial_state_is_centre_and_matches_published_models():
    """Montgomery Example 11.2 / section 11.3.4: at the centre (85 min, 175 F) the predictions are
    the published intercepts 79.94, 70.00 and 3386.2."""
    ex = Explorer(ccd_fits())
    assert ex.state == {"time": 85.0, "temp": 175.0}
    cur = ex.sources["current"].data
    assert cur["pred:yield"][0] == pytest.approx(79.94, abs=0.005)
    assert cur["pred:viscosity"][0] == pytest.approx(70.00, abs=0.005)
    assert cur["pred:mw"][0] == pytest.approx(3386.2, abs=0.05)
    # slider range covers the axial runs (77.93..92.07), value at the centre
    s = ex.sliders["time"]
    assert (s.start, s.end, s.value) == (77.93, 92.07, 85.0)
    assert len(ex.sources["profile:time"].data["x"]) == 50


def test_published_yield_maximum_shown_at_87_176_5():
    """Montgomery Example 11.2: predicted maximum yield 80.21 at time 87, temperature 176.5."""
    ex = Explorer(ccd_fits())
    ex.set(time=87.0, temp=176.5)
    assert ex.sources["current"].data["pred:yield"][0] == pytest.approx(80.21, abs=0.005)
    assert ex.predict_current()["yield"]["prediction"] == pytest.approx(80.21, abs=0.005)


def test_confidence_interval_hand_calculation_at_centre():
    """Rotatable CCD with 5 centre points: Var(yhat(0)) = sigma^2 / 5 (the (1,1) element of
    (X'X)^-1), so the 95% CI half-width at the centre is t(0.975; 7) sqrt(MSE / 5)."""
    fits = ccd_fits()
    ex = Explorer(fits)
    cur = ex.sources["current"].data
    mse = fits["yield"].rmse ** 2
    assert mse == pytest.approx(0.0714, abs=5e-4)  # Montgomery: residual mean square 0.071
    half = stats.t.ppf(0.975, 7) * np.sqrt(mse / 5)
    assert cur["upper:yield"][0] - cur["pred:yield"][0] == pytest.approx(half, rel=1e-6)  # axial 92.07 ~ sqrt 2
    assert cur["pred:yield"][0] - cur["lower:yield"][0] == pytest.approx(half, rel=1e-6)


# --------------------------------------------------------------------------- agreement with predict
def test_traces_and_bands_equal_predict_confidence_intervals():
    fits = ccd_fits()
    ex = Explorer(fits, n_points=21)
    for factor in ("time", "temp"):
        assert_trace(ex, factor, fits)
    np.testing.assert_allclose(ex.sources["profile:time"].data["x"], np.linspace(77.93, 92.07, 21))


def test_slider_move_updates_other_traces_exactly_as_predict():
    fits = ccd_fits()
    ex = Explorer(fits)
    time_before = {k: np.array(v, copy=True) for k, v in ex.sources["profile:time"].data.items()}
    temp_before = np.array(ex.sources["profile:temp"].data["pred:yield"], copy=True)
    ex.set(time=89.0)
    assert ex.state == {"time": 89.0, "temp": 175.0}
    assert ex.sliders["time"].value == 89.0
    assert not np.allclose(ex.sources["profile:temp"].data["pred:yield"], temp_before)
    assert_trace(ex, "temp", fits)
    # the moved factor's own trace does not depend on its setting
    for k, v in time_before.items():
        np.testing.assert_array_equal(ex.sources["profile:time"].data[k], v)
    # the current marker is the prediction at the new settings
    pr = fits["viscosity"].predict({"time": [89.0], "temp": [175.0]}, interval="confidence")
    cur = ex.sources["current"].data
    assert cur["x:temp"][0] == 175.0 and cur["x:time"][0] == 89.0
    np.testing.assert_allclose([cur["pred:viscosity"][0], cur["lower:viscosity"][0], cur["upper:viscosity"][0]],
                               pr.iloc[0].to_numpy(), rtol=1e-10)


def test_moving_the_widget_slider_drives_the_explorer():
    fits = ccd_fits()
    ex = Explorer(fits)
    ex.sliders["temp"].value = 178.0
    assert ex.state["temp"] == 178.0
    assert_trace(ex, "time", fits)


def test_engine_equals_predict_at_random_settings_including_categorical():
    """Vectorised X b and t sqrt(diag(X V X')) equal statsmodels' get_prediction intervals."""
    fits = mixed_fits()
    eng = ProfileEngine(fits)
    rng = np.random.default_rng(11)
    new = pd.DataFrame({"a": rng.uniform(1, 7, 40), "b": rng.uniform(5, 35, 40),
                        "cat": rng.choice(["L1", "L2", "L3"], 40).astype(object)})
    out = eng.evaluate({k: new[k].to_numpy() for k in new}, len(new))
    for r, f in fits.items():
        pr = f.predict(new, interval="confidence")
        for col, arr in zip(("prediction", "lower", "upper"), out[r]):
            np.testing.assert_allclose(arr, pr[col].to_numpy(), rtol=1e-10)
    eng90 = ProfileEngine(fits, alpha=0.10)
    pr = fits["y"].predict(new, interval="confidence", alpha=0.10)
    np.testing.assert_allclose(eng90.evaluate({k: new[k].to_numpy() for k in new})["y"][1], pr["lower"], rtol=1e-10)


# --------------------------------------------------------------------------- contour
def test_contour_data_equals_predictions_on_the_grid():
    fits = ccd_fits()
    ex = Explorer(fits, n_points=15)
    img = ex.sources["contour"].data
    gx, gy = np.linspace(77.93, 92.07, 15), np.linspace(167.93, 182.07, 15)
    XX, YY = np.meshgrid(gx, gy)
    Z = fits["yield"].predict_mean(pd.DataFrame({"time": XX.ravel(), "temp": YY.ravel()})).reshape(XX.shape)
    np.testing.assert_allclose(img["image"][0], Z, rtol=1e-12)
    dx = gx[1] - gx[0]
    assert img["x"][0] == pytest.approx(gx[0] - dx / 2) and img["dw"][0] == pytest.approx(15 * dx)
    ex.set_contour(response="viscosity", x="temp", y="time")
    TT, HH = np.meshgrid(gy, gx)  # columns follow temp, rows follow time
    Z2 = fits["viscosity"].predict_mean(pd.DataFrame({"time": HH.ravel(), "temp": TT.ravel()}))
    np.testing.assert_allclose(ex.sources["contour"].data["image"][0], Z2.reshape(TT.shape), rtol=1e-12)
    assert ex._dd_response.value == "viscosity" and ex._dd_x.value == "temp"
    ex.set(time=86.0)
    assert ex.sources["contour_point"].data["y"] == [86.0]


def test_contour_follows_held_factor_and_categorical_dropdown():
    fits = mixed_fits()
    ex = Explorer(fits, n_points=9)
    assert ex.contour_x == "a" and ex.contour_y == "b" and ex.state["cat"] == "L1"
    before = np.array(ex.sources["contour"].data["image"][0], copy=True)
    ex.sliders["cat"].value = "L2"  # the dropdown
    assert ex.state["cat"] == "L2"
    img = ex.sources["contour"].data["image"][0]
    gx, gy = np.linspace(2, 6, 9), np.linspace(10, 30, 9)
    XX, YY = np.meshgrid(gx, gy)
    Z = fits["y"].predict_mean(pd.DataFrame({"a": XX.ravel(), "b": YY.ravel(), "cat": ["L2"] * XX.size}))
    np.testing.assert_allclose(img, Z.reshape(XX.shape), rtol=1e-12)
    assert not np.allclose(img, before)
    for factor in ("a", "b", "cat"):
        assert_trace(ex, factor, fits)
    cat = ex.sources["profile:cat"].data
    np.testing.assert_array_equal(cat["x"], [0.0, 1.0, 2.0])
    assert ex.sources["current"].data["x:cat"][0] == 1.0


# --------------------------------------------------------------------------- desirability
def test_desirability_row_equals_desirability_function():
    fits = ccd_fits()
    ex = Explorer(fits, goals=GOALS, n_points=11)
    ex.set(time=83.0, temp=177.0)
    D = desirability(fits, GOALS)
    data = ex.sources["profile:time"].data
    ref = D(pd.DataFrame({"time": data["x"], "temp": [177.0] * 11}))
    np.testing.assert_allclose(data["D"], ref["D"], rtol=1e-12)
    for r in GOALS:
        np.testing.assert_allclose(data[f"d:{r}"], ref[f"d_{r}"], rtol=1e-12)
    cur = ex.sources["current"].data
    assert cur["D"][0] == pytest.approx(float(D({"time": [83.0], "temp": [177.0]})["D"].iloc[0]))


def test_maximize_moves_sliders_to_the_optimum_and_updates_traces():
    fits = ccd_fits()
    ex = Explorer(fits, goals=GOALS, seed=4)
    before = np.array(ex.sources["profile:time"].data["pred:yield"], copy=True)
    opt = ex.maximize()
    ref = maximize_desirability(fits, GOALS, seed=4)
    assert opt.overall == pytest.approx(ref.overall) and opt.overall > 0
    for k in ("time", "temp"):
        assert ex.state[k] == pytest.approx(ref.settings[k], abs=1e-9)
        assert ex.sliders[k].value == pytest.approx(ref.settings[k], abs=1e-9)
    assert not np.allclose(ex.sources["profile:time"].data["pred:yield"], before)
    assert_trace(ex, "time", fits)
    assert_trace(ex, "temp", fits)
    assert ex.sources["current"].data["D"][0] == pytest.approx(ref.overall, rel=1e-9)
    # the button does the same
    ex.set(time=80.0)
    ex.maximize_button.click()
    assert ex.state["time"] == pytest.approx(ref.settings["time"], abs=1e-9)


def test_maximize_with_categorical_factor_sets_dropdown():
    fits = mixed_fits()
    goals = {"y": ("maximize", 8.0, 14.0)}
    ex = Explorer(fits, goals=goals)
    opt = ex.maximize(n_starts=3, n_random=200)
    ref = maximize_desirability(fits, goals, seed=0, factors=["a", "b"], n_starts=3, n_random=200)
    assert ex.state["cat"] == ref.settings["cat"] == ex.sliders["cat"].value
    assert ex.state["a"] == pytest.approx(ref.settings["a"]) and opt.overall == pytest.approx(ref.overall)


# --------------------------------------------------------------------------- design space
def test_design_space_overlay_equals_design_space_and_is_cleared_on_change():
    fits = ccd_fits()
    ex = Explorer(fits, specs=SPECS, n_points=10, n_draws=200, seed=5)
    assert ex.sources["design_space"].data["image"] == []
    space = ex.compute_design_space()
    ref = design_space({r: fits[r] for r in SPECS}, SPECS, n_draws=200, seed=5,
                       grid={"time": np.linspace(77.93, 92.07, 10), "temp": np.linspace(167.93, 182.07, 10)},
                       x="time", y="temp")
    np.testing.assert_array_equal(space.to_numpy(), ref.to_numpy())
    np.testing.assert_array_equal(ex.sources["design_space"].data["image"][0], ref.to_numpy())
    assert "max P" in ex._status_html.value
    ex.set_contour(x="temp", y="time")  # a different plane: the overlay no longer applies
    assert ex.sources["design_space"].data["image"] == []


def test_design_space_uses_held_factors_at_slider_settings():
    fits = mixed_fits()
    specs = {"y": (9.0, None), "z": (None, 6.0)}
    ex = Explorer(fits, specs=specs, n_points=6, n_draws=100, seed=1)
    ex.set(cat="L3")
    space = ex.compute_design_space()
    ref = design_space(fits, specs, n_draws=100, seed=1, grid={"a": np.linspace(2, 6, 6), "b": np.linspace(10, 30, 6)},
                       x="a", y="b", hold={"cat": "L3"})
    np.testing.assert_array_equal(space.to_numpy(), ref.to_numpy())
    ex.set(cat="L1")  # a held factor changed: the probability map no longer applies
    assert ex.sources["design_space"].data["image"] == [] and ex.last_design_space is None


# --------------------------------------------------------------------------- options
def test_factors_subset_order_and_range_override():
    fits = mixed_fits()
    ex = Explorer(fits, factors=[Factor("b", 15, 25), "a"], n_points=5)
    assert ex.explored == ["b", "a"] and ex.state["cat"] == "L1"
    np.testing.assert_allclose(ex.sources["profile:b"].data["x"], [15, 17.5, 20, 22.5, 25])
    assert "profile:cat" not in ex.sources
    assert_trace(ex, "b", fits)
    assert (ex.sliders["b"].start, ex.sliders["b"].end) == (15.0, 25.0)
    with pytest.raises(InputError, match=r"'cat' is held"):
        ex.set(cat="L2")


def test_saturated_fit_has_no_band_and_says_so():
    d = pd.DataFrame({"A": [-1, 1, -1, 1], "B": [-1, -1, 1, 1], "y": [10.0, 14.0, 11.0, 19.0]})
    ex = Explorer(fit(d, "y", "interactions"), n_points=5)
    data = ex.sources["profile:A"].data
    np.testing.assert_array_equal(data["lower:y"], data["pred:y"])
    assert list(ex.sources["current"].data["label:y"]) == ["13.5\n(no CI: no residual df)"]  # hand: mean of 10, 14, 11, 19
    ex.set(B=1.0)
    np.testing.assert_allclose(ex.sources["profile:A"].data["pred:y"], [11, 13, 15, 17, 19])  # hand: 15 + 4A at B=+1


def test_widget_tree_and_named_sources():
    from ipywidgets import VBox
    from jupyter_bokeh import BokehModel

    ex = Explorer(ccd_fits(), goals=GOALS, specs=SPECS, n_points=8)
    assert isinstance(ex.widget, VBox)
    assert isinstance(ex.profiler_widget, BokehModel) and isinstance(ex.contour_widget, BokehModel)
    for name, src in ex.sources.items():
        assert src.name == name
    names = {m.name for m in ex.profiler_layout.document.select({"type": type(ex.sources["contour"])})}
    assert {"profile:time", "current"} <= names
    assert not ex.maximize_button.disabled and not ex.design_space_button.disabled


def test_caller_fits_and_data_not_modified():
    fits = ccd_fits()
    data = fits["yield"].data.copy()
    params = fits["yield"].params.copy()
    ex = Explorer(fits)
    ex.set(time=90.0)
    pd.testing.assert_frame_equal(fits["yield"].data, data)
    pd.testing.assert_series_equal(fits["yield"].params, params)


# --------------------------------------------------------------------------- bad input
def test_fits_with_different_factors_rejected():
    d = ccd()
    f1 = fit(d[["time", "temp", "yield"]], "yield", "quadratic", FACTORS)
    f2 = fit(d[["time", "mw"]], "mw", "linear", [FACTORS[0]])
    with pytest.raises(InputError, match=r"same factors; 'yield' has \[time, temp\] but 'mw' has \[time\]"):
        Explorer({"yield": f1, "mw": f2})
    f3 = fit(d[["time", "temp", "mw"]], "mw", "linear", [Factor("time", 75, 95), FACTORS[1]])
    with pytest.raises(InputError,
                       match=r"factor 'time' is coded differently.*'yield' \(80\.\.90\) and 'mw' \(75\.\.95\)"):
        Explorer({"yield": f1, "mw": f3})


@pytest.mark.parametrize("kwargs, message", [
    ({"n_points": 1}, r"n_points: expected an integer from 2 to 500, got 1"),
    ({"seed": 1.5}, r"seed: expected an integer"),
    ({"factors": ["time", "pressure"]}, r"factors: 'pressure' is not a factor of the fits"),
    ({"factors": ["time", "time"]}, r"'time' is listed twice"),
    ({"specs": {"purity": (90, None)}}, r"specs: no fitted model for response 'purity'"),
    ({"specs": {"yield": (80, 70)}}, r"specs\['yield'\]: expected lower < upper"),
    ({"goals": {"purity": ("maximize", 1, 2)}}, r"goals: no fitted model for response\(s\) \['purity'\]"),
    ({"alpha": 1.5}, r"alpha: expected a number in \(0, 1\)"),
])
def test_bad_options_name_the_parameter(kwargs, message):
    with pytest.raises(InputError, match=message):
        Explorer(ccd_fits(), **kwargs)


def test_bad_settings_and_actions():
    ex = Explorer(ccd_fits(), n_points=5)
    with pytest.raises(InputError, match=r"set: 'pressure' is not a factor \(factors: time, temp\)"):
        ex.set(pressure=1.0)
    with pytest.raises(InputError, match=r"set: 'time' = 120.0 is outside the explorer's range \[77.93, 92.07\]"):
        ex.set(time=120.0)
    with pytest.raises(InputError, match=r"set: 'time' must be a number, got 'fast'"):
        ex.set(time="fast")
    with pytest.raises(InputError, match=r"maximize: the explorer has no desirability goals"):
        ex.maximize()
    with pytest.raises(InputError, match=r"compute_design_space: the explorer has no specifications"):
        ex.compute_design_space()
    with pytest.raises(InputError, match=r"set_contour: x and y must differ, both are 'time'"):
        ex.set_contour(x="time", y="time")
    with pytest.raises(InputError, match=r"set_contour: no fitted response 'purity'"):
        ex.set_contour(response="purity")
    assert ex.state == {"time": 85.0, "temp": 175.0}  # failed calls change nothing
    with pytest.raises(InputError, match=r"fits: expected a DoEFit or a dict"):
        Explorer(ccd())
    with pytest.raises(InputError, match=r"fits\['y'\]: expected a DoEFit"):
        Explorer({"y": "not a fit"})
    ex2 = Explorer(mixed_fits(), n_points=5)
    with pytest.raises(InputError, match=r"set: 'cat' = 'L9' is not a level \(levels: \['L1', 'L2', 'L3'\]\)"):
        ex2.set(cat="L9")


def test_widget_errors_are_shown_not_raised():
    ex = Explorer(ccd_fits(), n_points=5)
    ex.maximize_button.click()  # no goals: the message goes to the status line
    assert "no desirability goals" in ex._status_html.value


def test_a_page_slider_move_is_applied_exactly_and_keeps_the_overlay_of_the_same_plane():
    """A Bokeh slider never echoes a value set from Python, so every value from the page is a move
    (also within half a step of an exact optimum); a move along a contour axis keeps the design
    space, which does not depend on it."""
    fits = ccd_fits()
    ex = Explorer(fits, specs=SPECS, n_points=6, n_draws=50)
    ex.set(time=85.0123)
    assert ex.sliders["time"].value == 85.0123  # the exact value, not snapped to the step
    ex.compute_design_space()
    ex.sliders["time"].value = 85.012  # one key step in the page from the snapped handle
    assert ex.state["time"] == 85.012
    assert ex.sources["design_space"].data["image"] != []
    assert ex.sources["contour_point"].data["x"] == [85.012]
    assert_trace(ex, "temp", fits)


# --------------------------------------------------------------------------- issue 17: lock, bands, export
def test_locked_factor_is_held_by_maximize_and_named_in_the_status():
    fits = ccd_fits()
    ex = Explorer(fits, goals=GOALS, seed=4)
    ex.set(temp=178.0)
    ex.lock(temp=True)
    assert ex.locked == ["temp"] and ex.locks["temp"].active
    opt = ex.maximize()
    ref = maximize_desirability(fits, GOALS, factors=["time"], hold={"temp": 178.0}, seed=4)
    assert ex.state["temp"] == 178.0 and ex.state["time"] == pytest.approx(ref.settings["time"], abs=1e-9)
    assert opt.overall == pytest.approx(ref.overall)
    assert "locked: temp" in ex._status_html.value and "Maximum desirability" in ex._status_html.value
    ex.lock(time=True)
    with pytest.raises(InputError, match=r"every continuous factor is locked"):
        ex.maximize()
    with pytest.raises(InputError, match=r"lock: 'pressure' is not one of the explorer's factors"):
        ex.lock(pressure=True)


def test_prediction_band_and_current_prediction_interval_equal_predict():
    fits = ccd_fits()
    ex = Explorer(fits, n_points=9, units={"yield": "%"})
    ex.set(time=88.0)
    pr = fits["yield"].predict({"time": [88.0], "temp": [175.0]}, interval="prediction")
    cur = ex.predict_current()["yield"]
    assert cur["pi_lower"] == pytest.approx(pr["lower"].iloc[0], rel=1e-12)
    assert cur["pi_upper"] == pytest.approx(pr["upper"].iloc[0], rel=1e-12)
    data = ex.sources["profile:temp"].data
    ref = fits["viscosity"].predict(pd.DataFrame({"time": 88.0, "temp": data["x"]}), interval="prediction")
    np.testing.assert_allclose(data["pi_upper:viscosity"], ref["upper"], rtol=1e-12)
    assert ex.profiler.spec["responses"][0]["label"] == "yield (%)"


def test_export_settings_csv_matches_state_and_predictions():
    fits = mixed_fits()
    ex = Explorer(fits, goals={"y": ("maximize", 8.0, 14.0)}, n_points=5)
    ex.set(a=5.0, cat="L2")
    rows = ex.export_settings().splitlines()
    assert rows[0] == "item,name,value,ci_lower,ci_upper,pi_lower,pi_upper,units,locked"
    assert rows[1] == "setting,a,5.0,,,,,,no" and rows[3] == "setting,cat,L2,,,,,,no"
    y = rows[4].split(",")
    pr = fits["y"].predict({"a": [5.0], "b": [20.0], "cat": ["L2"]}, interval="confidence")
    assert y[:2] == ["response", "y"] and float(y[2]) == pytest.approx(pr["prediction"].iloc[0], rel=1e-12)
    assert float(y[3]) == pytest.approx(pr["lower"].iloc[0], rel=1e-12)
    assert rows[-1].startswith("desirability,D,")


def test_slider_widgets_are_bokeh_models_in_the_profiler_document():
    ex = Explorer(mixed_fits(), n_points=5)
    assert type(ex.sliders["a"]).__name__ == "Slider" and type(ex.sliders["cat"]).__name__ == "Select"
    assert ex.sliders["cat"].options == ["L1", "L2", "L3"]
    assert ex.sliders["a"].document is ex.profiler_layout.document  # one document: one batched page update
    assert ex.sliders["a"].js_property_callbacks["change:value"][0] is ex.profiler.update_callback


def test_contour_redraw_after_a_page_slider_move_waits_for_the_burst_to_end():
    """Inside a running event loop (the kernel handling a widget message) the contour plot is
    redrawn CONTOUR_DELAY s after the last move, once; API calls redraw it at once."""
    import asyncio

    fits = mixed_fits()
    ex = Explorer(fits, n_points=5)
    calls = []
    orig = ex._update_contour
    ex._update_contour = lambda axes=False: (calls.append(axes), orig(axes))

    async def burst():
        for level in ("L2", "L3", "L2", "L3"):
            ex.sliders["cat"].value = level  # what the handler of a move in the page does
        assert calls == [] and ex.state["cat"] == "L3"
        await asyncio.sleep(ex.CONTOUR_DELAY + 0.2)

    asyncio.run(burst())
    assert calls == [False]
    XX, YY = np.meshgrid(np.linspace(2, 6, 5), np.linspace(10, 30, 5))
    want = fits["y"].predict_mean(pd.DataFrame({"a": XX.ravel(), "b": YY.ravel(), "cat": ["L3"] * XX.size}))
    np.testing.assert_allclose(ex.sources["contour"].data["image"][0], want.reshape(XX.shape), rtol=1e-12)
    ex.set(cat="L1")
    assert calls == [False, False]  # synchronous outside the widget path
