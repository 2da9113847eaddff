"""The course notebooks in notebooks/course/: structure, exercises, solutions and answer leaks.

Conventions (both course authors): every lesson ``NN_<topic>.py`` (jupytext text) (NN >= 01; ``00_index`` is
not a lesson) has the level-2 headings ``Overview``, ``Prerequisites``, ``Learning objectives``,
2-5 content sections, then ``Exercises``, ``Summary``, ``What's next``.  Each exercise is a
markdown question followed by ONE code cell tagged ``exercise`` with metadata
``{"pdkit": {"exercise": "<id>"}}`` whose source is exactly ``pdkit.course.registry.cell_source(id)``
(per exercise kind; see docs/course-authoring.md).
Ids are ``<lesson stem>.<name>``, registered in ``pdkit/course/exercises/<lesson stem>.yaml``; the
solutions (Python setting ``answer``/``choice``+``why``/``text`` from names defined earlier in the
lesson) are trainer material in ``pdkit/course/trainer/solutions/<lesson stem>.yaml``.

The tests: (1) skeleton headings; (2) exercise cells, registry and solutions agree; (3) each
lesson executed with its solutions substituted (fresh kernel, cwd notebooks/course/) prints
"Right!" for every exercise and no cell errors; (4) no expected value appears in an executed
notebook's text or outputs (as committed, answers None: what a trainee and the static site show);
(5) ``check(id, None)`` says "not answered yet" and returns False.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from unittest import mock

import nbformat
import pytest
import yaml

from pdkit import tutorial
from pdkit.course.registry import EXAMPLE_REGISTRY, cell_source

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "notebooks" / "course"
SOLUTIONS = ROOT / "pdkit" / "course" / "trainer" / "solutions"  # trainer material, never in the workspace

SKELETON_START = ["Overview", "Prerequisites", "Learning objectives"]
SKELETON_END = ["Exercises", "Summary", "What's next"]
EXERCISE_SOURCE = (
    "answer = None  # replace None with your answer (a number, or text where asked)\n"
    'check("{id}", answer);'
)
ANSWER_LINE = EXERCISE_SOURCE.splitlines()[0]


def _lessons() -> list[Path]:
    """Lesson notebooks NN_*.py (jupytext text sources) with NN >= 1, sorted."""
    out = []
    for p in sorted(COURSE.glob("[0-9][0-9]_*.py")):
        if int(p.name[:2]) >= 1:
            out.append(p)
    return out


LESSONS = _lessons()
LESSON_IDS = [p.stem for p in LESSONS]


def _executed(path: Path):
    """The lesson executed as committed (answers None), through the notebook cache (pdkit.publish)."""
    from pdkit.publish.execute import execute_notebook

    return execute_notebook(path, cache=True).notebook


def _read(path: Path):
    from pdkit.nbio import read_notebook

    return read_notebook(path)


def _headings(nb) -> list[tuple[int, str]]:
    """(cell index, title) of every level-2 markdown heading."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"^## (?!#)\s*(.+?)\s*$", line)
            if m:
                out.append((i, m.group(1)))
    return out


def _exercise_cells(nb) -> list[tuple[int, object]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]


def _exercise_id(cell) -> str | None:
    return cell.metadata.get("pdkit", {}).get("exercise")


def _lesson_registry_ids(stem: str) -> list[str]:
    return [i for i in tutorial.exercise_ids() if i.startswith(stem + ".")]


def _solutions(stem: str) -> dict[str, str]:
    path = SOLUTIONS / f"{stem}.yaml"
    assert path.is_file(), f"missing solutions file {path.relative_to(ROOT)}"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and all(isinstance(v, str) for v in doc.values()), (
        f"{path.name}: expected a mapping exercise id -> Python code"
    )
    return doc


# ----------------------------------------------------------------------------- (1) skeleton
@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
def test_skeleton_headings(lesson):
    nb = _read(lesson)
    titles = [t for _, t in _headings(nb)]
    assert titles[:3] == SKELETON_START, f"{lesson.name}: first level-2 headings {titles[:3]}"
    assert titles[-3:] == SKELETON_END, f"{lesson.name}: last level-2 headings {titles[-3:]}"
    content = titles[3:-3]
    assert 2 <= len(content) <= 5, f"{lesson.name}: expected 2-5 content sections, got {content}"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{lesson.name}: the first cell must be the lesson title (# ...)"
    )


# ----------------------------------------------------------------------------- (2) exercises
@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
def test_exercises_registered_and_solved(lesson):
    nb = _read(lesson)
    stem = lesson.stem
    cells = _exercise_cells(nb)
    assert 3 <= len(cells) <= 5, f"{lesson.name}: expected 3-5 exercises, got {len(cells)}"
    heads = dict((t, i) for i, t in _headings(nb))
    registered = set(_lesson_registry_ids(stem))
    solutions = _solutions(stem)
    seen = []
    for idx, cell in cells:
        ex_id = _exercise_id(cell)
        assert ex_id, f"{lesson.name}, cell {idx}: exercise cell without metadata pdkit.exercise"
        assert ex_id.startswith(stem + "."), f"{lesson.name}: exercise id {ex_id!r} must start with '{stem}.'"
        assert cell.source.strip() == cell_source(ex_id), (
            f"{lesson.name}, exercise {ex_id}: the cell must be exactly\n{cell_source(ex_id)}"
        )
        assert nb.cells[idx - 1].cell_type == "markdown", f"{lesson.name}, exercise {ex_id}: no question cell before it"
        assert heads["Exercises"] < idx < heads["Summary"], f"{lesson.name}, exercise {ex_id}: not in the Exercises section"
        assert ex_id in registered, f"{ex_id} is not registered in pdkit/exercises/{stem}.yaml"
        assert ex_id in solutions, f"{ex_id} has no solution in pdkit/course/trainer/solutions/{stem}.yaml"
        seen.append(ex_id)
    assert len(seen) == len(set(seen)), f"{lesson.name}: an exercise id is used twice"
    assert registered == set(seen), f"{lesson.name}: registered but not in the lesson: {sorted(registered - set(seen))}"
    assert set(solutions) == set(seen), f"{lesson.name}: solutions for unknown ids: {sorted(set(solutions) - set(seen))}"
    # the checker is imported before the first exercise and the answers are never looked up
    first = cells[0][0]
    code_before = "\n".join(c.source for c in nb.cells[:first] if c.cell_type == "code")
    assert "from pdkit.tutorial import check" in code_before, f"{lesson.name}: import check before the exercises"
    all_code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "solution(" not in all_code and "load_registry" not in all_code, f"{lesson.name} must not look up answers"
    for ex_id, code in solutions.items():
        compile(code, f"{stem}.yaml:{ex_id}", "exec")
        assert re.search(r"^\s*(answer|choice|text)\s*=", code, re.M), (
            f"{stem}.yaml, {ex_id}: the solution must set 'answer' (or 'choice' and 'why', or 'text')")


def test_registry_valid_for_course():
    problems = [p for p in tutorial.validate_registry() if any(p.startswith(s + ".") for s in LESSON_IDS)]
    assert problems == []


# ----------------------------------------------------------------------------- (3) run with solutions
def _with_solutions(nb, solutions: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for _, cell in _exercise_cells(nb):
        ex_id = _exercise_id(cell)
        lines = cell.source.splitlines()
        slots = [i for i, line in enumerate(lines) if _PLACEHOLDER.match(line)]  # answer = None, choice, why, text
        lines[slots[0]:slots[-1] + 1] = solutions[ex_id].rstrip("\n").splitlines()
        cell.source = "\n".join(lines)
        cell.outputs = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    return nb


async def _execute_all(notebooks: dict[str, object]) -> dict[str, object]:
    from nbclient import NotebookClient

    from pdkit._kernel import kernel_manager_class

    sem = asyncio.Semaphore(3)
    results: dict[str, object] = {}

    async def one(stem, nb):
        async with sem:
            with kernel_manager_class(blas_threads=1) as km_class:
                client = NotebookClient(
                    nb, kernel_name="python3", timeout=600, record_timing=False, allow_errors=True,
                    resources={"metadata": {"path": str(COURSE)}}, kernel_manager_class=km_class,
                )
                await client.async_execute()
            results[stem] = nb

    await asyncio.gather(*(one(s, nb) for s, nb in notebooks.items()))
    return results


@pytest.fixture(scope="module")
def solved():
    """Every lesson executed with its solutions substituted (lessons run 3 at a time)."""
    notebooks = {p.stem: _with_solutions(_read(p), _solutions(p.stem)) for p in LESSONS}
    with mock.patch.dict(os.environ, {"PDKIT_COURSE_RECORDS": "off"}):  # the kernels write no training records
        return asyncio.run(_execute_all(notebooks))


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
def test_lesson_runs_with_solutions(lesson, solved):
    nb = solved[lesson.stem]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        assert not errors, f"{lesson.name}, cell {i} failed: {_text_of(errors[0])}\n{cell.source}"
    for _, cell in _exercise_cells(nb):
        text = "".join(_text_of(o) for o in cell.outputs)
        # check() etc. print one line (after exercise()'s question); the trailing ';' hides True/False
        last = text.splitlines()[-1] if text.strip() else ""
        assert text.endswith("\n") and (last == "Right!" or last.startswith("Recorded for your trainer")), (
            f"{lesson.name}, {_exercise_id(cell)}: solution not accepted: {text!r}")


# ----------------------------------------------------------------------------- (4) no answer leaks
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


def _significant(token: str) -> int:
    mant = re.split(r"[eE]", token.lstrip("+-").replace(",", ""))[0]
    digits = mant.replace(".", "").lstrip("0")
    return len(digits)


def _is_rounding_of(token: str, value: float) -> bool:
    """True if ``token`` is ``value`` (or 100 x value for a fraction 0 < |value| < 1, as a percent)
    rounded to the token's precision."""
    text = token.replace(",", "")
    try:
        t = Decimal(text)
    except InvalidOperation:
        return False
    exp = t.as_tuple().exponent
    for v in (value, 100 * value) if 0 < abs(value) < 1 else (value,):
        if not math.isfinite(v) or v == 0:
            continue
        try:
            if Decimal(repr(float(v))).quantize(Decimal(1).scaleb(exp)) == t:
                return True
        except InvalidOperation:
            continue
    return False


def _visible_texts(nb):
    """(where, text) for every markdown/code source and every text output (bokeh scripts excluded)."""
    for i, cell in enumerate(nb.cells):
        yield f"cell {i} source", cell.source
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                yield f"cell {i} output", o.get("text", "")
            elif o.get("output_type") == "error":
                yield f"cell {i} output", "\n".join(o.get("traceback", []))
            else:
                for mime, data in o.get("data", {}).items():
                    text = data if isinstance(data, str) else json.dumps(data)
                    if mime.startswith("text/") and "<script" not in text:
                        yield f"cell {i} output ({mime})", text
                    elif mime == "application/vnd.pdkit.record+json":
                        yield f"cell {i} output ({mime})", text


def _leaks(nb, expected) -> list[str]:
    found = []
    values = expected if isinstance(expected, list) else [expected]
    for where, text in _visible_texts(nb):
        for v in values:
            if isinstance(v, str):
                pat = r"(?<![\w])" + r"[\s_\-]+".join(map(re.escape, re.split(r"[\s_\-]+", v.strip()))) + r"(?![\w])"
                if len(v.strip()) >= 3 and re.search(pat, text, re.I):
                    found.append(f"{where}: {v!r}")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                for m in _NUMBER.finditer(text):
                    tok = m.group(0)
                    if _significant(tok) >= 3 and _is_rounding_of(tok, float(v)):
                        found.append(f"{where}: {tok}")
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
@pytest.mark.slow
def test_no_expected_value_in_executed_notebook(lesson):
    """Neither the lesson's text nor its outputs (what a trainee and the static site show) reveal an answer."""
    nb = _executed(lesson)
    leaks = {}
    for _, cell in _exercise_cells(nb):
        ex_id = _exercise_id(cell)
        found = _leaks(nb, _committed_expected(ex_id))
        if found:
            leaks[ex_id] = found[:5]
    assert not leaks, f"{lesson.name} reveals answers: {leaks}"


def test_leak_finder_on_a_tiny_notebook():
    """Hand cases for the leak finder: rounded forms, percent forms, thousands separators, texts."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.v4.new_output("stream", text="yield 17.83 mg/g, total 12,346 doses, 31.6 %\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("Use cells_at_transfection as denominator."), cell]
    assert _leaks(nb, 17.8349)
    assert not _leaks(nb, 17.8449)  # 17.84 is not printed
    assert _leaks(nb, 12345.9)
    assert _leaks(nb, 0.3161)  # printed as percent
    assert not _leaks(nb, 0.62)  # fewer than 3 significant digits are not evidence
    assert not _leaks(nb, 0.316e-2)  # 0.316 % is not printed
    assert _leaks(nb, "cells at transfection")
    assert not _leaks(nb, "harvest")


# ----------------------------------------------------------------------------- (5) None answers
@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
@pytest.mark.slow
def test_unanswered_exercises_say_so(lesson, capsys):
    nb = _executed(lesson)
    for _, cell in _exercise_cells(nb):
        ex_id = _exercise_id(cell)
        assert _unanswered(ex_id) is False
        out = capsys.readouterr().out.splitlines(keepends=True)[-1]  # after exercise()'s question
        assert out.count("\n") == 1 and "not answered yet" in out.casefold(), out
        shown = "".join(_text_of(o) for o in cell.outputs).splitlines(keepends=True)[-1:]
        assert shown and "not answered yet" in shown[0].casefold(), (
            f"{lesson.name}, {ex_id}: executed as committed (answer None), the cell must say "
            f"'not answered yet'; output was {shown!r}"
        )
        # only printed text: no echoed False under it
        assert {o.get("output_type") for o in cell.outputs} == {"stream"}, cell.outputs


def test_check_none_is_friendly(capsys):
    assert tutorial.check("example.batches_per_year", None, registry=EXAMPLE_REGISTRY) is False
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "not answered yet" in out
    assert tutorial.choose("example.criterion_same_speed", None, registry=EXAMPLE_REGISTRY) is False
    out = capsys.readouterr().out
    assert "not answered yet" in out and "mixing" not in out.casefold()


_PLACEHOLDER = re.compile(r"^(answer|choice|why|text) = ")


def _unanswered(ex_id: str):
    """Call the exercise's function as the committed cell does (nothing filled in)."""
    from pdkit.course.registry import get_exercise

    ex = get_exercise(ex_id)
    with mock.patch.dict(os.environ, {"PDKIT_COURSE_RECORDS": "off"}):
        if ex.variants:
            tutorial.exercise(ex_id)
        if ex.kind == "choice":
            return tutorial.choose(ex_id, None)
        if ex.kind == "interpret":
            return tutorial.interpret(ex_id, None)
        if ex.kind == "free_text":
            return tutorial.explain(ex_id, "")
        return tutorial.check(ex_id, None)


def _committed_expected(ex_id: str):
    """The answer for whoever executed the committed notebook (no workspace, no PDKIT_TRAINEE: anonymous)."""
    from pdkit.course.registry import get_exercise
    from pdkit.course.trainer import expected

    if get_exercise(ex_id).kind == "free_text":
        return None
    return expected(ex_id, trainee="anonymous")
