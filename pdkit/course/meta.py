"""Course metadata (``pdkit/course/course.yaml``): title, version, effective date, lesson revisions.

Every lesson's first code cell calls :func:`lesson_header` (re-exported by
:mod:`pdkit.tutorial`), which prints the course title, version, effective date
and the lesson's title and revision, so a printed or exported lesson always shows
which controlled version of the course it belongs to.

Examples
--------
>>> info = course_info()
>>> info.version == course_info().version and len(info.effective_date) == 10
True
>>> lesson_info("05").stem
'05_scaleup'
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pdkit.errors import InputError

__all__ = ["COURSE_PATH", "CourseInfo", "LessonInfo", "course_info", "lesson_info", "lesson_for_stem", "lesson_header"]

#: The course metadata file.
COURSE_PATH = Path(__file__).resolve().parent / "course.yaml"


@dataclass(frozen=True)
class LessonInfo:
    """One lesson of the course: number ``"05"``, notebook ``stem``, ``title``, ``revision``."""

    number: str
    stem: str
    title: str
    revision: int


@dataclass(frozen=True)
class CourseInfo:
    """The course's ``title``, ``version``, ``effective_date`` (ISO), ``owner``, ``change_history``, ``lessons``."""

    title: str
    version: str
    effective_date: str
    owner: str
    change_history: tuple
    lessons: tuple  # LessonInfo, sorted by number


@lru_cache(maxsize=4)
def _load(path: str) -> CourseInfo:
    import yaml

    p = Path(path)
    where = f"course metadata {p.name}"
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{where} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{where} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a mapping with title, version, effective_date, owner, lessons")
    for key in ("title", "version", "effective_date", "owner"):
        if not isinstance(doc.get(key), (str, _dt.date)) or not str(doc[key]).strip():
            raise InputError(f"{where}: missing '{key}' (a text)")
    date = str(doc["effective_date"])
    try:
        _dt.date.fromisoformat(date)
    except ValueError:
        raise InputError(f"{where}: 'effective_date' must be a date YYYY-MM-DD, got {date!r}") from None
    history = doc.get("change_history") or []
    if not isinstance(history, list) or not all(isinstance(h, dict) and {"version", "date", "change"} <= set(h)
                                                for h in history):
        raise InputError(f"{where}: 'change_history' must be a list of {{version, date, change}}")
    lessons = doc.get("lessons")
    if not isinstance(lessons, dict) or not lessons:
        raise InputError(f"{where}: missing 'lessons' (number -> {{stem, title, revision}})")
    out = []
    for number, entry in lessons.items():
        number = str(number)
        if not re.fullmatch(r"\d\d", number) or not isinstance(entry, dict):
            raise InputError(f"{where}: lesson {number!r}: expected \"NN\": {{stem, title, revision}}")
        rev = entry.get("revision")
        if not isinstance(entry.get("stem"), str) or not str(entry["stem"]).startswith(number + "_") \
                or not isinstance(entry.get("title"), str) or isinstance(rev, bool) or not isinstance(rev, int) or rev < 1:
            raise InputError(f"{where}: lesson {number}: needs stem 'NN_<topic>', a title and a revision >= 1")
        out.append(LessonInfo(number, entry["stem"], entry["title"], rev))
    return CourseInfo(str(doc["title"]), str(doc["version"]), date, str(doc["owner"]),
                      tuple(dict(h) for h in history), tuple(sorted(out, key=lambda x: x.number)))


def course_info(path: str | Path | None = None) -> CourseInfo:
    """The course metadata (default: the packaged ``course.yaml``).

    Examples
    --------
    >>> course_info().title.startswith("pdkit")
    True
    """
    return _load(str(Path(path or COURSE_PATH).resolve()))


def lesson_info(number: str | int, path: str | Path | None = None) -> LessonInfo:
    """The lesson ``number`` (``"05"``, ``5`` or ``"05_scaleup"``) from the course metadata.

    Examples
    --------
    >>> lesson_info(5).title.startswith("Scale-up")
    True
    >>> lesson_info("99")
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: lesson '99' is not in course.yaml (lessons: ...)
    """
    info = course_info(path)
    key = f"{number:02d}" if isinstance(number, int) and not isinstance(number, bool) else str(number)[:2]
    for lesson in info.lessons:
        if lesson.number == key:
            return lesson
    raise InputError(f"lesson {str(number)!r} is not in course.yaml (lessons: {', '.join(x.number for x in info.lessons)})")


def lesson_for_stem(stem: str, path: str | Path | None = None) -> LessonInfo | None:
    """The lesson whose notebook stem is ``stem`` (or that starts with its number), or None.

    Examples
    --------
    >>> lesson_for_stem("05_scaleup").number
    '05'
    """
    try:
        return lesson_info(stem[:2], path) if re.match(r"\d\d", stem) else None
    except InputError:
        return None


def lesson_header(number: str | int) -> dict[str, Any]:
    """Print the course and lesson header line; a lesson's first code cell calls this.

    Parameters
    ----------
    number : str or int
        The lesson number, ``"05"`` (as in the file name ``05_scaleup.py``).

    Returns
    -------
    dict
        ``course``, ``version``, ``effective_date``, ``lesson``, ``lesson_title``, ``revision``.

    Examples
    --------
    >>> h = lesson_header("05")  # doctest: +ELLIPSIS
    pdkit GMP course: ... | version ... | effective ... | Lesson 05: Scale-up ... | revision ...
    >>> h["lesson"]
    '05'
    """
    info = course_info()
    lesson = lesson_info(number)
    print(f"{info.title} | version {info.version} | effective {info.effective_date} | "
          f"Lesson {lesson.number}: {lesson.title} | revision {lesson.revision}")
    return {"course": info.title, "version": info.version, "effective_date": info.effective_date,
            "lesson": lesson.number, "lesson_title": lesson.title, "revision": lesson.revision}
