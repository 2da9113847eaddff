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
# # Lesson 13 - Quality by design: from target profile to control strategy
#
# *pdkit course, part 13 of 15. About 35 minutes.*

# %% [markdown]
# ## Overview
#
# Lesson 03 mapped a design space on % full and showed why a region chosen on titer alone is not one:
# in ICH Q8(R2) a design space is "the multidimensional combination and interaction of input
# variables ... that have been demonstrated to provide assurance of quality", and quality means the
# **critical quality attributes (CQAs)** - the properties that must stay within limits for the product
# to be safe and effective. Titer and yield matter for cost and supply; they are not quality.
#
# This lesson walks the whole ICH chain for an AAV product: the quality target product profile (QTPP),
# the CQAs, a risk assessment (ICH Q9(R1)), a design space built on CQAs, and the control strategy that
# ties them together across the lifecycle (ICH Q10, Q11, Q12, and Q2(R2)/Q14 for the analytical
# procedures, including the potency assay matrix).

# %% [markdown]
# ## Prerequisites
#
# * Lesson 03 (DoE: `fit`, quadratic models, design space as a probability map).
# * Lessons 06 and 10 (specifications; the impurities of an AAV process).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. write a QTPP and derive CQAs from it, and tell a CQA from a process performance attribute;
# 2. run and document a simple risk ranking, knowing what ICH Q9(R1) asks about subjectivity and
#    formality;
# 3. build a design space on CQAs from DoE data and read it as a probability of meeting them;
# 4. place Q8(R2), Q9(R1), Q10, Q11, Q12 and Q2(R2)/Q14 in one control strategy, including the
#    potency assay matrix.

# %%
from pdkit.tutorial import check, choose, exercise, explain, lesson_header

lesson_header("13");

# %%
import numpy as np
import pandas as pd

from pdkit.doe import Factor, central_composite, design_space, fit

# %% [markdown]
# ## 1. QTPP and CQAs
#
# The **QTPP** (ICH Q8(R2), Part II) is a prospective summary of the quality characteristics the
# product should have: route, dosage form, strength, container, shelf life, and the quality criteria
# that follow from them. A **CQA** (Q8(R2) glossary) is "a physical, chemical, biological, or
# microbiological property or characteristic that should be within an appropriate limit, range, or
# distribution to ensure the desired product quality". For an AAV drug product the candidates come from
# the test list of FDA's 2020 CMC guidance for gene-therapy INDs (lesson 10):
#
# | QTPP element (example: AAV9, single intravenous dose) | CQA | typical method |
# |---|---|---|
# | efficacy at the labelled dose | **potency** (infectivity, transgene expression, function) | assay matrix (section 4) |
# | dose accuracy | **vg titer** (strength) | ddPCR / qPCR |
# | efficacy per capsid, immunogenicity | **% full** (empty and partial capsids) | AUC, cryo-EM, vg/capsid |
# | immunogenicity, dose accuracy | **aggregates** | SEC-MALS, DLS |
# | safety | **rcAAV**, sterility, endotoxin, adventitious agents | lesson 09 |
# | safety | **residual host-cell DNA** (incl. E1A), plasmid DNA, HCP | lesson 10 |
# | identity | capsid serotype and genome identity | ELISA / MS; sequencing |
#
# **Not CQAs**: harvest titer, step yield, cell-specific productivity. They are *process performance
# attributes*: important for the business, and they belong in the DoE - but as things to optimise
# *within* the space where the CQAs are met, not as the definition of that space.

# %% [markdown]
# ## 2. Risk assessment under ICH Q9(R1)
#
# ICH Q9(R1) (Step 4, 18 January 2023) keeps the principle that the level of effort, formality and
# documentation should be commensurate with the level of risk, and adds guidance on **subjectivity**
# (scores are judgements - record who scored, on what evidence), on the **formality** of the
# assessment, on **risk-based decision making** and on risks to **product availability**. A simple
# ranking scores each process parameter's impact on each CQA; the scores below are an **illustrative
# team judgement** for an AEX full/empty polishing step, not data:

# %% tags=["nbval-check-output"]
impact = pd.DataFrame(
    {"pct_full": [9, 3, 3, 1], "aggregates": [3, 9, 1, 3], "potency": [3, 3, 1, 1], "residual_DNA": [3, 1, 9, 1]},
    index=["elution conductivity", "load pH", "load amount", "flow rate"],
)   # 9 = strong, 3 = moderate, 1 = weak or none (illustrative scores)
impact["total"] = impact.sum(axis=1)
print(impact.sort_values("total", ascending=False).to_string())

# %% [markdown]
# The two highest-ranked parameters, elution conductivity and load pH, go into the DoE below; load
# amount is controlled by a proven acceptable range justified by its DNA-clearance data, flow rate by
# equipment. The ranking is a record of a decision, with its rationale - the point of Q9(R1)'s
# subjectivity section.

# %% [markdown]
# ## 3. A design space on CQAs
#
# A face-centred central composite design in conductivity and pH (11 runs), with the CQAs **% full**
# and **% aggregates** and the performance attribute **vg step yield** measured in each run. **The
# responses are SYNTHETIC**, generated below from a stated model with noise (seed 13), so you can see
# the truth the fit should recover.

# %% tags=["nbval-check-output"]
factors = [Factor("conductivity", 10.0, 20.0, units="mS/cm"), Factor("pH", 8.5, 9.5)]
design = central_composite(factors, alpha="face", center=3)
runs = design.actual.copy()
c, p = design.coded["conductivity"].to_numpy(), design.coded["pH"].to_numpy()
rng = np.random.default_rng(13)   # SYNTHETIC responses (truth in the lines below)
runs["pct_full"] = 78 - 7 * c + 3 * p - 4 * c**2 + rng.normal(0, 1.5, len(runs))
runs["aggregates_pct"] = 2.5 + 1.2 * c + 0.8 * p + 0.9 * c * p + rng.normal(0, 0.3, len(runs))
runs["vg_yield_pct"] = 65 + 9 * c - 2 * p + rng.normal(0, 3, len(runs))
print(runs.round(1).to_string())
fits = {r: fit(runs[["conductivity", "pH", r]], r, "quadratic", factors=factors)
        for r in ("pct_full", "aggregates_pct", "vg_yield_pct")}
for r, f in fits.items():
    print(f"{r:15s} R2 {f.r2:.2f}")

# %% [markdown]
# The CQA limits used here - at least 70 % full and at most 5 % aggregates - are **illustrative**
# product-specific acceptance criteria (a real product derives them from clinical and
# characterisation data). `design_space` draws new runs from each fitted model, including the
# uncertainty of the coefficients, and returns for each point of a grid the probability that **all**
# CQAs are met. The design space is then the region where that probability is high enough - here
# 0.90, a choice the team must justify.

# %% tags=["nbval-check-output"]
CQA_LIMITS = {"pct_full": (70.0, None), "aggregates_pct": (None, 5.0)}
space = design_space({k: fits[k] for k in CQA_LIMITS}, CQA_LIMITS, n_draws=1000, seed=1, grid=21)
inside = space >= 0.90
print(f"grid points with P(all CQAs met) >= 0.90: {100 * float(inside.mean()):.0f} %")
for cond in (10.0, 15.0, 20.0):
    row = space.sel(conductivity=cond, method="nearest")
    ok = row["pH"].values[(row >= 0.90).values]
    span = f"pH {ok.min():.2f}-{ok.max():.2f}" if ok.size else "no pH"
    print(f"conductivity {cond:g} mS/cm: {span} inside the design space")

# %% [markdown]
# Only now does yield enter: among the set points inside the design space, choose one with good yield
# and a margin to the edge. Had the space been drawn on yield, the high-conductivity corner - best
# yield - would have been chosen, where % full is lowest and aggregates are highest.

# %% tags=["nbval-check-output"]
grid = pd.DataFrame([(cc, pp) for cc in np.linspace(10, 20, 21) for pp in np.linspace(8.5, 9.5, 21)],
                    columns=["conductivity", "pH"])
grid["vg_yield_pct"] = fits["vg_yield_pct"].predict(grid)["prediction"].to_numpy()
grid["p_cqa"] = [float(space.sel(conductivity=cc, pH=pp, method="nearest")) for cc, pp in
                 zip(grid["conductivity"], grid["pH"])]
best_yield = grid.loc[grid["vg_yield_pct"].idxmax()]
best_inside = grid[grid["p_cqa"] >= 0.90].sort_values("vg_yield_pct").iloc[-1]
print(f"max predicted yield anywhere: {best_yield.vg_yield_pct:.0f} % at {best_yield.conductivity:.1f} mS/cm, "
      f"pH {best_yield.pH:.2f}, P(CQAs) {best_yield.p_cqa:.2f}")
print(f"max predicted yield inside the design space: {best_inside.vg_yield_pct:.0f} % at "
      f"{best_inside.conductivity:.1f} mS/cm, pH {best_inside.pH:.2f}, P(CQAs) {best_inside.p_cqa:.2f}")

# %% [markdown]
# ## 4. The control strategy across the lifecycle
#
# | guideline (Step 4) | what it adds to the chain |
# |---|---|
# | ICH Q8(R2) (2009) | QTPP, CQAs, design space; "working within the design space is not considered as a change" |
# | ICH Q9(R1) (January 2023) | risk assessment, control and review; subjectivity, formality, product availability |
# | ICH Q10 (2008) | the pharmaceutical quality system: process performance and product quality monitoring, CAPA, change management, management review |
# | ICH Q11 (2012) | the same approach for the drug substance; starting materials (lesson 11) |
# | ICH Q12 (November 2019) | **established conditions** (the elements whose change needs regulatory action), post-approval change management protocols, lifecycle management |
# | ICH Q2(R2) and Q14 (November 2023; in effect in the EU from 14 June 2024) | analytical procedure development (analytical target profile) and validation, also for the CQA methods |
#
# The **control strategy** (Q10 glossary: "a planned set of controls, derived from current product and
# process understanding, that assures process performance and product quality") therefore combines
# raw-material and starting-material controls, the design space and its set points, in-process
# controls, release specifications and continued process verification (lesson 15).
#
# **Potency.** FDA's draft guidance *Potency Assurance for Cellular and Gene Therapy Products*
# (December 2023) expects potency to be assured by the whole control strategy, and for gene therapies
# usually by an **assay matrix**: no single assay captures the mechanism of action, so release
# combines, for example, an infectivity or transduction assay, a transgene expression assay and -
# where feasible - a functional (biological activity) assay, each developed and validated under Q14
# and Q2(R2).

# %% [markdown]
# ## Exercises
#
# For the choice questions set `choice` to a letter and explain it in `why`; the last exercise asks
# for a short written answer that your trainer reads against a model answer.

# %% [markdown]
# **Exercise 1.** Which of these is **not** a critical quality attribute of an AAV drug product?
#
# * a. Percentage of full capsids.
# * b. Vector genome titer (strength).
# * c. Step yield of the affinity column.
# * d. Residual host-cell DNA per dose.

# %% pdkit={"exercise": "13_qbd_control_strategy.not_a_cqa"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("13_qbd_control_strategy.not_a_cqa", choice, why=why);

# %% [markdown]
# **Exercise 2.** What is the probability that all CQAs are met at conductivity 18 mS/cm and pH 8.8,
# according to the design space of section 3? (A number between 0 and 1; read it from `space`.)

# %% pdkit={"exercise": "13_qbd_control_strategy.p_cqa_18_88"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("13_qbd_control_strategy.p_cqa_18_88", answer);

# %% [markdown]
# **Exercise 3.** Your approved dossier contains this design space. Manufacturing wants to move the
# conductivity set point from 12 to 14 mS/cm at pH 9.0, a point inside the approved space. What is the
# regulatory consequence under ICH Q8(R2)?
#
# * a. None as a regulatory change: working within the approved design space is not considered a
#   change; it is managed in the quality system (change control, documentation).
# * b. A prior-approval variation, because every set point is an established condition.
# * c. A new DoE must be run before the move.
# * d. It is not allowed: set points can never move after approval.

# %% pdkit={"exercise": "13_qbd_control_strategy.move_within_space"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("13_qbd_control_strategy.move_within_space", choice, why=why);

# %% [markdown]
# **Exercise 4.** In a few sentences: why should the design space of this AEX step be defined on
# % full and aggregates rather than on vg yield, and where does yield still come in?

# %% pdkit={"exercise": "13_qbd_control_strategy.why_cqa_space"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("13_qbd_control_strategy.why_cqa_space", text);

# %% [markdown]
# ## Summary
#
# * QTPP -> CQAs (properties that must be within limits for quality) -> risk assessment -> design space
#   on CQAs -> control strategy; titer and yield are performance attributes, optimised inside the space.
# * ICH Q9(R1) asks for a documented, proportionate risk assessment that manages subjectivity.
# * A design space is a probability statement: the region where all CQAs are met with a stated
#   assurance; moving within it is not a regulatory change (Q8(R2)), its elements may be established
#   conditions (Q12).
# * Analytical procedures for CQAs follow Q14/Q2(R2); gene-therapy potency is assured by an assay matrix
#   within the control strategy (FDA draft guidance, 2023).

# %% [markdown]
# ## What's next
#
# Lesson 14 turns to the records that prove all of this was done: data integrity (ALCOA+) with pdkit's
# own signed run records.
#
# ### Sources
#
# 1. ICH Q8(R2) Pharmaceutical Development (Step 4, August 2009): Part I (design space), Part II (QTPP) and
#    glossary (design space, CQA).
# 2. ICH Q9(R1) Quality Risk Management (Step 4, 18 January 2023).
# 3. ICH Q10 Pharmaceutical Quality System (Step 4, June 2008): glossary (control strategy).
# 4. ICH Q11 Development and Manufacture of Drug Substances (Step 4, May 2012).
# 5. ICH Q12 Technical and Regulatory Considerations for Pharmaceutical Product Lifecycle Management
#    (Step 4, 20 November 2019).
# 6. ICH Q2(R2) Validation of Analytical Procedures and ICH Q14 Analytical Procedure Development (Step
#    4, 1 November 2023); EMA: in effect 14 June 2024.
# 7. FDA (January 2020) Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy
#    Investigational New Drug Applications (INDs).
# 8. FDA (December 2023) Potency Assurance for Cellular and Gene Therapy Products, draft guidance for
#    industry.
