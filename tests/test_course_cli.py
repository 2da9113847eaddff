"""``pdkit course report|verify|trainer-guide`` (pdkit.course.cli), through a click group as pdkit.cli wires it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pdkit.course.cli import register

# the fixtures that build a lesson-05 course registry and trainee workspaces
from test_course_records import LESSON, _answer_all, _workspace, course  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def _cli():
    group = click.Group("pdkit")
    register(group)
    return group


def _run(*args: str):
    return CliRunner().invoke(_cli(), list(args))  # click 8.2+: result.stderr is kept apart


def _records(course, capsys, monkeypatch) -> Path:  # noqa: F811
    ws = _workspace(course, "alice", monkeypatch)
    _answer_all(capsys)
    monkeypatch.chdir(course)
    return ws / ".pdkit-course" / "records.jsonl"


def test_register_adds_the_course_group():
    assert sorted(_cli().commands["course"].commands) == ["report", "trainer-guide", "verify"]
    result = _run("course", "report", "--help")
    assert result.exit_code == 0 and "--records" in result.output and "--lesson" in result.output


def test_report_and_verify(course, capsys, monkeypatch):  # noqa: F811
    path = _records(course, capsys, monkeypatch)
    result = _run("course", "report", "--records", str(path), "-o", "done", "--lesson", "05")
    assert result.exit_code == 0, result.output + result.stderr
    assert "alice  lesson 05  complete" in result.output and "signed by trainer1" in result.output
    assert (course / "done" / "alice_05.json").is_file() and (course / "done" / "alice_05.html").is_file()
    result = _run("course", "verify", "done")
    assert result.exit_code == 0 and "verified 1 completion record in done" in result.output
    # a second report into the same folder needs --force
    result = _run("course", "report", "--records", str(path), "-o", "done")
    assert result.exit_code == 2 and "use --force" in result.stderr
    assert _run("course", "report", "--records", str(path), "-o", "done", "--force").exit_code == 0


def test_verify_fails_on_tampering(course, capsys, monkeypatch):  # noqa: F811
    path = _records(course, capsys, monkeypatch)
    assert _run("course", "report", "--records", str(path), "-o", "done").exit_code == 0
    doc = json.loads((course / "done" / "alice_05.json").read_text())
    doc["status"] = "complete" if doc["status"] == "incomplete" else "incomplete"
    (course / "done" / "alice_05.json").write_text(json.dumps(doc))
    result = _run("course", "verify", "done")
    assert result.exit_code == 1 and "FAILED  bad signature" in result.stderr


def test_verify_with_moved_records(course, capsys, monkeypatch):  # noqa: F811
    path = _records(course, capsys, monkeypatch)
    assert _run("course", "report", "--records", str(path), "-o", "done").exit_code == 0
    moved = course / "archive.jsonl"
    path.rename(moved)
    result = _run("course", "verify", "done")
    assert result.exit_code == 1 and "records missing" in result.stderr and "--records" in result.stderr
    assert _run("course", "verify", "done", "--records", str(moved)).exit_code == 0


def test_report_refuses_tampered_records(course, capsys, monkeypatch):  # noqa: F811
    path = _records(course, capsys, monkeypatch)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[1:]) + "\n")
    result = _run("course", "report", "--records", str(path), "-o", "done")
    assert result.exit_code == 1 and "FAILED  " in result.stderr and "no completion record written" in result.stderr
    assert not (course / "done").exists()


def test_user_mistakes_exit_2(course, capsys, monkeypatch):  # noqa: F811
    monkeypatch.chdir(course)
    result = _run("course", "report", "--records", "missing.jsonl", "-o", "done")
    assert result.exit_code == 2 and "pdkit: error: training records missing.jsonl: no such file" in result.stderr
    result = _run("course", "verify", "nowhere")
    assert result.exit_code == 1 and "no such folder" in result.stderr


def test_trainer_guide_not_into_a_workspace(course, capsys, monkeypatch):  # noqa: F811
    ws = _workspace(course, "alice", monkeypatch)
    result = _run("course", "trainer-guide", "-o", str(ws / "guide"))
    assert result.exit_code == 2 and "inside a trainee workspace" in result.stderr
    monkeypatch.chdir(course)
    result = _run("course", "trainer-guide", "-o", "guide", "--lesson", "05", "--trainee", "alice")
    assert result.exit_code == 0, result.stderr
    page = (course / "guide" / f"{LESSON}.html").read_text()
    assert "this trainee's values: rpm = " in page and "TRAINER MATERIAL" in page


def test_module_runs_on_its_own(tmp_path):
    """``python -m pdkit.course.cli`` (the group without pdkit.cli) writes the packaged trainer guide."""
    out = tmp_path / "guide"
    proc = subprocess.run([sys.executable, "-m", "pdkit.course.cli", "trainer-guide", "-o", str(out), "--lesson", "05"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PDKIT_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["05_scaleup.html", "05_scaleup.md", "index.html", "index.md"]
