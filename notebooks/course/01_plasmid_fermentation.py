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
# *pdkit course, part 1 of 15. About 20 minutes.*

# %% [markdown]
# ## Overview
#
# Plasmid DNA (pDNA) is the starting material of almost every viral-vector process: the three
# plasmids of an AAV triple transfection (lesson 02) and the transfer, packaging and envelope plasmids
# of a third-generation lentiviral vector (Dull et al. 1998) are all grown in *E. coli*, usually in a
# **fed-batch** fermentation: a short batch phase with unrestricted growth, then a feed that
# deliberately limits growth so that the culture reaches a high cell density and a high plasmid titer.
#
# **Regulatory status: a starting material, not the drug substance.** In the EU, for a product that
# contains a viral vector, the plasmids used to transfect the packaging cells are **starting
# materials** of the vector (Directive 2001/83/EC, Annex I, Part IV, section 3.2.1, as amended by
# Directive 2009/120/EC). The principles of GMP apply to their manufacture, chosen on a risk basis
# (EU GMP Part IV, 2017; EMA questions and answers on GMP principles for starting materials of
# biological origin used to transfer genetic material, 2021). FDA's 2020 CMC guidance for gene-therapy
# INDs likewise asks for the materials used to make a vector, plasmids included, to be described and
# tested. A plasmid is an active substance only when it is itself the medicinal product (a DNA vaccine
# or a non-viral gene therapy). So the vector manufacturer sets the plasmid's specification and
# justifies it by the plasmid's impact on the vector (lesson 06).
#
# In the lab you read OD600 on a photometer and send samples for pDNA titer and isoform analysis. In a
# GMP batch record the same run is summarised by a few numbers - growth rate, biomass, titer,
# specific yield and supercoiled content - that are trended from batch to batch. This lesson computes
# those numbers with `pdkit.upstream` on four fed-batch runs (two at 10 L, two at 100 L).
#
# **The data are SYNTHETIC** (`data_samples/upstream/README.md` documents the ground truth); their
# magnitudes are illustrative, not benchmarks.

# %% [markdown]
# ## Prerequisites
#
# * Basic Python and pandas (reading a table, selecting a column).
# * What OD600, dry cell weight and a plasmid are; the idea of batch and fed-batch culture.
# * Optional: the course primer shipped with the kit, `docs/course/primer.md`, sections *Upstream*
#   and *Release specifications*.

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
# 4. compute the supercoiled fraction from isoform peak areas, judge it against a specification, and
#    say who sets that specification for a plasmid that is a starting material.

# %%
import pdkit.plots
from pdkit.plots.upstream import growth_plot, ln_vcd_plot, titer_plot
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header
from pdkit.upstream import (dcw_from_od, doubling_time, growth_rate, load_runs, run_summary,
                            specific_yield, supercoiled_percent)

pdkit.plots.setup()
lesson_header("01");

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
# (g/L per OD unit) depends on strain, medium and photometer (course primer, *Upstream*). pdkit
# therefore has **no default factor**: you declare the one from your own calibration (here 0.38 g/L per
# OD, the calibration built into these synthetic runs), and it is part of the record.
#
# The **specific yield** is pDNA titer (mg/L) divided by DCW (g/L), in mg/g: it tells you whether a
# higher titer came from more cells or from more plasmid per cell. `run_summary` collects the harvest
# values of every run; with `od_to_dcw` it reports both the measured DCW and the OD-derived one.

# %% tags=["nbval-check-output"]

OD_TO_DCW = 0.38  # g/L per OD600 unit: the calibration of these synthetic runs (declare your own)
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
# All four runs end near 0.9 g/L pDNA and about 17-19 mg/g (PDNA-10L-02 a little lower); the 100 L
# runs reach slightly lower biomass. Whether a difference like this matters is a question for a
# statistical comparison with enough runs (lesson 02 shows one) - with two runs per scale, treat it as
# something to watch.

# %% [markdown]
# ## Product quality: supercoiled plasmid
#
# A plasmid exists as **supercoiled** (SC, the intact, most active form), **open circular** (OC, one
# strand nicked) and **linear** isoforms, separated by agarose gel, capillary electrophoresis or AEX-HPLC.
# Supercoiled % = SC / (SC + OC + linear) x 100.
#
# Who sets the limit depends on what the plasmid is. For a plasmid that is itself the drug substance
# (a DNA vaccine), FDA's guidance on plasmid DNA vaccines (2007) and WHO TRS 1028, Annex 2 (2021) list
# the release tests, supercoiled content among them. The numeric criteria often quoted for them
# (>= 80 % or >= 90 %) reach the course primer through a table in a lab-scale paper (J Biol Eng 2024),
# so treat them as a compilation and read the primary document before you use them. For a plasmid
# that is a **starting material** of a viral vector there is no regulatory numeric limit: the vector
# manufacturer sets one from its own development data and a risk assessment of the plasmid's impact on
# the vector. The 90 % below is an **example internal specification**, not a regulatory limit.
#
# The fermentation matters: the harvest value sets the ceiling for what purification can deliver.

# %% tags=["nbval-check-output"]

print(f"worked example (areas 72.4, 6.1, 1.0): {supercoiled_percent(72.4, 6.1, 1.0):.1f} % supercoiled")
SC_EXAMPLE_SPEC = 90.0  # % supercoiled: an EXAMPLE internal specification, not a regulatory limit
for run, sc in summary.set_index("run")["supercoiled_harvest"].items():
    verdict = "meets" if sc >= SC_EXAMPLE_SPEC else "is below"
    print(f"{run}: {sc:.1f} % supercoiled at harvest - {verdict} the example internal spec (>= {SC_EXAMPLE_SPEC:.0f} %)")

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. Exercise 1 gives **you** your own numbers (they differ between trainees). A choice needs a
# one- or two-sentence justification; a written answer is recorded for your trainer, who marks it.
# Stuck? `hint("<exercise id>", 1)` gives a nudge, `hint("<exercise id>", 2)` the method. Use the names
# defined above (`ds`, `growth`, `summary` and the pdkit functions).

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints a harvest sample's OD600 and
# pDNA titer and *your* photometer's calibration factor. Report the specific yield in mg pDNA per g DCW.

# %% pdkit={"exercise": "01_plasmid_fermentation.specific_yield_own_calibration"} tags=["exercise"]
v = exercise("01_plasmid_fermentation.specific_yield_own_calibration")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("01_plasmid_fermentation.specific_yield_own_calibration", answer);

# %% [markdown]
# **Exercise 2 (choose the window).** The automatic window of `growth_rate` finds the batch phase. What
# is the doubling time, in hours, of run `PDNA-100L-02` in the feed-limited phase, fitted over 16 h to
# 40 h? Then ask yourself what sets this rate - the cells or the feed?

# %% pdkit={"exercise": "01_plasmid_fermentation.fedbatch_doubling_time"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("01_plasmid_fermentation.fedbatch_doubling_time", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** A contract manufacturer makes the Rep/Cap plasmid your company
# uses to transfect HEK293 cells for an AAV product sold in the EU. What is this plasmid, regulatorily?
#
# * (a) The active substance (drug substance) of the AAV product.
# * (b) A starting material of the AAV vector, made under GMP principles applied on a risk basis.
# * (c) An excipient of the AAV drug product.
# * (d) A laboratory reagent outside any GMP expectation.

# %% pdkit={"exercise": "01_plasmid_fermentation.plasmid_status"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("01_plasmid_fermentation.plasmid_status", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** The supplier's certificate for a lot of
# your AAV helper plasmid reports 88 % supercoiled; your internal acceptance criterion is at least
# 90 %. Who decides whether the lot may be used, on what basis was the 90 % set, and what do you do
# next?

# %% pdkit={"exercise": "01_plasmid_fermentation.who_sets_the_limit"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("01_plasmid_fermentation.who_sets_the_limit", text);

# %% [markdown]
# ## Summary
#
# * `load_runs` turns a long measurement table into a `(run, time)` Dataset with units attached.
# * The specific growth rate is the slope of ln OD600 (or ln VCD) over the exponential window;
#   doubling time = ln 2 / mu. Check which window was fitted.
# * OD600 becomes dry cell weight only through a declared, calibrated factor; specific yield
#   (mg pDNA / g DCW) separates "more cells" from "more plasmid per cell".
# * Supercoiled % = SC / (SC + OC + linear) x 100. A plasmid used to make a viral vector is a
#   starting material (EU: Directive 2001/83/EC Annex I Part IV): its limits are the vector
#   manufacturer's justified internal specification, not a regulatory number.

# %% [markdown]
# ## What's next
#
# Lesson 02 uses these plasmids: a HEK293 triple transfection producing AAV, with integral viable cell
# density, vg titer, % full capsids, vg per cell and a comparison across scales. The same calculations
# run as a report with `pdkit run upstream_yield`. Lesson 11 (`11_plasmid_starting_material`) returns to
# the plasmid as a starting material: the regulatory texts, the attributes that matter for a
# transfection-grade plasmid and a starting-material specification.

# %% [markdown]
# ### Sources
#
# 1. Directive 2001/83/EC, Annex I, Part IV (advanced therapy medicinal products), section 3.2.1, as
#    amended by Commission Directive 2009/120/EC: plasmids used to transfect packaging cells are
#    starting materials of a viral vector.
# 2. EudraLex Volume 4, Part IV: *Guidelines on Good Manufacturing Practice specific to Advanced
#    Therapy Medicinal Products* (2017).
# 3. EMA (2021) *Questions and answers on the principles of GMP for the manufacturing of starting
#    materials of biological origin used to transfer genetic material for the manufacturing of ATMPs*.
# 4. FDA (January 2020) *Chemistry, Manufacturing, and Control (CMC) Information for Human Gene
#    Therapy Investigational New Drug Applications (INDs)*, guidance for industry.
# 5. FDA (November 2007) *Considerations for Plasmid DNA Vaccines for Infectious Disease Indications*,
#    guidance for industry; WHO Technical Report Series 1028, Annex 2 (2021), guidelines for plasmid
#    DNA vaccines (test lists for a plasmid drug substance).
# 6. Dull T et al. (1998) A third-generation lentivirus vector with a conditional packaging system. J
#    Virol 72:8463-8471.
# 7. J Biol Eng (2024) doi:10.1186/s13036-024-00411-w, Table 2: a lab-scale DNA-vaccine study whose
#    table compiles acceptance criteria by regulator (secondary source; the >= 80 % / >= 90 %
#    supercoiled figures).
# 8. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value).
