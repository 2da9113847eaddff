"""Categorical factors end to end on the analysis side (issue 17 item 2).

Effect (sum-to-zero) coding: each level's coefficient is its deviation from the unweighted
average of the level means; in a balanced one-way layout that is the level mean minus the
grand mean (Montgomery, DAE 8th ed., section 3.3, "effects model": tau_i = mu_i - mu, with
sum tau_i = 0), checked by hand and against statsmodels' ``C(x, Sum)`` coding.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from conftest import ROOT, run_cli
from pdkit.doe import Factor, fit, full_factorial, maximize_desirability
from pdkit.doe.analysis import infer_factors, infer_responses, is_bookkeeping
from pdkit.errors import InputError
from pdkit.io.contracts import check_table


def one_way(levels=("AAV2", "AAV8", "AAV9")):
    y = {"AAV2": [10.0, 11.0, 12.0], "AAV8": [20.0, 21.0, 19.0], "AAV9": [14.0, 15.0, 16.0]}
    rows = [(lev, v) for lev in levels for v in y[lev]]
    return pd.DataFrame(rows, columns=["serotype", "titer"])


def test_effect_coding_hand_calculation_and_expanded_estimates():
    """Level means 11, 20, 15; grand mean 46/3: effects -4.333, 4.667, -0.333 (they sum to 0)."""
    f = fit(one_way(), "titer", factors=["serotype"])
    lab = f.labelled_coefficients
    assert list(lab.index) == ["Intercept", "serotype[AAV2]", "serotype[AAV8]", "serotype[AAV9]"]
    grand = (11 + 20 + 15) / 3
    assert lab["estimate"].to_numpy() == pytest.approx([grand, 11 - grand, 20 - grand, 15 - grand])
    assert lab.loc[["serotype[AAV2]", "serotype[AAV8]", "serotype[AAV9]"], "estimate"].sum() == pytest.approx(0)
    # statsmodels with sum (deviation) coding gives the same estimates and standard errors
    sm = smf.ols("titer ~ C(serotype, Sum)", data=one_way()).fit()
    assert lab.loc["serotype[AAV2]", "std_error"] == pytest.approx(sm.bse.iloc[1])
    assert lab.loc["serotype[AAV8]", "estimate"] == pytest.approx(sm.params.iloc[2])
    # the level left out: var(-(b1 + b2)) from the covariance, by hand
    cov = f.cov_params
    assert lab.loc["serotype[AAV9]", "std_error"] == pytest.approx(np.sqrt(cov[1:, 1:].sum()))


def test_two_level_categorical_is_named_by_its_plus_one_level():
    d = pd.DataFrame({"temp": [30.0, 37.0] * 4, "line": ["HEK293"] * 4 + ["HEK293T"] * 4,
                      "y": [10.0, 12.0, 10.2, 12.2, 14.0, 18.0, 14.1, 18.1]})
    f = fit(d, "y", "interactions", factors=["temp", "line"])
    lab = f.labelled_coefficients
    assert "line[HEK293T]" in lab.index and "line[HEK293]" in lab.index and "temp:line[HEK293T]" in lab.index
    assert lab.loc["line[HEK293T]", "estimate"] == pytest.approx(-lab.loc["line[HEK293]", "estimate"])
    # hand: HEK293T mean 16.05, HEK293 mean 11.1 -> +2.475
    assert lab.loc["line[HEK293T]", "estimate"] == pytest.approx((16.05 - 11.1) / 2)
    opt = maximize_desirability(f, {"y": ("maximize", 10.0, 20.0)}, seed=0)
    assert opt.settings["line"] == "HEK293T" and opt.settings["temp"] == pytest.approx(37.0)


def test_bookkeeping_columns_in_any_spelling_are_never_factors_or_responses():
    for name in ("Run", "run order", "RunOrder", "Std order", "std_order", "StdOrder", "Replicate", "rep",
                 "Block", "order", "ID", "Notes", "comments", "Point type"):
        assert is_bookkeeping(name), name
    for name in ("temp", "cell_line", "titer", "replicate_titer"):
        assert not is_bookkeeping(name), name
    d = pd.DataFrame({"Run order": range(1, 9), "Replicate": [1, 1, 1, 1, 2, 2, 2, 2],
                      "temp": [30, 37] * 4, "cell_line": ["A", "A", "B", "B"] * 2,
                      "Notes": ["ok", "foam", "ok", "ok", "late", "ok", "ok", "foam"],
                      "titer": [1.0, 2.1, 1.3, 2.6, 1.1, 2.0, 1.2, 2.7]})
    assert infer_factors(d, responses="titer") == ["temp", "cell_line"]
    assert infer_responses(d, ["temp", "cell_line"]) == ["titer"]


def test_a_factor_that_cannot_be_used_is_an_error_naming_the_column(tmp_path):
    d = pd.DataFrame({"temp": [30.0, 37.0, 30.0, 37.0], "line": ["A"] * 4, "y": [1.0, 2.0, 1.1, 2.2]})
    with pytest.raises(InputError, match="column 'line'.*held constant"):
        fit(d, "y", factors=["temp", "line"])
    d2 = d.assign(line=["A", "B", "A", "B"])
    with pytest.raises(InputError, match="'line'"):  # text where a continuous factor is declared
        fit(d2, "y", factors=[Factor("temp", 30, 37), Factor("line", 0, 1)])
    # the input contract of doe_analysis (pdkit run, exit 2 before any kernel): every problem at once
    tab = pd.DataFrame({"Run": [1, 2, 3, 4], "temp (degC)": [30, 37, "3O", 37], "line": ["A"] * 4,
                        "y": [1.0, 2.0, 1.1, 2.2]})
    tab.to_csv(tmp_path / "bad.csv", index=False)
    _, problems = check_table("doe_analysis", tmp_path / "bad.csv", {"factors": "temp, line", "response": "y"})
    text = "\n".join(str(p) for p in problems)
    assert "row 3, column 'temp'" in text and "column 'line'" in text and "two different settings" in text
    ok = tab.assign(**{"temp (degC)": [30, 37, 30, 37], "line": ["A", "B", "A", "B"]})
    ok.to_csv(tmp_path / "ok.csv", index=False)
    assert check_table("doe_analysis", tmp_path / "ok.csv", {"factors": "temp,line", "response": "y"})[1] == []


def test_categorical_factor_in_model_selection_and_optimum():
    fs = [Factor("temp", 30, 37), Factor("ph", 6.8, 7.4), Factor("line", levels=["HEK293", "HEK293T"])]
    d = full_factorial(fs, replicates=2)
    c = d.coded
    y = 50 + 3 * c["temp"] - 2 * c["ph"] + 4 * c["line"] + 1.5 * c["temp"] * c["line"]
    y = y + np.random.default_rng(3).normal(0, 0.5, len(c))
    data = d.actual.assign(y=y.to_numpy())
    f = fit(data, "y", "auto", factors=fs)
    assert set(f.selection.selected) == {"temp", "ph", "line", "line:temp"} or \
        set(f.selection.selected) == {"temp", "ph", "line", "temp:line"}
    opt = maximize_desirability(f, {"y": ("maximize", 40.0, 70.0)}, seed=1)
    assert opt.settings["line"] == "HEK293T"
    assert opt.settings["temp"] == pytest.approx(37.0) and opt.settings["ph"] == pytest.approx(6.8)
    # column order does not matter
    g = fit(data[["line", "ph", "temp", "y"]], "y", "auto", factors=fs[::-1])
    key = lambda ts: {tuple(sorted(t.split(":"))) for t in ts}  # noqa: E731
    assert key(g.selection.selected) == key(f.selection.selected)


@pytest.mark.slow
def test_cli_round_trip_categorical_worksheet(tmp_path):
    """pdkit run doe_design with a categorical factor -> fill the worksheet from a known model (plus a Replicate
    and a Notes column a lab adds) -> pdkit run doe_analysis on it as it is -> the optimum has the right level."""
    factors = tmp_path / "factors.csv"
    factors.write_text("name,low,high,units,levels\ntemp,30,37,degC,\nph,6.8,7.4,,\ncell_line,,,,HEK293;HEK293T\n")
    design = tmp_path / "design"
    proc = run_cli("run", "doe_design", "-p", "data", str(factors), "-p", "design", "full_factorial",
                   "-p", "center_points", "0", "-p", "replicates", "2", "-p", "responses", '["titer"]',
                   "-o", str(design), cwd=ROOT)
    sheet_path = design / "doe_worksheet.csv"
    if proc.returncode == 0 and sheet_path.exists():
        sheet = pd.read_csv(sheet_path)
    else:  # doe_design cannot write it (yet): the same worksheet from the API
        fs = [Factor("temp", 30, 37, units="degC"), Factor("ph", 6.8, 7.4),
              Factor("cell_line", levels=["HEK293", "HEK293T"])]
        sheet_path = full_factorial(fs, replicates=2).randomized(1).to_worksheet(tmp_path / "ws.csv", ["titer"])
        sheet = pd.read_csv(sheet_path)
    assert "cell_line" in sheet.columns and set(sheet["cell_line"]) == {"HEK293", "HEK293T"}
    t = (sheet["temp (degC)"] - 33.5) / 3.5
    p = (sheet["ph"] - 7.1) / 0.3
    c = np.where(sheet["cell_line"] == "HEK293T", 1.0, -1.0)
    sheet["titer"] = 50 + 3 * t - 2 * p + 4 * c + 1.5 * t * c + np.random.default_rng(3).normal(0, 0.5, len(sheet))
    sheet["Replicate"] = np.arange(len(sheet)) % 2 + 1
    sheet["Notes"] = ["ok", "foam"] * (len(sheet) // 2)
    data = tmp_path / "filled.csv"
    sheet.to_csv(data, index=False)
    goals = tmp_path / "goals.yaml"
    goals.write_text("goals:\n  titer: {goal: maximize, low: 40, high: 70}\n")
    out = tmp_path / "analysis"
    proc = run_cli("run", "doe_analysis", "-p", "data", str(data), "-p", "goals", str(goals), "-o", str(out), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    from pdkit.record import read_records

    rec = read_records(out / "doe_analysis.ipynb")
    assert rec["factors"] == ["temp", "ph", "cell_line"] and rec["responses"] == ["titer"]
    assert rec["categorical_factors"] == {"cell_line": ["HEK293", "HEK293T"]}
    assert rec["optimum_settings"]["cell_line"] == "HEK293T"
    assert rec["optimum_settings"]["temp"] == pytest.approx(37.0) and rec["optimum_settings"]["ph"] == pytest.approx(6.8)
    levels = {row["term"] for row in rec["titer_coefficients_by_level"]}
    assert {"cell_line[HEK293T]", "cell_line[HEK293]"} <= levels
    html = (out / "doe_analysis.html").read_text()
    assert "cell_line[HEK293T]" in html and "-0.0000" not in html
    # naming a factor that cannot be used stops before any kernel starts (exit 2), naming the column
    bad = sheet.assign(cell_line="HEK293")
    bad.to_csv(tmp_path / "bad.csv", index=False)
    proc = run_cli("run", "doe_analysis", "-p", "data", str(tmp_path / "bad.csv"), "-p", "goals", "None",
                   "-p", "factors", "temp (degC),ph,cell_line", "-o", str(tmp_path / "bad"), cwd=ROOT)
    assert proc.returncode == 2 and "column 'cell_line'" in proc.stderr, proc.stderr
