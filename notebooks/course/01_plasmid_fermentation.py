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
# # Lesson 01 - Plasmid DNA fermentation: growth, biomass and yield
#
# *pdkit course, part 1 of 8. About 20 minutes.*

# %% [markdown]
# ## Overview
#
# Plasmid DNA (pDNA) is the starting material of almost every viral-vector process: the three
# plasmids of an AAV triple transfection (lesson 02) and the packaging plasmids of a lentiviral
# vector are all grown in *E. coli*, usually in a **fed-batch** fermentation: a short batch phase
# with unrestricted growth, then a feed that deliberately limits growth so that the culture reaches a
# high cell density. Typical targets are 40-60 g/L dry cell weight (DCW) and about 1 g/L pDNA, with
# reported specific yields of 4-18 mg pDNA per g DCW (kit domain primer, *Upstream*).
#
# In the lab you read OD600 on a photometer and send samples for pDNA titer and isoform analysis. In a
# GMP batch record the same run is summarised by a few numbers - growth rate, biomass, titer,
# specific yield and supercoiled content - that are trended from batch to batch. This lesson computes
# those numbers with `pdkit.upstream` on four fed-batch runs (two at 10 L, two at 100 L).
#
# **The data are SYNTHETIC** (`data_samples/upstream/README.md` documents the ground truth), with
# magnitudes taken from the domain primer.

# %% [markdown]
# ## Prerequisites
#
# * Basic Python and pandas (reading a table, selecting a column).
# * What OD600, dry cell weight and a plasmid are; the idea of batch and fed-batch culture.
# * Optional: `/work/shared/domain-primer.md`, section *Upstream* (or the copy shipped with the kit).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. load run data into an `xarray.Dataset` with `pdkit.upstream.load_runs` and say which variables
#    and units it holds;
# 2. estimate the specific growth rate mu from ln OD600 and convert it to a doubling time;
# 3. convert OD600 to dry cell weight with a *declared* calibration factor and compute the specific
#    yield in mg pDNA per g DCW;
# 4. compute the supercoiled fraction from isoform peak areas and judge it against regulatory
#    expectations.

# %%
import pdkit.plots
from pdkit.plots.upstream import growth_plot, ln_vcd_plot, titer_plot
from pdkit.tutorial import check
from pdkit.upstream import (dcw_from_od, doubling_time, growth_rate, load_runs, run_summary,
                            specific_yield, supercoiled_percent)

pdkit.plots.setup()

# %% [markdown]
# ## The run data
#
# Run data are stored long ("one row per measurement": `run, time, variable, value, unit` plus run
# metadata such as `scale`). `load_runs` checks the table and returns an `xarray.Dataset` with
# dimensions `(run, time)`: one variable per measured quantity, each with its unit in
# `attrs["units"]`, and missing samples as NaN. Declaring units in the data, rather than in people's
# heads, is what lets a tool convert them safely when one site reports in different units.

# %% tags=["nbval-check-output"]

ds = load_runs("../../data_samples/upstream/plasmid_runs_synthetic.csv")
print("runs:      ", ", ".join(ds["run"].values))
print("scales:    ", ", ".join(dict.fromkeys(ds["scale"].values)))
print("time unit: ", ds["time"].attrs["units"], "| samples per run:", ds.sizes["time"])
for name in ds.data_vars:
    n = int(ds[name].notnull().sum())
    print(f"{name:12s} unit {ds[name].attrs['units']:5s} {n:3d} measured values")

# %% [markdown]
# OD600 is measured every 2 h, DCW every 8 h, pDNA every 4 h from 8 h and the plasmid isoforms in the
# last 16 h. On a log scale the two phases are clear: a steep batch phase up to about 10 h, then the
# slower, feed-limited growth.

# %%
pdkit.plots.show(growth_plot(ds, vcd="od600", viability=None, log_y=True))

# %% [markdown]
# ## Growth rate and doubling time
#
# In exponential growth X(t) = X0 exp(mu t), so ln X against time is a straight line with slope mu,
# the **specific growth rate**; the doubling time is t_d = ln 2 / mu. `growth_rate` fits that line
# (ordinary least squares) and, unless you give `window=(start, end)`, chooses the exponential window
# itself: the longest run of consecutive samples whose fit has R^2 >= 0.98 and a slope within 5 % of
# the steepest one. Always look at the chosen window - a window that strays into the fed-batch phase
# would underestimate the batch growth rate.

# %% tags=["nbval-check-output"]

growth = growth_rate(ds["od600"])
print(growth[["rate", "start", "end", "r2", "n_points"]].to_dataframe().round(3).to_string())
print("mu unit: 1 /", growth.attrs["time_unit"])

# %%
pdkit.plots.show(ln_vcd_plot(ds, growth, vcd="od600"))

# %% [markdown]
# A worked example for the first run: mu is about 0.40 per hour, i.e. the cells double in well under
# two hours in the batch phase. (Growth in the fed-batch phase, about 0.08 per hour in these runs,
# is set by the feed rate, not by the cells.)

# %% tags=["nbval-check-output"]

mu_first = float(growth["rate"].sel(run="PDNA-10L-01"))
print(f"PDNA-10L-01: mu = {mu_first:.3f} 1/h, doubling time = {doubling_time(mu_first):.2f} h")

# %% [markdown]
# ## Biomass and specific yield
#
# OD600 is fast but indirect. Dry cell weight is the mass you actually grew; the factor between them
# (g/L per OD unit) depends on strain, medium and photometer, and values of about 0.3-0.45 are reported
# for *E. coli* (domain primer). pdkit therefore has **no default factor**: you declare the one from
# your own calibration (here 0.38 g/L per OD, the calibration of these synthetic runs), and it is part
# of the record.
#
# The **specific yield** is pDNA titer (mg/L) divided by DCW (g/L), in mg/g: it tells you whether a
# higher titer came from more cells or from more plasmid per cell. `run_summary` collects the harvest
# values of every run; with `od_to_dcw` it reports both the measured DCW and the OD-derived one.

# %% tags=["nbval-check-output"]

OD_TO_DCW = 0.38  # g/L per OD600 unit: this strain's calibration (primer range 0.3-0.45)
summary = run_summary(ds, "plasmid", od_to_dcw=OD_TO_DCW)
cols = ["run", "scale", "peak_od600", "dcw_harvest", "dcw_from_od_harvest", "pdna_harvest", "specific_yield"]
print(summary[cols].round(1).to_string(index=False))
print("units: OD, g/L, g/L, mg/L, mg/g; harvest at", summary["harvest_time"].iloc[0], "h")

# %% [markdown]
# The helper functions behind the table can be used on single numbers, e.g. an OD600 of 100 with the
# 0.38 factor and a titer of 700 mg/L:

# %% tags=["nbval-check-output"]

dcw_example = dcw_from_od(100.0, OD_TO_DCW)
print(f"DCW = {dcw_example:.1f} g/L; specific yield = {specific_yield(700.0, dcw_example):.2f} mg/g")

# %%
pdkit.plots.show(titer_plot(ds, "pdna", log_y=False))

# %% [markdown]
# All four runs end near 0.9 g/L pDNA and 17-19 mg/g, at the top of the published range; the 100 L
# runs reach slightly lower biomass. Whether a difference like this matters is a question for a
# statistical comparison with enough runs (lesson 02 shows one) - with two runs per scale, treat it as
# something to watch.

# %% [markdown]
# ## Product quality: supercoiled plasmid
#
# A plasmid exists as **supercoiled** (SC, the intact, most active form), **open circular** (OC, one
# strand nicked) and **linear** isoforms, separated by agarose gel, capillary electrophoresis or AEX-HPLC.
# Supercoiled % = SC / (SC + OC + linear) x 100. Regulators expect at least 80 % (FDA) or 90 % (EMA,
# NMPA) supercoiled for DNA-vaccine plasmid (J Biol Eng 2024, Table 2, via the domain primer); for
# plasmid used as a GMP starting material the manufacturer sets a similar limit. The fermentation
# matters: the harvest value sets the ceiling for what purification can deliver.

# %% tags=["nbval-check-output"]

print(f"worked example (areas 72.4, 6.1, 1.0): {supercoiled_percent(72.4, 6.1, 1.0):.1f} % supercoiled")
for run, sc in summary.set_index("run")["supercoiled_harvest"].items():
    verdict = "meets" if sc >= 90 else "is below"
    print(f"{run}: {sc:.1f} % supercoiled at harvest - {verdict} a 90 % expectation")

# %% [markdown]
# ## Exercises
#
# Answer each exercise in its cell (replace `None`) and run the cell: `check` says *Right!*, *Close*
# (with a hint) or *Not right yet* (with a hint). Use the names defined above (`ds`, `growth`,
# `summary`, the pdkit functions); you do not need to retype numbers from the tables.

# %% [markdown]
# **Exercise 1.** What is the batch-phase doubling time, in hours, of run `PDNA-100L-02`?

# %% pdkit={"exercise": "01_plasmid_fermentation.doubling_time_100L_02"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("01_plasmid_fermentation.doubling_time_100L_02", answer);

# %% [markdown]
# **Exercise 2.** Suppose your photometer's calibration were 0.35 g/L per OD unit instead of 0.38. What DCW, in g/L, would you then report for run `PDNA-10L-02` at harvest (40 h)?

# %% pdkit={"exercise": "01_plasmid_fermentation.dcw_factor_035"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("01_plasmid_fermentation.dcw_factor_035", answer);

# %% [markdown]
# **Exercise 3.** The table's `specific_yield` uses the measured DCW. What is the specific yield (mg/g) of run `PDNA-100L-01` at harvest if you use the OD-derived DCW (factor 0.38) instead?

# %% pdkit={"exercise": "01_plasmid_fermentation.specific_yield_od_100L_01"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("01_plasmid_fermentation.specific_yield_od_100L_01", answer);

# %% [markdown]
# **Exercise 4.** An AEX-HPLC of a harvest sample gives peak areas of 8.46 (supercoiled), 0.61 (open circular) and 0.13 (linear). What is the supercoiled percentage?

# %% pdkit={"exercise": "01_plasmid_fermentation.supercoiled_from_areas"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("01_plasmid_fermentation.supercoiled_from_areas", answer);

# %% [markdown]
# ## Summary
#
# * `load_runs` turns a long measurement table into a `(run, time)` Dataset with units attached.
# * The specific growth rate is the slope of ln OD600 (or ln VCD) over the exponential window;
#   doubling time = ln 2 / mu. Check which window was fitted.
# * OD600 becomes dry cell weight only through a declared, calibrated factor; specific yield
#   (mg pDNA / g DCW) separates "more cells" from "more plasmid per cell".
# * Supercoiled % = SC / (SC + OC + linear) x 100, judged against 80 % (FDA) or 90 % (EMA, NMPA)
#   expectations for DNA-vaccine plasmid.

# %% [markdown]
# ## What's next
#
# Lesson 02 uses these plasmids: a HEK293 triple transfection producing AAV, with integral viable cell
# density, vg titer, % full capsids, vg per cell and a comparison across scales. The same calculations
# run as a report with `pdkit run upstream_yield`.
