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
# # Lot release evaluation and certificates of analysis
#
# This report compares release-test results of one or more lots with a release specification
# kept as data (a YAML file: product, version, effective date, and per attribute the method,
# unit, criterion and limits). Each result is converted to the specification unit, rounded half
# up to the precision of the limit as written and only then compared with the limit (USP General
# Notices 7.20); censored results such as `<LOQ` are evaluated explicitly, and a test without a
# result is *missing*, never a pass. A lot is releasable only when every test is reported and
# none failed. One printable certificate of analysis per lot is written next to this report, with
# signature lines for QC review and QA approval.

# %% tags=["parameters"]
data: str = "data_samples/release/plasmid_release_synthetic.csv"  # Release results: lot, attribute, value, unit, qualifier {file: csv, xlsx}
spec: str = "data_samples/specs/plasmid_gmp_spec.yaml"  # Release specification {file: yaml}
lots: str = "all"  # Lots to evaluate: all, or lot numbers separated by commas {value: data.lot, all}
organisation: str = ""  # Issuing organisation printed on the certificates
mapping: str | None = None  # Column mapping YAML for a lab export (pdkit.mapping; None: the file is in the long layout) {file: yaml}
db: str | None = None  # Lot-history store to record results and dispositions in: SQLite file or database URL without a password (None: do not record)

# %%
from pdkit.params import check_parameters
P = check_parameters("release_evaluation", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit.certificate import write_certificates
from pdkit.contracts import load_table
from pdkit.errors import InputError
from pdkit.escape import md
from pdkit.record import record
from pdkit.specs import evaluate_lots, load_spec

specification = load_spec(P.spec)
wanted = None if P.lots.strip().lower() == "all" else [x.strip() for x in P.lots.split(",") if x.strip()]
if wanted == []:
    raise InputError("parameter 'lots': give 'all' or lot numbers separated by commas")
pdkit.plots.setup()
loaded = load_table("release_evaluation", P.data, P, mapping=P.mapping)  # the template's input contract, through the mapping if given
results = loaded.table
results.attrs["source"] = P.data.name
evaluation = evaluate_lots(results, specification, lots=wanted)
display(Markdown(
    f"**Product:** {md(specification.product)}  \n"
    f"**Specification:** version {md(specification.version)}, effective {specification.effective_date:%Y-%m-%d} "
    f"({md(specification.source)})  \n"
    f"**Results:** {md(P.data.name)}, {len(evaluation.lots)} lot(s)"
    + (f", read through the column mapping {md(P.mapping.name)}" if P.mapping is not None else "")
))

# %% [markdown]
# ## Excluded rows
#
# Rows or cells of the results file that were not evaluated, each with its reason (a status column,
# a qualifier rule of the mapping, a blank row): nothing is dropped silently. A lot whose result
# was excluded is *incomplete* for that test, never a pass.

# %%
if len(loaded.excluded):
    display(loaded.excluded)
else:
    display(Markdown(f"No row of {md(P.data.name)} was excluded."))
record("n_excluded", int(len(loaded.excluded)))
record("excluded_reasons", sorted(set(loaded.excluded["reason"])))

# %% [markdown]
# ## Specification
#
# The acceptance criteria as loaded from the YAML file; numeric results are reported to the
# decimal places shown (or significant figures where stated).

# %%
spec_table = pd.DataFrame([
    {"attribute": a.name, "method": a.method, "criterion": a.criterion_text, "unit": a.unit,
     "precision": (f"{a.significant_figures} significant figures" if a.significant_figures
                   else f"{a.rounding_decimals} decimal places" if a.rounding_decimals is not None else ""),
     "LOQ": "" if a.loq is None else str(a.loq)}
    for a in specification.attributes
])
display(spec_table)
record("spec_product", specification.product)
record("spec_version", specification.version)

# %% [markdown]
# ## Disposition
#
# Counts of passed, failed and missing tests per lot (`report` tests carry no limit).

# %%
display(evaluation.dispositions)
dispositions = dict(zip(evaluation.dispositions["lot"], evaluation.dispositions["disposition"]))
record("dispositions", dispositions)
record("n_lots", len(dispositions))
record("n_releasable", sum(d == "meets specification" for d in dispositions.values()))
record("lots_not_meeting", [lot for lot, d in dispositions.items() if d == "does not meet"])
record("lots_incomplete", [lot for lot, d in dispositions.items() if d == "incomplete"])
if P.db is not None:  # the lot-history store (pdkit.lots): results and dispositions, append-only
    import getpass
    import uuid

    from pdkit.lots import record_dispositions, redact_url, resolve_db

    run_id = uuid.uuid4().hex
    n_recorded = record_dispositions(P.db, evaluation, source_file=P.data, run_id=run_id, user=getpass.getuser(),
                                     mapping=P.mapping)
    display(Markdown(f"Recorded {n_recorded} disposition(s) in the lot-history store {md(redact_url(resolve_db(P.db)))} "
                     f"(run id {md(run_id)})."))
    record("db_dispositions", {"db": redact_url(resolve_db(P.db)), "run_id": run_id, "recorded": n_recorded})

# %% [markdown]
# ## Results per lot
#
# Reported values are rounded to the specification's precision; the note explains unit
# conversions, censored results and failures.

# %%
for lot in evaluation.lots:
    display(Markdown(f"### Lot {md(lot)}: {md(evaluation.disposition(lot))}"))
    display(evaluation.for_lot(lot).drop(columns="lot"))
issues = evaluation.results[evaluation.results["result"].isin(["fail", "missing"])]
record("failed_tests", [f"{r.lot}: {r.attribute}" for r in issues.itertuples() if r.result == "fail"])
record("missing_tests", [f"{r.lot}: {r.attribute}" for r in issues.itertuples() if r.result == "missing"])

# %% [markdown]
# ## Certificates of analysis
#
# One print-ready HTML certificate per lot (A4), written next to this report. Lots that do not
# meet specification or are incomplete get a certificate stating so; signatures are added on paper
# or in the electronic QMS.

# %%
files = write_certificates(evaluation, specification, ".", organisation=P.organisation)
display(pd.DataFrame({"lot": evaluation.lots, "certificate": [f.name for f in files]}))
record("certificates", [f.name for f in files])
