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
# # Continued process verification: trending of every attribute across lots and years
#
# Stage 3 of process validation (FDA Process Validation guidance, 2011; ICH Q10) asks for
# ongoing assurance that the process stays in its validated state. This report reads every
# current result of one product from the lot-history store (`pdkit lots`), puts the lots in
# manufacturing-date order and, for each attribute, draws an individuals and moving-range chart
# with run rules (limits from the first `baseline` lots), computes capability against the
# specification (Ppk with its confidence interval) per period and its trend, flags the signals
# that are new since the previous report and lists the lots close to a limit. The database state
# it read (query, row count, highest row id) is recorded so that the same report can be
# re-run exactly later (`as_of_row_id`).

# %% tags=["parameters"]
db: str = "sample"  # Lot-history store: postgresql:// or sqlite:/// URL, an SQLite file (absolute path), empty for $PDKIT_DB, or sample (built from the synthetic sample history)
product: str = "PDX-101 (synthetic)"  # Product to report on, as named in the store
start: str | None = None  # First manufacturing date of the period, YYYY-MM-DD (None: the first lot)
end: str | None = None  # Last manufacturing date of the period, YYYY-MM-DD (None: the last lot)
attributes: str = "all"  # Attributes to trend: all, or names separated by commas
period: str = "year"  # Period of the capability table {choices: year, half, quarter}
rules: str = "nelson"  # Run rules of the individuals chart {choices: nelson, western_electric}
baseline: int | None = 24  # Number of first lots that set the control limits (None: all lots) {range: [3, ]}
since_row_id: int | None = None  # max_row_id recorded by the previous CPV report; signals on later results are new (None: all are new) {range: [0, ]}
as_of_row_id: int | None = None  # Read the store as it was at this row id, to re-run an earlier report (None: as it is now) {range: [1, ]}
confidence: float = 0.95  # Confidence level of the Ppk intervals {range: (0, 1)}
near_sigma: float = 1.0  # Lots within this many sigmas of a limit are listed {range: [0, ]}

# %%
from pdkit.params import check_parameters
P = check_parameters("cpv_trending", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit.errors import InputError
from pdkit.escape import md, md_code
from pdkit.lots import open_store, sample_store
from pdkit.lots.cpv import cpv_analysis
from pdkit.plots.trending import imr_figure
from pdkit.record import record
pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

db = sample_store(".") if P.db.strip().lower() == "sample" else (P.db.strip() or None)
wanted = None if P.attributes.strip().lower() == "all" else [a.strip() for a in P.attributes.split(",") if a.strip()]
if wanted == []:
    raise InputError("parameter 'attributes': give 'all' or attribute names separated by commas")
with open_store(db) as store:
    results, state = store.results(P.product, start=P.start, end=P.end, attributes=wanted,
                                   as_of_row_id=P.as_of_row_id)
    if results.empty:
        raise InputError(f"product {P.product!r} has no results from {P.start or 'the first lot'} to "
                         f"{P.end or 'the last lot'} in {state.db}")
    limits = store.limits(P.product, on=P.end or max(results["date"]))
record("db_state", {"query": state.query, "parameters": state.parameters, "row_count": state.row_count,
                    "max_row_id": state.max_row_id, "db": state.db})
if wanted:
    unknown = [a for a in wanted if a not in set(results["attribute"])]
    if unknown:
        raise InputError(f"parameter 'attributes': {', '.join(map(repr, unknown))} not stored for {P.product!r} "
                         f"(attributes: {', '.join(sorted(set(results['attribute'])))})")
analysis = cpv_analysis(results, limits, period=P.period, rules=P.rules, baseline=P.baseline,
                        confidence=P.confidence, since_row_id=P.since_row_id, near_sigma=P.near_sigma)
n_lots = results["lot"].nunique()
display(Markdown(
    f"**Product:** {md(P.product)}  \n"
    f"**Store:** {md_code(state.db)}, {state.row_count} current results read, highest row id {state.max_row_id}  \n"
    f"**Lots:** {n_lots}, manufactured {min(results['date'])} to {max(results['date'])}  \n"
    f"**Specification:** {md('version ' + str(limits.attrs['version']) if limits.attrs['version'] else 'none stored')}  \n"
    f"**New signals since row id:** {md(P.since_row_id if P.since_row_id is not None else 'none (every signal is new)')}"
))
record("n_lots", int(n_lots))
record("n_results", int(state.row_count))
record("max_row_id", int(state.max_row_id))
record("spec_version", limits.attrs["version"])

# %% [markdown]
# ## Overview
#
# One row per attribute: results charted (censored results such as `<LOQ` are counted, not
# charted), control limits from the baseline lots, overall Ppk with its confidence interval, and
# how many run-rule signals (new ones separately) and near-limit lots there are.

# %%
display(analysis.summary.round(4))
for row in analysis.summary.itertuples():
    record(f"{row.attribute}.ppk", row.ppk)
    record(f"{row.attribute}.n_signals", int(row.n_signals))
    record(f"{row.attribute}.n_new_signals", int(row.n_new_signals))
record("attributes", analysis.summary["attribute"].tolist())
record("n_new_signals", int(analysis.signals["new"].sum()) if len(analysis.signals) else 0)

# %% [markdown]
# ## Trends (I-MR charts in manufacturing-date order)
#
# Individuals and moving-range charts with the control limits of the first `baseline` lots.
# Points are lots in manufacturing-date order; marked points fire a run rule. A shift shows as
# runs on one side of the centre line, a trend as runs of rising or falling points and a
# sustained climb towards a limit.

# %%
for attribute, chart in analysis.charts.items():
    unit = analysis.summary.set_index("attribute").loc[attribute, "unit"]
    label = f"{attribute} ({unit})" if unit else attribute
    pdkit.plots.show(imr_figure(chart, value_label=label, title=f"{attribute}: individuals by manufacturing date"))

# %% [markdown]
# ## Signals
#
# Run-rule signals grouped by attribute and rule (a pattern that continues signals at each further
# lot), then the signals on results entered after the previous report (`since_row_id`).

# %%
sig = analysis.signals
if sig.empty:
    display(Markdown("No run-rule signals."))
else:
    grouped = (sig.groupby(["attribute", "chart", "rule", "description"], sort=True)
               .agg(n=("lot", "size"), first_lot=("lot", "first"), first_date=("date", "first"),
                    last_lot=("lot", "last"), new=("new", "sum")).reset_index())
    display(grouped)
    new = sig[sig["new"]]
    if P.since_row_id is None:
        display(Markdown("No previous report given (`since_row_id`): every signal above counts as new."))
    else:
        display(Markdown(f"**{len(new)} new signal(s)** on {new['lot'].nunique()} lot(s) entered after row id "
                         f"{P.since_row_id}."))
        if len(new):
            display(new.drop(columns="new").head(500))
record("new_signals", [f"{r.attribute}: {r.lot} rule {r.rule} ({r.chart})" for r in sig[sig["new"]].itertuples()]
       if len(sig) else [])
record("first_signal_lot", {a: g["lot"].iloc[0] for a, g in sig[sig["chart"] == "I"].groupby("attribute")}
       if len(sig) else {})

# %% [markdown]
# ## Capability per period and its trend
#
# Ppk (overall standard deviation) against the specification limits per period, with Bissell's
# confidence interval; periods with fewer than 5 results are not evaluated. The trend table gives
# the least-squares change of Ppk per period and whether the last period's interval lies wholly
# below the first's. Common minimum guidance is 1.33.

# %%
cap = analysis.capability
if cap.empty:
    display(Markdown("No attribute has specification limits in the store; capability is not computed."))
else:
    display(cap.pivot(index="attribute", columns="period", values="ppk").round(2))
    display(cap.round(3))
    display(analysis.ppk_trend.round(3))
    for a, g in cap.groupby("attribute"):
        record(f"{a}.ppk_by_period", dict(zip(g["period"], g["ppk"])))
record("declining_ppk", analysis.ppk_trend.loc[analysis.ppk_trend["declining"], "attribute"].tolist()
       if len(analysis.ppk_trend) else [])

# %% [markdown]
# ## Lots near a limit
#
# Lots whose result lies within `near_sigma` process sigmas (the moving-range sigma of the chart)
# of a specification limit; a negative margin is outside the limit.

# %%
near = analysis.near_limits
if near.empty:
    display(Markdown(f"No lot within {P.near_sigma:g} sigma of a limit."))
else:
    display(near.round(3))
record("near_limit_lots", [f"{r.attribute}: {r.lot}" for r in near.itertuples()])
