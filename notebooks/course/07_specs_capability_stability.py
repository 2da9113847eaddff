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
# # Lesson 07 - Specifications, capability and stability
#
# *pdkit course, part 7 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Specification limits must be wide enough for a well-run process to meet them and tight enough to
# guarantee quality, clinically and over the whole shelf life. This lesson uses 30 development lots
# of a plasmid (the statistics are the same whether the plasmid is a DNA-vaccine drug substance or, as
# in a viral-vector process, a starting material whose limits the vector manufacturer sets; lessons 01
# and 06) and multi-batch stability studies to (1) propose limits with
# tolerance intervals, (2) judge capability, (3) trend lots on an I-MR control chart with Nelson's
# rules and (4) estimate a shelf life following ICH Q1E.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 6 (specifications and release testing).
# * Basic statistics: mean, standard deviation, the normal distribution, a confidence interval.
#
# Run the next cell first.

# %%
import pandas as pd

import pdkit.plots
from pdkit import stability, stats, trending
from pdkit.plots.stability import stability_figure
from pdkit.plots.trending import capability_figure, imr_figure
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

pdkit.plots.setup()
lesson_header("07");

# %% tags=["nbval-check-output"]
lots = pd.read_csv("../../data_samples/spec_setting/plasmid_dev_lots_synthetic.csv")
wide = lots.pivot(index="lot", columns="attribute", values="value")  # one row per lot, in lot order
print(wide.round(2).head().to_string())
print(wide.shape)

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can
#
# 1. compute a normal tolerance interval and explain coverage and confidence;
# 2. propose specification limits from development data and compare them with existing ones;
# 3. compute and interpret Cp, Cpk, Pp and Ppk with their uncertainty;
# 4. trend lots on an I-MR chart and recognise Nelson-rule signals;
# 5. estimate a shelf life from stability data with the ICH Q1E poolability tests.

# %% [markdown]
# ## Tolerance intervals and proposed limits
#
# A confidence interval bounds the *mean*; a **tolerance interval** $\bar x \pm k s$ bounds a
# stated proportion of *individual lots* (the coverage, e.g. 99 %) with a stated confidence (e.g.
# 95 %). The factor $k$ depends on $n$: exact values solve the Odeh/Owen integral tabulated in
# ISO 16269-6; Howe's approximation is in the NIST/SEMATECH e-Handbook, section 7.2.6.3 (course
# primer, *Statistics for specifications*, `docs/course/primer.md`). Here: the plasmid concentration
# of the 30 lots, whose current (example internal) specification is 1.80-2.20 mg/mL (lesson 06).

# %% tags=["nbval-check-output"]
conc = wide["concentration"]
ti = stats.tolerance_interval(conc, coverage=0.99, confidence=0.95)
print(f"n = {ti.n}, mean = {ti.mean:.4f} mg/mL, sd = {ti.sd:.4f} mg/mL, k = {ti.k:.3f}")
print(f"99 % / 95 % tolerance interval: {ti.lower:.3f} - {ti.upper:.3f} mg/mL")

# %% [markdown]
# `stats.spec_proposal` rounds the tolerance limits outward to the reporting precision of the data
# and compares them with the current limits (the Cpk and Ppk each set of limits would imply, and
# any lots outside):

# %% tags=["nbval-check-output"]
proposal = stats.spec_proposal(conc, lsl=1.80, usl=2.20, coverage=0.99, confidence=0.95)
print(proposal[["basis", "lower", "upper", "cpk", "ppk", "n_outside"]].round(3).to_string(index=False))

# %% [markdown]
# The tolerance interval lies inside the current 1.80-2.20 mg/mL: the process comfortably meets
# the existing range. Limits derived purely from process data are narrower than clinically
# necessary and can reject good lots later; they are one input to a specification, next to
# clinical experience and regulatory expectations (ICH Q6B).

# %% [markdown]
# ## Process capability
#
# Capability compares the specification width with the process spread: $C_p = (USL-LSL)/6\sigma$
# and $C_{pk} = \min(USL-\bar x, \bar x-LSL)/3\sigma$. $C_p$/$C_{pk}$ use the *within* sigma
# (average moving range / 1.128 for individual lots), $P_p$/$P_{pk}$ the overall SD. A common minimum
# is 1.33 for an existing process (D. C. Montgomery, *Introduction to Statistical Quality Control*,
# recommended minimum capability ratios; a planning value in the course primer, not a regulation).
# With 30 lots the estimate is still uncertain, so pdkit reports Bissell's confidence interval for
# Cpk (A. F. Bissell, *Applied Statistics* 39 (1990) 331).

# %% tags=["nbval-check-output"]
cap = stats.capability(conc, lsl=1.80, usl=2.20)
print(f"Cp = {cap.cp:.3f}, Cpk = {cap.cpk:.3f} (95 % CI {cap.cpk_ci[0]:.3f} - {cap.cpk_ci[1]:.3f})")
print(f"Pp = {cap.pp:.3f}, Ppk = {cap.ppk:.3f}")
print(f"sigma within = {cap.sigma_within:.4f}, sigma overall = {cap.sigma_overall:.4f}")

# %%
pdkit.plots.show(capability_figure(conc, cap, value_label="concentration (mg/mL)"))

# %% [markdown]
# The Cpk is below 1.33, and its confidence interval is wide: a few more lots will not settle the
# question. Centring the process (the mean is slightly above the target of 2.00 mg/mL) or reducing
# variability would help.

# %% [markdown]
# ## Trending lots: I-MR chart and Nelson rules
#
# A control chart asks a different question from a specification: *is the process behaving as
# before?* The individuals chart has limits $\bar x \pm 3\,\overline{MR}/1.128$; Nelson's rules
# (L. S. Nelson, *J. Quality Technology* 16 (1984) 237) flag non-random patterns such as a point
# beyond 3 sigma (rule 1), nine points on one side (rule 2) or two of three beyond 2 sigma (rule 5).
# Limits are computed from a stable baseline, here the first 15 lots, and applied to later lots.

# %% tags=["nbval-check-output"]
sc = wide["supercoiled"]
chart = trending.imr_chart(sc, baseline=15)
print(f"centre {chart.center:.2f} %, limits {chart.lcl:.2f} - {chart.ucl:.2f} %, MR-bar {chart.mr_center:.3f}")
first = chart.signals.iloc[0]
print(f"first signal: {first['label']} (rule {first['rule']}: {first['description']})")
print("rules that fired:", sorted(int(r) for r in chart.signals["rule"].unique()))

# %%
pdkit.plots.show(imr_figure(chart, value_label="supercoiled (%)"))

# %% [markdown]
# The supercoiled content drifts downwards from about lot 19, and the chart signals before any lot
# fails the >= 90.0 % specification: trending gives time to investigate (e.g. a change in lysis or
# in a raw material) before lots are lost. This is the purpose of continued process verification
# (FDA's Stage 3; "ongoing process verification" in EU GMP Annex 15, 2015; lesson 8).

# %% [markdown]
# ## Shelf life from stability data (ICH Q1E)
#
# ICH Q1E fits a straight line of the attribute against time for each batch and tests, by analysis
# of covariance at a significance level of 0.25, whether the batches share a slope and then an
# intercept. The shelf life is the earliest time at which the 95 % confidence bound of the mean
# crosses the acceptance criterion (two-sided, 2.5 % per side, when both limits apply). Biologics
# such as AAV need real-time data (ICH Q5C), so the shelf life should not exceed the longest time
# tested. ICH has published a consolidated draft of Q1 (Step 2, April 2025) that will replace Q1A-F and
# Q5C; until it is final, Q1E and Q5C apply. Here: relative potency of four AAV drug-product batches at 5 C, criterion 70-130 %.

# %% tags=["nbval-check-output"]
stab = pd.read_csv("../../data_samples/stability/aav_stability_synthetic.csv")
sl = stability.shelf_life(stab, "month", "potency_pct", "batch", lower=70, upper=130)
print(sl.ancova[["test", "F", "p_value", "poolable"]].round(4).to_string(index=False))
print(f"model {sl.model}, shelf life {sl.shelf_life:.2f} months, limit crossed: {sl.limit_crossed}, "
      f"worst batch {sl.worst_batch}")

# %%
pdkit.plots.show(stability_figure(sl, stab, time_unit="months", response_label="potency (% of reference)"))

# %% [markdown]
# The slopes can be pooled (p >= 0.25) but the intercepts cannot, so each batch keeps its own
# intercept with a common slope (`dics`) and the worst batch decides. A label claim would be set at
# or below this estimate and within the 24 months of real-time data.

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `wide`, `conc`, `sc`, `chart`, `stats`, `trending` and `stability`.

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints the mean and within-lot
# standard deviation of *your* second plasmid process. What is its Cpk against 1.80-2.20 mg/mL, and
# does it reach the common minimum for an existing process?

# %% pdkit={"exercise": "07_specs_capability_stability.cpk_own_process"} tags=["exercise"]
v = exercise("07_specs_capability_stability.cpk_own_process")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("07_specs_capability_stability.cpk_own_process", answer);

# %% [markdown]
# **Exercise 2 (interpret a result).** Estimate the shelf life of the plasmid in
# `../../data_samples/stability/plasmid_stability_synthetic.csv` for `supercoiled_pct` of at least
# 90 %. Which ICH Q1E model applies (`"cics"`, `"dics"` or `"dids"`), and what is the shelf life in
# months? Would you claim that number on the label?

# %% pdkit={"exercise": "07_specs_capability_stability.plasmid_shelf_life"} tags=["exercise"]
answer = {"model": None, "shelf_life_months": None}  # fill in every field
interpret("07_specs_capability_stability.plasmid_shelf_life", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** The 99 %/95 % tolerance interval of the plasmid concentration
# lies well inside the current 1.80-2.20 mg/mL. A manager proposes to tighten the specification to the
# tolerance interval "to show how good the process is". What do you recommend?
#
# * (a) Tighten it - limits should always equal the tolerance interval of development data.
# * (b) Keep the current limits unless there is a clinical or quality reason; process-derived limits
#   are one input, and limits narrower than needed would reject acceptable lots. Use trending and alert
#   limits to watch the process.
# * (c) Widen the limits to twice the tolerance interval to avoid any rejection.

# %% pdkit={"exercise": "07_specs_capability_stability.tighten_spec_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("07_specs_capability_stability.tighten_spec_choice", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** Redraw the supercoiled I-MR chart with
# limits computed from all 30 lots instead of the first 15 (`trending.imr_chart(sc)`). Describe what
# changes in the signals, and explain why limits from a stable baseline detect the drift earlier.

# %% pdkit={"exercise": "07_specs_capability_stability.baseline_choice"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("07_specs_capability_stability.baseline_choice", text);

# %% [markdown]
# ## Summary
#
# * Tolerance intervals bound individual lots; `spec_proposal` turns them into limits rounded to the
#   reporting precision and compares them with existing limits.
# * Cp/Cpk use within-lot variation, Pp/Ppk overall variation; small samples give wide confidence
#   intervals.
# * I-MR charts with Nelson's rules detect drifts before lots fail; compute limits from a stable
#   baseline.
# * ICH Q1E pools batches only when the ANCOVA tests allow (p >= 0.25); the worst batch decides
#   otherwise.

# %% [markdown]
# ## What's next
#
# Lesson 8 uses the same statistics to accept process performance qualification (PPQ) lots, then
# asks how many doses a facility can make and at what cost
# ([08_ppq_facility_cogs.ipynb](08_ppq_facility_cogs.ipynb)).

# %% [markdown]
# ### Sources
#
# 1. ISO 16269-6:2014 *Statistical interpretation of data - Part 6: Determination of statistical
#    tolerance intervals*; NIST/SEMATECH e-Handbook of Statistical Methods, section 7.2.6.3.
# 2. Montgomery DC. *Introduction to Statistical Quality Control*, Wiley (capability ratios and
#    recommended minimum values).
# 3. Bissell AF (1990) How reliable is your capability index? Applied Statistics 39:331-340.
# 4. Nelson LS (1984) The Shewhart control chart - tests for special causes. J Qual Technol
#    16:237-239.
# 5. ICH Q6B (1999) *Specifications: test procedures and acceptance criteria for
#    biotechnological/biological products*; ICH Q1E (2003) *Evaluation of stability data*; ICH Q5C
#    (1995) *Stability testing of biotechnological/biological products*; ICH Q1 consolidated draft,
#    Step 2 (April 2025).
# 6. EudraLex Volume 4, Annex 15 *Qualification and Validation* (2015): ongoing process verification.
# 7. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value).
