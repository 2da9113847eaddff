"""PDF output of pdkit's HTML pages (reports, certificates) through headless Chromium.

:func:`html_to_pdf` prints a local HTML file to PDF with Debian's Chromium in
headless mode (``--print-to-pdf``), offline: the page is opened as a ``file://``
URL, host names do not resolve and any ``http(s)`` request goes to a closed
loopback port.  Paper size (A4 or US Letter, portrait) and the running header and
footer are set with CSS paged media (``@page`` size and page-margin boxes with
``counter(page)`` / ``counter(pages)``), which Chromium renders itself, so no
test-only package is needed at run time.  A small print stylesheet makes sure
nothing is cut at the right edge: wide tables and long lines of output wrap
(nbconvert's fixed table layout is relaxed) and long outputs may break across
pages, with table headers repeated.  The PDF is written atomically (a
temporary file renamed into place) and Chromium is killed if it does not finish
within the timeout.

:func:`check_available` says, in one line, why PDF output is not possible here
(``None`` when it is).  The browser is ``$PDKIT_CHROMIUM`` when set, else
``/usr/bin/chromium``, else ``chromium`` or ``chromium-browser`` on ``PATH``.

Examples
--------
>>> css_string('Lot "A/1" </style>')
'"Lot \\\\000022 A/1\\\\000022  \\\\00003C /style\\\\00003E "'
"""
from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pdkit.errors import InputError
from pdkit.io.files import atomic_path

__all__ = ["html_to_pdf", "check_available", "find_chromium", "css_string", "PAPER_SIZES", "CHROMIUM_FLAGS"]

#: CSS ``@page`` sizes of the supported papers (portrait), by the names :func:`html_to_pdf` accepts
PAPER_SIZES = {"a4": "A4 portrait", "letter": "letter portrait"}

#: command-line flags every Chromium launch gets (plus a fresh ``--user-data-dir``)
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # offline: no name resolves, and any http(s) request is sent to a closed loopback port
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--disable-quic",
    "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
    "--no-pdf-header-footer", "--disable-breakpad", "--disable-crash-reporter",
    # let the page's timers and asynchronous rendering (bokeh plots) finish before printing; virtual
    # time runs ahead when the page is idle, so this costs no waiting
    "--virtual-time-budget=15000",
)

INSTALL_HINT = "apt-get install chromium"
_DEFAULT_TIMEOUT = 120.0
_SAFE_CSS = re.compile(r"[A-Za-z0-9 .,:;/()_+=#@!?%*\[\]-]")
_PAGES_COUNTER = re.compile(r"counter\(\s*pages\s*\)")


def css_string(value: Any) -> str:
    """``value`` as a quoted CSS string (for ``content:``), safe inside an HTML ``<style>`` element.

    Every character other than letters, digits, space and plain punctuation is
    written as a six-digit CSS escape followed by the space that ends it, so quotes,
    backslashes, newlines and ``<`` (which could close the ``<style>`` element)
    cannot end the string.

    Examples
    --------
    >>> css_string("pDNA — lot 7")
    '"pDNA \\\\002014  lot 7"'
    >>> css_string(None)
    '""'
    """
    text = "" if value is None else " ".join(str(value).split())
    # a hex escape ends at its (always consumed) trailing space, so a real space after it survives
    return '"' + "".join(c if _SAFE_CSS.fullmatch(c) else f"\\{ord(c):06X} " for c in text) + '"'


def find_chromium() -> str | None:
    """Path of the Chromium to use, or None: ``$PDKIT_CHROMIUM`` (as given, even if missing),
    else ``/usr/bin/chromium``, else ``chromium`` / ``chromium-browser`` on ``PATH``.

    A bare command name in ``$PDKIT_CHROMIUM`` is looked up on ``PATH``.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PDKIT_CHROMIUM": "/no/such/chromium"}):
    ...     find_chromium()
    '/no/such/chromium'
    """
    override = os.environ.get("PDKIT_CHROMIUM", "").strip()
    if override:
        return override if os.sep in override else (shutil.which(override) or override)
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


_WORKING: set[str] = set()  # browsers whose --version answered, in this process


def _probe(path: str) -> str | None:
    """None if ``path --version`` runs and names Chromium/Chrome, else why not (success is remembered)."""
    if path in _WORKING:
        return None
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return " ".join(f"cannot run {path} ({exc.__class__.__name__}: {exc})".split())
    if done.returncode != 0 or not re.search(r"chrom", done.stdout, re.I):
        return f"{path} --version failed (exit {done.returncode})"
    _WORKING.add(path)
    return None


def check_available() -> str | None:
    """None when a usable Chromium is found, else a one-line message saying what to install.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PDKIT_CHROMIUM": "/no/such/chromium"}):
    ...     print(check_available())
    PDF output needs Chromium: PDKIT_CHROMIUM=/no/such/chromium is not an executable file (apt-get install chromium, or unset PDKIT_CHROMIUM)
    """
    path = find_chromium()
    override = bool(os.environ.get("PDKIT_CHROMIUM", "").strip())
    if path is None:
        return f"PDF output needs Chromium: {INSTALL_HINT}"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if override:
            return (f"PDF output needs Chromium: PDKIT_CHROMIUM={path} is not an executable file "
                    f"({INSTALL_HINT}, or unset PDKIT_CHROMIUM)")
        return f"PDF output needs Chromium: {path} is not an executable file ({INSTALL_HINT})"
    problem = _probe(os.path.realpath(path))
    if problem:
        return f"PDF output needs a working Chromium: {problem} ({INSTALL_HINT})"
    return None


def _paper(paper: Any) -> str:
    key = str(paper).strip().lower() if paper is not None else ""
    if key not in PAPER_SIZES:
        raise InputError(f"paper: expected A4 or Letter, got {paper!r}")
    return PAPER_SIZES[key]


# Print safety for any page (reports exported by nbconvert in particular).  The page is laid out
# in a window as wide as the printable area, so these rules apply to all media.  Long lines of
# output wrap, overflow is never clipped, long outputs may break across pages, table headers repeat.
_PRINT_SAFETY = """
html, body { overflow: visible !important; }
html { font-variant-ligatures: none; }  /* "offline", not "o\\ufb04ine", in the PDF text */
.jp-OutputArea-child, .jp-OutputArea-output, .jp-Cell { break-inside: auto !important; }
.jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-RenderedHTML { overflow: visible !important; }
.jp-RenderedHTMLCommon table { table-layout: auto !important; font-size: 8pt !important; }
.jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td { padding: 0.3em 0.4em !important; }
th, td { word-break: normal !important; overflow-wrap: break-word !important; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere !important; overflow: visible !important; }
thead { display: table-header-group; }
tr, img, svg, canvas { break-inside: avoid; }
img, svg, canvas { max-width: 100% !important; }
th.pdkit-pdf-break, td.pdkit-pdf-break, table.pdkit-pdf-break-all th, table.pdkit-pdf-break-all td {
  overflow-wrap: anywhere !important; }
"""

# A table still wider than the printable area (many columns, long unbroken words) would be cut at
# the right edge: first let its cells with long words break anywhere, then scale the table down
# (to 60 % at least), and as a last resort let every cell break anywhere.  Short words (numbers,
# lot names) are never split unless that last resort is needed.
_FIT_TABLES_JS = """(function () {
  var LONG = /\\S{13,}/;
  function room(t) {
    var limit = document.documentElement.clientWidth;
    for (var a = t.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") {
        limit = Math.min(limit, a.getBoundingClientRect().left + a.clientLeft + a.clientWidth);
      }
    }
    return limit - t.getBoundingClientRect().left;
  }
  function over(t) { return t.getBoundingClientRect().width > room(t) + 0.5; }
  function fit() {
    var tables = document.querySelectorAll("table");
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (!over(t)) continue;
      var cells = t.querySelectorAll("th, td");
      for (var j = 0; j < cells.length; j++) {
        if (LONG.test(cells[j].textContent)) cells[j].classList.add("pdkit-pdf-break");
      }
      if (!over(t)) continue;
      var f = Math.max(0.6, room(t) / t.getBoundingClientRect().width * 0.98);
      t.style.zoom = String(f);
      if (over(t)) t.classList.add("pdkit-pdf-break-all");
    }
  }
  fit();
  window.addEventListener("load", fit);
})();"""
_FIT_TABLES = f"<script>{_FIT_TABLES_JS}</script>"
_FIT_TABLES_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(_FIT_TABLES_JS.encode("utf-8")).digest()).decode() + "'"
_CSP_META = re.compile(r"""<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>""", re.I)
_CONTENT_ATTR = re.compile(r"""(\bcontent\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)


def _allow_fit_script(page: str) -> str:
    """``page`` with the table-fitting script added to any Content-Security-Policy that would block it.

    Only that one script (by its SHA-256) is allowed; the rest of the policy stays as it is.
    """
    def directive_list(policy: str) -> list[list[str]]:
        return [d.split() for d in policy.split(";") if d.strip()]

    def allow(policy: str) -> str:
        directives = directive_list(policy)
        names = [d[0].lower() for d in directives]
        if "script-src" in names:
            d = directives[names.index("script-src")]
            sources = [x.lower() for x in d[1:]]
            inline_ok = "'unsafe-inline'" in sources and not any(
                x.startswith(("'sha", "'nonce-")) for x in sources)
            if not inline_ok:
                directives[names.index("script-src")] = [x for x in d if x.lower() != "'none'"] + [_FIT_TABLES_HASH]
        elif "default-src" in names:
            d = directives[names.index("default-src")]
            directives.append(["script-src", *[x for x in d[1:] if x.lower() != "'none'"], _FIT_TABLES_HASH])
        return "; ".join(" ".join(d) for d in directives)

    def meta(m: re.Match) -> str:
        tag = m.group(0)
        c = _CONTENT_ATTR.search(tag)
        if not c:
            return tag
        policy = html.unescape(c.group(2) if c.group(2) is not None else c.group(3))
        new = html.escape(allow(policy), quote=True)
        return tag[:c.start()] + f'{c.group(1)}"{new}"' + tag[c.end():]

    return _CSP_META.sub(meta, page)

_MARGINS = "16mm 12mm 16mm 12mm"
#: printable width in CSS pixels (paper width less the 12 mm side margins of ``_MARGINS``)
_LAYOUT_WIDTH_PX = {"A4 portrait": round((210 - 24) / 25.4 * 96), "letter portrait": round((215.9 - 24) / 25.4 * 96)}

_BOX_STYLE = "font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 8pt; color: #444; letter-spacing: 0.01pt;"


def _page_title(source: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", source, re.I | re.S)
    text = " ".join(html.unescape(match.group(1)).split()) if match else ""
    return text or None


_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.I | re.S)
_MEDIA_PRELUDE = re.compile(r"@media\b([^{};]*)\{")


def _as_printed(source: str) -> str:
    """``source`` with its print-only CSS applied on screen too and its screen-only CSS never, so
    the page's on-screen layout (which the table-fitting script measures) is the printed one."""
    def prelude(m: re.Match) -> str:
        query = re.sub(r"\bscreen\b", "tv", m.group(1), flags=re.I)
        return "@media" + re.sub(r"\bprint\b", "all", query, flags=re.I) + "{"

    return _STYLE_BLOCK.sub(lambda m: m.group(1) + _MEDIA_PRELUDE.sub(prelude, m.group(2)) + m.group(3), source)


def _print_page(source: str, source_uri: str, size: str, header: str | None) -> str:
    """The HTML to print: ``source`` with a ``<base>`` pointing at its file and the page rules."""
    own_numbers = bool(_PAGES_COUNTER.search(source))
    if header is None and not own_numbers:
        header = _page_title(source)
    source = _as_printed(source)
    early = ["<style>/* pdkit.pdf defaults; the page's own @page rules override them */",
             f"@page {{ margin: {_MARGINS}; }}"]
    if header is not None or not own_numbers:
        early.append('@page { @bottom-right { content: "Page " counter(page) " of " counter(pages); '
                     f"{_BOX_STYLE} }} }}")
    early.append("</style>")
    late = ["<style>/* pdkit.pdf: paper size and header chosen by the caller */",
            f"@page {{ size: {size}; }}", _PRINT_SAFETY]
    if not own_numbers:  # a page without a print layout of its own (a report): pdkit's margins
        late.append(f"@page {{ margin: {_MARGINS}; }}")
    if header is not None:
        late.append(f"@page {{ @top-center {{ content: {css_string(header)}; {_BOX_STYLE} }} }}")
    late.append("</style>")
    late.append(_FIT_TABLES)
    base = f'<meta charset="utf-8"><base href="{html.escape(source_uri, quote=True)}">'
    head_open = re.search(r"<head\b[^>]*>", source, re.I)
    if head_open:
        page = source[:head_open.end()] + base + "\n".join(early) + source[head_open.end():]
    else:
        page = base + "\n".join(early) + source
    page = _allow_fit_script(page)
    closing = [m for m in re.finditer(r"</body\s*>", page, re.I)]
    if closing:
        at = closing[-1].start()
        return page[:at] + "\n".join(late) + page[at:]
    return page + "\n".join(late)


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    useful = [ln for ln in lines if "dbus" not in ln.lower() and "fontconfig" not in ln.lower()]
    return (useful or lines or ["no message"])[-1][:300]


def html_to_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, paper: str = "A4",
                header: str | None = None, timeout: float = _DEFAULT_TIMEOUT) -> Path:
    """Print a local HTML file to PDF with headless Chromium (offline), atomically.

    Parameters
    ----------
    html_path : path
        The HTML page (a report or certificate); relative links resolve against its folder.
    pdf_path : path
        The PDF to write (its folder is created); replaced only when printing succeeded.
    paper : {"A4", "Letter"}
        Paper size, portrait (overrides any ``@page`` size in the page).
    header : str, optional
        Text for the top centre of every page (e.g. product and lot); "Page i of N" is
        then added at the bottom right.  Default: a page with page numbers of its own
        (``counter(pages)`` in its CSS, as pdkit's certificates) keeps its ``@page``
        header and footer as they are; any other page gets its ``<title>`` as header
        and "Page i of N".
    timeout : float
        Seconds before Chromium is killed and a ``RuntimeError`` raised.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    InputError
        The HTML file does not exist, or ``paper`` is not A4 or Letter.
    RuntimeError
        No usable Chromium (see :func:`check_available`), Chromium failed or timed out.

    Examples
    --------
    >>> html_to_pdf("no-such-report.html", "out.pdf")
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: no-such-report.html: no such HTML file
    """
    src = Path(html_path)
    size = _paper(paper)
    if not src.is_file():
        raise InputError(f"{html_path}: no such HTML file")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise InputError(f"timeout: expected a positive number of seconds, got {timeout!r}")
    problem = check_available()
    if problem:
        raise RuntimeError(problem)
    chromium = find_chromium()
    assert chromium is not None
    target = Path(pdf_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{target.parent}: cannot create the folder for the PDF ({exc.strerror})") from None
    source = src.read_bytes().decode("utf-8", errors="replace")
    page = _print_page(source, src.resolve().as_uri(), size, header)

    with atomic_path(target, mode=0o644) as tmp_pdf:  # no partial PDF on a failure or a full disk
        with tempfile.TemporaryDirectory(prefix="pdkit-pdf-", ignore_cleanup_errors=True) as work:
            printable = Path(work) / "page.html"
            printable.write_text(page, encoding="utf-8")
            profile = Path(work) / "profile"
            profile.mkdir()
            cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={_LAYOUT_WIDTH_PX[size]},1100",
                   f"--print-to-pdf={tmp_pdf}", printable.as_uri()]
            _run(cmd, timeout, src.name, home=work)
        with open(tmp_pdf, "rb") as fh:
            magic = fh.read(5)
        if magic != b"%PDF-":
            raise RuntimeError(f"Chromium wrote no PDF for {src.name}")
    return target


def _run(cmd: list[str], timeout: float, name: str, home: str) -> None:
    """Run Chromium in its own process group; kill the whole group on timeout.

    ``HOME`` and the XDG folders point into ``home`` (the temporary folder), so nothing the
    browser keeps (crash-report database, caches) is written into the user's home.
    """
    env = dict(os.environ)
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_CACHE_HOME=os.path.join(home, "cache"))
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True, env=env)
    except OSError as exc:
        raise RuntimeError(f"cannot start Chromium {cmd[0]} ({exc.strerror or exc})") from None
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise RuntimeError(f"Chromium did not finish printing {name} within {timeout:g} s and was stopped") from None
    except BaseException:  # KeyboardInterrupt, a signal turned into an exception: never leave it running
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"Chromium failed to print {name} (exit {proc.returncode}): {_last_error_line(stderr)}")


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the Chromium we started and its helpers (its own process group, made by ``start_new_session``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass
