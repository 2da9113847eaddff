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
# # pdkit course: process development for plasmid DNA and viral vectors
#
# Eight short, hands-on lessons that take you from a shake flask to a released, costed lot. Every
# lesson runs real calculations with **pdkit** on the bundled sample data (`data_samples/`) and
# ends with exercises that check your answers.

# %% [markdown]
# ## Who it is for
#
# New process-development and manufacturing scientists, engineers and QC/QA staff working on plasmid
# DNA, AAV or lentiviral vectors, who know basic Python (variables, calling a function, a pandas
# table) and want to see how the numbers behind lab and GMP decisions are calculated. No statistics
# or chemical-engineering background is assumed: each lesson states its formulas and cites its
# sources (ICH, USP, FDA guidance, textbooks and papers).

# %% [markdown]
# ## Lessons
#
# | # | lesson | what you learn | time |
# |---|---|---|---|
# | 1 | [01_plasmid_fermentation](01_plasmid_fermentation.ipynb) | Plasmid DNA by E. coli fed-batch fermentation: growth, biomass and specific pDNA yield | 20 min |
# | 2 | [02_aav_transfection](02_aav_transfection.ipynb) | AAV by HEK293 triple transient transfection: cell growth, titer and scale | 25 min |
# | 3 | [03_doe](03_doe.ipynb) | Design of experiments: screening with fractional factorials, response surfaces, model fitting | 30 min |
# | 4 | [04_downstream](04_downstream.ipynb) | Downstream purification: step and cumulative yields, mass balance, impurity clearance (LRV) | 25 min |
# | 5 | [05_scaleup](05_scaleup.ipynb) | Scale-up from the bench to 200 L and 2000 L: P/V, tip speed, Re, mixing time, kLa and their trade-offs | 25 min |
# | 6 | [06_release_testing](06_release_testing.ipynb) | Release testing: specifications as data, USP rounding, censored results, dispositions, the CoA | 25 min |
# | 7 | [07_specs_capability_stability](07_specs_capability_stability.ipynb) | Setting specifications: tolerance intervals, capability, I-MR trending with Nelson rules, ICH Q1E shelf life | 30 min |
# | 8 | [08_ppq_facility_cogs](08_ppq_facility_cogs.ipynb) | Process validation (PPQ), facility capacity and cost of goods per dose | 30 min |
#
# Total 210 minutes (about 3.5 hours). Lessons 1-4 (upstream, DoE, downstream) and 5-8 (scale-up,
# quality, validation and economics) can be taken in either order; inside each half the order above
# is recommended.

# %% [markdown]
# ## How to use the lessons
#
# 1. Open a lesson in JupyterLab (`pdkit lab` starts it on the kit's notebooks) and run the cells
#    from the top (*Run > Run All Cells* once, then read and re-run cells as you go).
# 2. Each lesson has the same layout: *Overview*, *Prerequisites*, *Learning objectives*, the
#    content sections, *Exercises*, *Summary* and *What's next*.
# 3. The sample data are **synthetic** (simulated from a documented ground truth, see the README in
#    each `data_samples/` folder); they have realistic magnitudes but describe no real product.
# 4. Change the numbers and re-run: the lessons are meant to be played with.

# %% [markdown]
# ## Checking your answers with `check()`
#
# Each exercise ends in a cell like this:
#
# ```python
# answer = None  # replace None with your answer (a number, or text where asked)
# check("05_scaleup.speed_pv_50L", answer);
# ```
#
# Replace `None` by your answer, usually a calculation with names defined earlier in the lesson
# (for example `answer = scaleup.impeller_speed(...)`), and run the cell. `check` prints one line:
#
# * **Right!** - within the tolerance of the exercise;
# * **Close, but not quite** - with a hint (often rounding or a unit);
# * **Not right yet** - with a hint on the method.
#
# Where an exercise has a unit you may answer with one, as text (`"150 rpm"`). `check` never shows
# the expected value, so you can keep trying. It is imported at the top of every lesson with
# `from pdkit.tutorial import check`. It also returns `True` or `False`, which is handy in your own
# code (`if check(...):`); the `;` at the end of the exercise line stops Jupyter from echoing that
# value under the message.
