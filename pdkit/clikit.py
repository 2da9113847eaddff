"""What every ``pdkit`` command shares: the click context settings and the input-error exit.

A user's mistake (a bad file, option or parameter) ends a command with one or more lines
``pdkit: error: ...`` on stderr and exit status 2, before any kernel starts; exit 1 is left
for a report that failed while running.

Examples
--------
>>> CONTEXT["help_option_names"]
['-h', '--help']
"""
from __future__ import annotations

import sys
from typing import NoReturn

import click

__all__ = ["CONTEXT", "fail", "fail_verification"]

#: click context settings of every pdkit command and group.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def fail(message: object, code: int = 2) -> NoReturn:
    """Print ``message`` (every line prefixed ``pdkit: error:``) to stderr and exit with ``code``."""
    for line in str(message).splitlines() or [""]:
        click.echo(f"pdkit: error: {line}", err=True)
    sys.exit(code)


def fail_verification(exc: Exception) -> NoReturn:
    """A failed verification: one ``FAILED  <problem>`` line per problem (``exc.problems``), then
    the error line, exit status 1 (a record that does not verify is not a user's typing mistake)."""
    for line in getattr(exc, "problems", ()):
        click.echo(f"FAILED  {line}", err=True)
    fail(str(exc), code=1)
