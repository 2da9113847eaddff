"""Errors raised by pdkit for problems in user input.

Every public pdkit function validates what it is given and raises
:class:`InputError` (a :class:`ValueError`) whose message names the file,
column, row or parameter at fault and what was expected.  Command-line tools
catch it and print the message as one line instead of a traceback.
"""
from __future__ import annotations

__all__ = ["InputError", "ParameterError"]


class InputError(ValueError):
    """A user-supplied table, file, parameter or value is not usable.

    Examples
    --------
    >>> from pdkit.errors import InputError
    >>> try:
    ...     raise InputError("results.csv, column 'value', row 4: expected a number, got 'abc'")
    ... except ValueError as exc:
    ...     print(exc)
    results.csv, column 'value', row 4: expected a number, got 'abc'
    """


class ParameterError(InputError):
    """A report parameter has the wrong type, range, choice or file."""
