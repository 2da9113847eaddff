"""Generate the SYNTHETIC upstream sample data in data_samples/upstream/.

Writes (deterministically; running twice gives byte-identical files):

* ``aav_runs_synthetic.csv``: HEK293 triple-transfection AAV bioreactor runs at
  2 L (3 runs), 50 L (2) and 200 L (2), days 0-7, transfection on day 3.
* ``plasmid_runs_synthetic.csv``: E. coli pDNA fed-batch runs at 10 L (2) and
  100 L (2), 0-40 h.
* ``upstream_truth_synthetic.csv``: the per-run ground truth used to simulate.

Magnitudes follow /work/shared/domain-primer.md (Upstream): transfection at
1-4e6 cells/mL, harvest 48-96 h later, crude titers about 1e10-1e11 vg/mL,
1,000-7,000 vg/cell, crude harvests 50-90 % empty (Chahal et al. 2014; Zhao et
al. 2020); E. coli fed-batch 40-60 g/L DCW, about 1 g/L pDNA, 4-18 mg/g,
OD600-to-DCW 0.3-0.45 g/L per OD.  HEK293 doubling time about 24-30 h
(mu about 0.55-0.7 per day) is a common culture figure, not from the primer.

Usage: ``python scripts/samples/make_upstream.py [--out DIR] [--seed N]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240605
ROOT = Path(__file__).resolve().parents[2]

# --- AAV ground truth --------------------------------------------------------
AAV_RUNS = [
    # run, scale, working volume L, mu (1/day), X0 (cells/mL), qP (vg/cell/day), full fraction, date
    ("AAV-2L-01", "2 L", 2.0, 0.62, 0.50e6, 1600.0, 0.26, "2024-03-04"),
    ("AAV-2L-02", "2 L", 2.0, 0.60, 0.52e6, 1500.0, 0.25, "2024-03-11"),
    ("AAV-2L-03", "2 L", 2.0, 0.61, 0.48e6, 1550.0, 0.27, "2024-03-18"),
    ("AAV-50L-01", "50 L", 50.0, 0.60, 0.50e6, 1450.0, 0.23, "2024-04-08"),
    ("AAV-50L-02", "50 L", 50.0, 0.59, 0.51e6, 1500.0, 0.24, "2024-04-22"),
    ("AAV-200L-01", "200 L", 200.0, 0.58, 0.50e6, 1400.0, 0.21, "2024-05-13"),
    ("AAV-200L-02", "200 L", 200.0, 0.59, 0.49e6, 1450.0, 0.22, "2024-05-27"),
]
AAV_TX = 3.0  # transfection day
AAV_MU_POST = 0.10  # 1/day, days 3-5 after transfection
AAV_KD = 0.12  # 1/day net decline, days 5-7
AAV_DAYS = np.arange(0.0, 8.0)
AAV_TITER_DAYS = np.array([4.0, 5.0, 6.0, 7.0])

# --- plasmid ground truth ----------------------------------------------------
PL_RUNS = [
    # run, scale, working volume L, batch mu (1/h), fed-batch mu (1/h), OD0, OD->DCW (g/L/OD), SC %, date
    ("PDNA-10L-01", "10 L", 10.0, 0.40, 0.085, 0.20, 0.38, 92.0, "2024-02-05"),
    ("PDNA-10L-02", "10 L", 10.0, 0.41, 0.084, 0.20, 0.38, 93.0, "2024-02-12"),
    ("PDNA-100L-01", "100 L", 100.0, 0.39, 0.083, 0.21, 0.38, 91.5, "2024-03-04"),
    ("PDNA-100L-02", "100 L", 100.0, 0.40, 0.085, 0.19, 0.38, 92.5, "2024-03-18"),
]
PL_BATCH_END = 10.0  # h
PL_HOURS = np.arange(0.0, 41.0, 2.0)


def aav_vcd_true(t: np.ndarray, x0: float, mu: float) -> np.ndarray:
    """Piecewise exponential VCD: mu to day 3, AAV_MU_POST to day 5, -AAV_KD after."""
    x3 = x0 * np.exp(mu * AAV_TX)
    x5 = x3 * np.exp(AAV_MU_POST * 2.0)
    return np.where(
        t <= AAV_TX,
        x0 * np.exp(mu * t),
        np.where(t <= 5.0, x3 * np.exp(AAV_MU_POST * (t - AAV_TX)), x5 * np.exp(-AAV_KD * (t - 5.0))),
    )


def aav_ivcd_true(t: float, x0: float, mu: float) -> float:
    """Exact integral of :func:`aav_vcd_true` from 0 to t (cells·day/mL)."""
    grid = np.linspace(0.0, t, 20001)
    from scipy.integrate import trapezoid

    return float(trapezoid(aav_vcd_true(grid, x0, mu), grid))


def make_aav(rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    rows, truth = [], []
    for run, scale, vol, mu, x0, qp, full, date in AAV_RUNS:
        vcd = aav_vcd_true(AAV_DAYS, x0, mu) * rng.lognormal(0.0, 0.04, AAV_DAYS.size)
        via = np.where(AAV_DAYS <= AAV_TX, 97.0, 97.0 - 6.0 * (AAV_DAYS - AAV_TX)) + rng.normal(0, 0.5, AAV_DAYS.size)
        ivc = np.array([aav_ivcd_true(t, x0, mu) for t in AAV_DAYS])
        glc = (6.0 - 0.20e-6 * ivc) * rng.lognormal(0.0, 0.02, AAV_DAYS.size)
        lac = (0.10 + 0.12e-6 * ivc) * rng.lognormal(0.0, 0.03, AAV_DAYS.size)
        ivc_tx = aav_ivcd_true(AAV_TX, x0, mu)
        vg = np.array([qp * (aav_ivcd_true(t, x0, mu) - ivc_tx) for t in AAV_TITER_DAYS])
        vg_meas = vg * rng.lognormal(0.0, 0.05, vg.size)
        cp_meas = vg / full * rng.lognormal(0.0, 0.08, vg.size)
        big = scale == "200 L"  # the 200 L site exports VCD in 1e6 cells/mL
        meta = dict(scale=scale, working_volume=vol, cell_line="HEK293 (synthetic)", process="aav",
                    date=date, transfection_time=AAV_TX)
        for k, t in enumerate(AAV_DAYS):
            rows.append(dict(run=run, time=t, time_unit="day", variable="vcd",
                             value=vcd[k] / 1e6 if big else vcd[k], unit="1e6 cells/mL" if big else "cells/mL", **meta))
            rows.append(dict(run=run, time=t, time_unit="day", variable="viability", value=via[k], unit="%", **meta))
            rows.append(dict(run=run, time=t, time_unit="day", variable="glucose", value=glc[k], unit="g/L", **meta))
            rows.append(dict(run=run, time=t, time_unit="day", variable="lactate", value=lac[k], unit="g/L", **meta))
        for k, t in enumerate(AAV_TITER_DAYS):
            rows.append(dict(run=run, time=t, time_unit="day", variable="vg_titer", value=vg_meas[k], unit="vg/mL", **meta))
            rows.append(dict(run=run, time=t, time_unit="day", variable="capsid_titer", value=cp_meas[k], unit="cp/mL", **meta))
        truth.append(dict(run=run, process="aav", scale=scale, time_unit="day", mu=mu, qp=qp, qp_unit="vg/cell/day",
                          x0=x0, full_percent=100 * full, od_to_dcw=np.nan, supercoiled_percent=np.nan,
                          vg_titer_day7=vg[-1], vcd_day3=float(aav_vcd_true(np.array(3.0), x0, mu))))
    return pd.DataFrame(rows), truth


def make_plasmid(rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    rows, truth = [], []
    for run, scale, vol, mu_b, mu_f, od0, f, sc, date in PL_RUNS:
        t = PL_HOURS
        od_true = np.where(t <= PL_BATCH_END, od0 * np.exp(mu_b * t),
                           od0 * np.exp(mu_b * PL_BATCH_END) * np.exp(mu_f * (t - PL_BATCH_END)))
        od = od_true * rng.lognormal(0.0, 0.03, t.size)
        dcw_true = f * od_true
        sy = 3.0 + 15.0 * (t / 40.0) ** 2  # mg pDNA / g DCW
        meta = dict(scale=scale, working_volume=vol, cell_line="E. coli DH5alpha (synthetic)", process="plasmid",
                    date=date, transfection_time=np.nan)
        for k, tk in enumerate(t):
            rows.append(dict(run=run, time=tk, time_unit="hour", variable="od600", value=od[k], unit="OD", **meta))
            if tk % 8 == 0:
                rows.append(dict(run=run, time=tk, time_unit="hour", variable="dcw",
                                 value=dcw_true[k] * rng.lognormal(0.0, 0.04), unit="g/L", **meta))
            if tk >= 8 and tk % 4 == 0:
                rows.append(dict(run=run, time=tk, time_unit="hour", variable="pdna",
                                 value=sy[k] * dcw_true[k] * rng.lognormal(0.0, 0.06), unit="mg/L", **meta))
            if tk in (24.0, 32.0, 40.0):
                rows.append(dict(run=run, time=tk, time_unit="hour", variable="supercoiled",
                                 value=sc + rng.normal(0.0, 0.8), unit="%", **meta))
        truth.append(dict(run=run, process="plasmid", scale=scale, time_unit="hour", mu=mu_b, qp=np.nan, qp_unit="",
                          x0=od0, full_percent=np.nan, od_to_dcw=f, supercoiled_percent=sc,
                          vg_titer_day7=np.nan, vcd_day3=np.nan))
    return pd.DataFrame(rows), truth


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data_samples" / "upstream")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    aav, t1 = make_aav(rng)
    pl, t2 = make_plasmid(rng)
    meta_cols = ["scale", "working_volume", "cell_line", "process", "date"]
    args.out.mkdir(parents=True, exist_ok=True)
    aav = aav.drop(columns=[]).loc[:, ["run", "time", "time_unit", "variable", "value", "unit", *meta_cols, "transfection_time"]]
    pl = pl.loc[:, ["run", "time", "time_unit", "variable", "value", "unit", *meta_cols]]
    opts = dict(index=False, float_format="%.6g", lineterminator="\n")
    aav.to_csv(args.out / "aav_runs_synthetic.csv", **opts)
    pl.to_csv(args.out / "plasmid_runs_synthetic.csv", **opts)
    pd.DataFrame(t1 + t2).to_csv(args.out / "upstream_truth_synthetic.csv", **opts)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
