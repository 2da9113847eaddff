"""Training records: one signed, hash-chained JSON line per answered exercise.

Where the records go:

* in a trainee workspace -- a folder with ``pdkit-course.json`` (written by
  ``pdkit.course.workspace.create_workspace``), found by searching upward from the
  working directory -- ``<workspace>/.pdkit-course/records.jsonl``;
* otherwise ``$PDKIT_HOME/training/<trainee>.jsonl`` (the configuration home of
  :func:`pdkit.signing.config_home`).

Who: ``trainee`` from ``pdkit-course.json``, else ``$PDKIT_TRAINEE``, else
``anonymous`` (with a warning).  Each line holds ``seq``, ``prev`` (SHA-256 of
the previous line's bytes, null on the first), ``event`` (``check``,
``choose``, ``interpret``, ``explain``), ``trainee`` (also as ``user``, the
name the signing key is trusted for), ``exercise_id``, ``lesson``, ``kind``,
``variant``, ``answer``, ``why``, ``verdict``, ``time_utc``,
``course_version``, ``lesson_revision``, ``os_user``, ``host``, and is signed
with the trainee's Ed25519 key by :func:`pdkit.signing.sign_fields`, so the
file has the same chain format as the run log and :func:`pdkit.signing.read_log`
verifies it.  Set ``PDKIT_COURSE_RECORDS=off`` to write nothing (builds, tests).

Examples
--------
>>> import os, tempfile
>>> from unittest import mock
>>> home, ws = tempfile.mkdtemp(), Path(tempfile.mkdtemp())
>>> _ = (ws / WORKSPACE_FILE).write_text('{"trainee": "alice", "course_version": "1.0"}')
>>> with mock.patch.dict(os.environ, {"PDKIT_HOME": home}):
...     who = identify(ws)
...     _ = append_record(who, {"event": "check", "exercise_id": "demo.x", "verdict": "right"})
...     _ = append_record(who, {"event": "check", "exercise_id": "demo.y", "verdict": "wrong"})
...     entries, problems = read_records(who.records_path)
>>> who.trainee, who.records_path.relative_to(ws).as_posix()
('alice', '.pdkit-course/records.jsonl')
>>> [(e["seq"], e["exercise_id"], e["verdict"]) for e in entries], problems
([(1, 'demo.x', 'right'), (2, 'demo.y', 'wrong')], [])
"""
from __future__ import annotations

import errno
import hashlib
import json
import math
import numbers
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdkit.errors import InputError

__all__ = [
    "WORKSPACE_FILE",
    "RECORDS_DIR",
    "RECORDS_NAME",
    "Identity",
    "find_workspace",
    "identify",
    "records_enabled",
    "append_record",
    "read_records",
    "json_safe",
]

WORKSPACE_FILE = "pdkit-course.json"
RECORDS_DIR = ".pdkit-course"
RECORDS_NAME = "records.jsonl"
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")
_MAX_TEXT = 20000
_warned: set[str] = set()


@dataclass(frozen=True)
class Identity:
    """Who is answering and where their records go.

    ``trainee``; ``course_version`` (the installed course's; ``workspace_version``
    is what ``pdkit-course.json`` says, or None); ``workspace`` (folder or None);
    ``records_path``; ``source`` (``workspace``, ``PDKIT_TRAINEE`` or ``anonymous``).
    """

    trainee: str
    course_version: str
    workspace: Path | None
    records_path: Path
    source: str
    workspace_version: str | None = None


def find_workspace(start: str | Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``pdkit-course.json``.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / WORKSPACE_FILE).write_text("{}")
    >>> (root / "lessons").mkdir()
    >>> find_workspace(root / "lessons") == root
    True
    """
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    return None


def _safe_name(trainee: str) -> str:
    name = _SAFE.sub("_", trainee).strip("._") or "trainee"
    if name != trainee:  # keep distinct trainees apart after sanitising
        name = f"{name[:48]}-{hashlib.sha256(trainee.encode('utf-8')).hexdigest()[:8]}"
    return name


def _check_trainee(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128 or any(c in value for c in "\n\r\t"):
        raise InputError(f"{where}: 'trainee' must be a non-empty one-line text of at most 128 characters, got {value!r}")
    return value.strip()


def identify(start: str | Path | None = None) -> Identity:
    """The trainee's identity and records file, searching for a workspace from ``start`` upward.

    Raises InputError when ``pdkit-course.json`` exists but is not valid.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PDKIT_HOME": "/tmp/h", "PDKIT_TRAINEE": "bob"}):
    ...     who = identify(tempfile.mkdtemp())
    >>> who.trainee, who.source, who.records_path.as_posix()
    ('bob', 'PDKIT_TRAINEE', '/tmp/h/training/bob.jsonl')
    """
    from pdkit.course.meta import course_info
    from pdkit.reports.signing import config_home

    version = course_info().version
    ws = find_workspace(start)
    if ws is not None:
        path = ws / WORKSPACE_FILE
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable JSON file ({exc})") from None
        if not isinstance(doc, dict):
            raise InputError(f"{path}: expected an object with 'trainee', 'course_version', 'created_utc'")
        trainee = _check_trainee(doc.get("trainee"), str(path))
        ws_version = doc.get("course_version")
        ws_version = None if ws_version is None else str(ws_version)
        if ws_version is not None and ws_version != version and str(path) not in _warned:
            _warned.add(str(path))
            warnings.warn(f"{path} was created for course version {ws_version}; the installed course is version "
                          f"{version} (records carry the installed version)", stacklevel=3)
        return Identity(trainee, version, ws, ws / RECORDS_DIR / RECORDS_NAME, "workspace", ws_version)
    env = os.environ.get("PDKIT_TRAINEE")
    if env is not None and env.strip():
        trainee = _check_trainee(env, "PDKIT_TRAINEE")
        return Identity(trainee, version, None, config_home() / "training" / f"{_safe_name(trainee)}.jsonl",
                        "PDKIT_TRAINEE")
    return Identity("anonymous", version, None, config_home() / "training" / "anonymous.jsonl", "anonymous")


def records_enabled() -> bool:
    """False when ``PDKIT_COURSE_RECORDS`` is ``off``/``0``/``false``/``no`` (notebook builds, tests).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PDKIT_COURSE_RECORDS": "off"}):
    ...     records_enabled()
    False
    """
    return os.environ.get("PDKIT_COURSE_RECORDS", "on").strip().casefold() not in {"off", "0", "false", "no"}


def json_safe(value: Any, depth: int = 0) -> Any:
    """A JSON value for a trainee's answer (numbers, texts, lists, mappings; others as their text).

    Examples
    --------
    >>> import numpy as np
    >>> json_safe({"a": np.float64(1.5), "b": {"x", "y"}, "c": float("nan")})
    {'a': 1.5, 'b': ['x', 'y'], 'c': 'nan'}
    """
    if depth > 6:
        return str(value)[:_MAX_TEXT]
    if value is None or isinstance(value, bool):
        return value
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)) and not hasattr(value, "magnitude"):
        value = value.tolist()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    if isinstance(value, dict):
        return {str(k)[:200]: json_safe(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(v, depth + 1) for v in value), key=lambda x: json.dumps(x, sort_keys=True))[:1000]
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value[:1000]]
    return str(value)[:_MAX_TEXT]


def append_record(who: Identity, fields: dict[str, Any]) -> dict[str, Any]:
    """Append one signed, hash-chained line to ``who.records_path`` and return it.

    ``fields`` are the attempt's data (JSON values); the trainee, versions, time,
    host, ``seq`` and ``prev`` are added here.  The file is locked while the line
    is appended, so two kernels of one trainee cannot fork the chain.  The
    trainee's key is :func:`pdkit.signing.load_private_key` of the trainee's name
    (created on first use, with a notice).

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PDKIT_HOME": tempfile.mkdtemp(), "PDKIT_TRAINEE": "carol"}):
    ...     rec = append_record(identify(tempfile.mkdtemp()), {"event": "explain", "exercise_id": "demo.q"})
    >>> rec["seq"], rec["prev"], rec["user"]
    (1, None, 'carol')
    """
    from pdkit.reports.provenance import utc_now
    from pdkit.reports.signing import append_chained, current_host, current_user, load_private_key

    if who.source == "anonymous" and "anonymous" not in _warned:
        _warned.add("anonymous")
        warnings.warn("no trainee identity: no pdkit-course.json in this folder or above and PDKIT_TRAINEE is not "
                      f"set; recording as 'anonymous' in {who.records_path}", stacklevel=3)
    line = {k: json_safe(v) for k, v in fields.items()}
    line.update(trainee=who.trainee, user=who.trainee, os_user=current_user(), host=current_host(),
                time_utc=utc_now(), course_version=who.course_version)
    if who.workspace_version is not None:
        line["workspace_course_version"] = who.workspace_version
    path = who.records_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = load_private_key(who.trainee, create=True)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC):
            raise InputError(f"cannot write the training records {path}: {exc.strerror}") from None
        raise
    return append_chained(path, line, key, mode=0o644, what="the training records")


def read_records(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and check a records file: ``(entries, problems)``.

    The chain (``prev``, ``seq``) and every line's signature against the trust
    store (:func:`pdkit.signing.read_log`); unparseable lines are left out of
    ``entries`` and named in ``problems``.  A missing file is a problem.

    Examples
    --------
    >>> read_records("/nonexistent/records.jsonl")[1][0].startswith("log unreadable")
    True
    """
    from pdkit.reports.signing import read_log

    entries, problems = read_log(Path(path))
    return [e for e in entries if e is not None], problems
