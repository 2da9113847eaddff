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
# # Lesson 11 - Plasmid DNA as a starting material for viral vectors
#
# *pdkit course, part 11 of 15. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Lessons 01 and 06 made and released plasmid DNA and called it a starting material; this lesson
# explains what that role means. For most plasmid made in a viral-vector company the regulatory role
# is not that of a product in its own right: the plasmids that are transfected into HEK293
# cells to make AAV or lentiviral vectors are **starting materials** of the vector, which is the
# active substance. A plasmid that is itself injected - a DNA vaccine - is an **active substance**.
# The difference decides which GMP rules apply to its manufacture, who sets its specification, and
# how much of its quality must be shown in the dossier.
#
# This lesson places plasmid in the regulatory texts, lists the quality attributes that matter for a
# transfection-grade plasmid and where their criteria come from, and evaluates three synthetic lots
# against a starting-material specification with `pdkit.specs`.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 01 (plasmid fermentation; supercoiled fraction) and lesson 06 (`pdkit.specs`, USP rounding).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. say whether a plasmid is a starting material or an active substance, with the EU and US texts
#    that say so;
# 2. list the quality attributes of a transfection-grade plasmid and the source of each criterion;
# 3. evaluate plasmid lots against a specification, including a unit conversion you must do
#    yourself (endotoxin per mg of DNA);
# 4. justify the choice of selection marker (kanamycin rather than ampicillin).

# %%
from pdkit.tutorial import check, choose, exercise, lesson_header

lesson_header("11");

# %%
import pandas as pd

from pdkit import specs
from pdkit.units import convert

# %% [markdown]
# ## 1. Starting material or active substance?
#
# | plasmid used as | EU | US |
# |---|---|---|
# | template transfected into packaging cells to make a viral vector (AAV, LV) | **starting material**: for gene therapy products containing viral vectors, the starting materials are the components from which the vector is obtained, including the plasmids used to transfect the packaging cells (Directive 2001/83/EC, Annex I, Part IV, section 3.2.1, as amended by Directive 2009/120/EC) | described in the IND as a material of the vector's manufacture, with its manufacturing and testing (FDA CMC guidance for gene therapy INDs, January 2020) |
# | the medicinal product itself (plasmid DNA vaccine, non-viral gene therapy) | **active substance**; for plasmid products the starting materials are the plasmid, the host bacterium and the master cell bank of recombinant microbial cells (same Annex, section 3.2.1.4) | drug substance (FDA guidance on plasmid DNA vaccines for infectious disease indications, November 2007) |
#
# Consequences of the starting-material status in the EU:
#
# * the vector manufacturer qualifies the plasmid supplier and sets the plasmid specification as part
#   of its own control strategy (EU GMP Part IV, *Guidelines on Good Manufacturing Practice specific to
#   Advanced Therapy Medicinal Products*, 2017);
# * the dossier describes the plasmid's manufacture and control in less depth than an active
#   substance, but enough to show it is consistent and free of adventitious agents (EMA guideline on
#   quality, non-clinical and clinical requirements for investigational ATMPs, EMA/CAT/852602/2018);
# * "GMP-grade" plasmid is a supplier's claim, not a regulatory category: what counts is whether the
#   supplier's system and the tests match what your dossier and your risk assessment need.

# %% [markdown]
# ## 2. Quality attributes of a transfection-grade plasmid
#
# | attribute | method | why it matters for a vector | criterion used below (source) |
# |---|---|---|---|
# | identity | full-plasmid sequencing (or restriction map) | the vector genome, rep/cap and helper functions come from it | conforms to reference sequence |
# | supercoiled (ccc) fraction | AEX-HPLC or capillary/agarose electrophoresis | transfection efficiency | >= 90.0 % (EMA/NMPA column), >= 80 % (FDA column) of the compilation in J Biol Eng 2024, Table 2 |
# | endotoxin | LAL (USP <85>) | HEK293 productivity, carry-over into the vector | <= 10 EU/mg (same compilation; FDA column <= 40 EU/mg) |
# | host genomic DNA, RNA, protein | qPCR, gel, ELISA | carry-over of *E. coli* material | <= 10 ug/mg each, RNA not visible (same compilation, EMA column) |
# | sterility or bioburden | USP <71> | aseptic transfection step | no growth |
# | selection marker | design review | patient safety | kanamycin, not a beta-lactam (FDA 2007 DNA vaccine guidance recommends against beta-lactam selection because of hypersensitivity reactions) |
#
# The numbers in the table are **drug-substance** criteria for plasmid DNA vaccines, compiled by
# regulator in *J Biol Eng* (2024), doi:10.1186/s13036-024-00411-w; the primary documents behind
# them are FDA's 2007 guidance and the WHO guidelines for plasmid DNA vaccines (TRS 1028, Annex 2,
# 2021). For a starting material they are a reasonable, conservative starting point, and the vector
# manufacturer may justify other limits from its own data (how transfection titer depends on
# supercoiled content, for example). The specification below is a **training example**.

# %% tags=["nbval-check-output"]
SM_SPEC = specs.Specification.from_dict({
    "product": "pAAV-GOI transfection-grade plasmid (starting material, training example)",
    "version": "1.0",
    "effective_date": "2026-01-15",
    "attributes": [
        {"name": "identity_sequence", "method": "Full-plasmid sequencing", "criterion": "conforms",
         "expected": ["Conforms"]},
        {"name": "concentration", "method": "UV A260", "unit": "mg/mL", "criterion": "range",
         "lower": "0.90", "upper": "1.10", "note": "process-specific target 1.0 mg/mL"},
        {"name": "supercoiled", "method": "AEX-HPLC", "unit": "%", "criterion": ">=", "limit": "90.0"},
        {"name": "endotoxin", "method": "LAL kinetic chromogenic (USP <85>)", "unit": "EU/mg",
         "criterion": "<=", "limit": "10"},
        {"name": "host_gdna", "method": "E. coli gDNA qPCR", "unit": "ug/mg", "criterion": "<=", "limit": "10"},
        {"name": "host_protein", "method": "E. coli HCP ELISA", "unit": "ug/mg", "criterion": "<=",
         "limit": "10", "loq": "0.5"},
        {"name": "host_rna", "method": "Agarose gel", "criterion": "conforms", "expected": ["Not visible"]},
        {"name": "sterility", "method": "USP <71>", "criterion": "conforms", "expected": ["No growth"]},
    ],
})
for a in SM_SPEC.attributes:
    print(f"{a.name:18s} {a.criterion_text:22s} {a.unit:6s} {a.method}")

# %% [markdown]
# ## 3. Evaluating three lots
#
# QC reports endotoxin in **EU/mL** of the plasmid solution; the specification is per **mg of DNA**.
# EU/mg = (EU/mL) / (mg/mL). pdkit will not do this conversion for you - EU/mL and EU/mg have
# different dimensions, and `pdkit.units.convert` refuses to pretend otherwise:

# %% tags=["nbval-check-output"]
try:
    convert(4.2, "EU/mL", "EU/mg")
except ValueError as err:
    print("refused:", str(err)[:90])

# %% [markdown]
# So the QC table is converted explicitly, with the lot's own concentration. **The lot results are
# SYNTHETIC.**

# %% tags=["nbval-check-output"]
raw = pd.DataFrame({
    "lot": ["PL-26-011", "PL-26-012", "PL-26-013"],
    "identity_sequence": ["Conforms"] * 3,
    "concentration": [1.02, 0.98, 1.05],          # mg/mL
    "supercoiled": [93.4, 89.96, 91.2],           # %
    "endotoxin_eu_per_ml": [4.2, 3.1, 12.6],      # EU/mL of solution
    "host_gdna": [1.8, 2.4, 0.9],                 # ug/mg
    "host_protein": ["<0.5", "0.8", "<0.5"],      # ug/mg
    "host_rna": ["Not visible"] * 3,
    "sterility": ["No growth"] * 3,
})
raw["endotoxin"] = raw["endotoxin_eu_per_ml"] / raw["concentration"]
long = raw.drop(columns="endotoxin_eu_per_ml").melt(id_vars="lot", var_name="attribute", value_name="value")
long["value"] = long["value"].astype(str)
units = {a.name: a.unit for a in SM_SPEC.attributes}
long["unit"] = long["attribute"].map(units)
ev = specs.evaluate_lots(long, SM_SPEC)
print(ev.dispositions[["lot", "n_pass", "n_fail", "disposition"]].to_string(index=False))
notable = ev.results[(ev.results["result"] != "pass") | (ev.results["note"] != "")]
print(notable[["lot", "attribute", "reported", "criterion", "result"]].to_string(index=False))

# %% [markdown]
# Read the dispositions as a vector manufacturer would:
#
# * a supercoiled result just under the limit is rounded to the limit's decimals **before** comparing
#   (USP General Notices 7.20, lesson 06) - check which way it went;
# * a failing starting-material lot is rejected at goods-in and never reaches a bioreactor; it is
#   the supplier's OOS investigation, and your supplier-qualification file records it;
# * a host-protein result "< 0.5" is below the LOQ and within the limit.

# %% [markdown]
# ## Exercises
#
# Exercise 1 gives **you** your own QC results: `exercise(...)` prints them and returns them as `v`.
# For the choice questions set `choice` to a letter and explain it in `why`.

# %% [markdown]
# **Exercise 1.** Run the cell for your lot's endotoxin result (EU/mL) and DNA concentration (mg/mL).
# What is the endotoxin content in EU per mg of plasmid, the number you compare with the
# specification? (A number in EU/mg.)

# %% pdkit={"exercise": "11_plasmid_starting_material.endotoxin_eu_per_mg"} tags=["exercise"]
v = exercise("11_plasmid_starting_material.endotoxin_eu_per_mg")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("11_plasmid_starting_material.endotoxin_eu_per_mg", answer);

# %% [markdown]
# **Exercise 2.** Which of the three lots may go to AAV production?
#
# * a. All three: the failing values are close to their limits.
# * b. PL-26-011 and PL-26-012.
# * c. PL-26-011 only.
# * d. PL-26-011 and PL-26-013.

# %% pdkit={"exercise": "11_plasmid_starting_material.lots_to_use"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("11_plasmid_starting_material.lots_to_use", choice, why=why);

# %% [markdown]
# **Exercise 3.** You design a new Rep/Cap plasmid for a vector that will go to the clinic. Which
# selection marker do you choose?
#
# * a. Ampicillin resistance (bla), because it is the default in most cloning vectors.
# * b. Kanamycin resistance, or an antibiotic-free selection system.
# * c. No selection at all during fermentation, to avoid any antibiotic.
# * d. Both ampicillin and kanamycin resistance, for a more stable plasmid.

# %% pdkit={"exercise": "11_plasmid_starting_material.selection_marker"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("11_plasmid_starting_material.selection_marker", choice, why=why);

# %% [markdown]
# **Exercise 4.** In an EU marketing authorisation application for an AAV product made by triple
# transfection, what is the regulatory status of the three plasmids?
#
# * a. Active substances, each with its own full Module 3 section.
# * b. Excipients of the finished product.
# * c. Starting materials of the AAV active substance.
# * d. Reagents with no regulatory status.

# %% pdkit={"exercise": "11_plasmid_starting_material.regulatory_status"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("11_plasmid_starting_material.regulatory_status", choice, why=why);

# %% [markdown]
# ## Summary
#
# * Plasmids transfected to make a viral vector are **starting materials** (EU: Directive 2001/83/EC
#   Annex I Part IV, as amended by 2009/120/EC); a plasmid DNA vaccine is an **active substance**.
# * The vector manufacturer owns the plasmid specification: identity by sequence, supercoiled fraction,
#   endotoxin per mg, host DNA/RNA/protein, sterility, and a selection marker that avoids beta-lactams.
# * Published numeric criteria are drug-substance criteria for DNA vaccines (compiled in J Biol Eng
#   2024); a starting-material specification may start from them and be justified by process data.
# * Convert per-volume results to per-mg explicitly before comparing; round as USP 7.20 says.

# %% [markdown]
# ## What's next
#
# Lesson 12 uses plasmids of the third-generation lentiviral system and compares lentiviral vectors
# with AAV.
#
# ### Sources
#
# 1. Directive 2001/83/EC, Annex I, Part IV (Advanced therapy medicinal products), section 3.2.1, as
#    amended by Commission Directive 2009/120/EC.
# 2. European Commission (2017) EudraLex Volume 4, Guidelines on Good Manufacturing Practice specific
#    to Advanced Therapy Medicinal Products, C(2017) 7694 final, adopted 22 November 2017.
# 3. EMA, Guideline on quality, non-clinical and clinical requirements for investigational advanced
#    therapy medicinal products in clinical trials, EMA/CAT/852602/2018 (draft released for
#    consultation in 2019).
# 4. FDA (January 2020) Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy
#    Investigational New Drug Applications (INDs).
# 5. FDA (November 2007) Guidance for Industry: Considerations for Plasmid DNA Vaccines for Infectious
#    Disease Indications.
# 6. WHO (2021) Guidelines for assuring the quality, safety, and efficacy of plasmid DNA vaccines. WHO
#    Technical Report Series 1028, Annex 2.
# 7. J Biol Eng (2024), doi:10.1186/s13036-024-00411-w, Table 2 (plasmid criteria by regulator; a
#    compilation - check the primary document before use).
# 8. USP <85> Bacterial Endotoxins Test; USP <71> Sterility Tests; USP General Notices 7.20.
