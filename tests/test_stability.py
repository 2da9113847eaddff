"""Tests for pdkit.stability (ICH Q1E shelf life).

Published sources used
----------------------
* LeBlond, D., Griffith, D. & Aubuchon, K. (2011) "Linear Regression 102: Stability
  Shelf Life Estimation Using Analysis of Covariance", J Valid Technol 17(3):47-68.
  Data: Tables IV, VI, VIII (potency, %LC), XI (related substances, %LC),
  XIII (moisture, % w/w).  Results: Tables V, VII, IX, XII, XIV and Figures 4, 6-9.
  The data and printed results were transcribed from the article as distributed with
  the CRAN package expirest 0.1.7 (datasets exp1-exp3 and tests/testthat/
  test-expirest_osle.R, which list the published values next to R's own).
* SAS Institute (2015) JMP 12 Reliability and Survival Methods, chapter Degradation,
  "Stability Analysis", pp. 174-176 (sample data Reliability/Stability.jmp), Figure 6.27
  "Stability Models" and the Model Comparisons F statistics (dataset exp4 in expirest).

Higher-precision reference values quoted from expirest's tests (R's ``lm`` with
``uniroot``) are an independent implementation, not a publication; they are labelled so.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from pdkit.errors import InputError
from pdkit.stability import Extrapolation, ExtrapolationWarning, ShelfLife, shelf_life

# --------------------------------------------------------------------------- published data

# LeBlond et al. 2011, Tables IV, VI and VIII: potency (%LC) of six batches.
_POTENCY = {
    "b2": [(0, 101.0), (1, 101.3), (3, 99.8), (3, 99.2), (6, 99.5), (6, 97.8), (12, 97.4), (12, 97.2),
           (24, 96.9), (24, 96.0)],
    "b3": [(0, 104.8), (3, 103.0), (3, 101.2), (6, 100.8), (6, 99.2), (12, 98.6), (12, 97.2), (24, 97.6),
           (24, 98.0)],
    "b4": [(0, 104.0), (3, 103.2), (6, 102.8), (6, 103.3), (12, 102.4), (12, 101.2), (24, 99.1), (24, 99.5)],
    "b5": [(0, 102.0), (1, 101.4), (2, 100.8), (3, 100.2), (3, 99.7), (6, 98.8), (6, 98.5), (12, 98.0),
           (12, 97.1), (24, 96.6), (24, 96.1)],
    "b7": [(0, 101.3), (1, 101.5), (3, 100.2), (3, 99.8), (6, 99.0), (6, 98.5), (12, 98.5), (12, 97.4),
           (24, 96.6), (24, 96.4)],
    "b8": [(0, 101.6), (3, 100.0), (6, 99.0), (12, 97.8), (12, 97.0)],
}
# LeBlond et al. 2011, Table XI: related substances (%LC).
_RELATED = {
    "b4": [(0, 0.03), (3, 0.054), (6, 0.066), (6, 0.051), (12, 0.078), (12, 0.114), (24, 0.177), (24, 0.165)],
    "b5": [(0, 0.09), (1, 0.108), (2, 0.126), (3, 0.144), (3, 0.159), (6, 0.186), (6, 0.195), (12, 0.21),
           (12, 0.237), (24, 0.252), (24, 0.267)],
    "b8": [(0, 0.102), (3, 0.15), (6, 0.18), (12, 0.216), (12, 0.24)],
}
# LeBlond et al. 2011, Table XIII: moisture (% w/w).
_MOISTURE = {
    "b1": [(0, 2.20059), (1, 1.70372), (2, 3.32395), (3, 2.75907), (3, 2.43192), (6, 1.76331), (6, 1.56801),
           (12, 2.19423), (12, 3.22311), (24, 3.16325), (24, 1.54837)],
    "b2": [(0, 2.81078), (1, 1.94915), (2, 2.49058), (3, 2.00485), (3, 3.307), (6, 2.99309), (6, 3.30159),
           (12, 2.72512), (12, 1.88341), (24, 2.77215), (24, 1.69048)],
    "b3": [(0, 2.45301), (1, 2.16138), (2, 2.26631), (3, 2.12853), (3, 2.51775), (6, 2.31034), (6, 3.36915),
           (12, 2.3207), (12, 2.72001), (24, 2.19393), (24, 3.45895)],
}
# JMP 12 Reliability and Survival Methods, sample data Stability.jmp (concentration, mg/kg).
_JMP = {
    "1_11": [(0, 102.0), (3, 101.0), (3, 101.0), (6, 100.5), (6, 100.8), (12, 100.1), (12, 99.0), (24, 96.7),
             (24, 97.2)],
    "2_12": [(0, 101.0), (1, 101.3), (3, 99.8), (3, 99.2), (6, 99.5), (6, 97.8), (12, 97.4), (12, 97.2),
             (24, 96.9), (24, 96.0)],
    "3_13": [(0, 104.8), (3, 103.0), (3, 101.2), (6, 100.8), (6, 99.2), (12, 98.6), (12, 97.2), (24, 97.6),
             (24, 98.0)],
    "4_14": [(0, 104.0), (3, 103.2), (6, 102.8), (6, 103.3), (12, 102.4), (12, 101.2), (24, 99.1), (24, 99.5)],
}


def _frame(table: dict, response: str, batches=None, time="Month", batch="Batch") -> pd.DataFrame:
    rows = [
        {batch: b, time: float(t), response: y}
        for b, pts in table.items()
        if batches is None or b in batches
        for t, y in pts
    ]
    return pd.DataFrame(rows)


def _fit(df, response, **kw) -> ShelfLife:
    """shelf_life with the extrapolation warning silenced (tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return shelf_life(df, "Month", response, "Batch", **kw)


def _rel(a, b):
    return abs(a - b) / abs(b)


def _printed(value: float, published: str) -> bool:
    """``value`` agrees with a published number to the precision it was printed with."""
    decimals = len(published.split(".")[1]) if "." in published else 0
    return abs(value - float(published)) <= 0.5 * 10.0**-decimals * (1 + 1e-9)


# --------------------------------------------------------------------------- published analyses


def test_leblond_2011_table_v_cics():
    """LeBlond et al. 2011, Table IV data (b2, b5, b7), Table V / Figure 4 results.

    Published: model cics, y = 100.567 - 0.192994 t, ANCOVA F(batch) = 0.436,
    F(batch x time) = 0.229, shelf life 26 months (LSL 95 %LC, one-sided 95 %).
    """
    res = _fit(_frame(_POTENCY, "Potency", ["b2", "b5", "b7"]), "Potency", lower=95)
    assert res.model == "cics"
    assert res.limit_crossed == "lower" and res.sided == "lower"
    assert round(res.per_batch["intercept"].iloc[0], 3) == 100.567
    assert round(res.per_batch["slope"].iloc[0], 6) == -0.192994
    f = res.ancova.set_index("test")["F"]
    assert round(f["equal intercepts"], 3) == 0.436
    assert round(f["equal slopes"], 3) == 0.229
    assert round(res.shelf_life) == 26
    # expirest 0.1.7 (R lm + uniroot; independent implementation): 25.9957631369
    assert _rel(res.shelf_life, 25.9957631369) < 1e-8
    # Regression F of the cics model (Table V): 129.051
    assert round(res.fit.fvalue, 3) == 129.051


def test_leblond_2011_table_vii_dics():
    """LeBlond et al. 2011, Table VI data (b3, b4, b5), Table VII / Figure 6 results.

    Published: model dics, intercepts 102.176, 104.255, 100.82, common slope -0.213121,
    F(batch) = 21.738, F(batch x time) = 0.183, shelf life 23.4 months.
    """
    res = _fit(_frame(_POTENCY, "Potency", ["b3", "b4", "b5"]), "Potency", lower=95)
    assert res.model == "dics"
    pb = res.per_batch.set_index("batch")
    assert [round(v, 3) for v in pb["intercept"]] == [102.176, 104.255, 100.820]
    assert np.allclose(pb["slope"].round(6), -0.213121)
    f = res.ancova.set_index("test")["F"]
    assert round(f["equal intercepts"], 3) == 21.738
    assert round(f["equal slopes"], 3) == 0.183
    assert round(res.shelf_life, 1) == 23.4
    assert res.worst_batch == "b5"
    # expirest 0.1.7 (independent implementation): 23.3972651235
    assert _rel(res.shelf_life, 23.3972651235) < 1e-6  # uniroot's tolerance limits the agreement


def test_leblond_2011_table_ix_dids_both_conventions():
    """LeBlond et al. 2011, Table VIII data (b4, b5, b8), Table IX / Figure 7 results.

    Published: model dids, lines 104.071 - 0.196151 t, 100.782 - 0.208609 t,
    101.259 - 0.330208 t; F(batch) = 72.124, F(batch x time) = 1.955; shelf life 15.6
    months with the pooled MSE of the full model.  Fitting each batch on its own (JMP
    convention) gives 15.8; JMP 12.0.1 reports 15.844877978 (as quoted in expirest's tests).
    """
    df = _frame(_POTENCY, "Potency", ["b4", "b5", "b8"])
    pooled = _fit(df, "Potency", lower=95, dids_method="pooled_mse")
    indiv = _fit(df, "Potency", lower=95, dids_method="individual")
    for res in (pooled, indiv):
        assert res.model == "dids"
        pb = res.per_batch.set_index("batch")
        assert [round(v, 3) for v in pb["intercept"]] == [104.071, 100.782, 101.259]
        assert [round(v, 6) for v in pb["slope"]] == [-0.196151, -0.208609, -0.330208]
        f = res.ancova.set_index("test")["F"]
        assert round(f["equal intercepts"], 3) == 72.124
        assert round(f["equal slopes"], 3) == 1.955
        assert res.worst_batch == "b8"
    assert round(pooled.shelf_life, 1) == 15.6
    assert round(indiv.shelf_life, 1) == 15.8
    assert _rel(indiv.shelf_life, 15.844877978) < 1e-6  # JMP 12.0.1, iterative, 1e-6 agreement
    # pooled-MSE bound uses the full model's df (24 - 6 = 18); individual uses n_b - 2
    assert set(pooled.per_batch["df"]) == {18.0}
    assert list(indiv.per_batch["df"]) == [6.0, 9.0, 3.0]
    assert set(indiv.batch_fits) == {"b4", "b5", "b8"} and pooled.batch_fits == {}
    # Regression F of the full model (Table IX): 49.831
    assert round(pooled.fit.fvalue, 3) == 49.831


def test_leblond_2011_table_xii_related_substances_upper_limit():
    """LeBlond et al. 2011, Table XI data, Table XII / Figure 8 results (USL 0.3 %LC).

    Published: dids, lines 0.0278806 + 0.00588454 t, 0.126544 + 0.00625826 t,
    0.112219 + 0.00990625 t; shelf life 15.61 months (pooled MSE).
    """
    df = _frame(_RELATED, "Related")
    res = _fit(df, "Related", upper=0.3, dids_method="pooled_mse")
    assert res.model == "dids" and res.limit_crossed == "upper" and res.sided == "upper"
    pb = res.per_batch.set_index("batch")
    for v, pub in zip(pb["intercept"], ["0.0278806", "0.126544", "0.112219"]):
        assert _printed(v, pub)
    for v, pub in zip(pb["slope"], ["0.00588454", "0.00625826", "0.00990625"]):
        assert _printed(v, pub)
    assert round(res.shelf_life, 2) == 15.61
    f = res.ancova.set_index("test")["F"]
    assert round(f["equal intercepts"], 3) == 72.124 and round(f["equal slopes"], 3) == 1.955


def test_leblond_2011_table_xiv_two_sided_moisture():
    """LeBlond et al. 2011, Table XIII data, Table XIV / Figure 9 results (1.5-3.5 % w/w).

    Published: cics, y = 2.45678 + 0.0022724 t, F(batch) = 0.354, F(batch x time) = 0.748,
    shelf life 45.35 months from the two-sided 95 % bound (upper side).  expirest gives the
    upper crossing 45.3460440833 and the lower crossing 50.7665191694 (independent
    implementation).  The two-sided bound uses alpha/2 = 0.025 per side, so the lower side
    alone equals a one-sided analysis at alpha = 0.025.
    """
    df = _frame(_MOISTURE, "Moisture")
    res = _fit(df, "Moisture", lower=1.5, upper=3.5)
    assert res.model == "cics" and res.sided == "two" and res.limit_crossed == "upper"
    assert round(res.per_batch["intercept"].iloc[0], 5) == 2.45678
    assert round(res.per_batch["slope"].iloc[0], 7) == 0.0022723
    f = res.ancova.set_index("test")["F"]
    assert round(f["equal intercepts"], 3) == 0.354
    assert round(f["equal slopes"], 3) == 0.748
    assert round(res.shelf_life, 2) == 45.35
    assert _rel(res.shelf_life, 45.3460440833) < 1e-6
    low = _fit(df, "Moisture", lower=1.5, alpha=0.025)
    assert low.limit_crossed == "lower"
    assert _rel(low.shelf_life, 50.7665191694) < 1e-6
    up = _fit(df, "Moisture", upper=3.5, alpha=0.025)
    assert up.shelf_life == pytest.approx(res.shelf_life, rel=1e-12)
    # and the two-sided quantile is t(0.975, 31)
    assert res.t_quantile == pytest.approx(stats.t.ppf(0.975, 31), rel=1e-12)


def test_jmp12_stability_platform():
    """JMP 12 Reliability and Survival Methods (SAS 2015), Stability Analysis pp. 174-176.

    Stability.jmp, LSL 95.  Published Model Comparisons F: A (dids vs cics) 10.10836,
    B (dics vs cics) 19.88764, C (dids vs dics) 0.329081.  Figure 6.27 earliest crossing
    times: different/different 23.11596, different/common 23.47505 (selected),
    common/common 29.98567.  Parameter estimates of the three models as printed.
    """
    df = _frame(_JMP, "Conc")
    res = _fit(df, "Conc", lower=95)
    assert res.model == "dics" and res.worst_batch == "2_12"
    f = res.ancova.set_index("test")["F"]
    assert _rel(f["equal intercepts"], 19.88764) < 1e-5
    assert _rel(f["equal slopes"], 0.329081) < 1e-5
    # A: dids vs cics with the full-model MSE (not part of the sequential decision)
    m = res.models
    f_a = ((m["cics"].ssr - m["dids"].ssr) / 6) / (m["dids"].ssr / m["dids"].df_resid)
    assert _rel(f_a, 10.10836) < 1e-5

    mc = res.model_comparison.set_index("model")
    assert _rel(mc.loc["dids", "shelf_life"], 23.11596) < 1e-5
    assert _rel(mc.loc["dics", "shelf_life"], 23.47505) < 1e-5
    assert _rel(mc.loc["cics", "shelf_life"], 29.98567) < 1e-5
    assert _rel(res.shelf_life, 23.47505) < 1e-5
    assert list(mc["selected"]) == [False, True, False]

    p = m["dics"].params
    assert round(p["slope"], 5) == -0.20221
    assert [round(p[f"intercept[{b}]"], 4) for b in _JMP] == [101.8332, 100.4501, 102.0666, 104.1366]
    p = m["cics"].params
    assert round(p["intercept"], 4) == 101.9064 and round(p["slope"], 5) == -0.19087
    p = m["dids"].params
    assert [round(p[f"intercept[{b}]"], 4) for b in _JMP] == [101.8175, 100.2491, 102.3841, 104.0706]
    assert [round(p[f"slope[{b}]"], 5) for b in _JMP] == [-0.20063, -0.18013, -0.23397, -0.19615]


# --------------------------------------------------------------------------- independent computations


def test_ancova_matches_statsmodels_anova_lm():
    """The poolability F tests equal statsmodels anova_lm comparing the nested formula models
    cics < dics < dids (anova_lm takes the scale from the largest model, i.e. the full-model MSE)."""
    for table, resp, kw in ((_JMP, "Conc", {"lower": 95}), (_MOISTURE, "Moisture", {"lower": 1.5, "upper": 3.5})):
        df = _frame(table, resp)
        res = _fit(df, resp, **kw)
        cics = smf.ols(f"{resp} ~ Month", data=df).fit()
        dics = smf.ols(f"{resp} ~ C(Batch) + Month", data=df).fit()
        dids = smf.ols(f"{resp} ~ C(Batch) * Month", data=df).fit()
        aov = anova_lm(cics, dics, dids)
        a = res.ancova.set_index("test")
        assert a.loc["equal intercepts", "F"] == pytest.approx(aov["F"].iloc[1], rel=1e-9)
        # statsmodels 0.15 takes the p value of this row with the dics model's residual df although
        # the F uses the full model's MSE; the consistent p (as R's anova) uses the full model's df.
        df_full = aov["df_resid"].iloc[2]
        assert a.loc["equal intercepts", "p_value"] == pytest.approx(
            stats.f.sf(aov["F"].iloc[1], aov["df_diff"].iloc[1], df_full), rel=1e-9
        )
        assert a.loc["equal slopes", "F"] == pytest.approx(aov["F"].iloc[2], rel=1e-9)
        assert a.loc["equal slopes", "p_value"] == pytest.approx(aov["Pr(>F)"].iloc[2], rel=1e-9)
        assert a.loc["equal slopes", "df_resid"] == aov["df_resid"].iloc[2]
        assert a.loc["equal slopes", "ss"] == pytest.approx(aov["ss_diff"].iloc[2], rel=1e-9)


def _closed_form_crossing(t, y, limit, q, side):
    """Hand calculation: OLS by normal equations; solve (a-L+bt)^2 = q^2 (v00 + 2 v01 t + v11 t^2)."""
    X = np.column_stack([np.ones_like(t), t])
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    resid = y - X @ beta
    s2 = resid @ resid / (len(y) - 2)
    V = s2 * np.linalg.inv(X.T @ X)
    a, b = beta
    sgn = 1.0 if side == "lower" else -1.0
    d0, d1 = sgn * (a - limit), sgn * b
    # (d0 + d1 T)^2 - q^2 (V00 + 2 V01 T + V11 T^2) = 0
    A = d1 * d1 - q * q * V[1, 1]
    B = 2 * d0 * d1 - 2 * q * q * V[0, 1]
    C = d0 * d0 - q * q * V[0, 0]
    roots = np.roots([A, B, C])
    roots = [r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0 and d0 + d1 * r.real > 0]
    return min(roots)


def test_hand_calculation_cics_and_individual_lines():
    """Small case: closed-form crossing with numpy normal equations and scipy's t quantile."""
    df = pd.DataFrame({
        "Batch": ["A"] * 4 + ["B"] * 4,
        "Month": [0, 3, 6, 12] * 2,
        "Assay": [100.1, 99.0, 98.6, 96.1, 99.7, 99.2, 98.1, 96.4],
    })
    res = _fit(df, "Assay", lower=90)
    t, y = df["Month"].to_numpy(float), df["Assay"].to_numpy(float)
    q = stats.t.ppf(0.95, len(y) - 2)
    expected_cics = _closed_form_crossing(t, y, 90.0, q, "lower")
    got = res.model_comparison.set_index("model").loc["cics", "shelf_life"]
    assert got == pytest.approx(expected_cics, rel=1e-10)
    # each batch alone (dids, individual): df = 2
    pb = []
    for b in ("A", "B"):
        sub = df[df["Batch"] == b]
        tb, yb = sub["Month"].to_numpy(float), sub["Assay"].to_numpy(float)
        pb.append(_closed_form_crossing(tb, yb, 90.0, stats.t.ppf(0.95, 2), "lower"))
    got = res.model_comparison.set_index("model").loc["dids", "shelf_life"]
    assert got == pytest.approx(min(pb), rel=1e-10)
    # the upper-limit branch: mirror the data
    res_up = _fit(df.assign(Assay=200 - df["Assay"]), "Assay", upper=110)
    assert res_up.model_comparison.set_index("model").loc["cics", "shelf_life"] == pytest.approx(expected_cics, rel=1e-10)
    assert res_up.limit_crossed == "upper"


def test_shelf_life_is_the_exact_root_of_the_bound():
    """The bound evaluated at the reported shelf life equals the limit (root finding, not a grid)."""
    res = _fit(_frame(_POTENCY, "Potency", ["b4", "b5", "b8"]), "Potency", lower=95)
    c = res.curves(times=[res.shelf_life])
    at_worst = c.set_index("line").loc[res.worst_batch, "lower_bound"]
    assert at_worst == pytest.approx(95.0, abs=1e-9)
    # the other batches are still above the limit at that time
    assert (c.set_index("line").drop(res.worst_batch)["lower_bound"] > 95).all()
    # bound is above the limit just before and below just after
    c2 = res.curves(times=[res.shelf_life - 1e-3, res.shelf_life + 1e-3])
    before, after = c2.loc[c2["line"] == res.worst_batch, "lower_bound"]
    assert before > 95 > after


def test_curves_match_statsmodels_prediction():
    """curves(): fitted value and bound equal statsmodels get_prediction's mean and one-sided CI."""
    df = _frame(_POTENCY, "Potency", ["b3", "b4", "b5"])
    res = _fit(df, "Potency", lower=95)
    times = np.array([0.0, 7.5, 30.0])
    c = res.curves(times=times)
    exog = pd.DataFrame({"intercept[b3]": 0.0, "intercept[b4]": 0.0, "intercept[b5]": 1.0, "slope": times})
    pred = res.fit.get_prediction(exog).summary_frame(alpha=0.10)  # two-sided 90 % = one-sided 95 %
    mine = c[c["line"] == "b5"]
    assert np.allclose(mine["fitted"], pred["mean"], rtol=1e-12)
    assert np.allclose(mine["lower_bound"], pred["mean_ci_lower"], rtol=1e-12)


# --------------------------------------------------------------------------- behaviour


def test_two_limits_use_alpha_over_two_and_report_which_limit():
    df = _frame(_MOISTURE, "Moisture")
    res = _fit(df, "Moisture", lower=2.0, upper=3.5)
    assert res.sided == "two"
    assert "lower_bound" in res.curves().columns and "upper_bound" in res.curves().columns
    one = _fit(df, "Moisture", lower=2.0, alpha=0.025)
    assert res.limit_crossed == "lower"
    assert res.shelf_life == pytest.approx(one.shelf_life, rel=1e-12)


def test_never_crossing_gives_inf_with_flag():
    df = _frame(_POTENCY, "Potency", ["b2", "b5", "b7"])
    with pytest.warns(ExtrapolationWarning):
        res = shelf_life(df, "Month", "Potency", "Batch", upper=110)  # potency falls: never hits 110
    assert math.isinf(res.shelf_life) and not res.crosses and res.limit_crossed is None
    assert any("never reaches" in n for n in res.notes)
    assert res.extrapolation.beyond_data and res.extrapolation.exceeds_q1e_limit
    # a crossing beyond the horizon is reported as inf too
    res2 = _fit(df, "Potency", lower=95, horizon=20)
    assert math.isinf(res2.shelf_life) and not res2.crosses
    assert any("beyond the search horizon" in n for n in res2.notes)


def test_extrapolation_info_and_warning():
    df = _frame(_MOISTURE, "Moisture")
    with pytest.warns(ExtrapolationWarning, match="ICH Q5C"):
        res = shelf_life(df, "Month", "Moisture", "Batch", lower=1.5, upper=3.5)
    ex = res.extrapolation
    assert isinstance(ex, Extrapolation)
    assert ex.max_time == 24 and ex.beyond_data
    assert ex.q1e_limit == 36.0  # min(2 x 24, 24 + 12)
    assert ex.exceeds_q1e_limit
    # within the data: no warning, no message
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        inside = shelf_life(_frame(_POTENCY, "Potency", ["b3", "b4", "b5"]), "Month", "Potency", "Batch", lower=95)
    assert not inside.extrapolation.beyond_data and inside.extrapolation.message == ""
    # time in weeks: 12 months = 52.18 weeks, 2x rule binds for short studies
    wk = _frame(_MOISTURE, "Moisture").assign(Month=lambda d: d["Month"] * 4)
    res_w = _fit(wk, "Moisture", lower=1.5, upper=3.5, time_unit="weeks")
    assert res_w.extrapolation.q1e_limit == pytest.approx(min(2 * 96, 96 + 365.25 / 7))
    res_u = _fit(wk, "Moisture", lower=1.5, upper=3.5, time_unit=None)
    assert res_u.extrapolation.q1e_limit is None


def test_input_not_modified_and_string_dtypes_accepted():
    df = _frame(_JMP, "Conc").astype({"Batch": "string"})
    df["Month"] = df["Month"].astype(str)  # numbers as text, as from a CSV with odd cells
    before = df.copy()
    res = _fit(df, "Conc", lower=95)
    pd.testing.assert_frame_equal(df, before)
    assert res.model == "dics"


def test_result_is_frozen_and_repr_short():
    res = _fit(_frame(_JMP, "Conc"), "Conc", lower=95)
    with pytest.raises(AttributeError):
        res.shelf_life = 1.0  # type: ignore[misc]
    assert repr(res).startswith("ShelfLife(model='dics'")


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def good():
    df = _frame(_JMP, "Conc")
    df.attrs["source"] = "stab.csv"
    return df


def test_missing_columns(good):
    with pytest.raises(InputError, match=r"stab.csv: missing column 'potency'"):
        shelf_life(good, "Month", "potency", "Batch", lower=95)


def _single_batch_hand(t, y, lower, alpha=0.05):
    """Hand calculation: solve a + b t - t_{1-alpha, n-2} s sqrt(1/n + (t - tbar)^2 / Sxx) = lower
    (squared: a quadratic in t), the smaller root at or after time 0."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    n = len(t)
    tbar, sxx = t.mean(), ((t - t.mean()) ** 2).sum()
    b = ((t - tbar) * (y - y.mean())).sum() / sxx
    a = y.mean() - b * tbar
    s2 = ((y - a - b * t) ** 2).sum() / (n - 2)
    q2 = stats.t.ppf(1 - alpha, n - 2) ** 2 * s2
    # (a - L + b t)^2 = q2 (1/n + (t - tbar)^2 / Sxx)
    A = b * b - q2 / sxx
    B = 2 * b * (a - lower) + 2 * q2 * tbar / sxx
    C = (a - lower) ** 2 - q2 * (1 / n + tbar ** 2 / sxx)
    roots = sorted(np.roots([A, B, C]).real)
    return [r for r in roots if r >= 0 and a + b * r > lower][0]


def test_one_batch_single_batch_shelf_life(good):
    """ICH Q1E (2003) section 2.3 / Appendix B.1 and the FDA single-lot convention: with one batch the shelf
    life is where the batch's one-sided 95 % lower confidence bound on the mean crosses the limit; checked
    against a hand calculation (quadratic for the crossing) on JMP 12's batch 1_11 (Stability.jmp)."""
    one = good[good["Batch"] == "1_11"]
    with pytest.warns(ExtrapolationWarning):
        r = shelf_life(one, "Month", "Conc", "Batch", lower=95)
    assert r.single_batch and r.model == "cics" and r.ancova.empty
    assert r.shelf_life == pytest.approx(_single_batch_hand(one["Month"], one["Conc"], 95), rel=1e-8)
    assert r.per_batch["batch"].tolist() == ["1_11"] and r.worst_batch == "1_11"
    assert "One batch" in r.notes[0]
    # the same line as that batch's individual fit in a multi-batch run
    many = shelf_life(good, "Month", "Conc", "Batch", lower=95)
    assert not many.single_batch
    if many.model == "dids":
        row = many.per_batch.set_index("batch").loc["1_11"]
        assert row["shelf_life"] == pytest.approx(r.shelf_life, rel=1e-8)


def test_single_batch_hand_small_case():
    """Hand calculation on 5 points (months 0-12), lower limit 90: the crossing solves the quadratic."""
    df = pd.DataFrame({"lot": "L1", "m": [0, 3, 6, 9, 12], "y": [100.2, 99.1, 98.3, 96.8, 96.1]})
    with pytest.warns(ExtrapolationWarning):
        r = shelf_life(df, "m", "y", "lot", lower=90)
    assert r.shelf_life == pytest.approx(_single_batch_hand(df["m"], df["y"], 90), rel=1e-8)
    assert r.t_quantile == pytest.approx(stats.t.ppf(0.95, 3))
    with pytest.raises(InputError, match="single batch 'L1'.*need 3"):
        shelf_life(df.iloc[:2], "m", "y", "lot", lower=90)


def test_one_time_point_only(good):
    with pytest.raises(InputError, match=r"column 'Month': only one time point \(12\)"):
        shelf_life(good[good["Month"] == 12], "Month", "Conc", "Batch", lower=95)


def test_batch_with_one_time_point(good):
    bad = good[~((good["Batch"] == "4_14") & (good["Month"] != 12))]
    with pytest.raises(InputError, match=r"batch '4_14' has results at only one time \(12\)"):
        shelf_life(bad, "Month", "Conc", "Batch", lower=95)


def test_non_numeric_response_names_rows(good):
    bad = good.astype({"Conc": object})
    bad.loc[3, "Conc"] = "<LOQ"
    bad.loc[7, "Conc"] = "n/a"
    with pytest.raises(InputError, match=r"stab.csv, column 'Conc', rows 4, 8: expected a number"):
        shelf_life(bad, "Month", "Conc", "Batch", lower=95)


def test_non_numeric_time_names_row(good):
    bad = good.astype({"Month": object})
    bad.loc[5, "Month"] = "6M"
    with pytest.raises(InputError, match=r"column 'Month', row 6: expected a number, got '6M'"):
        shelf_life(bad, "Month", "Conc", "Batch", lower=95)


def test_negative_time(good):
    bad = good.copy()
    bad.loc[2, "Month"] = -3
    with pytest.raises(InputError, match=r"column 'Month', row 3: expected a value >= 0"):
        shelf_life(bad, "Month", "Conc", "Batch", lower=95)


def test_missing_batch_label(good):
    bad = good.astype({"Batch": object})
    bad.loc[0, "Batch"] = None
    with pytest.raises(InputError, match=r"column 'Batch', row 1: batch is missing"):
        shelf_life(bad, "Month", "Conc", "Batch", lower=95)


def test_no_limit(good):
    with pytest.raises(InputError, match=r"no acceptance limit given"):
        shelf_life(good, "Month", "Conc", "Batch")


def test_intercept_already_outside_limit(good):
    with pytest.raises(InputError, match=r"batch '2_12': the fitted value at time 0 \(100\.45\d*\) is already below the lower limit 100\.5"):
        shelf_life(good, "Month", "Conc", "Batch", lower=100.5)
    with pytest.raises(InputError, match=r"already above the upper limit 101"):
        shelf_life(good, "Month", "Conc", "Batch", upper=101)


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"lower": 99, "upper": 98}, r"expected lower < upper"),
        ({"lower": "x"}, r"parameter 'lower': expected a number"),
        ({"lower": 95, "alpha": 0.7}, r"parameter 'alpha': expected a value in \(0, 0.5\)"),
        ({"lower": 95, "pool_alpha": 0}, r"parameter 'pool_alpha'"),
        ({"lower": 95, "dids_method": "jmp"}, r"parameter 'dids_method': expected one of individual, pooled_mse"),
        ({"lower": 95, "horizon": -1}, r"parameter 'horizon': expected a value > 0"),
    ],
)
def test_bad_parameters(good, kw, msg):
    with pytest.raises(InputError, match=msg):
        shelf_life(good, "Month", "Conc", "Batch", **kw)


def test_not_a_dataframe_and_same_column_twice(good):
    with pytest.raises(InputError, match=r"parameter 'data': expected a pandas DataFrame"):
        shelf_life(good.to_dict(), "Month", "Conc", "Batch", lower=95)
    with pytest.raises(InputError, match=r"three different columns"):
        shelf_life(good, "Month", "Month", "Batch", lower=95)


def test_individual_fit_needs_three_results_per_batch():
    df = _frame(_POTENCY, "Potency", ["b4", "b5", "b8"])
    df = df[~((df["Batch"] == "b8") & df["Month"].isin([3.0, 6.0, 12.0]))]  # b8 left with 0 and... nothing
    df = pd.concat([df, pd.DataFrame({"Batch": ["b8"], "Month": [12.0], "Potency": [97.0]})], ignore_index=True)
    res = _fit(df, "Potency", lower=95, dids_method="pooled_mse")
    assert res.model == "dids"
    with pytest.raises(InputError, match=r"batch 'b8' has 2 results.*dids_method='pooled_mse'"):
        _fit(df, "Potency", lower=95, dids_method="individual")


def test_exact_fit_is_rejected():
    df = pd.DataFrame({"Batch": ["A"] * 3 + ["B"] * 3, "Month": [0, 6, 12] * 2,
                       "Conc": [100, 99, 98, 101, 100, 99]})
    with pytest.raises(InputError, match=r"column 'Conc': the lines fit the data exactly"):
        shelf_life(df, "Month", "Conc", "Batch", lower=95)


# --------------------------------------------------------------------------- plot


def test_stability_figure_draws_limits_bounds_and_shelf_life():
    from bokeh.models import Span

    from pdkit.plots.stability import stability_figure

    df = _frame(_MOISTURE, "Moisture")
    res = _fit(df, "Moisture", lower=1.5, upper=3.5)
    fig = stability_figure(res, df, time_unit="months")
    spans = [s for s in fig.center if isinstance(s, Span)]
    locations = sorted(s.location for s in spans)
    assert locations == pytest.approx(sorted([1.5, 3.5, 24.0, res.shelf_life]))
    assert fig.xaxis.axis_label == "Month (months)"
    glyphs = [type(r.glyph).__name__ for r in fig.renderers]
    assert glyphs.count("Line") == 3  # fit + lower bound + upper bound (one pooled line)
    assert glyphs.count("Scatter") == 3  # one per batch

    dids = _fit(_frame(_POTENCY, "Potency", ["b4", "b5", "b8"]), "Potency", lower=95)
    fig2 = stability_figure(dids, _frame(_POTENCY, "Potency", ["b4", "b5", "b8"]))
    assert [type(r.glyph).__name__ for r in fig2.renderers].count("Line") == 6  # 3 fits + 3 bounds


# --------------------------------------------------------------------------- sample data and template


def test_sample_data_match_generator():
    """The committed SYNTHETIC files are exactly what scripts/samples/make_stability.py writes."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_stability", root / "scripts/samples/make_stability.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        mod.main(["--out", tmp])
        for name in ("aav_stability_synthetic.csv", "plasmid_stability_synthetic.csv",
                     "stability_truth_synthetic.csv"):
            assert (Path(tmp) / name).read_bytes() == (root / "data_samples/stability" / name).read_bytes()
    aav = pd.read_csv(root / "data_samples/stability/aav_stability_synthetic.csv")
    res = shelf_life(aav, "month", "potency_pct", "batch", lower=70, upper=130)
    assert res.crosses and res.shelf_life < 24  # the demo shelf life lies within the data


@pytest.mark.slow
def test_template_runs_and_records(tmp_path):
    """Execute templates/stability_shelf_life.py with papermill on the sample data."""
    from pathlib import Path

    papermill = pytest.importorskip("papermill")
    pytest.importorskip("pdkit.params")
    from pdkit.nbio import read_notebook
    from pdkit.record import read_records

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        read_notebook(root / "templates/stability_shelf_life.py"), str(out), kernel_name="python3",
        cwd=str(tmp_path), progress_bar=False,
        parameters={"response": "aggregates_pct", "lower": None, "upper": 3.0},
    )
    rec = read_records(out)
    expected = _fit(pd.read_csv(root / "data_samples/stability/aav_stability_synthetic.csv").rename(
        columns={"month": "Month", "batch": "Batch"}), "aggregates_pct", upper=3.0)
    assert rec["model"] == expected.model == "dids"
    assert rec["shelf_life"] == pytest.approx(expected.shelf_life, rel=1e-12)
    assert rec["limit_crossed"] == "upper" and rec["extrapolated"] is True
    assert set(rec) >= {"p_equal_slopes", "p_equal_intercepts", "max_time", "worst_batch"}
