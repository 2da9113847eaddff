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
# # Lesson 06 - Release testing and certificates of analysis
#
# *pdkit course, part 6 of 15. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Before a lot - of a starting material, a drug substance or a drug product - can be used, Quality
# Control tests it against its **specification** and Quality Assurance decides its disposition. The
# decision must be reproducible to the last digit: how a result is rounded, what a "< LOQ" result
# means and what happens when a test is missing are all written rules. In this lesson you evaluate
# plasmid DNA lots with `pdkit.specs`, produce a certificate of analysis (CoA) with
# `pdkit.certificate`, and then do the same for AAV drug-substance lots.
#
# **What the plasmid is decides whose limits apply.** A plasmid that *is* the medicinal product (a DNA
# vaccine or non-viral gene therapy) is a drug substance. A plasmid used to transfect the packaging
# cells of an AAV or LV process is a **starting material** of the vector (EU: Directive 2001/83/EC,
# Annex I, Part IV, section 3.2.1, as amended by Directive 2009/120/EC; GMP principles applied on a risk
# basis per EU GMP Part IV and EMA's 2021 questions and answers on starting materials of biological
# origin; lesson 01). For a starting material the vector manufacturer sets and justifies the
# acceptance criteria; the plasmid supplier's CoA is checked against them on receipt.

# %% [markdown]
# ## Prerequisites
#
# * Python and pandas basics.
# * Helpful: lesson 4 (downstream), where the impurities tested here are removed.
#
# Run the next cell first.

# %%
import pandas as pd
from IPython.display import HTML, display

from pdkit import certificate, specs
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

lesson_header("06");

SPEC = "../../data_samples/specs/plasmid_gmp_spec.yaml"
RESULTS = "../../data_samples/release/plasmid_release_synthetic.csv"

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can
#
# 1. read a specification as data: attribute, method, acceptance criterion, unit and precision;
# 2. round results as USP General Notices 7.20 requires before comparing them with a limit;
# 3. evaluate censored (< LOQ) results, unit conversions and missing tests, and explain a lot's
#    disposition;
# 4. produce a certificate of analysis for a lot.

# %% [markdown]
# ## A specification is data
#
# The plasmid specification lists each attribute with its method and criterion. **Treat its limits
# as an example internal specification, not as regulatory limits.** They were taken from the
# "EMA" column of Table 2 of a lab-scale DNA-vaccine study (*J Biol Eng* 2024,
# doi:10.1186/s13036-024-00411-w: supercoiled >= 90 %, endotoxin <= 10 EU/mg, host protein and gDNA
# <= 10 ug/mg, A260/A280 1.75-1.85) and from one clinical plasmid's QC table (*Cancer Gene Ther* 2015,
# 22:85: concentration 2.0 +/- 0.2 mg/mL) - secondary sources, not the regulators' documents. The
# primary documents for a plasmid *drug substance* - FDA's guidance on plasmid DNA vaccines (November
# 2007) and WHO TRS 1028, Annex 2 (2021) - define *which* tests to run; for a plasmid *starting
# material* no regulation sets numbers at all. A real specification states, per limit, how it was
# justified (development and stability data, impact on the vector, the supplier's capability).

# %% tags=["nbval-check-output"]
spec = specs.load_spec(SPEC)
print(spec.product, "version", spec.version, "effective", spec.effective_date)
print("status: EXAMPLE internal specification for training (limits not from a regulation)")
for a in spec.attributes:
    print(f"{a.name:26s} {a.criterion_text:28s} {a.unit:6s} {a.method}")

# %% [markdown]
# ## Rounding before comparing (USP General Notices 7.20)
#
# USP General Notices 7.20 says a result is rounded to the number of decimal places of the limit
# *as written* before it is compared, rounding half **up** (a 5 in the first dropped digit raises the
# last kept digit). Limits are "significant to the last digit shown". So against ">= 90.0 %" a
# supercoiled result of 89.95 % is reported as 90.0 % and passes, while 89.94 % is reported as
# 89.9 % and fails. Python's built-in `round` rounds half to *even* and works on binary floats, so
# it must not be used for this; `specs.round_half_up` works in decimal arithmetic.

# %% tags=["nbval-check-output"]
for value, places in [(89.95, 1), (89.94, 1), (2.5, 0), (0.125, 2)]:
    print(f"{value} -> USP {specs.round_half_up(value, places)}, Python round {round(value, places)}")

# %% [markdown]
# ## Evaluating lots: censored results, conversions and missing tests
#
# `specs.evaluate_lots` reads a long table (one row per lot and attribute) and applies the rules:
#
# * convert each result to the specification's unit, then round to its precision (USP 7.20);
# * a censored result "< x" passes an upper limit only when x is within it; against a lower limit
#   it cannot show conformance and fails (see the `pdkit.specs` documentation);
# * a test without a result is *missing*: the lot is **incomplete** and cannot be released;
# * any failed test: the lot **does not meet** specification.

# %% tags=["nbval-check-output"]
ev = specs.evaluate_lots(RESULTS, spec)
print(ev.dispositions.to_string(index=False))

# %% [markdown]
# The rows that are not a plain pass, or where a rule was applied, explain those dispositions:

# %% tags=["nbval-check-output"]
notable = ev.results[(ev.results["result"] != "pass") | (ev.results["note"] != "")]
print(notable[["lot", "attribute", "reported", "unit", "criterion", "result", "note"]].to_string(index=False))

# %% [markdown]
# * PD-24-002 fails supercoiled (86.4 % against >= 90.0 %): an out-of-specification result that
#   starts an OOS investigation before any disposition.
# * PD-24-003 passes although host protein was below the assay's LOQ ("< 0.5" ug/mg is within
#   <= 10) and host gDNA was reported in ng/mg (converted to ug/mg, then rounded).
# * PD-24-004 has no sterility result: *incomplete*, not *fails*. A lot is released only when
#   every test has been done and passed.

# %% [markdown]
# ## The certificate of analysis
#
# The CoA states, for one lot, every test, its method, the specification and the reported result,
# with the disposition and signature lines for QC and QA. `certificate.certificate_html` renders it
# as a self-contained, print-ready HTML page (here shown inline); `certificate.write_certificates`
# writes one file per lot. The CoA documents the QC result; the release itself is QA's decision
# (and, in the EU, a Qualified Person certifies each batch of the finished medicinal product). For a
# plasmid bought as a starting material, the vector manufacturer's QA approves its *use* after checking
# the supplier's CoA against its own acceptance criteria (typically confirming identity itself).

# %%
html = certificate.certificate_html(ev, "PD-24-003", spec, organisation="pdkit course (synthetic data)",
                                    issue_date="2025-02-03")
display(HTML(html))

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `specs`, `certificate`, `spec`, `ev` and the paths above.

# %% [markdown]
# **Exercise 1 (calculation, your own numbers).** Run the cell: it prints *your* product's
# concentration and dose. Endotoxin limits come from USP <85>: limit = K/M, with K = 5 EU/kg (per
# hour, parenteral, non-intrathecal) and M the maximum dose per kg given within one hour. What is the
# limit in EU/mL?

# %% pdkit={"exercise": "06_release_testing.endotoxin_limit_own_product"} tags=["exercise"]
v = exercise("06_release_testing.endotoxin_limit_own_product")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("06_release_testing.endotoxin_limit_own_product", answer);

# %% [markdown]
# **Exercise 2 (interpret a result).** Evaluate the AAV lots in
# `../../data_samples/release/aav_release_synthetic.csv` against
# `../../data_samples/specs/aav_ds_spec.yaml`. Which lots meet specification, which lot does not meet it,
# on which attribute, and which lot is incomplete? Fill in every field (a list for `lots_meeting`).

# %% pdkit={"exercise": "06_release_testing.aav_dispositions"} tags=["exercise"]
answer = {"lots_meeting": None, "lot_failing": None, "failing_attribute": None, "lot_incomplete": None}  # fill in every field
interpret("06_release_testing.aav_dispositions", answer);

# %% [markdown]
# **Exercise 3 (choose and justify).** A plasmid lot's supercoiled result is 89.94 %. The
# specification is written as ">= 90 %" (no decimals). What do you report, and what is the result
# against the limit?
#
# * (a) Report 89.94 % - it fails, because 89.94 is below 90.
# * (b) Report 90 % - it meets the limit, because the result is rounded to the limit's last digit before
#   comparison.
# * (c) Report 89.9 % - it fails, because results are always reported to one decimal place.
# * (d) Report 89.94 % and open an OOS investigation before deciding.

# %% pdkit={"exercise": "06_release_testing.rounding_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("06_release_testing.rounding_choice", choice, why=why);

# %% [markdown]
# **Exercise 4 (written answer, marked by your trainer).** Plasmid lot PD-24-004 has every result
# except sterility. The production manager wants to start next week's AAV transfection with it
# "because the other results are fine and sterility is always passing". What do you answer, and which
# quality-system steps follow?

# %% pdkit={"exercise": "06_release_testing.incomplete_lot"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("06_release_testing.incomplete_lot", text);

# %% [markdown]
# ## Summary
#
# * A specification is a controlled document; pdkit keeps it as validated YAML with each limit's
#   source. For a plasmid used to make a viral vector (a starting material) the limits are the vector
#   manufacturer's justified internal specification; the sample file's limits are an example only.
# * Results are converted, rounded half up to the limit's precision (USP General Notices 7.20) and
#   only then compared; censored results follow explicit rules.
# * Dispositions: *meets specification*, *does not meet* (any failure) or *incomplete* (any missing
#   test). The CoA reports the evaluation of one lot.

# %% [markdown]
# ## What's next
#
# Lesson 7 asks where specification limits come from and whether a process can meet them:
# tolerance intervals, capability, trending and shelf life
# ([07_specs_capability_stability.ipynb](07_specs_capability_stability.ipynb)). Lesson 11
# (`11_plasmid_starting_material`) evaluates plasmid lots against a starting-material specification.

# %% [markdown]
# ### Sources
#
# 1. USP General Notices 7.20 (rounding rules); USP <85> Bacterial Endotoxins Test (limit = K/M).
# 2. Directive 2001/83/EC, Annex I, Part IV, section 3.2.1 (as amended by Directive 2009/120/EC);
#    EudraLex Volume 4, Part IV (2017); EMA (2021) Q&A on GMP principles for starting materials of
#    biological origin used to transfer genetic material.
# 3. FDA (November 2007) *Considerations for Plasmid DNA Vaccines for Infectious Disease Indications*;
#    WHO Technical Report Series 1028, Annex 2 (2021): test lists for a plasmid drug substance.
# 4. J Biol Eng (2024) doi:10.1186/s13036-024-00411-w, Table 2 and Cancer Gene Ther (2015) 22:85-94,
#    Table 2: secondary sources of the example internal specification's numbers.
# 5. FDA (January 2020) CMC Information for Human Gene Therapy INDs (AAV release tests).
# 6. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value).
