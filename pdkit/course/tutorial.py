"""The course's exercises as a lesson sees them: check, exercise, choose, interpret, explain, hint.

A lesson asks a question and the trainee answers in one code cell:

* ``check(exercise_id, answer)`` -- a number (optionally with a unit), a text or a
  list; prints right, close (with a hint) or wrong (with a hint);
* ``v = exercise(exercise_id)`` -- prints the question with *this trainee's*
  numbers (per-trainee variants) and returns them; the expected answer for those
  numbers is computed only inside ``check``;
* ``choose(exercise_id, choice, why=...)`` -- multiple choice with a required
  justification;
* ``interpret(exercise_id, answer_dict)`` -- several fields, e.g. which lots fail
  and on which attribute (lists compare as sets);
* ``explain(question_id, text)`` (also ``answer``) -- a conceptual question,
  recorded for the trainer and not graded;
* ``hint(exercise_id, level=1|2)`` -- graded hints;
* ``lesson_header("NN")`` -- the course version line at the top of each lesson.

Every function prints one line (``exercise`` also the question) and never the
expected value.  Every answered attempt is stored in the trainee's signed,
hash-chained training records (:mod:`pdkit.course.records`); an unanswered cell
(``None`` or empty text) prints "not answered yet" and records nothing.  The
registry format is in ``docs/course-authoring.md``; solutions and model answers
are trainer material (:mod:`pdkit.course.trainer`), not reachable from here.

Examples
--------
A registry of one exercise of each kind ships for examples (answers given with
``registry=`` are not recorded):

>>> import math, os
>>> from unittest import mock
>>> from pdkit.course.registry import EXAMPLE_REGISTRY as REG
>>> with mock.patch.dict(os.environ, {"PDKIT_TRAINEE": "alice"}):
...     v = exercise("example.tip_speed", registry=REG)
...     check("example.tip_speed", math.pi * v.diameter_m * v.rpm / 60, registry=REG)
...     check("example.tip_speed", "fast", registry=REG)
...     check("example.tip_speed", None, registry=REG)
Exercise example.tip_speed: A bioreactor impeller of ... m diameter turns at ... rpm. What is its tip speed in m/s?
Your values: rpm = ..., diameter_m = ...
Right!
True
Not right yet: expected a number in m/s. Hint: Tip speed is ...
False
Not right yet: expected a number in m/s. Hint: not answered yet - replace None with your answer and run the cell again.
False
"""
from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from pdkit.course import registry as _reg
from pdkit.course.meta import lesson_for_stem as _lesson_for_stem
from pdkit.course.meta import lesson_header
from pdkit.course.registry import REGISTRY_DIR, REGISTRY_PATH, Exercise, Variant, exercise_ids, load_registry, validate_registry
from pdkit.errors import InputError

__all__ = [
    "check",
    "exercise",
    "choose",
    "interpret",
    "explain",
    "answer",
    "hint",
    "lesson_header",
    "exercise_ids",
    "load_registry",
    "validate_registry",
    "Exercise",
    "Variant",
    "REGISTRY_PATH",
    "REGISTRY_DIR",
]

RIGHT = "Right!"
#: Printed (after the expected type) when the answer is still ``None``.
NOT_ANSWERED = "not answered yet - replace None with your answer and run the cell again."


# ----------------------------------------------------------------------------- identity and records
def _who():
    from pdkit.course.records import identify

    return identify()


def _variant(ex: Exercise, registry: str | Path | None) -> tuple[Variant, Any]:
    """(this trainee's variant, identity or None)."""
    if not ex.variants:
        return Variant(), None
    who = _who()
    return _reg.variant_for(ex, who.trainee, who.course_version), who


def _record(ex: Exercise, registry: str | Path | None, event: str, who: Any, **fields: Any) -> None:
    """Append the attempt to the trainee's records (packaged registry only; PDKIT_COURSE_RECORDS=off skips)."""
    from pdkit.course.records import append_record, records_enabled

    if registry is not None or not records_enabled():
        return
    who = who or _who()
    stem = _reg.lesson_of(ex)
    lesson = _lesson_for_stem(stem)
    append_record(who, {"event": event, "exercise_id": ex.id, "kind": ex.kind, "lesson": stem,
                        "lesson_revision": lesson.revision if lesson else None, **fields})


def _kind(ex: Exercise, kind: str, function: str) -> None:
    if ex.kind != kind:
        from pdkit.course.registry import KINDS

        raise InputError(f"exercise '{ex.id}' is a {ex.kind} exercise: answer it with {KINDS[ex.kind]}(), "
                         f"not {function}()")


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


def _grade_text(answer: str, expected: str, accept: Sequence[str]) -> str:
    a = _norm_text(answer)
    accepted = [_norm_text(expected), *(_norm_text(x) for x in accept)]
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
        return _grade_text(answer, expected, ex.accept), None
    if isinstance(expected, list):
        n = len(expected)
        if isinstance(answer, (set, frozenset)):
            answer = sorted(answer, key=str)
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
            if not all(isinstance(a, (str, numbers.Real)) for a in items):
                return "wrong", f"expected a list of {n} texts"
            exp_t = [str(e) for e in expected]
            items = [str(a) for a in items]
            if not ex.ordered:
                items = sorted(items, key=_norm_text)
                exp_t = sorted(exp_t, key=_norm_text)
            grades = [_grade_text(a, e, ()) for a, e in zip(items, exp_t)]
        if all(g == "right" for g in grades):
            return "right", None
        if all(g in ("right", "close") for g in grades):
            return "close", None
        return "wrong", None
    raise InputError(f"exercise '{ex.id}': unsupported expected value type {type(expected).__name__}")


# ----------------------------------------------------------------------------- value exercises
def check(exercise_id: str, answer: Any, *, registry: str | Path | None = None) -> bool:
    """Check a trainee's answer: print right, close (with a hint) or wrong (with a hint).

    The expected value is never printed.  For an exercise with variants it is
    computed for this trainee's values (those :func:`exercise` shows).  The
    attempt is appended to the trainee's training records.

    Parameters
    ----------
    exercise_id : str
        Id of a registered ``value`` exercise, e.g. ``"05_scaleup.speed_pv_50L"``.
    answer : number, text, list or pint quantity
        Numbers may be given as text, with a unit when the exercise has one
        (``"1.3 m/s"``).  ``None`` (the cell as committed) prints a "not answered
        yet" line, records nothing and returns False.
    registry : path, optional
        Another registry file (for course authors testing new exercises; not recorded).

    Returns
    -------
    bool
        True only for a right answer.

    Raises
    ------
    InputError
        Unknown exercise id (the message lists similar ids), or an exercise of
        another kind (the message names the function to use).

    Examples
    --------
    >>> from pdkit.course.registry import EXAMPLE_REGISTRY as REG
    >>> check("example.batches_per_year", 1000, registry=REG)  # doctest: +ELLIPSIS
    Not right yet. Hint: Divide the available days by ...
    False
    """
    ex = _reg.get_exercise(exercise_id, registry)
    _kind(ex, "value", "check")
    variant, who = _variant(ex, registry)
    grade, reason = _grade(answer, _reg.expected_value(ex, variant), ex)
    if answer is None:
        print(f"Not right yet: {reason}. Hint: {NOT_ANSWERED}")
        return False
    _record(ex, registry, "check", who, variant=dict(variant), answer=answer, verdict=grade)
    if grade == "right":
        print(RIGHT)
        return True
    if grade == "close":
        print(f"Close, but not quite. Hint: {ex.hint_close}")
    elif reason:
        print(f"Not right yet: {reason}. Hint: {ex.hint_wrong}")
    else:
        print(f"Not right yet. Hint: {ex.hint_wrong}")
    return False


def exercise(exercise_id: str, *, registry: str | Path | None = None) -> Variant:
    """Print the question of an exercise with this trainee's values and return those values.

    Parameters
    ----------
    exercise_id : str
        Id of a registered exercise.
    registry : path, optional
        Another registry file (for course authors).

    Returns
    -------
    Variant
        A read-only mapping of the exercise's parameters (``v.rpm`` or
        ``v["rpm"]``); empty for an exercise without variants.  The values are
        fixed for one trainee and course version and differ between trainees.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from pdkit.course.registry import EXAMPLE_REGISTRY as REG
    >>> with mock.patch.dict(os.environ, {"PDKIT_TRAINEE": "bob"}):
    ...     v = exercise("example.batches_per_year", registry=REG)
    Exercise example.batches_per_year: A suite is available ... days a year. ...
    Your values: available_days = ..., cycle_days = ..., changeover_days = ...
    >>> sorted(v)
    ['available_days', 'changeover_days', 'cycle_days']
    """
    ex = _reg.get_exercise(exercise_id, registry)
    variant, _ = _variant(ex, registry)
    print(f"Exercise {ex.id}: {_reg.format_question(ex, variant)}")
    if variant:
        print("Your values: " + ", ".join(f"{k} = {v}" for k, v in variant.items()))
    return variant


# ----------------------------------------------------------------------------- reasoning exercises
def choose(exercise_id: str, choice: Any, why: str = "", *, registry: str | Path | None = None) -> bool:
    """Answer a multiple-choice exercise with the letter of an option and a justification.

    The choice is graded only with a justification of at least the exercise's
    ``min_why`` characters (default 40); the justification is recorded for the
    trainer.

    Parameters
    ----------
    exercise_id : str
        Id of a registered ``choice`` exercise.
    choice : str
        The option's letter (``"b"``) or its full text.  ``None`` prints "not
        answered yet" and records nothing.
    why : str
        Your reasons, in one or two sentences.

    Returns
    -------
    bool
        True for the right option with a justification.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> reg = Path(tempfile.mkdtemp()) / "ex.yaml"
    >>> _ = reg.write_text('''
    ... exercises:
    ...   - id: demo.pick
    ...     kind: choice
    ...     question: Which criterion keeps the impeller speed unchanged at scale?
    ...     options: {a: power per volume, b: tip speed, c: mixing time}
    ...     expected: c
    ...     min_why: 20
    ...     hint_wrong: Write each rule as N2 = N1 (D1/D2)^a; which has a = 0?
    ... ''')
    >>> choose("demo.pick", "c", why="short", registry=reg)
    Not graded yet: add a justification of at least 20 characters (why="...").
    False
    >>> choose("demo.pick", "C", why="the exponent of the diameter ratio is zero", registry=reg)
    Right!
    True
    """
    ex = _reg.get_exercise(exercise_id, registry)
    _kind(ex, "choice", "choose")
    letters = dict(ex.options)
    if choice is None:
        print(f"Not right yet: expected one of {', '.join(letters)}. Hint: {NOT_ANSWERED}")
        return False
    why_text = why if isinstance(why, str) else ("" if why is None else str(why))
    key = str(choice).strip().casefold()
    if key not in letters:
        by_text = [k for k, t in letters.items() if _norm_text(t) == _norm_text(str(choice))]
        key = by_text[0] if by_text else key
    if key not in letters:
        _record(ex, registry, "choose", None, answer=choice, why=why_text, verdict="wrong")
        print(f"Not right yet: expected one of {', '.join(letters)} (the letter of an option).")
        return False
    if len(why_text.strip()) < ex.min_why:
        _record(ex, registry, "choose", None, answer=key, why=why_text, verdict="incomplete")
        print(f'Not graded yet: add a justification of at least {ex.min_why} characters (why="...").')
        return False
    expected = str(_reg.expected_value(ex))
    grade = "right" if key == expected else "wrong"
    _record(ex, registry, "choose", None, answer=key, why=why_text, verdict=grade)
    if grade == "right":
        print(RIGHT)
        return True
    print(f"Not right yet. Hint: {ex.hint_wrong}")
    return False


def interpret(exercise_id: str, answer: Mapping[str, Any] | None, why: str = "", *,
              registry: str | Path | None = None) -> bool:
    """Answer an interpretation exercise: a mapping field -> value (lists and sets compare without order).

    Parameters
    ----------
    exercise_id : str
        Id of a registered ``interpret`` exercise.
    answer : dict
        One entry per field of the question, e.g. ``{"failing_lots": ["L3", "L7"],
        "attribute": "potency"}``.  All fields ``None`` (the cell as committed)
        prints "not answered yet" and records nothing.
    why : str, optional
        Reasons, recorded for the trainer.

    Returns
    -------
    bool
        True when every field is right.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> reg = Path(tempfile.mkdtemp()) / "ex.yaml"
    >>> _ = reg.write_text('''
    ... exercises:
    ...   - id: demo.lots
    ...     kind: interpret
    ...     question: Which lots fail, and on which attribute?
    ...     expected: {failing_lots: [L3, L7], attribute: potency}
    ...     hint_close: One field is right.
    ...     hint_wrong: Compare each reportable value with the limits after rounding.
    ... ''')
    >>> interpret("demo.lots", {"failing_lots": {"l7", "L3"}, "attribute": "Potency"}, registry=reg)
    Right!
    True
    >>> interpret("demo.lots", {"failing_lots": ["L3"], "attribute": "potency"}, registry=reg)
    Not right yet: 1 of 2 fields right. Hint: One field is right.
    False
    """
    ex = _reg.get_exercise(exercise_id, registry)
    _kind(ex, "interpret", "interpret")
    expected = _reg.expected_value(ex)
    fields = list(expected)
    if answer is None or (isinstance(answer, Mapping) and all(answer.get(f) is None for f in fields)):
        print(f"Not right yet: fill in {', '.join(fields)}. Hint: {NOT_ANSWERED}")
        return False
    if not isinstance(answer, Mapping):
        _record(ex, registry, "interpret", None, answer=answer, why=why, verdict="wrong")
        print(f"Not right yet: expected a dict with the fields {', '.join(fields)}.")
        return False
    missing = [f for f in fields if answer.get(f) is None]
    if missing:
        _record(ex, registry, "interpret", None, answer=dict(answer), why=why, verdict="incomplete")
        print(f"Not graded yet: fill in {', '.join(missing)} (the fields are {', '.join(fields)}).")
        return False
    grades = []
    for f in fields:
        exp, given = expected[f], answer[f]
        sub = replace(ex, ordered=False, accept=tuple(ex.accept_fields.get(f, ())))
        if isinstance(exp, list) and isinstance(given, (str, numbers.Real)) and not isinstance(given, bool):
            given = [given]
        grades.append(_grade(given, exp, sub)[0])
    n_right = grades.count("right")
    verdict = "right" if n_right == len(fields) else ("close" if n_right or "close" in grades else "wrong")
    _record(ex, registry, "interpret", None, answer=dict(answer), why=why, verdict=verdict)
    if verdict == "right":
        print(RIGHT)
        return True
    hint_text = ex.hint_close if verdict == "close" and ex.hint_close else ex.hint_wrong
    print(f"Not right yet: {n_right} of {len(fields)} fields right. Hint: {hint_text}")
    return False


def explain(question_id: str, text: str | None, *, registry: str | Path | None = None) -> bool:
    """Record the trainee's answer to a conceptual question for the trainer (not graded).

    Parameters
    ----------
    question_id : str
        Id of a registered ``free_text`` question.
    text : str
        The answer, at least the question's ``min_words`` words (default 20).  An
        empty text (the cell as committed) prints "not answered yet".

    Returns
    -------
    bool
        True when the answer was recorded as complete.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> reg = Path(tempfile.mkdtemp()) / "ex.yaml"
    >>> _ = reg.write_text('''
    ... exercises:
    ...   - id: demo.why
    ...     kind: free_text
    ...     question: Why is plasmid DNA a starting material for an AAV vector?
    ...     min_words: 5
    ... ''')
    >>> explain("demo.why", "", registry=reg)
    Not answered yet: write your answer in text = "..." and run the cell again.
    False
    >>> explain("demo.why", "It is not the active substance itself but is used to make it.", registry=reg)
    Recorded for your trainer (13 words); your trainer marks it against the model answer.
    True
    """
    ex = _reg.get_exercise(question_id, registry)
    _kind(ex, "free_text", "explain")
    if text is None or (isinstance(text, str) and not text.strip()):
        print('Not answered yet: write your answer in text = "..." and run the cell again.')
        return False
    text = str(text)
    words = len(text.split())
    if words < ex.min_words:
        _record(ex, registry, "explain", None, answer=text, verdict="incomplete")
        print(f"Recorded, but too short: write at least {ex.min_words} words (you wrote {words}).")
        return False
    _record(ex, registry, "explain", None, answer=text, verdict="recorded")
    print(f"Recorded for your trainer ({words} words); your trainer marks it against the model answer.")
    return True


#: ``tutorial.answer(question_id, text)`` is :func:`explain` (do not import it by this name into a
#: lesson: lesson cells use ``answer`` as a variable).
answer = explain


def hint(exercise_id: str, level: int = 1, *, registry: str | Path | None = None) -> str:
    """Print (and return) a graded hint: level 1 a nudge, level 2 the method.

    Hints never contain the answer (checked for every variant by the test suite).
    Level 1 falls back to ``hint_wrong`` and level 2 to ``hint_close`` for
    exercises that declare no ``hints``.

    Examples
    --------
    >>> from pdkit.course.registry import EXAMPLE_REGISTRY as REG
    >>> text = hint("example.tip_speed", 1, registry=REG)
    Hint 1: Which distance does a blade tip travel in one revolution?
    >>> hint("example.tip_speed", 3, registry=REG)
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: hint level: expected 1 or 2, got 3
    """
    if isinstance(level, bool) or level not in (1, 2):
        raise InputError(f"hint level: expected 1 or 2, got {level!r}")
    ex = _reg.get_exercise(exercise_id, registry)
    hints = list(ex.hints)
    fallback = [h for h in (ex.hint_wrong, ex.hint_close) if h]
    if len(hints) >= level:
        text = hints[level - 1]
    elif len(fallback) >= level and not hints:
        text = fallback[level - 1]
    else:
        text = "No further hint for this exercise: reread the section above, or ask your trainer."
    print(f"Hint {level}: {text}")
    return text
