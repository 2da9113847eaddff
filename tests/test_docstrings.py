"""Every docstring example in pdkit runs and prints what it shows (numpydoc ``Examples``)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pdkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(pdkit.__path__, "pdkit.")
                 if not m.name.startswith("pdkit._nbval"))  # the pytest plugin is loaded by pytest itself


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs=dict(vars(module))):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples failed (see above)"


def test_examples_are_found():
    finder = doctest.DocTestFinder(exclude_empty=True)
    n = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name), name))
    assert n > 100  # a broken finder would make the test above pass vacuously
