"""Generate the SYNTHETIC release-testing sample data in data_samples/release/.

Run from anywhere:  python scripts/samples/make_release.py
Deterministic: a fixed seed and fixed number formatting, so re-running gives byte-identical files.

Ground truth (documented in data_samples/release/README.md):
* normal lots draw each numeric attribute from the distribution in GROUND_TRUTH (mean, sd, decimals
  written); magnitudes follow the sources cited in data_samples/specs/*.yaml and
  /work/shared/domain-primer.md (e.g. supercoiled > 90 % after HIC polishing, A260/280 about 1.8,
  AAV DS titers about 1e13 vg/mL, AUC % full 70-90 %);
* deliberate scenarios are overwritten after the draw (see SCENARIOS) so that the sample contains a
  failing lot, a <LOQ result, a missing test, unit conversions and a borderline value that only passes
  after USP rounding.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 20250315
OUT = Path(__file__).resolve().parents[2] / "data_samples" / "release"

# attribute: (mean, sd, decimals written, unit)   -- numeric attributes of normal lots
PLASMID_TRUTH = {
    "concentration": (2.00, 0.05, 3, "mg/mL"),
    "a260_a280": (1.80, 0.012, 3, ""),
    "supercoiled": (94.0, 1.5, 2, "%"),
    "endotoxin": (2.0, 0.6, 2, "EU/mg"),
    "host_protein": (2.0, 0.6, 2, "ug/mg"),
    "host_gdna": (3.0, 0.8, 2, "ug/mg"),
}
PLASMID_TEXT = {
    "appearance": "Clear, colourless solution",
    "identity_restriction_map": "Conforms",
    "identity_sequence": "Conforms",
    "host_rna": "Not visible",
    "sterility": "No growth",
}
AAV_TRUTH = {
    "vg_titer": (2.0e13, 0.2e13, None, "vg/mL"),  # written with 3 significant figures
    "full_capsids": (80.0, 3.0, 1, "%"),
    "aggregates": (1.5, 0.4, 2, "%"),
    "capsid_purity": (98.0, 0.6, 2, "%"),
    "host_cell_protein": (25.0, 6.0, 1, "ng/mL"),
    "host_cell_dna": (3.0, 0.8, 2, "ng/(1e13 vg)"),
    "residual_plasmid": (1.0e8, 0.3e8, None, "copies/(1e13 vg)"),
    "endotoxin": (0.12, 0.03, 3, "EU/mL"),
    "ph": (7.30, 0.05, 2, ""),
    "osmolality": (380.0, 8.0, 0, "mOsm/kg"),
    "potency": (100.0, 12.0, 0, "%"),
}
AAV_TEXT = {
    "appearance": "Clear, colourless, essentially free of visible particles",
    "identity_genome": "Conforms",
    "identity_capsid": "Conforms",
    "sterility": "No growth",
    "mycoplasma": "Negative",
}
PLASMID_LOTS = ["PD-24-001", "PD-24-002", "PD-24-003", "PD-24-004"]
AAV_LOTS = ["AV-25-01", "AV-25-02", "AV-25-03"]

# (lot, attribute) -> (value text, unit, qualifier); None removes the row (test not reported)
SCENARIOS = {
    # PD-24-002: supercoiled content too low (HIC polishing underperformed) -> does not meet
    ("PD-24-002", "supercoiled"): ("86.42", "%", ""),
    # PD-24-003: host protein below the ELISA LOQ (spec loq 0.5 ug/mg); gDNA reported in ng/mg
    ("PD-24-003", "host_protein"): ("<LOQ", "", ""),
    ("PD-24-003", "host_gdna"): ("2710", "ng/mg", ""),
    # PD-24-004: sterility result not yet available -> incomplete
    ("PD-24-004", "sterility"): None,
    # AV-25-01: HCP censored via the qualifier column
    ("AV-25-01", "host_cell_protein"): ("5", "ng/mL", "<"),
    # AV-25-02: too many empty capsids -> does not meet; endotoxin 0.504 rounds to 0.50 and passes
    ("AV-25-02", "full_capsids"): ("62.4", "%", ""),
    ("AV-25-02", "endotoxin"): ("0.504", "EU/mL", ""),
    # AV-25-03: titer reported per litre (converted); mycoplasma result missing -> incomplete
    ("AV-25-03", "vg_titer"): ("2.31e16", "vg/L", ""),
    ("AV-25-03", "mycoplasma"): None,
}


def _fmt(x: float, decimals: int | None) -> str:
    return f"{x:.2e}" if decimals is None else f"{x:.{decimals}f}"


def _rows(lots, truth, text, rng):
    rows = []
    for lot in lots:
        for name, value in text.items():
            rows.append([lot, name, value, "", ""])
        for name, (mean, sd, dec, unit) in truth.items():
            x = rng.normal(mean, sd)
            if name in ("endotoxin", "host_protein", "host_gdna", "residual_plasmid"):
                x = abs(x)
            rows.append([lot, name, _fmt(x, dec), unit, ""])
    out = []
    for lot, name, value, unit, qual in rows:
        key = (lot, name)
        if key in SCENARIOS:
            if SCENARIOS[key] is None:
                continue
            value, unit, qual = SCENARIOS[key]
        out.append([lot, name, value, unit, qual])
    return out


def _csv(path: Path, rows) -> None:
    def cell(v: str) -> str:
        return f'"{v}"' if ("," in v or '"' in v) else v

    lines = ["lot,attribute,value,unit,qualifier"] + [",".join(cell(str(v)) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main() -> list[Path]:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    plasmid = _rows(PLASMID_LOTS, PLASMID_TRUTH, PLASMID_TEXT, rng)
    aav = _rows(AAV_LOTS, AAV_TRUTH, AAV_TEXT, rng)
    files = [OUT / "plasmid_release_synthetic.csv", OUT / "aav_release_synthetic.csv"]
    _csv(files[0], plasmid)
    _csv(files[1], aav)
    return files


if __name__ == "__main__":
    for f in main():
        print(f"wrote {f}")
