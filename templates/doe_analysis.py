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
# # Design of experiments: analysis, optimum and design space
#
# This report analyses the results of a designed experiment: for each response it fits the
# model by least squares in coded units (-1/+1 at each factor's lowest/highest setting in the
# data), shows the ANOVA with partial sums of squares, the coefficients with confidence
# intervals, the lack-of-fit and curvature tests, the half-normal and Pareto charts (with
# Lenth's margin of error for an unreplicated two-level design), reduces the model by
# hierarchical backward elimination, checks the residuals and suggests a Box-Cox
# transformation. With the default `model` auto the terms are chosen by a method that respects
# the design: for a definitive screening design the two-stage method of Jones & Nachtsheim
# (2017), for other designs hierarchy-preserving stepwise selection by AICc (or p-values); the
# report lists the candidate terms, each step with its criterion value, the terms selected and
# what the design cannot separate. Categorical factors (text columns) are effect coded and
# shown by level. With a goals file it then finds the settings that maximise the overall
# desirability (Derringer & Suich 1980) and maps the probability that a new run meets every
# specification over two factors (a Bayesian design space after Peterson 2004), with a
# robust set point. Terms that the design cannot separate (aliases) are left out and listed.

# %% tags=["parameters"]
data: str = "data_samples/doe/aav_transfection_rsm_synthetic.csv"  # Results: one row per run, factor columns in their units, response columns {file: csv, xlsx}
response: str = "all"  # Response column(s) to analyse: a name, a comma list, or all (every numeric column that is neither a factor nor a bookkeeping column such as run or block) {column: data, all}
factors: str = "auto"  # Factor columns (comma list; numbers = continuous, text = categorical), or auto: numeric columns with 2 to 5 distinct values and text columns with 2 to 5 levels each used twice, except bookkeeping columns such as run, std order, replicate, block, notes (pdkit.doe.analysis.infer_factors) {column: data, auto}
model: str = "auto"  # Model; auto = selected to suit the design (definitive screening: Jones & Nachtsheim 2017 two-stage; other designs: stepwise by criterion with effect heredity); otherwise the model before backward reduction {choices: auto, linear, interactions, quadratic}
criterion: str = "aicc"  # Stepwise criterion of model auto for designs other than definitive screening {choices: aicc, p}
alpha: float = 0.05  # Significance level for the tests, the confidence intervals and the model reduction {range: (0, 0.5]}
goals: str | None = "data_samples/doe/aav_goals.yaml"  # Transformations, desirability goals and specifications (YAML; keys transform, goals, specs); None skips the optimum and the design space {file: yaml}
design_x: str = "auto"  # First factor of the design-space map (auto: the factor with the largest effects) {column: data, auto}
design_y: str = "auto"  # Second factor of the design-space map (auto: the next largest) {column: data, auto}
n_draws: int = 2000  # Monte Carlo draws per grid point of the design space {range: [100, 100000]}
seed: int = 1  # Seed of the optimiser's starting points and of the design-space draws {range: [0, ]}

# %%
from pdkit.params import check_parameters
P = check_parameters("doe_analysis", globals())

# %%
import warnings

import numpy as np
import pandas as pd
import yaml
from IPython.display import Markdown, display

import pdkit.plots
from pdkit import doe
from pdkit._tables import numeric_column, plain_column_name, read_table, require_columns
from pdkit.doe.analysis import AliasWarning, infer_factors, infer_responses, is_bookkeeping
from pdkit.doe.display import rounded
from pdkit.errors import InputError
from pdkit.escape import md, md_code
from pdkit.plots.doe import design_space_plot, half_normal_plot, pareto_plot, profiler, residual_plots
from pdkit.record import record
pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

# a filled-in doe_design worksheet has headers such as "Run", "Block" and "harvest_h (h)": use the plain names
table = doe.from_worksheet(read_table(P.data, what="DoE results"))
spec = yaml.safe_load(P.goals.read_text(encoding="utf-8")) if P.goals else {}
if not isinstance(spec, dict) or not set(spec) <= {"transform", "goals", "specs"}:
    raise InputError(f"{P.goals.name}: expected a mapping with keys transform, goals, specs")
notes = []
transformed = {}
for col, how in (spec.get("transform") or {}).items():
    if how != "log10":
        raise InputError(f"{P.goals.name}, transform of '{col}': only log10 is supported, got {how!r}")
    if col not in table.columns:
        notes.append(f"transform: column {md_code(col)} is not in {md(P.data.name)}; skipped")
        continue
    v = numeric_column(table, col, P.data.name)
    if (v <= 0).any():
        raise InputError(f"{P.data.name}, column '{col}': log10 needs positive values")
    table = table.drop(columns=col).assign(**{f"log10_{col}": np.log10(v)})
    transformed[col] = f"log10_{col}"
    notes.append(f"{md_code(col)} is analysed as {md_code('log10_' + str(col))} (log10 scale)")

# roles of the columns: named in the parameters, or inferred (pdkit.doe.analysis.infer_factors)
responses = None
if P.response.strip().lower() != "all":
    responses = [transformed.get(plain_column_name(c.strip())[0], plain_column_name(c.strip())[0])
                 for c in P.response.split(",") if c.strip()]
    require_columns(table, responses, P.data.name)
if P.factors.strip().lower() == "auto":
    factor_names = infer_factors(table, responses=responses)
else:
    factor_names = [plain_column_name(c.strip())[0] for c in P.factors.split(",") if c.strip()]
    require_columns(table, factor_names, P.data.name)
    booked = [c for c in factor_names if is_bookkeeping(c)]
    if booked:
        raise InputError(f"{P.data.name}: column(s) {booked} are bookkeeping (run, order, replicate, block, notes), "
                         "not factors; leave them out of the parameter factors")
block_col = "block" if "block" in table.columns and table["block"].nunique() > 1 else None
if block_col is not None:
    notes.append(f"the runs were made in {table[block_col].nunique()} blocks (column {md_code(block_col)}): the model has a "
                 "block effect (sum-to-zero), the ANOVA a `Block` row; R² statistics exclude the block sum of squares "
                 "and predictions are for the average block")
if responses is None:
    responses = infer_responses(table, factor_names)
both = sorted(set(factor_names) & set(responses))
if both:
    raise InputError(f"{P.data.name}: column(s) {both} cannot be both a factor and a response")

# %%
model_used = P.model
run_col = next((c for c in table.columns if str(c).lower() in ("run", "run_order")), None)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AliasWarning)  # the alias chains are reported below
    fits = {r: doe.fit(table, r, model_used, factors=factor_names, run_order=run_col, block=block_col, alpha=P.alpha,
                       criterion=P.criterion)
            for r in responses}
first = next(iter(fits.values()))
terms, dropped = first.terms, list(first.dropped_terms)
if dropped:
    notes.append("not estimable separately (aliased with earlier terms), left out; each kept term estimates "
                 "the sum of its chain: " + md("; ".join(first.alias_chains)))
kinds = []
for fac in first.factors:
    kinds.append(f"{md_code(fac.name)} (continuous)" if fac.is_continuous else
                 f"{md_code(fac.name)} (categorical: {', '.join(md(v) for v in fac.levels)})")
if first.selection is not None:
    method = (f"{first.selection.method} selection (Jones & Nachtsheim 2017)"
              if first.selection.method == "definitive screening" else
              f"stepwise selection by {first.selection.criterion}, {first.selection.heredity} heredity")
    model_text = f"auto: {method} on a {md(first.selection.design)}"
else:
    model_text = f"{md(model_used)} ({len(terms)} terms)"
display(Markdown(f"**{len(table)} runs.** Factors: {', '.join(kinds)}. "
                 f"Responses: {', '.join(md_code(r) for r in responses)}. Model: **{model_text}**."
                 + "".join(f"\n- {n}" for n in notes)))
record("n_runs", len(table))
record("factors", factor_names)
record("categorical_factors", {f.name: list(f.levels) for f in first.factors if not f.is_continuous})
record("responses", responses)
record("model", model_used)
record("dropped_terms", dropped)
record("alias_chains", first.alias_chains)

# %% [markdown]
# ## Model selection
#
# With `model` auto: the candidate terms, every decision with its criterion value (AICc, t or
# F and p), the terms selected and the terms the design cannot separate. A definitive
# screening design (recognised from its fold-over pairs, centre runs and three levels) is
# fitted in two stages (Jones & Nachtsheim 2017, J. Quality Technology 49:1-15): main effects
# from the fold-over (odd) part of the response, then two-factor interactions and squares of
# the active factors (effect heredity) from the even part, tested against the stage-1 error.
# Other designs: stepwise from the intercept, each step adding a term with the parents it
# needs or removing a term no other term needs, by `criterion`. Ties are broken by the term's
# name, so the result does not depend on the order of the columns.

# %%
for r, f in fits.items():
    sel = f.selection
    if sel is None:
        display(Markdown(f"### {md(r)}\nModel given explicitly ({md(model_used)}); no selection: the terms are "
                         "reduced by backward elimination below."))
        continue
    display(Markdown(f"### {md(r)}\nSelected: **{md(', '.join(sel.selected) or 'intercept only')}** from "
                     f"{len(sel.candidates)} candidate terms."
                     + "".join(f"\n- not separable: {md(t)}" for t in sel.not_separable)
                     + "".join(f"\n- {md(t)}" for t in sel.notes)))
    display(rounded(sel.steps.set_index("step"), 4))
    display(sel.table.set_index("term"))
    record(f"{r}_selection_method", sel.method)
    record(f"{r}_selected_terms", list(sel.selected))
    record(f"{r}_candidate_terms", list(sel.candidates))
    record(f"{r}_not_separable", list(sel.not_separable))
    record(f"{r}_selection_steps", sel.steps)

# %% [markdown]
# ## Full model: ANOVA and coefficients
#
# Partial (Type III) sums of squares per term; `Curvature` compares the centre runs with the
# factorial runs of a two-level design; `Lack of fit` compares the residual with the pure
# error of replicated runs. Coefficients are in coded units with
# 100(1 - `alpha`) % confidence intervals.

# %%
for r, f in fits.items():
    display(Markdown(f"### {md(r)}\nR² = {f.r2:.4f}, adjusted R² = "
                     + ("n/a" if f.r2_adj is None else f"{f.r2_adj:.4f}") + ", predicted R² = "
                     + ("n/a" if f.r2_pred is None else f"{f.r2_pred:.4f}")
                     + ("" if f.rmse is None else f", RMSE = {f.rmse:.4g}")
                     + ("" if f.lack_of_fit is not None else f". Lack of fit not tested: {md(f.lack_of_fit_reason)}.")))
    display(rounded(f.anova, 4))
    display(rounded(f.labelled_coefficients, 4))
    record(f"{r}_r2", f.r2)
    record(f"{r}_r2_adj", f.r2_adj)
    record(f"{r}_r2_pred", f.r2_pred)
    record(f"{r}_rmse", f.rmse)
    record(f"{r}_lack_of_fit_p", None if f.lack_of_fit is None else f.lack_of_fit.p)
    record(f"{r}_curvature_p", None if f.curvature is None else f.curvature.p)
    record(f"{r}_coefficients", f.coefficients)
    record(f"{r}_coefficients_by_level", f.labelled_coefficients)
    if f.block_effects is not None:
        display(Markdown("Block effects (deviation of each block from the average block):"))
        display(rounded(f.block_effects, 4))
        record(f"{r}_block_effects", f.block_effects)

# %% [markdown]
# ## Effects: half-normal and Pareto charts
#
# Two-level designs (with or without centre points): the half-normal plot of the effects
# (2 x coefficient) with Lenth's (1989) margin of error (dashed) and simultaneous margin of
# error (dotted), computed from the effects of the factorial runs of the main effects and
# two-factor interactions model (one term per alias chain), whatever model was selected;
# effects beyond the margin of error are flagged as active. Every design: the Pareto chart of
# |t| of the model's terms with the two-sided critical value.

# %%
def screening_fit(r, f):
    """The main effects + interactions fit whose effects Lenth's method judges (two-level designs)."""
    if f.selection is None:
        return f
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AliasWarning)
            g = doe.fit(table, r, "interactions", factors=factor_names, run_order=run_col, block=block_col,
                        alpha=P.alpha)
    except InputError:
        return f
    return g if g.lenth is not None else f


for r, f in fits.items():
    display(Markdown(f"### {md(r)}"))
    sf = screening_fit(r, f)
    if sf.lenth is not None and sf.lenth.m > 2:
        f = sf
        L = f.lenth
        active = f.effects.index[L.active(f.effects["effect"].to_numpy())].tolist()
        if L.usable:
            display(Markdown(f"Lenth: PSE = {L.pse:.4g}, ME = {L.me:.4g}, SME = {L.sme:.4g} ({L.m} effects); "
                             f"active: {md(', '.join(active) or 'none')}"))
        else:
            display(Markdown(f"Lenth: {md(L.note)}."))
        record(f"{r}_lenth_me", L.me if L.usable else None)
        record(f"{r}_lenth_active", active)
        if L.usable:
            pdkit.plots.show(half_normal_plot(f))
    pdkit.plots.show(pareto_plot(fits[r]))

# %% [markdown]
# ## Reduced model
#
# A model given explicitly is reduced by backward elimination: the term with the largest
# p-value above `alpha` is removed and the model refitted, until every term is significant,
# keeping hierarchy (a main effect stays while an interaction or square containing it stays).
# A model selected with `model` auto is used as selected.

# %%
reduced = {r: (f if f.selection is not None else f.reduce(alpha=P.alpha, hierarchy=True)) for r, f in fits.items()}
for r, g in reduced.items():
    display(Markdown(f"### {md(r)}\nKept: {md(', '.join(t for t in g.terms if t != 'Intercept') or 'intercept only')}; "
                     f"R² = {g.r2:.4f}, adjusted R² = " + ("n/a" if g.r2_adj is None else f"{g.r2_adj:.4f}")
                     + ", predicted R² = " + ("n/a" if g.r2_pred is None else f"{g.r2_pred:.4f}")
                     + ("" if g.lack_of_fit is None else f", lack of fit p = {g.lack_of_fit.p:.4f}")))
    display(rounded(g.labelled_coefficients, 4))
    record(f"{r}_reduced_terms", [t for t in g.terms if t != "Intercept"])
    record(f"{r}_reduced_coefficients", g.coefficients)

# %% [markdown]
# ## Diagnostics and Box-Cox
#
# Residuals of the reduced model: normal plot, against fitted values and run order, and
# Cook's distance (values above 1 deserve a look). The Box-Cox profile suggests a power
# transformation when its confidence interval excludes 1.

# %%
for r, g in reduced.items():
    display(Markdown(f"### {md(r)}"))
    if g.df_resid >= 1:
        pdkit.plots.show(residual_plots(g))
        dg = g.diagnostics
        if "cooks_distance" in dg:
            record(f"{r}_max_cooks_distance", float(dg["cooks_distance"].max()))
    try:
        bc = g.box_cox(alpha=P.alpha)
        display(Markdown(f"Box-Cox: {md(bc.message)}."))
        record(f"{r}_box_cox_lambda", bc.lam)
        record(f"{r}_box_cox_suggestion", bc.suggestion)
    except InputError as exc:
        display(Markdown(f"Box-Cox not computed: {md(exc)}"))
    if any(f.is_continuous for f in g.factors) and g.df_resid >= 1:
        pdkit.plots.show(profiler(g))

# %% [markdown]
# ## Optimum (desirability)
#
# Each response with a goal gets an individual desirability between 0 and 1 (Derringer &
# Suich 1980); the overall desirability is their geometric mean. The search (seeded
# multi-start) stays inside the tested factor ranges and uses the reduced models.

# %%
goals = {k: v for k, v in (spec.get("goals") or {}).items() if k in reduced}
skipped = sorted(set(spec.get("goals") or {}) - set(goals))
if skipped:
    display(Markdown(f"Goals for responses not analysed here, skipped: {md(', '.join(map(str, skipped)))}."))
optimum = None
if goals:
    optimum = doe.maximize_desirability({k: reduced[k] for k in goals}, goals, seed=P.seed)
    display(rounded(pd.DataFrame({"setting": pd.Series(optimum.settings, dtype=object)}), 4))
    display(rounded(pd.DataFrame({"predicted": optimum.predicted, "desirability": optimum.desirabilities}), 4))
    display(Markdown(f"**Overall desirability D = {optimum.overall:.3f}.**"))
    record("optimum_settings", optimum.settings)
    record("optimum_predicted", optimum.predicted)
    record("optimum_desirability", optimum.overall)
else:
    display(Markdown("No goals for the analysed responses: no optimisation."))

# %% [markdown]
# ## Design space and robust set point
#
# The probability that a new run meets every specification, over two factors with the
# others held at the optimum, by Monte Carlo over the parameter uncertainty and the residual
# error of each reduced model. The robust set point is the grid point with the highest
# probability, as far as possible from the edge of that region.

# %%
specs = {k: tuple(v) for k, v in (spec.get("specs") or {}).items() if k in reduced}
ds_fits = {k: reduced[k] for k in specs}
continuous = [fac.name for fac in first.factors if fac.is_continuous]
if specs and all(f.df_resid >= 1 for f in ds_fits.values()) and len(continuous) >= 2:
    weight = pd.Series(0.0, index=continuous)
    for f in ds_fits.values():
        t = f.coefficients["t"].abs()
        for n in continuous:
            weight[n] += float(t[[c for c in t.index if n in c.replace("^2", "").split(":")]].sum())
    ranked = weight.sort_values(ascending=False, kind="mergesort").index.tolist()
    want_x, want_y = (plain_column_name(P.design_x)[0], plain_column_name(P.design_y)[0])
    x = want_x if want_x != "auto" else next(n for n in ranked if n != want_y)
    y = want_y if want_y != "auto" else next(n for n in ranked if n != x)
    hold = {k: v for k, v in (optimum.settings if optimum else {}).items() if k not in (x, y)}
    space = doe.design_space(ds_fits, specs, n_draws=P.n_draws, seed=P.seed, grid=31, x=x, y=y, hold=hold)
    tol = 2 * np.sqrt(0.25 / P.n_draws)
    sp = doe.robust_set_point(space, tolerance=tol)
    display(Markdown(f"Specifications: {md(', '.join(f'{k} in [{a}, {b}]' for k, (a, b) in specs.items()))}. "
                     f"Map over {md_code(x)} and {md_code(y)}; held: "
                     f"{md(', '.join(f'{k} = {v:.4g}' if isinstance(v, float) else f'{k} = {v}' for k, v in hold.items()) or 'none')}."))
    pdkit.plots.show(design_space_plot(space, probability=0.9, set_point=sp))
    display(rounded(pd.DataFrame({"set point": pd.Series(sp.settings, dtype=object)}), 4))
    display(Markdown(f"**Robust set point: P(all specifications met) = {sp.probability:.3f}** "
                     f"({P.n_draws} draws, seed {P.seed}); fraction of the map with P >= 0.9: "
                     f"{float((space >= 0.9).mean()):.3f}."))
    record("design_space_x", x)
    record("design_space_y", y)
    record("design_space_max_probability", float(space.max()))
    record("design_space_fraction_p90", float((space >= 0.9).mean()))
    record("set_point", sp.settings)
    record("set_point_probability", sp.probability)
    # the exact optimum of the same probability over every continuous factor: no Monte Carlo noise,
    # multi-start plus a local polish, so the settings do not depend on the seed
    exact = doe.maximize_probability(ds_fits, specs, seed=P.seed)
    display(rounded(pd.DataFrame({"exact robust optimum": pd.Series(exact.settings, dtype=object)}), 4))
    display(Markdown(f"**Exact robust optimum: P(all specifications met) = {exact.probability:.4f}** "
                     f"(all continuous factors free; {'converged' if exact.converged else 'NOT converged'})."))
    record("robust_optimum", exact.settings)
    record("robust_optimum_probability", exact.probability)
    record("robust_optimum_converged", bool(exact.converged))
else:
    display(Markdown("No specifications for the analysed responses (or a saturated model, or fewer than two "
                     "continuous factors): no design space."))
