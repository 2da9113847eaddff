"""Start-up settings for pdkit's own command-line and report processes.

nbformat (through papermill) imports jsonschema, which compiles about 40 grammars
(about 1 s) for its optional IRI format checker ``rfc3987_syntax``.  pdkit never
validates IRI formats, so its processes skip that optional import and jsonschema
treats the checker as not installed.  Only processes pdkit starts call this
(``pdkit`` itself and each report process of ``pdkit batch``); ``pdkit lab`` execs a
fresh interpreter that is not affected.
"""
from __future__ import annotations

import sys

__all__ = ["fast_imports"]


def fast_imports() -> None:
    """Skip optional imports that cost start-up time and that pdkit does not use."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
