"""Generate notebooks/running_reports.ipynb (then execute it with scripts/execute_notebooks.py)."""
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[2]
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

cells = [
    md("# Running standard reports reproducibly\n\n"
       "pdkit's standard reports are papermill templates run by `pdkit run`. This notebook does from Python "
       "what the command line does, to show the pieces a QA reviewer relies on: typed parameters validated "
       "before any kernel starts, the executed notebook and offline HTML, the recorded results, and the "
       "`manifest.json` whose hashes `pdkit verify` recomputes.\n\n"
       "Command-line equivalent:\n\n"
       "```bash\npdkit templates\npdkit run stability_shelf_life -p response potency_pct -o out/stability\n"
       "pdkit verify out/stability\n```"),
    md("## The templates and their parameters"),
    code("# NBVAL_CHECK_OUTPUT\nfrom pdkit.params import find_template, list_templates, parse_parameters\n\n"
         "print(\"stability_shelf_life\" in list_templates())\nfor spec in parse_parameters(find_template(\"stability_shelf_life\")):\n"
         "    print(f\"{spec.name:<12} {spec.type_label:<13} {spec.describe_expected()}\")"),
    md("## A bad value is refused before anything runs\n\n"
       "The runner validates every value against the template's annotations: `alpha` must be a float in "
       "(0, 0.5]. The message names the parameter, what was given and what was expected; no folder is created."),
    code("# NBVAL_CHECK_OUTPUT\nimport tempfile\nfrom pathlib import Path\n\nfrom pdkit.errors import ParameterError\n"
         "from pdkit.runner import run_report\n\nworkdir = Path(tempfile.mkdtemp(prefix=\"pdkit-reports-\"))\n"
         "try:\n    run_report(\"stability_shelf_life\", {\"alpha\": \"0.9\"}, workdir / \"bad\")\n"
         "except ParameterError as err:\n    print(err)\nprint(\"folder created:\", (workdir / \"bad\").exists())"),
    md("## Run a report\n\nThe default parameters point at the bundled synthetic AAV stability study."),
    code("# NBVAL_CHECK_OUTPUT\nresult = run_report(\"stability_shelf_life\", {\"response\": \"potency_pct\"}, "
         "workdir / \"stability\")\nprint(result.status, result.exit_code)\n"
         "print(sorted(p.name for p in result.outdir.iterdir()))"),
    md("## Recorded results\n\nTemplates record their key numbers with `pdkit.record.record`; "
       "`read_records` reads them back from the executed notebook (batch summaries use the same)."),
    code("# NBVAL_CHECK_OUTPUT\nfrom pdkit.record import read_records\n\nrecords = read_records(result.notebook)\n"
         "print(\"model:\", records[\"model\"])\nprint(\"shelf life (months):\", round(records[\"shelf_life\"], 2))"),
    md("## The manifest\n\nInputs (the template, the data file) and outputs with SHA-256 and size, the parameters, "
       "versions, git commit and UTC times."),
    code("# NBVAL_CHECK_OUTPUT\nimport json\n\nmanifest = json.loads(result.manifest.read_text())\n"
         "print(sorted(manifest))\nfor item in manifest[\"inputs\"]:\n"
         "    print(item[\"parameter\"], Path(item[\"path\"]).name, len(item[\"sha256\"]))\n"
         "print([o[\"path\"] for o in manifest[\"outputs\"]])\nprint(manifest[\"status\"], manifest[\"error\"])"),
    md("## Verification\n\n`verify` recomputes every hash, checks the author's signature and the run log "
       "beside the report folders. Changing one byte of an output (here in a copy of the report folder) is "
       "detected and the file named; the copy itself is flagged too, because no run of that name is in the log "
       "(see `docs/records.md`)."),
    code("# NBVAL_CHECK_OUTPUT\nimport shutil\n\nfrom pdkit.provenance import verify\n\n"
         "print(\"original:\", verify(result.outdir))\ncopy = workdir / \"copy\"\nshutil.copytree(result.outdir, copy)\n"
         "html = copy / \"stability_shelf_life.html\"\nhtml.write_text(html.read_text().replace(\"Shelf life\", \"Shelf-life\", 1))\n"
         "print(\"tampered:\", [p.replace(str(copy), \"<copy>\").replace(str(workdir), \"<workdir>\") for p in verify(copy)])"),
    code("shutil.rmtree(workdir)"),
]
nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
out = ROOT / "notebooks" / "running_reports.ipynb"
out.parent.mkdir(parents=True, exist_ok=True)
nbf.write(nb, str(out))
print(out)
