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
# # Lesson 10 - Residual DNA and process impurities in a HEK293 vector
#
# *pdkit course, part 10 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# Lesson 04 compared the residual host-cell DNA of a purification train with the 10 ng per dose
# benchmark. This lesson explains where that benchmark comes from, what it was written for, and the
# reasoning behind it. Residual DNA from a continuous
# cell line is a theoretical risk in two ways - it could carry an **oncogene** or an **infectious
# genome** into the patient - and both risks fall with the **amount** of DNA and with its **fragment
# size**. HEK293 cells add a specific question: they carry adenovirus 5 DNA including the
# transforming **E1A/E1B** genes (Graham et al. 1977; Louis et al. 1997), and 293T cells also express
# **SV40 large T antigen** (DuBridge et al. 1987). A viral-vector process also leaves residual
# **plasmid DNA**, **host-cell protein (HCP)**, **nuclease** (Benzonase) and **empty capsids**.
#
# You will turn a qPCR result into ng per dose for a patient's dose in vg/kg, compare it with the
# benchmark, estimate how fragmentation reduces the number of intact target genes, and list the other
# impurities with their tests.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 04 (residual impurities per dose with `residual_impurity`).
# * Lesson 02 (vg and capsid titers, % full).

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. state the residual-DNA benchmarks (amount and size), where they come from and what they were
#    written for;
# 2. compute residual host-cell DNA in ng per dose from a qPCR result, a vg titer and a dose in vg/kg;
# 3. explain why HEK293 products are tested for E1A (and 293T products for SV40 large T) sequences,
#    and estimate the effect of fragment size on the number of intact targets;
# 4. list the other process- and product-related impurities of an AAV process and how each is tested.

# %%
from pdkit.tutorial import check, choose, exercise, lesson_header

lesson_header("10");

# %%
import numpy as np
import pandas as pd

from pdkit.downstream import residual_impurity
from pdkit.units import convert

# %% [markdown]
# ## 1. Benchmarks and where they come from
#
# | benchmark | value | source | written for |
# |---|---|---|---|
# | residual DNA per dose | at most 10 ng per parenteral dose | WHO TRS 978, Annex 3 (2013); FDA guidance on cell substrates for viral vaccines (2010) | vaccines made in continuous cell lines |
# | DNA fragment size | reduced to about 200 bp or less | same two documents | same |
#
# Both documents concern **vaccines**, whose dose is a small volume given once or a few times. A
# systemic AAV dose is counted in vg per kg of body weight, so the same concentration of host DNA
# becomes a larger amount per dose for a heavier patient. FDA's 2020 CMC guidance for gene-therapy
# INDs asks for host-cell DNA and residual plasmid DNA to be tested and controlled but does not set
# a number; sponsors use the vaccine benchmarks as reference points in a risk assessment and explain
# any excess with fragment-size data and sequence-specific tests.

# %% [markdown]
# ## 2. From a qPCR result to ng per dose
#
# The final drug substance is tested by qPCR: total HEK293 DNA against a genomic-DNA standard curve
# (ng/mL), the adenovirus **E1A** sequence (copies/mL) and a plasmid backbone sequence, here the
# kanamycin-resistance gene **kanR** (copies/mL). The vg titer is 2.0e13 vg/mL, the nominal
# concentration of ZOLGENSMA (US prescribing information, 2019), and the dose is the label dose of
# 1.1e14 vg/kg. **The impurity results are SYNTHETIC.**
#
# dose volume = dose (vg) / titer (vg/mL); impurity per dose = concentration x dose volume. pdkit's
# `residual_impurity` does exactly this from a step table (here one row per attribute of the final
# pool), and `pdkit.units.convert` keeps copies and ng apart from vg.

# %% tags=["nbval-check-output"]
DOSE_VG_PER_KG = 1.1e14          # ZOLGENSMA label (2019)
TITER_VG_PER_ML = 2.0e13         # ZOLGENSMA nominal concentration (2019)
BENCHMARK_NG_PER_DOSE = 10.0     # WHO TRS 978 Annex 3 (2013); FDA 2010

results = pd.DataFrame({
    "attribute": ["vg", "hcDNA", "E1A", "kanR", "HCP"],
    "conc_unit": ["vg/mL", "ng/mL", "copies/mL", "copies/mL", "ng/mL"],
    "pool_conc": [TITER_VG_PER_ML, 0.12, 150.0, 2.0e10, 8.0],   # SYNTHETIC results
})
ds = results.assign(step="drug_substance", volume_unit="mL", load_volume=1.0,
                    load_conc=results["pool_conc"], pool_volume=1.0)

def per_dose(weight_kg):
    """Residual impurities in one dose for a patient of weight_kg."""
    return residual_impurity(ds, per="dose", dose=DOSE_VG_PER_KG * weight_kg, product="vg")

weight = 8.0  # kg
table = per_dose(weight)
dose_ml = float(convert(DOSE_VG_PER_KG * weight / TITER_VG_PER_ML, "mL", "L")) * 1000
print(f"{weight:g} kg patient: {DOSE_VG_PER_KG * weight:.2e} vg in {dose_ml:.0f} mL")
print(table[["attribute", "residual_text", "unit"]].to_string(index=False))
hc = float(table.loc[table["attribute"] == "hcDNA", "residual"].iloc[0])
print(f"host-cell DNA {hc:.1f} ng per dose vs benchmark {BENCHMARK_NG_PER_DOSE:g} ng: "
      f"{'within' if hc <= BENCHMARK_NG_PER_DOSE else 'ABOVE'} the benchmark")

# %% [markdown]
# The same concentration gives an amount per dose that grows with the patient's weight. A
# per-concentration specification (ng per 1e13 vg, or ng/mL at a fixed vg titer) is therefore the
# practical way to write the limit, with the benchmark checked at the highest intended dose.

# %% tags=["nbval-check-output"]
per_1e13 = residual_impurity(ds, per="dose", dose=1e13, product="vg")
print(per_1e13[["attribute", "residual_text", "unit"]].to_string(index=False))

# %% [markdown]
# ## 3. HEK293 sequences and fragment size
#
# HEK293 cells contain the left end of the adenovirus 5 genome, including E1A and E1B, integrated in
# chromosome 19 (Graham et al. 1977, J Gen Virol 36:59; Louis et al. 1997, Virology 233:423). E1A is a
# transforming gene, so a HEK293-derived product is tested specifically for E1A DNA (and, if made in
# 293T cells, for the SV40 large T antigen gene, DuBridge et al. 1987, Mol Cell Biol 7:379). AAV
# capsids can also package fragments of host and plasmid DNA, so part of this DNA is protected from
# nuclease (Chadeuf et al. 2005, Mol Ther 12:744).
#
# qPCR counts **amplicons** (here about 100 bp), not intact genes. If the DNA has been cut at random -
# the assumption of the residual-DNA risk model of Yang, Zhang and Galinski (2010, Vaccine 28:3308) -
# each base pair is a cut site with the same small probability p, fragment lengths are geometric with
# median M close to ln 2 / p, and a stretch of L bp escapes every cut with probability
# (1 - p)^L, close to 2^(-L/M). An amplicon of a bp is intact in every copy counted; the whole target
# of m bp is then intact with probability 2^(-(m - a)/M).
#
# The fragment sizes below are **SYNTHETIC**, drawn from the random-cut model with a seed; in practice
# they come from a fragment analyser or a set of qPCR assays of increasing amplicon length. The target
# length m = 1,000 bp is an **illustrative** choice - change it to the length that matters for your
# risk assessment.

# %% tags=["nbval-check-output"]
rng = np.random.default_rng(2024)
fragments = rng.geometric(p=np.log(2) / 250.0, size=5000)   # SYNTHETIC fragment lengths (bp)
median_bp = float(np.median(fragments))
print(f"median fragment {median_bp:.0f} bp; {100 * np.mean(fragments > 200):.0f} % of fragments longer than 200 bp")

AMPLICON_BP = 100     # qPCR amplicon (assay design)
TARGET_BP = 1000      # illustrative target length

def intact_fraction(median, target=TARGET_BP, amplicon=AMPLICON_BP):
    """Probability that a counted copy carries the whole target, under random fragmentation."""
    return 2.0 ** (-(target - amplicon) / median)

e1a_copies = float(table.loc[table["attribute"] == "E1A", "residual"].iloc[0])
for m in (median_bp, 200.0):
    print(f"median {m:.0f} bp: fraction intact {intact_fraction(m):.1e}; "
          f"intact {TARGET_BP}-bp E1A targets per dose about {e1a_copies * intact_fraction(m):.2g}")

# %% [markdown]
# Halving the median fragment size squares the intact fraction - that is why the guidelines ask for
# both a small amount **and** a small size, and why nuclease treatment (Benzonase) early in the
# process matters: it cuts the DNA that is not inside capsids. The model is only as good as its
# random-cut assumption; packaged DNA inside capsids is protected from nuclease and may be longer.

# %% [markdown]
# ## 4. The other impurities of an AAV process
#
# FDA's 2020 CMC guidance lists, among purity tests for a gene-therapy vector, product-related
# impurities (empty and partial capsids, aggregates) and process-related impurities (host-cell
# protein and DNA, residual plasmid, reagents such as nuclease, BSA where used, leached affinity
# ligand):
#
# | impurity | typical test | why it matters |
# |---|---|---|
# | host-cell DNA (total, E1A, SV40 LT) | qPCR / ddPCR, fragment size | oncogenic / infectious risk (section 3) |
# | residual plasmid (backbone, kanR, rep/cap, helper sequences) | qPCR / ddPCR | encapsidated plasmid sequences reach the patient |
# | host-cell protein | HEK293 HCP ELISA, mass spectrometry | immunogenicity |
# | nuclease (Benzonase) | ELISA | process reagent, foreign protein |
# | empty and partial capsids | AUC, cryo-EM, SEC-MALS, vg/capsid ratio | add capsid antigen without therapeutic genome |
#
# Empty capsids are counted per dose like any other impurity: at a given vg dose, the capsid load is
# vg / fraction full.

# %% tags=["nbval-check-output"]
for pct_full in (90.0, 50.0):
    capsids = DOSE_VG_PER_KG * weight / (pct_full / 100)
    print(f"{pct_full:.0f} % full: {capsids:.2e} capsids per dose, of which "
          f"{capsids - DOSE_VG_PER_KG * weight:.2e} empty")

# %% [markdown]
# ## Exercises
#
# Exercises 1 and 3 give **you** your own numbers: `exercise(...)` prints them and returns them as `v`.
# For the choice question set `choice` to a letter and explain it in `why`.

# %% [markdown]
# **Exercise 1.** Run the cell: it prints a patient weight and a host-cell DNA result that are yours.
# The lot has the vg titer and the dose per kg of section 2. How many ng of host-cell DNA does the
# patient's dose contain? (A number in ng.)

# %% pdkit={"exercise": "10_residual_dna_impurities.hcdna_trainee"} tags=["exercise"]
v = exercise("10_residual_dna_impurities.hcdna_trainee")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("10_residual_dna_impurities.hcdna_trainee", answer);

# %% [markdown]
# **Exercise 2.** Up to what body weight (kg) does one dose of the lot in section 2 stay within the
# 10 ng/dose benchmark? (A number.)

# %% pdkit={"exercise": "10_residual_dna_impurities.max_weight_kg"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("10_residual_dna_impurities.max_weight_kg", answer);

# %% [markdown]
# **Exercise 3.** A process change leaves the DNA less (or more) fragmented: run the cell for your new
# median fragment size. With the same E1A qPCR result, amplicon and target length, how many intact
# 1,000-bp E1A targets does one dose for the 8 kg patient contain? (A number.)

# %% pdkit={"exercise": "10_residual_dna_impurities.intact_e1a_trainee"} tags=["exercise"]
v = exercise("10_residual_dna_impurities.intact_e1a_trainee")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("10_residual_dna_impurities.intact_e1a_trainee", answer);

# %% [markdown]
# **Exercise 4.** A 20 kg patient's dose of this lot exceeds 10 ng of host-cell DNA. Which is the
# best-founded next step?
#
# * a. Reject the lot: 10 ng/dose is a legal limit for all biologicals.
# * b. Ignore it: the benchmark is for vaccines and never applies to gene therapy.
# * c. Assess the risk with the fragment-size distribution and the E1A result, consider improving
#   DNA clearance or nuclease digestion, and agree a limit per vg with the regulator.
# * d. Dilute the drug substance so that the ng/mL is lower.

# %% pdkit={"exercise": "10_residual_dna_impurities.benchmark_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("10_residual_dna_impurities.benchmark_choice", choice, why=why);

# %% [markdown]
# ## Summary
#
# * Benchmarks: at most 10 ng residual DNA per parenteral dose and fragments of about 200 bp or less
#   (WHO TRS 978 Annex 3, 2013; FDA 2010), written for vaccines from continuous cell lines; for AAV
#   they are reference points in a risk assessment.
# * ng per dose = concentration x dose volume, with dose volume = vg dose / vg titer: the amount grows
#   with body weight, so write the limit per vg and check the highest dose.
# * HEK293 carries adenovirus 5 E1A/E1B; 293T also SV40 large T: test for these sequences. Under random
#   fragmentation a target of m bp is intact with probability about 2^(-(m - a)/M).
# * Also control residual plasmid, HCP, nuclease and empty/partial capsids (FDA 2020 CMC guidance).

# %% [markdown]
# ## What's next
#
# Lesson 11 looks at the plasmid itself - a starting material for the viral vector, not a drug
# substance - and at the quality it must have.
#
# ### Sources
#
# 1. WHO (2013) Recommendations for the evaluation of animal cell cultures as substrates for the
#    manufacture of biological medicinal products and for the characterization of cell banks. WHO
#    Technical Report Series 978, Annex 3.
# 2. FDA (2010) Guidance for Industry: Characterization and Qualification of Cell Substrates and Other
#    Biological Materials Used in the Production of Viral Vaccines for Infectious Disease Indications.
# 3. FDA (January 2020) Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy
#    Investigational New Drug Applications (INDs).
# 4. Graham FL, Smiley J, Russell WC, Nairn R (1977) Characteristics of a human cell line transformed by
#    DNA from human adenovirus type 5. J Gen Virol 36:59-74.
# 5. Louis N, Evelegh C, Graham FL (1997) Cloning and sequencing of the cellular-viral junctions from
#    the human adenovirus type 5 transformed 293 cell line. Virology 233:423-429.
# 6. DuBridge RB et al. (1987) Analysis of mutation in human cells by using an Epstein-Barr virus
#    shuttle system. Mol Cell Biol 7:379-387 (the 293T line with SV40 large T).
# 7. Chadeuf G et al. (2005) Evidence for encapsidation of prokaryotic sequences during recombinant
#    adeno-associated virus production and their in vivo persistence after vector delivery. Mol Ther
#    12:744-753.
# 8. Yang H, Zhang L, Galinski M (2010) A probabilistic model for risk assessment of residual host cell
#    DNA in biological products. Vaccine 28:3308-3311.
# 9. ZOLGENSMA (onasemnogene abeparvovec-xioi) US prescribing information (2019): 1.1e14 vg/kg;
#    2.0e13 vg/mL.
