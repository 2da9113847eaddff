"""pdkit's own HTML pages come from jinja2 templates with autoescape (pdkit.reports.pages)."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

import pdkit
from pdkit.reports import pages

PAYLOAD = "<script>alert('x')</script>\"&"
ROOT = Path(pdkit.__file__).parent
TEMPLATES = sorted(p.name for p in pages.TEMPLATES_DIR.glob("*.html.j2"))


def test_environment_escapes_and_is_strict():
    env = pages.environment()
    assert env.autoescape is True
    assert env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        pages.render("batch_summary.html.j2", template="t")  # the other names are missing


def test_the_pages_are_templates():
    assert TEMPLATES == ["batch_summary.html.j2", "certificate.html.j2", "demo_index.html.j2",
                         "report_header.html.j2", "signatures.html.j2"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_template_marks_anything_safe(name):
    text = (pages.TEMPLATES_DIR / name).read_text(encoding="utf-8")
    assert not re.search(r"\|\s*safe\b|autoescape\s+false|\{%\s*raw", text)


def test_only_the_pages_module_marks_html_safe():
    """``Markup(...)`` appears only in pdkit.reports.pages, behind the sanitiser or the CSS escaper."""
    users = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
             if "Markup(" in p.read_text(encoding="utf-8") and p.name != "pages.py"]
    assert users == []


def test_safe_html_is_sanitised():
    out = str(pages.safe_html('<img src=x onerror="alert(1)"><script>alert(2)</script><b>ok</b>'))
    assert "onerror" not in out and "<script" not in out and "<b>ok</b>" in out


def test_css_text_cannot_close_the_style_element():
    out = str(pages.css_text("</style><script>alert(1)</script>"))
    assert "<" not in out and ">" not in out and out.startswith('"') and out.endswith('"')


def test_batch_summary_escapes_every_cell_and_link():
    import pandas as pd

    from pdkit.reports.batch import _summary_html

    frame = pd.DataFrame({"report_id": [PAYLOAD], "status": [PAYLOAD], "output": [f"{PAYLOAD}/r.html"],
                          PAYLOAD: [1.5]})
    page = _summary_html(frame, PAYLOAD, PAYLOAD)
    assert "<script" not in page
    assert "href='&lt;script&gt;alert(&#x27;x&#x27;)" in page and "class='&lt;script&gt;" in page


def test_header_and_signatures_escape():
    from pdkit.reports.html import SIGNATURE_MARKERS, header_html
    from pdkit.reports.signing import render_signatures

    block = header_html({"template": PAYLOAD, "status": PAYLOAD, "parameters": {PAYLOAD: PAYLOAD},
                         "inputs": [{"path": PAYLOAD}], "environment": {"python": PAYLOAD}, "error": PAYLOAD})
    assert "<script" not in block and "</table>" + SIGNATURE_MARKERS in block
    sig = render_signatures([{"role": PAYLOAD, "user": PAYLOAD, "host": PAYLOAD, "meaning": PAYLOAD,
                              "time_utc": PAYLOAD, "fingerprint": PAYLOAD}])
    assert "<script" not in sig and sig.count("&lt;script&gt;") == 6


def test_certificate_template_keeps_the_signature_markers():
    from pdkit.reports.certificate import SIGNATURE_MARKERS

    assert SIGNATURE_MARKERS in (pages.TEMPLATES_DIR / "certificate.html.j2").read_text(encoding="utf-8")
