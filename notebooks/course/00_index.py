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
# Fifteen hands-on lessons. Lessons 1-8 take you from a shake flask to a released, costed lot;
# lessons 9-15 add what a scientist moving to GMP manufacturing of viral vectors needs: viral safety,
# impurities with their benchmarks, plasmid as a starting material, lentiviral vectors, quality by
# design, data integrity, aseptic processing and comparability. Every lesson runs real calculations
# with **pdkit**, cites the primary source of every number it uses (ICH, EU GMP, FDA and WHO guidance,
# pharmacopoeias, peer-reviewed papers) and ends with exercises that check your answers. The facts and
# magnitudes shared by several lessons are collected, with their sources, in the course primer
# `docs/course/primer.md`.

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
# | 9 | [09_viral_safety_clearance](09_viral_safety_clearance.ipynb) | Viral safety under ICH Q5A(R2): testing strategy, rcAAV/RCL, clearance LRVs, particles per dose | 35 min |
# | 10 | [10_residual_dna_impurities](10_residual_dna_impurities.ipynb) | Residual host-cell DNA (10 ng/dose, 200 bp, E1A/SV40), plasmid, HCP, nuclease, empty capsids | 30 min |
# | 11 | [11_plasmid_starting_material](11_plasmid_starting_material.ipynb) | Plasmid DNA as a starting material for viral vectors: status, quality attributes, lot evaluation | 25 min |
# | 12 | [12_lentivirus](12_lentivirus.ipynb) | Lentiviral vectors: third-generation system, TU versus p24, half-life, purification yields, RCL | 30 min |
# | 13 | [13_qbd_control_strategy](13_qbd_control_strategy.ipynb) | Quality by design: QTPP, CQAs, ICH Q9(R1) risk assessment, a design space on CQAs, control strategy | 35 min |
# | 14 | [14_data_integrity_records](14_data_integrity_records.ipynb) | Data integrity (ALCOA+) with pdkit's signed run records: run, verify, tamper, verify again | 30 min |
# | 15 | [15_aseptic_comparability_overview](15_aseptic_comparability_overview.ipynb) | Overview: Annex 1 (2022) aseptic processing, comparability, tech transfer, CAPA, CPV/OPV, ICH Q1 draft | 35 min |
#
# Total 430 minutes (about 7 hours). Lessons 1-4 (upstream, DoE, downstream) and 5-8 (scale-up,
# quality, validation and economics) can be taken in either order; inside each half the order above
# is recommended. Lessons 9-15 build on both halves: take 9 and 10 together (viral safety and
# impurities), 11 and 12 in either order, then 13, 14 and 15.

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
# ## Exercises and your training record
#
# Each lesson's first code cell prints the course version, its effective date and the lesson's
# revision: the record of what you were trained on. The exercises come in four kinds, each with its
# own cell (described in `docs/course-authoring.md`):
#
# * **A value** - replace `None` by your answer, usually a calculation with names defined earlier in
#   the lesson, and run the cell; `check` prints one line: **Right!**, **Close, but not quite** (with a
#   hint, often rounding or a unit) or **Not right yet** (with a hint on the method). Where an
#   exercise has a unit you may answer with one, as text (`"150 rpm"`).
#
#   ```python
#   answer = None  # replace None with your answer (a number, or text where asked)
#   check("05_scaleup.tip_speed", answer);
#   ```
#
# * **A value with your own numbers** - `v = exercise(...)` prints the question with numbers drawn
#   for you (stable for you, different for your colleagues) and returns them, e.g. `v.rpm`.
# * **A choice** - set `choice` to a letter and explain it in `why`; a right letter without a
#   justification is not complete, and your trainer reads the justification.
# * **A written answer** - `explain(...)` records a few sentences for your trainer, who marks them
#   against a model answer.
#
# None of these ever shows the expected answer, so you can keep trying; `hint(id, level=1)` and
# `hint(id, level=2)` give a nudge and then the method. Your answers are written to your training
# record, from which the trainer produces a signed completion record per lesson
# (`pdkit course report`). The `;` at the end of an exercise line stops Jupyter from echoing the
# True/False under the message.
