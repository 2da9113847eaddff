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
# # Lesson 03 - Planning and analysing a designed experiment (DoE)
#
# *pdkit course, part 3 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Changing one factor at a time misses interactions and wastes runs. A **designed experiment** varies
# several factors together in a planned pattern, so that a regression model separates their effects
# with a known precision. In process development DoE is used in two stages (Montgomery, *Design and
# Analysis of Experiments*, 8th ed., ch. 8 and 11): **screening** many factors with a two-level
# fractional factorial to find the few that matter, then a **response surface** study on those to find
# an optimum and the region where the process meets its targets - the basis of a design space in the
# sense of ICH Q8(R2).
#
# This lesson plans and analyses a screening study of an *E. coli* plasmid fermentation (6 factors,
# 20 runs) and analyses a response-surface study of an AAV transfection (5 factors, 32 runs; Zhao et
# al. 2020 used a DoE of this kind over plasmid ratios, DNA amount and cell density). **Both data sets
# are SYNTHETIC** (`data_samples/doe/README.md` gives the true effects, so you can check what the
# analysis finds).

# %% [markdown]
# ## Prerequisites
#
# * Lessons 01 and 02 (the fermentation and transfection settings used as factors here).
# * Linear regression in outline: coefficients, standard errors, p-values, R^2.

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. declare factors and build a fractional factorial with centre points, and read its resolution
#    and alias chains;
# 2. judge a design before running it: efficiency, variance inflation and power;
# 3. fit a model in coded units, tell effects from coefficients, and reduce the model;
# 4. fit a quadratic response surface, check it (lack of fit, predicted R^2) and predict from it;
# 5. map a design space on a critical quality attribute (ICH Q8(R2)) and explain why a region chosen
#    on titer alone is not a design space.

# %%
import warnings

import numpy as np
import pandas as pd
import yaml

import pdkit.plots
from pdkit.doe import (Factor, central_composite, design_space, evaluate, fit, fractional_factorial,
                       maximize_desirability)
from pdkit.plots.doe import contour_plot, design_space_plot, half_normal_plot
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

pdkit.plots.setup()
lesson_header("03");

# %% [markdown]
# ## Factors and a screening design
#
# A factor is declared with its low and high setting and its units; analyses work in **coded units**,
# x = (setting - centre) / half-range, so that -1 is low and +1 is high for every factor and the
# coefficients are comparable. The factor file of the plasmid study lists six fermentation factors.
#
# Six factors at two levels need 2^6 = 64 runs for a full factorial. A **2^(6-2) fraction** has 16:
# two factors are set by *generators* (products of the others), and the price is **aliasing** - some
# effects cannot be told apart. The **resolution** says how bad it is: at resolution IV, main effects
# are clear of two-factor interactions, but two-factor interactions are aliased with each other.
# Four **centre runs** add an estimate of pure error and a test for curvature.

# %% tags=["nbval-check-output"]

factor_table = pd.read_csv("../../data_samples/doe/plasmid_factors.csv", keep_default_na=False)
factors = [Factor(r.name, r.low, r.high, units=r.units) for r in factor_table.itertuples()]
design = fractional_factorial(factors, resolution=4, center=4, seed=20250313)
print(design.name, "| generators:", ", ".join(design.generators), "| resolution:", design.resolution)
print("defining relation:", design.defining_relation[0])
print("runs:", len(design.coded), "| point types:", {k: int(v) for k, v in pd.Series(design.point_type).value_counts().items()})
print("letters: " + ", ".join(f"{chr(65 + i)} = {f.name}" for i, f in enumerate(factors)))

# %% tags=["nbval-check-output"]

chains = design.aliases[design.aliases["order"] == 2][["effect", "aliases"]]
print(chains.head(4).to_string(index=False))

# %% [markdown]
# Before spending 20 fermentations, **evaluate** the design for the model you intend to fit: the
# efficiencies (100 % is the best possible), the variance inflation factors (1 = the estimates are
# uncorrelated) and the power to detect an effect of one standard deviation per coded unit (a change
# of 2 sigma from low to high) at alpha = 0.05.

# %% tags=["nbval-check-output"]

ev = evaluate(design, "linear")
print(ev.headline().round(3).to_string())
print(ev.coefficients[["term", "std_error", "vif"]].round(3).to_string(index=False))
print(f"power per main effect: {ev.power['power'].min():.2f}")

# %% [markdown]
# ## Analysing the screening study
#
# The study was run (in randomised order) and gives the pDNA titer for each run. We ask for the
# main effects and all two-factor interactions (22 coefficients from 20 runs). `fit` first finds the
# alias chains and keeps **one representative of each chain** - by effect heredity (the member whose
# main effects are large), then the size of its main effects, then its name, never by column order -
# and drops the others with a warning; the kept term estimates the sum of its chain. The model cannot say which
# member of a chain is active; process knowledge or a follow-up experiment must.

# %% tags=["nbval-check-output"]

screening = pd.read_csv("../../data_samples/doe/plasmid_fermentation_screening_synthetic.csv")
names = [f.name for f in factors]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the alias chains are printed below
    screen = fit(screening[names + ["pdna_mg_l"]], "pdna_mg_l", "interactions", factors=factors)
print(f"{len(screen.terms)} terms kept, {len(screen.dropped_terms)} aliased terms dropped")
print("\n".join(screen.alias_chains))
print(screen.coefficients[["estimate", "std_error", "p"]].round(2).to_string())

# %% [markdown]
# A coefficient is the change per coded unit (from the centre to +1); the **effect** of a two-level
# factor is the change from low to high, i.e. twice the coefficient. The half-normal plot shows the
# effects sorted by size: inactive effects lie on a line through the origin, active ones stand off it.
# Lenth's margin of error (dashed), computed from the effects of the 16 factorial runs, flags the
# active ones.

# %% tags=["nbval-check-output"]

L_screen = screen.lenth
hn = screen.half_normal
print(f"Lenth PSE = {L_screen.pse:.1f}, ME = {L_screen.me:.1f} mg/L; active: {', '.join(hn.loc[hn['active'], 'term'].iloc[::-1])}")

# %%
pdkit.plots.show(half_normal_plot(screen))

# %% [markdown]
# `reduce` drops non-significant terms one at a time (keeping the model hierarchical: an interaction
# keeps its main effects). The centre runs give pure error, so lack of fit and curvature can be tested.

# %% tags=["nbval-check-output"]

screen_reduced = screen.reduce(alpha=0.05)
print(screen_reduced.coefficients[["estimate", "ci_low", "ci_high"]].round(1).to_string())
print(f"R2 = {screen_reduced.r2:.3f}, adjusted {screen_reduced.r2_adj:.3f}, predicted {screen_reduced.r2_pred:.3f}")
print(f"lack of fit p = {screen_reduced.lack_of_fit.p:.2f}; curvature p = {screen_reduced.curvature.p:.2f}")

# %% [markdown]
# Temperature, shift time, feed rate and the temperature x shift-time chain are active; yeast extract,
# pH and DO are not - exactly the ground truth in the README. No curvature: the linear model is adequate
# in this region, and the next step would be to move towards higher temperature and feed rate.

# %% [markdown]
# ## Response surface and optimum
#
# For the AAV transfection, a first screening block showed strong curvature, so axial runs were added
# to make a **face-centred central composite design** (32 runs). A quadratic model can then locate a
# maximum. Titers are modelled on the log10 scale, where their error is roughly constant.

# %% tags=["nbval-check-output"]

aav_table = pd.read_csv("../../data_samples/doe/aav_factors.csv")
aav_factors = [Factor(r.name, r.low, r.high, units=r.units) for r in aav_table.itertuples()]
aav_names = [f.name for f in aav_factors]
rsm_data = pd.read_csv("../../data_samples/doe/aav_transfection_rsm_synthetic.csv")
rsm_data["log10_vg_titer"] = np.log10(rsm_data["vg_titer"])
titer_full = fit(rsm_data[aav_names + ["log10_vg_titer"]], "log10_vg_titer", "quadratic", factors=aav_factors)
titer_model = titer_full.reduce(alpha=0.05)
print(f"full quadratic: {len(titer_full.terms)} terms, R2 {titer_full.r2:.3f}, predicted R2 {titer_full.r2_pred:.3f}")
print(f"reduced:        {len(titer_model.terms)} terms, R2 {titer_model.r2:.3f}, predicted R2 {titer_model.r2_pred:.3f}")
print(f"lack of fit (full model) p = {titer_full.lack_of_fit.p:.2f}")
print(titer_model.coefficients[["estimate", "p"]].round(3).to_string())

# %% [markdown]
# The full model has a high R^2 but a much lower **predicted R^2** (from leave-one-out predictions):
# it over-fits. The reduced model predicts new runs better. Lack of fit is not significant. The
# contour plot shows the predicted titer over cell density and Rep/Cap:GOI ratio with the other
# factors held at their centre.

# %%
pdkit.plots.show(contour_plot(titer_model, "vcd_1e6_per_ml", "repcap_goi_ratio"))

# %% [markdown]
# Titer is not the only goal: more Rep/Cap raises titer but lowers % full, and a later harvest raises %
# full but costs viability. **Desirability** (Derringer and Suich 1980, *J Qual Technol* 12:214) maps
# each predicted response to 0-1 against its goal and maximises their geometric mean. The goals come
# from `aav_goals.yaml` (synthetic study settings).

# %% tags=["nbval-check-output"]

goals = yaml.safe_load(open("../../data_samples/doe/aav_goals.yaml"))["goals"]
fits = {"log10_vg_titer": titer_model}
for response in ("full_pct", "viability_pct"):
    fits[response] = fit(rsm_data[aav_names + [response]], response, "quadratic", factors=aav_factors).reduce(alpha=0.05)
best = maximize_desirability(fits, goals, seed=1)
print("settings: " + ", ".join(f"{k} {v:.2f}" for k, v in best.settings.items()))
print("predicted: " + ", ".join(f"{k} {v:.2f}" for k, v in best.predicted.items()))
print(f"overall desirability {best.overall:.2f}")

# %% [markdown]
# A prediction is only as good as the model: confirm the optimum with new runs, and use the prediction
# interval (not the confidence interval of the mean) to say what a single run will give.

# %% [markdown]
# ## A design space is defined on quality, not on titer
#
# ICH Q8(R2) defines the **design space** as "the multidimensional combination and interaction of input
# variables (e.g., material attributes) and process parameters that have been demonstrated to provide
# assurance of quality", and a **critical quality attribute (CQA)** as a physical, chemical, biological
# or microbiological property that should be within an appropriate limit, range or distribution to
# ensure the desired product quality. Vector titer is a *process performance* attribute: it decides
# how many doses a batch gives and what they cost (lesson 08), but the dose is set by the fill, so a
# low-titer batch is not a worse-quality product. For AAV the CQAs that transfection settings move are
# the **full/empty ratio** (FDA's 2020 CMC guidance for gene-therapy INDs lists empty and partial capsids
# under purity), **potency** (infectivity and expression) and **aggregates**; for LV, the ratio of
# functional to physical particles plays the role of % full.
#
# The synthetic study measured only one CQA, % full; potency and aggregates would be modelled the same
# way if they had been measured. `design_space` estimates, on a grid of two factors (the others held at
# their centre), the probability that a **new run** meets the acceptance criterion, including the
# model's own uncertainty. The criterion below (% full >= 22) is the synthetic study's illustrative
# acceptance criterion from `aav_goals.yaml`; a titer floor is mapped separately, as a performance
# constraint, to show how different the two regions are.

# %% tags=["nbval-check-output"]
specs = {k: tuple(v) for k, v in yaml.safe_load(open("../../data_samples/doe/aav_goals.yaml"))["specs"].items()}
grid_xy = dict(x="vcd_1e6_per_ml", y="repcap_goi_ratio", grid=25, n_draws=1000, seed=1)
cqa_space = design_space({"full_pct": fits["full_pct"]}, {"full_pct": specs["full_pct"]}, **grid_xy)
titer_space = design_space({"log10_vg_titer": titer_model}, {"log10_vg_titer": specs["log10_vg_titer"]}, **grid_xy)
in_cqa, in_titer = cqa_space >= 0.9, titer_space >= 0.9
print(f"criteria: % full >= {specs['full_pct'][0]:g} (CQA); log10 titer >= {specs['log10_vg_titer'][0]:g} (performance)")
print(f"share of the grid with P >= 0.9: CQA {float(in_cqa.mean()):.0%}, titer {float(in_titer.mean()):.0%}, "
      f"both {float((in_cqa & in_titer).mean()):.0%}")

# %%
pdkit.plots.show(design_space_plot(cqa_space, probability=0.9))

# %% [markdown]
# The CQA region excludes the **highest** Rep/Cap:GOI ratios - exactly where titer is highest - and
# only about a fifth of the grid satisfies both: a "design space" drawn on titer alone would point straight at
# the settings that make the most empty capsids.
# The region you would file is the one where every CQA is assured (here % full), intersected with the
# performance you need; within it you choose a robust set point (`maximize_probability`) and confirm
# it with runs at scale (a design space built at small scale has to be justified for the commercial
# scale; lesson 05).

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `screen`, `titer_model`, `fits`, `cqa_space`, `titer_space` and the pdkit functions above.

# %% [markdown]
# **Exercise 1 (effect or coefficient?).** The table shows coefficients. What is the **effect** of
# temperature on the pDNA titer - the change in mg/L when temperature goes from its low (30 degC) to
# its high (42 degC) setting?

# %% pdkit={"exercise": "03_doe.temperature_effect"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("03_doe.temperature_effect", answer);

# %% [markdown]
# **Exercise 2 (planning, your own numbers).** Run the cell: it prints the number of factors and
# centre runs of *your* planned face-centred central composite design. How many runs do you book in the
# bioreactor schedule?

# %% pdkit={"exercise": "03_doe.ccd_runs"} tags=["exercise"]
v = exercise("03_doe.ccd_runs")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("03_doe.ccd_runs", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** Which region of the AAV transfection study would you propose
# as a design space in a filing?
#
# * (a) The region with the highest predicted titer, because titer sets the number of doses.
# * (b) The region where the probability that a new run meets the % full acceptance criterion (and
#   every other CQA criterion) is high, intersected with the titer you need, and verified at scale.
# * (c) The whole experimental region, because every setting in it was tested.
# * (d) The single desirability optimum, because it balances all responses.

# %% pdkit={"exercise": "03_doe.design_space_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("03_doe.design_space_choice", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** Explain to a colleague why vector titer
# alone cannot define the design space of the AAV transfection, which critical quality attributes you
# would add to the next study, and where titer belongs in the control strategy.

# %% pdkit={"exercise": "03_doe.cqa_not_titer"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("03_doe.cqa_not_titer", text);

# %% [markdown]
# ## Summary
#
# * Declare factors with ranges and units; analyse in coded units (-1 to +1).
# * A resolution IV fraction keeps main effects clear of two-factor interactions, which are aliased in
#   chains: fit one term per chain and resolve the chain with process knowledge or more runs.
# * Evaluate a design before running it (efficiency, VIF, power); centre runs give pure error and a
#   curvature test.
# * Effect = 2 x coefficient for two-level factors; reduce the model hierarchically and check
#   predicted R^2 and lack of fit.
# * A quadratic response surface locates an optimum; desirability balances several responses;
#   confirm the optimum with new runs.

# %% [markdown]
# ## What's next
#
# Lesson 04 purifies what upstream made. The reports `pdkit run doe_design` and `pdkit run
# doe_analysis` build and analyse designs like these from a factor file and a results table. Lesson 13
# (`13_qbd_control_strategy`) places the design space in the whole QbD chain, from the target product
# profile and CQAs to the control strategy.

# %% [markdown]
# ### Sources
#
# 1. ICH Q8(R2) *Pharmaceutical Development* (2009): definitions of design space and critical quality
#    attribute (glossary).
# 2. FDA (January 2020) CMC Information for Human Gene Therapy INDs: empty and partial capsids,
#    aggregates and potency among the tests of an AAV product.
# 3. Montgomery DC. *Design and Analysis of Experiments*, 8th ed., Wiley, chapters 8 (two-level
#    fractional factorials) and 11 (response surfaces).
# 4. Derringer G, Suich R (1980) Simultaneous optimization of several response variables. J Qual
#    Technol 12:214-219.
# 5. Lenth RV (1989) Quick and easy analysis of unreplicated factorials. Technometrics 31:469-473
#    (Lenth's PSE and margin of error).
# 6. Zhao H et al. (2020) Mol Ther Methods Clin Dev 18:312-320 (a DoE over plasmid ratios, DNA amount
#    and cell density).
# 7. Synthetic study settings and acceptance criteria: `data_samples/doe/README.md` and
#    `aav_goals.yaml` (illustrative, not product specifications).
