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
# # Lesson 08 - Process validation, facility capacity and cost of goods
#
# *pdkit course, part 8 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Before commercial supply, the process must be shown to be reproducible at scale: **process
# performance qualification (PPQ)**. And before investing in a facility, you must know how many
# doses it can make and what each dose costs. This lesson places PPQ in the FDA process validation
# life cycle, judges PPQ lots with capability and tolerance intervals, and builds a capacity and
# cost-of-goods (COGS) model with `pdkit.facility`.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 7 (tolerance intervals and capability) and lesson 5 (bioreactor scale).
# * Lessons 2 and 4 help with titers and downstream yields.
#
# Run the next cell first.

# %%
import pandas as pd

import pdkit.plots
from pdkit import facility, stats
from pdkit.plots.facility import cogs_split_figure, tornado_figure
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

pdkit.plots.setup()
lesson_header("08");

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can
#
# 1. describe the three stages of process validation and where PPQ fits;
# 2. judge PPQ lots against statistical acceptance criteria and explain why the number of lots
#    matters;
# 3. compute batches per year, suite utilisation and doses per year;
# 4. compute COGS per dose, its split by category, and find its main drivers.

# %% [markdown]
# ## Process validation in three stages
#
# FDA's *Process Validation: General Principles and Practices* (Guidance for Industry, January 2011)
# defines validation as a life cycle:
#
# 1. **Stage 1, process design**: the commercial process is defined from development and scale-up
#    knowledge (lessons 1-5: DoE, scale-up, the control strategy).
# 2. **Stage 2, process qualification**: (a) facility, utilities and equipment are qualified;
#    (b) **PPQ** lots are made at commercial scale under GMP, with a protocol that states the
#    number of lots and pre-defined, preferably statistical, acceptance criteria. The guidance
#    does not prescribe three lots; the number must be justified by the variability and knowledge
#    from Stage 1.
# 3. **Stage 3, continued process verification**: data from routine lots are trended (lesson 7's
#    control charts) to show the process stays in control.
#
# The EU expresses the same life cycle in EU GMP Annex 15 (*Qualification and Validation*, 2015), where
# Stage 3 is called **ongoing process verification**.

# %% [markdown]
# ## Judging PPQ lots with statistics
#
# Five PPQ lots of plasmid gave these supercoiled results (illustrative numbers, judged against the
# example internal specification >= 90.0 % of lesson 06). Three criteria are common in PPQ protocols: every lot meets
# specification; the capability index (Ppk) is at least 1.33; and a one-sided lower tolerance limit
# with 99 % coverage and 95 % confidence lies above the specification limit.

# %% tags=["nbval-check-output"]
ppq = pd.Series([94.1, 93.2, 94.8, 93.6, 94.4], index=[f"PPQ-{i}" for i in range(1, 6)], name="supercoiled_pct")
LSL = 90.0
cap = stats.capability(ppq, lsl=LSL)
ti = stats.tolerance_interval(ppq, coverage=0.99, confidence=0.95, sided="lower")
print(f"all lots >= {LSL}: {bool((ppq >= LSL).all())}")
print(f"mean {ti.mean:.2f} %, sd {ti.sd:.3f} %")
print(f"Ppk = {cap.ppk:.2f} (95 % CI {cap.ppk_ci[0]:.2f} - {cap.ppk_ci[1]:.2f})")
print(f"lower 99/95 tolerance limit = {ti.lower:.2f} % with k = {ti.k:.3f}")

# %% [markdown]
# All three criteria are met, but look at the confidence interval of Ppk: with five lots it
# reaches far below 1.33. The tolerance factor shows the price of few lots:

# %% tags=["nbval-check-output"]
for n in (5, 10, 20, 30):
    print(f"n = {n:2d}: k(99 % coverage, 95 % confidence, one-sided) = "
          f"{stats.tolerance_factor(n, 0.99, 0.95, sided='lower'):.3f}")

# %% [markdown]
# Few lots need a large k, so a criterion that is easy to pass with many lots can fail with few
# although the process is the same. Protocols therefore justify the number of PPQ lots from Stage 1
# data and often combine PPQ with development and engineering-run results.

# %% [markdown]
# ## Facility capacity
#
# A production suite is available for a number of days a year (after shutdowns and maintenance).
# Each batch occupies it for a cycle time plus a changeover (course primer, *Scale-up and facility*,
# `docs/course/primer.md`):
#
# * batches per year = available days / (cycle time + changeover), rounded down;
# * doses per year = titer x working volume x downstream yield x batches / dose.
#
# The base case is an AAV process at 2000 L with a crude titer of 5e10 vg/mL (between the 1e10 vg/mL
# of Chahal et al. 2014 and the 3e11 vg/mL of the optimised process of Zhao et al. 2020), a
# downstream yield of 30 % (the course's planning value) and a high systemic dose of 1e15 vg (an
# illustrative choice). **All costs in this lesson are in US dollars (USD) at illustrative 2025 prices**:
# round numbers chosen to show how the model behaves, not industry data. A real model states the
# currency, the price year and the source of every cost; `pdkit.facility` records the first two: pass
# `currency` (an ISO 4217 code, default `"USD"`) and `price_year`, and every result, table and figure
# carries them (without a price year they say "price year not stated"). It converts neither.

# %% tags=["nbval-check-output"]
base = dict(
    titer_per_ml=5e10, working_volume_l=2000, dsp_yield=0.30, dose=1e15,
    cycle_time_days=14, changeover_days=3, available_days=330,
    facility_per_year=5e6, labour_per_year=3e6, qc_qa_per_year=2e6,
    materials_per_batch=4e5, qc_qa_per_batch=1e5,
)
batches = facility.batches_per_year(base["cycle_time_days"], base["changeover_days"], base["available_days"])
util = facility.suite_utilisation(batches, base["cycle_time_days"], base["changeover_days"], base["available_days"])
doses = facility.doses_per_year(base["titer_per_ml"], base["working_volume_l"], base["dsp_yield"], batches, base["dose"])
print(f"{batches} batches per year, suite utilisation {util:.1%}, {doses:.0f} doses per year")

# %% [markdown]
# ## Cost of goods per dose and its drivers
#
# COGS per dose = (facility + labour + QC/QA + materials x batches) / doses. Fixed costs
# (facility, labour, fixed QC/QA) are spread over all doses; materials and batch-release testing
# scale with the number of batches. The split therefore depends on scale: compare the 2000 L and the
# 200 L cases below.

# %% tags=["nbval-check-output"]
CURRENCY, PRICE_YEAR = "USD", 2025  # illustrative prices
cogs = facility.cost_model(base, currency=CURRENCY, price_year=PRICE_YEAR)
print(f"COGS per dose: {cogs.total_per_dose:,.0f} ({cogs.basis}, illustrative)")
print(cogs.table.round(3).to_string(index=False))

# %% [markdown]
# Compare with a 200 L process in the same suite (materials scaled down to 8e4 USD per batch): ten
# times fewer doses carry almost the same fixed costs.

# %% tags=["nbval-check-output"]
small = facility.cost_model({**base, "working_volume_l": 200, "materials_per_batch": 8e4},
                           currency=CURRENCY, price_year=PRICE_YEAR)
print(f"200 L: {small.doses:.0f} doses per year, COGS per dose {small.total_per_dose:,.0f} ({small.basis})")
print(small.table.round(3).to_string(index=False))

# %% [markdown]
# The figure's cost axis and title name the currency and price year the results carry (USD, 2025
# prices; illustrative).

# %%
pdkit.plots.show(cogs_split_figure([small, cogs], ["200 L", "2000 L"]))

# %% [markdown]
# Which assumptions matter most? `facility.cost_sensitivity` varies one input at a time between a
# low and a high value (a tornado analysis):

# %% tags=["nbval-check-output"]
ranges = {
    "titer_per_ml": (2e10, 1e11), "dsp_yield": (0.2, 0.45), "materials_per_batch": (2e5, 8e5),
    "cycle_time_days": (10, 21), "facility_per_year": (3e6, 8e6), "labour_per_year": (2e6, 4.5e6),
}
tornado = facility.cost_sensitivity(base, ranges, currency=CURRENCY, price_year=PRICE_YEAR)
print(f"COGS per dose and cost inputs in {tornado.attrs['price_basis']} (illustrative)")
print(tornado[["input", "low", "high", "cogs_low", "cogs_high", "swing"]].to_string(index=False, float_format="{:.4g}".format))

# %%
pdkit.plots.show(tornado_figure(tornado))

# %% [markdown]
# Titer and downstream yield dominate: every vector genome made and kept is a dose, whereas the
# facility and labour costs move COGS much less. This is why upstream (lessons 1-3) and downstream
# (lesson 4) development pay off in the clinic and the market.

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `base`, `cogs`, `small`, `tornado`, `facility` and `stats`. Costs are in USD (illustrative 2025 prices).

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints *your* suite's available
# days, cycle time, titer and downstream yield. How many doses of 1e15 vg does the suite make per year?

# %% pdkit={"exercise": "08_ppq_facility_cogs.doses_own_facility"} tags=["exercise"]
v = exercise("08_ppq_facility_cogs.doses_own_facility")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("08_ppq_facility_cogs.doses_own_facility", answer);

# %% [markdown]
# **Exercise 2 (what if).** Downstream development raises the overall yield of the 2000 L base case
# from 30 % to 40 %. What is the new COGS per dose, in USD (illustrative 2025 prices)? By how many
# percent did it fall, and why less than the yield rose?

# %% pdkit={"exercise": "08_ppq_facility_cogs.cogs_yield_40pct"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("08_ppq_facility_cogs.cogs_yield_40pct", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** A draft PPQ protocol proposes three lots with the acceptance
# criterion "lower 99 %/95 % tolerance limit of supercoiled content above 90.0 %", because "three lots is
# the regulatory standard". What is your review comment?
#
# * (a) Accept - three lots are required by FDA's 2011 guidance and the criterion is statistical.
# * (b) Reject the rationale - the guidance does not prescribe three lots; with three lots the tolerance
#   factor is so large that a capable process may fail, so justify the number of lots and the criterion
#   from Stage 1 data (or combine data sets).
# * (c) Accept, but drop the criterion, because statistics cannot be used with few lots.

# %% pdkit={"exercise": "08_ppq_facility_cogs.ppq_lots_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("08_ppq_facility_cogs.ppq_lots_choice", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** Finance asks why the 200 L process costs so
# much more per dose than the 2000 L process, and which development work would lower COGS most. Answer in
# a few sentences, and say what must accompany any cost figure you send.

# %% pdkit={"exercise": "08_ppq_facility_cogs.cogs_drivers"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("08_ppq_facility_cogs.cogs_drivers", text);

# %% [markdown]
# ## Summary
#
# * Process validation is a life cycle: design (Stage 1), qualification including PPQ (Stage 2) and
#   continued verification (Stage 3), per FDA's 2011 guidance.
# * PPQ acceptance criteria based on capability and tolerance intervals depend strongly on the
#   number of lots; justify it.
# * Capacity follows from the suite's available days, cycle time and changeover; doses from titer,
#   volume, yield and dose.
# * COGS per dose splits into facility, labour, QC/QA and materials; in this model titer and yield
#   are the strongest levers. Always state the currency and price year of a cost (here USD,
#   illustrative 2025 prices).

# %% [markdown]
# ## What's next
#
# Lessons 09-15 add the topics a GMP site needs next to process development: viral safety and
# clearance (09), residual DNA and impurities (10), plasmid as a starting material (11), lentiviral
# vectors (12), quality by design and the control strategy (13), data integrity with pdkit's own
# records (14), and an overview of aseptic processing, comparability and technology transfer (15).
# Revisit the [course index](00_index.ipynb), run the reports on your own data (`pdkit templates`
# lists them, `pdkit run` runs one), and try the lessons' calculations with your own process numbers.

# %% [markdown]
# ### Sources
#
# 1. FDA (January 2011) *Process Validation: General Principles and Practices*, guidance for industry.
# 2. EudraLex Volume 4, Annex 15 *Qualification and Validation* (2015): ongoing process verification.
# 3. ISO 16269-6:2014 (one-sided tolerance factors).
# 4. Chahal PS et al. (2014) J Virol Methods 196:163-173; Zhao H et al. (2020) Mol Ther Methods Clin
#    Dev 18:312-320 (the titer range of the base case).
# 5. Costs: illustrative round numbers in USD at 2025 prices chosen for this lesson; not industry
#    data.
# 6. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value).
