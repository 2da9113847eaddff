"""CPV analysis from the lot-history store, checked against pdkit.trending/pdkit.stats on the same data.

The store tests run on SQLite and PostgreSQL (``db_url`` from test_lots.py).  The sample
history's planted shift and trend (data_samples/lot_history/README.md) must be found.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_cli
from pdkit import stats, trending
from pdkit.errors import InputError
from pdkit.lots import open_store
from pdkit.lots.cpv import cpv_analysis, period_label
from pdkit.record import read_records
from pdkit.specs import load_spec
from test_lots import HISTORY, PRODUCT, SPEC, _history, _write, db_url, pg_url  # noqa: F401  (fixtures)


def _limits_from_yaml() -> dict[str, tuple[float | None, float | None]]:
    out = {}
    for a in load_spec(SPEC).attributes:
        lo = a.lower if a.criterion == "range" else a.limit if a.criterion == ">=" else None
        hi = a.upper if a.criterion == "range" else a.limit if a.criterion == "<=" else None
        out[a.name] = (None if lo is None else float(lo), None if hi is None else float(hi))
    return out


def _store_analysis(db_url, **kw):
    with open_store(db_url) as store:
        store.add_specification(SPEC)
        store.import_results(HISTORY)
        results, state = store.results(PRODUCT)
        limits = store.limits(PRODUCT)
    return cpv_analysis(results, limits, **kw), results, state


def test_cpv_numbers_equal_a_direct_analysis(db_url):
    """The report's numbers are those of imr_chart and capability run on the CSV itself."""
    a, _, state = _store_analysis(db_url, baseline=24, period="year")
    assert state.row_count == 960
    raw = pd.read_csv(HISTORY, keep_default_na=False)
    raw = raw[raw["qualifier"] == ""].copy()  # the censored endotoxin result is not charted
    raw["value"] = raw["value"].astype(float)
    raw = raw.sort_values(["date", "lot"], kind="stable")
    limits = _limits_from_yaml()
    summary = a.summary.set_index("attribute")
    assert summary.loc["endotoxin", "n_censored"] == 1 and summary.loc["endotoxin", "n"] == 119
    for attribute, g in raw.groupby("attribute"):
        chart = trending.imr_chart(g["value"].to_numpy(), labels=g["lot"].tolist(), rules="nelson", baseline=24)
        row = summary.loc[attribute]
        assert row["n"] == len(g)
        assert math.isclose(row["center"], chart.center, rel_tol=1e-12)
        assert math.isclose(row["lcl"], chart.lcl, rel_tol=1e-12) and math.isclose(row["ucl"], chart.ucl, rel_tol=1e-12)
        mine = a.signals[a.signals["attribute"] == attribute]
        assert mine[["lot", "chart", "rule"]].values.tolist() == chart.signals[["label", "chart", "rule"]].values.tolist()
        lo, hi = limits[attribute]
        overall = stats.capability(g["value"].to_numpy(), lsl=lo, usl=hi)
        assert math.isclose(row["ppk"], overall.ppk, rel_tol=1e-12)
        assert math.isclose(row["ppk_ci_low"], overall.ppk_ci[0], rel_tol=1e-12)
        years = g["date"].str[:4]
        cap = a.capability[a.capability["attribute"] == attribute].set_index("period")
        assert cap.index.tolist() == sorted(set(years))
        for year in sorted(set(years)):
            direct = stats.capability(g.loc[years == year, "value"].to_numpy(), lsl=lo, usl=hi)
            assert math.isclose(cap.loc[year, "ppk"], direct.ppk, rel_tol=1e-12)
            assert math.isclose(cap.loc[year, "ppk_ci_high"], direct.ppk_ci[1], rel_tol=1e-12)
    # hand calculation: supercoiled 2021, one-sided lower limit 90.0: Ppk = (mean - 90) / (3 s)
    v = raw[(raw["attribute"] == "supercoiled") & raw["date"].str.startswith("2021")]["value"]
    hand = (v.mean() - 90.0) / (3 * v.std(ddof=1))
    assert math.isclose(a.capability.set_index(["attribute", "period"]).loc[("supercoiled", "2021"), "ppk"], hand,
                        rel_tol=1e-12)


def test_cpv_finds_the_planted_shift_and_trend(db_url):
    a, _, _ = _store_analysis(db_url, baseline=24)
    sig = a.signals[a.signals["chart"] == "I"]
    sc = sig[sig["attribute"] == "supercoiled"]
    # the shift starts at PDX-24-01: sustained rules fire in 2024, rule 2 only after the shift
    assert sc[sc["rule"] == 2]["lot"].iloc[0] == "PDX-24-14"
    assert sc[sc["rule"] == 1]["lot"].iloc[0] == "PDX-24-08"
    assert (sc[sc["rule"].isin([1, 2, 5, 6])]["lot"].str[:6] >= "PDX-24").all()
    gd = sig[sig["attribute"] == "host_gdna"]
    assert gd[gd["rule"] == 2]["lot"].iloc[0] == "PDX-23-18"  # trend starts at PDX-23-13
    trend = a.ppk_trend.set_index("attribute")
    assert sorted(trend.index[trend["declining"]]) == ["host_gdna", "supercoiled"]
    assert trend.loc["host_gdna", "change_per_period"] < -0.5
    assert a.near_limits[["attribute", "lot", "side"]].values.tolist() == [["host_gdna", "PDX-25-21", "upper"]]
    assert a.near_limits["margin_sigma"].iloc[0] < 0


def test_new_signals_are_those_entered_since_the_last_report(db_url, tmp_path):
    h = _history()
    with open_store(db_url) as store:
        store.add_specification(SPEC)
        store.import_results(_write(tmp_path / "y1-4.csv", h[h["date"] < "2025"]))
        _, last = store.results(PRODUCT)
        store.import_results(_write(tmp_path / "y5.csv", h[h["date"] >= "2025"]))
        results, now = store.results(PRODUCT)
        limits = store.limits(PRODUCT)
    assert (last.row_count, now.row_count) == (768, 960)
    a = cpv_analysis(results, limits, baseline=24, since_row_id=last.max_row_id)
    new = a.signals[a.signals["new"]]
    assert len(new) and new["lot"].str.startswith("PDX-25").all()
    assert not a.signals[~a.signals["new"]]["lot"].str.startswith("PDX-25").any()
    assert (new["row_id"] > last.max_row_id).all()
    assert a.summary["n_new_signals"].sum() == len(new)


def test_cpv_bad_input():
    r = pd.DataFrame({"lot": ["A", "B", "C"], "date": [None, "2024-01-02", "2024-02-01"], "attribute": "x",
                      "value": [1.0, 2.0, 1.5]})
    with pytest.raises(InputError, match=r"column 'date': lot\(s\) A have no manufacturing date"):
        cpv_analysis(r)
    with pytest.raises(InputError, match="period"):
        cpv_analysis(r.assign(date="2024-01-01"), period="month")
    with pytest.raises(InputError, match="missing column"):
        cpv_analysis(r.drop(columns="date"))
    assert period_label("2024-11-30", "quarter") == "2024-Q4"
    # units are converted to the specification's before charting
    r2 = pd.DataFrame({"lot": list("ABCD"), "date": pd.date_range("2024-01-01", periods=4).date, "attribute": "gdna",
                       "value": [2.0, 2500.0, 1.8, 2.2], "unit": ["ug/mg", "ng/mg", "ug/mg", "ug/mg"]})
    a = cpv_analysis(r2, {"gdna": (None, 10.0, "ug/mg")})
    assert np.allclose(a.points["value"], [2.0, 2.5, 1.8, 2.2])


@pytest.mark.slow
def test_cpv_template_runs_on_the_sample_and_records_the_db_state(tmp_path):
    out = tmp_path / "cpv"
    proc = run_cli("run", "cpv_trending", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = read_records(out / "cpv_trending.ipynb")
    state = rec["db_state"]
    assert set(state) >= {"query", "row_count", "max_row_id", "db"}
    assert (state["row_count"], state["max_row_id"]) == (960, 960)
    assert state["db"].startswith("sqlite:///") and "SELECT" in state["query"]
    assert sorted(rec["declining_ppk"]) == ["host_gdna", "supercoiled"]
    assert rec["near_limit_lots"] == ["host_gdna: PDX-25-21"]
    assert rec["first_signal_lot"]["host_gdna"] == "PDX-23-18"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"


@pytest.mark.slow
def test_cpv_template_on_postgresql_keeps_the_password_out(pg_url, tmp_path):
    db_url = pg_url
    with open_store(db_url) as store:
        store.add_specification(SPEC)
        store.import_results(HISTORY)
    out = tmp_path / "cpv"
    env_before = os.environ.get("PDKIT_DB")
    os.environ["PDKIT_DB"] = db_url  # the password travels in the environment, not in -p
    try:
        proc = run_cli("run", "cpv_trending", "-p", "db", "", "-p", "period", "half", "-p", "since_row_id", "768",
                       "-o", str(out), cwd=tmp_path)
    finally:
        if env_before is None:
            os.environ.pop("PDKIT_DB")
        else:
            os.environ["PDKIT_DB"] = env_before
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = read_records(out / "cpv_trending.ipynb")
    assert rec["db_state"]["db"].startswith("postgresql+psycopg://") and rec["db_state"]["row_count"] == 960
    password = db_url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    for f in out.iterdir():
        if password:
            assert f":{password}@" not in f.read_text(errors="replace"), f.name
    assert all(s.split(": ")[1].startswith("PDX-25") for s in rec["new_signals"])
