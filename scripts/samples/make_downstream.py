"""Generate the SYNTHETIC downstream sample data in data_samples/downstream/.

Two purification trains with a documented ground truth (step yields, LRVs and
side-fraction splits), measured with multiplicative log-normal assay noise and
censored at assay LOQs:

* ``aav_downstream_synthetic.csv`` - AAV (HEK293 triple transfection, 50 L harvest):
  lysis/nuclease -> clarification -> TFF -> affinity -> AEX -> UF/DF -> sterile filtration.
* ``plasmid_downstream_synthetic.csv`` - plasmid DNA (E. coli fed-batch, 10 L):
  alkaline lysis -> clarification -> TFF -> AEX -> HIC -> UF/DF -> 0.2 um filtration.

Magnitudes follow /work/shared/domain-primer.md (crude AAV titer ~1e10-3e11 vg/mL,
Chahal et al. 2014 and Zhao et al. 2020; step yields clarification > 90 %, affinity
65-80 %, AEX 60-80 %, overall ~30 %; plasmid ~1 g/L pDNA).  Impurity loads and LRVs are
plausible planning values chosen for illustration, not measurements.

Run from the repository root (deterministic; a second run gives byte-identical files):

    .venv/bin/python scripts/samples/make_downstream.py
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

SEED = 20240605
OUT = Path(__file__).resolve().parents[2] / "data_samples" / "downstream"

COLUMNS = [
    "step", "attribute", "volume_unit", "conc_unit",
    "load_volume", "load_conc", "load_qualifier",
    "pool_volume", "pool_conc", "pool_qualifier",
    "flowthrough_volume", "flowthrough_conc",
    "wash_volume", "wash_conc",
    "strip_volume", "strip_conc",
]

# --------------------------------------------------------------------------- AAV ground truth
# step: (volume unit, load volume, pool volume, {side fraction: volume})
AAV_STEPS = [
    ("lysis_nuclease", "L", 50.0, 52.0, {}),
    ("clarification", "L", 52.0, 54.0, {}),
    ("TFF_100kDa", "L", 54.0, 5.4, {"flowthrough": 75.6}),  # permeate: 48.6 L + 5 DV x 5.4 L
    ("affinity", "mL", 5400.0, 500.0, {"flowthrough": 5400.0, "wash": 1000.0, "strip": 500.0}),
    ("AEX", "mL", 2000.0, 600.0, {"flowthrough": 2000.0, "wash": 500.0, "strip": 300.0}),  # load = pool diluted 4x
    ("UF_DF", "mL", 600.0, 100.0, {}),
    ("sterile_filtration", "mL", 100.0, 105.0, {}),
]
# attribute: (conc unit, conc in the first load, assay CV, LOQ, per-step truth)
# per-step truth: (fraction of load to pool, {side fraction: fraction of load})
AAV_ATTRS = {
    "vg": ("vg/mL", 5e10, 0.10, 1e8, [
        (0.98, {}), (0.92, {}), (0.88, {"flowthrough": 0.005}),
        (0.68, {"flowthrough": 0.05, "wash": 0.02, "strip": 0.06}),
        (0.65, {"flowthrough": 0.06, "wash": 0.03, "strip": 0.12}),
        (0.93, {}), (0.97, {})]),
    # 20 % full in the harvest; AEX enriches to 70 % full (capsid yield 0.65 x 20/70)
    "capsid": ("cp/mL", 2.5e11, 0.15, 1e9, [
        (0.98, {}), (0.92, {}), (0.88, {"flowthrough": 0.005}),
        (0.68, {"flowthrough": 0.05, "wash": 0.02, "strip": 0.06}),
        (0.65 * 20 / 70, {"flowthrough": 0.55, "wash": 0.05, "strip": 0.12}),
        (0.93, {}), (0.97, {})]),
    "HCP": ("ng/mL", 1e5, 0.15, 1.0, [
        (1.0, {}), (10 ** -0.2, {}), (10 ** -0.5, {"flowthrough": 0.60}),
        (10 ** -3.5, {"flowthrough": 0.80, "wash": 0.12, "strip": 0.02}),
        (10 ** -1.3, {"flowthrough": 0.75, "wash": 0.10, "strip": 0.05}),
        (10 ** -0.3, {}), (1.0, {})]),
    "hcDNA": ("ng/mL", 2e4, 0.20, 0.1, [
        (10 ** -1.5, {}), (10 ** -0.3, {}), (10 ** -0.8, {"flowthrough": 0.75}),
        (10 ** -2.0, {"flowthrough": 0.85, "wash": 0.05, "strip": 0.02}),
        (10 ** -1.0, {"flowthrough": 0.05, "wash": 0.02, "strip": 0.80}),
        (10 ** -0.3, {}), (1.0, {})]),
    "plasmid_residual": ("ng/mL", 5e3, 0.20, 0.1, [
        (10 ** -1.2, {}), (10 ** -0.3, {}), (10 ** -0.7, {"flowthrough": 0.70}),
        (10 ** -2.0, {"flowthrough": 0.85, "wash": 0.05, "strip": 0.02}),
        (10 ** -1.0, {"flowthrough": 0.05, "wash": 0.02, "strip": 0.80}),
        (10 ** -0.2, {}), (1.0, {})]),
    "endotoxin": ("EU/mL", 2.0, 0.20, 0.05, [
        (1.0, {}), (10 ** -0.2, {}), (10 ** -0.3, {"flowthrough": 0.40}),
        (10 ** -1.5, {"flowthrough": 0.70, "wash": 0.10, "strip": 0.10}),
        (10 ** -2.0, {"flowthrough": 0.05, "wash": 0.02, "strip": 0.80}),
        (10 ** -0.2, {}), (1.0, {})]),
}

# --------------------------------------------------------------------------- plasmid ground truth
PLASMID_STEPS = [
    ("alkaline_lysis", "L", 10.0, 30.0, {}),  # resuspended cells -> neutralised, floc removed
    ("clarification", "L", 30.0, 31.0, {}),
    ("TFF_100kDa", "L", 31.0, 3.0, {"flowthrough": 43.0}),  # permeate: 28 L + 5 DV x 3 L
    ("AEX", "L", 6.0, 1.2, {"flowthrough": 6.0, "wash": 2.0, "strip": 0.5}),  # load = TFF pool diluted 2x
    ("HIC", "L", 2.4, 3.0, {"wash": 0.5, "strip": 0.5}),  # load = AEX pool + salt (2x); pDNA in flow-through pool
    ("UF_DF", "mL", 3000.0, 500.0, {}),
    ("sterile_filtration", "mL", 500.0, 520.0, {}),
]
PLASMID_ATTRS = {
    "pDNA": ("mg/mL", 1.0, 0.03, 0.001, [
        (0.80, {}), (0.95, {}), (0.92, {"flowthrough": 0.01}),
        (0.80, {"flowthrough": 0.03, "wash": 0.02, "strip": 0.05}),
        (0.85, {"wash": 0.03, "strip": 0.08}),
        (0.95, {}), (0.97, {})]),
    "gDNA": ("ug/mL", 1.5e3, 0.20, 0.01, [
        (10 ** -2.0, {}), (10 ** -0.5, {}), (10 ** -0.5, {"flowthrough": 0.30}),
        (10 ** -1.0, {"flowthrough": 0.20, "wash": 0.10, "strip": 0.55}),
        (10 ** -1.5, {"wash": 0.10, "strip": 0.80}),
        (10 ** -0.2, {}), (1.0, {})]),
    "RNA": ("ug/mL", 1e4, 0.20, 0.1, [
        (10 ** -0.5, {}), (10 ** -0.2, {}), (10 ** -1.0, {"flowthrough": 0.85}),
        (10 ** -1.5, {"flowthrough": 0.05, "wash": 0.55, "strip": 0.30}),
        (10 ** -2.5, {"wash": 0.05, "strip": 0.90}),
        (10 ** -0.3, {}), (1.0, {})]),
    "host_protein": ("ug/mL", 2.7e4, 0.15, 0.1, [
        (10 ** -1.5, {}), (10 ** -0.3, {}), (10 ** -0.7, {"flowthrough": 0.60}),
        (10 ** -1.5, {"flowthrough": 0.85, "wash": 0.08, "strip": 0.02}),
        (10 ** -1.0, {"wash": 0.10, "strip": 0.75}),
        (10 ** -0.2, {}), (1.0, {})]),
    "endotoxin": ("EU/mL", 5e5, 0.20, 0.05, [
        (10 ** -0.5, {}), (10 ** -0.3, {}), (10 ** -0.3, {"flowthrough": 0.40}),
        (10 ** -1.5, {"flowthrough": 0.10, "wash": 0.10, "strip": 0.70}),
        (10 ** -2.5, {"wash": 0.05, "strip": 0.85}),
        (10 ** -0.2, {}), (10 ** -0.1, {})]),
}


def _fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _to_mL(volume: float, unit: str) -> float:
    return volume * (1000.0 if unit == "L" else 1.0)


def simulate(steps, attrs, rng: np.random.Generator) -> list[list[str]]:
    """True amounts through the train, then noisy, LOQ-censored measurements."""
    rows = []
    true_amount = {a: spec[1] * _to_mL(steps[0][2], steps[0][1]) for a, spec in attrs.items()}
    # the assay error of a pool sample carries into the next step's load (same material and
    # result, corrected for the conditioning dilution); the first load gets its own error
    carried: dict[str, float] = {}
    for k, (step, vunit, v_load, v_pool, sides) in enumerate(steps):
        for attr, (cunit, _c0, cv, loq, truth) in attrs.items():
            to_pool, to_side = truth[k]
            sigma = math.sqrt(math.log(1 + cv**2))

            def measure(amount: float, volume: float, error: float | None = None) -> tuple[str, str, float]:
                e = math.exp(rng.normal(-0.5 * sigma**2, sigma)) if error is None else error
                conc = amount / _to_mL(volume, vunit) * e
                return ((_fmt(loq), "<") if conc < loq else (_fmt(conc), "")) + (e,)

            load = true_amount[attr]
            load_conc, load_q, _ = measure(load, v_load, carried.get(attr))
            pool = load * to_pool
            pool_conc, pool_q, carried[attr] = measure(pool, v_pool)
            side_cells = []
            for frac in ("flowthrough", "wash", "strip"):
                if frac in sides:
                    c, _q, _e = measure(load * to_side.get(frac, 0.0), sides[frac])
                    side_cells += [_fmt(sides[frac]), c]  # side fractions below LOQ are reported at the LOQ
                else:
                    side_cells += ["", ""]
            rows.append([step, attr, vunit, cunit, _fmt(v_load), load_conc, load_q,
                         _fmt(v_pool), pool_conc, pool_q, *side_cells])
            true_amount[attr] = pool
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    lines = [",".join(COLUMNS)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _truth_table(steps, attrs) -> str:
    head = "| attribute | unit | first-load conc | CV | LOQ | " + " | ".join(s[0] for s in steps) + " |"
    sep = "|" + "---|" * (5 + len(steps))
    lines = [head, sep]
    for attr, (cunit, c0, cv, loq, truth) in attrs.items():
        cells = []
        for to_pool, sides in truth:
            side = ", ".join(f"{f[:2]} {v:.3g}" for f, v in sides.items())
            cells.append(f"{to_pool:.3g}" + (f" ({side})" if side else ""))
        lines.append(f"| {attr} | {cunit} | {c0:g} | {100 * cv:g} % | {loq:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _overall(attrs, key) -> float:
    return float(np.prod([t[0] for t in attrs[key][4]]))


def write_readme(path: Path) -> None:
    text = f"""# SYNTHETIC downstream sample data

**SYNTHETIC: these files are simulated, not measured.** They exist to demonstrate
`pdkit.downstream` and the `downstream_yield` report.

Generator: `scripts/samples/make_downstream.py` (seed {SEED}; re-running it gives
byte-identical files). Format: the long step table documented in `pdkit.downstream`
(one row per step and attribute; `load_*`, `pool_*`, optional `flowthrough_*`, `wash_*`,
`strip_*` volumes and concentrations; `load_qualifier`/`pool_qualifier` `<` = below the
LOQ, the concentration then holds the LOQ).

## Files
| file | train |
|---|---|
| `aav_downstream_synthetic.csv` | AAV, HEK293 triple transfection, 50 L harvest: lysis/nuclease -> clarification -> 100 kDa TFF -> affinity -> AEX (full/empty) -> UF/DF -> sterile filtration |
| `plasmid_downstream_synthetic.csv` | plasmid DNA, E. coli fed-batch (10 L at ~1 g/L pDNA): alkaline lysis/neutralisation/floc removal -> clarification -> TFF -> AEX capture -> HIC polishing -> UF/DF -> 0.2 um filtration |

## Ground truth
Each cell gives the true fraction of the step's load that goes to the pool and, in brackets,
to the flow-through/permeate (fl), wash (wa) and strip (st). For impurities the pool
fraction is 10^-LRV. The load of each step carries the previous pool's true amount exactly (no
transfer losses; AAV AEX load = affinity pool diluted 4x, plasmid AEX load = TFF pool diluted
2x, HIC load = AEX pool diluted 2x with salt), and its measured concentration is the previous
pool's result corrected for that dilution (same sample, same assay error). Volumes are exact; each
concentration is measured once with multiplicative log-normal noise of the stated CV
(mean-preserving) and reported as `<LOQ` (the LOQ value with qualifier `<`) when below
the LOQ (fractions other than load and pool are reported at the LOQ without qualifier).

### AAV (true overall vg yield {100 * _overall(AAV_ATTRS, 'vg'):.1f} %)
{_truth_table(AAV_STEPS, AAV_ATTRS)}

Harvest 20 % full (vg/capsid); AEX enriches to 70 % full (true enrichment 3.5).
Endotoxin falls below its LOQ (0.05 EU/mL) after AEX, so the UF/DF load is censored and the
UF/DF LRV is not determinable; UF/DF concentrates it back towards or above the LOQ (censored values propagate as `>=` cumulative LRVs).

### Plasmid (true overall pDNA yield {100 * _overall(PLASMID_ATTRS, 'pDNA'):.1f} %)
{_truth_table(PLASMID_STEPS, PLASMID_ATTRS)}

## Sources of magnitudes
`/work/shared/domain-primer.md`: AAV crude titers 1e10 vg/mL (Chahal et al. 2014) to
3e14 vg/L (Zhao et al. 2020); step yields clarification > 90 %, affinity 65-80 %, AEX
60-80 %, overall planning assumption about 30 %; crude harvests 50-90 % empty; plasmid
fed-batch about 1 g/L pDNA; plasmid release criteria (endotoxin <= 10-40 EU/mg, host
protein and gDNA < 1 % or <= 10 ug/mg). Impurity starting levels, LRVs and side-fraction
splits are illustrative planning values, not literature data.
"""
    path.write_text(text, encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    write_csv(OUT / "aav_downstream_synthetic.csv", simulate(AAV_STEPS, AAV_ATTRS, rng))
    write_csv(OUT / "plasmid_downstream_synthetic.csv", simulate(PLASMID_STEPS, PLASMID_ATTRS, rng))
    write_readme(OUT / "README.md")


if __name__ == "__main__":
    main()
