"""Tests for pdkit.upstream (run data on xarray and culture calculations)."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from pdkit.errors import InputError
from pdkit.upstream import (
    compare_scales,
    dcw_from_od,
    doubling_time,
    growth_rate,
    ivcd,
    load_runs,
    peak_vcd,
    percent_full,
    run_summary,
    save_runs,
    specific_productivity,
    specific_yield,
    supercoiled_percent,
    tu_per_p24,
    vg_per_cell,
    viability,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples" / "upstream"
AAV = SAMPLES / "aav_runs_synthetic.csv"
PLASMID = SAMPLES / "plasmid_runs_synthetic.csv"
TRUTH = SAMPLES / "upstream_truth_synthetic.csv"

# NIST/SEMATECH Statistical Reference Datasets, linear least squares, "Norris" (lower difficulty),
# https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml : (y, x) pairs and certified values.
NORRIS_Y = [0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9, 559.2, 0.3, 0.1, 778.1, 668.8, 339.3,
            448.9, 10.8, 557.7, 228.3, 998.0, 888.8, 119.6, 0.3, 0.6, 557.6, 339.3, 888.0, 998.5, 778.9, 10.2, 117.6,
            228.9, 668.4, 449.2, 0.2]  # fmt: skip
NORRIS_X = [0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0, 558.2, 0.4, 0.6, 775.5, 666.9, 338.0,
            447.5, 11.6, 556.0, 228.1, 995.8, 887.6, 120.2, 0.3, 0.3, 556.8, 339.1, 887.2, 999.0, 779.0, 11.1, 118.3,
            229.2, 669.1, 448.9, 0.5]  # fmt: skip


def _runs_csv(tmp_path: Path, rows: list[str], header: str = "run,time,variable,value,unit") -> Path:
    p = tmp_path / "runs.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return p


# ---------------------------------------------------------------------------
# Hand calculations
# ---------------------------------------------------------------------------
def test_ivcd_trapezoid_three_points_by_hand():
    """0.5(1+3)e6 x 1 = 2e6; + 0.5(3+2)e6 x 2 = 5e6 -> 7e6 cells·day/mL."""
    out = ivcd(np.array([1e6, 3e6, 2e6]), time=[0.0, 1.0, 3.0])
    assert out.tolist() == pytest.approx([0.0, 2e6, 7e6])
    # the same samples in hours give the same cells·day/mL
    out_h = ivcd(pd.Series([1e6, 3e6, 2e6], index=[0.0, 24.0, 72.0]), time_unit="hour")
    assert out_h.tolist() == pytest.approx([0.0, 2e6, 7e6])


def test_ivcd_units_and_missing_sample_bridged():
    """A missing sample stays NaN; the integral bridges it with one trapezoid (0.5(1+5)e6 x 2 = 6e6)."""
    da = xr.DataArray([[1.0, np.nan, 5.0, 5.0]], dims=("run", "time"),
                      coords={"run": ["R1"], "time": [0.0, 1.0, 2.0, 3.0]}, attrs={"units": "1e6 cells/mL"})
    da["time"].attrs["units"] = "day"
    out = ivcd(da)
    assert out.attrs["units"] == "cells*day/mL"
    v = out.values[0]
    assert np.isnan(v[1])
    assert v[[0, 2, 3]].tolist() == pytest.approx([0.0, 6e6, 11e6])


def test_growth_rate_two_points_and_doubling_time_by_hand():
    """mu = ln(X2/X1)/(t2-t1) = ln(4)/2 = ln 2; t_d = ln 2 / mu = 1 day."""
    g = growth_rate([1e6, 4e6, 5e6], time=[1.0, 3.0, 4.0], window=(1.0, 3.0))
    assert g.rate == pytest.approx(math.log(4) / 2)
    assert (g.start, g.end, g.n_points, g.r2) == (1.0, 3.0, 2, 1.0)
    assert math.isnan(g.se)  # no residual degrees of freedom with two points
    assert doubling_time(g) == pytest.approx(1.0)
    assert g.doubling_time == pytest.approx(1.0)
    assert doubling_time(0.5) == pytest.approx(math.log(2) / 0.5)


def test_growth_rate_window_matches_independent_regression():
    """Slope, R² and SE on a window equal scipy.stats.linregress of ln X on t (independent computation)."""
    t = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
    x = np.array([0.4e6, 0.55e6, 0.74e6, 1.05e6, 1.41e6, 2.4e6, 2.6e6])
    g = growth_rate(x, time=t, window=(0.0, 2.0))
    ref = stats.linregress(t[:5], np.log(x[:5]))
    assert g.rate == pytest.approx(ref.slope, rel=1e-12)
    assert g.se == pytest.approx(ref.stderr, rel=1e-10)
    assert g.r2 == pytest.approx(ref.rvalue**2, rel=1e-12)


def test_growth_rate_automatic_window_rule():
    """Lag (flat), exponential mu = 0.7 per day on days 1-4, then stationary: the rule finds days 1-4."""
    t = np.arange(0.0, 8.0)
    x = np.array([1.0, 1.0, *np.exp(0.7 * np.arange(1.0, 4.0)), *(np.exp(2.1) * np.array([1.02, 1.03, 1.03, 1.02]))])
    x = 1e6 * np.concatenate([[1.0], np.exp(0.7 * np.arange(0.0, 4.0)), np.exp(2.1) * np.array([1.02, 1.03, 1.02])])
    g = growth_rate(x, time=t)
    assert (g.start, g.end) == (1.0, 4.0)
    assert g.rate == pytest.approx(0.7, rel=1e-12)
    assert g.automatic and g.n_points == 4
    # slope_tolerance=0 is the plain maximal-slope rule: same window here (exact exponential)
    assert growth_rate(x, time=t, slope_tolerance=0.0).rate == pytest.approx(0.7)


def test_peak_viability_and_product_metrics_by_hand():
    assert peak_vcd([1e6, 5e6, 4e6], time=[0, 1, 2]).time == 1.0
    assert viability([9e5, 8e5], [1e5, 2e5], time=[0, 1]).tolist() == pytest.approx([90.0, 80.0])
    assert percent_full(2.5e10, 1e11) == pytest.approx(25.0)
    assert tu_per_p24(5e6, 5e4) == pytest.approx(100.0)
    assert dcw_from_od(120.0, 0.4) == pytest.approx(48.0)
    assert specific_yield(900.0, 50.0) == pytest.approx(18.0)
    assert supercoiled_percent(88.0, 10.0, 2.0) == pytest.approx(88.0)
    vg = [np.nan, 1e10, 2.4e10]
    x = [3e6, 4e6, 3.2e6]
    assert vg_per_cell(vg, x, time=[3, 5, 6], denominator="cells_at_transfection", transfection_time=3) == pytest.approx(8000.0)
    assert vg_per_cell(vg, x, time=[3, 5, 6], denominator="cells_at_harvest") == pytest.approx(7500.0)


def test_vg_per_cell_denominator_is_required():
    with pytest.raises(TypeError):
        vg_per_cell([1e10], [1e6], time=[1])  # keyword-only, no default
    with pytest.raises(InputError, match="denominator"):
        vg_per_cell([1e10], [1e6], time=[1], denominator="cells")
    with pytest.raises(InputError, match="transfection_time"):
        vg_per_cell([1e10], [1e6], time=[1], denominator="cells_at_transfection")


# ---------------------------------------------------------------------------
# Published reference values
# ---------------------------------------------------------------------------
def test_specific_productivity_nist_strd_norris():
    """NIST StRD linear regression dataset "Norris" (certified values, lower difficulty):
    B1 = 1.00211681802045 (sd 0.429796848199937E-03), B0 = -0.262323073774029,
    R² = 0.999993745883712.  Used as product (y) against IVCD (x), sorted by x (the
    fit does not depend on order; IVCD is cumulative so it is non-decreasing)."""
    order = np.argsort(NORRIS_X, kind="stable")
    x = np.asarray(NORRIS_X)[order]
    y = np.asarray(NORRIS_Y)[order]
    q = specific_productivity(y, x)
    assert q.qp == pytest.approx(1.00211681802045, rel=1e-12)
    assert q.se == pytest.approx(0.429796848199937e-03, rel=1e-9)
    assert q.intercept == pytest.approx(-0.262323073774029, rel=1e-9)
    assert q.r2 == pytest.approx(0.999993745883712, rel=1e-12)
    tq = stats.t.ppf(0.975, 34)
    assert (q.ci_low, q.ci_high) == pytest.approx((q.qp - tq * q.se, q.qp + tq * q.se), rel=1e-12)
    assert q.n_points == 36


def test_specific_productivity_units():
    """mg/L over cells·day/mL is 1e6 pg/cell/day per unit; vg/mL gives vg/cell/day."""
    t = xr.DataArray([0.0, 1, 2, 3], dims="time")
    iv = xr.DataArray([0.0, 1e6, 2e6, 3e6], dims="time", coords={"time": t}, attrs={"units": "cells*day/mL"})
    mab = xr.DataArray([0.0, 20.0, 40.0, 60.0], dims="time", coords={"time": t}, attrs={"units": "mg/L"})
    q = specific_productivity(mab, iv)
    assert q.unit == "pg/cell/day" and q.qp == pytest.approx(20.0)
    vg = mab.copy(data=[0.0, 1.5e9, 3e9, 4.5e9])
    vg.attrs = {"units": "vg/mL"}
    q = specific_productivity(vg, iv)
    assert q.unit == "vg/cell/day" and q.qp == pytest.approx(1500.0)


def test_compare_scales_matches_independent_tost():
    """TOST p-value = max of the two one-sided pooled t tests (scipy, independent of statsmodels),
    and the 90 % CI is inside the margins exactly when equivalence is declared."""
    s = pd.DataFrame({"scale": ["2 L"] * 4 + ["50 L"] * 3, "mu": [0.60, 0.63, 0.61, 0.62, 0.59, 0.60, 0.615]})
    r = compare_scales(s, "mu", "2 L", 0.05).iloc[0]
    x, ref = np.array([0.59, 0.60, 0.615]), np.array([0.60, 0.63, 0.61, 0.62])
    p_low = stats.ttest_ind(x + 0.05, ref, alternative="greater").pvalue
    p_high = stats.ttest_ind(x - 0.05, ref, alternative="less").pvalue
    assert r["p_tost"] == pytest.approx(max(p_low, p_high), rel=1e-10)
    assert r["difference"] == pytest.approx(x.mean() - ref.mean())
    sp = math.sqrt((2 * x.var(ddof=1) + 3 * ref.var(ddof=1)) / 5)
    half = stats.t.ppf(0.95, 5) * sp * math.sqrt(1 / 3 + 1 / 4)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((r["difference"] - half, r["difference"] + half))
    assert r["equivalent"] == (r["ci_low"] > -0.05 and r["ci_high"] < 0.05)
    assert r["equivalent"]
    assert not compare_scales(s, "mu", "2 L", 0.01).iloc[0]["equivalent"]


# ---------------------------------------------------------------------------
# Loading, units, netCDF, dask
# ---------------------------------------------------------------------------
def test_load_runs_sample_structure_and_mixed_units():
    ds = load_runs(AAV)
    assert ds["vcd"].dims == ("run", "time")
    assert ds.sizes == {"run": 7, "time": 8}
    assert ds.time.attrs["units"] == "day"
    assert ds["vcd"].attrs["units"] == "cells/mL"  # the 200 L export in 1e6 cells/mL was converted
    raw = pd.read_csv(AAV)
    r = raw[(raw.run == "AAV-200L-01") & (raw.variable == "vcd") & (raw.time == 3)].iloc[0]
    assert r["unit"] == "1e6 cells/mL"
    assert float(ds["vcd"].sel(run="AAV-200L-01", time=3.0)) == pytest.approx(r["value"] * 1e6)
    assert list(ds["scale"].values[:3]) == ["2 L"] * 3
    assert np.isnan(ds["vg_titer"].sel(run="AAV-2L-01", time=1.0))  # not sampled: NaN, aligned
    pl = load_runs(PLASMID)
    assert pl.time.attrs["units"] == "hour" and pl["pdna"].attrs["units"] == "mg/L"


def test_load_runs_excel_with_metadata_sheet(tmp_path):
    p = tmp_path / "runs.xlsx"
    data = pd.DataFrame({"run": ["R1", "R1", "R2"], "time": [0, 24, 0], "variable": "vcd",
                         "value": [1e6, 2e6, 1.1e6], "unit": "cells/mL"})
    meta = pd.DataFrame({"run": ["R1", "R2"], "scale": ["2 L", "50 L"], "working_volume": [2, 50]})
    with pd.ExcelWriter(p) as w:
        data.to_excel(w, sheet_name="data", index=False)
        meta.to_excel(w, sheet_name="metadata", index=False)
    ds = load_runs(p, time_unit="hour")
    assert ds["scale"].values.tolist() == ["2 L", "50 L"]
    assert ds.time.attrs["units"] == "hour"
    assert np.isnan(float(ds["vcd"].sel(run="R2", time=24.0)))


def test_netcdf_round_trip_is_lossless(tmp_path):
    ds = load_runs(AAV)
    p = save_runs(ds, tmp_path / "aav.nc")
    back = load_runs(p)
    back.attrs.pop("source"), ds.attrs.pop("source")
    xr.testing.assert_identical(back, ds)
    for v in ds.data_vars:
        assert back[v].attrs["units"] == ds[v].attrs["units"]


def test_dask_path_equals_in_memory(tmp_path):
    ds = load_runs(PLASMID)
    p = save_runs(ds, tmp_path / "pl.nc")
    lazy = load_runs(p, chunks={"run": 2})
    assert lazy["od600"].chunks is not None
    iv_lazy = ivcd(lazy["od600"])
    assert iv_lazy.chunks is not None  # not computed yet
    xr.testing.assert_allclose(iv_lazy.compute(), ivcd(ds["od600"]))
    g_lazy = growth_rate(lazy["od600"], window=(0.0, 10.0))
    assert g_lazy["rate"].chunks is not None
    xr.testing.assert_allclose(g_lazy.compute(), growth_rate(ds["od600"], window=(0.0, 10.0)))
    xr.testing.assert_allclose(growth_rate(lazy["od600"]).compute(), growth_rate(ds["od600"]))
    xr.testing.assert_allclose(peak_vcd(lazy["od600"]).compute(), peak_vcd(ds["od600"]))
    q_lazy = specific_productivity(lazy["pdna"], lazy["dcw"])
    xr.testing.assert_allclose(q_lazy.compute(), specific_productivity(ds["pdna"], ds["dcw"], on_fail="raise"))


# ---------------------------------------------------------------------------
# Ground truth of the synthetic sample data
# ---------------------------------------------------------------------------
def test_ground_truth_recovery_growth_rate():
    """mu on the sample data: every estimate within 12 % of the simulated value (3-4 points with
    4 % VCD noise give SE about 5 %) and the
    95 % CI covers the truth for at least 10 of the 11 runs (expected about 95 %)."""
    truth = pd.read_csv(TRUTH).set_index("run")
    covered, total = 0, 0
    for path, var in ((AAV, "vcd"), (PLASMID, "od600")):
        g = growth_rate(load_runs(path)[var]).to_dataframe()
        mu = truth.loc[g.index, "mu"]
        assert ((g["rate"] - mu).abs() / mu < 0.12).all()
        tq = stats.t.ppf(0.975, g["n_points"] - 2)
        covered += int(((g["rate"] - mu).abs() <= tq * g["se"]).sum())
        total += len(g)
    assert covered >= total - 1


def test_ground_truth_recovery_qp_and_summary():
    """qP (transfection to harvest) 95 % CI covers the simulated qP of every AAV run;
    % full and vg titer at harvest are close to the truth (5 % and 8 % lognormal assay noise)."""
    truth = pd.read_csv(TRUTH).set_index("run")
    s = run_summary(load_runs(AAV), "aav", vg_per_cell_denominator="cells_at_transfection").set_index("run")
    t = truth.loc[s.index]
    assert ((s["qp_ci_low"] <= t["qp"]) & (t["qp"] <= s["qp_ci_high"])).all()
    assert (s["qp_unit"] == "vg/cell/day").all()
    assert ((s["vg_titer_harvest"] / t["vg_titer_day7"] - 1).abs() < 0.2).all()
    assert ((s["percent_full"] - t["full_percent"]).abs() < 6).all()
    assert s["vg_per_cell"].between(1000, 10000).all()
    assert (s["notes"] == "").all()
    p = run_summary(load_runs(PLASMID), "plasmid", od_to_dcw=0.38).set_index("run")
    assert p["dcw_harvest"].between(40, 65).all() and p["pdna_harvest"].between(700, 1300).all()
    assert p["specific_yield"].between(14, 22).all()


def test_sample_generator_is_deterministic(tmp_path):
    for out in ("a", "b"):
        subprocess.run([sys.executable, str(ROOT / "scripts/samples/make_upstream.py"), "--out", str(tmp_path / out)],
                       check=True, capture_output=True)
    for name in ("aav_runs_synthetic.csv", "plasmid_runs_synthetic.csv", "upstream_truth_synthetic.csv"):
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes()
        assert a == (SAMPLES / name).read_bytes()


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------
def test_load_runs_duplicate_rows_named(tmp_path):
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,1,vcd,2e6,cells/mL", "R1,0,vcd,1.1e6,cells/mL"])
    with pytest.raises(InputError, match=r"runs.csv: duplicated run/time/variable 'R1'/'0.0'/'vcd' at rows 1, 3"):
        load_runs(p, time_unit="day")


def test_load_runs_bad_time_value_and_unit(tmp_path):
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,day 1,vcd,2e6,cells/mL"])
    with pytest.raises(InputError, match=r"column 'time', row 2: expected a number"):
        load_runs(p, time_unit="day")
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,1,vcd,2e6,cells/mL"])
    with pytest.raises(InputError, match="time unit is not declared"):
        load_runs(p)
    with pytest.raises(InputError, match="'day' or 'hour'"):
        load_runs(p, time_unit="week")
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,1,vcd,2,g/L", "R1,2,vcd,abc,cells/mL"])
    with pytest.raises(InputError, match=r"column 'value', row 3: expected a number, got 'abc'"):
        load_runs(p, time_unit="day")
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,1,vcd,2,g/L", "R1,2,vcd,3e6,cells/mL"])
    with pytest.raises(InputError, match=r"runs.csv, column 'unit', row 2 \(variable 'vcd'\): cannot convert 'g/L'"):
        load_runs(p, time_unit="day")
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL", "R1,1,vcd,2e6,blorps/mL"])
    with pytest.raises(InputError, match=r"row 2 \(variable 'vcd'\): unknown unit 'blorps/mL'"):
        load_runs(p, time_unit="day")


def test_load_runs_missing_column_and_inconsistent_metadata(tmp_path):
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6"], header="run,time,variable,value")
    with pytest.raises(InputError, match="missing column 'unit'"):
        load_runs(p, time_unit="day")
    p = _runs_csv(tmp_path, ["R1,0,vcd,1e6,cells/mL,2 L", "R1,1,vcd,2e6,cells/mL,50 L"],
                  header="run,time,variable,value,unit,scale")
    with pytest.raises(InputError, match=r"column 'scale': run 'R1' has more than one value \(rows 1, 2\)"):
        load_runs(p, time_unit="day")


def test_log_of_zero_names_run_and_time():
    da = xr.DataArray([[1e6, 2e6, 4e6], [1e6, 0.0, 3e6]], dims=("run", "time"),
                      coords={"run": ["R1", "R2"], "time": [0.0, 1.0, 2.0]})
    with pytest.raises(InputError, match=r"vcd: run 'R2', time 1: expected a finite value > 0 \(ln VCD is taken\), got 0"):
        growth_rate(da)
    with pytest.raises(InputError, match=r"run 'R1', time 1: expected a finite value >= 0, got -5"):
        ivcd(da.copy(data=[[1e6, -5.0, 1e6], [1e6, 1e6, 1e6]]))


def test_times_out_of_order_or_duplicated():
    with pytest.raises(InputError, match=r"times out of order, 1 at position 3 follows 2"):
        ivcd([1e6, 2e6, 3e6], time=[0, 2, 1])
    with pytest.raises(InputError, match=r"time 1 is duplicated \(positions 2 and 3\)"):
        growth_rate(pd.Series([1e6, 2e6, 3e6], index=[0.0, 1.0, 1.0]))
    with pytest.raises(InputError, match="pass time="):
        ivcd([1e6, 2e6])


def test_growth_rate_no_window_and_bad_parameters():
    flat = [1e6, 1.01e6, 0.99e6, 1.0e6]
    with pytest.raises(InputError, match="R² >= 0.98"):
        growth_rate(flat, time=[0, 1, 2, 3])
    da = xr.DataArray([[1e6, 2e6, 4e6, 8e6], flat], dims=("run", "time"),
                      coords={"run": ["R1", "R2"], "time": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="run\\(s\\) 'R2'"):
        growth_rate(da)
    res = growth_rate(da, on_fail="nan")
    assert np.isnan(res["rate"].sel(run="R2")) and int(res["n_points"].sel(run="R2")) == 0
    with pytest.raises(InputError, match="min_points"):
        growth_rate(da, min_points=2)
    with pytest.raises(InputError, match="window"):
        growth_rate(da, window=(3, 1))
    with pytest.raises(InputError, match="> 0"):
        doubling_time(-0.1)


def test_product_metric_bad_input():
    with pytest.raises(InputError, match="capsid titer: expected finite values > 0, got 0"):
        percent_full(1e10, 0.0)
    with pytest.raises(InputError, match="factor"):
        dcw_from_od(100.0, 0)
    with pytest.raises(InputError, match="p24"):
        tu_per_p24(1e6, -1.0)
    with pytest.raises(InputError, match="at least 3 samples"):
        specific_productivity([1.0, 2.0], [0.0, 1.0])


def test_run_summary_and_compare_scales_bad_input():
    ds = load_runs(AAV)
    with pytest.raises(InputError, match="vg_per_cell_denominator"):
        run_summary(ds, "aav")
    with pytest.raises(InputError, match="process"):
        run_summary(ds, "cho")
    with pytest.raises(InputError, match="no variable 'od600'"):
        run_summary(ds, "plasmid", od_to_dcw=0.4)
    with pytest.raises(InputError, match="od_to_dcw"):
        run_summary(load_runs(PLASMID).drop_vars("dcw"), "plasmid")
    s = run_summary(ds, "aav", vg_per_cell_denominator="cells_at_harvest")
    with pytest.raises(InputError, match="reference_scale '5 L' not found"):
        compare_scales(s, "mu", "5 L", 0.05)
    with pytest.raises(InputError, match="missing column 'titer'"):
        compare_scales(s, "titer", "2 L", 0.05)
    with pytest.raises(InputError, match="margin"):
        compare_scales(s, "mu", "2 L", 0.0)
    one = s[s["run"] != "AAV-50L-02"]
    with pytest.raises(InputError, match="scale '50 L' has 1 run"):
        compare_scales(one, "mu", "2 L", 0.05)


def test_inputs_not_modified():
    ds = load_runs(AAV)
    before = ds.copy(deep=True)
    run_summary(ds, "aav", vg_per_cell_denominator="cells_at_transfection")
    ivcd(ds["vcd"])
    xr.testing.assert_identical(ds, before)
    s = pd.Series([1e6, 2e6, 4e6], index=[0.0, 1.0, 2.0])
    s_before = s.copy()
    growth_rate(s), ivcd(s)
    pd.testing.assert_series_equal(s, s_before)


def test_compare_scales_on_sample_log_titer():
    s = run_summary(load_runs(AAV), "aav", vg_per_cell_denominator="cells_at_transfection")
    r = compare_scales(s, "vg_titer_harvest", "2 L", 0.3, log10=True)
    assert list(r["scale"]) == ["50 L", "200 L"]
    assert (r["ci_low"] < r["difference"]).all() and (r["difference"] < r["ci_high"]).all()
    assert r["confidence"].eq(0.9).all()


def test_computational_module_does_not_import_bokeh():
    code = "import sys, pdkit.upstream; print(any(m.startswith('bokeh') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_plots_build_from_results():
    pytest.importorskip("bokeh")
    from bokeh.models import Model

    from pdkit.plots.upstream import growth_plot, ln_vcd_plot, productivity_plot, titer_plot

    ds = load_runs(AAV)
    g = growth_rate(ds["vcd"])
    iv = ivcd(ds["vcd"])
    q = specific_productivity(ds["vg_titer"], iv, window=(3.0, 7.0))
    figs = [growth_plot(ds), titer_plot(ds, ["vg_titer", "capsid_titer"]), ln_vcd_plot(ds, g),
            productivity_plot(ds["vg_titer"], iv, q, window=(3.0, 7.0), ds=ds)]
    assert all(isinstance(f, Model) for f in figs)
