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
#
# With `model: auto` each design is evaluated for its natural model that fits it (main
# effects for screening designs, interactions for factorials, the full quadratic for
# response-surface, optimal and space-filling designs). Optimal designs take linear
# `constraints` and `disallowed` combinations in the factors' units. Given `augment` (the
# worksheet of runs already done), the report adds runs to it instead - a fold-over, axial
# runs that complete a central composite design, centre runs, or D-optimal runs - keeping
# the runs done, and their results, as they were.

# %% tags=["parameters"]
data: str = "data_samples/doe/aav_factors.csv"  # Factor definitions: columns name, low, high, units (optional), levels (optional, ';'-separated, for categorical factors) {file: csv, xlsx, yaml}
design: str = "central_composite"  # Design type {choices: full_factorial, fractional_factorial, plackett_burman, central_composite, box_behnken, definitive_screening, optimal_design, optimal_d, optimal_i, latin_hypercube}
model: str = "auto"  # Model the design is evaluated for (and optimal designs are built for); auto: the design's natural model that fits (see pdkit.doe.designs.plan) {choices: auto, linear, interactions, quadratic}
runs: int | None = None  # Number of runs for optimal, Latin hypercube, Plackett-Burman and fractional factorial designs (None: the builder's default) {range: [2, 1000]}
resolution: int | None = 5  # Resolution of a fractional factorial, or of the fractional core of a central composite design (None: a full factorial core for a CCD; for a fraction V, or IV for a linear model, unless runs is given) {range: [3, 8]}
ccd_alpha: str = "face"  # Axial distance of a central composite design (and of axial runs added by augment_method axial) {choices: face, rotatable, orthogonal, spherical}
center_points: int = 4  # Centre runs (factorial, CCD, Box-Behnken; definitive screening uses at least 1) {range: [0, 50]}
replicates: int = 1  # Replicates of the non-centre runs {range: [1, 10]}
blocks: int = 1  # Orthogonal blocks (days, batches of cells or media): Box-Behnken 3 for 4 factors or 2 for 5-7 factors; central composite 2 (factorial and axial runs, centre runs split between them) {range: [1, 3]}
dsd_fake_factors: int = 0  # Extra runs of a definitive screening design: build it for this many more (fake) factors and drop their columns; 2 fake factors add 4 runs {range: [0, 20]}
constraints: list = []  # Linear constraints of the region in actual units for optimal designs and D-optimal augmentation, e.g. ["pei_dna_ratio + 2*dna_ug_per_1e6_cells <= 5"]
disallowed: list = []  # Disallowed combinations for optimal designs and D-optimal augmentation, e.g. ["harvest_h > 66 and vcd_1e6_per_ml < 1.5"] (and, or, not, comparisons; categorical levels quoted)
augment: str | None = None  # Worksheet of runs already done (doe_design's, filled in or not) to augment instead of building a new design {file: csv, xlsx}
augment_method: str = "foldover"  # How to augment: fold-over (all signs reversed, or only augment_factor's), axial runs (to a CCD, new block), centre runs, or D-optimal runs for the model {choices: foldover, axial, center, d_optimal}
augment_runs: int | None = None  # Runs to add: D-optimal runs, centre runs (center), centre runs of the axial block (axial); None: the method's default {range: [1, 1000]}
augment_factor: str | None = None  # Fold over this factor only (single-factor fold-over); None: all factors {needs: augment}
seed: int = 1  # Seed of the randomised run order (and of the optimal / Latin hypercube search) {range: [0, ]}
responses: list = ["vg_titer", "full_pct", "viability_pct"]  # Response columns left empty on the worksheet
effect_size: float = 2.0  # Effect to detect, from the low to the high setting, in units of sigma (power) {range: (0, ]}
alpha: float = 0.05  # Significance level for the power calculation {range: (0, 0.5]}
worksheet: str = "doe_worksheet"  # Base name of the worksheet files written to the output folder (.csv and .xlsx) {output: csv, xlsx}

# %%
from pdkit.params import check_parameters
from pdkit.doe.designs import design_from_parameters, read_factor_definitions
P = check_parameters("doe_design", globals())
factors = read_factor_definitions(P.data)  # a table through the template's input contract, or YAML
plan = design_from_parameters(factors, P)  # the design, and a model that fits it (checked before the kernel too)

# %%
import warnings

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit import doe
from pdkit.escape import md, md_code
from pdkit.record import record

pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

display(pd.DataFrame([{"factor": f.name, "kind": f.kind, "low": f.low, "high": f.high, "units": f.units,
                       "levels": ", ".join(map(str, f.levels))} for f in factors]))

# %% [markdown]
# ## Design
#
# The design in run order (randomised with `seed`), with the point type of each run. An
# augmented design keeps the runs already done as they were and adds the new runs after them,
# in a new block (centre runs: in the existing blocks).

# %%
design = plan.design
k = len(factors)
n_blocks = len(set(design.blocks.tolist()))
display(Markdown(f"**{md(design.name)}**: {design.n_runs} runs, {k} factors"
                 + (f", {n_blocks} blocks (runs randomised within blocks)." if n_blocks > 1 else ".")
                 + (f" Generators {md(', '.join(design.generators))}; resolution {design.resolution}."
                    if design.generators else "")))
if "kept_runs" in design.details:
    display(Markdown(f"**Augmentation** ({md(design.details['method'])}): {design.details['kept_runs']} runs kept "
                     f"as they were, {design.details['new_runs']} new runs: {md(design.details['description'])}."
                     + (f" Resolution {design.details['resolution_before']} before, {design.details['resolution_after']}"
                        " after." if design.details.get("resolution_before") and design.details.get("resolution_after")
                        else "")))
    record("augment_method", design.details["method"])
    record("kept_runs", design.details["kept_runs"])
    record("new_runs", design.details["new_runs"])
if design.details.get("extra_fake_factors"):
    display(Markdown(f"Built for {design.details['extra_fake_factors']} extra fake factor(s) (their columns are "
                     "dropped): the extra runs add error degrees of freedom and power for second-order terms."))
if plan.constraints or plan.disallowed:
    display(Markdown("**Region:** " + "; ".join([md_code(c) for c in plan.constraints]
                                               + [f"not ({md_code(c)})" for c in plan.disallowed])))
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
model = plan.model
display(Markdown(f"**Model:** {md(model)}" + (f" ({md(plan.model_note)})" if plan.model_note else "")))
record("model", model)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ev = doe.evaluate(design, model, effect_size=P.effect_size, sigma=1.0, alpha=P.alpha, seed=P.seed)
for w in caught:
    display(Markdown(f"**Warning:** {md(w.message)}"))
display(ev.to_frame().round(3))
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
# The alias matrix A = (X1'X1)⁻¹X1'X2 (Montgomery, *Design and Analysis of Experiments*)
# shows how much of each second-order term left out of the model - every two-factor
# interaction and pure quadratic not in it - each estimated term would carry if that term
# were active (0 = no bias, 1 = fully aliased). The correlation table gives the absolute
# correlations between model and omitted columns.

# %%
if design.aliases is not None:
    display(Markdown("**Alias chains** (regular fraction)"))
    display(design.aliases)
am = ev.alias_matrix
if am.shape[1]:
    clear = [c for c in am.index if c != "Intercept" and (am.loc[c].abs() < 1e-9).all()]
    aliased = [c for c in am.index if c != "Intercept" and c not in clear]
    display(Markdown(
        f"**Alias matrix** ({am.shape[0]} model columns x {am.shape[1]} omitted second-order terms). "
        + (f"Clear of every omitted term: {md(', '.join(clear))}. " if clear else "")
        + (f"Partly or fully aliased: {md(', '.join(aliased))}." if aliased else "")))
    display(am.round(3).replace(-0.0, 0.0))
    record("alias_clear_terms", clear)
else:
    display(Markdown("Every second-order term is in the model: no alias matrix to show."))
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
