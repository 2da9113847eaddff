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
# # Lesson 04 - Downstream purification: yield, mass balance and clearance
#
# *pdkit course, part 4 of 15. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Purification turns a crude harvest into drug substance. An AAV train runs lysis and nuclease,
# depth and 0.2 um clarification, 100 kDa TFF, affinity capture, anion exchange (AEX) to separate
# full from empty capsids, UF/DF into the formulation buffer and a sterile filtration; a plasmid train
# runs alkaline lysis, clarification, TFF, AEX capture and HIC polishing (course primer,
# `docs/course/primer.md`, *Downstream*). The course plans with an overall AAV vector-genome yield of
# about 30 % - a round planning value, not a benchmark; measure your own.
#
# **Lentiviral vectors recover less.** LV is an enveloped particle whose infectivity is lost to shear,
# pH, salt, temperature and time, so every step is judged on *functional* titer (TU) and overall
# recoveries of infectious LV are typically lower than those of the robust, non-enveloped AAV capsid
# (Perry and Rayat 2021, *Viruses* 13:268; Moreira et al. 2021, *Biotechnol J* 16:2000019). An LV step
# table is built exactly like the one below, with TU/mL as the product's unit and physical titers (p24)
# as a second attribute, so that losses of infectivity and losses of particles can be told apart.
#
# For every step a process-development scientist reports three things: **how much product survived**
# (step and cumulative yield), **whether the books balance** (mass-balance closure) and **how much of
# each impurity was removed** (log reduction value, LRV, and the residual amount per dose). This lesson
# does all three on a synthetic 50 L AAV train and asks you to repeat parts on a plasmid train.
# **The data are SYNTHETIC** (`data_samples/downstream/README.md` has the true values).

# %% [markdown]
# ## Prerequisites
#
# * Lesson 02 (vg and capsid titers, % full).
# * Concentration x volume = amount; logarithms base 10.

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. describe a purification train as a step table and compute step and cumulative yields;
# 2. compute mass-balance closure and explain what a flag outside 80-120 % means;
# 3. compute LRVs per step and cumulatively - and state when summing them is not justified;
# 4. express residual impurities per dose or per mg of product and the full-capsid enrichment.

# %%
import pandas as pd

import pdkit.plots
from pdkit.downstream import (LRV_CAVEAT, full_fraction_by_step, log_reduction, mass_balance,
                              residual_impurity, step_yields)
from pdkit.plots.downstream import clearance_plot, closure_plot, yield_waterfall
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

pdkit.plots.setup()
lesson_header("04");

# %% [markdown]
# ## The step table and step yields
#
# One row per step and attribute: load and pool volumes and concentrations, and - where they were
# assayed - the flow-through, wash and strip fractions. Units are on every row (`volume_unit`,
# `conc_unit`), so a step recorded in litres and the next in millilitres are handled correctly.
#
# Step yield = (C_out V_out) / (C_in V_in); the cumulative yield is the product of the step yields.

# %% tags=["nbval-check-output"]

AAV_TABLE = "../../data_samples/downstream/aav_downstream_synthetic.csv"
PLASMID_TABLE = "../../data_samples/downstream/plasmid_downstream_synthetic.csv"
aav = pd.read_csv(AAV_TABLE)
print("steps:", " -> ".join(dict.fromkeys(aav["step"])))
print("attributes:", ", ".join(dict.fromkeys(aav["attribute"])))

# %% tags=["nbval-check-output"]

yields = step_yields(AAV_TABLE, product="vg")
print(yields[["step", "yield_pct", "cumulative_yield_pct"]].round(1).to_string(index=False))
print(f"overall vg yield: {100 * yields.attrs['overall_yield']:.1f} %")
for step, flag in zip(yields["step"], yields["flag"]):
    if flag:
        print(f"flag at {step}: {flag}")

# %%
pdkit.plots.show(yield_waterfall(yields))

# %% [markdown]
# Three steps show **yields above 100 %**. Product is not created in a filter: a yield above 100 %
# points to titer assay variability (genome titers of crude lysates are imprecise; know your assay's
# intermediate precision from its validation, ICH Q2(R2)) or a volume
# error. Do not "correct" it; report it, and judge the train by the cumulative yield and by
# replicate runs. The overall vg yield of about 32 % is in line with the 30 % planning assumption.

# %% [markdown]
# ## Mass balance
#
# Where the other fractions were assayed, the **closure** = (pool + flow-through + wash + strip) / load
# x 100 tells you whether the product that did not reach the pool is accounted for. pdkit flags
# closures outside 80-120 % (course primer: a review trigger, not a regulatory limit). A low closure
# on a chromatography step means product stuck to the column or degraded; a high one, an assay or
# volume problem.

# %% tags=["nbval-check-output"]

balance = mass_balance(AAV_TABLE, attributes=["vg", "capsid"])
cols = ["step", "attribute", "pool_pct", "flowthrough_pct", "wash_pct", "strip_pct", "closure_pct", "in_band"]
chrom = balance[balance["step"].isin(["TFF_100kDa", "affinity", "AEX"])]
print(chrom[cols].round(1).to_string(index=False))

# %%
pdkit.plots.show(closure_plot(balance))

# %% [markdown]
# At the AEX step most **capsids** leave in the flow-through (46 %) while most **genomes** stay in the
# pool: this is the full/empty separation at work. The vg closures on affinity and AEX are below 80 %,
# so some genome-containing product is unaccounted for (retained on the resin, or under-recovered
# by the assay) - a finding to investigate before scale-up.

# %% tags=["nbval-check-output"]

full = full_fraction_by_step(AAV_TABLE)
print(full[["step", "pct_full_load", "pct_full_pool", "enrichment"]].round(2).to_string(index=False))

# %% [markdown]
# ## Impurity clearance: LRV and residuals
#
# The **log reduction value** of a step is LRV = log10[(C_in V_in) / (C_out V_out)], the reduction
# factor of ICH Q5A (the formula of Q5A(R1), Appendix 4, is kept in **ICH Q5A(R2)**, adopted 1 November
# 2023, which now also covers viral vectors made by transient transfection). The same arithmetic is used
# here for process-related impurities; viral clearance studies, adventitious agents and RCA/RCL are the
# subject of lesson 09 (`09_viral_safety_clearance`). A pool below the limit of quantitation gives only
# a lower bound (`>=`), and a step whose *load* is already below the LOQ has no determinable LRV.
#
# The cumulative LRV is the sum of the step LRVs - and **that sum is only justified when the steps
# remove the impurity by independent (orthogonal) mechanisms**. Two anion-exchange-like steps that both
# bind DNA by charge do not earn two full credits. pdkit reports the per-step values next to the
# cumulative ones, with this caveat:

# %% tags=["nbval-check-output"]

print(LRV_CAVEAT)
lrv = log_reduction(AAV_TABLE, ["HCP", "endotoxin"])
print(lrv[["attribute", "step", "lrv_text", "cumulative_text", "flag"]].to_string(index=False))

# %%
pdkit.plots.show(clearance_plot(lrv))

# %% [markdown]
# Endotoxin falls below the LOQ after AEX, so the AEX LRV is a lower bound, the UF/DF LRV is "n.d."
# and every cumulative value after it is `>=`.
#
# What a patient receives is the **residual** amount per dose. For AAV it is usual to express it per
# dose or per 1e13 vg (course primer), and to compare host-cell DNA and plasmid residuals with the
# limits in the product specification (FDA's 2020 CMC guidance for gene-therapy INDs lists them among
# the purity tests).

# %% tags=["nbval-check-output"]

residuals = residual_impurity(AAV_TABLE, per="dose", dose=1e13, product="vg")
print(residuals[["attribute", "residual_text", "unit"]].to_string(index=False))

# %% [markdown]
# A residual means nothing without a benchmark. For **residual host-cell DNA** from a continuous cell
# line in a parenteral product, WHO recommends at most **10 ng per dose** with a median fragment size
# of at most **200 bp** (WHO TRS 978, Annex 3, 2013; FDA's 2010 cell-substrate guidance gives the same
# values). They were written for vaccines; for a gene therapy they are the benchmark of a risk
# assessment rather than a fixed limit. HEK293 cells carry the adenovirus 5 E1A/E1B region (Graham et
# al. 1977) and 293T cells, used for LV, also SV40 large T antigen (DuBridge et al. 1987), so for
# these substrates the oncogene sequences are quantified as well. The per-dose amount scales with the
# clinical dose, so compare at the dose you will give:

# %% tags=["nbval-check-output"]
HCDNA_BENCHMARK_NG = 10.0  # ng per dose, WHO TRS 978 Annex 3 (2013)
hcdna_per_1e13 = float(residuals.set_index("attribute").loc["hcDNA", "residual"])
for dose_vg in (1e13, 1e14):
    ng = hcdna_per_1e13 * dose_vg / 1e13
    verdict = "within" if ng <= HCDNA_BENCHMARK_NG else "ABOVE"
    print(f"dose {dose_vg:.0e} vg: host-cell DNA {ng:.1f} ng - {verdict} the {HCDNA_BENCHMARK_NG:.0f} ng/dose benchmark")

# %% [markdown]
# Even at 1e13 vg this synthetic train leaves more host-cell DNA than the benchmark: before a clinical
# batch, the nuclease step and the AEX polish would need work, and the fragment-size distribution and
# E1A content would have to be measured. Lesson 10 (`10_residual_dna_impurities`) computes the fragment
# size risk and the other residuals (plasmid, HCP) against their benchmarks.

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `yields`, `lrv`, `residuals`, `AAV_TABLE`, `PLASMID_TABLE` and the pdkit functions above.

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints *your* trial's dose per kg
# and the weight of the heaviest patient. How many ng of residual host-cell DNA does that patient's
# dose contain? Is it within the 10 ng per dose benchmark - and if not, what would you change?

# %% pdkit={"exercise": "04_downstream.hcdna_per_patient_dose"} tags=["exercise"]
v = exercise("04_downstream.hcdna_per_patient_dose")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("04_downstream.hcdna_per_patient_dose", answer);

# %% [markdown]
# **Exercise 2 (interpret a result).** Run the step-yield analysis on the plasmid train
# (`PLASMID_TABLE`, product `"pDNA"`). Report the lowest step yield (%), the overall pDNA yield (%) and
# how many steps show a yield above 100 %. Fill in every field of the dictionary.

# %% pdkit={"exercise": "04_downstream.plasmid_train"} tags=["exercise"]
answer = {"lowest_step_yield_pct": None, "overall_yield_pct": None, "steps_above_100_pct": None}  # fill in every field
interpret("04_downstream.plasmid_train", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** In the AAV train, affinity removes HCP by about 3.5 log and
# AEX by about 1.3 log. Development proposes a second anion-exchange membrane after AEX that removes
# HCP by 1.2 log, by the same charge-based mechanism. Which overall HCP clearance do you claim?
#
# * (a) The sum of all three steps, because every step was measured.
# * (b) Affinity plus only one of the two anion-exchange steps, since steps with the same mechanism are
#   not orthogonal and earn a single credit.
# * (c) Only the single largest step, because LRVs can never be added.
# * (d) The average of the three steps.

# %% pdkit={"exercise": "04_downstream.lrv_claim"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("04_downstream.lrv_claim", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** You transfer this lesson's analysis to a
# lentiviral vector train. Which product attributes do you put in the step table, why do you expect a
# lower overall recovery than for AAV, and what would make you suspect a step of losing infectivity
# rather than particles?

# %% pdkit={"exercise": "04_downstream.lv_train"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("04_downstream.lv_train", text);

# %% [markdown]
# ## Summary
#
# * Step yield = (C_out V_out)/(C_in V_in); cumulative yield = product of step yields. Step yields above
#   100 % signal assay or volume error - report them, do not hide them.
# * Mass-balance closure (pool + flow-through + wash + strip)/load outside 80-120 % needs an
#   explanation; on AEX, capsid and vg closures differ because empty capsids leave in the flow-through.
# * LRV = log10(amount in / amount out) per step (ICH Q5A(R2)); a cumulative LRV is a sum that is
#   valid only for orthogonal mechanisms, and censored results give `>=` values.
# * Residual impurities are reported per dose (AAV, e.g. per 1e13 vg) or per mg (plasmid, ng/mg) and
#   compared with a benchmark at the clinical dose: residual host-cell DNA at most 10 ng/dose with a
#   median fragment size of at most 200 bp (WHO TRS 978 Annex 3).
# * LV loses infectivity at every step: judge an LV train on TU, not particles.

# %% [markdown]
# ## What's next
#
# Lesson 05 scales the process up (power per volume, tip speed, kLa); lesson 06 tests the purified
# product against its release specification. The report `pdkit run downstream_yield` produces the
# tables and figures of this lesson for your own step table. Viral clearance studies (ICH Q5A(R2)) are
# lesson 09, residual DNA and other impurities against their benchmarks lesson 10, and the lentiviral
# downstream train lesson 12.

# %% [markdown]
# ### Sources
#
# 1. ICH Q5A(R2), Step 4, 1 November 2023 (reduction factors; formula as in ICH Q5A(R1), Appendix 4);
#    USP <1050> (individual reduction factors greater than 1).
# 2. WHO Technical Report Series 978, Annex 3 (2013): *Recommendations for the evaluation of animal
#    cell cultures as substrates for the manufacture of biological medicinal products* - residual DNA
#    at most 10 ng per dose, median fragment size at most 200 bp.
# 3. FDA (2010) *Characterization and Qualification of Cell Substrates and Other Biological Materials
#    Used in the Production of Viral Vaccines for Infectious Disease Indications* (same residual-DNA
#    values).
# 4. Graham FL et al. (1977) J Gen Virol 36:59-74 (HEK293 carries adenovirus 5 DNA including E1A/E1B).
#    DuBridge RB et al. (1987) Mol Cell Biol 7:379-387 (293T: SV40 large T antigen).
# 5. FDA (January 2020) CMC Information for Human Gene Therapy INDs (residual host-cell DNA and
#    plasmid among the purity tests).
# 6. Perry C, Rayat ACME (2021) Lentiviral vector bioprocessing. Viruses 13:268. Moreira AS et al.
#    (2021) Advances in lentivirus purification. Biotechnol J 16:2000019 (lability and lower recovery
#    of infectious LV).
# 7. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value). The 30 % overall yield and the 80-120 % closure band are its planning values.
# 8. ICH Q2(R2) *Validation of analytical procedures*, Step 4, 1 November 2023 (precision of the titer
#    assays behind step yields).
