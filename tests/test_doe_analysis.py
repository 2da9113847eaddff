"""Tests of pdkit.doe.analysis against published DoE analyses and hand calculations.

Sources
-------
* Montgomery, D. C. (2013) Design and Analysis of Experiments, 8th ed., Wiley:
  - section 6.2 (2^2 chemical process, 3 replicates; effects A = 8.33, B = -5.00, AB = 1.67;
    SS_A = 208.33, SS_B = 75.00, SS_AB = 8.33, SS_E = 31.33, SS_T = 323.00);
  - Example 6.2 (2^4 filtration rate, single replicate; effects A = 21.625, C = 9.875,
    D = 14.625, AC = -18.125, AD = 16.625);
  - Example 6.6 / Table 6.24 (the same 2^4 plus four centre points 73, 75, 66, 69: reduced
    model A, C, D, AC, AD; SS 1870.56, 390.06, 855.56, 1314.06, 1105.56, model 5535.81;
    pure-quadratic curvature 1.51, F = 0.081, p = 0.7809; lack of fit 195.12 on 10 df,
    F = 1.20, p = 0.4942; pure error 48.75 on 3 df; corrected total 5781.20 on 19 df);
  - Example 11.2 (Example 11-1 in the 5th ed., 2001, p. 431), CCD for yield with five centre
    points; ANOVA: model 28.25 (F 79.85), A 7.92 (F 111.93), B 2.12 (F 30.01),
    A^2 13.18 (F 186.22), B^2 6.97 (F 98.56), AB 0.25 (F 3.53, p 0.1022), residual 0.50 on
    7 df, lack of fit 0.28 on 3 df (F 1.78, p 0.2897), pure error 0.21 on 4 df, total 28.74;
    maximum yield 80.21 at time 87 min, temperature 176.5 F (as reproduced in the ReliaWiki
    DOE++ validation "Central Composite Response Surface Method").
* Montgomery, Solutions manual to DAE 8th ed. (2012), Problem 8.1: 2^(4-1), I = ABCD,
  yields 90, 72, 87, 83, 99, 81, 88, 80 for (1), ad, bd, ab, cd, ac, bc, abcd; effects
  A = -12, B = -1, C = 4, D = -1, AB = 6, AC = -1, AD = -5; Design-Expert: Lenth's
  ME = 22.5856, SME = 54.0516.
* Montgomery, Solutions manual to DAE 9th ed. (2017), Problem 11.1: 2^2 with four centre
  points (purity); linear model: curvature SS 0.080, F = 1.33, p = 0.3125; lack of fit
  0.040 on 1 df, F = 0.60, p = 0.4950; pure error 0.20 on 3 df; coefficients A 0.85, B 0.25.
* Montgomery, DAE 8th ed. (2013), Example 8.4 (injection molding, 2^(6-2) IV with E = ABC,
  F = BCD; shrinkage x 10 in standard order 6, 10, 32, 60, 4, 15, 26, 60, 8, 12, 34, 60, 16, 5,
  37, 52; fitted model y = 27.3125 + 6.9375 x1 + 17.8125 x2 + 5.9375 x1 x2, i.e. effects
  A = 13.875, B = 35.625, AB = 11.875).  The same example is Example 14-8 (data Table 14-28,
  alias relationships Table 14-27: AB = CE, AC = BE, AD = EF, AE = BC = DF, AF = DE, BD = CF,
  BF = CD) in Montgomery & Runger, Applied Statistics and Probability for Engineers, 3rd ed.
* Lenth, R. V. (1989) Technometrics 31:469-473 (PSE definition), Box & Cox (1964) JRSS B
  26:211-252 (checked against scipy.stats.boxcox for an intercept-only model).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from pdkit.doe.analysis import (AliasWarning, DoEFit, fit, infer_factors, infer_responses, lenth,
                                 supported_model)
from pdkit.doe.factors import Factor
from pdkit.errors import InputError


# --------------------------------------------------------------------------- data
def _std_order(k: int) -> dict[str, list[int]]:
    names = "ABCD"[:k]
    n = 2**k
    return {names[j]: [1 if (i >> j) & 1 else -1 for i in range(n)] for j in range(k)}


FILTRATION = [45, 71, 48, 65, 68, 60, 80, 65, 43, 100, 45, 104, 75, 86, 70, 96]  # Montgomery Table 6.10


def filtration(center: bool = False) -> pd.DataFrame:
    d = pd.DataFrame({**_std_order(4), "rate": FILTRATION})
    if center:
        c = pd.DataFrame({"A": [0] * 4, "B": [0] * 4, "C": [0] * 4, "D": [0] * 4, "rate": [73, 75, 66, 69]})
        d = pd.concat([d, c], ignore_index=True)
    return d


def ccd_yield(coded: bool = True) -> pd.DataFrame:
    r = np.sqrt(2.0)
    x1 = [-1, -1, 1, 1, 0, 0, 0, 0, 0, r, -r, 0, 0]
    x2 = [-1, 1, -1, 1, 0, 0, 0, 0, 0, 0, 0, r, -r]
    y = [76.5, 77.0, 78.0, 79.5, 79.9, 80.3, 80.0, 79.7, 79.8, 78.4, 75.6, 78.5, 77.0]
    if coded:
        return pd.DataFrame({"A": x1, "B": x2, "yield": y})
    time = [80, 80, 90, 90, 85, 85, 85, 85, 85, 92.07, 77.93, 85, 85]
    temp = [170, 180, 170, 180, 175, 175, 175, 175, 175, 175, 175, 182.07, 167.93]
    return pd.DataFrame({"time": time, "temp": temp, "yield": y})


# --------------------------------------------------------------------------- published examples
def test_chemical_process_2x2_replicated_montgomery_6_2():
    """Montgomery DAE 8th ed. section 6.2: effects, SS and error of the replicated 2^2."""
    d = pd.DataFrame({"A": [-1, 1, -1, 1] * 3, "B": [-1, -1, 1, 1] * 3,
                      "y": [28, 36, 18, 31, 25, 32, 19, 30, 27, 32, 23, 29]})
    f = fit(d, "y", "interactions")
    eff = f.effects["effect"]
    assert eff["A"] == pytest.approx(8.33, abs=0.005)
    assert eff["B"] == pytest.approx(-5.00, abs=0.005)
    assert eff["A:B"] == pytest.approx(1.67, abs=0.005)
    a = f.anova
    assert a.loc["A", "sum_sq"] == pytest.approx(208.33, abs=0.005)
    assert a.loc["B", "sum_sq"] == pytest.approx(75.00, abs=0.005)
    assert a.loc["A:B", "sum_sq"] == pytest.approx(8.33, abs=0.005)
    assert a.loc["Residual", "sum_sq"] == pytest.approx(31.33, abs=0.005)
    assert a.loc["Residual", "df"] == 8
    assert a.loc["Total", "sum_sq"] == pytest.approx(323.00, abs=0.005)
    # hand: F_A = 208.33 / (31.33/8)
    assert a.loc["A", "F"] == pytest.approx((625 / 3) / (94 / 3 / 8), rel=1e-9)
    # full model on 4 distinct settings: no lack-of-fit df
    assert f.lack_of_fit is None and "lack-of-fit degrees of freedom" in f.lack_of_fit_reason
    # coefficient table: hand calculation, se = sqrt(MSE/12)
    mse = (94 / 3) / 8
    co = f.coefficients
    assert list(co.columns) == ["estimate", "std_error", "t", "p", "ci_low", "ci_high"]
    assert co.loc["A", "estimate"] == pytest.approx(25 / 6)
    assert co.loc["A", "std_error"] == pytest.approx(np.sqrt(mse / 12))
    q = stats.t.ppf(0.975, 8)
    assert co.loc["B", "ci_low"] == pytest.approx(-2.5 - q * np.sqrt(mse / 12))


def test_prediction_intervals_hand_calculation():
    """At a corner of the full 2^2 model the prediction is the cell mean with
    var = MSE/3 (confidence) and MSE (1 + 1/3) (prediction)."""
    d = pd.DataFrame({"A": [-1, 1, -1, 1] * 3, "B": [-1, -1, 1, 1] * 3,
                      "y": [28, 36, 18, 31, 25, 32, 19, 30, 27, 32, 23, 29]})
    f = fit(d, "y", "interactions")
    mse = (94 / 3) / 8
    q = stats.t.ppf(0.975, 8)
    new = pd.DataFrame({"A": [1.0], "B": [-1.0]})
    p = f.predict(new)
    assert list(p.columns) == ["prediction"]
    assert p["prediction"].iloc[0] == pytest.approx(100 / 3)
    c = f.predict(new, interval="confidence")
    assert list(c.columns) == ["prediction", "lower", "upper"]
    assert c["upper"].iloc[0] - 100 / 3 == pytest.approx(q * np.sqrt(mse / 3))
    pr = f.predict(new, interval="prediction")
    assert pr["upper"].iloc[0] - 100 / 3 == pytest.approx(q * np.sqrt(mse * (1 + 1 / 3)))
    assert f.predict({"A": [0.0], "B": [0.0]})["prediction"].iloc[0] == pytest.approx(np.mean(d["y"]))


def test_filtration_effects_montgomery_example_6_2():
    """Montgomery DAE 8th ed. Example 6.2 (Table 6.10): effect estimates of the 2^4."""
    f = fit(filtration(), "rate", "A*B*C*D")
    eff = f.effects["effect"]
    published = {"A": 21.625, "C": 9.875, "D": 14.625, "A:C": -18.125, "A:D": 16.625}
    for term, value in published.items():
        assert eff[term] == pytest.approx(value, abs=1e-9), term
    assert f.coefficients.loc["Intercept", "estimate"] == pytest.approx(70.0625)
    assert f.error_basis == "lenth"
    assert f.r2_pred is None and f.r2_adj is None


def test_filtration_lenth_hand_calculation():
    """Lenth (1989) on Example 6.2 by hand: |effects| median 2.625 -> s0 = 3.9375; the 10
    effects below 2.5 s0 = 9.84 have median 1.75 -> PSE = 2.625; d = 15/3 = 5;
    ME = t(0.975; 5) PSE; gamma = (1 + 0.95**(1/15))/2 for the SME."""
    f = fit(filtration(), "rate", "A*B*C*D")
    L = f.lenth
    assert L.s0 == pytest.approx(3.9375)
    assert L.pse == pytest.approx(2.625)
    assert L.df == pytest.approx(5.0)
    assert L.me == pytest.approx(stats.t.ppf(0.975, 5) * 2.625)
    assert L.sme == pytest.approx(stats.t.ppf((1 + 0.95 ** (1 / 15)) / 2, 5) * 2.625)
    hn = f.half_normal
    assert set(hn.loc[hn["active"], "term"]) == {"A", "C", "D", "A:C", "A:D"}
    assert hn["quantile"].iloc[0] == pytest.approx(stats.norm.ppf(0.5 + 0.5 * 0.5 / 15))
    assert hn["abs_effect"].is_monotonic_increasing
    par = f.pareto
    assert par["term"].iloc[0] == "A" and par["abs_t"].is_monotonic_decreasing
    # saturated fit: coefficient SE = PSE / 2, ANOVA F = t^2
    assert f.coefficients.loc["A", "std_error"] == pytest.approx(2.625 / 2)
    assert f.anova.loc["A", "F"] == pytest.approx((10.8125 / 1.3125) ** 2)
    red = f.reduce()
    assert red.terms == ["Intercept", "A", "C", "D", "A:C", "A:D"]
    assert red.error_basis == "residual" and red.df_resid == 10


def test_lenth_published_design_expert_solutions_8_1():
    """Montgomery solutions manual (8th ed.) Problem 8.1: Design-Expert Lenth ME 22.5856 and
    SME 54.0516 for the 2^(4-1) effects (Design-Expert's fractional-df t quantile differs in
    the 5th significant digit, hence rel=1e-4)."""
    d = pd.DataFrame({
        "A": [-1, 1, -1, 1, -1, 1, -1, 1], "B": [-1, -1, 1, 1, -1, -1, 1, 1],
        "C": [-1, -1, -1, -1, 1, 1, 1, 1],
        "y": [90, 72, 87, 83, 99, 81, 88, 80],  # (1), ad, bd, ab, cd, ac, bc, abcd
    })
    d["D"] = d["A"] * d["B"] * d["C"]
    f = fit(d, "y", "A + B + C + D + A:B + A:C + A:D")
    eff = f.effects["effect"].to_dict()
    assert eff == pytest.approx({"A": -12, "B": -1, "C": 4, "D": -1, "A:B": 6, "A:C": -1, "A:D": -5})
    assert f.lenth.pse == pytest.approx(6.0)
    assert f.lenth.me == pytest.approx(22.5856, rel=1e-4)
    assert f.lenth.sme == pytest.approx(54.0516, rel=1e-4)
    r = lenth(list(eff.values()))
    assert r.me == pytest.approx(f.lenth.me)


def test_filtration_centre_points_montgomery_example_6_6():
    """Montgomery DAE 8th ed. Table 6.24: reduced model with four centre points."""
    f = fit(filtration(center=True), "rate", "A + C + D + A:C + A:D")
    a = f.anova
    for src, ss in {"A": 1870.56, "C": 390.06, "D": 855.56, "A:C": 1314.06, "A:D": 1105.56,
                    "Model": 5535.81, "Curvature": 1.51, "Lack of fit": 195.12, "Pure error": 48.75,
                    "Total": 5781.20}.items():
        # printed to 2 decimals; lack of fit is exactly 195.125 (printed 195.12), so allow half a unit plus rounding
        assert a.loc[src, "sum_sq"] == pytest.approx(ss, abs=0.0051), src
    assert a.loc["Lack of fit", "df"] == 10 and a.loc["Pure error", "df"] == 3 and a.loc["Total", "df"] == 19
    c = f.curvature
    assert c.F == pytest.approx(0.081, abs=0.0005)
    assert c.p == pytest.approx(0.7809, abs=5e-5)
    assert c.mean_center == pytest.approx(70.75) and c.mean_factorial == pytest.approx(70.0625)
    lf = f.lack_of_fit
    assert lf.F == pytest.approx(1.20, abs=0.005)
    assert lf.p == pytest.approx(0.4942, abs=5e-5)
    assert lf.mean_sq == pytest.approx(19.51, abs=0.005)
    assert lf.pure_error_mean_sq == pytest.approx(16.25)


def test_curvature_and_lack_of_fit_montgomery_solutions_11_1():
    """Montgomery solutions manual (9th ed.) Problem 11.1: 2^2 + 4 centre points, first-order model."""
    d = pd.DataFrame({"temperature": [-225, -225, -215, -215, -220, -220, -220, -220],
                      "pressure_ratio": [1.1, 1.3, 1.1, 1.3, 1.2, 1.2, 1.2, 1.2],
                      "purity": [82.8, 83.5, 84.7, 85.0, 84.1, 84.5, 83.9, 84.3]})
    f = fit(d, "purity", "linear")
    assert f.coefficients.loc["temperature", "estimate"] == pytest.approx(0.85)
    assert f.coefficients.loc["pressure_ratio", "estimate"] == pytest.approx(0.25)
    assert f.curvature.sum_sq == pytest.approx(0.080)
    assert f.curvature.F == pytest.approx(1.33, abs=0.005)
    assert f.curvature.p == pytest.approx(0.3125, abs=5e-5)
    assert f.lack_of_fit.sum_sq == pytest.approx(0.040)
    assert f.lack_of_fit.F == pytest.approx(0.60)
    assert f.lack_of_fit.p == pytest.approx(0.4950, abs=5e-5)
    assert f.lack_of_fit.pure_error_sum_sq == pytest.approx(0.20) and f.lack_of_fit.pure_error_df == 3


def test_ccd_montgomery_example_11_2():
    """Montgomery DAE 8th ed. Example 11.2 (5th ed. Example 11-1): second-order model ANOVA."""
    f = fit(ccd_yield(), "yield", "quadratic", [Factor("A", -1, 1), Factor("B", -1, 1)])
    a = f.anova
    pub = {"Model": (28.25, 79.85), "A": (7.92, 111.93), "B": (2.12, 30.01), "A^2": (13.18, 186.22),
           "B^2": (6.97, 98.56), "A:B": (0.25, 3.53)}
    for src, (ss, F) in pub.items():
        assert a.loc[src, "sum_sq"] == pytest.approx(ss, abs=0.005), src
        assert a.loc[src, "F"] == pytest.approx(F, abs=0.005), src
    assert a.loc["A:B", "p"] == pytest.approx(0.1022, abs=5e-5)
    assert a.loc["Residual", "sum_sq"] == pytest.approx(0.50, abs=0.005) and a.loc["Residual", "df"] == 7
    assert a.loc["Residual", "mean_sq"] == pytest.approx(0.071, abs=0.0005)
    assert a.loc["Lack of fit", "sum_sq"] == pytest.approx(0.28, abs=0.005)
    assert a.loc["Lack of fit", "F"] == pytest.approx(1.78, abs=0.005)
    assert a.loc["Lack of fit", "p"] == pytest.approx(0.2897, abs=5e-5)
    assert a.loc["Pure error", "sum_sq"] == pytest.approx(0.21, abs=0.005)
    assert a.loc["Total", "sum_sq"] == pytest.approx(28.74, abs=0.005)
    assert f.curvature is None  # axial runs: not a two-level design with centre points
    assert f.effects.index.tolist() == ["A", "B", "A:B"]


def test_ccd_actual_units_optimum_montgomery_example_11_2():
    """Factors coded from declared ranges (axial 92.07 -> +1.414); predicted maximum 80.21
    at time 87, temperature 176.5 (published)."""
    f = fit(ccd_yield(coded=False), "yield", "quadratic",
            [Factor("time", 80, 90, "min"), Factor("temp", 170, 180, "degF")])
    assert f.coded["time"].max() == pytest.approx(1.414)
    assert f.predict({"time": [87.0], "temp": [176.5]})["prediction"].iloc[0] == pytest.approx(80.21, abs=0.005)


# --------------------------------------------------------------------------- independent checks
def test_r2_pred_press_against_leave_one_out():
    """PRESS from the hat matrix equals explicit leave-one-out refits (independent computation)."""
    d = ccd_yield()
    f = fit(d, "yield", "quadratic")
    X = f.X.to_numpy()
    y = d["yield"].to_numpy()
    press = 0.0
    for i in range(len(y)):
        m = np.arange(len(y)) != i
        b = np.linalg.lstsq(X[m], y[m], rcond=None)[0]
        press += (y[i] - X[i] @ b) ** 2
    sst = ((y - y.mean()) ** 2).sum()
    assert f.r2_pred == pytest.approx(1 - press / sst)
    assert f.r2 == pytest.approx(f.results.rsquared)
    assert f.r2_adj == pytest.approx(f.results.rsquared_adj)
    assert f.rmse == pytest.approx(np.sqrt(f.results.mse_resid))


def test_diagnostics_match_statsmodels_influence():
    d = ccd_yield()
    f = fit(d, "yield", "quadratic")
    infl = sm.OLS(d["yield"].to_numpy(), f.X.to_numpy()).fit().get_influence()
    dg = f.diagnostics
    assert list(dg.columns) == ["run_order", "actual", "fitted", "residual", "leverage", "studentized",
                                "studentized_external", "cooks_distance"]
    np.testing.assert_allclose(dg["leverage"], infl.hat_matrix_diag)
    np.testing.assert_allclose(dg["studentized"], infl.resid_studentized_internal)
    np.testing.assert_allclose(dg["studentized_external"], infl.resid_studentized_external)
    np.testing.assert_allclose(dg["cooks_distance"], infl.cooks_distance[0])
    assert dg["run_order"].tolist() == list(range(1, 14))


def test_run_order_column_is_not_a_factor():
    d = ccd_yield().assign(run=[5, 3, 1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13])
    f = fit(d, "yield", "quadratic", run_order="run")
    assert f.factor_names == ["A", "B"]
    assert f.diagnostics["run_order"].tolist()[:3] == [5, 3, 1]


def test_box_cox_matches_scipy_for_intercept_only_model():
    """Box & Cox (1964) profile likelihood: for a mean-only model scipy.stats.boxcox gives the
    same lambda and likelihood-ratio CI (independent implementation)."""
    y = np.array([3.1, 4.5, 2.2, 8.9, 5.5, 6.1, 12.0, 3.3, 4.4, 7.7, 2.9, 5.0])
    f = fit(pd.DataFrame({"x": np.arange(12.0), "y": y}), "y", "y ~ 1")
    bc = f.box_cox()
    _, lam, ci = stats.boxcox(y, alpha=0.05)
    assert bc.lam == pytest.approx(lam, abs=1e-5)
    assert bc.ci_low == pytest.approx(ci[0], abs=1e-5) and bc.ci_high == pytest.approx(ci[1], abs=1e-5)
    assert not bc.includes_one and bc.suggestion == "log"


def test_box_cox_suggests_log_for_multiplicative_noise_and_none_for_additive():
    rng = np.random.default_rng(3)
    x = np.tile([-1.0, -0.5, 0.0, 0.5, 1.0], 6)
    ylog = np.exp(1 + 1.5 * x + rng.normal(0, 0.15, x.size))
    assert fit(pd.DataFrame({"x": x, "y": ylog}), "y").box_cox().suggestion == "log"
    yadd = 10 + 2 * x + rng.normal(0, 0.3, x.size)
    bc = fit(pd.DataFrame({"x": x, "y": yadd}), "y").box_cox()
    assert bc.includes_one and bc.suggestion == "none" and "includes 1" in bc.message


def test_box_cox_reports_a_search_bound_as_a_bound():
    """y**5 linear in x: the likelihood keeps rising beyond lambda = 3, so lambda is reported as the
    bound with a note, not as an optimum (independent check: the profile is increasing at the end)."""
    x = np.tile([-1.0, -0.5, 0.0, 0.5, 1.0], 4)
    noise = np.repeat([-0.02, 0.01, 0.02, -0.01], 5)
    y = (3 + x + noise) ** (1 / 5)
    bc = fit(pd.DataFrame({"x": x, "y": y}), "y").box_cox()
    assert bc.at_bound and bc.lam == 3.0
    assert bc.profile["log_likelihood"].iloc[-1] > bc.profile["log_likelihood"].iloc[-2]
    assert "search bound" in bc.message and "not an optimum" in bc.note
    wide = fit(pd.DataFrame({"x": x, "y": y}), "y").box_cox(bounds=(-3, 8))
    assert not wide.at_bound and wide.note is None and 3 < wide.lam < 8
    with pytest.raises(InputError, match=r"bounds must satisfy low < 1 < high"):
        fit(pd.DataFrame({"x": x, "y": y}), "y").box_cox(bounds=(2, 3))


def test_infer_factors_responses_and_model_on_hand_tables():
    d = pd.DataFrame({"Run": range(1, 7), "block": [1, 1, 1, 2, 2, 2], "temp": [30, 42, 30, 42, 36, 36],
                      "ph": [6.8, 6.8, 7.2, 7.2, 7.0, 7.0], "titer": [410, 520, 395, 610, 480, 470],
                      "note": ["ok", "foam", "ok", "ok", "ok", "late"]})
    before = d.copy()
    assert infer_factors(d) == ["temp", "ph"]  # titer has 6 distinct values; Run/block are bookkeeping
    assert infer_factors(d, responses="temp") == ["ph"]
    assert infer_factors(d, max_levels=6) == ["temp", "ph", "titer"]
    assert infer_responses(d, ["temp", "ph"]) == ["titer"]
    assert supported_model(d, ["temp", "ph"]) == "interactions"  # 2^2 + centre: squares not separable
    ccd = ccd_yield()
    assert supported_model(ccd, ["A", "B"]) == "quadratic"
    pd.testing.assert_frame_equal(d, before)


def test_infer_factors_bad_input_names_column_and_row():
    d = pd.DataFrame({"temp": [30, 42, 30, "42 C", 36], "titer": [410, 520, 395, 610, 480]})
    with pytest.raises(InputError, match=r"column 'temp', row 4: expected a number, got '42 C'"):
        infer_factors(d, responses="titer")
    with pytest.raises(InputError, match=r"no factor columns found"):
        infer_factors(d.drop(columns="temp"), responses="titer")
    with pytest.raises(InputError, match=r"missing column 'yield'"):
        infer_factors(d, responses=["yield"])
    with pytest.raises(InputError, match=r"max_levels: expected an integer of at least 2"):
        infer_factors(d, max_levels=1)
    # a response with '<LOQ' stays a response, so fit names the row
    r = pd.DataFrame({"temp": [30, 42, 30, 42], "titer": [410, "<LOQ", 395, 610]})
    assert infer_responses(r, ["temp"]) == ["titer"]


def test_reduce_keeps_hierarchy():
    """A:B active, A and B inactive: with hierarchy A and B stay; without they go."""
    d = pd.DataFrame({**_std_order(3)})
    d = pd.concat([d, d], ignore_index=True)
    noise = np.array([0.1, -0.1, 0.05, -0.05, 0.0, 0.1, -0.1, 0.02] * 2) * np.repeat([1, -1], 8)
    d["y"] = 50 + 5 * d["A"] * d["B"] + noise
    f = fit(d, "y", "interactions")
    assert fit(d, "y", "interactions").reduce().terms == ["Intercept", "A", "B", "A:B"]
    assert f.reduce(hierarchy=False).terms == ["Intercept", "A:B"]


def test_aliased_terms_dropped_with_warning():
    """2^(3-1) with C = AB: the interactions model cannot separate A:B from C."""
    d = pd.DataFrame(_std_order(2))
    d["C"] = d["A"] * d["B"]
    d = pd.concat([d, d], ignore_index=True)
    d["y"] = [10, 14, 11, 19, 10.4, 13.8, 11.2, 18.6]
    with pytest.warns(AliasWarning, match=r"'A' = 'B:C'; 'B' = 'A:C'; 'C' = 'A:B'"):
        f = fit(d, "y", "interactions")
    assert "A:B" in f.dropped_terms and "A:B" not in f.coefficients.index
    assert f.aliases == {"A": ("B:C",), "B": ("A:C",), "C": ("A:B",)}
    assert not f.coefficients.isna().any().any()
    assert "dropped (aliased)" in f.summary() and "'C' = 'A:B'" in f.summary()


def test_negative_alias_and_linear_combination_are_named():
    """Hand cases: C = -AB gives the chain 'C' = -'A:B'; a factor set to the mean of two others is
    not an alias chain but a linear combination, and is reported as such."""
    d = pd.DataFrame(_std_order(2))
    d["C"] = -d["A"] * d["B"]
    d = pd.concat([d, d], ignore_index=True)
    d["y"] = [10, 14, 11, 19, 10.4, 13.8, 11.2, 18.6]
    with pytest.warns(AliasWarning, match=r"'C' = -'A:B'"):
        f = fit(d, "y", "C + A:B")
    assert f.aliases == {"C": ("-A:B",)} and f.terms == ["Intercept", "C"]
    # a third factor equal to the mean of the other two: a linear dependence, not a chain
    e = pd.DataFrame({"A": [-1, 1, -1, 1, 0, 0], "B": [-1, -1, 1, 1, 1, -1]})
    e["C"] = (e["A"] + e["B"]) / 2
    e["y"] = [1.0, 2.1, 2.9, 4.2, 3.1, 1.9]
    with pytest.warns(AliasWarning, match=r"0.5 'A' \+ 0.5 'B' = 'C'"):
        g = fit(e, "y", "linear", factors=[Factor("A", -1, 1), Factor("B", -1, 1), Factor("C", -1, 1)])
    assert g.dropped_terms == ("C",) and g.terms == ["Intercept", "A", "B"]


def _molding(center: list[float] | None = None) -> pd.DataFrame:
    d = pd.DataFrame({**_std_order(4)})
    d["E"] = d["A"] * d["B"] * d["C"]
    d["F"] = d["B"] * d["C"] * d["D"]
    d["shrinkage"] = [6, 10, 32, 60, 4, 15, 26, 60, 8, 12, 34, 60, 16, 5, 37, 52]
    if center:
        c = pd.DataFrame({k: [0] * len(center) for k in "ABCDEF"}).assign(shrinkage=center)
        d = pd.concat([d, c], ignore_index=True)
    return d


def test_fractional_factorial_interactions_model_montgomery_example_8_4():
    """Montgomery DAE 8th ed. Example 8.4: the 'interactions' model (22 coefficients, 16 runs) is fitted
    by keeping one term of each alias chain (7 chains of two-factor interactions: AB = CE, AC = BE, AD = EF,
    AE = BC = DF, AF = DE, BD = CF, BF = CD).  The term kept is chosen by effect heredity (the member whose
    main effects are all large; here B (35.6) is larger than A (13.9), so BC = AE = DF is represented by B:C),
    then by name - never by the column order."""
    with pytest.warns(AliasWarning) as rec:
        f = fit(_molding(), "shrinkage", "interactions")
    msg = str(rec[0].message)
    chains = {frozenset(c.replace("'", "").split(" = ")) for c in f.alias_chains}
    for chain in ("A:B = C:E", "A:C = B:E", "A:D = E:F", "A:E = B:C = D:F", "A:F = D:E", "B:D = C:F", "B:F = C:D"):
        assert frozenset(chain.split(" = ")) in chains, chain
    assert "'B:C' = 'A:E' = 'D:F'" in msg and f.aliases["B:C"] == ("A:E", "D:F")
    assert f.terms == ["Intercept", "A", "B", "C", "D", "E", "F", "A:B", "A:C", "A:D", "A:F", "B:C", "B:D", "C:D"]
    # the same chains and terms whatever the column order
    d = _molding()
    with pytest.warns(AliasWarning):
        g = fit(d[["F", "E", "D", "C", "B", "A", "shrinkage"]], "shrinkage", "interactions")
    key = lambda ts: {frozenset(t.split(":")) for t in ts}  # noqa: E731
    assert key(g.terms) == key(f.terms) and key(g.dropped_terms) == key(f.dropped_terms)
    assert len(f.dropped_terms) == 8 and f.df_resid == 2
    co = f.coefficients["estimate"]
    # published fitted model (Montgomery Example 8.4; Montgomery & Runger Example 14-8)
    assert co["Intercept"] == pytest.approx(27.3125)
    assert co["A"] == pytest.approx(6.9375) and co["B"] == pytest.approx(17.8125)
    assert co["A:B"] == pytest.approx(5.9375)
    eff = f.effects["effect"]
    assert eff["A"] == pytest.approx(13.875) and eff["B"] == pytest.approx(35.625) and eff["A:B"] == pytest.approx(11.875)
    # hand: the A:D chain contrast (A*D column) / 8
    d = _molding()
    assert eff["A:D"] == pytest.approx(float((d["A"] * d["D"] * d["shrinkage"]).sum()) / 8)


def test_lenth_with_centre_points_hand_calculation_example_8_4():
    """Lenth on the 13 effects of Example 8.4 by hand: |effects| sorted .125 .125 .375 .375 .625 .875
    1.375 1.625 1.875 5.375 11.875 13.875 35.625 -> median 1.375, s0 = 2.0625; the 9 below 2.5 s0 =
    5.156 have median .625 -> PSE = 0.9375, d = 13/3.  Adding four centre runs (values made up)
    changes neither the effects nor Lenth, and no refit is needed."""
    with pytest.warns(AliasWarning):
        f = fit(_molding(), "shrinkage", "interactions")
    with pytest.warns(AliasWarning):
        g = fit(_molding(center=[27, 30, 25, 28]), "shrinkage", "interactions")
    for fitted in (f, g):
        L = fitted.lenth
        assert L is not None and L.m == 13
        assert L.s0 == pytest.approx(2.0625)
        assert L.pse == pytest.approx(0.9375)
        assert L.df == pytest.approx(13 / 3)
        assert L.me == pytest.approx(stats.t.ppf(0.975, 13 / 3) * 0.9375)
        assert L.sme == pytest.approx(stats.t.ppf((1 + 0.95 ** (1 / 13)) / 2, 13 / 3) * 0.9375)
    pd.testing.assert_series_equal(f.effects["effect"], g.effects["effect"])
    hn = g.half_normal
    assert set(hn.loc[hn["active"], "term"]) == {"A", "B", "A:B", "A:D"}  # |effect| > ME = 2.53
    assert g.curvature is not None and g.curvature.n_center == 4 and g.df_resid == 6
    # axial runs: not a two-level design, no Lenth
    assert fit(ccd_yield(), "yield", "quadratic").lenth is None


def test_reduced_fit_keeps_alias_chains():
    with pytest.warns(AliasWarning):
        f = fit(_molding(center=[27, 30, 25, 28]), "shrinkage", "interactions")
    r = f.reduce(alpha=0.05)
    assert "A:B" in r.terms and r.aliases["A:B"] == ("C:E",)
    assert all(k in r.terms for k in r.aliases)


def test_categorical_factor_from_text_column():
    d = pd.DataFrame({"resin": ["AAVX", "AAV9"] * 4, "load": [1, 1, 2, 2] * 2,
                      "yield_pct": [70, 75, 68, 74, 71, 76, 67, 73]})
    f = fit(d, "yield_pct", "linear")
    assert f.factor("resin").kind == "categorical"
    # levels sorted: AAV9 -> -1, AAVX -> +1; AAVX is 5 lower on average
    assert f.effects.loc["resin", "effect"] == pytest.approx(-5.5)
    assert f.predict({"resin": ["AAV9"], "load": [1.5]})["prediction"].iloc[0] == pytest.approx(74.5)


def test_summary_and_repr_readable():
    f = fit(filtration(center=True), "rate", "A + C + D + A:C + A:D")
    s = repr(f)
    assert "DoE fit of 'rate'" in s and "Lack of fit" in s and "curvature" in s and "R2 pred" in s
    assert isinstance(f, DoEFit)


def test_does_not_modify_input():
    d = ccd_yield(coded=False)
    before = d.copy()
    fit(d, "yield", "quadratic", [Factor("time", 80, 90), Factor("temp", 170, 180)])
    pd.testing.assert_frame_equal(d, before)


# --------------------------------------------------------------------------- bad input
def test_bad_response_loq_text_names_column_and_row():
    d = ccd_yield().astype({"yield": object})
    d.loc[3, "yield"] = "<LOQ"
    with pytest.raises(InputError, match=r"column 'yield', row 4: expected a number, got '<LOQ'"):
        fit(d, "yield", "quadratic")


def test_missing_factor_column():
    with pytest.raises(InputError, match=r"missing column 'C'"):
        fit(ccd_yield(), "yield", "linear", ["A", "C"])
    with pytest.raises(InputError, match=r"missing column 'temp'"):
        fit(ccd_yield(), "yield", "linear", [Factor("A", -1, 1), Factor("temp", 170, 180)])


def test_constant_factor_is_an_error():
    d = ccd_yield().assign(C=5.0)
    with pytest.raises(InputError, match=r"column 'C': the factor is held constant at 5"):
        fit(d, "yield", "linear")
    with pytest.raises(InputError, match=r"column 'C': the factor is held constant"):
        fit(d, "yield", "linear", [Factor("A", -1, 1), Factor("C", 0, 10)])


def test_more_terms_than_runs():
    """2^(4-1) (D = ABC): 'interactions' asks for 11 coefficients from 8 runs; the three aliased
    interactions are dropped first, leaving a saturated two-level fit (Lenth errors).  Without an
    orthogonal two-level design the error names both counts."""
    d = pd.DataFrame(_std_order(3))
    d["D"] = d["A"] * d["B"] * d["C"]
    d["y"] = [90, 72, 87, 83, 99, 81, 88, 80]
    with pytest.warns(AliasWarning, match=r"'A:B' = 'C:D'"):
        f = fit(d, "y", "interactions")
    assert len(f.terms) == 8 and f.error_basis == "lenth" and f.df_resid == 0
    e = pd.DataFrame({"A": [0.0, 1, 2, 3], "B": [0.0, 2, 1, 3], "y": [1.0, 2.0, 2.5, 4.0]})
    with pytest.warns(AliasWarning), \
            pytest.raises(InputError, match=r"6 coefficients requested, 2 of them aliased, so 4 remain\) uses all 4 runs"):
        fit(e, "y", "quadratic")


def test_out_of_range_factor_value_names_row():
    d = ccd_yield(coded=False)
    d.loc[6, "temp"] = 1750.0  # typing error
    with pytest.raises(InputError, match=r"column 'temp', row 7: value\(s\) 1750 lie more than 2 coded units"):
        fit(d, "yield", "quadratic", [Factor("time", 80, 90), Factor("temp", 170, 180)])


def test_unknown_categorical_level_names_row():
    d = pd.DataFrame({"resin": ["AAVX", "AAV9", "AAVX", "POROS"], "y": [1.0, 2.0, 1.1, 2.2]})
    with pytest.raises(InputError, match=r"column 'resin', row 4: level\(s\) \['POROS'\]"):
        fit(d, "y", "linear", [Factor("resin", levels=["AAVX", "AAV9"])])


def test_saturated_non_orthogonal_fit_and_interval_errors():
    d = pd.DataFrame({"x": [0.0, 1.0, 3.0], "y": [1.0, 2.0, 5.0]})
    with pytest.raises(InputError, match=r"no residual degrees of freedom"):
        fit(d, "y", "quadratic")
    f = fit(filtration(), "rate", "A*B*C*D")
    with pytest.raises(InputError, match=r"no residual degrees of freedom"):
        f.predict({"A": [0], "B": [0], "C": [0], "D": [0]}, interval="confidence")
    with pytest.raises(InputError, match=r"interval must be None, 'confidence' or 'prediction'"):
        f.predict({"A": [0], "B": [0], "C": [0], "D": [0]}, interval="tolerance")


def test_predict_missing_column_and_box_cox_nonpositive():
    f = fit(ccd_yield(), "yield", "quadratic")
    with pytest.raises(InputError, match=r"new settings: missing column 'B'"):
        f.predict({"A": [0.0]})
    d = pd.DataFrame({"x": [-1.0, 0, 1, -1, 0, 1], "y": [1.0, 0.0, 2.0, 1.1, 0.2, -0.5]})
    with pytest.raises(InputError, match=r"column 'y', rows 2, 6: Box-Cox needs positive responses"):
        fit(d, "y").box_cox()


def test_response_listed_as_factor_and_bad_model():
    with pytest.raises(InputError, match=r"'yield' is the response column"):
        fit(ccd_yield(), "yield", "linear", ["A", "yield"])
    with pytest.raises(InputError, match=r"unknown factor 'Z'"):
        fit(ccd_yield(), "yield", "A + Z")
    with pytest.raises(InputError, match=r"expected a pandas DataFrame"):
        fit([1, 2, 3], "yield")


def test_plots_build_for_saturated_and_response_surface_fits():
    """Smoke test of pdkit.plots.doe (figures build and serialise)."""
    from bokeh.embed import json_item

    from pdkit.doe.optimize import design_space, robust_set_point
    from pdkit.plots import doe as P

    f = fit(ccd_yield(coded=False), "yield", "quadratic",
            [Factor("time", 80, 90, "min"), Factor("temp", 170, 180, "degF")])
    fs = fit(filtration(), "rate", "A*B*C*D")
    space = design_space(f, {"yield": (79.5, None)}, n_draws=200, grid=12, seed=1)
    figs = [P.half_normal_plot(fs), P.pareto_plot(fs), P.pareto_plot(f, by="effect"), P.residual_plots(f),
            P.residual_plots(fs), P.profiler(f, {"time": 87}), P.contour_plot(f, "time", "temp"),
            P.design_space_plot(space, 0.8, set_point=robust_set_point(space, tolerance=0.05))]
    for g in figs:
        json_item(g)
    with pytest.raises(InputError, match="by must be 't' or 'effect'"):
        P.pareto_plot(f, by="p")


# ----------------------------------------------------------------------------- blocks
MONTGOMERY_6_1 = pd.DataFrame({"A": [-1, 1, -1, 1] * 3, "B": [-1, -1, 1, 1] * 3,
                               "y": [28, 36, 18, 31, 25, 32, 19, 30, 27, 32, 23, 29],
                               "block": [1] * 4 + [2] * 4 + [3] * 4})


def test_blocks_montgomery_example_7_1():
    """Montgomery, DAE 8th ed., Example 7.1 / Table 7.2: the 2^2 chemical-process experiment of
    Example 6.1 with each replicate run as a block.  Blocks SS 6.50 (2 df), A 208.33, B 75.00,
    AB 8.33, error 24.84 (6 df; 24.83 exactly: the table subtracts rounded sums), total 323.00;
    F(A) = 50.32 with MS_E rounded to 4.14 (50.34 unrounded)."""
    f = fit(MONTGOMERY_6_1, "y", "interactions", factors=["A", "B"], block="block")
    a = f.anova
    assert a.loc["Block", "sum_sq"] == pytest.approx(6.50, abs=0.005) and a.loc["Block", "df"] == 2
    assert a.loc["A", "sum_sq"] == pytest.approx(208.33, abs=0.005)
    assert a.loc["B", "sum_sq"] == pytest.approx(75.00, abs=0.005)
    assert a.loc["A:B", "sum_sq"] == pytest.approx(8.33, abs=0.005)
    assert a.loc["Residual", "sum_sq"] == pytest.approx(24.833, abs=0.001) and a.loc["Residual", "df"] == 6
    assert a.loc["Total", "sum_sq"] == pytest.approx(323.00, abs=0.005)
    assert a.loc["A", "F"] == pytest.approx(208.333 / (24.8333 / 6), rel=1e-4)
    assert a.loc["A", "F"] == pytest.approx(50.32, abs=0.05)
    # orthogonal blocks: the same effects as without blocks (Example 6.1)
    assert f.effects["effect"].round(2).to_dict() == {"A": 8.33, "B": -5.0, "A:B": 1.67}
    # hand check: block totals 113, 106, 111 -> block effects = block mean - grand mean
    assert f.block_effects["estimate"].round(4).tolist() == [113 / 4 - 27.5, 106 / 4 - 27.5, 111 / 4 - 27.5]
    assert f.df_resid == 6 and f.block_column == "block"
    # R2 on the SS left after the blocks (Design-Expert): 1 - 24.833 / (323 - 6.5)
    assert f.r2 == pytest.approx(1 - 24.8333 / 316.5, rel=1e-6)
    # a prediction is for the average block: the unblocked model's prediction
    unblocked = fit(MONTGOMERY_6_1.drop(columns="block"), "y", "interactions")
    new = {"A": [1.0, -0.5], "B": [1.0, 0.2]}
    assert np.allclose(f.predict(new)["prediction"], unblocked.predict(new)["prediction"])
    ci = f.predict(new, interval="confidence")
    assert (ci["lower"] < ci["prediction"]).all() and (ci["prediction"] < ci["upper"]).all()


def test_blocks_match_statsmodels_formula_with_sum_coding():
    """A non-orthogonal case (unequal blocks, a quadratic model): coefficients, residual SS and
    every partial SS equal statsmodels' OLS with C(block, Sum) and its Type III ANOVA."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    x1 = rng.choice([-1.0, 0.0, 1.0], 23)
    x2 = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], 23)
    blk = np.array(["d1"] * 7 + ["d2"] * 9 + ["d3"] * 7)
    y = 10 + 2 * x1 - x2 + 1.5 * x1 * x2 - 2 * x1 ** 2 + np.select([blk == "d2", blk == "d3"], [1.0, -0.7], 0.0) \
        + rng.normal(0, 0.3, 23)
    d = pd.DataFrame({"x1": x1, "x2": x2, "day": blk, "y": y})
    f = fit(d, "y", "quadratic", factors=[Factor("x1", -1, 1), Factor("x2", -1, 1)], block="day")
    ref = smf.ols("y ~ C(day, Sum) + x1 + x2 + x1:x2 + I(x1**2) + I(x2**2)", data=d).fit()
    assert f.params["x1"] == pytest.approx(ref.params["x1"], rel=1e-9)
    assert f.params["x1:x2"] == pytest.approx(ref.params["x1:x2"], rel=1e-9)
    assert f.params["x1^2"] == pytest.approx(ref.params["I(x1 ** 2)"], rel=1e-9)
    assert f.params["Intercept"] == pytest.approx(ref.params["Intercept"], rel=1e-9)
    assert f.anova.loc["Residual", "sum_sq"] == pytest.approx(ref.ssr, rel=1e-9)
    aov = sm.stats.anova_lm(ref, typ=3)
    assert f.anova.loc["Block", "sum_sq"] == pytest.approx(aov.loc["C(day, Sum)", "sum_sq"], rel=1e-8)
    assert f.anova.loc["x1^2", "sum_sq"] == pytest.approx(aov.loc["I(x1 ** 2)", "sum_sq"], rel=1e-8)
    assert f.anova.loc["Block", "p"] == pytest.approx(aov.loc["C(day, Sum)", "PR(>F)"], rel=1e-6)
    se = pd.Series(np.sqrt(np.diag(f.cov_params)), index=f.params.index)
    assert se["x2"] == pytest.approx(ref.bse["x2"], rel=1e-9)
    assert f.block_effects.loc["d3", "estimate"] == pytest.approx(-ref.params.filter(like="C(day").sum(), rel=1e-9)
    # diagnostics and reduction keep the blocks
    assert np.allclose(f.diagnostics["fitted"], ref.fittedvalues)
    r = f.reduce(alpha=0.05)
    assert r.block_column == "day" and "Block" in r.anova.index


def test_term_confounded_with_blocks_is_dropped():
    """2^3 in two blocks confounded with ABC (Montgomery, DAE 8th ed., section 7.4): ABC cannot be
    estimated apart from the blocks, so it is dropped with the chain 'Block' = -'A:B:C'."""
    g = np.array([[a, b, c] for c in (-1, 1) for b in (-1, 1) for a in (-1, 1)], dtype=float)
    d = pd.DataFrame(np.vstack([g, g]), columns=list("ABC"))
    d["block"] = np.where(d.prod(axis=1) > 0, 2, 1)
    d["y"] = 5 + d["A"] + 0.5 * d["B"] + 0.1 * np.arange(16) % 3
    with pytest.warns(AliasWarning, match="'Block' = -'A:B:C'"):
        f = fit(d, "y", "A + B + C + A:B + A:C + B:C + A:B:C", factors=list("ABC"), block="block")
    assert "A:B:C" in f.dropped_terms and "A:B:C" not in f.terms


def test_single_block_is_ignored_with_a_note():
    d = MONTGOMERY_6_1.assign(block=1)
    f = fit(d, "y", "interactions", factors=["A", "B"], block="block")
    assert f.block_column is None and f.X_blocks is None and "Block" not in f.anova.index
    assert any("single block" in n for n in f.notes)


def test_block_column_errors():
    with pytest.raises(InputError, match="column 'day'"):
        fit(MONTGOMERY_6_1, "y", "interactions", factors=["A", "B"], block="day")
    with pytest.raises(InputError, match="is also given as a factor"):
        fit(MONTGOMERY_6_1, "y", "linear", factors=["A", "B", "block"], block="block")
    bad = MONTGOMERY_6_1.astype({"block": object})
    bad.loc[3, "block"] = None
    with pytest.raises(InputError, match="column 'block', row 4: block is missing"):
        fit(bad, "y", "interactions", factors=["A", "B"], block="block")


def test_blocked_fit_in_optimiser_design_space_and_explorer():
    """The optimiser, the design space and the explorer's engine use the model terms of a blocked
    fit with the blocks' share of the uncertainty: the design-space probability matches the exact
    posterior predictive t with q = s sqrt(1 + x0' V x0), V = (X'X)^-1 of the full fit
    (blocks included) restricted to the model terms."""
    from pdkit.doe.optimize import design_space, maximize_desirability
    from pdkit.explorer import ProfileEngine

    d = MONTGOMERY_6_1.assign(block=[1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3])  # not orthogonal to A
    f = fit(d, "y", "interactions", factors=["A", "B"], block="block")
    Xf = np.column_stack([f.X.to_numpy(), f.X_blocks.to_numpy()])
    V = np.linalg.inv(Xf.T @ Xf)[:4, :4]
    assert np.allclose(f.xtx_inv, V) and not np.allclose(V, np.linalg.inv(f.X.T @ f.X))
    assert np.allclose(f.cov_params, f.rmse ** 2 * V)
    best = maximize_desirability({"y": f}, {"y": ("maximize", 20.0, 40.0)}, seed=1)
    assert best.settings["A"] == pytest.approx(1.0, abs=1e-4) and best.settings["B"] == pytest.approx(-1.0, abs=1e-4)
    lo, n = 30.0, 40000
    ds = design_space({"y": f}, {"y": (lo, None)}, n_draws=n, seed=3, grid={"A": [0.5, 1.0], "B": [-1.0]})
    for av in (0.5, 1.0):
        x0 = np.array([1.0, av, -1.0, -av])
        m = x0 @ f.params.to_numpy()
        q = f.rmse * np.sqrt(1 + x0 @ V @ x0)
        exact = stats.t.sf((lo - m) / q, f.df_resid)
        mc = float(ds.sel(A=av, B=-1.0))
        assert mc == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / n) + 1e-3)
    engine = ProfileEngine({"y": f})
    pred, lower, upper = engine.evaluate({"A": np.array([1.0]), "B": np.array([-1.0])})["y"]
    ref = f.predict({"A": [1.0], "B": [-1.0]}, interval="confidence")
    assert pred[0] == pytest.approx(ref["prediction"].iloc[0])
    assert lower[0] == pytest.approx(ref["lower"].iloc[0]) and upper[0] == pytest.approx(ref["upper"].iloc[0])


# --------------------------------------------------------------------------- formula syntax (formulaic)
def _montgomery_6_2():
    return pd.DataFrame({"A": [-1, 1, -1, 1] * 3, "B": [-1, -1, 1, 1] * 3,
                         "y": [28, 36, 18, 31, 25, 32, 19, 30, 27, 32, 23, 29]})


def test_formula_full_syntax_expansions():
    """Wilkinson-Rogers syntax (formulaic): (A+B+C)**2 = main effects + all two-factor interactions;
    A*B - A:B = A + B; A^2, I(A**2) and {A**2} are the same square (Montgomery DAE 8th ed. 6.2 and 11.1
    write the models in this notation)."""
    from pdkit.doe.model import model_terms

    fs = [Factor("A", 0, 1), Factor("B", 0, 1), Factor("C", 0, 1)]
    assert model_terms("y ~ (A+B+C)**2", fs) == model_terms("interactions", fs)
    assert model_terms("y ~ A*B - A:B", fs) == ["Intercept", "A", "B"]
    assert model_terms("A + A^2", fs) == model_terms("A + I(A**2)", fs) == model_terms("A + {A**2}", fs) \
        == ["Intercept", "A", "A^2"]
    assert model_terms("A*B*C - A:B:C", fs) == model_terms("interactions", fs)
    with pytest.raises(InputError, match="without an intercept"):
        model_terms("y ~ A + B - 1", fs)  # designs and evaluation: the intercept is required
    assert model_terms("y ~ A + B - 1", fs, allow_no_intercept=True) == ["A", "B"]
    assert model_terms("y ~ 0 + (A+B)**2", fs, allow_no_intercept=True) == ["A", "B", "A:B"]
    with pytest.raises(InputError, match="no model terms"):
        model_terms("y ~ 0", fs, allow_no_intercept=True)
    with pytest.raises(InputError, match="cannot parse"):
        model_terms("y ~ A +", fs)
    with pytest.raises(InputError, match="unknown factor 'D'"):
        model_terms("y ~ A + D", fs)


def test_formula_lhs_is_the_response():
    """Montgomery DAE 8th ed. section 6.2 (2^2, 3 replicates): effects A = 8.33, B = -5.00, AB = 1.67 with the
    response taken from the formula's left-hand side; a different response is an error."""
    d = _montgomery_6_2()
    f = fit(d, None, "y ~ A*B")
    assert f.response == "y"
    assert f.effects["effect"].round(2).to_dict() == {"A": 8.33, "B": -5.0, "A:B": 1.67}
    assert fit(d, "y", "y ~ (A + B)**2").terms == f.terms
    with pytest.raises(InputError, match="left-hand side 'z' is not the response 'y'"):
        fit(d, "y", "z ~ A + B")
    with pytest.raises(InputError, match="left-hand side must be one response column"):
        fit(d, "y", "log(y) ~ A + B")
    with pytest.raises(InputError, match=r"A\*B - A:B|response"):
        fit(d, None, "A*B - A:B")


def test_formula_squares_and_odd_names():
    """Hand check of the conventions: 'A^2' and 'I(A**2)' are squares (also for names that need quoting in
    formula syntax, e.g. 'pH-set'); a bare 'A**2' or 'A^3' would silently be A in Wilkinson notation, so it
    is an error."""
    from pdkit.doe.model import model_terms

    fs = [Factor("pH-set", 6, 8), Factor("temp", 30, 37)]
    assert model_terms("pH-set*temp + pH-set^2", fs) == ["Intercept", "pH-set", "temp", "pH-set:temp", "pH-set^2"]
    for bad in ("temp + temp**2", "temp^3", "pH-set^3"):
        with pytest.raises(InputError, match="raises one term to a power"):
            model_terms(bad, fs)


# --------------------------------------------------------------------------- no intercept ('- 1', '+ 0')
def _no_intercept_data():
    rng = np.random.default_rng(7)
    A = np.tile([-1.0, 1.0, -1.0, 1.0, 0.0, 0.5], 3)
    B = np.tile([-1.0, -1.0, 1.0, 1.0, 0.0, -0.5], 3)
    y = 1.5 + 2.0 * A - 1.0 * B + 0.7 * A * B + 0.4 * A**2 + rng.normal(0, 0.3, A.size)
    return pd.DataFrame({"A": A, "B": B, "y": y})


def test_no_intercept_matches_statsmodels_ols_without_constant():
    """statsmodels OLS(y, X) without a constant on the same coded model matrix: coefficients, standard
    errors, uncentred R2 (rsquared with hasconst=False) and its adjusted value, residual df, F; the ANOVA
    Model and Total rows lose no df to an intercept; PRESS R2 uses the same uncentred total."""
    d = _no_intercept_data()
    fs = [Factor("A", -1, 1), Factor("B", -1, 1)]
    f = fit(d, "y", "y ~ (A + B)**2 + A^2 - 1", factors=fs)
    assert f.terms == ["A", "B", "A:B", "A^2"] and "Intercept" not in f.coefficients.index
    assert not f.has_intercept
    X = f.X.to_numpy()
    y = d["y"].to_numpy()
    ref = sm.OLS(y, X, hasconst=False).fit()
    assert np.allclose(f.params.to_numpy(), ref.params)
    assert np.allclose(f.coefficients["std_error"].to_numpy(), ref.bse)
    assert np.allclose(f.coefficients["p"].to_numpy(), ref.pvalues)
    assert f.df_resid == int(ref.df_resid) == len(d) - 4
    assert f.r2 == pytest.approx(ref.rsquared) and f.r2 == pytest.approx(1 - ref.ssr / float(y @ y))
    assert f.r2_adj == pytest.approx(ref.rsquared_adj)
    assert f.r2 == pytest.approx(sm.OLS(y, X).fit().rsquared)  # statsmodels' default also finds no constant
    a = f.anova
    assert a.loc["Model", "df"] == 4 and a.loc["Total", "df"] == len(d)
    assert a.loc["Total", "sum_sq"] == pytest.approx(float(y @ y))
    assert a.loc["Model", "sum_sq"] == pytest.approx(ref.ess) and a.loc["Model", "F"] == pytest.approx(ref.fvalue)
    assert a.loc["Residual", "sum_sq"] == pytest.approx(ref.ssr)
    h = ref.get_influence().hat_matrix_diag
    press = float(((ref.resid / (1 - h)) ** 2).sum())
    assert f.r2_pred == pytest.approx(1 - press / float(y @ y))
    for t in ("A", "A:B"):  # partial SS of a one-column term = t^2 * MSE
        assert a.loc[t, "sum_sq"] == pytest.approx(ref.tvalues[f.terms.index(t)] ** 2 * ref.mse_resid)
    assert any("uncentred" in n for n in f.notes) and "(no intercept)" in f.summary()
    assert f.curvature is None and f.lenth is None
    # lack of fit: three replicates of 6 settings, 6 - 4 = 2 lack-of-fit df
    assert f.lack_of_fit.df == 2 and f.lack_of_fit.pure_error_df == 12
    g = y - f.diagnostics["fitted"].to_numpy()
    assert f.lack_of_fit.sum_sq + f.lack_of_fit.pure_error_sum_sq == pytest.approx(float(g @ g))
    # prediction and intervals as statsmodels
    pr = f.predict({"A": [0.3], "B": [-0.2]}, interval="prediction", alpha=0.1)
    x0 = np.array([[0.3, -0.2, -0.06, 0.09]])
    sf = ref.get_prediction(x0).summary_frame(alpha=0.1)
    assert pr["prediction"].iloc[0] == pytest.approx(sf["mean"].iloc[0])
    assert pr["lower"].iloc[0] == pytest.approx(sf["obs_ci_lower"].iloc[0])
    assert f.effects["effect"].to_dict() == pytest.approx((2 * f.params.drop("A^2")).to_dict())
    assert len(f.half_normal) == 3 and len(f.pareto) == 4
    assert np.allclose(f.diagnostics["leverage"], h)


def test_no_intercept_hand_calculation_through_origin():
    """Regression through the origin by hand (4 runs): slope = sum(xy)/sum(x^2) = 32/10 = 3.2,
    SSE = sum(y^2) - slope * sum(xy) = 103 - 102.4 = 0.6 on 3 df, se = sqrt(0.6/3 / 10),
    uncentred R2 = 102.4/103.  With the range symmetric about 0 the coded slope is half_range x 3.2."""
    d = pd.DataFrame({"x": [-2.0, -1.0, 1.0, 2.0], "y": [-6.0, -3.0, 3.0, 7.0]})
    f = fit(d, "y", "y ~ x - 1", factors=[Factor("x", -2, 2)])
    assert f.params["x"] / 2 == pytest.approx(3.2)
    assert f.coefficients.loc["x", "std_error"] / 2 == pytest.approx(np.sqrt(0.6 / 3 / 10))
    assert f.anova.loc["Residual", "sum_sq"] == pytest.approx(0.6) and f.df_resid == 3
    assert f.r2 == pytest.approx(102.4 / 103)
    assert f.r2_adj == pytest.approx(1 - (0.6 / 3) / (103 / 4))
    assert f.predict({"x": [0.0]})["prediction"].iloc[0] == pytest.approx(0.0)
    # the last term of a model without an intercept is never removed; no intercept is ever "dropped"
    assert f.reduce(alpha=1e-12).terms == ["x"]


def test_no_intercept_minus_one_and_plus_zero_agree():
    d = _no_intercept_data()
    f1 = fit(d, "y", "y ~ A + B - 1")
    f2 = fit(d, "y", "y ~ 0 + A + B")
    f3 = fit(d, None, "y ~ A + B + 0")
    assert f1.terms == f2.terms == f3.terms == ["A", "B"]
    assert np.allclose(f1.params, f2.params) and np.allclose(f1.params, f3.params)
    assert f1.r2 == pytest.approx(f2.r2)
    with pytest.raises(InputError, match="left-hand side 'z' is not the response 'y'"):
        fit(d, "y", "z ~ A + B - 1")


def test_no_intercept_reduce_refusals_and_other_features():
    """reduce() keeps the fit without an intercept (never tries to drop one); saturated fits and block
    effects are refused with one-line messages; the fit with an intercept is unchanged."""
    from pdkit.doe.optimize import design_space, desirability, maximize_desirability
    from pdkit.explorer import ProfileEngine

    d = _no_intercept_data()
    f = fit(d, "y", "y ~ A*B - 1")
    r = f.reduce(alpha=0.05)
    assert "Intercept" not in r.terms and not r.has_intercept and set(r.terms) <= {"A", "B", "A:B"}
    assert r.r2 == pytest.approx(1 - r.anova.loc["Residual", "sum_sq"] / float(d["y"] @ d["y"]))
    with_int = fit(d, "y", "y ~ A*B")
    assert with_int.terms[0] == "Intercept" and with_int.has_intercept
    assert not any("uncentred" in n for n in with_int.notes)
    sat = d.iloc[[0, 1, 2]]
    with pytest.raises(InputError, match=r"without an intercept uses all 3 runs.*Lenth"):
        fit(sat, "y", "y ~ A + B + A:B - 1", factors=[Factor("A", -1, 1), Factor("B", -1, 1)])
    with pytest.raises(InputError, match="cannot have a block effect"):
        fit(d.assign(day=[1, 2] * 9), "y", "y ~ A + B - 1", block="day")
    # optimiser, desirability, design space and the explorer use the model columns as they are
    best = maximize_desirability({"y": f}, {"y": ("maximize", 0.0, 6.0)}, seed=1)
    assert best.predicted["y"] == pytest.approx(f.predict(best.settings)["prediction"].iloc[0], rel=1e-6)
    D = desirability({"y": f}, {"y": ("maximize", 0.0, 6.0)})
    assert np.isfinite(D.overall({"A": [0.0, 1.0], "B": [0.0, -1.0]})).all()
    ds = design_space({"y": f}, {"y": (0.5, None)}, n_draws=2000, seed=3, grid={"A": [0.0, 1.0], "B": [-1.0]})
    assert float(ds.sel(A=0.0, B=-1.0)) < float(ds.sel(A=1.0, B=-1.0))
    pred, lower, upper = ProfileEngine({"y": f}).evaluate({"A": np.array([0.4]), "B": np.array([-0.3])})["y"]
    ref = f.predict({"A": [0.4], "B": [-0.3]}, interval="confidence")
    assert pred[0] == pytest.approx(ref["prediction"].iloc[0])
    assert lower[0] == pytest.approx(ref["lower"].iloc[0]) and upper[0] == pytest.approx(ref["upper"].iloc[0])
    two = d[d["A"].abs() == 1]  # A^2 = 1 on a two-level design: a constant column, named in a note
    assert any("span a constant" in n for n in fit(two, "y", "y ~ A + A^2 - 1").notes)
    bc_d = d.assign(y=d["y"] + 10)
    assert fit(bc_d, "y", "y ~ A + B - 1").box_cox().profile.shape[0] == 121


def test_lenth_pse_zero_declares_nothing_active_and_says_why():
    """Issue 17 item 6. A noise-free 2^3 response y = 10 + 4 A: six of the seven effects are exactly zero
    (up to rounding), so Lenth's PSE = 1.5 median(...) = 0 (Lenth 1989's formula, by hand). There is no scale:
    no effect is declared active (not even A, nor the zeros), a note says why, and the saturated fit has no
    infinite t statistics."""
    from pdkit.doe.analysis import lenth

    L = lenth([8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert L.pse == 0 and not L.usable and "no effect is declared active" in L.note
    assert not L.active([8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).any()
    # rounding noise (1e-15) counts as zero
    L2 = lenth([8.0, 1e-15, -2e-15, 0.0, 3e-16, 0.0, -1e-16])
    assert not L2.usable and not L2.active([8.0, 1e-15, -2e-15, 0.0, 3e-16, 0.0, -1e-16]).any()
    d = pd.DataFrame([(a, b, c) for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], columns=["A", "B", "C"])
    f = fit(d.assign(y=10 + 4 * d["A"]), "y", "A*B*C")
    assert f.error_basis == "lenth" and not f.lenth.usable
    assert not f.half_normal["active"].any()
    assert f.coefficients["p"].isna().all() and not np.isinf(f.coefficients["t"]).any()
    assert any("no effect is declared active" in n for n in f.notes)
    # an ordinary case is unchanged: Montgomery Example 6.2 still flags A, C, D, AC, AD (test above)
    assert lenth([-12, -1, 4, -1, 6, -1, -5]).usable


def test_tables_never_show_negative_zero():
    """Issue 17 item 6: rounding -0.00004 to 4 decimals gives -0.0, printed '-0.0000'; pdkit.doe.display.rounded
    (used for every table of the doe_analysis report) shows 0.0000."""
    from pdkit.doe.display import no_negative_zero, rounded

    t = pd.DataFrame({"estimate": [-0.00004, -1e-12, 2.5, -0.0], "term": ["A", "B", "C", "D"],
                      "mixed": [-0.0, "HEK293", None, -3e-7], "flag": [True, False, True, False]})
    r = rounded(t, 4)
    text = r.to_string()
    assert "-0" not in text and "HEK293" in text
    assert not np.signbit(r["estimate"].to_numpy()).any() and r["estimate"].tolist() == [0.0, 0.0, 2.5, 0.0]
    assert r["mixed"].tolist() == [0.0, "HEK293", None, 0.0] and not np.signbit(r["mixed"].iloc[3])
    assert "-0.0000" not in r.style.format(precision=4).to_html() if hasattr(r, "style") else True
    assert str(no_negative_zero(-0.0)) == "0.0" and no_negative_zero(True) is True
    assert t["estimate"].iloc[0] == -0.00004  # the caller's table is unchanged
    s = rounded(pd.Series({"temp": -1e-9, "line": "HEK293T"}), 3)
    assert s.tolist() == [0.0, "HEK293T"] and str(s["temp"]) == "0.0"
    co = fit(pd.DataFrame({"x": [-1.0, 1.0, -1.0, 1.0], "y": [1.0, 1.0, 2.0, 2.0]}), "y").coefficients
    assert "-0.0000" not in rounded(co, 4).to_string()
