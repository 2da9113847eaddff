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
# # Downstream yield, mass balance and impurity clearance
#
# Evaluates a purification train (AAV: lysis/nuclease -> clarification -> TFF -> affinity -> AEX ->
# UF/DF -> sterile filtration; plasmid: alkaline lysis -> clarification -> TFF -> AEX -> HIC -> UF/DF
# -> 0.2 um) from one step table (one row per step and attribute with load, pool and optional
# flow-through, wash and strip volumes and concentrations; format in `pdkit.downstream`). It reports
# step and cumulative product yields, the mass-balance closure of every step against a band, log
# reduction values (LRV, ICH Q5A form) per impurity with cumulative values, residual impurities in
# the final pool per dose or per mg of product, and, for AAV, the full-capsid enrichment.

# %% tags=["parameters"]
data: str = "data_samples/downstream/aav_downstream_synthetic.csv"  # Step table (one row per step and attribute) {file: csv, xlsx}
product: str = "vg"  # Product attribute in the table, e.g. vg (AAV) or pDNA (plasmid) {value: data.attribute}
closure_band_low: float = 80.0  # Lower limit of acceptable mass-balance closure, % of load {range: [0, 100]}
closure_band_high: float = 120.0  # Upper limit of acceptable mass-balance closure, % of load {range: [100, 1000]} {above: closure_band_low}
residual_per: str = "dose"  # Express residual impurities per dose or per mg of product {choices: dose, mg}
dose: float | None = 1e13  # Product amount per dose in the product's amount unit, e.g. 1e13 vg (used when residual_per is dose) {range: (0, ]}

# %%
from pdkit.params import check_parameters
P = check_parameters("downstream_yield", globals())

# %% [markdown]
# ## Step table
#
# The steps in train order and the attributes measured at each.

# %%
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit import downstream as ds
from pdkit.contracts import load_table
from pdkit.errors import InputError
from pdkit.escape import md
from pdkit.plots.downstream import clearance_plot, closure_plot, yield_waterfall
from pdkit.record import record

pdkit.plots.setup()
table = load_table("downstream_yield", P.data, P).table  # the template's input contract
amounts = ds.step_amounts(table)
overview = amounts.groupby(["step_number", "step"], sort=True)["attribute"].agg(", ".join).reset_index()
display(overview)
record("n_steps", int(overview.shape[0]))
record("attributes", list(dict.fromkeys(amounts["attribute"])))

# %% [markdown]
# ## Step yields
#
# Step yield = (C_out V_out)/(C_in V_in); cumulative yield = product of the step yields.
# `load_vs_previous_pool` shows losses or gains between steps (holds, sampling, conditioning) that
# the product of step yields does not contain; `direct overall` below is final pool / first load.

# %%
yields = ds.step_yields(table, product=P.product)
display(yields.drop(columns=["attribute"]).round(3))
overall = yields.attrs["overall_yield"]
display(Markdown(
    f"**Overall {md(P.product)} yield (product of step yields): {100 * overall:.1f} %**; direct overall "
    f"(final pool / first load): {100 * yields.attrs['direct_overall_yield']:.1f} %."
))
record("overall_yield_pct", 100 * overall)
record("direct_overall_yield_pct", 100 * yields.attrs["direct_overall_yield"])
record("step_yield_pct", dict(zip(yields["step"], yields["yield_pct"])))
record("n_yield_flags", int((yields["flag"] != "").sum()))
pdkit.plots.show(yield_waterfall(yields))

# %% [markdown]
# ## Purification table
#
# Where the step table carries total `activity` and total `protein` rows, the classic purification
# table: specific activity (activity per mass of protein), yield of activity and fold purification
# relative to the starting material, with units checked (protein a mass concentration, activity not a
# mass).

# %%
if {"activity", "protein"} <= set(amounts["attribute"]):
    purification = ds.purification_table(table)
    display(purification.round(3))
    record("purification_fold_final", float(purification["purification_fold"].iloc[-1]))
else:
    display(Markdown("No `activity` and `protein` rows in the step table: purification table not evaluated."))

# %% [markdown]
# ## Mass balance
#
# Closure = (pool + flow-through + wash + strip)/load x 100 over the fractions measured. Steps
# outside the band, and pools that alone exceed the band's upper limit, are flagged. Where only the
# pool was measured the closure equals the step recovery, so impurity closures below the band are
# expected there (the impurity is removed, not recovered).

# %%
balance = ds.mass_balance(table, band=(P.closure_band_low, P.closure_band_high))
cols = ["step", "attribute", "pool_pct", "flowthrough_pct", "wash_pct", "strip_pct", "closure_pct",
        "fractions_measured", "in_band", "flag"]
display(balance[cols].round(1))
product_balance = balance[balance["attribute"] == P.product]
record("product_closure_pct", dict(zip(product_balance["step"], product_balance["closure_pct"])))
record("n_product_closure_outside_band", int((~product_balance["in_band"]).sum()))
record("n_closure_outside_band", int((~balance["in_band"]).sum()))
pdkit.plots.show(closure_plot(balance))

# %% [markdown]
# ## Impurity clearance (LRV)
#
# LRV = log10[(C_in V_in)/(C_out V_out)] per impurity per step (ICH Q5A form). A pool below the LOQ
# gives `>=`; a load below the LOQ makes the step's LRV not determinable (`n.d.`, not summed).

# %%
lrv = ds.log_reduction(table)
display(lrv[["step", "attribute", "lrv_text", "cumulative_text", "flag"]])
display(Markdown(f"**Caveat:** {md(lrv.attrs['caveat'])}"))
last = lrv.groupby("attribute", sort=False).tail(1)
record("cumulative_lrv", dict(zip(last["attribute"], last["cumulative_lrv"])))
record("cumulative_lrv_text", dict(zip(last["attribute"], last["cumulative_text"])))
record("direct_overall_lrv", lrv.attrs["direct_overall_lrv"])
record("lrv_caveat", lrv.attrs["caveat"])
pdkit.plots.show(clearance_plot(lrv))

# %% [markdown]
# ## Residual impurities in the final pool
#
# Per dose (impurity / product x dose; AAV usually per 1e13 vg) or per mg of product (ng/mg = ppm,
# plasmid).

# %%
if P.residual_per == "dose" and P.dose is None:
    raise InputError("parameter 'dose': residual_per is 'dose', so give the product amount per dose")
residual = ds.residual_impurity(table, per=P.residual_per, dose=P.dose, product=P.product)
display(residual)
record("residuals", dict(zip(residual["attribute"], residual["residual_text"] + " " + residual["unit"])))

# %% [markdown]
# ## Full-capsid enrichment
#
# Percent full = vg / capsid x 100 in load and pool of each step where both are measured;
# enrichment = %full_out / %full_in (shown only when the table has `vg` and `capsid` rows).

# %%
attrs = set(amounts["attribute"])
if {"vg", "capsid"} <= attrs:
    full = ds.full_fraction_by_step(table)
    display(full.round(2))
    record("pct_full_final", float(full["pct_full_pool"].iloc[-1]))
    record("full_enrichment", dict(zip(full["step"], full["enrichment"])))
else:
    display(Markdown("No `vg` and `capsid` rows in the table: full-capsid enrichment not evaluated."))
