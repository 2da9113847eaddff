"""Building the kit's notebooks: cached execution, numeric regression files and the static site.

The worked examples (``notebooks/*.py``) and the course (``notebooks/course/*.py``)
are jupytext text notebooks; nothing executed is committed.  This package

* executes them (:mod:`pdkit.publish.execute`), through a jupyter-cache database so
  that ``make notebooks`` re-runs only a notebook whose code, kernel or pdkit inputs
  changed;
* extracts what a regression test compares (:mod:`pdkit.publish.expected`): the
  printed output of cells tagged ``nbval-check-output`` and every value recorded with
  :func:`pdkit.record.record`, kept in small JSON files under ``tests/expected/``;
* renders the executed notebooks as an offline static site (:mod:`pdkit.publish.site`).

Run ``python -m pdkit.publish --help`` (``make notebooks``, ``make site``).
"""
from __future__ import annotations

__all__: list[str] = []
