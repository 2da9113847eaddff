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
# # Running standard reports reproducibly
#
# pdkit's standard reports are papermill templates run by `pdkit run`. This notebook does from Python what the command line does, to show the pieces a QA reviewer relies on: typed parameters validated before any kernel starts, the executed notebook and offline HTML, the recorded results, and the `manifest.json` whose hashes `pdkit verify` recomputes.
#
# Command-line equivalent:
#
# ```bash
# pdkit templates
# pdkit run stability_shelf_life -p response potency_pct -o out/stability
# pdkit verify out/stability
# ```

# %% [markdown]
# ## The templates and their parameters

# %% tags=["nbval-check-output"]
from pdkit.params import find_template, list_templates, parse_parameters

print("stability_shelf_life" in list_templates())
for spec in parse_parameters(find_template("stability_shelf_life")):
    print(f"{spec.name:<12} {spec.type_label:<13} {spec.describe_expected()}")

# %% [markdown]
# ## A bad value is refused before anything runs
#
# The runner validates every value against the template's annotations: `alpha` must be a float in (0, 0.5]. The message names the parameter, what was given and what was expected; no folder is created.

# %% tags=["nbval-check-output"]
import tempfile
from pathlib import Path

from pdkit.errors import ParameterError
from pdkit.runner import run_report

workdir = Path(tempfile.mkdtemp(prefix="pdkit-reports-"))
try:
    run_report("stability_shelf_life", {"alpha": "0.9"}, workdir / "bad")
except ParameterError as err:
    print(err)
print("folder created:", (workdir / "bad").exists())

# %% [markdown]
# ## Run a report
#
# The default parameters point at the bundled synthetic AAV stability study.

# %% tags=["nbval-check-output"]
result = run_report("stability_shelf_life", {"response": "potency_pct"}, workdir / "stability")
print(result.status, result.exit_code)
print(sorted(p.name for p in result.outdir.iterdir()))

# %% [markdown]
# ## Recorded results
#
# Templates record their key numbers with `pdkit.record.record`; `read_records` reads them back from the executed notebook (batch summaries use the same).

# %% tags=["nbval-check-output"]
from pdkit.record import read_records

records = read_records(result.notebook)
print("model:", records["model"])
print("shelf life (months):", round(records["shelf_life"], 2))

# %% [markdown]
# ## The manifest
#
# Inputs (the template, the data file) and outputs with SHA-256 and size, the parameters, versions, git commit and UTC times.

# %% tags=["nbval-check-output"]
import json

manifest = json.loads(result.manifest.read_text())
print(sorted(manifest))
for item in manifest["inputs"]:
    print(item["parameter"], Path(item["path"]).name, len(item["sha256"]))
print([o["path"] for o in manifest["outputs"]])
print(manifest["status"], manifest["error"])

# %% [markdown]
# ## Verification
#
# `verify` recomputes every hash, checks the author's signature and the run log beside the report folders. Changing one byte of an output (here in a copy of the report folder) is detected and the file named; the copy itself is flagged too, because no run of that name is in the log (see `docs/records.md`).

# %% tags=["nbval-check-output"]
import shutil

from pdkit.provenance import verify

print("original:", verify(result.outdir))
copy = workdir / "copy"
shutil.copytree(result.outdir, copy)
html = copy / "stability_shelf_life.html"
html.write_text(html.read_text().replace("Shelf life", "Shelf-life", 1))
print("tampered:", [p.replace(str(copy), "<copy>").replace(str(workdir), "<workdir>") for p in verify(copy)])

# %%
shutil.rmtree(workdir)
