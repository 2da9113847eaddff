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
# # Lesson 02 - AAV by transient transfection: cells, titer and scale
#
# *pdkit course, part 2 of 8. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Most clinical AAV is made by **triple transient transfection** of HEK293 cells: a helper plasmid
# (adenoviral genes), a Rep/Cap plasmid and the plasmid carrying the gene of interest (GOI) are
# complexed with PEI and added to the culture at a chosen cell density; the vector is harvested two to
# three days later. Crude titers are about 1e10 vg/mL (Chahal et al. 2014), and optimised processes
# have approached 3e14 vg/L (Zhao et al. 2020, *Mol Ther Methods Clin Dev* 18:312) - see the domain
# primer, *Upstream*.
#
# This lesson follows seven synthetic bioreactor runs (2 L, 50 L, 200 L) through the numbers a
# process-development team reports: transfection settings, growth and integral viable cell density
# (IVCD), vg titer, % full capsids, vg per cell, cell-specific productivity, and whether the larger
# scales are equivalent to the bench. **The data are SYNTHETIC**
# (`data_samples/upstream/README.md`).

# %% [markdown]
# ## Prerequisites
#
# * Lesson 01 (loading run data, growth rate and doubling time).
# * The terms viable cell density (VCD, cells/mL), viability, vector genome (vg) and capsid.

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. work out the DNA and PEI amounts of a transfection from the cell density and volume;
# 2. compute IVCD by the trapezoid rule and the cell-specific productivity qP;
# 3. report vg titer, % full and vg per cell - with the vg-per-cell denominator declared;
# 4. test whether two scales are equivalent with a TOST and a pre-set margin.

# %%
import pdkit.plots
from pdkit.plots.upstream import growth_plot, productivity_plot, titer_plot
from pdkit.tutorial import check
from pdkit.upstream import (compare_scales, ivcd, load_runs, percent_full, run_summary,
                            specific_productivity, vg_per_cell)

pdkit.plots.setup()

# %% [markdown]
# ## Runs and transfection settings
#
# All runs were transfected on day 3 (the `transfection_time` column). The 200 L site reports VCD in
# units of 1e6 cells/mL; `load_runs` converts it, because every row carries its unit.

# %% tags=["nbval-check-output"]

ds = load_runs("../../data_samples/upstream/aav_runs_synthetic.csv")
print("variables:", ", ".join(f"{v} ({ds[v].attrs['units']})" for v in ds.data_vars))
vcd_tx = ds["vcd"].sel(time=3.0)
for run, scale, x in zip(ds["run"].values, ds["scale"].values, vcd_tx.values):
    print(f"{run:12s} {scale:6s} VCD at transfection {x / 1e6:.2f}e6 cells/mL")

# %% [markdown]
# Typical settings (domain primer): about 1 ug total DNA per 1e6 cells, a PEI:DNA mass ratio of 2:1 to
# 5:1, 1-4e6 cells/mL at transfection and harvest 48-72 h later. The amounts follow from simple
# arithmetic; for a 50 L bioreactor at 3.0e6 cells/mL with 1 ug DNA per 1e6 cells and PEI:DNA 3:1:

# %% tags=["nbval-check-output"]

volume_ml = 50 * 1000
cells = 3.0e6 * volume_ml
dna_mg = cells / 1e6 * 1.0 / 1000  # 1 ug per 1e6 cells, in mg
pei_mg = 3.0 * dna_mg
print(f"cells {cells:.2e}; DNA {dna_mg:.0f} mg; PEI {pei_mg:.0f} mg")

# %% [markdown]
# ## Growth and integral viable cell density
#
# The cells grow until transfection and then slow down as the vector is made. **IVCD** - the area under
# the VCD curve, sum of 0.5 (X_i + X_i+1)(t_i+1 - t_i) in cells x day/mL - measures how many
# "cell-days" were available to make product; the **cell-specific productivity** qP is the slope of
# titer against IVCD after transfection (ordinary least squares, with a confidence interval).

# %%
pdkit.plots.show(growth_plot(ds))

# %% tags=["nbval-check-output"]

iv = ivcd(ds["vcd"])
print("IVCD at day 7 (1e6 cells x day/mL):")
print((iv.sel(time=7.0) / 1e6).to_series().round(2).to_string())

# %% tags=["nbval-check-output"]

qp = specific_productivity(ds["vg_titer"], iv, window=(3.0, 7.0))
print(qp[["qp", "ci_low", "ci_high"]].to_dataframe().round(0).to_string())
print("unit:", qp.attrs["unit"])

# %%
pdkit.plots.show(productivity_plot(ds["vg_titer"], iv, qp, window=(3.0, 7.0), ds=ds))

# %% [markdown]
# With only four titer samples per run the confidence intervals are wide: qP is a useful trend but a
# weak basis for a decision on one run.

# %% [markdown]
# ## Titer, % full and vg per cell
#
# * **vg titer** (vg/mL) by qPCR or ddPCR counts genomes; **capsid titer** by ELISA counts particles.
#   **% full** = vg / capsid x 100. Crude harvests are often 50-90 % empty (domain primer); qPCR/ELISA
#   ratios reproduce poorly between labs, so compare % full within one lab's methods.
# * **vg per cell** = vg/mL at harvest / cells/mL. Papers divide by the cells *at transfection* or *at
#   harvest*, so pdkit makes you declare the denominator and records it with the result.

# %% tags=["nbval-check-output"]

summary = run_summary(ds, "aav", vg_per_cell_denominator="cells_at_transfection")
cols = ["run", "scale", "mu", "vg_titer_harvest", "percent_full", "vg_per_cell", "viability_harvest"]
table = summary[cols].copy()
table["vg_titer_harvest"] = table["vg_titer_harvest"].map(lambda v: f"{v:.2e}")
print(table.round({"mu": 3, "percent_full": 1, "vg_per_cell": -1, "viability_harvest": 1}).to_string(index=False))
print("vg per cell denominator:", summary["vg_per_cell_denominator"].iloc[0])

# %%
pdkit.plots.show(titer_plot(ds, ["vg_titer", "capsid_titer"]))

# %% [markdown]
# A quick check of `percent_full` on single numbers (2.0e10 vg/mL and 8.0e10 capsids/mL):

# %% tags=["nbval-check-output"]

print(f"{percent_full(2.0e10, 8.0e10):.1f} % full")

# %% [markdown]
# ## Comparing scales
#
# Are the 50 L and 200 L runs equivalent to the 2 L process? "No significant difference" is not the
# same as "equivalent": with two runs per scale almost nothing is significant. The right question is
# whether the difference is *within a margin you set in advance* - a two one-sided tests (TOST)
# procedure, which is equivalent to checking that the 90 % confidence interval of the difference lies
# inside the margin. Titers are compared on the log10 scale; a margin of 0.2 log10 (a factor of about
# 1.6) is an illustrative choice, set from the assay's variability and the clinical need in a real
# comparability protocol.

# %% tags=["nbval-check-output"]

titer_eq = compare_scales(summary, "vg_titer_harvest", "2 L", 0.2, log10=True)
print(titer_eq[["scale", "n", "difference", "ci_low", "ci_high", "p_tost", "verdict"]].round(3).to_string(index=False))
mu_eq = compare_scales(summary, "mu", "2 L", 0.05)
print(mu_eq[["scale", "difference", "ci_low", "ci_high", "verdict"]].round(3).to_string(index=False))

# %% [markdown]
# The titers are equivalent within 0.2 log10 at both scales even though they are about 0.1 log10
# lower; for the growth rate, equivalence within 0.05 per day is *not shown* - the intervals are too
# wide with two runs, which is a reason to plan more runs, not a proof of a difference.

# %% [markdown]
# ## Exercises
#
# Use `ds`, `iv`, `summary` and the pdkit functions imported above.

# %% [markdown]
# **Exercise 1.** What is the IVCD of run `AAV-2L-01` at day 5, in cells x day/mL?

# %% pdkit={"exercise": "02_aav_transfection.ivcd_day5_2L_01"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.ivcd_day5_2L_01", answer);

# %% [markdown]
# **Exercise 2.** The table divides by the cells at transfection. What is the vg per cell of run `AAV-50L-01` if you divide by the viable cells at harvest instead?

# %% pdkit={"exercise": "02_aav_transfection.vg_per_cell_at_harvest"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.vg_per_cell_at_harvest", answer);

# %% [markdown]
# **Exercise 3.** A crude lysate has 3.2e10 vg/mL by ddPCR and 1.1e11 capsids/mL by ELISA. What percentage of the capsids is full?

# %% pdkit={"exercise": "02_aav_transfection.percent_full_crude"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.percent_full_crude", answer);

# %% [markdown]
# **Exercise 4.** Run `AAV-200L-01` harvests its 200 L working volume. With a 30 % overall downstream yield and a dose of 1e14 vg, how many doses does the run give (no rounding down)?

# %% pdkit={"exercise": "02_aav_transfection.doses_200L_01"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.doses_200L_01", answer);

# %% [markdown]
# **Exercise 5.** A 200 L bioreactor is transfected at 2.5e6 cells/mL with 1 ug DNA per 1e6 cells and PEI:DNA 2:1 (w/w). How many grams of PEI are needed?

# %% pdkit={"exercise": "02_aav_transfection.pei_grams_200L"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.pei_grams_200L", answer);

# %% [markdown]
# ## Summary
#
# * Transfection amounts scale with cells: DNA per 1e6 cells, PEI by mass ratio to DNA.
# * IVCD is the trapezoid area under VCD; qP is the slope of titer against IVCD, with a confidence
#   interval that is wide when there are few samples.
# * % full = vg / capsid x 100; vg per cell needs a declared denominator (cells at transfection or at
#   harvest), which pdkit records.
# * Scale equivalence is shown by a TOST against a margin set in advance - not by a non-significant
#   t test.

# %% [markdown]
# ## What's next
#
# Lesson 03 plans and analyses a designed experiment (DoE) over the transfection settings you met
# here - DNA amount, PEI:DNA, plasmid ratio, cell density and harvest time. Lesson 04 follows the
# harvest through purification. The report `pdkit run upstream_yield` does this lesson's analysis on
# your own data.
