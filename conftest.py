"""Repository-level pytest plugin: every text notebook under ``notebooks/`` is a regression test.

``pytest notebooks`` (and ``make test``) collects each jupytext notebook under
``notebooks/``, executes it in a fresh kernel and compares what
:func:`pdkit.publish.expected.extract` finds - the printed output of cells tagged
``nbval-check-output`` and every :func:`pdkit.record.record` value - with
``tests/expected/notebooks/<path>.json``.  A cell that raises fails the test.
Executions go through the jupyter-cache database in ``build/jupyter_cache``: a
notebook is executed unless the cache holds an execution of the same code cells with
the same pdkit sources, sample data and installed package versions (on a fresh
clone, every notebook executes); ``--notebook-fresh`` always executes.  Refresh the
expected files after an intended change with ``make notebooks`` and review the diff.

This file is part of the repository's test set-up, not of the installed package.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ROOT / "tests" / "expected" / "notebooks"


def pytest_addoption(parser):
    parser.addoption("--notebook-fresh", action="store_true", default=False,
                     help="execute every notebook, even when build/jupyter_cache has an identical execution")


def _is_notebook(path: Path) -> bool:
    if path.suffix not in (".py", ".md") or NOTEBOOKS not in path.resolve().parents:
        return False
    from pdkit.publish.execute import notebook_sources

    return path.resolve() in {p.resolve() for p in notebook_sources(NOTEBOOKS)}


def pytest_collect_file(file_path: Path, parent):
    # a notebook named on the command line reaches pytest_pycollect_makemodule instead
    if _is_notebook(file_path) and not parent.session.isinitpath(file_path):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent):
    """A text notebook given as an argument is a notebook test, never a module to import."""
    if _is_notebook(module_path):
        return NotebookFile.from_parent(parent, path=module_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        item = NotebookItem.from_parent(self, name="regression")
        item.add_marker(pytest.mark.slow)
        yield item


class NotebookItem(pytest.Item):
    def runtest(self):
        from pdkit.publish.execute import NotebookExecutionError, execute_notebook
        from pdkit.publish.expected import compare, expected_path, extract, load_expected

        path = Path(self.fspath)
        expected_file = expected_path(path, NOTEBOOKS, EXPECTED)
        expected = load_expected(expected_file)
        if expected is None:
            raise NotebookMismatch([f"no expected file {expected_file.relative_to(ROOT)}: run `make notebooks`"])
        try:
            result = execute_notebook(path, cache=not self.config.getoption("--notebook-fresh"))
        except NotebookExecutionError as exc:
            raise NotebookMismatch([str(exc)]) from None
        problems = compare(expected, extract(result.notebook))
        if problems:
            raise NotebookMismatch(problems)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotebookMismatch):
            return f"{self.fspath}:\n" + "\n".join(excinfo.value.problems)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.fspath, 0, f"notebook {Path(self.fspath).relative_to(ROOT)}"


class NotebookMismatch(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
