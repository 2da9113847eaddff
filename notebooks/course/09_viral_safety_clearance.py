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
# # Lesson 09 - Viral safety: ICH Q5A(R2), adventitious agents, rcAAV/RCL and clearance
#
# *pdkit course, part 9 of 15. About 35 minutes.*

# %% [markdown]
# ## Overview
#
# A viral vector is made in human cells with animal- or human-derived materials nearby, so a
# contaminating virus could in principle reach the patient. ICH Q5A has long said how to guard
# against that for biotechnology products; its second revision, **ICH Q5A(R2)**, reached Step 4 on
# 1 November 2023 (in effect in the EU from 14 June 2024) and widens the scope to
# **genetically engineered viral vectors and viral-vector-derived products, including those made by
# transient transfection** such as AAV from HEK293 cells. It also recognises newer tools
# (next-generation sequencing, prior knowledge from platform processes, continuous manufacturing).
#
# Q5A rests on three complementary approaches (ICH Q5A(R1) section I, kept in R2): **select and test
# the cell lines and raw materials**, **test the product at appropriate stages** for adventitious
# viruses, and **show that the purification process clears viruses**. None is enough on its own.
# This lesson covers the testing strategy, replication-competent vector testing, and the clearance
# calculation - the log reduction value (LRV) per step, which steps you may add up, and the
# expected number of virus particles per dose.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 04 (step tables, `pdkit.downstream.log_reduction`, the orthogonality caveat).
# * Logarithms base 10 and the idea of a limit of detection (LOD).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. name what Q5A(R2) changed for viral vectors and where in the process each viral-safety test sits;
# 2. explain what rcAAV and RCL tests look for and why a lentiviral process cannot rely on clearance;
# 3. compute step LRVs from a spiking study, including results below the LOD (">=" values);
# 4. decide which step LRVs may be added to an overall claim, and compute the estimated particles
#    per dose and the LRV a process needs for a given dose.

# %%
from pdkit.tutorial import check, choose, exercise, lesson_header

lesson_header("09");

# %%
import math

import numpy as np
import pandas as pd

from pdkit.downstream import LRV_CAVEAT, estimated_particles_per_dose, log_reduction

# %% [markdown]
# ## 1. Where viral safety is tested
#
# | stage | what is tested | why |
# |---|---|---|
# | master and working cell banks (HEK293, 293T) | identity, sterility, mycoplasma, in vitro adventitious virus assays, specific human viruses, retroviruses; NGS may replace or supplement some assays under Q5A(R2) | the bank is the root of every lot |
# | raw materials of biological origin (serum, trypsin, plasmids' host-derived reagents) | source, certificates, inactivation (e.g. irradiation of serum) | avoid bringing a virus in |
# | unprocessed bulk (the harvest before purification) | mycoplasma, adventitious viruses in vitro, replication-competent vector | the most concentrated point at which a contaminant would be found |
# | purification process | viral clearance study in a scale-down model (this lesson, sections 3-4) | margin against what testing cannot exclude |
# | drug substance / product | sterility, endotoxin, replication-competent vector where required | release |
#
# The safety tests on the list come from the FDA guidance *Chemistry, Manufacturing, and Control
# (CMC) Information for Human Gene Therapy INDs* (January 2020), which asks for sterility, mycoplasma,
# adventitious agents and, for the vector type concerned, replication-competent virus testing.
#
# A viral vector is itself a virus, which limits what the process can do: a step that removes or
# inactivates "viruses" must spare the product. AAV is a small non-enveloped particle of about 25 nm
# (Xie et al. 2002, PNAS 99:10405), so detergent or solvent/detergent steps that destroy **enveloped**
# viruses leave it intact, and filters that retain larger viruses can be used. A lentiviral vector is
# itself enveloped (about 100 nm; Perry and Rayat 2021, Viruses 13:268), so such steps would destroy
# it: LV safety depends on cell-bank and raw-material control and on testing much more than on
# clearance.

# %% [markdown]
# ## 2. Replication-competent AAV (rcAAV) and lentivirus (RCL)
#
# * **rcAAV** (sometimes "pseudo-wild-type" AAV) arises when rep and cap become linked to the vector
#   ITRs by recombination during production. The usual test amplifies the sample in permissive cells
#   co-infected with a helper adenovirus over several passages and then looks for rep/cap sequences by
#   qPCR. FDA's 2020 CMC guidance lists replication-competent virus among the safety tests; the
#   acceptance criterion is a product decision agreed with the agency.
# * **RCL** could arise by recombination of the packaging and transfer plasmids in a lentiviral process
#   (lesson 12). FDA's guidance *Testing of Retroviral Vector-Based Human Gene Therapy Products for
#   Replication Competent Retrovirus During Product Manufacture and Patient Follow-up* (January 2020;
#   it replaced the November 2006 supplemental guidance) asks for RCR/RCL testing of the vector
#   supernatant and the end-of-production cells, with the amount tested chosen so that the test can
#   detect a low RCR concentration with high probability, and for patient monitoring.
#
# How much must be tested? If a virus is present at c infectious units per mL and you test V mL, the
# number in the sample is Poisson with mean cV, so the probability of missing it is exp(-cV). To
# detect with probability 1 - beta you need V = -ln(beta)/c; the same argument says that when nothing
# was found in V mL, c is below -ln(0.05)/V (about 3/V) with 95 % confidence. ICH Q5A(R1) Appendix 3
# uses this Poisson reasoning to show why a small sample of a large volume can miss a virus.

# %% tags=["nbval-check-output"]
beta = 0.05
for c_per_ml in (1.0, 0.1, 0.01):
    v_needed = -math.log(beta) / c_per_ml
    print(f"virus at {c_per_ml:g} IU/mL: test {v_needed:,.0f} mL to detect it with 95 % probability")

# %% [markdown]
# ## 3. A viral clearance study: step LRVs
#
# In a clearance study each purification step is run in a qualified **scale-down model** and spiked
# with a model virus; load and product pool are titrated (infectious units, here `IU/mL`). Each step
# is spiked separately, so each row has its own load. Model viruses cover different properties: a
# murine leukaemia virus (MuLV; enveloped RNA retrovirus), pseudorabies virus (PRV; large enveloped
# DNA virus) and minute virus of mice (MMV; small non-enveloped parvovirus, the hardest to remove).
#
# LRV = log10[(C_in V_in)/(C_out V_out)] (ICH Q5A(R1) Appendix 4; the same formula in Q5A(R2)). When
# the pool shows no virus the LOD is entered with `pool_qualifier` `<` and pdkit reports `>=`.
#
# **The numbers below are SYNTHETIC** (made up for this lesson, with typical orders of magnitude).

# %% tags=["nbval-check-output"]
rows = [
    # step, virus, load volume mL, log10 load titer, pool volume mL, log10 pool titer, pool below LOD
    ("detergent", "MuLV", 100, 6.5, 100, 1.0, "<"),
    ("affinity", "MuLV", 100, 6.2, 10, 3.0, ""),
    ("AEX", "MuLV", 50, 6.0, 50, 3.9, ""),
    ("nanofiltration", "MuLV", 100, 5.8, 100, 0.5, "<"),
    ("detergent", "PRV", 100, 6.0, 100, 1.0, "<"),
    ("affinity", "PRV", 100, 6.4, 10, 4.3, ""),
    ("AEX", "PRV", 50, 6.1, 50, 5.5, ""),
    ("nanofiltration", "PRV", 100, 6.1, 100, 0.5, "<"),
    ("detergent", "MMV", 100, 6.8, 100, 6.6, ""),
    ("affinity", "MMV", 100, 7.0, 10, 5.7, ""),
    ("AEX", "MMV", 50, 6.9, 50, 5.1, ""),
    ("nanofiltration", "MMV", 100, 6.7, 100, 6.3, ""),
]
spiking = pd.DataFrame(rows, columns=["step", "attribute", "load_volume", "load_log10", "pool_volume",
                                      "pool_log10", "pool_qualifier"])
spiking["load_conc"] = 10.0 ** spiking["load_log10"]
spiking["pool_conc"] = 10.0 ** spiking["pool_log10"]
spiking["volume_unit"] = "mL"
spiking["conc_unit"] = "IU/mL"
spiking["step_order"] = spiking["step"].map({"detergent": 1, "affinity": 2, "AEX": 3, "nanofiltration": 4})

lrv = log_reduction(spiking)
print(lrv[["attribute", "step", "lrv_text"]].to_string(index=False))

# %% [markdown]
# `log_reduction` also prints a cumulative column, but a plain running sum is not a clearance claim
# (`LRV_CAVEAT` below). Two things decide what you may add up:
#
# * **Each step must contribute something real.** USP <1050> (which follows Q5A) says an individual
#   reduction factor used for an overall factor should be greater than 1, because virus titrations are
#   imprecise; Q5A calls reductions of about 1 log10 or less negligible unless justified.
# * **Each mechanism counts once, and must be able to act on that virus.** Detergent inactivates
#   enveloped viruses only; two steps that remove a virus by the same mechanism are not independent,
#   so their LRVs are not additive (Q5A's "orthogonal" requirement).
#
# A ">=" in any claimed step makes the overall claim ">=" too.

# %% tags=["nbval-check-output"]
print(LRV_CAVEAT)
mechanism = {"detergent": "inactivation of envelope", "affinity": "affinity adsorption",
             "AEX": "charge adsorption", "nanofiltration": "size exclusion"}
enveloped = {"MuLV": True, "PRV": True, "MMV": False}
claim = lrv[["attribute", "step", "lrv", "lrv_qualifier"]].copy()
claim["mechanism"] = claim["step"].map(mechanism)
acts = ~((claim["mechanism"] == "inactivation of envelope") & ~claim["attribute"].map(enveloped))
claim["claimed"] = (claim["lrv"] > 1.0) & acts
# one step per mechanism and virus: keep the largest LRV of each mechanism
best = claim[claim["claimed"]].groupby(["attribute", "mechanism"])["lrv"].transform("max")
claim.loc[claim["claimed"], "claimed"] = claim.loc[claim["claimed"], "lrv"] == best
summary = (claim[claim["claimed"]].groupby("attribute", sort=False)
           .agg(overall_lrv=("lrv", "sum"), n_steps=("step", "size"),
                censored=("lrv_qualifier", lambda q: (q == ">=").any())))
for virus, r in summary.iterrows():
    print(f"{virus}: overall claimed LRV {'>= ' if r.censored else ''}{r.overall_lrv:.1f} from {r.n_steps} steps")

# %% [markdown]
# Read the result. The enveloped viruses are cleared by three or four independent mechanisms, several
# of them at the assay's limit (">="): a larger sample volume or a higher spike would have shown more.
# MMV, the small non-enveloped model, passes the detergent step untouched and is barely retained by
# a filter that the AAV product (itself about 25 nm) must pass; only the chromatography steps earn
# credit. That is the usual picture for AAV and the reason cell-bank and raw-material control
# matter as much as clearance.
#
# **A load below the LOD.** If a step is spiked with the *output* of the previous step instead of a
# fresh spike, its load can already be below the LOD. Then no LRV can be determined (pdkit reports
# "n.d." and leaves the step out of any sum); this is why each step is spiked separately with as much
# virus as the model tolerates.

# %% [markdown]
# ## 4. From LRV to particles per dose
#
# Q5A's worked example (ICH Q5A(R1) Appendix 5, carried into R2): with an estimated 1e6 virus particles
# per mL of harvest, 1 L of harvest per dose and a clearance of more than 1e15 (LRV > 15), the
# estimated particles per dose are below 1e-6, i.e. less than one particle per million doses.
# `estimated_particles_per_dose` reproduces it:

# %% tags=["nbval-check-output"]
print(f"ICH example: {estimated_particles_per_dose(1e6, 1e3, 15):.0e} particles per dose")

# %% [markdown]
# For a systemic AAV gene therapy the harvest volume behind one dose is large. Take the labelled dose
# of onasemnogene abeparvovec, 1.1e14 vg/kg (ZOLGENSMA US prescribing information, 2019), a crude
# harvest of about 1e10 vg/mL (Chahal et al. 2014, J Virol Methods 196:163) and the course's
# planning value of 30 % overall downstream yield (`docs/course/primer.md`):
#
# harvest volume per dose = dose / (harvest titer x downstream yield).
#
# If a virus were present in the harvest at the concentration of Q5A's example (1e6 per mL - a
# hypothetical worst case, not a measured value), the LRV needed for fewer than 1e-6 particles per
# dose is log10(concentration x volume per dose / 1e-6).

# %% tags=["nbval-check-output"]
DOSE_VG_PER_KG = 1.1e14    # ZOLGENSMA label (2019)
HARVEST_VG_PER_ML = 1e10   # Chahal et al. 2014
DSP_YIELD = 0.30           # planning value, docs/course/primer.md
VIRUS_PER_ML = 1e6         # ICH Q5A(R1) Appendix 5 example concentration (hypothetical here)
TARGET = 1e-6              # fewer than one particle per million doses

def harvest_ml_per_dose(weight_kg):
    return DOSE_VG_PER_KG * weight_kg / (HARVEST_VG_PER_ML * DSP_YIELD)

def required_lrv(weight_kg, virus_per_ml=VIRUS_PER_ML, target=TARGET):
    return math.log10(virus_per_ml * harvest_ml_per_dose(weight_kg) / target)

weight = 5.0  # kg, an infant patient (choose your own in the exercises)
v = harvest_ml_per_dose(weight)
print(f"{weight:g} kg patient: {v / 1000:.0f} L of harvest per dose; "
      f"LRV needed for < 1e-6 particles/dose: {required_lrv(weight):.1f}")
mulv = summary.loc["MuLV", "overall_lrv"]
print(f"with the claimed MuLV clearance (>= {mulv:.1f}): "
      f"<= {estimated_particles_per_dose(VIRUS_PER_ML, v, mulv):.1e} particles per dose")

# %% [markdown]
# The harvest volume behind a single high dose is of the order of a hundred litres, so the same
# clearance buys a smaller margin than for a product made from 1 L per dose: here even four
# orthogonal steps leave the bound slightly above the 1e-6 target, because two of the four MuLV
# values are only lower bounds limited by the spike and the LOD. A sponsor would
# present this margin for each relevant virus. For CHO-derived proteins the calculation uses the
# measured load of endogenous retrovirus-like particles in the harvest; where no such load is
# measured, as here, it is a risk-assessment tool with an assumed concentration, and the assumption
# must be stated.

# %% [markdown]
# ## Exercises
#
# Use the tables and functions above. Exercise 2 gives **you** your own patient and clearance:
# `exercise(...)` prints your numbers and returns them as `v`. For the choice questions, set `choice`
# to a letter and write your reasoning in `why` - a choice without a justification is not complete,
# and your trainer will read it.

# %% [markdown]
# **Exercise 1.** Your company adds a second anion-exchange step (a membrane adsorber) after the AEX
# column. In the MMV spiking study it gives an LRV of 2.4. Using the rules of section 3, what overall
# LRV for MMV may you now claim? (A number.)

# %% pdkit={"exercise": "09_viral_safety_clearance.mmv_claim_with_second_aex"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("09_viral_safety_clearance.mmv_claim_with_second_aex", answer);

# %% [markdown]
# **Exercise 2.** Run the cell: it prints a patient weight and a claimed LRV that are yours. With the
# assumptions of section 4 (virus concentration, harvest titer, downstream yield, dose per kg), what
# is the estimated number of virus particles per dose? (A number; the functions of section 4 help.)

# %% pdkit={"exercise": "09_viral_safety_clearance.particles_per_dose_trainee"} tags=["exercise"]
v = exercise("09_viral_safety_clearance.particles_per_dose_trainee")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("09_viral_safety_clearance.particles_per_dose_trainee", answer);

# %% [markdown]
# **Exercise 3.** For a 12 kg patient, what LRV does the process need so that the estimated particles
# per dose stay below 1e-6, with the assumptions of section 4? (A number.)

# %% pdkit={"exercise": "09_viral_safety_clearance.required_lrv_12kg"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("09_viral_safety_clearance.required_lrv_12kg", answer);

# %% [markdown]
# **Exercise 4.** In a new study the nanofiltration pool for MuLV shows no virus in 100 mL tested
# with an LOD of 10^0.5 IU/mL, but the load could only be spiked to 10^3.0 IU/mL because the virus
# stock was weak. Which statement is right?
#
# * a. The step LRV is ">= 2.5"; it may be claimed, but it understates the step, and a higher spike
#   or a larger-volume assay of the pool would show more.
# * b. The step LRV is exactly 2.5, because the pool titer is the LOD.
# * c. No LRV can be determined, because the pool is below the LOD.
# * d. The LRV is ">= 2.5" but may not be claimed, because any ">=" value is excluded from the sum.

# %% pdkit={"exercise": "09_viral_safety_clearance.lod_statement"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("09_viral_safety_clearance.lod_statement", choice, why=why);

# %% [markdown]
# **Exercise 5.** A lentiviral vector process has no detergent step and no virus filtration. Which
# control carries most of the weight for its viral safety?
#
# * a. Adding a low-pH hold after harvest.
# * b. Testing of the cell banks and raw materials, plus adventitious-agent and RCL testing of the
#   unprocessed bulk, end-of-production cells and product.
# * c. A 20 nm virus filter before fill.
# * d. Claiming the sum of all chromatography LRVs, whatever their mechanism.

# %% pdkit={"exercise": "09_viral_safety_clearance.lv_safety_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("09_viral_safety_clearance.lv_safety_choice", choice, why=why);

# %% [markdown]
# ## Summary
#
# * ICH Q5A(R2) (Step 4, 1 November 2023) covers viral vectors made by transient transfection and keeps
#   the three pillars: test the cell banks and raw materials, test the product at the right stages,
#   and show clearance.
# * rcAAV and RCL are tested on the product (and for RCL on end-of-production cells); FDA's 2020 CMC
#   and 2020 RCR guidances are the US references.
# * LRV = log10(amount in / amount out) per step; results below the LOD give ">=" values; a load below
#   the LOD gives no LRV at all.
# * Only steps with LRV > 1 and independent mechanisms that can act on the virus are added; the
#   overall LRV turns into an estimated number of particles per dose, which depends on the harvest
#   volume per dose - large for high-dose AAV.

# %% [markdown]
# ## What's next
#
# Lesson 10 turns to the non-viral impurities of a HEK293 process: residual host-cell DNA (with the
# E1A/SV40 question), plasmid DNA, host-cell protein and empty capsids. Lesson 12 returns to RCL
# for lentiviral vectors.

# %% [markdown]
# ### Sources
#
# 1. ICH Q5A(R2) *Viral safety evaluation of biotechnology products derived from cell lines of human
#    or animal origin*, Step 4, 1 November 2023; EMA: in effect 14 June 2024.
# 2. ICH Q5A(R1) (1999): section I (three approaches), Appendix 3 (statistical considerations),
#    Appendix 4 (calculation of reduction factors), Appendix 5 (estimated particles per dose).
# 3. USP <1050> *Viral safety evaluation of biotechnology products derived from cell lines of human
#    or animal origin* (individual reduction factors greater than 1).
# 4. FDA (January 2020) *Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy
#    Investigational New Drug Applications (INDs)*, guidance for industry.
# 5. FDA (January 2020) *Testing of Retroviral Vector-Based Human Gene Therapy Products for Replication
#    Competent Retrovirus During Product Manufacture and Patient Follow-up*; it replaced FDA (November
#    2006) *Supplemental Guidance on Testing for Replication Competent Retrovirus in Retroviral Vector
#    Based Gene Therapy Products and During Follow-up of Patients in Clinical Trials Using Retroviral
#    Vectors*.
# 6. Xie Q et al. (2002) The atomic structure of adeno-associated virus (AAV-2), a vector for human
#    gene therapy. PNAS 99:10405-10410.
# 7. ZOLGENSMA (onasemnogene abeparvovec-xioi) US prescribing information (2019): 1.1e14 vg/kg.
# 8. Chahal PS et al. (2014) J Virol Methods 196:163-173 (crude AAV titers about 1e10 vg/mL).
# 9. Course primer, `docs/course/primer.md` (30 % downstream planning yield).
# 10. Perry C, Rayat ACME (2021) Lentiviral vector bioprocessing. Viruses 13:268 (LV particle size).
