"""pdkit: a process-development kit for plasmid DNA and viral-vector manufacturing.

The package is laid out by responsibility:

========================  ==========================================================
``pdkit.quality``         specifications, tolerance intervals and capability
                          (``stats``), stability/shelf life, trending, outliers, PPQ
``pdkit.process``         upstream, downstream, scale-up and facility/COGS calculations
``pdkit.doe``             designs, model fitting and selection, optimisation
``pdkit.io``              reading lab tables: input contracts, column mappings
``pdkit.lots``            the lot-history database
``pdkit.reports``         running templates (runner, parameters, batch), provenance,
                          signing, HTML/PDF/certificate rendering
``pdkit.plots``,          bokeh plots and ipywidgets explorers (never imported by the
``pdkit.ui``              computational modules)
``pdkit.course``          the training course's exercise checker and records
========================  ==========================================================

The short names used in documentation and by outside tools (``pdkit.stats``,
``pdkit.stability``, ``pdkit.upstream``, ``pdkit.runner``, ...; see
``MODULE_ALIASES``) stay importable: each is the *same module object* as its home in
the layout above, so ``pdkit.stats is pdkit.quality.stats``.  The top-level package
itself stays light and imports nothing until a module is asked for.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MODULE_ALIASES", "__version__"]

__version__ = "0.1.0"

#: Short public module name -> its home in the package layout.
MODULE_ALIASES: dict[str, str] = {
    # quality
    "pdkit.specs": "pdkit.quality.specs",
    "pdkit.stats": "pdkit.quality.stats",
    "pdkit.stability": "pdkit.quality.stability",
    "pdkit.trending": "pdkit.quality.trending",
    "pdkit.outliers": "pdkit.quality.outliers",
    "pdkit.ppq": "pdkit.quality.ppq",
    # process
    "pdkit.upstream": "pdkit.process.upstream",
    "pdkit.downstream": "pdkit.process.downstream",
    "pdkit.scaleup": "pdkit.process.scaleup",
    "pdkit.facility": "pdkit.process.facility",
    # lab data in
    "pdkit.contracts": "pdkit.io.contracts",
    "pdkit.mapping": "pdkit.io.mapping",
    "pdkit._tables": "pdkit.io.tables",
    # reports
    "pdkit.runner": "pdkit.reports.runner",
    "pdkit.params": "pdkit.reports.params",
    "pdkit.provenance": "pdkit.reports.provenance",
    "pdkit.report": "pdkit.reports.html",
    "pdkit.batch": "pdkit.reports.batch",
    "pdkit.pdf": "pdkit.reports.pdf",
    "pdkit.certificate": "pdkit.reports.certificate",
    "pdkit.signing": "pdkit.reports.signing",
    "pdkit.demo": "pdkit.reports.demo",
    "pdkit.nbio": "pdkit.reports.nbio",
    "pdkit.record": "pdkit.reports.record",
    "pdkit.cli_records": "pdkit.reports.cli_records",
    "pdkit._kernel": "pdkit.reports.kernels",
    "pdkit._engine": "pdkit.reports.engine",
    "pdkit._startup": "pdkit.reports.startup",
    # interactive and course
    "pdkit.explorer": "pdkit.ui.explorer",
    "pdkit.tutorial": "pdkit.course.tutorial",
}


class _AliasLoader(importlib.abc.Loader):
    """Hands out the home module itself, so both names share one module object."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):  # noqa: D102
        module = importlib.import_module(self.target)
        self._home_spec, self._home_loader = module.__spec__, module.__loader__
        return module

    def exec_module(self, module) -> None:  # noqa: D102
        # already executed under its home name; the import system has just stamped the
        # alias spec on it: give the module its own spec back
        module.__spec__, module.__loader__ = self._home_spec, self._home_loader


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):  # noqa: D102
        home = MODULE_ALIASES.get(fullname)
        if home is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(home))


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())


def __getattr__(name: str):
    """``pdkit.stats`` as an attribute after ``import pdkit`` (imported on first use)."""
    full = f"pdkit.{name}"
    if full in MODULE_ALIASES:
        return importlib.import_module(full)
    raise AttributeError(f"module 'pdkit' has no attribute {name!r}")
