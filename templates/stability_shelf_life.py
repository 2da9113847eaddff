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
# # Shelf life from stability data (ICH Q1E)
#
# This report estimates the shelf life (or retest period) of one quality attribute from
# long-term stability data on several batches, following ICH Q1E *Evaluation of Stability
# Data*. An analysis of covariance tests whether the batches share a slope and then an
# intercept (each at `pool_alpha`, 0.25 in Q1E, against the full model's mean square error);
# the selected model gives the earliest time at which the 95 % confidence bound on the mean
# crosses the acceptance criterion (one-sided for one limit, two-sided with 2.5 % per side
# for two). With separate slopes the worst batch decides. Extrapolation beyond the data is
# flagged: ICH Q1E limits it, and ICH Q5C expects real-time data for biological products such
# as AAV and lentiviral vectors.

# %% tags=["parameters"]
data: str = "data_samples/stability/aav_stability_synthetic.csv"  # Stability results, one row per result {file: csv, xlsx}
time: str = "month"  # Column with the storage time {column: data}
response: str = "potency_pct"  # Column with the attribute to evaluate {column: data}
batch: str = "batch"  # Column identifying the batch (lot) {column: data}
lower: float | None = 70.0  # Lower acceptance limit (None if none)
upper: float | None = 130.0  # Upper acceptance limit (None if none) {above: lower}
alpha: float = 0.05  # 1 - confidence level of the bound; split in two when both limits are set {range: (0, 0.5)}
pool_alpha: float = 0.25  # Significance level of the poolability tests (ICH Q1E: 0.25) {range: (0, 1)}
dids_method: str = "individual"  # Separate slopes: fit each batch alone (JMP) or use the pooled MSE (LeBlond) {choices: individual, pooled_mse}
time_unit: str = "months"  # Unit of the time column, for labels and the 12-month extrapolation limit {choices: months, weeks, days, years}

# %%
from pdkit.params import check_parameters
P = check_parameters("stability_shelf_life", globals())

# %%
import warnings

import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit.contracts import load_table
from pdkit.escape import md, md_code
from pdkit.plots.stability import stability_figure
from pdkit.record import record
from pdkit.stability import ExtrapolationWarning, shelf_life

pdkit.plots.setup()
table = load_table("stability_shelf_life", P.data, P).table  # the template's input contract
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ExtrapolationWarning)
    result = shelf_life(
        table, P.time, P.response, P.batch, lower=P.lower, upper=P.upper, alpha=P.alpha,
        pool_alpha=P.pool_alpha, dids_method=P.dids_method, time_unit=P.time_unit,
    )
unit = P.time_unit

# %% [markdown]
# ## Data
#
# Results per batch: number of results and the times covered.

# %%
summary = (
    table.assign(**{P.time: pd.to_numeric(table[P.time])})
    .groupby(P.batch)[P.time]
    .agg(results="size", first="min", last="max")
)
display(summary)
record("n_batches", int(summary.shape[0]))
record("n_results", int(summary["results"].sum()))
record("max_time", result.extrapolation.max_time)

# %% [markdown]
# ## Poolability (ANCOVA)
#
# Equal slopes (batch x time) is tested first; equal intercepts (batch) matters only when the
# slopes pool. Both F tests use the full model's mean square error. `poolable` means
# p >= `pool_alpha`.

# %%
if result.single_batch:
    display(Markdown("One batch: no poolability test applies; the batch's own regression line and its one-sided "
                     "confidence bound give the shelf life (ICH Q1E)."))
    record("p_equal_slopes", None)
    record("p_equal_intercepts", None)
else:
    display(result.ancova[["test", "source", "df", "F", "df_resid", "p_value", "poolable", "used"]].round(4))
    p = result.ancova.set_index("test")["p_value"]
    record("p_equal_slopes", float(p["equal slopes"]))
    record("p_equal_intercepts", float(p["equal intercepts"]))
record("model", result.model)
record("single_batch", bool(result.single_batch))
display(Markdown(f"**Selected model: {md_code(result.model)}.** " + md(result.notes[0])))

# %% [markdown]
# ## Shelf life
#
# The shelf life under each of the three models (the selected one decides), and the lines of
# the selected model per batch.

# %%
display(result.model_comparison.round(3))
display(result.per_batch.round(4))
record("shelf_life", result.shelf_life if result.crosses else None)
record("shelf_life_limited", result.crosses)
record("limit_crossed", result.limit_crossed)
record("worst_batch", result.worst_batch)
record("time_unit", unit)
if result.crosses:
    text = (f"**Shelf life: {result.shelf_life:.1f} {md(unit)}** (model {md_code(result.model)}, "
            f"{md(result.limit_crossed)} limit crossed"
            + (f", worst batch {md(result.worst_batch)}" if result.worst_batch else "") + ").")
else:
    text = "**The confidence bound does not reach a limit: this attribute does not limit the shelf life.**"
display(Markdown(text))

# %% [markdown]
# ## Plot
#
# Points by batch, fitted line(s), the confidence bound(s) (dashed), the acceptance limits
# (red), the longest time tested (dotted) and the shelf life (black).

# %%
fig = stability_figure(result, table, time_unit=unit)
pdkit.plots.show(fig)

# %% [markdown]
# ## Extrapolation and notes

# %%
ex = result.extrapolation
record("extrapolated", ex.beyond_data)
record("exceeds_q1e_limit", ex.exceeds_q1e_limit)
lines = [f"- Longest time tested: {ex.max_time:g} {md(unit)}."]
if ex.beyond_data:
    lines.append(f"- **Extrapolation:** {md(ex.message)}")
else:
    lines.append("- The shelf life lies within the period covered by the data (no extrapolation).")
lines += [f"- {md(n)}" for n in result.notes[1:] if n != ex.message]
sides = "two-sided bound" if result.sided == "two" else f"one-sided {result.sided} bound"
lines.append(f"- Settings: alpha = {result.alpha:g} ({sides}), pool_alpha = "
             f"{result.pool_alpha:g}, dids_method = {md(result.dids_method)}.")
display(Markdown("\n".join(lines)))
