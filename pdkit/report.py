"""HTML export of executed reports for QA review, offline.

The HTML has a header block (title, template, status, parameters, inputs with
their SHA-256, versions, git commit, start/end time), hides code by default and
keeps bokeh's JavaScript inline (templates load BokehJS with
``pdkit.plots.setup()``, which uses ``bokeh.resources.INLINE``).  References to
external scripts and stylesheets that nbconvert's template would add (require.js,
MathJax, widget manager from a CDN) are removed so the page renders with the
network off; :func:`external_references` lists any that remain.
"""
from __future__ import annotations

import copy
import html
import re
from typing import Any

__all__ = ["export_html", "header_html", "external_references", "html_exporter"]

_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I | re.S)
_EXTERNAL_REF = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)", re.I)

_CSS = """
<style>
.pdkit-header{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;border:1px solid #bbb;
 border-radius:6px;padding:12px 18px;margin:16px auto;max-width:1100px;background:#fafafa;font-size:13px}
.pdkit-header h1{font-size:22px;margin:4px 0 8px 0}
.pdkit-header table{border-collapse:collapse;margin:6px 0 10px 0}
.pdkit-header th,.pdkit-header td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.pdkit-header td.hash{font-family:monospace;font-size:11px;word-break:break-all}
.pdkit-status-succeeded{color:#006400;font-weight:bold}.pdkit-status-failed{color:#b00020;font-weight:bold}
.pdkit-header details{margin-top:4px}
@media print{.pdkit-header{border:none;background:none}}
</style>
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def header_html(provenance: dict[str, Any]) -> str:
    """The provenance header block shown at the top of every HTML report."""
    p = provenance
    status = p.get("status", "unknown")
    rows = [
        ("Template", p.get("template")),
        ("Status", f'<span class="pdkit-status-{_esc(status)}">{_esc(status)}</span>'),
        ("Started (UTC)", p.get("started_utc")),
        ("Finished (UTC)", p.get("finished_utc")),
        ("pdkit", p.get("pdkit_version")),
        ("Git commit", (p.get("git_commit") or "not in a git checkout")
         + (" (uncommitted changes)" if p.get("git_dirty") else "")),
    ]
    meta = "".join(
        f"<tr><th>{_esc(k)}</th><td>{v if k == 'Status' else _esc(v)}</td></tr>" for k, v in rows
    )
    params = "".join(
        f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in (p.get("parameters") or {}).items()
    ) or '<tr><td colspan="2">none</td></tr>'
    inputs = "".join(
        f"<tr><td>{_esc(r.get('parameter', ''))}</td><td>{_esc(r['path'])}</td><td>{_esc(r['bytes'])}</td>"
        f"<td class='hash'>{_esc(r['sha256'])}</td></tr>"
        for r in p.get("inputs") or []
    ) or '<tr><td colspan="4">none</td></tr>'
    env = p.get("environment") or {}
    pkgs = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items() if v)
    error = f"<p><b>Error:</b> {_esc(p.get('error'))}</p>" if p.get("error") else ""
    return f"""{_CSS}
<div class="pdkit-header" id="pdkit-header">
<h1>{_esc(p.get('title') or p.get('template'))}</h1>
<table>{meta}</table>{error}
<b>Parameters</b>
<table><tr><th>name</th><th>value</th></tr>{params}</table>
<b>Input files</b>
<table><tr><th>parameter</th><th>path</th><th>bytes</th><th>SHA-256</th></tr>{inputs}</table>
<details><summary>Environment</summary><p>Python {_esc(env.get('python'))} on {_esc(env.get('platform'))}</p>
<p>{_esc(pkgs)}</p></details>
</div>
"""


def external_references(page: str) -> list[str]:
    """URLs of scripts, stylesheets, images or frames a page would fetch from the network."""
    return _EXTERNAL_REF.findall(page)


def html_exporter(*, show_code: bool = False, warm: bool = False) -> Any:
    """The nbconvert ``HTMLExporter`` that :func:`export_html` uses.

    With ``warm=True`` it first renders a one-cell notebook, so that its Jinja
    templates are loaded and compiled; the runner does this in a background
    thread while the kernel executes the report, which takes the compilation off
    the report's critical path.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    if warm:
        import nbformat

        exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell("warm-up"), nbformat.v4.new_code_cell("1")]))
    return exporter


def export_html(notebook: Any, provenance: dict[str, Any], *, show_code: bool = False,
                exporter: Any = None) -> str:
    """Render an executed notebook to a self-contained HTML page with the provenance header.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The executed notebook (not modified).
    provenance : dict
        The run's provenance (as stored in ``metadata.pdkit``).
    show_code : bool
        Keep code cells' input (hidden by default for QA readers).
    exporter : nbconvert.HTMLExporter, optional
        One made by :func:`html_exporter` with the same ``show_code`` (default: a new one).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Result")])
    >>> page = export_html(nb, {"template": "demo", "status": "succeeded"})
    >>> "pdkit-header" in page and external_references(page) == []
    True
    """
    nb = copy.deepcopy(notebook)
    if exporter is None:
        exporter = html_exporter(show_code=show_code)
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL_SCRIPT.sub("", body)
    body = _EXTERNAL_LINK.sub("", body)
    title = _esc(provenance.get("title") or provenance.get("template") or "pdkit report")
    body = re.sub(r"<title>.*?</title>", f"<title>{title}</title>", body, count=1, flags=re.S)
    header = header_html(provenance)
    match = re.search(r"<body[^>]*>", body)
    if match:
        body = body[: match.end()] + header + body[match.end():]
    else:
        body = header + body
    return body
