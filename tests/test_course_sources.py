"""Every lesson names its sources, and every source it points to inside the kit is shipped.

Issue 18: "every number sourced in the lesson (primary sources; ship any primer inside the
repository)". Each lesson ends with a ``### Sources`` list; every repository path a lesson
cites (``docs/course/primer.md``, ``docs/records.md``, ``data_samples/...``) exists, and
nothing points outside the repository (the old ``../shared`` primer).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "notebooks" / "course"
LESSONS = sorted(p for p in COURSE.glob("[0-9][0-9]_*.py") if int(p.name[:2]) >= 1)

_PATH = re.compile(r"`((?:docs|data_samples|notebooks|templates)/[\w./-]+)`")


def _markdown(path: Path) -> str:
    from pdkit.nbio import read_notebook

    return "\n".join(c.source for c in read_notebook(path).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_lists_its_sources(lesson):
    text = _markdown(lesson)
    assert "### Sources" in text, f"{lesson.name}: no '### Sources' section"
    sources = text.split("### Sources", 1)[1]
    items = re.findall(r"^\s*(?:\d+\.|[-*])\s+\S", sources, re.M)
    assert len(items) >= 3, f"{lesson.name}: {len(items)} sources listed"
    assert re.search(r"\b(19|20)\d\d\b", sources), f"{lesson.name}: sources without years"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_cited_kit_files_exist_and_nothing_points_outside(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert "../shared" not in text and "domain-primer" not in text, f"{lesson.name} cites a file outside the kit"
    for rel in _PATH.findall(text):
        target = ROOT / rel.rstrip(".")
        assert target.exists(), f"{lesson.name} cites {rel}, which is not in the repository"


def test_primer_is_shipped_and_sourced():
    primer = ROOT / "docs" / "course" / "primer.md"
    text = primer.read_text(encoding="utf-8")
    assert len(text) > 2000 and "ICH" in text
    assert len(re.findall(r"\b(19|20)\d\d\b", text)) >= 10  # dated sources
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"docs/course" = "pdkit/_docs/course"' in pyproject  # in the wheel (tests/test_wheel.py checks it)
