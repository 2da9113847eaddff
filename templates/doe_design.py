# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Design of experiments: build and evaluate a design
#
# This report builds an experimental design for the factors in a factor-definition file,
# evaluates how well it supports the intended model (D-, A- and G-efficiency, the average
# prediction variance, variance inflation factors, the power to detect an effect of a given
# size, and the aliasing of terms left out of the model) and writes a randomised lab
# worksheet (CSV and Excel) with empty response columns. Coded units run from -1 (`low`) to
# +1 (`high`); the worksheet is in the factors' own units. Definitions follow Montgomery,
# *Design and Analysis of Experiments* (8th ed.) and Myers, Montgomery & Anderson-Cook,
# *Response Surface Methodology* (3rd ed.); see `pdkit.doe.evaluation`.

# %% tags=["parameters"]
data: str = "data_samples/doe/aav_factors.csv"  # Factor definitions: columns name, low, high, units (optional), levels (optional, ';'-separated, for categorical factors) {file: csv, xlsx, yaml}
design: str = "central_composite"  # Design type {choices: full_factorial, fractional_factorial, plackett_burman, central_composite, box_behnken, definitive_screening, optimal_d, optimal_i, latin_hypercube}
model: str = "quadratic"  # Model the design is evaluated for (and optimal designs are built for) {choices: linear, interactions, quadratic}
runs: int | None = None  # Number of runs for optimal, Latin hypercube, Plackett-Burman and fractional factorial designs (None: the builder's default) {range: [2, 1000]}
resolution: int | None = 5  # Resolution of a fractional factorial, or of the fractional core of a central composite design (None: a full factorial core for a CCD; for a fraction V, or IV for a linear model, unless runs is given) {range: [3, 8]}
ccd_alpha: str = "face"  # Axial distance of a central composite design {choices: face, rotatable, orthogonal, spherical}
center_points: int = 4  # Centre runs (factorial, CCD, Box-Behnken; definitive screening uses at least 1) {range: [0, 50]}
replicates: int = 1  # Replicates of the non-centre runs {range: [1, 10]}
blocks: int = 1  # Orthogonal blocks (days, batches of cells or media): Box-Behnken 3 for 4 factors or 2 for 5-7 factors; central composite 2 (factorial and axial runs, centre runs split between them) {range: [1, 3]}
seed: int = 1  # Seed of the randomised run order (and of the optimal / Latin hypercube search) {range: [0, ]}
responses: list = ["vg_titer", "full_pct", "viability_pct"]  # Response columns left empty on the worksheet
effect_size: float = 2.0  # Effect to detect, from the low to the high setting, in units of sigma (power) {range: (0, ]}
alpha: float = 0.05  # Significance level for the power calculation {range: (0, 0.5]}
worksheet: str = "doe_worksheet"  # Base name of the worksheet files written to the output folder (.csv and .xlsx) {output: csv, xlsx}

# %%
from pdkit.params import check_parameters
P = check_parameters("doe_design", globals())

# %%
import warnings

import numpy as np
import pandas as pd
import yaml
from IPython.display import Markdown, display

import pdkit.plots
from pdkit import doe
from pdkit.contracts import load_table
from pdkit.errors import InputError
from pdkit.escape import md, md_code
from pdkit.record import record

pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

# factor definitions: a table (name, low, high, units, levels) or YAML (a list of the same fields)
if P.data.suffix.lower() in (".yaml", ".yml"):
    spec = yaml.safe_load(P.data.read_text(encoding="utf-8"))
    rows = spec.get("factors", spec) if isinstance(spec, dict) else spec
else:
    rows = load_table("doe_design", P.data, P).table.to_dict("records")  # the template's input contract
defs = []
for i, r in enumerate(rows, start=1):
    r = {k: v for k, v in dict(r).items() if not (isinstance(v, float) and pd.isna(v))}
    if isinstance(r.get("levels"), str):
        r["levels"] = [s.strip() for s in r["levels"].split(";") if s.strip()]
    if "name" not in r:
        raise InputError(f"{P.data.name}, row {i}: factor has no 'name'")
    r["units"] = str(r.get("units", ""))
    defs.append(r)
factors = doe.as_factors(defs)
display(pd.DataFrame([{"factor": f.name, "kind": f.kind, "low": f.low, "high": f.high, "units": f.units,
                       "levels": ", ".join(map(str, f.levels))} for f in factors]))

# %% [markdown]
# ## Design
#
# The design in run order (randomised with `seed`), with the point type of each run.

# %%
k = len(factors)
res = P.resolution if P.resolution is not None else (None if P.runs else (4 if P.model == "linear" else 5))
common = dict(seed=P.seed)
if P.blocks > 1 and P.design not in ("box_behnken", "central_composite"):
    raise InputError(f"parameter 'blocks': got {P.blocks}; orthogonal blocks are built for box_behnken and "
                     f"central_composite designs, not {P.design}")
if P.design == "central_composite" and P.blocks > 2:
    raise InputError(f"parameter 'blocks': got {P.blocks}; a central composite design has 1 block or 2 "
                     "(factorial and axial)")
# a blocked CCD takes its centre runs as (factorial block, axial block)
ccd_center = P.center_points if P.blocks == 1 else (P.center_points - P.center_points // 2, P.center_points // 2)
builders = {
    "full_factorial": lambda: doe.full_factorial(factors, replicates=P.replicates, center=P.center_points, **common),
    "fractional_factorial": lambda: doe.fractional_factorial(
        factors, resolution=res, runs=P.runs if res is None else None, center=P.center_points,
        replicates=P.replicates, **common),
    "plackett_burman": lambda: doe.plackett_burman(factors, runs=P.runs, center=P.center_points,
                                                   replicates=P.replicates, **common),
    "central_composite": lambda: doe.central_composite(factors, alpha=P.ccd_alpha, center=ccd_center,
                                                       core_resolution=P.resolution,
                                                       replicates=P.replicates, **common),
    "box_behnken": lambda: doe.box_behnken(factors, center=P.center_points, blocks=P.blocks,
                                           replicates=P.replicates, **common),
    "definitive_screening": lambda: doe.definitive_screening(factors, center=max(1, P.center_points), **common),
    "optimal_d": lambda: doe.optimal_design(factors, P.model, runs=P.runs, criterion="D", seed=P.seed),
    "optimal_i": lambda: doe.optimal_design(factors, P.model, runs=P.runs, criterion="I", seed=P.seed),
    "latin_hypercube": lambda: doe.latin_hypercube(factors, runs=P.runs or 10 * k, seed=P.seed),
}
design = builders[P.design]()
n_blocks = len(set(design.blocks.tolist()))
display(Markdown(f"**{md(design.name)}**: {design.n_runs} runs, {k} factors"
                 + (f", {n_blocks} blocks (runs randomised within blocks)." if n_blocks > 1 else ".")
                 + (f" Generators {md(', '.join(design.generators))}; resolution {design.resolution}."
                    if design.generators else "")))
display(design.table)
record("design_name", design.name)
record("n_runs", design.n_runs)
record("design_table", design.table)

# %% [markdown]
# ## Evaluation for the model
#
# Efficiencies are in percent (100 for an orthogonal two-level design and a first-order
# model); the average prediction variance is in units of sigma² over the coded cube. VIFs
# above about 10 signal strongly correlated terms. Power is the probability of detecting a
# term whose effect (low to high) is `effect_size` sigma at level `alpha`.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ev = doe.evaluate(design, P.model, effect_size=P.effect_size, sigma=1.0, alpha=P.alpha, seed=P.seed)
for w in caught:
    display(Markdown(f"**Warning:** {md(w.message)}"))
display(ev.summary().to_frame("value").round(3))
if ev.blocks_orthogonal is not None:
    display(Markdown(
        f"**Blocks:** {ev.n_blocks}, " + ("orthogonal to every model term: a shift between blocks biases no "
                                          "coefficient and costs only error degrees of freedom."
                                          if ev.blocks_orthogonal else
                                          "**not** orthogonal to the model: the analysis must include the blocks "
                                          "(doe_analysis does) and some estimates are less precise"
                                          + (" (for a central composite design, `ccd_alpha: orthogonal` gives "
                                             "orthogonal blocks)" if P.design == "central_composite" else "") + ".")))
    record("blocks_orthogonal", ev.blocks_orthogonal)
table = ev.coefficients.join(ev.power[["power"]], on="term")
display(table.round(3))
record("d_efficiency", ev.d_efficiency)
record("a_efficiency", ev.a_efficiency)
record("g_efficiency", ev.g_efficiency)
record("average_variance", ev.average_variance)
record("error_df", ev.df_error)
record("max_vif", float(ev.coefficients["vif"].drop(index="Intercept").max()))
record("min_power", float(ev.power["power"].min()) if ev.df_error > 0 else None)
record("aliased_terms", list(ev.aliased_terms))

# %% [markdown]
# ## Aliasing and correlations
#
# The alias matrix shows how each omitted two-factor interaction (or, for a first-order
# model, every two-factor interaction) would bias the estimated terms (0 = no bias); the
# correlation table gives the absolute correlations between model and omitted columns.

# %%
if design.aliases is not None:
    display(Markdown("**Alias chains** (regular fraction)"))
    display(design.aliases)
if ev.alias_matrix.shape[1]:
    display(Markdown("**Alias matrix** (rows: model columns; columns: omitted terms; only non-zero rows)"))
    am = ev.alias_matrix.round(3)
    display(am.loc[(am != 0).any(axis=1)])
else:
    display(Markdown("Every two-factor interaction is in the model: no alias matrix to show."))
corr = ev.correlation
off = corr.to_numpy() - np.eye(len(corr))
record("max_abs_correlation", float(off.max()) if off.size > 1 else 0.0)
display(corr.round(2))

# %% [markdown]
# ## Lab worksheet
#
# The worksheet lists the runs in the order to perform them, with the settings in the
# factors' units and empty columns for the responses. It is written next to this report.

# %%
base = str(P.worksheet).strip()
if base.lower().endswith((".csv", ".xlsx")):  # a name given with one of the suffixes: both files share its stem
    base = base.rsplit(".", 1)[0]
paths = [design.to_worksheet(f"{base}.{ext}", responses=P.responses) for ext in ("csv", "xlsx")]
display(Markdown("Written: " + ", ".join(md_code(p.name) for p in paths)))
record("worksheets", [p.name for p in paths])
