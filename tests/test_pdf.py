"""Tests for pdkit.pdf: HTML to PDF with headless Chromium (A4/Letter, header, page x of y, offline).

Tests marked ``browser`` print with Debian's chromium and check the PDF with pypdf: page count,
paper size, the header and "Page i of N" on every page, every table cell's text present and no
text placed beyond the page width.  They skip without chromium (fail with PDKIT_REQUIRE_BROWSER=1).
"""
from __future__ import annotations

import os
import re
import stat

import nbformat
import pandas as pd
import pytest

from conftest import require_chromium
from pdkit import pdf
from pdkit.errors import InputError

pypdf = pytest.importorskip("pypdf")

#: page sizes in PostScript points (pypdf mediabox), Chromium rounds to 1/100 pt
PAGE_POINTS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}


def read_pages(path) -> list[tuple[str, float, list[tuple[float, str]]]]:
    """Per page: its text (pypdf extract_text), its width and the x position (points) of every text item."""
    pages = []
    for page in pypdf.PdfReader(str(path)).pages:
        items: list[tuple[float, str]] = []

        def visit(text, cm, tm, font, size, items=items):
            if text.strip():
                items.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text))

        text = page.extract_text(visitor_text=visit) or ""
        pages.append((text, float(page.mediabox.width), items))
    return pages


def page_texts(path) -> list[str]:
    return [text for text, _, _ in read_pages(path)]


def assert_inside_pages(pages) -> None:
    """No text item starts left of the page or beyond its width (``pages`` from :func:`read_pages`)."""
    for number, (_, width, items) in enumerate(pages, 1):
        assert items, f"page {number}: no text"
        outside = [(round(x, 1), t[:20]) for x, t in items if not 0 <= x < width]
        assert not outside, f"page {number} (width {width:.0f} pt): text outside the page {outside[:5]}"


def assert_paper(path, paper: str) -> None:
    w, h = PAGE_POINTS[paper]
    for page in pypdf.PdfReader(str(path)).pages:
        assert abs(float(page.mediabox.width) - w) < 1.5 and abs(float(page.mediabox.height) - h) < 1.5


@pytest.fixture(scope="module")
def chromium():
    path = require_chromium()
    problem = pdf.check_available()
    if problem:
        pytest.fail(f"chromium is on PATH ({path}) but pdkit.pdf cannot use it: {problem}")
    return path


# ---------------------------------------------------------------------------- without a browser

def test_check_available_names_a_missing_override(tmp_path, monkeypatch):
    missing = tmp_path / "no-chromium"
    monkeypatch.setenv("PDKIT_CHROMIUM", str(missing))
    message = pdf.check_available()
    assert message is not None and "\n" not in message
    assert message.startswith("PDF output needs Chromium") and str(missing) in message
    assert "apt-get install chromium" in message
    assert pdf.find_chromium() == str(missing)


def test_check_available_rejects_a_file_that_is_not_chromium(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'not a browser'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PDKIT_CHROMIUM", str(fake))
    message = pdf.check_available()
    assert message is not None and "--version" in message and "\n" not in message
    fake.chmod(0o644)
    monkeypatch.setenv("PDKIT_CHROMIUM", str(fake) + " ")  # stripped, still the same file
    assert "is not an executable file" in pdf.check_available()


def test_html_to_pdf_without_chromium_is_a_one_line_runtime_error(tmp_path, monkeypatch):
    page = tmp_path / "r.html"
    page.write_text("<html><body>x</body></html>")
    monkeypatch.setenv("PDKIT_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match=r"^PDF output needs Chromium: PDKIT_CHROMIUM=.*missing"):
        pdf.html_to_pdf(page, tmp_path / "r.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_html_to_pdf_input_errors(tmp_path):
    with pytest.raises(InputError, match=r"nope\.html: no such HTML file"):
        pdf.html_to_pdf(tmp_path / "nope.html", tmp_path / "x.pdf")
    page = tmp_path / "r.html"
    page.write_text("<html></html>")
    with pytest.raises(InputError, match=r"paper: expected A4 or Letter, got 'A3'"):
        pdf.html_to_pdf(page, tmp_path / "x.pdf", paper="A3")
    with pytest.raises(InputError, match="timeout: expected a positive number"):
        pdf.html_to_pdf(page, tmp_path / "x.pdf", timeout=0)
    assert not (tmp_path / "x.pdf").exists()


def test_css_string_cannot_break_out():
    s = pdf.css_string('A "quoted" \\ name\n</style><script>alert(1)</script>')
    assert s.startswith('"') and s.endswith('"')
    inner = s[1:-1]
    assert '"' not in inner and "<" not in inner and ">" not in inner and "\n" not in inner
    assert "\\" not in re.sub(r"\\[0-9A-F]{6} ", "", inner)  # every backslash starts a 6-digit escape and its space
    assert pdf.css_string("Lot 7") == '"Lot 7"'


def test_print_page_sets_paper_header_and_keeps_the_page():
    src = ("<!DOCTYPE html><html><head><title>Stability &amp; shelf life</title>"
           "<style>@media print { .x { color: red } } @media only screen and (max-width: 760px) { .y {} }</style>"
           "</head><body><p>content</p></body></html>")
    out = pdf._print_page(src, "file:///tmp/r%20x/report.html", "letter portrait", None)
    assert '<base href="file:///tmp/r%20x/report.html">' in out
    assert "@page { size: letter portrait; }" in out
    assert 'content: "Stability \\000026  shelf life"' in out  # the title is the default header
    assert 'counter(page) " of " counter(pages)' in out
    assert "<p>content</p>" in out and out.index("<p>content</p>") < out.index("size: letter portrait")
    assert "@media all { .x" in out and "@media only tv and" in out  # laid out as printed
    own = "<html><head><style>@page { @bottom-right { content: counter(page) '/' counter(pages) } }</style></head><body></body></html>"
    kept = pdf._print_page(own, "file:///c.html", "A4 portrait", None)
    assert "@top-center" not in kept and kept.count("counter(pages)") == 1  # the page's own numbering only
    given = pdf._print_page(own, "file:///c.html", "A4 portrait", "Product P — Lot 1")
    assert 'content: "Product P \\002014  Lot 1"' in given


def test_content_security_policy_allows_only_the_table_fitting_script():
    """A report's CSP (script hashes only) would block pdkit.pdf's table-fitting script: its hash, and
    nothing else, is added; a policy with plain 'unsafe-inline' or without script rules is left alone."""
    page = ("<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "script-src 'sha256-abc='; base-uri 'none'\"/></head>")
    out = pdf._allow_fit_script(page)
    import html as _html
    policy = _html.unescape(re.search(r'content="([^"]*)"', out).group(1))
    assert policy == f"default-src 'none'; script-src 'sha256-abc=' {pdf._FIT_TABLES_HASH}; base-uri 'none'"
    fallback = _html.unescape(re.search(r'content="([^"]*)"', pdf._allow_fit_script(
        "<meta http-equiv='content-security-policy' content=\"default-src 'self'\">")).group(1))
    assert fallback == f"default-src 'self'; script-src 'self' {pdf._FIT_TABLES_HASH}"
    open_policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'unsafe-inline'\">"
    assert pdf._FIT_TABLES_HASH not in pdf._allow_fit_script(open_policy)
    assert pdf._allow_fit_script("<head><title>x</title></head>") == "<head><title>x</title></head>"


# ---------------------------------------------------------------------------- with Debian's chromium

def long_table_page(n: int = 120) -> str:
    rows = "".join(f"<tr><td>row{i:03d}</td><td>value {i}</td></tr>" for i in range(1, n + 1))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Long</title></head><body><h1>Long</h1>"
            f"<table><thead><tr><th>Label</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table></body></html>")


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_header_and_page_numbers_on_every_page(tmp_path, chromium, paper):
    page = tmp_path / "long.html"
    page.write_text(long_table_page(), encoding="utf-8")
    out = pdf.html_to_pdf(page, tmp_path / "out" / "long.pdf", paper=paper, header='pDNA-X <GMP> — Lot "L-7"')
    assert out == tmp_path / "out" / "long.pdf"
    assert_paper(out, paper)
    pages = read_pages(out)
    texts = [t for t, _, _ in pages]
    n = len(texts)
    assert n >= 2
    for i, text in enumerate(texts, 1):
        flat = " ".join(text.split())
        assert "pDNA-X <GMP>" in flat and 'Lot "L-7"' in flat, f"page {i}: no header"
        assert f"Page {i} of {n}" in flat, f"page {i}: no page number"
        assert "Label Value" in flat, f"page {i}: table header not repeated"
    everything = "\n".join(texts)
    assert all(f"row{i:03d}" in everything for i in range(1, 121))
    assert_inside_pages(pages)
    assert sorted(p.name for p in out.parent.iterdir()) == ["long.pdf"]  # no temporary file left
    assert oct(out.stat().st_mode & 0o777) == "0o644"


@pytest.mark.browser
def test_report_table_of_255_rows_is_whole_in_html_and_pdf(tmp_path, chromium):
    """A 255 x 6 table displayed in a report: pandas' defaults show 10 rows ("255 rows x 6 columns");
    after pdkit.plots.table_display the HTML report and its PDF have every row and the whole text."""
    import pdkit.plots
    from pdkit.report import export_html

    frame = pd.DataFrame({"lot": [f"L{i:03d}" for i in range(1, 256)], "a": range(255),
                          "b": [i / 4 for i in range(255)], "c": ["x"] * 255, "d": ["y"] * 255, "e": [True] * 255,
                          "comment": ["a long free-text comment " * 6 + f"END{i:03d}" for i in range(1, 256)]})
    frame = frame.set_index("lot")
    assert "255 rows × 6 columns" in frame._repr_html_()  # the tester's finding, with pandas' defaults
    saved = {name: pd.get_option(name) for name in pdkit.plots.TABLE_DISPLAY_OPTIONS}
    try:
        pdkit.plots.table_display()
        table_html = frame._repr_html_()
        table_text = repr(frame)
    finally:
        for name, value in saved.items():
            pd.set_option(name, value)
    output = nbformat.v4.new_output("display_data", data={"text/html": table_html, "text/plain": table_text})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lots"),
                                         nbformat.v4.new_code_cell("display(frame)", outputs=[output])])
    report = tmp_path / "lots.html"
    report.write_text(export_html(nb, {"template": "lots", "title": "Lot table", "status": "succeeded"}),
                      encoding="utf-8")
    html_text = report.read_text(encoding="utf-8")
    assert "rows ×" not in html_text and "..." not in table_html
    assert all(f"L{i:03d}" in html_text and f"END{i:03d}" in html_text for i in range(1, 256))

    out = pdf.html_to_pdf(report, tmp_path / "lots.pdf")
    pages = read_pages(out)
    texts = [t for t, _, _ in pages]
    everything = " ".join(" ".join(texts).split())
    missing = [i for i in range(1, 256) if f"L{i:03d}" not in everything]
    assert not missing, f"row labels missing from the PDF: {missing[:10]}"
    assert all(f"END{i:03d}" in everything for i in range(1, 256))  # cell text not cut
    for i, text in enumerate(texts, 1):
        assert f"Page {i} of {len(texts)}" in " ".join(text.split())
        assert "Lot table" in text  # the report's title is the header
    assert_inside_pages(pages)


@pytest.mark.browser
def test_wide_report_table_fits_the_page(tmp_path, chromium):
    """18 columns do not fit A4 portrait as they are: the table is scaled to the page, not cut."""
    from pdkit.report import export_html

    frame = pd.DataFrame({f"column_{j:02d}_name": [f"c{j:02d}r{i}" for i in range(4)] for j in range(18)})
    output = nbformat.v4.new_output("display_data", data={"text/html": frame.to_html(), "text/plain": ""})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("frame", outputs=[output])])
    report = tmp_path / "wide.html"
    report.write_text(export_html(nb, {"template": "wide", "status": "succeeded"}), encoding="utf-8")
    out = pdf.html_to_pdf(report, tmp_path / "wide.pdf", paper="A4")
    pages = read_pages(out)
    text = " ".join(" ".join(t for t, _, _ in pages).split())
    missing = [f"c{j:02d}r{i}" for j in range(18) for i in range(4) if f"c{j:02d}r{i}" not in text]
    assert not missing, f"cells cut off: {missing[:10]}"
    assert_inside_pages(pages)


@pytest.mark.browser
def test_offline_page_with_remote_resources_still_prints(tmp_path, chromium):
    page = tmp_path / "remote.html"
    page.write_text("<html><head><title>Remote</title><link rel='stylesheet' href='https://cdn.example.invalid/x.css'>"
                    "</head><body><p>offline text</p><img src='http://images.example.invalid/a.png'></body></html>")
    out = pdf.html_to_pdf(page, tmp_path / "remote.pdf", timeout=60)
    assert "offline text" in page_texts(out)[0]


def _processes_mentioning(text: str) -> list[int]:
    """Ids of running processes whose command line contains ``text`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if text.encode() in fh.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.mark.browser
def test_timeout_kills_chromium_and_keeps_the_old_pdf(tmp_path, chromium, monkeypatch):
    """A page that never finishes loading (a script in an endless loop) cannot hang the caller."""
    import tempfile

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the browser profile: named in every helper
    page = tmp_path / "hang.html"
    page.write_text("<html><head><title>Hang</title></head><body><p>x</p><script>for (;;) {}</script></body></html>")
    target = tmp_path / "hang.pdf"
    target.write_bytes(b"%PDF-old")
    with pytest.raises(RuntimeError, match=r"^Chromium did not finish printing hang\.html within 4 s and was stopped$"):
        pdf.html_to_pdf(page, target, timeout=4)
    assert target.read_bytes() == b"%PDF-old"  # replaced only on success
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hang.html", "hang.pdf", "tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary profile was removed
    assert _processes_mentioning(str(tmp_path)) == []  # the browser and all its helpers were killed
    page.write_text(long_table_page(50))
    pdf.html_to_pdf(page, target)  # a normal run afterwards replaces the old file
    assert target.read_bytes().startswith(b"%PDF-1") and os.path.getsize(target) > 1000


@pytest.mark.browser
def test_asynchronous_content_and_bokeh_plots_are_printed(tmp_path, chromium):
    """Printing waits for the page's timers and bokeh's rendering (canvas -> image in the PDF)."""
    from bokeh.embed import file_html
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    late = tmp_path / "late.html"
    late.write_text("<html><head><title>Late</title></head><body><p id='x'>BEFORE</p><script>"
                    "addEventListener('load', function () { setTimeout(function () {"
                    " document.getElementById('x').textContent = 'AFTER TIMER'; }, 2000); });</script></body></html>")
    assert "AFTER TIMER" in page_texts(pdf.html_to_pdf(late, tmp_path / "late.pdf"))[0]

    fig = figure(width=400, height=250, toolbar_location=None)
    fig.scatter([1, 2, 3], [3, 1, 2])
    plot = tmp_path / "plot.html"
    plot.write_text(file_html(fig, INLINE, "plot"), encoding="utf-8")
    reader = pypdf.PdfReader(str(pdf.html_to_pdf(plot, tmp_path / "plot.pdf")))
    assert len(reader.pages) == 1 and len(reader.pages[0].images) >= 1  # the drawn canvas


def test_plots_setup_makes_report_tables_whole(monkeypatch):
    """Templates call pdkit.plots.setup(): afterwards no table is cut to 10 rows, 20 columns or 50 characters."""
    import bokeh.io

    import pdkit.plots

    monkeypatch.setattr(bokeh.io, "output_notebook", lambda **kw: None)  # no notebook here
    saved = {name: pd.get_option(name) for name in pdkit.plots.TABLE_DISPLAY_OPTIONS}
    try:
        pdkit.plots.setup()
        for name in ("display.max_rows", "display.max_columns", "display.max_colwidth"):
            assert pd.get_option(name) is None, name
        wide = pd.DataFrame({f"c{j}": ["word " * 30 + f"E{j}"] * 300 for j in range(30)})
        page = wide._repr_html_()
        assert page.count("<tr") == 301 and "..." not in page and all(f"E{j}" in page for j in range(30))
    finally:
        for name, value in saved.items():
            pd.set_option(name, value)
