"""Templates, worked examples and lessons are jupytext text files that round-trip exactly.

Opening a text notebook in JupyterLab (through jupytext) and saving it must give back
the same file, or every edit would come with unrelated reformatting; nothing executed
is committed; every notebook has its expected-values file and no expected file is left
without its notebook.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _text_notebooks() -> list[Path]:
    from pdkit.publish.execute import notebook_sources

    return sorted(ROOT.glob("templates/*.py")) + notebook_sources(ROOT / "notebooks")


TEXT = _text_notebooks()


@pytest.mark.parametrize("path", TEXT, ids=[p.relative_to(ROOT).as_posix() for p in TEXT])
def test_text_notebook_round_trips(path):
    import jupytext

    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    assert nb.cells, f"{path.name}: no cells"
    again = jupytext.writes(nb, fmt="py:percent")
    assert again == text, f"{path.name} changes when saved through jupytext"
    # the form pdkit executes is the same notebook
    from pdkit.nbio import read_notebook

    executed_form = read_notebook(path)
    assert [c.source for c in executed_form.cells] == [c.source for c in nb.cells]
    assert "NBVAL_CHECK_OUTPUT" not in text, "use the cell tag nbval-check-output, not the comment"


def test_templates_have_one_parameters_cell_then_validation():
    from pdkit.nbio import read_notebook

    for path in sorted(ROOT.glob("templates/*.py")):
        nb = read_notebook(path)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        after = next(c for c in nb.cells[tagged[0] + 1:] if c.cell_type == "code")
        assert "check_parameters(" in after.source, f"{path.name}: the first code cell after parameters validates"


def test_nothing_executed_is_committed_and_notebooks_stay_small():
    try:
        files = subprocess.run(["git", "ls-files", "templates", "notebooks"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert not [f for f in files if f.endswith(".ipynb")]
    size = sum((ROOT / f).stat().st_size for f in files if (ROOT / f).is_file())
    assert size < 2_000_000, f"notebooks/ and templates/ hold {size} bytes"


def test_every_notebook_has_an_expected_file_and_no_orphans():
    from pdkit.publish.execute import notebook_sources
    from pdkit.publish.expected import expected_path

    nb_root, exp_root = ROOT / "notebooks", ROOT / "tests" / "expected" / "notebooks"
    wanted = {expected_path(p, nb_root, exp_root) for p in notebook_sources(nb_root)}
    present = set(exp_root.rglob("*.json"))
    assert not sorted(wanted - present), "run `make notebooks` to record expected values"
    assert not sorted(present - wanted), "expected files without a notebook"
