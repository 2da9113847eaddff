"""HTML pages pdkit writes itself, rendered from jinja2 templates with autoescape.

The templates are ``pdkit/reports/templates/*.html.j2`` (shipped in the wheel as
package files).  They are loaded through one :class:`jinja2.Environment` with

* ``autoescape=True``: every ``{{ value }}`` is HTML-escaped (text and quoted
  attributes), with :func:`pdkit.escape.html_text` so the pages read as before;
* ``undefined=StrictUndefined``: a name the caller did not pass is an error, not
  an empty string;
* no ``|safe`` in the templates: HTML that must stay HTML is passed as
  :func:`safe_html`, which runs the allow-list sanitiser of
  :mod:`pdkit.reports.html` first, and a text for a CSS string inside
  ``<style>`` as :func:`css_text`, which escapes it for CSS.  Nothing else is
  marked safe.

Examples
--------
>>> render("batch_summary.html.j2", template="<t>", n_reports=0, tally="", created_utc="now",
...        columns=[], rows=[])[:15]
'<!DOCTYPE html>'
>>> "&lt;t&gt;" in render("batch_summary.html.j2", template="<t>", n_reports=0, tally="",
...                          created_utc="now", columns=[], rows=[])
True
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pdkit.escape import html_text

__all__ = ["TEMPLATES_DIR", "environment", "render", "safe_html", "css_text"]

#: the folder of the page templates
TEMPLATES_DIR = Path(__file__).parent / "templates"


def _escape(value: Any) -> Any:
    """``finalize`` hook: escape every printed value with pdkit's one HTML escaper (None prints nothing)."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return Markup(html_text(value))


@lru_cache(maxsize=1)
def environment() -> Any:
    """The jinja2 environment of pdkit's pages (autoescape, strict undefined, templates in :data:`TEMPLATES_DIR`).

    Examples
    --------
    >>> env = environment()
    >>> env.autoescape, env.undefined.__name__
    (True, 'StrictUndefined')
    >>> env.from_string("{{ x }}").render(x='<a href="#">')
    '&lt;a href=&quot;#&quot;&gt;'
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_escape,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render(name: str, **context: Any) -> str:
    """Render the page template ``name`` (e.g. ``"demo_index.html.j2"``) with ``context``.

    Raises
    ------
    jinja2.UndefinedError
        The template uses a name missing from ``context``.

    Examples
    --------
    >>> render("no_such_page.html.j2")
    Traceback (most recent call last):
    ...
    jinja2.exceptions.TemplateNotFound: 'no_such_page.html.j2' not found in search path: ...
    """
    return environment().get_template(name).render(**context)


def safe_html(fragment: str) -> Any:
    """Untrusted HTML made inert by :func:`pdkit.reports.html.sanitize_html`, then marked safe.

    Examples
    --------
    >>> str(safe_html('<b onclick="x()">ok</b><script>alert(1)</script>'))
    '<b>ok</b>'
    """
    from markupsafe import Markup

    from pdkit.reports.html import sanitize_html

    return Markup(sanitize_html(fragment))


def css_text(value: Any) -> Any:
    """``value`` as a quoted CSS string (:func:`pdkit.reports.pdf.css_string`), marked safe for a ``<style>``.

    Inside ``<style>`` HTML entities are not decoded, so these values must not be
    HTML-escaped; :func:`~pdkit.reports.pdf.css_string` escapes every character
    that could end the string or the element instead.

    Examples
    --------
    >>> print(css_text('x" } </style><script>'))
    "x\\000022  \\00007D  \\00003C /style\\00003E \\00003C script\\00003E "
    """
    from markupsafe import Markup

    from pdkit.reports.pdf import css_string

    return Markup(css_string(value))
