"""Generate the SYNTHETIC stability sample data in data_samples/stability/.

Writes (deterministically; running twice gives byte-identical files):

* ``aav_stability_synthetic.csv``: an AAV drug-product real-time stability study at
  5 +/- 3 degC, four batches, months 0, 3, 6, 9, 12, 18, 24 (batch AAV-DP-004 is
  still on study and has results to 18 months).  Columns: ``batch``, ``month``,
  ``potency_pct`` (relative potency, % of reference), ``vg_titer`` (vg/mL, ddPCR),
  ``aggregates_pct`` (SEC high-molecular-weight species, % area).
* ``plasmid_stability_synthetic.csv``: a plasmid DNA drug substance at 5 degC, three
  batches, months 0-24.  Columns: ``batch``, ``month``, ``supercoiled_pct``
  (% supercoiled by capillary electrophoresis / AEX-HPLC), ``concentration_mg_ml``.
* ``stability_truth_synthetic.csv``: the per-batch, per-attribute ground truth
  (intercept, slope per month, residual SD) used to simulate.

Ground truth (straight lines plus normal measurement error, one result per pull):

* AAV potency: intercepts 101, 98, 103, 100 %, a common slope -1.0 %/month,
  SD 2.5 % (a cell-based potency assay with a few % CV); acceptance 70-130 % of
  reference is a typical relative-potency range.  With a common slope the ICH Q1E
  ANCOVA should usually pool the slopes.
* AAV vg titer: 2.0e13, 1.9e13, 2.1e13, 2.0e13 vg/mL, slope -0.3 % of the initial
  titer per month, SD 4 % (ddPCR intermediate precision); a typical specification is
  the label claim +/- 20-30 %, e.g. >= 1.4e13 vg/mL for a 2e13 label claim.
* AAV aggregates: intercepts 0.9, 1.1, 1.0, 1.2 % with batch slopes 0.045, 0.060,
  0.080, 0.050 %/month (different slopes on purpose, so the analysis picks
  separate lines), SD 0.08 %; specification <= 3.0 %.
* Plasmid supercoiled: intercepts 95.0, 94.0, 96.0 %, common slope -0.25 %/month,
  SD 0.8 %; specification >= 80 % (FDA) or >= 90 % (EMA; domain primer, Release
  specifications).
* Plasmid concentration: 1.00, 1.02, 0.98 mg/mL, no trend, SD 0.015 mg/mL.

Magnitudes: vg titers of formulated AAV drug product 1e12-1e14 vg/mL; the aggregate
and potency drift rates are illustrative of a product that is stable at 5 degC for
about two years and are not taken from a publication (see the README).  ICH Q1A(R2)
sets the pull schedule (every 3 months in year 1, every 6 months in year 2).

Usage: ``python scripts/samples/make_stability.py [--out DIR] [--seed N]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240917
ROOT = Path(__file__).resolve().parents[2]
MONTHS = [0, 3, 6, 9, 12, 18, 24]

# batch, last month on study, potency intercept, titer intercept (vg/mL), aggregates intercept, aggregates slope
AAV_BATCHES = [
    ("AAV-DP-001", 24, 101.0, 2.0e13, 0.9, 0.045),
    ("AAV-DP-002", 24, 98.0, 1.9e13, 1.1, 0.060),
    ("AAV-DP-003", 24, 103.0, 2.1e13, 1.0, 0.080),
    ("AAV-DP-004", 18, 100.0, 2.0e13, 1.2, 0.050),
]
POTENCY_SLOPE, POTENCY_SD = -1.00, 2.5
TITER_REL_SLOPE, TITER_REL_SD = -0.003, 0.04
AGG_SD = 0.08

# batch, supercoiled intercept, concentration (mg/mL)
PDNA_BATCHES = [("PDNA-DS-101", 95.0, 1.00), ("PDNA-DS-102", 94.0, 1.02), ("PDNA-DS-103", 96.0, 0.98)]
SC_SLOPE, SC_SD = -0.25, 0.8
CONC_SD = 0.015


def make(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Return the three tables (no files written)."""
    rng = np.random.default_rng(seed)
    aav_rows, pdna_rows, truth = [], [], []
    for batch, last, pot0, vg0, agg0, agg_slope in AAV_BATCHES:
        for m in (mm for mm in MONTHS if mm <= last):
            aav_rows.append({
                "batch": batch,
                "month": m,
                "potency_pct": round(pot0 + POTENCY_SLOPE * m + rng.normal(0, POTENCY_SD), 1),
                "vg_titer": float(f"{vg0 * (1 + TITER_REL_SLOPE * m + rng.normal(0, TITER_REL_SD)):.3e}"),
                "aggregates_pct": round(agg0 + agg_slope * m + rng.normal(0, AGG_SD), 2),
            })
        truth += [
            {"dataset": "aav", "batch": batch, "attribute": "potency_pct", "intercept": pot0,
             "slope_per_month": POTENCY_SLOPE, "sd": POTENCY_SD},
            {"dataset": "aav", "batch": batch, "attribute": "vg_titer", "intercept": vg0,
             "slope_per_month": vg0 * TITER_REL_SLOPE, "sd": vg0 * TITER_REL_SD},
            {"dataset": "aav", "batch": batch, "attribute": "aggregates_pct", "intercept": agg0,
             "slope_per_month": agg_slope, "sd": AGG_SD},
        ]
    for batch, sc0, conc0 in PDNA_BATCHES:
        for m in MONTHS:
            pdna_rows.append({
                "batch": batch,
                "month": m,
                "supercoiled_pct": round(sc0 + SC_SLOPE * m + rng.normal(0, SC_SD), 1),
                "concentration_mg_ml": round(conc0 + rng.normal(0, CONC_SD), 3),
            })
        truth += [
            {"dataset": "plasmid", "batch": batch, "attribute": "supercoiled_pct", "intercept": sc0,
             "slope_per_month": SC_SLOPE, "sd": SC_SD},
            {"dataset": "plasmid", "batch": batch, "attribute": "concentration_mg_ml", "intercept": conc0,
             "slope_per_month": 0.0, "sd": CONC_SD},
        ]
    return {
        "aav_stability_synthetic.csv": pd.DataFrame(aav_rows),
        "plasmid_stability_synthetic.csv": pd.DataFrame(pdna_rows),
        "stability_truth_synthetic.csv": pd.DataFrame(truth),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data_samples" / "stability")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, df in make(args.seed).items():
        df = df.copy()
        for col in ("vg_titer",):  # titers in scientific notation, as labs report them
            if col in df:
                df[col] = [f"{v:.3e}" for v in df[col]]
        df.to_csv(args.out / name, index=False, lineterminator="\n")
        print(f"wrote {args.out / name} ({len(df)} rows)")


if __name__ == "__main__":
    main()
