"""``pip install .`` into an empty virtual environment gives a kit that works away from the repository.

The wheel ships the templates, the sample data, the worked examples and the course
(text notebooks), the course primer and the HTML templates; ``pdkit lab`` started from
that environment copies the course into a workspace and serves it.
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from test_lab import _contents, _free_port, _start_lab, _stop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
                    "-w", str(out), str(ROOT)], check=True, timeout=900)
    (whl,) = out.glob("pdkit-*.whl")
    return whl


def test_wheel_ships_course_examples_templates_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    lessons = {n for n in names if n.startswith("pdkit/_notebooks/course/") and n.endswith(".py")}
    assert "pdkit/_notebooks/course/01_plasmid_fermentation.py" in lessons and len(lessons) >= 9
    assert "pdkit/_notebooks/doe_worked_example.py" in names
    assert {f"pdkit/_templates/{t}.py" for t in ("doe_design", "doe_analysis", "release_evaluation")} <= names
    assert any(n.startswith("pdkit/_data_samples/doe/") for n in names)
    assert "pdkit/_docs/course/primer.md" in names
    assert "pdkit/publish/templates/index.html.j2" in names
    assert "pdkit/course/course.yaml" in names
    assert not any("solutions" in n for n in names if n.startswith("pdkit/_notebooks/"))
    assert not any(n.endswith(".ipynb") for n in names)


def test_pip_install_into_an_empty_venv_then_lab_starts_on_a_copied_course(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # the pinned versions of the lock file, then the wheel itself (as `pip install .` would)
    subprocess.run(pip + ["-r", str(ROOT / "requirements.lock")], check=True, timeout=1800)
    subprocess.run(pip + ["--no-deps", str(wheel)], check=True, timeout=600)
    pdkit = str(venv / "bin" / "pdkit")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = subprocess.run([pdkit, "templates"], capture_output=True, text=True, cwd=elsewhere, check=True).stdout
    assert "doe_design" in listed and "stability_shelf_life" in listed
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import pdkit._paths as p; print(p.notebooks_dir())"],
                          capture_output=True, text=True, cwd=elsewhere, check=True).stdout.strip()
    assert site.endswith("site-packages/pdkit/_notebooks"), site
    ws = tmp_path / "ws"
    port = _free_port()
    proc, token, printed = _start_lab([pdkit, "lab", "--workspace", str(ws), "--trainee", "wheel.user"], port)
    try:
        assert "01_plasmid_fermentation.ipynb" in _contents(port, token, "notebooks/course")
        assert (ws / "docs" / "course" / "primer.md").is_file()
        assert (ws / "data_samples").is_dir()
    finally:
        _stop(proc)
    installed = Path(site).parent
    assert not list(installed.rglob("*.ipynb")), "the installed package was written to"
