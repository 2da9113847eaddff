"""Generate the SYNTHETIC spec-setting sample data in data_samples/spec_setting/.

Writes (deterministically; running twice gives byte-identical files):

* ``plasmid_dev_lots_synthetic.csv``: 30 development/GMP lots of a plasmid DNA drug
  substance, long format ``lot, attribute, value, unit``, four attributes:
  ``supercoiled`` (%), ``a260_a280`` (ratio), ``endotoxin`` (EU/mg), ``concentration`` (mg/mL).
  The attribute names match ``data_samples/specs/plasmid_gmp_spec.yaml``.
* ``plasmid_dev_truth_synthetic.csv``: the ground truth per attribute.

Ground truth (magnitudes from /work/shared/domain-primer.md, "Release specifications":
supercoiled >= 80 % (FDA) / >= 90 % (EMA); endotoxin <= 40 / <= 10 EU/mg; A260/280 1.75-1.85;
concentration spec 1.80-2.20 mg/mL as in the sample specification file):

* supercoiled: normal, mean 94.0 %, SD 0.8 %, for lots 1-18; from lot 19 on the mean drifts
  down by 0.35 % per lot (a slowly fouling polishing column, say), reaching about 89.8 % by
  lot 30, so trending rules fire in the last lots.  Reported to 0.1 %.
* a260_a280: normal, mean 1.81, SD 0.012, reported to 0.01.
* endotoxin: lognormal, geometric mean 1.5 EU/mg, geometric SD 1.8 (right-skewed, so the
  normality check fails and the report suggests a log transform), reported to 0.1 EU/mg.
* concentration: normal, mean 2.00 mg/mL, SD 0.05, reported to 0.01.

Lots are numbered PD-2401 ... PD-2430 in manufacturing order.

Usage: ``python scripts/samples/make_spec_setting.py [--out DIR] [--seed N]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
N_LOTS = 30
DRIFT_START = 19  # first lot (1-based) of the downward drift in supercoiled
DRIFT_PER_LOT = 0.35
ROOT = Path(__file__).resolve().parents[2]

TRUTH = [
    # attribute, unit, distribution, centre, spread, decimals, note
    ("supercoiled", "%", "normal", 94.0, 0.8, 1,
     f"mean drifts down {DRIFT_PER_LOT} %/lot from lot {DRIFT_START}"),
    ("a260_a280", "", "normal", 1.81, 0.012, 2, "stable"),
    ("endotoxin", "EU/mg", "lognormal", 1.5, 1.8, 1, "centre = geometric mean, spread = geometric SD"),
    ("concentration", "mg/mL", "normal", 2.00, 0.05, 2, "stable"),
]


def make(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (lot results, ground truth) tables."""
    rng = np.random.default_rng(seed)
    lots = [f"PD-24{i:02d}" for i in range(1, N_LOTS + 1)]
    idx = np.arange(1, N_LOTS + 1)
    rows = []
    for attribute, unit, dist, centre, spread, decimals, _ in TRUTH:
        if dist == "normal":
            mean = np.full(N_LOTS, centre)
            if attribute == "supercoiled":
                mean = mean - DRIFT_PER_LOT * np.clip(idx - DRIFT_START + 1, 0, None)
            values = rng.normal(mean, spread)
        else:
            values = np.exp(rng.normal(np.log(centre), np.log(spread), N_LOTS))
        for lot, v in zip(lots, values):
            rows.append({"lot": lot, "attribute": attribute, "value": f"{v:.{decimals}f}", "unit": unit})
    data = pd.DataFrame(rows)
    truth = pd.DataFrame(
        [
            {"attribute": a, "unit": u, "distribution": d, "centre": c, "spread": s, "decimals": k, "note": note}
            for a, u, d, c, s, k, note in TRUTH
        ]
    )
    truth["seed"] = seed
    return data, truth


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data_samples" / "spec_setting")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data, truth = make(args.seed)
    data.to_csv(args.out / "plasmid_dev_lots_synthetic.csv", index=False, lineterminator="\n")
    truth.to_csv(args.out / "plasmid_dev_truth_synthetic.csv", index=False, lineterminator="\n")
    print(f"wrote {len(data)} rows to {args.out}")


if __name__ == "__main__":
    main()
