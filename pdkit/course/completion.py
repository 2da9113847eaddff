"""Signed completion records from training records (``pdkit course report`` / ``pdkit course verify``).

:func:`write_completion_records` reads a trainee's records file (see
:mod:`pdkit.course.records`), refuses it if its hash chain or any signature does
not verify, and writes per trainee and lesson ``<trainee>_<NN>.json`` and
``<trainee>_<NN>.html`` into a folder: every exercise of the lesson with its
attempts (answers, verdicts, justifications, free-text answers), the final
verdict, the course version and effective date, the completion status (every
graded exercise right and every free-text question answered) and the trainer's
electronic signature.  The JSON is signed with :func:`pdkit.signing.sign_fields`
by the person running the command (the trainer); it holds the SHA-256 of the
HTML page (with its signature block empty, as run reports do) and of every
records line it summarises.

:func:`verify_completion` checks a folder of completion records: signatures
(trusted keys), the HTML page against the JSON and its signature block, the
records file's chain and signatures, that the lines the record was made from are
still there unchanged, and that summarising them again gives the same record.

Examples
--------
>>> summarise([], "alice", "05_scaleup", [{"id": "05_scaleup.x", "kind": "value", "required": True}])["status"]
'incomplete'
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pdkit.errors import InputError

__all__ = ["COMPLETION_TYPE", "TRAINER_MEANING", "summarise", "write_completion_records", "verify_completion"]

COMPLETION_TYPE = "pdkit-course-completion"
TRAINER_MEANING = "reviewed the training records; the completion status shown is correct"
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Training completion record: {{ d.trainee }}, lesson {{ d.lesson }}</title>
<style>
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}
.complete{color:#116611;font-weight:bold}.incomplete{color:#aa2222;font-weight:bold}.small{font-size:12px;color:#444}
</style></head><body>
<h1>Training completion record</h1>
<table>
<tr><th>Trainee</th><td>{{ d.trainee }}</td></tr>
<tr><th>Course</th><td>{{ d.course.title }}</td></tr>
<tr><th>Course version / effective date</th><td>{{ d.course.version }} / {{ d.course.effective_date }}</td></tr>
<tr><th>Course versions in the records</th><td>{{ d.course_versions_in_records | join(", ") }}</td></tr>
<tr><th>Lesson</th><td>{{ d.lesson }}: {{ d.lesson_title }} (revision {{ d.lesson_revision }})</td></tr>
<tr><th>Status</th><td class="{{ d.status }}">{{ d.status }}</td></tr>
<tr><th>Records file</th><td class="small">{{ d.records.path }} ({{ d.records.lines }} lines, head SHA-256 {{ d.records.head_sha256 }})</td></tr>
<tr><th>Record made (UTC)</th><td>{{ d.time_utc }} by {{ d.user }} ({{ d.host }})</td></tr>
</table>
<h2>Exercises</h2>
<table>
<tr><th>Exercise</th><th>Kind</th><th>Attempts</th><th>Final verdict</th><th>Requirement met</th></tr>
{% for e in d.exercises %}<tr><td>{{ e.id }}</td><td>{{ e.kind }}</td><td>{{ e.attempts }}</td><td>{{ e.final_verdict }}</td><td>{{ "yes" if e.satisfied else "no" }}</td></tr>
{% endfor %}</table>
<h2>Attempts, justifications and written answers</h2>
{% for e in d.exercises %}{% if e.history %}<h3>{{ e.id }}</h3>
<table><tr><th>#</th><th>UTC</th><th>Variant</th><th>Answer</th><th>Justification</th><th>Verdict</th></tr>
{% for a in e.history %}<tr><td>{{ a.seq }}</td><td>{{ a.time_utc }}</td><td>{{ a.variant_text }}</td><td>{{ a.answer_text }}</td><td>{{ a.why }}</td><td>{{ a.verdict }}</td></tr>
{% endfor %}</table>{% endif %}{% endfor %}
<h2>Signature</h2>
<p class="small">Signed as {{ d.role }}: "{{ d.meaning }}". Verify with <code>pdkit course verify</code>.</p>
<!--pdkit-signatures--><!--/pdkit-signatures-->
</body></html>
"""


def _line_hashes(raw: bytes) -> list[str]:
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [hashlib.sha256(line).hexdigest() for line in lines]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def summarise(entries: list[dict[str, Any]], trainee: str, stem: str,
              exercises: list[dict[str, Any]]) -> dict[str, Any]:
    """The completion summary of one trainee and lesson from record lines (deterministic).

    Parameters
    ----------
    entries : list of dict
        Record lines (in file order).
    trainee, stem : str
        The trainee and the lesson stem (``05_scaleup``).
    exercises : list of dict
        The lesson's exercises: ``id``, ``kind``, ``required``.

    Returns
    -------
    dict
        ``exercises`` (per exercise: attempts, final verdict, satisfied, history),
        ``complete``, ``status``, ``used_seq`` (the lines summarised),
        ``course_versions``, ``lesson_revisions``.

    Examples
    --------
    >>> lines = [{"seq": 1, "trainee": "a", "lesson": "05_x", "exercise_id": "05_x.q", "verdict": "wrong"},
    ...          {"seq": 2, "trainee": "a", "lesson": "05_x", "exercise_id": "05_x.q", "verdict": "right"}]
    >>> s = summarise(lines, "a", "05_x", [{"id": "05_x.q", "kind": "value", "required": True}])
    >>> s["status"], s["exercises"][0]["attempts"], s["used_seq"]
    ('complete', 2, [1, 2])
    """
    mine = [e for e in entries if e.get("trainee") == trainee and e.get("lesson") == stem]
    out = []
    used: list[int] = []
    for ex in exercises:
        history = [e for e in mine if e.get("exercise_id") == ex["id"]]
        used += [int(e.get("seq", 0)) for e in history]
        final = history[-1].get("verdict") if history else "not attempted"
        satisfied = final == ("recorded" if ex["kind"] == "free_text" else "right")
        out.append({
            "id": ex["id"], "kind": ex["kind"], "required": bool(ex.get("required", True)),
            "attempts": len(history), "final_verdict": final, "satisfied": satisfied,
            "history": [{"seq": e.get("seq"), "time_utc": e.get("time_utc"), "verdict": e.get("verdict"),
                         "variant": e.get("variant") or {}, "answer": e.get("answer"), "why": e.get("why") or ""}
                        for e in history],
        })
    complete = bool(out) and all(x["satisfied"] for x in out if x["required"])
    return {"exercises": out, "complete": complete, "status": "complete" if complete else "incomplete",
            "used_seq": sorted(used),
            "course_versions": sorted({str(e.get("course_version")) for e in mine if e.get("course_version")}),
            "lesson_revisions": sorted({int(e["lesson_revision"]) for e in mine
                                        if isinstance(e.get("lesson_revision"), int)})}


def _safe(name: str) -> str:
    safe = _SAFE.sub("_", name).strip("._") or "trainee"
    if safe != name:
        safe = f"{safe[:48]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
    return safe


def _render(doc: dict[str, Any]) -> str:
    import jinja2

    view = json.loads(json.dumps(doc))
    for ex in view["exercises"]:
        for a in ex["history"]:
            a["answer_text"] = _text(a.get("answer"))
            a["variant_text"] = ", ".join(f"{k} = {v}" for k, v in (a.get("variant") or {}).items())
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(d=view)


def _lesson_exercises(stem: str) -> list[dict[str, Any]]:
    from pdkit.course.registry import lesson_of, load_registry

    return [{"id": ex.id, "kind": ex.kind, "required": True}
            for ex in sorted(load_registry().values(), key=lambda e: e.id) if lesson_of(ex) == stem]


def write_completion_records(records: str | Path, outdir: str | Path, trainee: str | None = None,
                             lesson: str | None = None, *, force: bool = False) -> list[Path]:
    """Write signed completion records (JSON + HTML) per trainee and lesson; return the JSON paths.

    Parameters
    ----------
    records : path
        A training records file (``.pdkit-course/records.jsonl``).
    outdir : path
        Folder for the records (created).  An existing completion record of the
        same trainee and lesson is replaced only with ``force``.
    trainee : str, optional
        Only this trainee (default: every trainee in the file).
    lesson : str, optional
        Only this lesson (``"05"``); then a record is written even without attempts
        (status incomplete).  Default: every lesson with attempts.

    Raises
    ------
    pdkit.signing.VerificationFailed
        The records file does not verify (``problems`` lists why).
    InputError
        No records match, the signer is the trainee, or a record exists.

    Examples
    --------
    >>> write_completion_records("/nonexistent/records.jsonl", "/tmp/x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: training records /nonexistent/records.jsonl: no such file
    """
    from pdkit.course.meta import course_info, lesson_for_stem, lesson_info
    from pdkit.course.records import read_records
    from pdkit.reports.provenance import atomic_write_json, atomic_write_text, utc_now
    from pdkit.reports.signing import (
        MARKER_END,
        MARKER_START,
        VerificationFailed,
        current_host,
        current_user,
        fill_signature_blocks,
        load_private_key,
        render_signatures,
        sign_fields,
    )

    path = Path(records).absolute()
    if not path.is_file():
        raise InputError(f"training records {records}: no such file")
    raw = path.read_bytes()
    entries, problems = read_records(path)
    if problems:
        raise VerificationFailed(f"training records {path} do not verify ({len(problems)} problem"
                                 f"{'s' if len(problems) != 1 else ''}); no completion record written", problems)
    hashes = _line_hashes(raw)
    trainees = sorted({str(e.get("trainee")) for e in entries if e.get("trainee")})
    if trainee is not None:
        if trainee not in trainees:
            raise InputError(f"--trainee {trainee!r}: no records of this trainee in {path} "
                             f"(trainees: {', '.join(trainees) or 'none'})")
        trainees = [trainee]
    if not trainees:
        raise InputError(f"training records {path} hold no attempts")
    signer = current_user()
    if signer in trainees:
        raise InputError(f"'{signer}' cannot sign their own completion record: a trainer runs 'pdkit course report'")
    info = course_info()
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror}") from None
    key = load_private_key(signer, create=True)
    written: list[Path] = []
    for who in trainees:
        if lesson is not None:
            stems = [lesson_info(lesson).stem]
        else:
            stems = sorted({str(e.get("lesson")) for e in entries if e.get("trainee") == who and e.get("lesson")})
        for stem in stems:
            meta = lesson_for_stem(stem)
            number = meta.number if meta else stem[:2]
            base = f"{_safe(who)}_{number}"
            json_path, html_path = out / f"{base}.json", out / f"{base}.html"
            if not force and (json_path.exists() or html_path.exists()):
                raise InputError(f"{json_path} exists already; use --force to replace it (or another -o)")
            summary = summarise(entries, who, stem, _lesson_exercises(stem))
            doc: dict[str, Any] = {
                "type": COMPLETION_TYPE, "format": 1, "trainee": who, "lesson": number, "lesson_stem": stem,
                "lesson_title": meta.title if meta else stem, "lesson_revision": meta.revision if meta else None,
                "lesson_revisions_in_records": summary["lesson_revisions"],
                "course": {"title": info.title, "version": info.version, "effective_date": info.effective_date},
                "course_versions_in_records": summary["course_versions"],
                "status": summary["status"], "complete": summary["complete"], "exercises": summary["exercises"],
                "records": {"path": str(path), "lines": len(hashes), "head_sha256": hashes[-1] if hashes else None,
                            "used": [{"seq": s, "sha256": hashes[s - 1]} for s in summary["used_seq"]]},
                "role": "trainer", "meaning": TRAINER_MEANING, "user": signer, "host": current_host(),
                "time_utc": utc_now(),
            }
            page = _render(doc)
            doc["html"] = {"file": html_path.name, "sha256": hashlib.sha256(page.encode("utf-8")).hexdigest()}
            signed = sign_fields(doc, key)
            assert MARKER_START + MARKER_END in page
            atomic_write_text(html_path, fill_signature_blocks(page, render_signatures([signed])))
            atomic_write_json(json_path, signed)
            written.append(json_path)
    return written


def _recheck(doc: dict[str, Any], records_path: Path) -> list[str]:
    from pdkit.course.records import read_records

    name = f"completion record {doc.get('trainee')}/{doc.get('lesson')}"
    rec = doc.get("records") if isinstance(doc.get("records"), dict) else {}
    try:
        raw = records_path.read_bytes()
    except OSError as exc:
        return [f"records missing: {records_path} ({exc.strerror}); give --records PATH if it moved"]
    problems = [f"records {p}" for p in read_records(records_path)[1]]
    hashes = _line_hashes(raw)
    n = rec.get("lines")
    if not isinstance(n, int) or n < 0:
        return problems + [f"{name}: invalid 'records.lines'"]
    if len(hashes) < n:
        problems.append(f"records truncated: {records_path} has {len(hashes)} lines, {name} covers {n}")
        return problems
    if n and hashes[n - 1] != rec.get("head_sha256"):
        problems.append(f"records differ from {name}: line {n} of {records_path} is not the line it was made from")
    for used in rec.get("used", []):
        s = used.get("seq") if isinstance(used, dict) else None
        if not isinstance(s, int) or not 1 <= s <= len(hashes) or hashes[s - 1] != used.get("sha256"):
            problems.append(f"records differ from {name}: line {s} of {records_path} changed or is missing")
    lines = raw.split(b"\n")[:n]
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    exercises = [{"id": e.get("id"), "kind": e.get("kind"), "required": e.get("required", True)}
                 for e in doc.get("exercises", []) if isinstance(e, dict)]
    again = summarise(entries, str(doc.get("trainee")), str(doc.get("lesson_stem")), exercises)
    if again["exercises"] != doc.get("exercises") or again["complete"] != doc.get("complete") \
            or again["status"] != doc.get("status"):
        diff = [e["id"] for e, d in zip(again["exercises"], doc.get("exercises", [])) if e != d]
        problems.append(f"completion record does not match the records: {name}"
                        + (f" (exercises {', '.join(map(str, diff))})" if diff else " (status)"))
    return problems


def verify_completion(outdir: str | Path, records: str | Path | None = None) -> list[str]:
    """Problems with the completion records in ``outdir`` (empty list: everything verifies).

    Parameters
    ----------
    outdir : path
        A folder written by :func:`write_completion_records`.
    records : path, optional
        The records file, if it moved since the report (default: the path in each record).

    Examples
    --------
    >>> import tempfile
    >>> verify_completion(tempfile.mkdtemp())[0].startswith("no completion record")
    True
    """
    from pdkit.reports.signing import check_signature, render_signatures, signature_blocks, strip_signature_blocks
    from pdkit.reports.signing import trusted_keys

    folder = Path(outdir)
    if not folder.is_dir():
        return [f"no such folder: {folder}"]
    try:
        trusted = trusted_keys()
    except InputError as exc:
        return [str(exc)]
    problems: list[str] = []
    found = 0
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"unreadable completion record: {path} ({exc})")
            continue
        if not isinstance(doc, dict) or doc.get("type") != COMPLETION_TYPE:
            continue
        found += 1
        for p in check_signature(doc, trusted):
            problems.append(f"{p}: {path} (signer {doc.get('user')}, key {doc.get('fingerprint')})")
        if doc.get("role") != "trainer" or doc.get("user") == doc.get("trainee"):
            problems.append(f"not signed by a trainer: {path} (role {doc.get('role')!r}, signer {doc.get('user')!r})")
        html_info = doc.get("html") if isinstance(doc.get("html"), dict) else {}
        html_path = folder / str(html_info.get("file", ""))
        if not html_info.get("file") or Path(str(html_info["file"])).name != html_info["file"] or not html_path.is_file():
            problems.append(f"completion page missing: {html_path} (named in {path})")
        else:
            text = html_path.read_bytes().decode("utf-8", errors="replace")
            if hashlib.sha256(strip_signature_blocks(text).encode("utf-8")).hexdigest() != html_info.get("sha256"):
                problems.append(f"completion page changed: {html_path} (its SHA-256 is not the one signed in {path.name})")
            blocks = signature_blocks(text)
            if not blocks or any(b != render_signatures([doc]) for b in blocks):
                problems.append(f"signature block differs from {path.name}: {html_path}")
        rec = doc.get("records") if isinstance(doc.get("records"), dict) else {}
        source = Path(records) if records else Path(str(rec.get("path", "")))
        for p in _recheck(doc, source):
            if p not in problems:
                problems.append(p)
    if not found:
        problems.insert(0, f"no completion record (*.json of type {COMPLETION_TYPE}) in {folder}")
    return problems
