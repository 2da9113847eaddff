"""Computational modules stay free of UI and notebook machinery (fast imports for reports and tests)."""
from __future__ import annotations

import subprocess
import sys

import pytest

COMPUTATIONAL = ["pdkit", "pdkit.stats", "pdkit.trending", "pdkit.stability", "pdkit.specs", "pdkit.doe",
                 "pdkit.doe.analysis", "pdkit.doe.optimize", "pdkit.doe.designs", "pdkit.doe.evaluation",
                 "pdkit.upstream", "pdkit.downstream", "pdkit.scaleup", "pdkit.facility", "pdkit.units",
                 "pdkit.tutorial", "pdkit.certificate", "pdkit.params", "pdkit.provenance",
                 "pdkit.ppq", "pdkit.outliers", "pdkit.contracts", "pdkit.mapping", "pdkit.escape",
                 "pdkit.signing", "pdkit.lots", "pdkit.lots.cpv"]
HEAVY = ["bokeh", "ipywidgets", "jupyter_bokeh", "papermill", "jupyterlab", "notebook", "nbconvert",
         "IPython", "jupyter_client", "nbclient", "dask", "distributed", "matplotlib"]


@pytest.mark.parametrize("module", COMPUTATIONAL)
def test_no_heavy_imports(module):
    code = (f"import importlib, sys\ntry:\n    importlib.import_module({module!r})\n"
            f"except ModuleNotFoundError as e:\n    print('MISSING', e.name); sys.exit(0)\n"
            f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    if out.startswith("MISSING"):
        pytest.skip(out)
    assert out == "", f"import {module} pulls in {out}"
