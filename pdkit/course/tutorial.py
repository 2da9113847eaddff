"""Answer checking for the pdkit course notebooks.

A lesson asks a question and the learner calls :func:`check` with an exercise id
and their answer.  :func:`check` prints exactly one line -- right, close (with a
hint) or wrong (with a hint) -- and returns ``True`` only for a right answer.  It
never prints the expected value, so an executed course notebook does not give the
answers away.

Exercises live in ``pdkit/exercises.yaml`` (a list under ``exercises:``).  Each
entry has:

``id``
    Unique dotted name, ``<topic>.<what>`` (e.g. ``scaleup.tip_speed_200L``).
``expected`` *or* ``compute``
    The answer: a number, a text or a list -- or ``compute: "pdkit.module:function"``
    with ``kwargs:`` (and optionally ``attribute:``, a dotted attribute of the
    result), so that the answer is recomputed by the package and stays in sync
    with it.  A string kwarg ``"sample:<path>"`` resolves to a file in the kit's
    ``data_samples`` folder.
``rel_tol``, ``close_tol``, ``abs_tol``
    Numbers: right if within ``rel_tol`` (relative, default 0.01), close if
    within ``close_tol`` (default 0.1); ``abs_tol`` (default 0) is an absolute
    floor for both, needed when the answer is 0.
``hint_close``, ``hint_wrong``
    Hints printed for close and wrong answers (must not contain the answer).
``unit``
    Optional unit of a numeric answer.  Learners may then answer with a unit
    (``"1.3 m/s"`` or a pint quantity), which is converted.
``accept``
    Text exercises: other accepted spellings.  Text is compared ignoring case,
    spaces, ``_`` and ``-``.
``ordered``
    List exercises: whether order matters (default true).
``question``, ``lesson``
    Optional text for course authors.

:func:`solution` returns the expected value and exists **for the test suite
only**: course notebooks must never call it.

Examples
--------
>>> from pdkit.tutorial import check
>>> check("scaleup.tip_speed_200L", 1.2566)
Right!
True
>>> check("scaleup.tip_speed_200L", "fast")  # doctest: +ELLIPSIS
Not right yet: expected a number in m/s. Hint: ...
False
>>> check("scaleup.tip_speed_200L", None)
Not right yet: expected a number in m/s. Hint: not answered yet - replace None with your answer and run the cell again.
False
"""
from __future__ import annotations

import difflib
import importlib
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pdkit.errors import InputError

__all__ = ["check", "solution", "exercise_ids", "load_registry", "validate_registry", "Exercise", "REGISTRY_PATH", "REGISTRY_DIR"]

#: The packaged answer registry.
REGISTRY_PATH = Path(__file__).resolve().parent / "exercises.yaml"

_KEYS = {
    "id", "expected", "compute", "kwargs", "attribute", "rel_tol", "close_tol", "abs_tol",
    "hint_close", "hint_wrong", "unit", "accept", "ordered", "question", "lesson",
}

RIGHT = "Right!"
#: Printed (after the expected type) when the answer is still ``None``.
NOT_ANSWERED = "not answered yet - replace None with your answer and run the cell again."


@dataclass(frozen=True, eq=False)
class Exercise:
    """One registered exercise (see the module docstring for the fields)."""

    id: str
    hint_close: str
    hint_wrong: str
    expected: Any = None
    compute: str | None = None
    kwargs: dict = field(default_factory=dict)
    attribute: str | None = None
    rel_tol: float = 0.01
    close_tol: float = 0.1
    abs_tol: float = 0.0
    unit: str | None = None
    accept: tuple = ()
    ordered: bool = True
    question: str = ""
    lesson: str = ""


# ----------------------------------------------------------------------------- registry
def _entry(raw: Any, where: str, seen: set[str]) -> Exercise:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping with 'id', 'expected' or 'compute', and hints")
    ex_id = raw.get("id")
    if not isinstance(ex_id, str) or not ex_id.strip():
        raise InputError(f"{where}: missing 'id' (a non-empty text)")
    where = f"{where} ('{ex_id}')"
    if ex_id in seen:
        raise InputError(f"{where}: duplicated id")
    seen.add(ex_id)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; allowed: {', '.join(sorted(_KEYS))}")
    if ("expected" in raw) == ("compute" in raw):
        raise InputError(f"{where}: give exactly one of 'expected' or 'compute'")
    for hint in ("hint_close", "hint_wrong"):
        if not isinstance(raw.get(hint), str) or not raw[hint].strip():
            raise InputError(f"{where}: missing '{hint}' (a non-empty text)")
    if "compute" in raw:
        comp = raw["compute"]
        if not isinstance(comp, str) or not re.fullmatch(r"pdkit(\.\w+)*:\w+", comp):
            raise InputError(f"{where}: 'compute' must look like 'pdkit.module:function', got {comp!r}")
        if not isinstance(raw.get("kwargs", {}), dict):
            raise InputError(f"{where}: 'kwargs' must be a mapping")
    tols = {}
    for key, default in (("rel_tol", 0.01), ("close_tol", 0.1), ("abs_tol", 0.0)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
            raise InputError(f"{where}: '{key}' must be a number >= 0, got {value!r}")
        tols[key] = float(value)
    if tols["close_tol"] < tols["rel_tol"]:
        raise InputError(f"{where}: 'close_tol' ({tols['close_tol']:g}) must be >= 'rel_tol' ({tols['rel_tol']:g})")
    accept = raw.get("accept", [])
    if isinstance(accept, str):
        accept = [accept]
    if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
        raise InputError(f"{where}: 'accept' must be a list of texts")
    unit = raw.get("unit")
    if unit is not None:
        from pdkit.units import parse_unit

        parse_unit(str(unit), f"{where}, 'unit'")
    return Exercise(
        id=ex_id,
        hint_close=raw["hint_close"].strip(),
        hint_wrong=raw["hint_wrong"].strip(),
        expected=raw.get("expected"),
        compute=raw.get("compute"),
        kwargs=dict(raw.get("kwargs") or {}),
        attribute=raw.get("attribute"),
        unit=None if unit is None else str(unit),
        accept=tuple(accept),
        ordered=bool(raw.get("ordered", True)),
        question=str(raw.get("question", "") or ""),
        lesson=str(raw.get("lesson", "") or ""),
        **tols,
    )


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Exercise]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"exercise registry '{p}' does not exist")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"exercise registry '{p.name}' is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("exercises"), list):
        raise InputError(f"exercise registry '{p.name}': expected a top-level 'exercises:' list")
    seen: set[str] = set()
    out = {}
    for i, raw in enumerate(doc["exercises"], start=1):
        ex = _entry(raw, f"exercise registry '{p.name}', entry {i}", seen)
        out[ex.id] = ex
    return out


#: Per-lesson registries merged with the packaged one (one YAML file per lesson author).
REGISTRY_DIR = Path(__file__).resolve().parent / "exercises"


def load_registry(path: str | Path | None = None) -> dict[str, Exercise]:
    """Read and validate an exercise registry.

    The default is the packaged ``exercises.yaml`` merged with every
    ``exercises/*.yaml`` file beside it (one per lesson); an id defined twice is
    an error naming both files.

    Examples
    --------
    >>> "facility.batches_per_year" in load_registry()
    True
    """
    if path is not None:
        return _load(str(Path(path).resolve()))
    merged: dict[str, Exercise] = dict(_load(str(REGISTRY_PATH)))
    origin = {k: REGISTRY_PATH.name for k in merged}
    for extra in sorted(REGISTRY_DIR.glob("*.yaml")) if REGISTRY_DIR.is_dir() else []:
        for key, ex in _load(str(extra)).items():
            if key in merged:
                raise InputError(f"exercise id '{key}' is defined in both {origin[key]} and exercises/{extra.name}")
            merged[key] = ex
            origin[key] = f"exercises/{extra.name}"
    return merged


def exercise_ids(registry: str | Path | None = None) -> list[str]:
    """All registered exercise ids, sorted.

    Examples
    --------
    >>> "scaleup.tip_speed_200L" in exercise_ids()
    True
    """
    return sorted(load_registry(registry))


def _get(exercise_id: Any, registry: str | Path | None) -> Exercise:
    reg = load_registry(registry)
    if not isinstance(exercise_id, str):
        raise InputError(f"exercise id: expected a text such as 'scaleup.tip_speed_200L', got {exercise_id!r}")
    if exercise_id in reg:
        return reg[exercise_id]
    ids = sorted(reg)
    similar = difflib.get_close_matches(exercise_id, ids, n=5, cutoff=0.5)
    if not similar:
        prefix = exercise_id.split(".")[0]
        similar = [i for i in ids if i.startswith(prefix + ".")][:5]
    hint = f"; did you mean {', '.join(repr(s) for s in similar)}?" if similar else f"; known ids: {', '.join(ids[:8])}"
    raise InputError(f"unknown exercise id {exercise_id!r}{hint}")


def _resolve_kwarg(value: Any, where: str) -> Any:
    if isinstance(value, str) and value.startswith("sample:"):
        from pdkit._paths import samples_dir

        path = samples_dir() / value[len("sample:"):]
        if not path.exists():
            raise InputError(f"{where}: sample file '{value[len('sample:'):]}' not found in {samples_dir()}")
        return str(path)
    return value


@lru_cache(maxsize=256)
def _computed(ex: Exercise) -> Any:
    where = f"exercise '{ex.id}'"
    module_name, func_name = ex.compute.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError):
        raise InputError(f"{where}: cannot find {ex.compute!r}") from None
    result = func(**{k: _resolve_kwarg(v, where) for k, v in ex.kwargs.items()})
    if ex.attribute:
        for part in ex.attribute.split("."):
            result = getattr(result, part)
    return result


def _expected(ex: Exercise) -> Any:
    value = _computed(ex) if ex.compute else ex.expected
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, tuple):
        value = list(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        raise InputError(f"exercise '{ex.id}': expected value must be a number, text or list, got {value!r}")
    return value


def solution(exercise_id: str, registry: str | Path | None = None) -> Any:
    """The expected answer of an exercise -- for the test suite only.

    Course notebooks must never call this: it would print the answer into the
    executed notebook.  Use :func:`check` there.

    Examples
    --------
    >>> solution("facility.batches_per_year")
    19
    """
    return _expected(_get(exercise_id, registry))


# ----------------------------------------------------------------------------- comparing
def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _norm_text(s: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(s)).strip().casefold()


class _NotNumber(Exception):
    pass


def _as_number(answer: Any, unit: str | None) -> float:
    """The answer as a float in the exercise's unit, or raise _NotNumber(reason)."""
    from pdkit.units import registry

    ureg = registry()
    if isinstance(answer, (bool, np.bool_)):
        raise _NotNumber("a number")
    if isinstance(answer, ureg.Quantity):
        q = answer
    elif _is_number(answer) or isinstance(answer, np.number):
        return float(answer)
    elif isinstance(answer, str):
        text = answer.strip().replace(",", "")
        try:
            return float(text)
        except ValueError:
            pass
        try:
            q = ureg.Quantity(text)
        except Exception:
            raise _NotNumber("a number") from None
        if not isinstance(q, ureg.Quantity) or not _is_number(q.magnitude):
            raise _NotNumber("a number")
    else:
        raise _NotNumber("a number")
    if q.dimensionless and unit is None:
        return float(q.to("dimensionless").magnitude)
    if unit is None:
        raise _NotNumber("a plain number (this exercise has no unit)")
    from pdkit.units import parse_unit

    target = parse_unit(unit)
    try:
        return float(q.to(target.units).magnitude / target.magnitude)
    except Exception:
        raise _NotNumber(f"a value in {unit}") from None


def _grade_number(value: float, expected: float, ex: Exercise) -> str:
    if not math.isfinite(value):
        return "wrong"
    err = abs(value - float(expected))
    scale = abs(float(expected))
    if err <= max(ex.rel_tol * scale, ex.abs_tol):
        return "right"
    if err <= max(ex.close_tol * scale, ex.abs_tol):
        return "close"
    return "wrong"


def _grade_text(answer: str, expected: str, ex: Exercise) -> str:
    a = _norm_text(answer)
    accepted = [_norm_text(expected), *(_norm_text(x) for x in ex.accept)]
    if a in accepted:
        return "right"
    if max(difflib.SequenceMatcher(None, a, x).ratio() for x in accepted) >= 0.85:
        return "close"
    return "wrong"


def _grade(answer: Any, expected: Any, ex: Exercise) -> tuple[str, str | None]:
    """(grade, reason) with grade in right/close/wrong; reason explains a type mismatch."""
    if _is_number(expected):
        try:
            value = _as_number(answer, ex.unit)
        except _NotNumber as exc:
            return "wrong", f"expected {exc}{' in ' + ex.unit if ex.unit and str(exc) == 'a number' else ''}"
        return _grade_number(value, expected, ex), None
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return "wrong", "expected a text answer (in quotes)"
        return _grade_text(answer, expected, ex), None
    if isinstance(expected, list):
        n = len(expected)
        if isinstance(answer, (str, bytes)) or not isinstance(answer, (Sequence, np.ndarray)) and not hasattr(answer, "tolist"):
            return "wrong", f"expected a list of {n} values"
        items = list(answer.tolist() if hasattr(answer, "tolist") else answer)
        if len(items) != n:
            return "wrong", f"expected a list of {n} values, got {len(items)}"
        if all(_is_number(e) for e in expected):
            try:
                values = [_as_number(a, ex.unit) for a in items]
            except _NotNumber:
                return "wrong", f"expected a list of {n} numbers"
            exp = list(map(float, expected))
            if not ex.ordered:
                values, exp = sorted(values), sorted(exp)
            grades = [_grade_number(v, e, ex) for v, e in zip(values, exp)]
        else:
            if not all(isinstance(a, str) for a in items):
                return "wrong", f"expected a list of {n} texts"
            exp_t = [str(e) for e in expected]
            if not ex.ordered:
                items = sorted(items, key=_norm_text)
                exp_t = sorted(exp_t, key=_norm_text)
            grades = [_grade_text(a, e, Exercise(ex.id, "", "")) for a, e in zip(items, exp_t)]
        if all(g == "right" for g in grades):
            return "right", None
        if all(g in ("right", "close") for g in grades):
            return "close", None
        return "wrong", None
    raise InputError(f"exercise '{ex.id}': unsupported expected value type {type(expected).__name__}")


def check(exercise_id: str, answer: Any, *, registry: str | Path | None = None) -> bool:
    """Check a learner's answer: print right, close (with a hint) or wrong (with a hint).

    The expected value is never printed.

    Parameters
    ----------
    exercise_id : str
        Id of a registered exercise, e.g. ``"scaleup.tip_speed_200L"``.
    answer : number, text, list or pint quantity
        The learner's answer.  Numbers may be given as text, with a unit when the
        exercise has one (``"1.3 m/s"``).  ``None`` (an exercise cell not yet
        filled in) prints a "not answered yet" line and returns False.
    registry : path, optional
        Another registry file (for course authors testing new exercises).

    Returns
    -------
    bool
        True only for a right answer.

    Raises
    ------
    InputError
        Unknown exercise id (the message lists similar ids).

    Examples
    --------
    >>> check("facility.batches_per_year", 19)
    Right!
    True
    """
    ex = _get(exercise_id, registry)
    grade, reason = _grade(answer, _expected(ex), ex)
    if answer is None:
        # the exercise cell as committed: say so kindly, without the exercise's hints or answer
        print(f"Not right yet: {reason}. Hint: {NOT_ANSWERED}")
        return False
    if grade == "right":
        print(RIGHT)
        return True
    if grade == "close":
        print(f"Close, but not quite. Hint: {ex.hint_close}")
        return False
    if reason:
        print(f"Not right yet: {reason}. Hint: {ex.hint_wrong}")
    else:
        print(f"Not right yet. Hint: {ex.hint_wrong}")
    return False


# ----------------------------------------------------------------------------- authoring aid
def _leak_patterns(value: Any) -> set[str]:
    pats: set[str] = set()
    values = value if isinstance(value, list) else [value]
    for v in values:
        if _is_number(v):
            f = float(v)
            for fmt in ("{:.2g}", "{:.3g}", "{:.4g}", "{:.5g}", "{:g}"):
                s = fmt.format(f)
                if sum(c.isdigit() for c in s) >= 2:
                    pats.add(s)
        elif isinstance(v, str) and len(v) >= 3:
            pats.add(_norm_text(v))
    return pats


def validate_registry(registry: str | Path | None = None) -> list[str]:
    """Problems in a registry: expected values that cannot be computed or hints that reveal them.

    Returns an empty list when every exercise is usable.  Run by the test suite.

    Examples
    --------
    >>> validate_registry()
    []
    """
    problems = []
    for ex in load_registry(registry).values():
        try:
            expected = _expected(ex)
        except Exception as exc:  # report every broken entry, not just the first
            problems.append(f"{ex.id}: expected value cannot be computed: {exc}")
            continue
        for hint_name in ("hint_close", "hint_wrong"):
            text = _norm_text(getattr(ex, hint_name))
            for pat in _leak_patterns(expected):
                if re.search(rf"(?<![\w.]){re.escape(pat)}(?![\w])", text):
                    problems.append(f"{ex.id}: {hint_name} contains the answer ({pat!r})")
    return problems
