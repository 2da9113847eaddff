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
# # Lesson 14 - Data integrity: ALCOA+ with pdkit's own records
#
# *pdkit course, part 14 of 15. About 30 minutes.*

# %% [markdown]
# ## Overview
#
# A calculation that cannot be shown to be the one that was done, on the data that were measured, by
# the person who signed it, is not a GMP record. Regulators summarise what a record must be as
# **ALCOA+**: attributable, legible, contemporaneous, original and accurate, plus complete,
# consistent, enduring and available (MHRA *GXP Data Integrity Guidance and Definitions*, 2018;
# PIC/S PI 041-1, 2021). FDA's *Data Integrity and Compliance With Drug CGMP: Questions and Answers*
# (December 2018) applies the same ideas to 21 CFR parts 210, 211 and 212, and EU GMP Annex 11 (2011)
# and 21 CFR Part 11 (1997) set the expectations for computerised systems and electronic signatures.
#
# In this lesson you run a pdkit report, read its manifest, signature and log, verify it, tamper with
# it and watch verification catch the change - and you list what pdkit does **not** do, because a
# tool is never compliant by itself.

# %% [markdown]
# ## Prerequisites
#
# * Lesson 08 (the PPQ plan report that is run here) is helpful but not required.
# * `docs/records.md` in the repository describes the records in full.

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can:
#
# 1. state the ALCOA+ principles and the documents they come from;
# 2. find in a pdkit run folder who ran what, when, why, on which inputs, and with which software;
# 3. verify a run folder, and recognise what each kind of tampering looks like to the verifier;
# 4. say which ALCOA+ and Annex 11 / Part 11 expectations a tool covers and which remain the job of
#    procedures, validation and infrastructure.

# %%
from pdkit.tutorial import check, choose, exercise, explain, lesson_header

lesson_header("14");

# %%
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pdkit.provenance import verify
from pdkit.runner import run_report

# A throwaway configuration home for the demonstration runs: the signing key created below is a
# training key in a temporary folder, never your personal key, and it is used only inside
# `with training_home():` blocks (your own configuration and training record are left alone).
WORK = Path(tempfile.mkdtemp(prefix="pdkit-lesson14-"))

@contextmanager
def training_home():
    old = os.environ.get("PDKIT_HOME")
    os.environ["PDKIT_HOME"] = str(WORK / "pdkit-home")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PDKIT_HOME", None)
        else:
            os.environ["PDKIT_HOME"] = old

# %% [markdown]
# ## 1. ALCOA+ in one table
#
# | principle | meaning (MHRA 2018; PIC/S PI 041-1) | in a pdkit run folder |
# |---|---|---|
# | **A**ttributable | who did it, and on whose behalf | `user` and `host` in the manifest; the author's Ed25519 signature |
# | **L**egible | readable for the retention period | HTML report (and PDF) |
# | **C**ontemporaneous | recorded when it was done | `started_utc` / `finished_utc`; signature time |
# | **O**riginal | the first capture, or a verified true copy | outputs hashed as produced; the executed notebook kept |
# | **A**ccurate | correct, and checked | depends on validated methods and correct inputs - not on pdkit |
# | **C**omplete | nothing left out, failures included | every input and output listed; failed runs kept and flagged |
# | **C**onsistent | in sequence, dated, without contradictions | notebook metadata cross-checked with the manifest; hash-chained log |
# | **E**nduring | lasts for the retention period | the storage's job (archiving, backup) |
# | **A**vailable | retrievable for review and inspection | the storage's job |

# %% [markdown]
# ## 2. Run a report and read its record
#
# `run_report` is what `pdkit run` calls. It validates the parameters, executes the template in a fresh
# kernel, writes the executed notebook and the HTML report, then a **manifest** (inputs and outputs
# with SHA-256 hashes, parameters, environment, times, user, host, reason), signs the run as its
# **author** and appends a line to the **log** beside the run folder. The run below uses the
# `ppq_plan` template with its default (synthetic) data; it takes a few seconds.

# %%
runs = WORK / "reports"
with training_home():
    result = run_report("ppq_plan", {}, runs / "ppq-demo", reason="training: data integrity lesson 14")
print("status:", result.status)
print("files:", sorted(p.name for p in result.outdir.iterdir()))
print("beside the run:", sorted(p.name for p in runs.iterdir()))

# %%
manifest = json.loads((result.outdir / "manifest.json").read_text())
for key in ("template", "status", "user", "reason", "pdkit_version"):
    print(f"{key:14s} {manifest[key]}")
print("parameters    ", sorted(manifest["parameters"])[:4], "...")
print("inputs        ", [Path(i["path"]).name for i in manifest["inputs"]])
print("outputs       ", [(o["path"], o["sha256"][:12] + "...") for o in manifest["outputs"]])

# %% [markdown]
# The manifest answers *what, on which data, with which software, by whom, when and why*. The
# signature record binds it to a person's key; the log line binds the run into a chain:

# %%
signatures = json.loads((result.outdir / "signatures.json").read_text())
records = signatures if isinstance(signatures, list) else signatures.get("signatures", [])
for s in records:
    print(f"role {s['role']}, user {s['user']}, meaning {s['meaning']!r}, key {s['fingerprint'][:20]}...")
for line in (runs / "pdkit-log.jsonl").read_text().splitlines():
    entry = json.loads(line)
    print(f"log seq {entry['seq']}: {entry['event']} ({entry.get('run', '')}), prev "
          f"{'none' if entry['prev'] is None else entry['prev'][:12] + '...'}")

# %% [markdown]
# ## 3. Verify, tamper, verify again
#
# `verify` (the `pdkit verify OUTDIR` command) recomputes every hash, checks the signatures and the
# log, and returns one line per problem; an empty list means the folder is exactly as signed.

# %% tags=["nbval-check-output"]
with training_home():
    problems = verify(result.outdir)
print("problems:", problems if problems else "none - the run verifies")

# %% [markdown]
# Now "correct a typo" in the report by editing the HTML file directly - the kind of change that
# leaves no trace on paper:

# %% tags=["nbval-check-output"]
html = result.outdir / "ppq_plan.html"
html.write_text(html.read_text(encoding="utf-8").replace("</body>", "<p>corrected</p></body>", 1),
                encoding="utf-8")
with training_home():
    problems = verify(result.outdir)
for line in problems:
    print("FAILED", line.replace(str(result.outdir), "<run folder>"))

# %% [markdown]
# The change is caught because the file's hash no longer matches the manifest. Recomputing the hash in
# the manifest would not help: the author's signature covers the manifest's hash, so that edit is
# reported differently - see exercise 1. A genuine correction is made by **re-running** the report
# (`pdkit run --force` moves the old folder aside and logs that it was superseded), so both versions
# and the reason stay on record - the audit-trail expectation of EU GMP Annex 11 section 9.

# %% [markdown]
# ## 4. What pdkit does not do
#
# From `docs/records.md` (the repository's own statement):
#
# * **No 21 CFR Part 11 claim.** Compliance is a property of a validated computerised system operated
#   under procedures. Absent in pdkit, for example: two distinct identification components at each
#   signing (Part 11 section 11.200), identity verification and certification to FDA (11.100), system
#   validation and procedural controls (11.10), password and device controls (11.300).
# * **Enduring and Available** are the storage's job: archiving, backup and retention (Annex 11
#   sections 7 and 17).
# * **Accurate** depends on validated analytical methods and correct inputs: a hash proves a file is
#   unchanged, not that its numbers are right.
# * **Keys**: the private key is a file protected by permissions; whoever can read it can sign as its
#   owner. One person per account, keys kept off shared storage, a trust store owned by QA.
# * **Times** come from the signing computer's clock; they are attributable but not independently
#   time-stamped. Deleting the log's newest lines *together with* what they record is not detectable
#   by the folder alone: record the log head hash that `pdkit verify` prints in a separate system.

# %% [markdown]
# ## Exercises
#
# For the choice questions set `choice` to a letter and explain it in `why`; the last exercise asks
# for a short written answer that your trainer reads against a model answer. You may experiment in the
# run folder of section 2 (it is a temporary folder); call `verify` inside `with training_home():`.

# %% [markdown]
# **Exercise 1.** A colleague edits a number in `ppq_plan.html` and then, to hide it, replaces the
# file's SHA-256 in `manifest.json` with the new hash. What does verification report?
#
# * a. Nothing: the hashes match again.
# * b. That the signature does not match the manifest: the author's signature covers the manifest.
# * c. Only that an unlisted file is present.
# * d. That the output vanished.

# %% pdkit={"exercise": "14_data_integrity_records.rehash_manifest"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("14_data_integrity_records.rehash_manifest", choice, why=why);

# %% [markdown]
# **Exercise 2.** Which ALCOA+ principle can pdkit **not** assure by itself, whatever its signatures
# and hashes?
#
# * a. Attributable.
# * b. Contemporaneous.
# * c. Enduring.
# * d. Consistent.

# %% pdkit={"exercise": "14_data_integrity_records.alcoa_gap"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("14_data_integrity_records.alcoa_gap", choice, why=why);

# %% [markdown]
# **Exercise 3.** A scientist finds an error in a signed report and wants to fix it. Which is the
# data-integrity-compliant way?
#
# * a. Edit the HTML, then sign the run again as reviewer.
# * b. Delete the run folder and its log lines, and run the report again.
# * c. Re-run the report with the corrected input (the old folder is moved aside and the supersession
#   is logged), record the reason, and handle the error under the deviation procedure.
# * d. Correct the number in the PDF only, which is the copy that is printed.

# %% pdkit={"exercise": "14_data_integrity_records.correct_a_record"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("14_data_integrity_records.correct_a_record", choice, why=why);

# %% [markdown]
# **Exercise 4.** Your QA manager asks: "Does using pdkit make our report system Part 11 compliant?"
# Answer in a few sentences, naming what pdkit provides and what your company must add.

# %% pdkit={"exercise": "14_data_integrity_records.part11_answer"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("14_data_integrity_records.part11_answer", text);

# %% [markdown]
# ## Summary
#
# * ALCOA+: attributable, legible, contemporaneous, original, accurate; complete, consistent, enduring,
#   available (MHRA 2018; PIC/S PI 041-1, 2021; FDA Q&A 2018).
# * A pdkit run folder holds the executed notebook, the report, a manifest with hashes and provenance,
#   the author's signature, and a line in a hash-chained log; `verify` detects changes to any of them.
# * Corrections are new runs, not edits; the superseded run stays on record.
# * Tools give technical controls; compliance with Annex 11 and Part 11 needs validation, procedures,
#   access and key management, and archiving.

# %% [markdown]
# ## What's next
#
# Lesson 15 closes the course with aseptic processing, comparability after a change, technology
# transfer, deviations and CAPA, and continued process verification.
#
# ### Sources
#
# 1. MHRA (March 2018) 'GXP' Data Integrity Guidance and Definitions, revision 1.
# 2. FDA (December 2018) Data Integrity and Compliance With Drug CGMP: Questions and Answers, guidance
#    for industry.
# 3. PIC/S (1 July 2021) PI 041-1 Good Practices for Data Management and Integrity in Regulated GMP/GDP
#    Environments.
# 4. European Commission (2011) EudraLex Volume 4, Annex 11: Computerised Systems (sections 7, 9, 12,
#    14, 17).
# 5. 21 CFR Part 11, Electronic Records; Electronic Signatures (1997): sections 11.10, 11.100, 11.200,
#    11.300.
# 6. pdkit `docs/records.md`: signed, tamper-evident run records and their limits.
