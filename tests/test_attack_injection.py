"""Issue 12, part 1: no user-provided string can inject script or markup into a report,
and no spreadsheet pdkit writes carries a live formula.

Each contract template runs once through ``pdkit run`` on a copy of its sample data that
carries script/markup payloads in every user-controlled place (lot, batch, run, scale and
step names, specification product/attributes/title/source, column, factor and response
names, categorical levels, ``-p`` values, file names).  Every HTML page written (report and
certificates) is opened in headless Chromium with the network blocked and every link
clicked: no dialog may open, ``window.__pwned`` must stay undefined and the payload text
must be shown literally.  Unit tests cover the sanitiser, the Content-Security-Policy
(an injected script that escaping and sanitising both missed still does not run), the
provenance header and the worksheet neutralisation (CSV and xlsx).
"""
from __future__ import annotations

import csv
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
import yaml

from conftest import ROOT, require_chromium, run_cli
from pdkit import report
from pdkit.doe import Factor, from_worksheet, full_factorial
from pdkit.report import (SIGNATURE_MARKERS, content_security_policy, export_html, header_html, inline_scripts,
                          sanitize_html, script_hash)

sys.path.insert(0, str(Path(__file__).parent))

SAMPLES = ROOT / "data_samples"

P1 = "<script>window.__pwned=1;alert(1)</script>"
P2 = '<img src=x onerror="window.__pwned=2;alert(2)">'
P3 = "[click](javascript:alert(3))"
P4 = "<svg onload=alert(4)>"
P5 = '"><script>alert(5)</script>'
P6 = '<a href="javascript:alert(6)">x</a>'
PAYLOADS = [P1, P2, P3, P4, P5, P6]


# --------------------------------------------------------------------------------------------
# sanitiser

@pytest.mark.parametrize("fragment, expected", [
    (P1, ""),
    (P2, '<img src="x">'),
    (P4, "&lt;svg onload=alert(4)&gt;"),
    (P5, '"&gt;'),
    (P6, "<a>x</a>"),
    ('<a href="JaVaScRiPt&#58;alert(1)">a</a>', "<a>a</a>"),
    ('<a href=" java\tscript:alert(1)">a</a>', "<a>a</a>"),
    ('<a href="vbscript:msgbox(1)">a</a>', "<a>a</a>"),
    ('<a href="data:text/html,<script>alert(1)</script>">a</a>', "<a>a</a>"),
    ('<a href="https://example.org/x?a=1&amp;b=2" onclick="x()">a</a>', '<a href="https://example.org/x?a=1&amp;b=2">a</a>'),
    ('<a href="CoA_L1.html#top">a</a>', '<a href="CoA_L1.html#top">a</a>'),
    ('<img src="data:image/png;base64,iVBORw0KGgo=" alt="p">', '<img src="data:image/png;base64,iVBORw0KGgo=" alt="p">'),
    ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
    ('<iframe src="x"></iframe>', '&lt;iframe src="x"&gt;&lt;/iframe&gt;'),
    ('<object data="x"></object><embed src="x">', '&lt;object data="x"&gt;&lt;/object&gt;&lt;embed src="x"&gt;'),
    ('<form action="x"><input name=a></form>', '&lt;form action="x"&gt;&lt;input name=a&gt;&lt;/form&gt;'),
    ('<base href="https://evil/"><meta http-equiv="refresh" content="0;url=x">',
     '&lt;base href="https://evil/"&gt;&lt;meta http-equiv="refresh" content="0;url=x"&gt;'),
    ("<style>body{display:none}</style><p>ok</p>", "<p>ok</p>"),
    ("<!-- c --><p>a &lt; b &amp; c</p>", "<p>a &lt; b &amp; c</p>"),
    ('<p style="color: red; background-image: url(x); width: expression(alert(1))">t</p>', '<p style="color: red;">t</p>'),
    ("<div><b>unclosed", "<div><b>unclosed</b></div>"),
    ("</div></td>text", "text"),
    ('<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th>a</th></tr></thead></table>',
     '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th>a</th></tr></thead></table>'),
    ('<h2 id="Lot-1">Lot 1<a class="anchor-link" href="#Lot-1">¶</a></h2>',
     '<h2 id="Lot-1">Lot 1<a class="anchor-link" href="#Lot-1">¶</a></h2>'),
    ('<p id="__pwned" name="x" onmouseover="alert(1)" formaction="x">t</p>', "<p>t</p>"),
])
def test_sanitize_html(fragment, expected):
    assert sanitize_html(fragment) == expected


def test_sanitize_html_keeps_escaped_text_literal():
    from pdkit.escape import html_text
    for p in PAYLOADS:
        assert sanitize_html(f"<td>{html_text(p)}</td>") == f"<td>{html_text(p).replace('&quot;', chr(34))}</td>"


# --------------------------------------------------------------------------------------------
# header and CSP (no browser)

def test_header_shows_who_where_why_escaped_and_the_signature_markers():
    block = header_html({"template": "t", "status": "succeeded", "user": P1, "host": P4, "reason": P6,
                         "parameters": {"lots": P2}})
    for p in (P1, P2, P4, P6):
        assert p not in block
    assert "<tr><th>Run by</th><td>&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;</td></tr>" in block
    assert "<tr><th>Host</th><td>&lt;svg onload=alert(4)&gt;</td></tr>" in block
    assert "<tr><th>Reason</th><td>&lt;a href=&quot;javascript:alert(6)&quot;&gt;x&lt;/a&gt;</td></tr>" in block
    # exactly one marker pair, directly after the first table
    assert block.count(SIGNATURE_MARKERS) == 1
    first_table_end = block.index("</table>") + len("</table>")
    assert block[first_table_end:first_table_end + len(SIGNATURE_MARKERS)] == SIGNATURE_MARKERS
    bare = header_html({"template": "t", "status": "failed"})
    for key in ("Run by", "Host", "Reason"):
        assert f"<tr><th>{key}</th><td>not recorded</td></tr>" in bare
    assert "thead{display:table-header-group}" in bare and "break-inside:avoid" in bare
    assert "overflow-wrap:break-word" in bare


def _notebook_with_outputs() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("display(...)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": f"**Lot** {P1} {P2} {P6}",
                                                     "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={"text/html": f"<p>{P1}{P2}</p>", "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "window.__pwned = 7;"}),
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# Report\n{P2} {P3}"), cell])


def test_export_html_policy_and_sanitised_outputs():
    page = export_html(_notebook_with_outputs(), {"template": "t", "status": "succeeded"})
    head = page.split("<head>", 1)[1]
    assert head.startswith('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src ')
    policy = head.split('content="', 1)[1].split('"', 1)[0]
    assert "'unsafe-inline'" not in policy.split("; style-src")[0]
    assert "'unsafe-eval'" not in policy
    for directive in ("object-src 'none'", "base-uri 'none'", "form-action 'none'"):
        assert directive in policy
    assert "window.__pwned" not in page and "onerror" not in page.replace("&quot;", "")  # sanitised away
    # only the page template's own scripts and the print-fit script are hashed; the dropped
    # application/javascript output is not in the page
    hashes = {script_hash(t) for t in inline_scripts(page)}
    assert set(policy.split("script-src ", 1)[1].split(";", 1)[0].split()) == hashes
    assert SIGNATURE_MARKERS in page


def test_content_security_policy_text():
    assert content_security_policy([]) == (
        "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'none'; frame-src 'none'; worker-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'")


# --------------------------------------------------------------------------------------------
# browser helpers

@dataclass
class Visit:
    dialogs: list[str] = field(default_factory=list)
    pwned: object = None
    text: str = ""
    canvases: int = 0
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    links: int = 0


_CLICK_ALL = """() => {
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a");
    const href = a ? (a.getAttribute("href") || "") : "";
    if (!/^\\s*javascript:/i.test(href)) e.preventDefault();  // stay on the page, but let javascript: try
  }, true);
  const links = Array.from(document.querySelectorAll("a"));
  for (const a of links) a.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
  return links.length;
}"""


def visit(page_path: Path, chromium: str) -> Visit:
    """Open a page offline, click every link, report dialogs, window.__pwned, text and canvases."""
    from playwright.sync_api import sync_playwright

    from _browser import CHROMIUM_ARGS

    out = Visit()

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            r.abort()

    def on_dialog(d):
        out.dialogs.append(d.message)
        d.dismiss()

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, args=CHROMIUM_ARGS,
                                                   headless=True)
        try:
            ctx.set_offline(True)
            ctx.route("**/*", route)
            ctx.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                                " e => window.__violations.push(e.violatedDirective + ' ' + (e.sample || '')));")
            page = ctx.new_page()
            page.on("dialog", on_dialog)
            page.on("pageerror", lambda e: out.errors.append(str(e)))
            page.goto(page_path.resolve().as_uri())
            page.wait_for_load_state("load")
            try:
                page.wait_for_selector("canvas", timeout=4000, state="attached")
            except Exception:
                pass
            page.wait_for_timeout(300)
            out.links = page.evaluate(_CLICK_ALL)
            page.wait_for_timeout(500)
            out.pwned = page.evaluate("typeof window.__pwned === 'undefined' ? null : String(window.__pwned)")
            out.text = page.evaluate("document.body.innerText")
            out.canvases = page.locator("canvas").count()
            out.violations = page.evaluate("window.__violations")
        finally:
            ctx.close()
    return out


# --------------------------------------------------------------------------------------------
# CSP in the browser: a script that escaping and sanitising both missed does not run

@pytest.mark.browser
@pytest.mark.slow
def test_csp_stops_a_script_the_sanitiser_missed(tmp_path, monkeypatch):
    chromium = require_chromium()
    monkeypatch.setattr(report, "sanitize_html", lambda fragment: fragment)  # simulate a sanitiser bug
    nb = _notebook_with_outputs()
    page = export_html(nb, {"template": "t", "status": "succeeded"})
    assert P1 in page and 'onerror="window.__pwned=2;alert(2)"' in page  # the payloads are in the page as markup
    assert '<a href="javascript:alert(3)">click</a>' in page
    protected = tmp_path / "protected.html"
    protected.write_text(page, encoding="utf-8")
    seen = visit(protected, chromium)
    assert seen.dialogs == [] and seen.pwned is None, (seen.dialogs, seen.pwned)
    assert any(v.startswith("script-src") for v in seen.violations), seen.violations
    # control: the same page without the policy does run the payloads (so the check above can fail)
    head = page.split("<head>", 1)
    bare = tmp_path / "bare.html"
    bare.write_text(head[0] + "<head>" + head[1].split("\n", 1)[1], encoding="utf-8")
    control = visit(bare, chromium)
    assert control.pwned is not None and control.dialogs, (control.pwned, control.dialogs)


# --------------------------------------------------------------------------------------------
# every template with payloads

def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return path


def _case_release(d: Path) -> tuple[list[str], list[str]]:
    results = pd.read_csv(SAMPLES / "release" / "plasmid_release_synthetic.csv", dtype=str, keep_default_na=False)
    lots = list(dict.fromkeys(results["lot"]))
    names = {lot: f"L{i} {PAYLOADS[i % len(PAYLOADS)]}" for i, lot in enumerate(lots)}
    results["lot"] = results["lot"].map(names)
    attribute = f"appearance {P4}"
    results.loc[results["attribute"] == "appearance", "attribute"] = attribute
    data = _csv(results, d / f"results {P2}.csv")
    spec = yaml.safe_load((SAMPLES / "specs" / "plasmid_gmp_spec.yaml").read_text(encoding="utf-8"))
    spec["product"] = f"{P1} {P6}"
    spec["title"] = P5
    spec["notes"] = P3
    for a in spec["attributes"]:
        if a["name"] == "appearance":
            a["name"] = attribute
            a["method"] = P2
    spec_path = d / f"spec {P4}.yaml"
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    params = {"data": str(data), "spec": str(spec_path), "organisation": P5}
    shown = [names[lots[0]], names[lots[1]], f"{P1} {P6}", attribute, data.name]
    return params, shown


def _case_spec_setting(d: Path):
    t = pd.read_csv(SAMPLES / "spec_setting" / "plasmid_dev_lots_synthetic.csv", dtype={"lot": str})
    t["lot"] = [f"{lot} {PAYLOADS[i % len(PAYLOADS)]}" for i, lot in enumerate(t["lot"])]
    first = t["attribute"].iloc[0]
    t.loc[t["attribute"] == first, "attribute"] = f"{first} {P1}"
    return {"data": str(_csv(t, d / "lots.csv")), "spec": None}, [f"{first} {P1}"]  # lots are only plotted


def _case_stability(d: Path):
    t = pd.read_csv(SAMPLES / "stability" / "aav_stability_synthetic.csv", dtype={"batch": str})
    batches = list(dict.fromkeys(t["batch"]))
    t["batch"] = t["batch"].map({b: f"{b} {PAYLOADS[i % len(PAYLOADS)]}" for i, b in enumerate(batches)})
    # headers without '"': pdkit._tables' delimiter sniffing misreads a quoted header containing '"'
    t = t.rename(columns={"potency_pct": f"potency {P1}", "batch": f"batch {P4}", "month": f"month {P3}"})
    params = {"data": str(_csv(t, d / "stab.csv")), "response": f"potency {P1}", "batch": f"batch {P4}",
              "time": f"month {P3}"}
    return params, [t[f"batch {P4}"].iloc[0], t[f"batch {P4}"].iloc[-1], f"potency {P1}"]


def _case_upstream(d: Path):
    t = pd.read_csv(SAMPLES / "upstream" / "aav_runs_synthetic.csv", dtype={"run": str, "scale": str})
    scales = list(dict.fromkeys(t["scale"]))
    new_scales = {s: f"{s} {PAYLOADS[i % len(PAYLOADS)]}" for i, s in enumerate(scales)}
    t["scale"] = t["scale"].map(new_scales)
    t["run"] = [f"{r} {P6}" for r in t["run"]]
    t["cell_line"] = P3
    return ({"data": str(_csv(t, d / "runs.csv")), "reference_scale": new_scales[scales[0]]},
            [new_scales[scales[0]], t["run"].iloc[0]])


def _case_downstream(d: Path):
    t = pd.read_csv(SAMPLES / "downstream" / "aav_downstream_synthetic.csv")
    steps = list(dict.fromkeys(t["step"]))
    t["step"] = t["step"].map({s: f"{s} {PAYLOADS[i % len(PAYLOADS)]}" for i, s in enumerate(steps)})
    product = f"vg {P2}"
    t.loc[t["attribute"] == "vg", "attribute"] = product
    t.loc[t["attribute"] == "HCP", "attribute"] = f"HCP {P4}"
    return {"data": str(_csv(t, d / "steps.csv")), "product": product}, [t["step"].iloc[0], product, f"HCP {P4}"]


def _case_doe_design(d: Path):
    factors = pd.DataFrame({"name": [f"dna {P1}", f"pei {P2}", f"resin {P4}"], "low": [0.5, 1.5, None],
                            "high": [1.5, 3.5, None], "units": [P6, "w/w", ""],
                            "levels": [None, None, f"A {P6};=SUM(A1)"]})
    params = {"data": str(_csv(factors, d / "factors.csv")), "design": "full_factorial", "model": "interactions",
              "center_points": 0, "resolution": None, "responses": [f"titer {P3}", "@cmd", P5]}
    return params, [f"dna {P1}", f"pei {P2}", f"A {P6}"]


def _case_doe_analysis(d: Path):
    t = pd.read_csv(SAMPLES / "doe" / "aav_transfection_rsm_synthetic.csv")
    # factor names in quadratic terms must be identifiers (pdkit.doe.model): interactions model;
    # headers without '"' (pdkit._tables' delimiter sniffing)
    t = t.rename(columns={"dna_ug_per_1e6_cells": f"dna {P1}", "pei_dna_ratio": f"pei {P4}",
                          "vg_titer": f"titer {P3}", "full_pct": f"full {P1}"})
    return ({"data": str(_csv(t, d / "rsm.csv")), "goals": None, "model": "interactions"},
            [f"dna {P1}", f"pei {P4}", f"titer {P3}", f"full {P1}"])


CASES = {
    "release_evaluation": _case_release,
    "spec_setting": _case_spec_setting,
    "stability_shelf_life": _case_stability,
    "upstream_yield": _case_upstream,
    "downstream_yield": _case_downstream,
    "doe_design": _case_doe_design,
    "doe_analysis": _case_doe_analysis,
}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("template", list(CASES))
def test_template_with_payloads_runs_no_script(template, tmp_path):
    chromium = require_chromium()
    inputs = tmp_path / "in"
    inputs.mkdir()
    params, shown = CASES[template](inputs)
    param_file = inputs / "params.yaml"
    param_file.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    extra = ["-p", "product", params["product"]] if "product" in params else []
    proc = run_cli("run", template, "-f", str(param_file), *extra, "-o", str(out), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = sorted(out.glob("*.html"))
    assert out / f"{template}.html" in pages
    for page in pages:
        seen = visit(page, chromium)
        assert seen.dialogs == [], (page.name, seen.dialogs)
        assert seen.pwned is None, (page.name, seen.pwned)
        assert seen.errors == [], (page.name, seen.errors)
        if page.name == f"{template}.html":
            assert seen.violations == [], (page.name, seen.violations)  # bokeh needs nothing more
            for text in shown:
                assert text in seen.text, (page.name, text)
            assert seen.links > 0
            if template not in ("doe_design", "release_evaluation"):  # these two draw no plots
                assert seen.canvases > 0, page.name  # bokeh still draws under the policy
    if template == "release_evaluation":
        assert len(pages) > 1  # the certificates were checked too
    if template == "doe_design":
        _assert_worksheets_inert(out)


def _assert_worksheets_inert(out: Path) -> None:
    book = openpyxl.load_workbook(out / "doe_worksheet.xlsx")
    cells = [c for row in book.active.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert "=SUM(A1)" in [c.value for c in cells]  # kept as text
    with open(out / "doe_worksheet.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    flat = [v for r in rows for v in r]
    assert "'=SUM(A1)" in flat and "'@cmd" in flat
    assert not [v for v in flat if v[:1] in ("=", "+", "@", "\t", "\r") or (v[:1] == "-" and not _number(v))]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# spreadsheets

def _hostile_design():
    fs = [Factor("=HYPERLINK(\"http://x\",\"y\")", 1, 2, units="@u"), Factor("+cmd", levels=["=1+1", "-2", "A"]),
          Factor("ok", -1.5, 1)]
    return full_factorial(fs, seed=1)


def test_csv_worksheet_has_no_formula(tmp_path):
    path = _hostile_design().to_worksheet(tmp_path / "w.csv", responses=["@resp", "-x", "\tt"])
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Run", "Std order", "Block", "Point type", "'=HYPERLINK(\"http://x\",\"y\") (@u)", "'+cmd", "ok",
                       "'@resp", "'-x", "'\tt"]
    levels = {r[5] for r in rows[1:]}
    assert levels == {"'=1+1", "'-2", "A"}
    assert {r[6] for r in rows[1:]} == {"-1.5", "1.0"}  # numbers untouched


def test_xlsx_worksheet_has_no_formula(tmp_path):
    path = _hostile_design().to_worksheet(tmp_path / "w.xlsx", responses=["@resp", "=1+2"])
    book = openpyxl.load_workbook(path)
    sheet = book["Design"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    header = [c.value for c in sheet[1]]
    assert header == ["Run", "Std order", "Block", "Point type", '=HYPERLINK("http://x","y") (@u)', "+cmd", "ok",
                      "@resp", "=1+2"]
    assert all(c.quotePrefix for c in sheet[1][4:6]) and not sheet[1][6].quotePrefix
    assert {c.value for c in sheet["F"][1:]} == {"=1+1", "-2", "A"}
    assert {c.value for c in sheet["G"][1:]} == {-1.5, 1}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_worksheet_reads_back_with_the_same_factors(tmp_path, suffix):
    from pdkit._tables import read_table

    fs = [Factor("temp", 30, 37, units="degC"), Factor("resin", levels=["A", "B"])]
    d = full_factorial(fs, seed=3)
    path = d.to_worksheet(tmp_path / f"ws{suffix}", responses=["titer"])
    back = from_worksheet(read_table(path))
    assert list(back.columns) == ["run", "std_order", "block", "point_type", "temp", "resin", "titer"]
    assert back.attrs["units"] == {"temp": "degC"}
    assert back["resin"].tolist() == d.actual["resin"].tolist()
    assert back["temp"].tolist() == pytest.approx(d.actual["temp"].tolist())
