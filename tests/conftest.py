"""Shared fixtures: a small self-contained template to exercise the runner."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PDKIT = [sys.executable, "-m", "pdkit.cli"]

SMOKE_PARAMETERS = '''data: str = "data.csv"  # Measurements {file: csv, xlsx}
alpha: float = 0.05  # Significance level {range: (0, 0.5]}
n_boot: int = 3  # Repeats {range: [1, 10]}
sided: str = "two"  # Interval sides {choices: two, lower, upper}
lsl: float | None = None  # Lower limit
fail_mode: str = "none"  # Failure to simulate {choices: none, raise, exit}
'''


def make_smoke_template(folder: Path) -> Path:
    """Write a tiny template (parameters, validation, a table, a record, a bokeh plot) and its data."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(SMOKE_PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    path = folder / "smoke.ipynb"
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Smoke report\nExercises the runner."),
        params,
        nbformat.v4.new_code_cell(f'from pdkit.params import check_parameters\nP = check_parameters({str(path)!r}, globals())'),
        nbformat.v4.new_code_cell('import os\nif P.fail_mode == "raise":\n    raise ValueError("simulated failure")\n'
                                  'if P.fail_mode == "exit":\n    os._exit(1)'),
        nbformat.v4.new_code_cell('import pandas as pd\nfrom pdkit.record import record\ndf = pd.read_csv(P.data)\n'
                                  'print(f"mean x = {df.x.mean():.3f}")\nrecord("mean_x", df.x.mean())\n'
                                  'open("side_output.txt", "w").write("side")'),
        nbformat.v4.new_code_cell('from bokeh.plotting import figure\nimport pdkit.plots as plots\n'
                                  'fig = figure(width=300, height=200)\nfig.scatter(df.x, df.y)\nplots.show(fig)'),
    ]
    nbformat.write(nb, str(path))
    (folder / "data.csv").write_text("x,y\n1,2\n3,5\n4,4\n")
    return path


@pytest.fixture(scope="session")
def smoke_template(tmp_path_factory) -> Path:
    return make_smoke_template(tmp_path_factory.mktemp("smoke_template"))


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m pdkit.cli ARGS`` and capture its output."""
    env = dict(os.environ)
    env.pop("PDKIT_TEMPLATES", None)
    return subprocess.run(PDKIT + list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """Path of Debian's chromium, or skip (fail when PDKIT_REQUIRE_BROWSER=1, as in CI)."""
    path = chromium_path()
    if path is None:
        if os.environ.get("PDKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("PDKIT_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser checks skipped")
    return path


@pytest.fixture(scope="session", autouse=True)
def _pdkit_home(tmp_path_factory):
    """Every test run signs with keys in a private PDKIT_HOME, never the user's ~/.config/pdkit."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PDKIT_HOME", str(tmp_path_factory.mktemp("pdkit_home")))
    mp.delenv("PDKIT_TRUSTED_KEYS", raising=False)
    yield
    mp.undo()
