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
# # Upstream yield and scale comparison
#
# This report summarises upstream runs (AAV triple transfection, lentivirus or plasmid
# fermentation) one row per run: peak cell density, specific growth rate and doubling time
# over the exponential phase (window chosen by the documented rule of
# `pdkit.upstream.growth_rate`), IVCD, titers at harvest, specific productivity qP (slope of
# product against IVCD, from transfection to harvest for viral vectors) and the process
# metrics (% full and vg/cell with the declared denominator for AAV; TU per pg p24 for
# lentivirus; DCW, specific yield mg/g and supercoiled % for plasmid). Each scale is then
# compared with the reference scale: the difference of means with its 90 % confidence interval
# and a two one-sided tests (TOST) equivalence verdict with a margin of ± `equivalence_margin`
# times the reference mean (titers compared as log10).

# %% tags=["parameters"]
data: str = "data_samples/upstream/aav_runs_synthetic.csv"  # Run data, long format (run, time, variable, value, unit) or netCDF {file: csv, xlsx, nc}
process: str = "aav"  # Process type {choices: aav, plasmid, lentivirus}
reference_scale: str = "2 L"  # Scale the others are compared with {value: data.scale}
equivalence_margin: float = 0.2  # Equivalence margin as a fraction of the reference-scale mean (log10 titers: this many log10 units) {range: (0, 1]}
vg_per_cell_denominator: str = "cells_at_transfection"  # Cells per mL used for AAV vg/cell {choices: cells_at_transfection, cells_at_harvest}
od_to_dcw: float | None = None  # Plasmid: g/L dry cell weight per OD600 unit (primer: 0.3-0.45); None uses measured DCW {range: (0, 2]}

# %%
from pdkit.params import check_parameters
P = check_parameters("upstream_yield", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit.errors import InputError
from pdkit.escape import md, md_code
from pdkit.plots.upstream import growth_plot, ln_vcd_plot, productivity_plot, titer_plot
from pdkit.record import record
from pdkit.upstream import compare_scales, growth_rate, ivcd, load_runs, run_summary, specific_productivity
pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

ds = load_runs(P.data)
summary = run_summary(
    ds, P.process,
    vg_per_cell_denominator=P.vg_per_cell_denominator if P.process == "aav" else None,
    od_to_dcw=P.od_to_dcw,
)
biomass = "od600" if P.process == "plasmid" else "vcd"
product = {"aav": "vg_titer", "lentivirus": "tu_titer", "plasmid": "pdna"}[P.process]
METRICS = {
    "aav": ["mu", "peak_vcd", "ivcd_end", "vg_titer_harvest", "qp", "percent_full", "vg_per_cell"],
    "lentivirus": ["mu", "peak_vcd", "ivcd_end", "tu_titer_harvest", "qp", "tu_per_pg_p24"],
    "plasmid": ["mu", "peak_od600", "dcw_harvest", "pdna_harvest", "specific_yield", "supercoiled_harvest"],
}[P.process]
METRICS = [m for m in METRICS if m in summary.columns]
LOG_METRICS = {"vg_titer_harvest", "tu_titer_harvest", "peak_vcd", "ivcd_end"}
time_unit = ds["time"].attrs["units"]

# %% [markdown]
# ## Runs
#
# One row per run. `mu` is per time unit of the data (`time_unit`); `doubling_time` in that unit; the growth window
# is the fitted exponential phase. Notes explain any value that could not be computed.

# %%
cols = [c for c in ["run", "scale", "working_volume", "growth_window_start", "growth_window_end",
                    "growth_r2", "doubling_time", "harvest_time", *METRICS, "qp_ci_low", "qp_ci_high",
                    "qp_unit", "notes"] if c in summary.columns]
display(summary[cols].round(4))
record("process", P.process)
record("time_unit", time_unit)
record("n_runs", int(summary.shape[0]))
record("run_summary", summary[cols])
by_scale = summary.groupby("scale", sort=False)[METRICS].mean()
display(Markdown("**Mean by scale**"))
display(by_scale)
record("mean_by_scale", by_scale)
for m in METRICS:
    record(f"mean_{m}", float(summary[m].mean()))

# %% [markdown]
# ## Scale comparison
#
# For each metric and scale: difference from the reference scale (scale - reference) with its
# 90 % confidence interval and the TOST p-value against ± margin; equivalence is shown when the
# whole interval lies inside the margin. With two or three runs per scale the intervals are
# wide: "not shown" means the data cannot demonstrate equivalence, not that the scales differ.

# %%
rows, problems = [], []
for m in METRICS:
    log10 = m in LOG_METRICS
    ref = summary.loc[summary["scale"].astype(str) == P.reference_scale, m]
    margin = P.equivalence_margin if log10 else P.equivalence_margin * abs(float(ref.mean()))
    try:
        r = compare_scales(summary, m, P.reference_scale, margin, log10=log10)
    except InputError as exc:
        problems.append(f"- {md_code(m)}: {md(exc)}")
        continue
    rows.append(r.assign(metric=m + (" (log10)" if log10 else "")))
comparison = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
if len(comparison):
    comparison = comparison[["metric", "scale", "n", "mean", "reference_mean", "difference", "ci_low",
                             "ci_high", "margin_low", "margin_high", "p_tost", "equivalent"]]
    display(comparison.round(4))
    record("comparison", comparison)
    record("all_equivalent", bool(comparison["equivalent"].all()))
if problems:
    display(Markdown("**Not compared:**\n" + "\n".join(problems)))

# %% [markdown]
# ## Plots
#
# Growth (and viability for cell culture) and titer curves per run coloured by scale; ln of the
# biomass with the fitted exponential window; product against IVCD with the fitted qP line.

# %%
pdkit.plots.show(growth_plot(ds, biomass, "viability" if "viability" in ds.data_vars else None,
                             log_y=P.process == "plasmid"))
titers = [v for v in [product, "capsid_titer", "p24", "dcw", "supercoiled"] if v in ds.data_vars]
pdkit.plots.show(titer_plot(ds, titers, log_y=P.process != "plasmid"))
g = growth_rate(ds[biomass], on_fail="nan")
pdkit.plots.show(ln_vcd_plot(ds, g, biomass))

# %%
if P.process != "plasmid":
    iv = ivcd(ds[biomass])
    start = float(ds["transfection_time"].values.min()) if "transfection_time" in ds.coords else float(ds["time"].values[0])
    window = (start, float(ds["time"].values[-1]))
    q = specific_productivity(ds[product], iv, window=window, on_fail="nan")
    pdkit.plots.show(productivity_plot(ds[product], iv, q, window=window, ds=ds))
