"""HTML export of executed reports for QA review, offline and script-safe.

The HTML has a header block (title, template, status, who ran it where and why,
the empty signature markers that ``pdkit sign`` fills, parameters, inputs with
their SHA-256, versions, git commit, start/end time), hides code by default and
keeps bokeh's JavaScript inline (templates load BokehJS with
``pdkit.plots.setup()``, which uses inline resources).  References to external
scripts and stylesheets that nbconvert's template would add (require.js,
MathJax, widget manager from a CDN) are removed so the page renders with the
network off; :func:`external_references` lists any that remain.

User text must never become markup or script in a report (issue 12).  Templates
escape every user value with :mod:`pdkit.escape`; this module is the second line
of defence, so that a template that forgets cannot reopen the hole:

* **Sanitising.**  The HTML rendered from Markdown cells and from ``text/markdown``
  outputs, the ``text/html`` outputs and raw cells go through
  :func:`sanitize_html`, an allow-list sanitiser built on the standard library's
  ``html.parser`` that re-serialises what it parsed: only listed elements and
  attributes survive, every text and attribute value is re-escaped, links may only
  be relative, ``http(s):`` or ``mailto:``, images only relative, ``http(s):`` or
  ``data:image/png|jpeg|gif``; a disallowed tag is shown as literal text (so a
  missed escape is visible, not silently lost), ``<script>`` and ``<style>``
  elements are dropped with their content.  bleach is installed (nbconvert needs
  it) but deprecated upstream and nbconvert's own ``sanitize_html`` option drops
  headings and tables and every ``application/javascript`` output (bokeh), so it
  is not used.  Bokeh's own outputs (a bundle carrying an
  ``application/vnd.bokehjs_*`` mimetype, and the empty ``<div ... data-root-id>``
  that bokeh displays before its script) are kept as they are; any other
  ``application/javascript`` output is dropped.
* **Content-Security-Policy.**  A ``<meta http-equiv="Content-Security-Policy">``
  is the first element of ``<head>``.  ``script-src`` lists only the
  ``'sha256-...'`` hashes of the inline scripts pdkit trusts: those of nbconvert's
  page template (found by rendering an empty notebook with the same exporter),
  bokeh's scripts from the bundles above, and the print-fitting script of this
  module.  There is no ``'unsafe-inline'``, so an injected inline script, event
  handler or ``javascript:`` link does not run even if escaping and sanitising
  both missed it.  ``object-src``, ``base-uri``, ``form-action``, ``frame-src``
  and ``connect-src`` are ``'none'``; styles may be inline.
  **BokehJS 3.9 does not need** ``'unsafe-eval'``: every plot of every template
  draws under this policy without it (checked in headless Chromium by
  ``tests/test_attack_injection.py``, which also records that no CSP violation is
  reported), so it is not granted.

Print: tables paginate with repeated headers, rows are not split, long cell text
wraps, and bokeh plots wider than the page are scaled down to its width when the
page is printed (a small trusted script on ``beforeprint``, as bokeh draws inside
shadow DOM that page CSS cannot reach).

Examples
--------
>>> sanitize_html('<b onclick="x()">Lot <i>7</i></b><script>alert(1)</script>')
'<b>Lot <i>7</i></b>'
>>> sanitize_html('<a href="javascript:alert(1)">x</a> <svg onload=alert(2)>')
'<a>x</a> &lt;svg onload=alert(2)&gt;'
"""
from __future__ import annotations

import base64
import copy
import functools
import hashlib
import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "export_html", "header_html", "external_references", "html_exporter", "sanitize_html",
    "content_security_policy", "script_hash", "inline_scripts", "SIGNATURE_MARKERS", "BOKEH_MIMETYPES",
]

_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I | re.S)
_EXTERNAL_REF = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)", re.I)

#: the empty block that ``pdkit sign`` fills with review and approval signatures
SIGNATURE_MARKERS = "<!--pdkit-signatures--><!--/pdkit-signatures-->"

#: mimetypes by which an output bundle is recognised as bokeh's own (kept unsanitised, its scripts trusted)
BOKEH_MIMETYPES = ("application/vnd.bokehjs_load.v0+json", "application/vnd.bokehjs_exec.v0+json")

# Bokeh draws into shadow DOM, so page CSS cannot size its canvases: scale each plot that is wider
# than its output area down to that width while printing, and restore it afterwards.
_PRINT_FIT_SCRIPT = """
(function () {
  function plots() { return document.querySelectorAll(".jp-OutputArea-output > div > [class^='bk-']"); }
  window.addEventListener("beforeprint", function () {
    var all = plots();
    for (var i = 0; i < all.length; i++) {
      var el = all[i], room = el.parentElement.parentElement.clientWidth, wide = el.scrollWidth;
      if (room > 0 && wide > room) { el.style.zoom = String(room / wide); }
    }
  });
  window.addEventListener("afterprint", function () {
    var all = plots();
    for (var i = 0; i < all.length; i++) { all[i].style.zoom = ""; }
  });
})();
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


# --------------------------------------------------------------------------------------------
# sanitiser

_ALLOWED_TAGS = frozenset("""
a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt em figcaption
figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt ruby s samp small span strong sub summary
sup table tbody td tfoot th thead time tr tt u ul var wbr
""".split())
_VOID_TAGS = frozenset({"br", "col", "hr", "img", "wbr"})
# raw-text elements: their content is code, never text for the reader; dropped with the element
_DROP_WITH_CONTENT = frozenset({"script", "style"})
_GLOBAL_ATTRIBUTES = frozenset({"class", "title", "lang", "dir", "align", "valign", "style"})
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "table": {"border", "cellpadding", "cellspacing"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    **{f"h{n}": {"id"} for n in range(1, 7)},  # anchors of Markdown headings
}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|jpg|gif)(?:;[a-z0-9=.+-]*)*;base64,[a-z0-9+/=\s]*\Z", re.I)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_CSS_PROPERTIES = frozenset({
    "text-align", "vertical-align", "white-space", "width", "min-width", "max-width", "height", "color",
    "background-color", "font-weight", "font-style", "font-size", "text-decoration", "border", "border-collapse",
    "border-top", "border-bottom", "border-left", "border-right", "padding", "padding-left", "padding-right",
    "margin", "margin-left", "margin-right", "line-height",
})
_CSS_VALUE = re.compile(r"[#a-z0-9%.,()\s+-]*\Z", re.I)


def _safe_url(value: str, tag: str) -> bool:
    """Whether an ``href``/``src`` value (entities already decoded) is harmless for ``tag``."""
    compact = _URL_NOISE.sub("", value).lower()  # browsers ignore tabs/newlines inside a scheme
    match = _SCHEME.match(compact)
    if match is None:  # relative, fragment or query: no scheme, no script
        return True
    scheme = match.group(1)
    if tag == "img":
        return scheme in _IMAGE_SCHEMES or bool(_IMAGE_DATA.match(value.strip()))
    return scheme in _LINK_SCHEMES


def _safe_style(value: str) -> str:
    kept = []
    for declaration in value.split(";"):
        if ":" not in declaration:
            continue
        prop, _, val = declaration.partition(":")
        prop, val = prop.strip().lower(), val.strip()
        low = val.lower()
        if (prop in _CSS_PROPERTIES and _CSS_VALUE.match(val) and "url" not in low and "expression" not in low
                and "var" not in low and "attr" not in low):
            kept.append(f"{prop}: {val}")
    return "; ".join(kept) + (";" if kept else "")


class _Sanitiser(HTMLParser):
    """Re-serialise a fragment keeping only allow-listed elements and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # allowed elements opened and not yet closed
        self.skip = 0  # inside <script>/<style>

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        allowed = _TAG_ATTRIBUTES.get(tag, set())
        seen: set[str] = set()
        parts = []
        for name, value in attrs:
            name = name.lower()
            if name in seen or (name not in _GLOBAL_ATTRIBUTES and name not in allowed):
                continue
            value = "" if value is None else value
            if name in ("href", "src") and not _safe_url(value, tag):
                continue
            if name == "style":
                value = _safe_style(value)
                if not value:
                    continue
            seen.add(name)
            parts.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in _DROP_WITH_CONTENT:
            self.skip += 1
            return
        if self.skip:
            return
        if tag not in _ALLOWED_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>", quote=False))
            return
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")
        if tag not in _VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if self.skip or tag in _DROP_WITH_CONTENT:
            return
        if tag not in _ALLOWED_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}/>", quote=False))
            return
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")
        if tag not in _VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _DROP_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag in _VOID_TAGS:
            return
        if tag not in _ALLOWED_TAGS:
            self.out.append(html.escape(f"</{tag}>", quote=False))
            return
        if tag in self.open:  # close what the fragment left open inside it, then the element
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(html.escape(data, quote=False))

    # comments, declarations and processing instructions are never kept
    def handle_comment(self, data: str) -> None:
        return None

    def handle_decl(self, decl: str) -> None:
        return None

    def handle_pi(self, data: str) -> None:
        return None

    def unknown_decl(self, data: str) -> None:
        return None

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize_html(fragment: str) -> str:
    """``fragment`` with everything that could run script, load a frame or submit a form removed.

    An allow-list of text, table, list and heading elements is kept (with
    ``class``, ``title``, a filtered ``style`` and a few element-specific
    attributes); ``on*`` attributes, ``javascript:``/``vbscript:``/``data:`` URLs
    (other than ``data:image/png|jpeg|gif`` in ``<img>``), comments and
    ``<script>``/``<style>`` elements with their content are removed; any other
    tag (``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<base>``,
    ``<meta>``, ``<svg>``, ...) is shown as literal text.  Elements left open are
    closed, so a fragment cannot swallow the page after it.

    Parameters
    ----------
    fragment : str
        HTML from a notebook output or from rendered Markdown.

    Returns
    -------
    str
        Inert HTML.

    Examples
    --------
    >>> sanitize_html('<img src=x onerror="alert(1)"><p style="color: red; background: url(x)">ok')
    '<img src="x"><p style="color: red;">ok</p>'
    >>> sanitize_html('<iframe src="https://x"></iframe><a href="JaVa&#09;script:alert(1)">y</a>')
    '&lt;iframe src="https://x"&gt;&lt;/iframe&gt;<a>y</a>'
    """
    parser = _Sanitiser()
    parser.feed("" if fragment is None else str(fragment))
    return parser.result()


# --------------------------------------------------------------------------------------------
# Content-Security-Policy

def script_hash(text: str) -> str:
    """The CSP source expression (``'sha256-…'``) that allows an inline script with this text.

    Line breaks are normalised as the HTML parser does before the browser hashes.

    Examples
    --------
    >>> script_hash("alert(1)")
    "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
    """
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii") + "'"


def content_security_policy(script_hashes: Iterable[str], *, allow_eval: bool = False) -> str:
    """The policy of a report page that runs only the inline scripts with these hashes.

    ``allow_eval`` adds ``'unsafe-eval'``, which bokeh's ``CustomJS`` callbacks need (they are
    compiled with ``new Function``); only pages of the kit's own notebooks (the static site)
    use it, never a report that shows user data.

    Examples
    --------
    >>> content_security_policy([script_hash("alert(1)")]).split("; ")[:2]
    ["default-src 'none'", "script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
    """
    hashes = sorted(set(script_hashes))
    scripts = " ".join(hashes) if hashes else "'none'"
    if allow_eval:
        scripts += " 'unsafe-eval'"
    return ("default-src 'none'; "
            f"script-src {scripts}; "
            "style-src 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "connect-src 'none'; frame-src 'none'; worker-src 'none'; "
            "object-src 'none'; base-uri 'none'; form-action 'none'")


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[dict[str, str], str]] = []
        self._current: tuple[dict[str, str], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._current = ({k: v or "" for k, v in attrs}, [])

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.found.append((self._current[0], "".join(self._current[1])))
            self._current = None


def inline_scripts(page: str) -> list[str]:
    """The text of every inline ``<script>`` of a page, in order (external ones excluded).

    Examples
    --------
    >>> inline_scripts('<p>x</p><script>var a = 1;</script><script src="b.js"></script>')
    ['var a = 1;']
    """
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return [text for attrs, text in parser.found if "src" not in attrs]


_BOKEH_DIV = re.compile(r'\s*<div id="[0-9a-f-]{36}" data-root-id="p\d+" style="display: contents;"></div>\s*')
_JS_OUTPUT = re.compile(r"\s*var element = document\.getElementById\('[0-9a-f-]{36}'\);\n(.*)", re.S)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


_SCRIPT_BREAK = re.compile(r"<(/script|!--)", re.I)


def _script_safe(js: str) -> str:
    """JavaScript that cannot end (or confuse) the ``<script>`` element it is written into.

    Bokeh's notebook output embeds the plot data (user text such as run or lot
    names) in JavaScript string literals; a value containing ``</script>`` would
    close the element early in the exported page and the rest would be parsed as
    HTML.  Inside string literals ``<\\/script`` and ``<\\!--`` mean the same text.
    """
    return _SCRIPT_BREAK.sub(lambda m: "<\\" + m.group(1), js)


def _neutralise(nb: Any) -> tuple[set[str], set[str]]:
    """Sanitise the notebook's HTML in place; return bokeh's (javascript outputs, scripts in its html)."""
    bokeh_js: set[str] = set()
    bokeh_scripts: set[str] = set()
    nb.metadata.pop("widgets", None)  # widget state is written into a <script> verbatim
    for cell in nb.cells:
        if cell.cell_type == "raw":
            cell.source = sanitize_html(cell.source)
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if any(k in BOKEH_MIMETYPES or k.startswith("application/vnd.bokehjs_") for k in data):
                if "application/javascript" in data:
                    js = _script_safe(_text(data["application/javascript"]))
                    data["application/javascript"] = js
                    bokeh_js.add(js.strip())
                if "text/html" in data:
                    bokeh_scripts.update(inline_scripts(_text(data["text/html"])))
                continue
            data.pop("application/javascript", None)
            if "text/html" in data:
                fragment = _text(data["text/html"])
                if not _BOKEH_DIV.fullmatch(fragment):
                    data["text/html"] = sanitize_html(fragment)
            if not data:
                output["data"] = {"text/plain": ""}
    return bokeh_js, bokeh_scripts


def _trusted_hashes(page: str, template_scripts: set[str], bokeh_js: set[str], bokeh_scripts: set[str]) -> list[str]:
    hashes = []
    for text in inline_scripts(page):
        if text in template_scripts or text in bokeh_scripts or text == _PRINT_FIT_SCRIPT:
            hashes.append(script_hash(text))
            continue
        match = _JS_OUTPUT.fullmatch(text)
        if match and match.group(1).strip() in bokeh_js:
            hashes.append(script_hash(text))
    return hashes


# --------------------------------------------------------------------------------------------
# header

def header_html(provenance: dict[str, Any]) -> str:
    """The provenance header block shown at the top of every HTML report.

    Rendered from ``templates/report_header.html.j2``; every value is escaped.  Who ran the report, on which host and why (``user``,
    ``host``, ``reason``) read "not recorded" when the provenance lacks them; the
    empty :data:`SIGNATURE_MARKERS` follow the first table.

    Examples
    --------
    >>> block = header_html({"template": "t", "status": "succeeded", "user": "<b>ann</b>"})
    >>> "&lt;b&gt;ann&lt;/b&gt;" in block and "<td>not recorded</td>" in block
    True
    >>> "</table>" + SIGNATURE_MARKERS in block
    True
    """
    from pdkit.reports.pages import render

    p = provenance
    status = p.get("status", "unknown")

    def recorded(key: str) -> Any:
        value = p.get(key)
        return "not recorded" if value is None or str(value).strip() == "" else value

    meta = [
        ("Template", p.get("template")),
        ("Status", status),
        ("Run by", recorded("user")),
        ("Host", recorded("host")),
        ("Reason", recorded("reason")),
        ("Started (UTC)", p.get("started_utc")),
        ("Finished (UTC)", p.get("finished_utc")),
        ("pdkit", p.get("pdkit_version")),
        ("Git commit", (p.get("git_commit") or "not in a git checkout")
         + (" (uncommitted changes)" if p.get("git_dirty") else "")),
    ]
    inputs = [{"parameter": r.get("parameter", ""), "path": r.get("path"), "bytes": r.get("bytes"),
               "sha256": r.get("sha256")} for r in p.get("inputs") or []]
    env = p.get("environment") or {}
    pkgs = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items() if v)
    return render("report_header.html.j2", title=p.get("title") or p.get("template"), meta=meta,
                  error=p.get("error") or "", parameters=list((p.get("parameters") or {}).items()), inputs=inputs,
                  python=env.get("python"), platform=env.get("platform"), packages=pkgs)


def external_references(page: str) -> list[str]:
    """URLs of scripts, stylesheets, images or frames a page would fetch from the network.

    Examples
    --------
    >>> external_references('<script src="https://cdn.example/x.js"></script><img src="a.png">')
    ['https://cdn.example/x.js']
    """
    return _EXTERNAL_REF.findall(page)


# --------------------------------------------------------------------------------------------
# exporter

@functools.lru_cache(maxsize=1)
def _exporter_class() -> type:
    from jinja2 import pass_context
    from nbconvert import HTMLExporter

    class PdkitHTMLExporter(HTMLExporter):
        """nbconvert's lab HTML exporter whose Markdown rendering is sanitised."""

        @pass_context
        def markdown2html(self, context: Any, source: str) -> str:
            return sanitize_html(super().markdown2html(context, source))

    return PdkitHTMLExporter


def _template_scripts(exporter: Any) -> set[str]:
    """Inline scripts of the nbconvert page template itself (cached on the exporter)."""
    cached = getattr(exporter, "_pdkit_template_scripts", None)
    if cached is None:
        import nbformat

        cells = [nbformat.v4.new_markdown_cell("warm-up")]
        if exporter.exclude_input:
            # a shown code cell would be highlighted, and pygments' ipython3 lexer imports IPython:
            # in the runner's warm-up thread that import raced the kernel thread's own check of
            # sys.modules["IPython"] (jupyter_client) and failed a run with KeyError: 'IPython'
            cells.append(nbformat.v4.new_code_cell("1"))
        page, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=cells))
        cached = set(inline_scripts(page))
        exporter._pdkit_template_scripts = cached
    return cached


def html_exporter(*, show_code: bool = False, warm: bool = False) -> Any:
    """The nbconvert ``HTMLExporter`` that :func:`export_html` uses.

    With ``warm=True`` it first renders a one-cell notebook, so that its Jinja
    templates are loaded and compiled (and the page template's own scripts are
    known); the runner does this in a background thread while the kernel executes
    the report, which takes the compilation off the report's critical path.
    """
    exporter = _exporter_class()(template_name="lab")
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    if warm:
        _template_scripts(exporter)
    return exporter


def export_html(notebook: Any, provenance: dict[str, Any], *, show_code: bool = False,
                exporter: Any = None, header: bool = True, allow_eval: bool = False) -> str:
    """Render an executed notebook to a self-contained, script-safe HTML page with the provenance header.

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
    header : bool
        Put the provenance header block at the top (False for pages that are not reports,
        such as the static site of examples and course).
    allow_eval : bool
        Let bokeh ``CustomJS`` callbacks run (``'unsafe-eval'`` in the policy): for the static
        site's pages of the kit's own notebooks (in-browser profiler), never for reports.

    Returns
    -------
    str
        The HTML page: sanitised outputs, a Content-Security-Policy that runs
        only the page template's and bokeh's scripts, the provenance header.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Result <script>alert(1)</script>")])
    >>> page = export_html(nb, {"template": "demo", "status": "succeeded"})
    >>> "pdkit-header" in page and external_references(page) == [] and "<script>alert" not in page
    True
    >>> page.split("<head>", 1)[1].lstrip().startswith('<meta http-equiv="Content-Security-Policy"')
    True
    """
    nb = copy.deepcopy(notebook)
    if exporter is None:
        exporter = html_exporter(show_code=show_code)
    elif not isinstance(exporter, _exporter_class()):
        raise TypeError("export_html: the exporter must come from pdkit.report.html_exporter")
    template_scripts = _template_scripts(exporter)
    bokeh_js, bokeh_scripts = _neutralise(nb)
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL_SCRIPT.sub("", body)
    body = _EXTERNAL_LINK.sub("", body)
    title = _esc(provenance.get("title") or provenance.get("template") or "pdkit report")
    body = re.sub(r"<title>.*?</title>", lambda m: f"<title>{title}</title>", body, count=1, flags=re.S)
    header = header_html(provenance) if header else ""
    match = re.search(r"<body[^>]*>", body)
    if match:
        body = body[: match.end()] + header + body[match.end():]
    else:
        body = header + body
    closing = body.rfind("</body>")
    fit = f"<script>{_PRINT_FIT_SCRIPT}</script>\n"
    body = body[:closing] + fit + body[closing:] if closing >= 0 else body + fit
    policy = content_security_policy(_trusted_hashes(body, template_scripts, bokeh_js, bokeh_scripts),
                                     allow_eval=allow_eval)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}"/>\n'
    head = re.search(r"<head\b[^>]*>", body, re.I)
    if head:
        return body[: head.end()] + meta + body[head.end():]
    return "<!DOCTYPE html>\n<html><head>" + meta + "</head><body>" + body + "</body></html>"
