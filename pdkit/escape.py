"""Neutralise user-provided text before pdkit renders or exports it.

Every string that reaches a report comes from someone: a lot name in a results
file, a column header, a specification's ``product`` field, a ``-p`` parameter.
None of it is trusted.  This module is the one place that turns such text into
something inert for each place it can land:

* :func:`md` - literal text inside Markdown (Jupyter renders Markdown outputs
  to HTML with raw HTML passed through, so ``<script>`` in a lot name would run);
* :func:`html_text` - text inside HTML element content or a quoted attribute;
* :func:`md_code` - text shown as inline code in Markdown;
* :func:`spreadsheet_cell` / :func:`spreadsheet_frame` - a cell that a
  spreadsheet program must not evaluate as a formula (OWASP "CSV injection":
  cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return).

Examples
--------
>>> md("<script>alert(1)</script> *lot*")
'&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt; \\\\*lot\\\\*'
>>> spreadsheet_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> spreadsheet_cell(-1.5)
-1.5
"""
from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

__all__ = ["md", "md_code", "html_text", "spreadsheet_cell", "spreadsheet_frame", "FORMULA_PREFIXES"]

#: first characters that make a spreadsheet program treat a cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Markdown punctuation that can start emphasis, links, code, headings, lists, tables or HTML;
# '&', '<', '>' are HTML-escaped instead so the text shows exactly as given.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")


def html_text(value: Any) -> str:
    """``value`` as text safe inside HTML content or a quoted attribute (None -> '').

    Examples
    --------
    >>> html_text('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def md(value: Any) -> str:
    """``value`` as literal text inside Markdown: no HTML, no links, no emphasis.

    HTML special characters become entities and every Markdown punctuation
    character is backslash-escaped, so the rendered text reads exactly as the
    user wrote it (``javascript:`` links, autolinks and raw HTML all stay text).
    Newlines become spaces so a value cannot start a new Markdown block.

    Examples
    --------
    >>> md("[click](javascript:alert(1))")
    '\\\\[click\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)'
    >>> md(None)
    ''
    """
    text = "" if value is None else str(value)
    text = re.sub(r"[\r\n]+", " ", text)
    text = html.escape(text, quote=False)
    # html.escape produced '&lt;' etc.: escape Markdown punctuation outside those entities
    parts = re.split(r"(&(?:lt|gt|amp);)", text)
    return "".join(p if p in ("&lt;", "&gt;", "&amp;") else _MD_SPECIAL.sub(r"\\\1", p) for p in parts)


def md_code(value: Any) -> str:
    """``value`` as inline code in Markdown (backticks in it cannot close the span).

    Rendered inside ``<code>``, where Markdown does not interpret HTML, so only
    the delimiter needs care; '<' and '&' are still entity-escaped because some
    renderers pass inline HTML in code spans through.

    Examples
    --------
    >>> md_code("titer (vg/mL)")
    '<code>titer (vg/mL)</code>'
    """
    return f"<code>{html_text(value)}</code>"


def spreadsheet_cell(value: Any) -> Any:
    """A cell value that no spreadsheet will evaluate: text starting with a formula
    character gets a leading apostrophe; numbers, dates and None are returned as they are.

    Numbers are never touched (``-1.5`` stays a number); only text is guarded.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are passed through :func:`spreadsheet_cell`.

    Examples
    --------
    >>> import pandas as pd
    >>> spreadsheet_frame(pd.DataFrame({"=lot": ["@SUM(A1)", "ok"], "x": [-1, 2]})).to_dict("list")
    {"'=lot": ["'@SUM(A1)", 'ok'], 'x': [-1, 2]}
    """
    out = frame.copy()
    out.columns = [spreadsheet_cell(c) for c in out.columns]
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(spreadsheet_cell)
    return out
