"""Bokeh plotting for pdkit (imported only by reports, notebooks and the explorer).

Domain plots live in ``pdkit.plots.<domain>`` and return bokeh figures built from
pdkit result objects; they never compute statistics themselves.  In notebooks
call :func:`setup` once and :func:`show` for each figure: resources are inline,
so exported HTML reports render with the network off.
"""
from __future__ import annotations

__all__ = ["setup", "show", "inline_resources", "PALETTE"]

# Okabe-Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

_ready = False

# BokehJS bundles embedded in notebooks and reports.  pdkit's figures use core
# bokeh only (no bokeh widgets, DataTable, WebGL or LaTeX labels), so the other
# bundles (MathJax alone is 1.8 MB) are left out; a plot module that needs one
# must add it here.
INLINE_COMPONENTS = ("bokeh",)


def inline_resources():
    """Bokeh ``Resources`` with the JavaScript inline (no CDN) and without MathJax."""
    from bokeh.resources import Resources

    return Resources(mode="inline", components=list(INLINE_COMPONENTS))


def setup() -> None:
    """Load BokehJS inline into the notebook (no CDN), once per kernel."""
    global _ready
    from bokeh.io import output_notebook

    output_notebook(resources=inline_resources(), hide_banner=True)
    _ready = True


def show(fig) -> None:
    """Show a bokeh figure or layout inline in the notebook (calls :func:`setup` if needed)."""
    from bokeh.io import show as bokeh_show

    if not _ready:
        setup()
    bokeh_show(fig)
