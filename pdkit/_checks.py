"""One checker for scalar numeric arguments, shared by the computational modules.

Every public function validates its numeric parameters the same way: a number
(not a bool or text), finite, optionally positive / non-negative / bounded, or
None where None is allowed; anything else raises :class:`~pdkit.errors.InputError`
naming the parameter and what was given.
"""
from __future__ import annotations

import math
from typing import Any

from pdkit.errors import InputError

__all__ = ["number"]


def number(value: Any, name: str, *, allow_none: bool = False, positive: bool = False,
           nonnegative: bool = False, at_most: float | None = None) -> float | None:
    """``value`` as a finite float (or None when allowed), else :class:`InputError` naming ``name``.

    Examples
    --------
    >>> number(2.5, "dose"), number(None, "lsl", allow_none=True)
    (2.5, None)
    >>> try:
    ...     number(float("nan"), "lsl", allow_none=True)
    ... except InputError as exc:
    ...     print(exc)
    parameter 'lsl': expected a finite number or None, got nan
    """
    what = "a number or None" if allow_none else "a number"
    if value is None:
        if allow_none:
            return None
        raise InputError(f"parameter '{name}': expected a number, got None")
    if isinstance(value, (bool, str, bytes)) or type(value).__name__ == "bool_":
        raise InputError(f"parameter '{name}': expected {what}, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"parameter '{name}': expected {what}, got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"parameter '{name}': expected a finite {what[2:]}, got {value!r}")
    if positive and x <= 0:
        raise InputError(f"parameter '{name}': expected a value > 0, got {x:g}")
    if nonnegative and x < 0:
        raise InputError(f"parameter '{name}': expected a value >= 0, got {x:g}")
    if at_most is not None and x > at_most:
        raise InputError(f"parameter '{name}': expected a value <= {at_most:g}, got {x:g}")
    return x
