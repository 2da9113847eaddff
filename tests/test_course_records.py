"""Training records of the course: written per trainee, hash-chained and signed; completion records.

Records are appended by pdkit.tutorial.check/choose/interpret/explain for the course registry; here the
course registry is replaced by the packaged example registry, renamed to lesson 05 (so the lesson metadata
of course.yaml applies), and PDKIT_HOME is a temporary folder so keys and records stay in the test.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest

from pdkit import tutorial
from pdkit.course import completion, records
from pdkit.course import registry as reg
from pdkit.course.meta import course_info

LESSON = "05_scaleup"


@pytest.fixture()
def course(tmp_path, monkeypatch):
    """A course registry of one exercise per kind in lesson 05, records on, keys in tmp."""
    text = reg.EXAMPLE_REGISTRY.read_text(encoding="utf-8").replace("example.", f"{LESSON}.t_")
    text = text.replace("lesson: example", f"lesson: {LESSON}")
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(reg, "REGISTRY_PATH", path)
    monkeypatch.setattr(reg, "REGISTRY_DIR", tmp_path / "no_lesson_files")
    monkeypatch.setenv("PDKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PDKIT_COURSE_RECORDS", "on")
    monkeypatch.delenv("PDKIT_TRAINEE", raising=False)
    monkeypatch.setenv("USER", "trainer1")
    monkeypatch.setenv("LOGNAME", "trainer1")
    records._warned.clear()
    return tmp_path


def _workspace(root: Path, trainee: str, monkeypatch) -> Path:
    ws = root / f"ws-{len(list(root.glob('ws-*')))}"
    (ws / "lessons").mkdir(parents=True)
    (ws / records.WORKSPACE_FILE).write_text(json.dumps({"trainee": trainee, "course_version": course_info().version,
                                                         "created_utc": "2027-01-05T09:00:00Z"}))
    monkeypatch.chdir(ws / "lessons")  # a lesson runs in a sub-folder: the workspace is found upward
    return ws


def _answer_all(capsys, right: bool = True) -> None:
    """Answer every exercise of the test lesson (as a trainee would in the notebook)."""
    v = tutorial.exercise(f"{LESSON}.t_tip_speed")
    tutorial.check(f"{LESSON}.t_tip_speed", 1.0)  # wrong first
    tutorial.check(f"{LESSON}.t_tip_speed", math.pi * v.diameter_m * v.rpm / 60 if right else 99.0)
    b = tutorial.exercise(f"{LESSON}.t_batches_per_year")
    tutorial.check(f"{LESSON}.t_batches_per_year", b.available_days // (b.cycle_days + b.changeover_days))
    tutorial.choose(f"{LESSON}.t_criterion_same_speed", "c",
                    why="<script>alert(1)</script> the mixing-time rule keeps N2 = N1 at every scale")
    tutorial.interpret(f"{LESSON}.t_failing_lots", {"failing_lots": ["L3", "L4"], "attributes": ["potency", "purity"]})
    tutorial.explain(f"{LESSON}.t_plasmid_starting_material",
                     "The patient receives the vector, not the plasmid: the plasmid is used to make the vector and "
                     "is a starting material, so GMP principles apply to its manufacture with appropriate controls.")
    capsys.readouterr()


# ----------------------------------------------------------------------------- identity and location
def test_records_go_to_the_workspace_and_are_signed_and_chained(course, capsys, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    _answer_all(capsys)
    path = ws / ".pdkit-course" / "records.jsonl"
    entries, problems = records.read_records(path)
    assert problems == []
    assert [e["seq"] for e in entries] == list(range(1, 7))
    assert [e["event"] for e in entries] == ["check", "check", "check", "choose", "interpret", "explain"]
    first = entries[0]
    for key in ("trainee", "exercise_id", "variant", "answer", "verdict", "time_utc", "course_version", "lesson",
                "lesson_revision", "kind", "prev", "seq", "signature", "public_key", "fingerprint", "host"):
        assert key in first, key
    assert first["trainee"] == first["user"] == "alice" and first["lesson"] == LESSON
    assert first["course_version"] == course_info().version and first["time_utc"].endswith("Z")
    assert first["verdict"] == "wrong" and entries[1]["verdict"] == "right"
    assert set(first["variant"]) == {"rpm", "diameter_m"}
    choose = next(e for e in entries if e["event"] == "choose")
    assert choose["why"].startswith("<script>") and choose["verdict"] == "right"
    assert next(e for e in entries if e["event"] == "explain")["verdict"] == "recorded"
    # the raw bytes: one canonical JSON line per attempt, each chaining to the previous one
    lines = path.read_bytes().splitlines()
    import hashlib

    assert all(json.loads(b)["prev"] == hashlib.sha256(a).hexdigest() for a, b in zip(lines, lines[1:]))


def test_unanswered_cells_record_nothing(course, capsys, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    tutorial.check(f"{LESSON}.t_tip_speed", None)
    tutorial.choose(f"{LESSON}.t_criterion_same_speed", None)
    tutorial.interpret(f"{LESSON}.t_failing_lots", {"failing_lots": None, "attributes": None})
    tutorial.explain(f"{LESSON}.t_plasmid_starting_material", "")
    assert not (ws / ".pdkit-course").exists()


def test_records_off(course, capsys, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    monkeypatch.setenv("PDKIT_COURSE_RECORDS", "off")
    tutorial.check(f"{LESSON}.t_tip_speed", 1.0)
    assert not (ws / ".pdkit-course").exists()


def test_trainee_from_environment_and_anonymous(course, capsys, monkeypatch):
    monkeypatch.chdir(course)
    monkeypatch.setenv("PDKIT_TRAINEE", "bob")
    tutorial.check(f"{LESSON}.t_tip_speed", 1.0)
    entries, problems = records.read_records(course / "home" / "training" / "bob.jsonl")
    assert problems == [] and entries[0]["trainee"] == "bob"
    monkeypatch.delenv("PDKIT_TRAINEE")
    with pytest.warns(UserWarning, match="recording as 'anonymous'"):
        tutorial.check(f"{LESSON}.t_tip_speed", 1.0)
    assert (course / "home" / "training" / "anonymous.jsonl").is_file()


def test_variants_differ_between_trainees_and_stay_for_one(course, capsys, monkeypatch):
    seen = {}
    for name in ("alice", "bob", "carol", "dan", "eve"):
        _workspace(course, name, monkeypatch)
        seen[name] = tuple(tutorial.exercise(f"{LESSON}.t_tip_speed").items())
        assert tuple(tutorial.exercise(f"{LESSON}.t_tip_speed").items()) == seen[name]
    assert len(set(seen.values())) >= 4


def test_bad_workspace_file_is_named(course, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    (ws / records.WORKSPACE_FILE).write_text('{"trainee": ""}')
    with pytest.raises(records.InputError, match="pdkit-course.json: 'trainee' must be a non-empty"):
        tutorial.check(f"{LESSON}.t_tip_speed", 1.0)
    (ws / records.WORKSPACE_FILE).write_text("{not json")
    with pytest.raises(records.InputError, match="pdkit-course.json: not a readable JSON file"):
        tutorial.exercise(f"{LESSON}.t_tip_speed")


def test_other_course_version_in_workspace_warns(course, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    (ws / records.WORKSPACE_FILE).write_text('{"trainee": "alice", "course_version": "0.9"}')
    with pytest.warns(UserWarning, match="created for course version 0.9"):
        who = records.identify()
    assert who.workspace_version == "0.9" and who.course_version == course_info().version


# ----------------------------------------------------------------------------- tampering with records
def _records(course, capsys, monkeypatch, trainee="alice") -> Path:
    ws = _workspace(course, trainee, monkeypatch)
    _answer_all(capsys)
    return ws / ".pdkit-course" / "records.jsonl"


def test_edited_record_line_is_caught(course, capsys, monkeypatch):
    path = _records(course, capsys, monkeypatch)
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace('"verdict":"wrong"', '"verdict":"right"')
    path.write_text("\n".join(lines) + "\n")
    problems = records.read_records(path)[1]
    assert any("line 1: bad signature" in p for p in problems)
    assert any("line 2 does not follow the line before it" in p for p in problems)


def test_deleted_record_line_is_caught(course, capsys, monkeypatch):
    path = _records(course, capsys, monkeypatch)
    lines = path.read_text().splitlines()
    del lines[2]
    path.write_text("\n".join(lines) + "\n")
    problems = records.read_records(path)[1]
    assert any("log chain broken" in p and "line 3" in p for p in problems), problems


def test_record_signed_by_an_untrusted_key_is_caught(course, capsys, monkeypatch, tmp_path):
    path = _records(course, capsys, monkeypatch)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pdkit.signing import canonical_json, sign_fields

    lines = path.read_bytes().splitlines()
    forged = json.loads(lines[0])
    forged["verdict"] = "right"
    forged = sign_fields({k: v for k, v in forged.items() if k not in ("signature", "public_key", "fingerprint")},
                         Ed25519PrivateKey.generate())
    path.write_bytes(canonical_json(forged) + b"\n" + b"\n".join(lines[1:]) + b"\n")
    problems = records.read_records(path)[1]
    assert any("untrusted key" in p for p in problems), problems


# ----------------------------------------------------------------------------- completion records
def test_completion_record_written_signed_and_verified(course, capsys, monkeypatch):
    path = _records(course, capsys, monkeypatch)
    out = course / "completion"
    written = completion.write_completion_records(path, out)
    assert [p.name for p in written] == ["alice_05.json"]
    doc = json.loads(written[0].read_text())
    assert doc["status"] == "complete" and doc["complete"] is True
    assert doc["trainee"] == "alice" and doc["user"] == "trainer1" and doc["role"] == "trainer"
    assert doc["course"]["version"] == course_info().version
    assert doc["course"]["effective_date"] == course_info().effective_date
    tip = next(e for e in doc["exercises"] if e["id"].endswith("t_tip_speed"))
    assert tip["attempts"] == 2 and tip["final_verdict"] == "right"
    why = next(e for e in doc["exercises"] if e["kind"] == "choice")["history"][0]["why"]
    assert why.startswith("<script>")
    html = (out / "alice_05.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Electronic signatures" in html and "trainer1" in html and course_info().effective_date in html
    assert completion.verify_completion(out) == []


def test_incomplete_when_an_exercise_is_not_right(course, capsys, monkeypatch):
    ws = _workspace(course, "alice", monkeypatch)
    _answer_all(capsys, right=False)
    out = course / "completion"
    completion.write_completion_records(ws / ".pdkit-course" / "records.jsonl", out, lesson="05")
    doc = json.loads((out / "alice_05.json").read_text())
    assert doc["status"] == "incomplete"
    assert [e["satisfied"] for e in doc["exercises"] if e["id"].endswith("t_tip_speed")] == [False]
    assert completion.verify_completion(out) == []


@pytest.mark.parametrize("tamper, expect", [
    ("edit_line", "bad signature"),
    ("delete_line", "log chain broken"),
    ("truncate", "records truncated"),
    ("edit_json", "bad signature"),
    ("edit_html", "completion page changed"),
    ("edit_html_signature", "signature block differs"),
    ("resign_other_summary", "completion record does not match the records"),
])
def test_verify_catches_tampering(course, capsys, monkeypatch, tamper, expect):
    path = _records(course, capsys, monkeypatch)
    out = course / "completion"
    completion.write_completion_records(path, out)
    assert completion.verify_completion(out) == []
    jpath, hpath = out / "alice_05.json", out / "alice_05.html"
    lines = path.read_text().splitlines()
    if tamper == "edit_line":
        lines[1] = lines[1].replace('"verdict":"right"', '"verdict":"wrong"')
        path.write_text("\n".join(lines) + "\n")
    elif tamper == "delete_line":
        del lines[0]
        path.write_text("\n".join(lines) + "\n")
    elif tamper == "truncate":
        path.write_text("\n".join(lines[:-1]) + "\n")
    elif tamper == "edit_json":
        doc = json.loads(jpath.read_text())
        doc["exercises"][0]["attempts"] += 1
        jpath.write_text(json.dumps(doc))
    elif tamper == "edit_html":
        hpath.write_text(hpath.read_text().replace("complete", "complete (approved)", 1))
    elif tamper == "edit_html_signature":
        hpath.write_text(hpath.read_text().replace("trainer1", "qa-head"))
    elif tamper == "resign_other_summary":
        from pdkit.signing import load_private_key, sign_fields

        doc = json.loads(jpath.read_text())
        doc["exercises"][0]["final_verdict"] = "right"
        doc["exercises"][0]["attempts"] = 7
        doc = sign_fields({k: v for k, v in doc.items() if k not in ("signature", "public_key", "fingerprint")},
                          load_private_key("trainer1"))
        jpath.write_text(json.dumps(doc))
    problems = completion.verify_completion(out)
    assert any(expect in p for p in problems), problems


def test_appending_after_the_report_still_verifies(course, capsys, monkeypatch):
    path = _records(course, capsys, monkeypatch)
    out = course / "completion"
    completion.write_completion_records(path, out)
    tutorial.check(f"{LESSON}.t_tip_speed", 1.0)  # a later attempt does not change the signed record
    assert completion.verify_completion(out) == []


def test_report_refuses_bad_records_and_self_signing(course, capsys, monkeypatch):
    path = _records(course, capsys, monkeypatch)
    with pytest.raises(records.InputError, match="'alice' cannot sign their own completion record"):
        monkeypatch.setenv("USER", "alice")
        monkeypatch.setenv("LOGNAME", "alice")
        completion.write_completion_records(path, course / "c1")
    monkeypatch.setenv("USER", "trainer1")
    monkeypatch.setenv("LOGNAME", "trainer1")
    with pytest.raises(records.InputError, match="--trainee 'zed': no records of this trainee"):
        completion.write_completion_records(path, course / "c1", trainee="zed")
    completion.write_completion_records(path, course / "c1")
    with pytest.raises(records.InputError, match="exists already; use --force"):
        completion.write_completion_records(path, course / "c1")
    lines = path.read_text().splitlines()
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    from pdkit.signing import VerificationFailed

    with pytest.raises(VerificationFailed) as err:
        completion.write_completion_records(path, course / "c2")
    assert err.value.problems and not (course / "c2").exists()


def test_no_warning_for_workspace_trainee(course, capsys, monkeypatch):
    _workspace(course, "alice", monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tutorial.check(f"{LESSON}.t_tip_speed", 1.0)
