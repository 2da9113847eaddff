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
# *pdkit course, part 7 of 8. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Specification limits must be wide enough for a well-run process to meet them and tight enough to
# guarantee quality, clinically and over the whole shelf life. This lesson uses 30 development lots
# of a plasmid drug substance and multi-batch stability studies to (1) propose limits with
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
from pdkit.tutorial import check

pdkit.plots.setup()

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
# ISO 16269-6; Howe's approximation is in the NIST/SEMATECH e-Handbook, section 7.2.6.3 (domain
# primer, *Statistics for specifications*). Here: the plasmid concentration of the 30 lots, whose
# current specification is 1.80-2.20 mg/mL.

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
# (average moving range / 1.128 for individual lots), $P_p$/$P_{pk}$ the overall SD. Common minimum
# guidance is 1.33 for an existing process (domain primer). With 30 lots the estimate is still
# uncertain, so pdkit reports Bissell's confidence interval for Cpk.

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
# (lesson 8).

# %% [markdown]
# ## Shelf life from stability data (ICH Q1E)
#
# ICH Q1E fits a straight line of the attribute against time for each batch and tests, by analysis
# of covariance at a significance level of 0.25, whether the batches share a slope and then an
# intercept. The shelf life is the earliest time at which the 95 % confidence bound of the mean
# crosses the acceptance criterion (two-sided, 2.5 % per side, when both limits apply). Biologics
# such as AAV need real-time data (ICH Q5C), so the shelf life should not exceed the longest time
# tested. Here: relative potency of four AAV drug-product batches at 5 C, criterion 70-130 %.

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
# **Exercise 1.** What is the one-sided tolerance factor k for n = 30, 99 % coverage and 95 %
# confidence (a lower limit)?

# %% pdkit={"exercise": "07_specs_capability_stability.k_lower_n30"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("07_specs_capability_stability.k_lower_n30", answer);

# %% [markdown]
# **Exercise 2.** What is Cpk of the A260/A280 ratio (`wide["a260_a280"]`) against the
# specification 1.75-1.85?

# %% pdkit={"exercise": "07_specs_capability_stability.cpk_a260_a280"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("07_specs_capability_stability.cpk_a260_a280", answer);

# %% [markdown]
# **Exercise 3.** Redraw the supercoiled I-MR chart with limits from all 30 lots (no `baseline`).
# How many points carry at least one signal? Why is this a worse chart for detecting the drift?

# %% pdkit={"exercise": "07_specs_capability_stability.signals_all_lots_baseline"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("07_specs_capability_stability.signals_all_lots_baseline", answer);

# %% [markdown]
# **Exercise 4.** Estimate the shelf life (months) of the plasmid drug substance in
# `../../data_samples/stability/plasmid_stability_synthetic.csv` for `supercoiled_pct` >= 90 %.

# %% pdkit={"exercise": "07_specs_capability_stability.shelf_life_plasmid_supercoiled"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("07_specs_capability_stability.shelf_life_plasmid_supercoiled", answer);

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
