"""The nbval comparison ignores bokeh outputs (random ids) but still compares everything else."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

CELL = """# NBVAL_CHECK_OUTPUT
from bokeh.plotting import figure
import pdkit.plots as plots
fig = figure(width=200, height=150)
fig.line([1, 2, 3], [VALUES])
plots.show(fig)
print("mean =", round(sum([VALUES]) / 3, 3))"""


def _run_nbval(path):
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                           "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(path), "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_bokeh_ids_differ_but_checked_numbers_match(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(CELL.replace("VALUES", "1, 4, 2"))]
    NotebookClient(nb, kernel_name="python3").execute()
    path = tmp_path / "plot.ipynb"
    nbformat.write(nb, str(path))
    # the stored output has bokeh MIME types whose ids change on every run
    assert any("application/vnd.bokehjs_exec.v0+json" in o.get("data", {}) for o in nb.cells[0].outputs)
    ok = _run_nbval(path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # change the printed number in the stored notebook: nbval must now fail
    for o in nb.cells[0].outputs:
        if o.get("output_type") == "stream":
            o["text"] = o["text"].replace("2.333", "2.334")
    nbformat.write(nb, str(path))
    bad = _run_nbval(path)
    assert bad.returncode != 0 and "2.334" in bad.stdout
