"""pdkit: a process-development kit for plasmid DNA and viral-vector manufacturing.

The top-level package is deliberately light: import the domain module you need
(``pdkit.stats``, ``pdkit.stability``, ``pdkit.doe``, ``pdkit.upstream``, ...).
Plotting (bokeh) and widgets (ipywidgets) live in ``pdkit.plots`` and
``pdkit.explorer`` and are never imported by the computational modules.
"""
from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
