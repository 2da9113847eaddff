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
# # Lesson 12 - Lentiviral vectors: production, titers, stability and purification
#
# *pdkit course, part 12 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Lentiviral vectors (LV) deliver a gene that **integrates** into the target cell's genome, which is
# why they are used to modify cells ex vivo (CAR-T cells, haematopoietic stem cells). Most clinical
# LV are made like AAV, by transient transfection of HEK293T cells, but the product behaves very
# differently: it is an **enveloped** RNA virus particle of about 100 nm (Perry and Rayat 2021), fragile at 37 °C and in
# processing, counted in **transducing units** rather than genome copies, and tested for
# **replication-competent lentivirus (RCL)** instead of rcAAV.
#
# This lesson covers the third-generation vector system, the titer units and why pdkit keeps them
# apart, the particle-to-infectivity ratio, the half-life at 37 °C, step yields through purification,
# and a side-by-side comparison with AAV. **All process data in this lesson are SYNTHETIC.**

# %% [markdown]
# ## Prerequisites
#
# * Lesson 02 (transient transfection) and lesson 04 (step yields).
# * Lesson 09, section 2 (replication-competent vectors and the Poisson sampling argument).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. describe the four plasmids of a third-generation LV system and what each one contributes;
# 2. compute a functional titer (TU/mL) from a flow-cytometry transduction and a physical titer from
#    p24, and their ratio; explain why they never convert into each other;
# 3. estimate vector half-life at 37 °C from a decay time course and the loss during a hold;
# 4. compute step and overall yields of an LV purification train and contrast LV with AAV.

# %%
from pdkit.tutorial import check, choose, exercise, lesson_header

lesson_header("12");

# %%
import math

import numpy as np
import pandas as pd

from pdkit.downstream import step_yields
from pdkit.units import convert

# %% [markdown]
# ## 1. The third-generation system and RCL
#
# Third-generation LV packaging (Dull et al. 1998, J Virol 72:8463) splits the HIV-1 functions over
# separate plasmids so that no single recombination can rebuild a replicating virus:
#
# | plasmid | provides | note |
# |---|---|---|
# | transfer plasmid | the vector genome: transgene between self-inactivating (SIN) LTRs, packaging signal, RRE | SIN design: Zufferey et al. 1998, J Virol 72:9873 |
# | packaging plasmid | gag/pol (capsid, reverse transcriptase, integrase) | no tat, vif, vpr, vpu, nef |
# | rev plasmid | Rev, for nuclear export of the genomic RNA | on its own plasmid in the third generation |
# | envelope plasmid | VSV-G glycoprotein (pseudotyping) | broad tropism; used for LV by Naldini et al. 1996, Science 272:263 |
#
# HEK293T cells express SV40 large T antigen (DuBridge et al. 1987, Mol Cell Biol 7:379), relevant to
# the residual-DNA assessment of lesson 10. VSV-G is toxic to the producer cells, which is one reason
# LV is made by transient transfection and harvested within a few days.
#
# **RCL testing.** FDA's guidance on testing retroviral vector-based products for replication-competent
# retrovirus (January 2020) asks for RCR/RCL tests on the vector supernatant and the end-of-production
# cells, with amounts chosen so that a low concentration would be detected with high probability
# (the Poisson argument of lesson 09), and for monitoring of treated patients. Because the vector is
# itself enveloped, detergent inactivation and small-pore virus filtration are not available for
# clearance (lesson 09).

# %% [markdown]
# ## 2. Titers: functional versus physical
#
# * **Functional titer** (TU/mL): transduce a known number of cells with a known vector volume and
#   count transduced cells by flow cytometry (transgene or marker), or count integrated vector copies by
#   qPCR. TU/mL = fraction positive x cells at transduction / vector volume (mL). Use dilutions where
#   the fraction positive is low, so that few cells receive two vectors and the count stays linear.
# * **Physical titer**: p24 capsid protein by ELISA (pg/mL), or vector RNA by RT-qPCR (two RNA genomes
#   per particle). Converting p24 to particles needs an **assumed** number of p24 molecules per
#   particle; the 2,000 used by commercial p24 kits (e.g. Takara Lenti-X p24 Rapid Titer Kit manual)
#   gives 1 ng p24 for about 1.25e7 particles, with p24's molar mass of about 24 kDa.
# * **Particle-to-infectivity ratio** = physical particles / TU: a quality attribute (empty or
#   defective particles, damage in processing), reported with the assumption used.
#
# pdkit's units keep these apart on purpose: TU (and IU, IFU) convert to other volumes but never into
# genome copies (`vg`/`GC`) or particles (`cp`), because their ratio is an assay result, not a unit.

# %% tags=["nbval-check-output"]
print(float(convert(2.4e7, "TU/mL", "TU/L")), "TU/L")
for target in ("vg/mL", "cp/mL"):
    try:
        convert(2.4e7, "TU/mL", target)
    except ValueError as err:
        print("refused:", str(err))

# %% [markdown]
# A transduction titration of the harvest (SYNTHETIC): 1e5 HEK293T cells per well, vector
# diluted into the wells, % GFP-positive cells by flow cytometry after 72 h. The wells in the linear
# range (the window chosen for this assay: 2-20 % positive) are averaged.

# %% tags=["nbval-check-output"]
AVOGADRO = 6.02214076e23       # 1/mol (SI, exact)
P24_G_PER_MOL = 24_000.0       # p24 molar mass, about 24 kDa
P24_PER_PARTICLE = 2_000       # assumption of commercial p24 kits (e.g. Takara Lenti-X manual)

def particles_per_pg_p24(p24_per_particle=P24_PER_PARTICLE):
    return AVOGADRO * 1e-12 / P24_G_PER_MOL / p24_per_particle

cells = 1e5
titration = pd.DataFrame({"vector_ul": [0.03, 0.1, 0.3, 1.0, 3.0],
                          "pct_positive": [0.8, 2.5, 7.0, 19.5, 43.0]})
titration["tu_per_ml"] = titration["pct_positive"] / 100 * cells / (titration["vector_ul"] / 1000)
linear = titration[(titration["pct_positive"] >= 2) & (titration["pct_positive"] <= 20)]
tu_per_ml = float(linear["tu_per_ml"].mean())
print(titration.to_string(index=False, float_format="%.3g"))
print(f"functional titer (linear wells): {tu_per_ml:.2e} TU/mL")

p24_pg_per_ml = 9.0e4          # p24 ELISA of the same harvest (SYNTHETIC)
particles = p24_pg_per_ml * particles_per_pg_p24()
print(f"{particles_per_pg_p24():.3g} particles per pg p24 -> {particles:.2e} particles/mL")
print(f"particle-to-infectivity ratio about {particles / tu_per_ml:.0f} (with {P24_PER_PARTICLE} p24 per particle)")

# %% [markdown]
# The 3 uL well (43 % positive) is outside the linear range and gives a lower apparent titer: some
# cells received more than one vector. That is why it is excluded.

# %% [markdown]
# ## 3. Stability at 37 °C
#
# LV loses infectivity quickly at culture temperature: Dautzenberg et al. (2021, Gene Ther 28:89)
# measured half-lives of 8-40 h for LV with different envelopes in culture medium, 35 h for VSV-G.
# Loss follows first-order decay, TU(t) = TU0 x 2^(-t / t_half), so ln TU falls on a straight line and
# t_half = ln 2 / slope. A SYNTHETIC time course of a harvest held at 37 °C:

# %% tags=["nbval-check-output"]
rng = np.random.default_rng(12)
hours = np.array([0, 6, 12, 24, 36, 48])
tu = 2.4e7 * 2 ** (-hours / 30.0) * np.exp(rng.normal(0, 0.08, hours.size))   # SYNTHETIC
slope, intercept = np.polyfit(hours, np.log(tu), 1)
t_half = math.log(2) / -slope
print(pd.DataFrame({"hours": hours, "TU_per_mL": tu}).to_string(index=False, float_format="%.2e"))
print(f"fitted half-life at 37 °C: {t_half:.0f} h; infectivity left after a 12 h hold: "
      f"{100 * 2 ** (-12 / t_half):.0f} %")

# %% [markdown]
# In practice: harvest at a defined time, clarify and cool promptly, keep hold steps short and cold,
# and freeze the drug substance; a hold-time study is part of process validation.

# %% [markdown]
# ## 4. Purification yields and the comparison with AAV
#
# A typical LV train is clarification (depth filtration), nuclease treatment, anion-exchange capture
# (often a membrane adsorber, eluted with high salt), TFF concentration and buffer exchange, and
# sterile filtration; Valkama et al. (2020, Mol Ther Methods Clin Dev 17:717) scaled such a train and
# reached 1.97e9 TU/mL in the final product, and Perry and Rayat (2021, Viruses 13:268) review the
# unit operations. The step table below is SYNTHETIC, with both TU and p24 measured at every step:

# %% tags=["nbval-check-output"]
lv = pd.DataFrame({
    "step": ["clarification"] * 2 + ["AEX_membrane"] * 2 + ["TFF"] * 2 + ["sterile_filtration"] * 2,
    "attribute": ["TU", "p24"] * 4,
    "volume_unit": "mL",
    "conc_unit": ["TU/mL", "pg/mL"] * 4,
    "load_volume": [10000, 10000, 9800, 9800, 400, 400, 100, 100],
    "load_conc": [2.4e7, 9.0e4, 2.2e7, 8.6e4, 2.9e8, 1.6e6, 8.1e8, 5.7e6],
    "pool_volume": [9800, 9800, 400, 400, 100, 100, 98, 98],
    "pool_conc": [2.2e7, 8.6e4, 2.9e8, 1.6e6, 8.1e8, 5.7e6, 5.3e8, 4.6e6],
})
for product in ("TU", "p24"):
    y = step_yields(lv, product=product)
    print(product, " -> ".join(f"{s} {p:.0f} %" for s, p in zip(y["step"], y["yield_pct"])),
          f"| overall {100 * y.attrs['overall_yield']:.0f} %")

# %% [markdown]
# Functional recovery is lower than particle recovery, mostly at the AEX elution (high salt) and the
# sterile filter: the particle-to-infectivity ratio **rises** through purification. Tracking both
# titers per step shows where infectivity, not just mass, is lost.
#
# | | AAV | lentiviral vector |
# |---|---|---|
# | particle | non-enveloped, about 25 nm, single-stranded DNA | enveloped, about 100 nm, two RNA genomes |
# | in the patient | mostly episomal | integrates into the genome |
# | strength | vg/mL (qPCR/ddPCR), capsids (ELISA), % full | TU/mL (flow, qPCR), p24, RNA copies |
# | replication-competent test | rcAAV | RCL (FDA 2020 RCR guidance) |
# | viral clearance options | detergent, virus filtration with pore size above AAV | neither (would destroy the vector) |
# | stability | robust; tolerates processing | labile at 37 °C (half-life of hours to days) and to shear, salt, freeze-thaw |
# | typical use | in vivo gene therapy | ex vivo cell modification (CAR-T, HSC) |

# %% [markdown]
# ## Exercises
#
# Exercises 1 and 2 give **you** your own numbers: `exercise(...)` prints them and returns them as
# `v`. For the choice question set `choice` to a letter and explain it in `why`.

# %% [markdown]
# **Exercise 1.** Run the cell for your titration well: the number of cells transduced, the vector
# volume and the fraction of positive cells. What is the functional titer in TU/mL? (A number.)

# %% pdkit={"exercise": "12_lentivirus.flow_titer"} tags=["exercise"]
v = exercise("12_lentivirus.flow_titer")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("12_lentivirus.flow_titer", answer);

# %% [markdown]
# **Exercise 2.** Run the cell for your sample's p24 and functional titer. With the kit assumption of
# 2,000 p24 molecules per particle, what is the particle-to-infectivity ratio? (A number.)

# %% pdkit={"exercise": "12_lentivirus.particle_infectivity_ratio"} tags=["exercise"]
v = exercise("12_lentivirus.particle_infectivity_ratio")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("12_lentivirus.particle_infectivity_ratio", answer);

# %% [markdown]
# **Exercise 3.** Using the half-life fitted in section 3, what percentage of the infectivity is left
# after the harvest is held for 20 h at 37 °C? (A number in %.)

# %% pdkit={"exercise": "12_lentivirus.hold_20h_pct"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("12_lentivirus.hold_20h_pct", answer);

# %% [markdown]
# **Exercise 4.** A CAR-T process transduces activated T cells at a target multiplicity of infection
# (MOI, vectors per cell). Which titer do you use to calculate the vector volume?
#
# * a. The functional titer (TU/mL), measured on a relevant cell line with a qualified assay.
# * b. The p24 titer converted to particles, because it is more precise.
# * c. The RNA copy titer divided by two.
# * d. A vg/mL titer obtained by converting TU/mL with pdkit.

# %% pdkit={"exercise": "12_lentivirus.moi_titer_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("12_lentivirus.moi_titer_choice", choice, why=why);

# %% [markdown]
# ## Summary
#
# * Third-generation LV: transfer (SIN), gag/pol, rev and VSV-G plasmids in HEK293T (Dull et al. 1998).
# * TU/mL (functional) and p24 or RNA (physical) are different quantities; their ratio is a quality
#   attribute and depends on a stated assumption (p24 molecules per particle).
# * LV decays at 37 °C with a half-life of hours to a day or two (35 h for VSV-G in culture medium,
#   Dautzenberg et al. 2021): keep holds short and cold.
# * Track functional and physical recovery per step; infectivity is lost faster than particles.
# * RCL testing replaces rcAAV testing; clearance by detergent or virus filtration is not possible.

# %% [markdown]
# ## What's next
#
# Lesson 13 builds the QbD chain - target profile, CQAs, risk assessment, design space and control
# strategy - for an AAV product; the same chain applies to LV with TU and the particle-to-infectivity
# ratio among the CQAs.
#
# ### Sources
#
# 1. Dull T et al. (1998) A third-generation lentivirus vector with a conditional packaging system.
#    J Virol 72:8463-8471.
# 2. Zufferey R et al. (1998) Self-inactivating lentivirus vector for safe and efficient in vivo gene
#    delivery. J Virol 72:9873-9880.
# 3. Naldini L et al. (1996) In vivo gene delivery and stable transduction of nondividing cells by a
#    lentiviral vector. Science 272:263-267.
# 4. DuBridge RB et al. (1987) Mol Cell Biol 7:379-387 (293T cells, SV40 large T antigen).
# 5. FDA (January 2020) Testing of Retroviral Vector-Based Human Gene Therapy Products for Replication
#    Competent Retrovirus During Product Manufacture and Patient Follow-up.
# 6. Dautzenberg IJC, Rabelink MJWE, Hoeben RC (2021) The stability of envelope-pseudotyped lentiviral
#    vectors. Gene Ther 28:89-104.
# 7. Valkama AJ et al. (2020) Development of large-scale downstream processing for lentiviral vectors.
#    Mol Ther Methods Clin Dev 17:717-730.
# 8. Perry C, Rayat ACME (2021) Lentiviral vector bioprocessing. Viruses 13:268.
# 9. Takara Bio, Lenti-X p24 Rapid Titer Kit user manual (2,000 p24 molecules per particle assumed).
# 10. BIPM (2019) The International System of Units, 9th edition: Avogadro constant 6.02214076e23 /mol.
