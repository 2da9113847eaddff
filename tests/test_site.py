"""The static site of worked examples and course: one make target, offline, every plot drawn.

``python -m pdkit.publish site`` (``make site``) renders every executed text notebook.
Opened in Debian's Chromium with the network cut off, each page must draw exactly as
many bokeh plots as its notebook shows (a page whose notebook has plots but draws none
is what a static build without BokehJS gives), fetch nothing, and raise no script error.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from _browser import CHROMIUM_ARGS
from conftest import require_chromium

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Rendered bokeh documents: one per `show` (a plot or a layout); each document's root views are in
# Bokeh.index (bokeh also adds a 'Notifications' root to every document, so roots are not counted).
_RENDERED_JS = """() => (typeof Bokeh === 'undefined') ? -1
  : new Set(Array.from(Bokeh.index).map(v => v.model.document)).size"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    proc = subprocess.run([sys.executable, "-m", "pdkit.publish", "site", "-o", str(out)], capture_output=True,
                          text=True, cwd=ROOT, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _expected_plots() -> dict[str, int]:
    from pdkit.publish.execute import execute_notebook, inputs_digest, notebook_sources
    from pdkit.publish.site import count_plots

    digest = inputs_digest()
    return {p.relative_to(NOTEBOOKS).with_suffix(".html").as_posix():
            count_plots(execute_notebook(p, cache=True, digest=digest).notebook)
            for p in notebook_sources(NOTEBOOKS)}


def test_site_has_every_notebook_and_draws_every_plot_offline(site):
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    expected = _expected_plots()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "index.html")
    assert pages == sorted(expected), "the site's pages are not the notebooks"
    index = (site / "index.html").read_text()
    assert all(f'href="{page}"' in index for page in pages)
    assert sum(expected.values()) > 0 and any(v for k, v in expected.items() if k.startswith("course/"))
    problems = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=chromium, args=CHROMIUM_ARGS,
                                                    headless=True)
        try:
            ctx.set_offline(True)
            fetched: list[str] = []

            def route(r):
                if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                    r.continue_()
                else:
                    fetched.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            for page_path in ["index.html", *pages]:
                page = ctx.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto((site / page_path).as_uri())
                want = expected.get(page_path, 0)
                if want:
                    page.wait_for_function(f"() => ({_RENDERED_JS})() >= {want}", timeout=60000)
                    page.wait_for_selector("canvas", state="attached", timeout=60000)
                drawn = page.evaluate(_RENDERED_JS)
                if want and drawn != want:
                    problems.append(f"{page_path}: {drawn} plots drawn, the notebook shows {want}")
                if errors:
                    problems.append(f"{page_path}: script errors {errors[:3]}")
                if page_path != "index.html" and "Index</a>" not in page.content():
                    problems.append(f"{page_path}: no navigation line")
                page.close()
            if fetched:
                problems.append(f"network requests: {fetched[:5]}")
        finally:
            ctx.close()
    assert not problems, "\n".join(problems)


def test_site_build_failure_leaves_the_previous_site(tmp_path, monkeypatch):
    """A page that cannot be rendered stops the build; the folder that was there is untouched."""
    import nbformat

    from pdkit.publish import site as site_mod

    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("previous")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A")])

    def broken(*args, **kwargs):
        raise RuntimeError("exporter failed")

    monkeypatch.setattr("pdkit.reports.html.export_html", broken)
    with pytest.raises(RuntimeError, match="exporter failed"):
        site_mod.build_site({tmp_path / "nb" / "a.py": nb}, tmp_path / "nb", out)
    assert (out / "index.html").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_site_profiler_runs_in_the_page_without_a_kernel(site):
    """The in-browser profiler example answers a slider on the static page (CustomJS allowed)."""
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    find = """() => {
      for (const doc of new Set(Array.from(Bokeh.index).map(v => v.model.document))) {
        const current = doc.get_model_by_name('current');
        if (current != null) return [doc, current];
      }
      return null;
    }"""
    move = f"""() => {{
      const found = ({find})();
      if (found == null) return null;
      const [doc, current] = found;
      const slider = Array.from(doc.all_models).find(m => m.type === 'Slider');
      const d = current.data;
      const keys = d instanceof Map ? Array.from(d.keys()) : Object.keys(d);
      const key = keys.find(k => k.startsWith('pred:'));
      window.__before = (d instanceof Map ? d.get(key) : d[key])[0];
      window.__key = key;
      slider.value = slider.start + 0.9 * (slider.end - slider.start);
      return window.__before;
    }}"""
    changed = f"""() => {{
      const [, current] = ({find})();
      const d = current.data;
      return (d instanceof Map ? d.get(window.__key) : d[window.__key])[0] !== window.__before;
    }}"""
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=chromium, args=CHROMIUM_ARGS,
                                                    headless=True)
        try:
            ctx.set_offline(True)
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((site / "doe_profiler.html").as_uri())
            page.wait_for_function(f"() => ({_RENDERED_JS})() >= 1", timeout=60000)
            before = page.evaluate(move)
            assert before is not None, "no profiler on the page"
            page.wait_for_function(changed, timeout=30000)  # the page recomputed the panels itself
        finally:
            ctx.close()
    assert not errors, errors
