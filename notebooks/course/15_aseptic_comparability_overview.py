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
# # Lesson 15 - Overview: aseptic processing, comparability, tech transfer and lifecycle
#
# *pdkit course, part 15 of 15. About 35 minutes.*

# %% [markdown]
# ## Overview
#
# This closing lesson is an **overview**: each topic deserves its own training, and your site's
# procedures take precedence. It covers what a scientist moving into GMP manufacturing of viral vectors
# meets in the first months: **aseptic processing** under EU GMP Annex 1 (2022) - a viral vector
# cannot be terminally sterilised -, **comparability** after a process change (ICH Q5E; FDA's 2023
# draft guidance for cell and gene therapy products), **technology transfer**, **deviations and CAPA**
# (ICH Q10), **continued/ongoing process verification** (FDA 2011; EU GMP Annex 15, 2015), and the
# coming **consolidated ICH Q1** stability guideline. Two small calculations make the statistics
# concrete: the upper bound on a contamination rate after a media fill with no positives, and a
# comparison of pre- and post-change lots with a tolerance interval and an equivalence test.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 07 (tolerance intervals) and lesson 08 (PPQ).
# * Lesson 09, section 2 (the Poisson argument for "nothing found").

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. name the key elements of Annex 1 (2022): contamination control strategy, cleanroom grades, aseptic
#    process simulation, and compute what a media fill with zero positives shows;
# 2. run a simple comparability assessment of pre- and post-change lots (tolerance interval, TOST) and
#    state its limits;
# 3. place technology transfer, deviations/CAPA and continued process verification in the
#    pharmaceutical quality system;
# 4. say what the consolidated ICH Q1 draft changes.

# %%
from pdkit.tutorial import check, choose, exercise, lesson_header

lesson_header("15");

# %%
import numpy as np
import pandas as pd

from pdkit.stats import tolerance_interval
from pdkit.upstream import compare_scales

# %% [markdown]
# ## 1. Aseptic processing: EU GMP Annex 1 (2022)
#
# The revised Annex 1 *Manufacture of Sterile Medicinal Products* was published on 25 August 2022 and
# came into operation on 25 August 2023 (point 8.123, on lyophiliser loading, a year later). Its
# central new requirement is a **contamination control strategy (CCS)**: one documented, site-wide
# strategy that ties together facility and equipment design, personnel, utilities, raw materials,
# cleaning and disinfection, monitoring, and the prevention of contamination by microorganisms,
# endotoxin and particles - and is reviewed as data accumulate. Quality risk management (ICH Q9) runs
# through all of it.
#
# Cleanroom grades are defined by airborne particle limits (Annex 1, Table 1; particles per m3):
#
# | grade | at rest, >= 0.5 um | at rest, >= 5 um | in operation, >= 0.5 um | in operation, >= 5 um |
# |---|---|---|---|---|
# | A | 3 520 | not specified | 3 520 | not specified |
# | B | 3 520 | not specified | 352 000 | 2 930 |
# | C | 352 000 | 2 930 | 3 520 000 | 29 300 |
# | D | 3 520 000 | 29 300 | not predetermined | not predetermined |
#
# Open aseptic operations - such as filling AAV drug product into vials - take place in a Grade A zone
# with a Grade B background (a RABS also needs a Grade B background; an isolator allows a lower
# grade around it); the viable
# monitoring limit in Grade A is "no growth". The **aseptic process simulation (APS, media fill)**
# replaces the product with a growth medium and runs the whole aseptic process with its worst-case
# interventions; the target is zero contaminated units, and any contaminated unit fails the APS and is
# investigated.
#
# What does a media fill with zero positives show? If each unit is contaminated with probability p,
# the chance of seeing none in n units is (1 - p)^n. The 95 % upper confidence bound on p is therefore
# 1 - 0.05^(1/n), close to 3/n - the "rule of three" (Hanley and Lippman-Hand 1983, JAMA 249:1743).

# %% tags=["nbval-check-output"]
for n_units in (1000, 3000, 10000):
    p_upper = 1 - 0.05 ** (1 / n_units)
    print(f"{n_units:6d} units, 0 positive: contamination rate < {p_upper:.2e} (95 % confidence), "
          f"rule of three {3 / n_units:.2e}")

# %% [markdown]
# A media fill cannot prove a rate of zero; it bounds the rate, and the bound depends on the number of
# units. That is why Annex 1 treats the APS as one element of the CCS, alongside environmental and
# personnel monitoring, and never as the whole proof of sterility assurance.

# %% [markdown]
# ## 2. Comparability after a change
#
# ICH Q5E (2004) says pre- and post-change product are *comparable* when they are highly similar and
# any differences in quality attributes have no adverse impact on safety or efficacy; it is a
# totality-of-evidence assessment (release data, extended characterisation, stability, process data,
# and non-clinical or clinical data only where quality data are not enough). FDA's draft guidance
# *Manufacturing Changes and Comparability for Human Cellular and Gene Therapy Products* (July 2023)
# applies this to CGT: plan the study prospectively, with the attributes and the statistical approach
# chosen **before** the data are seen, and account for the small number of lots and the variability of
# potency assays.
#
# Below: relative potency (%) and % full of 8 pre-change lots and 4 post-change lots made after a
# change of AEX resin. **The lot data are SYNTHETIC** (seed 15). Two common approaches:
#
# * **Tolerance interval**: do the post-change lots fall within the range expected for 99 % of
#   pre-change lots, with 95 % confidence (lesson 07)?
# * **Equivalence (TOST)**: is the difference in means within a pre-specified margin? Two one-sided t
#   tests (Schuirmann 1987, J Pharmacokinet Biopharm 15:657); equivalence is shown when the 90 %
#   confidence interval of the difference lies inside the margin. The margin of +/- 10 % relative
#   potency used here is **illustrative**; a real margin is justified from assay variability and
#   clinical relevance.

# %% tags=["nbval-check-output"]
rng = np.random.default_rng(15)   # SYNTHETIC lot data
lots = pd.DataFrame({
    "process": ["pre-change"] * 8 + ["post-change"] * 4,
    "potency_pct": np.r_[np.round(rng.normal(100, 6, 8)), np.round(rng.normal(97, 6, 4))],
    "pct_full": np.r_[np.round(rng.normal(72, 2.5, 8), 1), np.round(rng.normal(74, 2.5, 4), 1)],
})
pre = lots.loc[lots["process"] == "pre-change", "potency_pct"]
post = lots.loc[lots["process"] == "post-change", "potency_pct"]
ti = tolerance_interval(pre, coverage=0.99, confidence=0.95)
print(f"pre-change potency: n {ti.n}, mean {ti.mean:.1f}, SD {ti.sd:.1f}, k {ti.k:.2f}")
print(f"99 %/95 % tolerance interval: {ti.lower:.0f} to {ti.upper:.0f} %")
print("post-change lots:", post.tolist(), "-> all inside" if post.between(ti.lower, ti.upper).all()
      else "-> some outside")
eq = compare_scales(lots, "potency_pct", "pre-change", 10.0, scale="process")
r = eq.iloc[0]
print(f"difference (post - pre) {r.difference:.1f} %, 90 % CI {r.ci_low:.1f} to {r.ci_high:.1f}; {r.verdict}")

# %% [markdown]
# Read both results critically. With only 8 reference lots the tolerance interval is very wide (k is
# close to 5), so "inside the interval" is weak evidence - it would also accept a real shift. The TOST
# with a justified margin is a sharper question, but with 4 post-change lots its confidence interval
# is wide too. That is why Q5E asks for the totality of evidence: extended characterisation (e.g. AUC
# or cryo-EM for full/partial/empty, capsid protein ratios, genome integrity), forced-degradation and
# stability comparisons, and process data, not only release results.

# %% [markdown]
# ## 3. Technology transfer, deviations and CAPA, process verification, stability
#
# * **Technology transfer** is a lifecycle stage of its own in ICH Q10 (section 3): transfer product
#   and process knowledge between development and manufacturing, or between sites, as a planned,
#   documented project - the transfer of the design space, the control strategy, the analytical
#   procedures (with their own transfer protocols), and the rationale, not only the batch record.
# * **Deviations and CAPA**: ICH Q10 section 3.2.2 describes a corrective and preventive action system
#   fed by deviations, complaints, audits and trends; investigations find the root cause, actions are
#   checked for effectiveness. A deviation is recorded when it happens (lesson 14: contemporaneous),
#   assessed for impact on quality, and closed before the batch is released.
# * **Process verification after PPQ**: FDA's *Process Validation: General Principles and Practices*
#   (January 2011) calls stage 3 **continued process verification (CPV)**; EU GMP Annex 15 (2015)
#   calls it **ongoing process verification (OPV)**. Both expect statistical trending of critical
#   parameters and attributes across batches (lesson 07; the `cpv_trending` report).
# * **Stability**: the consolidated ICH Q1 draft reached Step 2 in April 2025. It merges Q1A(R2)
#   to Q1E and Q5C (biotechnological products) into one guideline (Q1F had been withdrawn in 2006);
#   until it is final, Q1A-Q1E and Q5C apply.

# %% [markdown]
# ## Exercises
#
# Exercise 1 gives **you** your own media fill: `exercise(...)` prints it and returns it as `v`. For the
# choice questions set `choice` to a letter and explain it in `why`.

# %% [markdown]
# **Exercise 1.** Run the cell for your media fill (number of units filled, none contaminated). What is
# the 95 % upper confidence bound on the contamination rate, as a fraction (exact formula, not the
# rule of three)? (A number.)

# %% pdkit={"exercise": "15_aseptic_comparability_overview.aps_upper_bound"} tags=["exercise"]
v = exercise("15_aseptic_comparability_overview.aps_upper_bound")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("15_aseptic_comparability_overview.aps_upper_bound", answer);

# %% [markdown]
# **Exercise 2.** Compare the % full of the post-change lots with the pre-change lots by TOST, with a
# margin of 5 percentage points (`compare_scales` on the column `pct_full`). What is the lower limit of
# the 90 % confidence interval of the difference (post - pre)? (A number, in percentage points.)

# %% pdkit={"exercise": "15_aseptic_comparability_overview.pct_full_ci_low"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("15_aseptic_comparability_overview.pct_full_ci_low", answer);

# %% [markdown]
# **Exercise 3.** Which conclusion about the potency comparison of section 2 is best founded?
#
# * a. The products are identical, because equivalence was shown.
# * b. The result supports comparability, but with 8 and 4 lots it must be combined with
#   characterisation, stability and process data, as ICH Q5E's totality of evidence requires.
# * c. Comparability is disproved, because the post-change mean differs from the pre-change mean.
# * d. A clinical study is always required after a change to a gene therapy process.

# %% pdkit={"exercise": "15_aseptic_comparability_overview.comparability_conclusion"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("15_aseptic_comparability_overview.comparability_conclusion", choice, why=why);

# %% [markdown]
# **Exercise 4.** AAV drug product is filled into vials in an open aseptic process (no isolator). In
# which environment does the filling take place under Annex 1 (2022)?
#
# * a. Grade A zone with a Grade B background.
# * b. Grade B, because the product is filtered just before filling.
# * c. Grade C, because AAV is not a live replicating virus.
# * d. Grade D, because the vials are closed immediately after filling.

# %% pdkit={"exercise": "15_aseptic_comparability_overview.fill_grade"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("15_aseptic_comparability_overview.fill_grade", choice, why=why);

# %% [markdown]
# ## Summary
#
# * Annex 1 (2022, in operation since 25 August 2023): a site-wide contamination control strategy,
#   Grade A with Grade B background for open aseptic steps, and aseptic process simulation with a
#   target of zero contaminated units - whose result bounds, never proves, the contamination rate.
# * Comparability (ICH Q5E; FDA 2023 draft for CGT) is a planned, totality-of-evidence assessment;
#   tolerance intervals and TOST are tools within it, weak with few lots.
# * Technology transfer, CAPA and change management are parts of the ICH Q10 quality system; CPV (FDA
#   2011) and OPV (EU Annex 15, 2015) keep verifying the process after PPQ.
# * A consolidated ICH Q1 (Step 2, April 2025) will replace Q1A-Q1E and Q5C.

# %% [markdown]
# ## What's next
#
# This is the last lesson. Return to `00_index` for the course map, and run the standard reports
# (`pdkit run ...`) on your own data: `spec_setting`, `stability_shelf_life`, `ppq_plan` and
# `cpv_trending` put lessons 07, 08 and 15 into practice.
#
# ### Sources
#
# 1. European Commission (2022) EudraLex Volume 4, Annex 1: Manufacture of Sterile Medicinal Products
#    (published 25 August 2022; in operation 25 August 2023, point 8.123 from 25 August 2024): Table 1
#    (particle limits), contamination control strategy, aseptic process simulation.
# 2. Hanley JA, Lippman-Hand A (1983) If nothing goes wrong, is everything all right? Interpreting
#    zero numerators. JAMA 249:1743-1745.
# 3. ICH Q5E Comparability of Biotechnological/Biological Products Subject to Changes in Their
#    Manufacturing Process (Step 4, November 2004).
# 4. FDA (July 2023) Manufacturing Changes and Comparability for Human Cellular and Gene Therapy
#    Products, draft guidance for industry.
# 5. Schuirmann DJ (1987) A comparison of the two one-sided tests procedure and the power approach for
#    assessing the equivalence of average bioavailability. J Pharmacokinet Biopharm 15:657-680.
# 6. ISO 16269-6:2014 Statistical interpretation of data - Part 6: Determination of statistical
#    tolerance intervals.
# 7. ICH Q10 Pharmaceutical Quality System (Step 4, June 2008): section 3 (lifecycle stages, technology
#    transfer), section 3.2.2 (CAPA).
# 8. FDA (January 2011) Process Validation: General Principles and Practices, guidance for industry.
# 9. European Commission (2015) EudraLex Volume 4, Annex 15: Qualification and Validation.
# 10. ICH Q1 Stability Testing of Drug Substances and Drug Products, draft consolidated guideline (Step 2,
#     April 2025).
