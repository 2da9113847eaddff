"""The offline static site of the worked examples and the course.

One HTML page per executed notebook (code shown, outputs sanitised, BokehJS
inline, a Content-Security-Policy that runs only bokeh's and the page's own
scripts, plus bokeh's ``CustomJS`` callbacks so the in-browser profiler works -
:func:`pdkit.report.export_html`; ipywidgets, which need a kernel, are replaced by
a note), a navigation line on every page, and
an index page rendered from a jinja2 template with autoescape.  The folder is
written next to its final place and renamed into it, so a failed build leaves the
previous site untouched.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson <1>")])
>>> page_title(nb, "fallback")
'Lesson <1>'
>>> count_plots(nb)
0
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

__all__ = ["build_site", "count_plots", "page_title"]

_BOKEH_EXEC = "application/vnd.bokehjs_exec.v0+json"
SECTIONS = (("", "Worked examples"), ("course", "Course: from lab development to GMP"))


def page_title(nb: Any, fallback: str) -> str:
    """The first markdown heading of ``nb`` (unescaped text), else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def count_plots(nb: Any) -> int:
    """The number of bokeh plots (documents shown with ``show``) in an executed notebook."""
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if _BOKEH_EXEC in o.get("data", {}))


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None, index_href: str) -> str:
    from pdkit.escape import md

    parts = [f"[Index]({index_href})"]
    if prev:
        parts.append(f"previous: [{md(prev[1])}]({prev[0]})")
    if nxt:
        parts.append(f"next: [{md(nxt[1])}]({nxt[0]})")
    return " | ".join(parts)


_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("[Interactive widget: it needs a running Python kernel. Open this notebook with "
               "`pdkit lab` to use it.]")


def _note_widgets(nb: Any) -> int:
    """Replace ipywidgets outputs (which need a kernel) by a note; return how many."""
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if _WIDGET_MIME in data:
                out["data"] = {"text/markdown": WIDGET_NOTE, "text/plain": WIDGET_NOTE}
                n += 1
    return n


def _course_meta() -> Mapping[str, Any] | None:
    try:
        import yaml

        from pdkit._paths import package_dir

        path = package_dir() / "course" / "course.yaml"
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except Exception:  # the index is still useful without it
        return None


def build_site(executed: Mapping[Path, Any], notebooks_root: Path, out: Path) -> Path:
    """Render executed notebooks (``{source path: notebook}``) as a static site in ``out``.

    Returns the path of ``out/index.html``.
    """
    import copy

    import jinja2
    import nbformat

    from pdkit import __version__
    from pdkit.reports.html import export_html, html_exporter

    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # a web folder, not a private temporary one
    try:
        exporter = html_exporter(show_code=True)
        ordered = sorted(executed, key=lambda p: (len(p.relative_to(notebooks_root).parts), str(p)))
        entries = []
        for p in ordered:
            rel = p.relative_to(notebooks_root)
            entries.append((p, rel.with_suffix(".html").as_posix(), page_title(executed[p], rel.stem)))
        sections = []
        for folder, heading in SECTIONS:
            pages = [e for e in entries if Path(e[1]).parent.as_posix() == (folder or ".")]
            sections.append({"title": heading, "pages": []})
            for i, (p, href, title) in enumerate(pages):
                nb = copy.deepcopy(executed[p])
                depth = href.count("/")
                up = "../" * depth

                def rel_href(target: str) -> str:
                    return os.path.relpath(target, start=str(Path(href).parent)) if depth else target

                prev = (rel_href(pages[i - 1][1]), pages[i - 1][2]) if i else None
                nxt = (rel_href(pages[i + 1][1]), pages[i + 1][2]) if i + 1 < len(pages) else None
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(_nav(prev, nxt, f"{up}index.html")))
                _note_widgets(nb)
                page = export_html(nb, {"title": title}, show_code=True, exporter=exporter, header=False,
                                   allow_eval=True)
                target = staging / href
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(page, encoding="utf-8")
                sections[-1]["pages"].append({"href": href, "title": title, "plots": count_plots(executed[p])})
        env = jinja2.Environment(loader=jinja2.PackageLoader("pdkit.publish", "templates"),
                                 autoescape=True, undefined=jinja2.StrictUndefined)
        index = env.get_template("index.html.j2").render(
            title="pdkit: worked examples and course", version=__version__, course=_course_meta(),
            sections=[s for s in sections if s["pages"]],
            built=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        (staging / "index.html").write_text(index, encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "index.html"
