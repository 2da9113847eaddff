"""pytest plugin (enabled in pyproject.toml) that adapts nbval to bokeh outputs.

nbval compares stored and fresh outputs of cells marked ``# NBVAL_CHECK_OUTPUT``.
Bokeh outputs carry random ids (``application/javascript``,
``application/vnd.bokehjs_load.v0+json``, ``application/vnd.bokehjs_exec.v0+json``
and the ``text/html`` div that goes with them), so any output that contains a bokeh
MIME type is dropped, whole, from both sides before comparison; the numbers behind
every plot are printed or recorded in outputs that are compared.
"""
from __future__ import annotations

BOKEH_MIME_TYPES = (
    "application/vnd.bokehjs_load.v0+json",
    "application/vnd.bokehjs_exec.v0+json",
)


def _is_bokeh_output(output) -> bool:
    data = output.get("data", {}) if hasattr(output, "get") else {}
    if any(m in data for m in BOKEH_MIME_TYPES):
        return True
    js = data.get("application/javascript", "")
    if isinstance(js, str) and ("Bokeh" in js or "bokeh" in js):
        return True
    html = data.get("text/html", "")
    return isinstance(html, str) and "data-root-id=" in html  # the div a bokeh plot renders into


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to adapt
        return
    if getattr(IPyNbCell, "_pdkit_bokeh_filter", False):
        return
    original = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        test = [o for o in test if not _is_bokeh_output(o)]
        ref = [o for o in ref if not _is_bokeh_output(o)]
        return original(self, test, ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs
    IPyNbCell._pdkit_bokeh_filter = True
