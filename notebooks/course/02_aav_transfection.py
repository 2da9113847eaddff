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
# *pdkit course, part 2 of 15. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Most clinical AAV is made by **triple transient transfection** of HEK293 cells: a helper plasmid
# (adenoviral genes), a Rep/Cap plasmid and the plasmid carrying the gene of interest (GOI) are
# complexed with PEI and added to the culture at a chosen cell density; the vector is harvested two to
# three days later. Crude titers of about 1e10 vg/mL (1e13 vg/L) were reported for AAV1-9 in
# HEK293SF suspension cells (Chahal et al. 2014, *J Virol Methods* 196:163), and a DoE-optimised
# process approached 3e14 vg/L unpurified (Zhao et al. 2020, *Mol Ther Methods Clin Dev* 18:312); see
# the course primer, `docs/course/primer.md`, *Upstream*.
#
# **Lentiviral vectors (LV)** are made the same way in HEK293T cells, with a third-generation
# four-plasmid system: the transfer plasmid carrying the GOI between the LTRs, a gag/pol plasmid, a rev
# plasmid and an envelope plasmid, usually VSV-G (Dull et al. 1998, *J Virol* 72:8463; Naldini et al.
# 1996, *Science* 272:263). Splitting the viral genes over separate plasmids is a safety measure
# against replication-competent lentivirus (RCL). Both vectors made by transient transfection are now
# in the scope of ICH Q5A(R2) (adopted 1 November 2023), which lesson 09 (`09_viral_safety_clearance`)
# covers with RCL and replication-competent AAV.
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
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header
from pdkit.upstream import (compare_scales, ivcd, load_runs, percent_full, run_summary,
                            specific_productivity, vg_per_cell)

pdkit.plots.setup()
lesson_header("02");

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
# Typical settings (course primer, *Upstream*: planning values drawn from Chahal et al. 2014 and Zhao
# et al. 2020): about 1 ug total DNA per 1e6 cells, a PEI:DNA mass ratio of 2:1 to 5:1, 1-4e6 cells/mL
# at transfection and harvest 48-72 h later. The amounts follow from simple arithmetic; for a 50 L
# bioreactor at 3.0e6 cells/mL with 1 ug DNA per 1e6 cells and PEI:DNA 3:1 (an illustrative choice
# inside that range):

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
#   **% full** = vg / capsid x 100. Crude harvests are often mostly empty capsids (course primer);
#   a ratio of two assays inherits both assays' variability, so compare % full within one lab's
#   methods.
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
# ### Lentivirus: functional units are not genome copies
#
# An LV process reports a **functional titer** in transducing units (TU/mL, from transducing a cell
# line and counting transduced cells or integrated copies) next to physical measures (p24 capsid
# protein, particles, or vector RNA copies). AAV is usually dosed in vector genomes (vg). The two kinds
# of unit measure different things: the ratio of genomes or particles to TU is an *assay result*
# that changes with the process, never a unit conversion. `pdkit.units` encodes this - TU, vg,
# capsid particles and copies are separate count dimensions - so a spreadsheet that silently "converts"
# one into another is refused:

# %% tags=["nbval-check-output"]
from pdkit.errors import InputError
from pdkit.units import convert

print("2.0e6 TU/mL =", f"{float(convert(2.0e6, 'TU/mL', 'TU/L')):.1e}", "TU/L")
try:
    convert(2.0e10, "vg/mL", "TU/mL")
except InputError as err:
    print("refused:", err)

# %% [markdown]
# The transfection arithmetic above applies to LV too, with four plasmids sharing the total DNA; the
# split between them is a process parameter to optimise (lesson 03), as the Rep/Cap:GOI ratio is for
# AAV. What differs is downstream of the bioreactor: LV is an enveloped, fragile particle harvested
# from the supernatant, and its functional titer decays in culture medium (a half-life of 35 h
# for VSV-G pseudotyped particles, Dautzenberg et al. 2021, *Gene Ther* 28:89), which is one reason LV
# harvest time and downstream hold times matter more than for AAV (lesson 04).

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
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `ds`, `iv`, `summary`, `titer_eq`, `mu_eq` and the pdkit functions imported above.

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints the volume, cell density,
# DNA dose and the transfer plasmid's share of a lentiviral-vector run. How many mg of transfer
# plasmid must the supplier deliver for this run?

# %% pdkit={"exercise": "02_aav_transfection.lv_transfer_plasmid_mg"} tags=["exercise"]
v = exercise("02_aav_transfection.lv_transfer_plasmid_mg")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("02_aav_transfection.lv_transfer_plasmid_mg", answer);

# %% [markdown]
# **Exercise 2 (the denominator matters).** The summary table divides by the cells at transfection.
# What is the vg per cell of run `AAV-50L-01` if you divide by the viable cells at harvest instead?
# Which denominator would you declare in a report comparing processes with different harvest days, and
# why?

# %% pdkit={"exercise": "02_aav_transfection.vg_per_cell_at_harvest"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("02_aav_transfection.vg_per_cell_at_harvest", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** A lentiviral vector lot is reported as 5e8 TU/mL
# (transduction of a cell line) and 4e10 vector RNA copies/mL (RT-qPCR). A colleague wants to record
# the lot as 4e10 TU/mL "to match the AAV convention of genome-based units". What do you answer?
#
# * (a) Agree - copies and TU are the same count, so the higher number is the better estimate.
# * (b) Refuse - TU is a functional titer and copies a physical one; their ratio is an assay result
#   that describes the lot, not a unit conversion.
# * (c) Agree, but divide by the 80 copies per TU that the ratio shows for every LV lot.

# %% pdkit={"exercise": "02_aav_transfection.lv_units"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("02_aav_transfection.lv_units", choice, why=why);

# %% [markdown]
# **Exercise 4 (interpret a result).** Read the TOST result for the growth rate (`mu_eq`) at 200 L,
# two runs per scale. What do you write in the scale-up report?
#
# * (a) The 200 L growth rate differs from 2 L, because the equivalence test failed.
# * (b) The 200 L growth rate is equivalent to 2 L, because the difference is not significant.
# * (c) Equivalence within the pre-set margin is not shown; the confidence interval is too wide to
#   conclude either way, so more runs are needed before a claim.
# * (d) The margin should be widened until equivalence is shown.

# %% pdkit={"exercise": "02_aav_transfection.growth_rate_conclusion"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("02_aav_transfection.growth_rate_conclusion", choice, why=why);

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
# your own data. Lesson 12 (`12_lentivirus`) covers lentiviral vectors in depth: production, functional
# and physical titers, stability and purification.

# %% [markdown]
# ### Sources
#
# 1. Chahal PS et al. (2014) Production of adeno-associated virus (AAV) serotypes by transient
#    transfection of HEK293 cell suspension cultures for gene delivery. J Virol Methods 196:163-173
#    (about 1e13 vg/L).
# 2. Zhao H et al. (2020) Mol Ther Methods Clin Dev 18:312-320 (DoE-optimised AAV transfection, about
#    3e14 vg/L).
# 3. Dull T et al. (1998) J Virol 72:8463-8471 (third-generation lentiviral packaging). Naldini L et
#    al. (1996) In vivo gene delivery and stable transduction of nondividing cells by a lentiviral
#    vector. Science 272:263-267 (VSV-G pseudotyping).
# 4. Dautzenberg IJC et al. (2021) Gene Ther 28:89-104 (half-life of 35 h of VSV-G pseudotyped
#    lentiviral particles in culture medium).
# 5. ICH Q5A(R2) *Viral safety evaluation of biotechnology products derived from cell lines of human
#    or animal origin*, Step 4, 1 November 2023 (scope includes viral vectors made by transient
#    transfection).
# 6. Schuirmann DJ (1987) A comparison of the two one-sided tests procedure and the power approach for
#    assessing the equivalence of average bioavailability. J Pharmacokinet Biopharm 15:657-680 (TOST).
# 7. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value). The transfection settings (1 ug DNA per 1e6 cells, PEI:DNA 2:1 to 5:1, 1-4e6 cells/mL,
#    48-72 h) are its planning values from the two papers above.
