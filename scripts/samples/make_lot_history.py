"""Generate the SYNTHETIC multi-year lot history in data_samples/lot_history/.

Writes (deterministically; running twice gives byte-identical files):

* ``pdx_lot_history_synthetic.csv``: 5 years (2021-2025) x 24 lots x 8 numeric release
  attributes of a plasmid DNA drug substance "PDX-101", long format
  ``product, lot, date, scale, site, attribute, value, unit, qualifier, method``
  (960 rows), ready for ``pdkit lots import``;
* ``pdx_spec_synthetic.yaml``: its release specification (version 1.0, effective 2021-01-01).

Ground truth (magnitudes: /work/shared/domain-primer.md "Release specifications"; J Biol Eng
2024 Table 2; see the README): stable normal (or lognormal) attributes, plus two planted
changes that a CPV report must find:

* a **shift**: ``supercoiled`` mean 94.5 % -> 93.0 % from lot PDX-24-01 (lot 73, January 2024;
  say a new lot of AEX resin), about 2 lot-to-lot SDs;
* a **trend**: ``host_gdna`` mean 2.0 ug/mg, rising 0.045 ug/mg per lot from lot PDX-23-13
  (lot 61, July 2023) to about 4.7 ug/mg at lot 120, close to the 5.0 ug/mg limit.

Usage: ``python scripts/samples/make_lot_history.py [--out DIR] [--seed N]``.
"""
from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261206
YEARS = range(2021, 2026)
LOTS_PER_YEAR = 24
PRODUCT = "PDX-101 (synthetic)"
SHIFT_LOT, SHIFT_TO = 73, 93.0       # supercoiled mean from lot 73 on
TREND_LOT, TREND_PER_LOT = 61, 0.045  # host_gdna rise per lot from lot 61 on
CENSORED_LOT = "PDX-22-07"            # endotoxin reported as <0.5 (below the LOQ)
ROOT = Path(__file__).resolve().parents[2]

# attribute, unit, method, model, centre, spread, decimals, lower, upper, limit source
TRUTH = [
    ("concentration", "mg/mL", "UV absorbance at 260 nm", "normal", 2.00, 0.04, 2, 1.80, 2.20,
     "Cancer Gene Ther 2015;22:85, Table 2: 2.0 +/- 0.2 mg/mL"),
    ("a260_a280", "", "UV absorbance ratio A260/A280", "normal", 1.81, 0.010, 2, 1.75, 1.85,
     "J Biol Eng 2024 Table 2 (EMA): 1.75-1.85"),
    ("supercoiled", "%", "AEX-HPLC", "normal", 94.5, 0.7, 1, 90.0, None,
     "J Biol Eng 2024 Table 2: >= 90 % (EMA, NMPA)"),
    ("open_circular", "%", "AEX-HPLC", "normal", 4.0, 0.5, 1, None, 8.0,
     "illustrative: complement of supercoiled with linear and multimers"),
    ("endotoxin", "EU/mg", "LAL kinetic chromogenic (USP <85>)", "lognormal", 1.2, 1.4, 1, None, 10.0,
     "J Biol Eng 2024 Table 2: <= 10 EU/mg (EMA, NMPA)"),
    ("host_protein", "ug/mg", "E. coli HCP ELISA", "normal", 1.5, 0.3, 2, None, 10.0,
     "J Biol Eng 2024 Table 2: <= 10 ug/mg (EMA)"),
    ("host_gdna", "ug/mg", "E. coli genomic DNA qPCR", "normal", 2.0, 0.3, 2, None, 5.0,
     "illustrative in-house limit between NMPA (<= 2 ug/mg) and EMA (<= 10 ug/mg), J Biol Eng 2024 Table 2"),
    ("ph", "", "Potentiometry", "normal", 8.00, 0.05, 2, 7.50, 8.50,
     "illustrative: Tris-EDTA formulation buffer, pH 8.0 +/- 0.5"),
]


def lot_dates() -> list[tuple[str, date]]:
    """Lot numbers and manufacturing dates: 24 lots a year, about every 15 days from 5 January."""
    out = []
    for y in YEARS:
        for k in range(LOTS_PER_YEAR):
            out.append((f"PDX-{y % 100:02d}-{k + 1:02d}", date(y, 1, 5) + timedelta(days=round(k * 360 / LOTS_PER_YEAR))))
    return out


def make(seed: int = SEED) -> pd.DataFrame:
    """The lot-history table."""
    rng = np.random.default_rng(seed)
    lots = lot_dates()
    n = len(lots)
    idx = np.arange(1, n + 1)
    columns = {}
    for attribute, unit, method, model, centre, spread, decimals, *_ in TRUTH:
        if model == "normal":
            mean = np.full(n, centre)
            if attribute == "supercoiled":
                mean[idx >= SHIFT_LOT] = SHIFT_TO
            if attribute == "host_gdna":
                mean = mean + TREND_PER_LOT * np.clip(idx - TREND_LOT + 1, 0, None)
            v = rng.normal(mean, spread)
        else:
            v = np.exp(rng.normal(np.log(centre), np.log(spread), n))
        columns[attribute] = v
    rows = []
    for i, (lot, d) in enumerate(lots):
        for attribute, unit, method, model, centre, spread, decimals, *_ in TRUTH:
            value, qualifier = f"{columns[attribute][i]:.{decimals}f}", ""
            if attribute == "endotoxin" and lot == CENSORED_LOT:
                value, qualifier = "0.5", "<"
            rows.append({"product": PRODUCT, "lot": lot, "date": d.isoformat(), "scale": "200 L",
                         "site": "Site A", "attribute": attribute, "value": value, "unit": unit,
                         "qualifier": qualifier, "method": method})
    return pd.DataFrame(rows)


def spec_yaml() -> str:
    """The release specification of the sample product (YAML text)."""
    lines = [
        "# SYNTHETIC sample: release specification of the demo product PDX-101 (plasmid DNA drug substance).",
        "# Written by scripts/samples/make_lot_history.py; the source of each limit is cited per attribute.",
        f"product: {PRODUCT}",
        'version: "1.0"',
        "effective_date: 2021-01-01",
        "title: PDX-101 release specification (synthetic, illustrative)",
        "attributes:",
    ]
    for attribute, unit, method, _m, _c, _s, decimals, lower, upper, source in TRUTH:
        lines += [f"  - name: {attribute}", f"    method: {method}", f'    unit: "{unit}"']
        fmt = f"{{:.{decimals}f}}"
        if lower is not None and upper is not None:
            lines += ["    criterion: range", f"    lower: {fmt.format(lower)}   # {source}",
                      f"    upper: {fmt.format(upper)}"]
        elif lower is not None:
            lines += ['    criterion: ">="', f"    limit: {fmt.format(lower)}   # {source}"]
        else:
            lines += ['    criterion: "<="', f"    limit: {fmt.format(upper)}   # {source}"]
        if attribute == "endotoxin":
            lines += ["    loq: 0.5"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data_samples" / "lot_history")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data = make(args.seed)
    data.to_csv(args.out / "pdx_lot_history_synthetic.csv", index=False, lineterminator="\n")
    (args.out / "pdx_spec_synthetic.yaml").write_text(spec_yaml(), encoding="utf-8")
    print(f"wrote {len(data)} rows to {args.out}")


if __name__ == "__main__":
    main()
