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
# *pdkit course, part 6 of 8. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# Before a lot of drug substance can be used, Quality Control tests it against its
# **specification** and Quality Assurance decides its disposition. The decision must be
# reproducible to the last digit: how a result is rounded, what a "< LOQ" result means and what
# happens when a test is missing are all written rules. In this lesson you evaluate GMP plasmid
# DNA lots with `pdkit.specs` and produce a certificate of analysis (CoA) with
# `pdkit.certificate`.

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
from pdkit.tutorial import check

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
# The plasmid specification lists each attribute with its method and criterion. Its limits follow
# the EMA column of Table 2 in *J Biol Eng* (2024) doi:10.1186/s13036-024-00411-w (supercoiled
# >= 90 %, endotoxin <= 10 EU/mg, host protein and gDNA <= 10 ug/mg, A260/280 1.75-1.85) and
# *Cancer Gene Ther* (2015) 22:85 (concentration 2.0 +/- 0.2 mg/mL); the FDA column would allow
# supercoiled >= 80 % and endotoxin <= 40 EU/mg (domain primer). Which regulator's numbers apply is a
# product decision recorded in the file.

# %% tags=["nbval-check-output"]
spec = specs.load_spec(SPEC)
print(spec.product, "version", spec.version, "effective", spec.effective_date)
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
# (and, in the EU, the Qualified Person's certification).

# %%
html = certificate.certificate_html(ev, "PD-24-003", spec, organisation="pdkit course (synthetic data)",
                                    issue_date="2025-02-03")
display(HTML(html))

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** A host gDNA result of 4.5 ug/mg is compared with "<= 10" ug/mg (whole numbers).
# What value is reported?

# %% pdkit={"exercise": "06_release_testing.usp_rounding"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("06_release_testing.usp_rounding", answer);

# %% [markdown]
# **Exercise 2.** Evaluate the AAV lots in `../../data_samples/release/aav_release_synthetic.csv`
# against `../../data_samples/specs/aav_ds_spec.yaml` (store the evaluation as `ev_aav`). How many
# lots meet specification?

# %% pdkit={"exercise": "06_release_testing.aav_lots_meeting_spec"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("06_release_testing.aav_lots_meeting_spec", answer);

# %% [markdown]
# **Exercise 3.** Using `ev_aav`: which value is reported for full capsids (%) of lot AV-25-02?

# %% pdkit={"exercise": "06_release_testing.aav_full_capsids_reported"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("06_release_testing.aav_full_capsids_reported", answer);

# %% [markdown]
# **Exercise 4.** Endotoxin limits come from USP <85>: limit = K/M, with K = 5 EU/kg (per hour, for
# non-intrathecal routes) and M the maximum dose per kg given within one hour. An AAV drug product
# at 2.0e13 vg/mL is infused at 1.5e14 vg/kg within one hour. What is the limit in EU/mL?

# %% pdkit={"exercise": "06_release_testing.endotoxin_limit_km"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("06_release_testing.endotoxin_limit_km", answer);

# %% [markdown]
# ## Summary
#
# * A specification is a controlled document; pdkit keeps it as validated YAML with each limit's
#   source.
# * Results are converted, rounded half up to the limit's precision (USP General Notices 7.20) and
#   only then compared; censored results follow explicit rules.
# * Dispositions: *meets specification*, *does not meet* (any failure) or *incomplete* (any missing
#   test). The CoA reports the evaluation of one lot.

# %% [markdown]
# ## What's next
#
# Lesson 7 asks where specification limits come from and whether a process can meet them:
# tolerance intervals, capability, trending and shelf life
# ([07_specs_capability_stability.ipynb](07_specs_capability_stability.ipynb)).
