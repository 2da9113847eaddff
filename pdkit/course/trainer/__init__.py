"""Trainer material: worked solutions, model answers, expected values per trainee, the trainer guide.

Nothing here is reachable from :mod:`pdkit.tutorial` (what lessons import), and
nothing is under ``notebooks/course/`` (what trainees get).  Trainers read it with
``pdkit course trainer-guide -o DIR`` (:func:`write_trainer_guide`), which writes
one Markdown and one HTML page per lesson: every exercise's question, variant
ranges, expected answer (or, with ``--trainee``, that trainee's values and
answer), the worked solution code, model answers and marking notes, and the
hints.

Files:

* ``solutions/<lesson stem>.yaml`` -- exercise id -> Python code that, put in
  place of the first line of the exercise cell, answers it (tests run every
  lesson with them);
* ``model_answers/<lesson stem>.yaml`` -- exercise id -> ``{model_answer: text,
  marking: [points]}`` for choice, interpret and free-text questions.

Examples
--------
>>> "05_scaleup.speed_pv_50L" in solutions("05_scaleup")
True
>>> round(expected("05_scaleup.impeller_diameter_50L", trainee="anyone"), 4)
0.1754
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pdkit.errors import InputError

__all__ = ["TRAINER_DIR", "SOLUTIONS_DIR", "MODEL_ANSWERS_DIR", "solutions", "model_answers", "expected",
           "write_trainer_guide"]

TRAINER_DIR = Path(__file__).resolve().parent
SOLUTIONS_DIR = TRAINER_DIR / "solutions"
MODEL_ANSWERS_DIR = TRAINER_DIR / "model_answers"


@lru_cache(maxsize=64)
def _yaml_mapping(path: str, what: str) -> dict[str, Any]:
    import yaml

    p = Path(path)
    if not p.is_file():
        return {}
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{what} {p.name} is not valid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError(f"{what} {p.name}: expected a mapping exercise id -> entry")
    return doc


def solutions(stem: str) -> dict[str, str]:
    """Exercise id -> worked solution code for lesson ``stem`` (empty if the lesson has none).

    Examples
    --------
    >>> code = solutions("05_scaleup")["05_scaleup.speed_pv_50L"]
    >>> "answer" in code
    True
    """
    doc = _yaml_mapping(str(SOLUTIONS_DIR / f"{stem}.yaml"), "solutions file")
    bad = [k for k, v in doc.items() if not isinstance(v, str)]
    if bad:
        raise InputError(f"solutions file {stem}.yaml: {bad[0]}: expected Python code (a text)")
    return dict(doc)


def model_answers(stem: str) -> dict[str, dict[str, Any]]:
    """Exercise id -> ``{"model_answer": text, "marking": [points]}`` for lesson ``stem``.

    A plain text entry is read as the model answer with no marking points.

    Examples
    --------
    >>> isinstance(model_answers("05_scaleup"), dict)
    True
    """
    doc = _yaml_mapping(str(MODEL_ANSWERS_DIR / f"{stem}.yaml"), "model answers file")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in doc.items():
        if isinstance(entry, str):
            entry = {"model_answer": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("model_answer"), str) \
                or not isinstance(entry.get("marking", []), list):
            raise InputError(f"model answers file {stem}.yaml: {key}: expected {{model_answer: text, marking: [points]}}")
        out[str(key)] = {"model_answer": " ".join(entry["model_answer"].split()),
                         "marking": [str(m) for m in entry.get("marking", [])]}
    return out


def expected(exercise_id: str, trainee: str | None = None, course_version: str | None = None,
             registry: str | Path | None = None) -> Any:
    """The expected answer of an exercise for a trainee (default: whoever runs this, as lessons identify them).

    Examples
    --------
    >>> expected("05_scaleup.speed_pv_50L", trainee="x") == expected("05_scaleup.speed_pv_50L", trainee="y")
    True
    """
    from pdkit.course.meta import course_info
    from pdkit.course.registry import expected_value, get_exercise, variant_for

    ex = get_exercise(exercise_id, registry)
    if trainee is None:
        from pdkit.course.records import identify

        who = identify()
        trainee, course_version = who.trainee, course_version or who.course_version
    return expected_value(ex, variant_for(ex, trainee, course_version or course_info().version))


# ----------------------------------------------------------------------------- the guide
def _spec_text(spec: dict) -> str:
    if "choices" in spec:
        return "one of " + ", ".join(str(c) for c in spec["choices"])
    lo, hi = spec["range"]
    return f"{lo} to {hi} in steps of {spec['step']}" if "step" in spec else f"{lo} to {hi}, rounded to {spec['round']} decimals"


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt_value(v)}" for k, v in value.items())
    return str(value)


def _lesson_entries(stem: str, trainee: str | None, version: str) -> list[dict[str, Any]]:
    from pdkit.course.registry import expected_value, format_question, lesson_of, load_registry, variant_for

    sols, models = solutions(stem), model_answers(stem)
    out = []
    for ex in sorted((e for e in load_registry().values() if lesson_of(e) == stem), key=lambda e: e.id):
        entry: dict[str, Any] = {"id": ex.id, "kind": ex.kind, "question": format_question(ex).split("\n")[0],
                                 "options": [f"({k}) {t}" for k, t in ex.options],
                                 "variants": [(n, _spec_text(s)) for n, s in ex.variants],
                                 "solution": sols.get(ex.id), "model": models.get(ex.id),
                                 "hints": [h for h in (*ex.hints, ex.hint_wrong, ex.hint_close) if h],
                                 "unit": ex.unit, "tolerance": None, "expected": None, "trainee_values": None}
        if ex.kind == "value":
            entry["tolerance"] = f"right within {ex.rel_tol:.3g} relative (close within {ex.close_tol:.3g})" + (
                f", absolute {ex.abs_tol:g}" if ex.abs_tol else "")
        if ex.kind != "free_text":
            if ex.variants and trainee is None:
                entry["expected"] = "depends on the trainee's values (run with --trainee ID to see them)"
            else:
                variant = variant_for(ex, trainee or "", version)
                value = expected_value(ex, variant)
                if ex.kind == "choice":
                    value = f"({value}) {dict(ex.options)[str(value)]}"
                entry["expected"] = _fmt_value(value)
                if ex.variants:
                    entry["trainee_values"] = ", ".join(f"{k} = {v}" for k, v in variant.items())
                    entry["question"] = format_question(ex, variant).split("\n")[0]
        out.append(entry)
    return out


def _text(value: Any) -> str:
    """Course-authored text in Markdown: no raw HTML, line breaks kept out (trainee input goes through md)."""
    import html

    return html.escape(" ".join(str(value).split()), quote=False)


def _markdown(title: str, meta: str, entries: list[dict[str, Any]]) -> str:
    from pdkit.escape import md_code

    from pdkit.escape import md as md_user

    md = _text
    lines = [f"# {md(title)}", "", md_user(meta), ""]
    for e in entries:
        lines += [f"## {md_code(e['id'])} ({md(e['kind'])})", "", f"**Question.** {md(e['question'])}", ""]
        lines += [f"* {md(o)}" for o in e["options"]] + ([""] if e["options"] else [])
        for name, spec in e["variants"]:
            lines.append(f"* variant {md_code(name)}: {md(spec)}")
        if e["trainee_values"]:
            lines.append(f"* this trainee's values: {md(e['trainee_values'])}")
        if e["expected"] is not None:
            lines.append(f"* **expected:** {md(e['expected'])}" + (f" {md(e['unit'])}" if e["unit"] else ""))
        if e["tolerance"]:
            lines.append(f"* {md(e['tolerance'])}")
        lines.append("")
        if e["solution"]:
            lines += ["**Worked solution**", "", "```python", e["solution"].replace("```", "` ` `").rstrip(), "```", ""]
        if e["model"]:
            lines += [f"**Model answer.** {md(e['model']['model_answer'])}", ""]
            lines += [f"* {md(m)}" for m in e["model"]["marking"]] + ([""] if e["model"]["marking"] else [])
        if e["hints"]:
            lines += ["**Hints shown to trainees**", ""] + [f"* {md(h)}" for h in e["hints"]] + [""]
    return "\n".join(lines)


_STYLE = ("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:980px;margin:24px auto;"
          "padding:0 16px;line-height:1.45}pre{background:#f4f4f4;padding:8px;overflow-x:auto}"
          "h2{border-top:1px solid #ccc;padding-top:12px}.meta{color:#555}")
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _html(title: str, meta: str, entries: list[dict[str, Any]], links: list[tuple[str, str]] | None = None) -> str:
    from pdkit.escape import html_text as h

    parts = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
             f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
             f"<title>{h(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{h(title)}</h1><p class=\"meta\">{h(meta)}</p>"]
    if links:
        parts.append("<ul>" + "".join(f'<li><a href="{h(href)}">{h(text)}</a></li>' for href, text in links) + "</ul>")
    for e in entries:
        parts.append(f"<h2>{h(e['id'])} ({h(e['kind'])})</h2><p><b>Question.</b> {h(e['question'])}</p>")
        if e["options"]:
            parts.append("<ul>" + "".join(f"<li>{h(o)}</li>" for o in e["options"]) + "</ul>")
        parts.append("<ul>")
        for name, spec in e["variants"]:
            parts.append(f"<li>variant <code>{h(name)}</code>: {h(spec)}</li>")
        if e["trainee_values"]:
            parts.append(f"<li>this trainee's values: {h(e['trainee_values'])}</li>")
        if e["expected"] is not None:
            parts.append(f"<li><b>expected:</b> {h(e['expected'])}{' ' + h(e['unit']) if e['unit'] else ''}</li>")
        if e["tolerance"]:
            parts.append(f"<li>{h(e['tolerance'])}</li>")
        parts.append("</ul>")
        if e["solution"]:
            parts.append(f"<p><b>Worked solution</b></p><pre><code>{h(e['solution'].rstrip())}</code></pre>")
        if e["model"]:
            parts.append(f"<p><b>Model answer.</b> {h(e['model']['model_answer'])}</p>")
            if e["model"]["marking"]:
                parts.append("<ul>" + "".join(f"<li>{h(m)}</li>" for m in e["model"]["marking"]) + "</ul>")
        if e["hints"]:
            parts.append("<p><b>Hints shown to trainees</b></p><ul>" + "".join(f"<li>{h(x)}</li>" for x in e["hints"]) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_trainer_guide(outdir: str | Path, trainee: str | None = None, lessons: list[str] | None = None) -> list[Path]:
    """Write the trainer guide (Markdown and HTML per lesson, and an index) into ``outdir``.

    Parameters
    ----------
    outdir : path
        A folder the trainer chooses (created; existing guide files are replaced).
    trainee : str, optional
        Show this trainee's variant values and expected answers.
    lessons : list of str, optional
        Lesson numbers (``"05"``); default all lessons in ``course.yaml``.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> files = write_trainer_guide(tempfile.mkdtemp(), lessons=["05"])
    >>> sorted(p.name for p in files)
    ['05_scaleup.html', '05_scaleup.md', 'index.html', 'index.md']
    """
    from pdkit.course.meta import course_info, lesson_info
    from pdkit.escape import md
    from pdkit.reports.provenance import atomic_write_text

    info = course_info()
    chosen = [lesson_info(n) for n in lessons] if lessons else list(info.lessons)
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the trainer guide folder {out}: {exc.strerror}") from None
    meta = (f"{info.title} - version {info.version}, effective {info.effective_date}. TRAINER MATERIAL: do not "
            "copy into trainee workspaces." + (f" Values and answers for trainee {trainee}." if trainee else ""))
    written = []
    links = []
    for lesson in chosen:
        entries = _lesson_entries(lesson.stem, trainee, info.version)
        title = f"Lesson {lesson.number}: {lesson.title} (revision {lesson.revision})"
        for suffix, text in ((".md", _markdown(title, meta, entries)), (".html", _html(title, meta, entries))):
            path = out / f"{lesson.stem}{suffix}"
            atomic_write_text(path, text)
            written.append(path)
        links.append((f"{lesson.stem}.html", title))
    index_md = "\n".join([f"# {_text(info.title)}: trainer guide", "", md(meta), ""] +
                          [f"* [{_text(t)}]({href.replace('.html', '.md')})" for href, t in links]) + "\n"
    for name, text in (("index.md", index_md), ("index.html", _html(f"{info.title}: trainer guide", meta, [], links))):
        atomic_write_text(out / name, text)
        written.append(out / name)
    return written
