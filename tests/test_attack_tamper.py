"""Tamper attacks on a signed run folder: each one must make `pdkit verify` fail with a line naming it (issue 12).

Threat model (docs/records.md): the attacker can write to the report folders but does not hold the
signers' private keys nor write access to the verifier's trust store.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import make_smoke_template
from pdkit.cli_records import register
from pdkit.provenance import verify
from pdkit.signing import (
    LOG_NAME,
    MARKER_END,
    MARKER_START,
    SIGNATURES,
    finalize_run,
    init_keys,
    sign_run,
    strip_signature_blocks,
)

pytestmark = pytest.mark.slow

MARKERS = MARKER_START + MARKER_END
COA = ("<!DOCTYPE html>\r\n<html><body><h1>Certificate of analysis, lot A1</h1>\r\n"  # CRLF must survive signing
       f"<p>Lot A1 meets specification.</p>\r\n{MARKERS}</body></html>\r\n")


def _file_record(folder: Path, rel: str) -> dict:
    data = (folder / rel).read_bytes()
    return {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _as_new_runner_writes(outdir: Path) -> None:
    """Give the HTML the empty signature markers and add a CoA, as report.py/certificate.py now do.

    Only where the runner did not already do it; the manifest's output records are updated to match.
    """
    html = outdir / "smoke.html"
    text = strip_signature_blocks(_read(html))  # as exported: the runner may have signed it already
    if MARKER_START not in text:
        at = text.index('<div class="pdkit-header"')
        text = text[:at] + MARKERS + text[at:]
    _write(html, text)
    (outdir / "CoA_A1.html").write_bytes(COA.encode("utf-8"))
    manifest = json.loads((outdir / "manifest.json").read_text())
    rels = sorted({o["path"] for o in manifest["outputs"]} | {"CoA_A1.html"})
    manifest["outputs"] = [_file_record(outdir, rel) for rel in rels]
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def build_runs(base: Path, template: Path) -> dict[str, Path]:
    """Two succeeded runs and one failed run, finalised (signed by the current user, logged).

    The succeeded run is made in a staging folder, given its markers and CoA, then copied to
    ``reports/run1`` and ``reports/run2`` and each copy finalised (a fresh log in ``reports``).
    """
    from pdkit.runner import run_report

    reports = base / "reports"
    run = run_report(str(template), {"alpha": "0.1"}, base / "stage" / "run1")
    assert run.status == "succeeded", run.error
    _as_new_runner_writes(run.outdir)
    (run.outdir / SIGNATURES).unlink(missing_ok=True)  # when the runner signed it already
    for name in ("run1", "run2"):
        shutil.copytree(run.outdir, reports / name)
        finalize_run(reports / name, reports / name / "manifest.json")
    failed = run_report(str(template), {"fail_mode": "raise"}, base / "failed" / "fail1")
    assert failed.status == "failed"
    if not (failed.outdir / SIGNATURES).exists():  # before the runner called finalize_run itself
        finalize_run(failed.outdir, failed.manifest)
    return {"reports": reports, "failed": failed.outdir}


def set_user(monkeypatch, name: str) -> None:
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, name)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The runs, made once, by 'alice' with PDKIT_HOME in a temporary folder; 'bob' may verify and sign."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("pdkit_home")
    mp.setenv("PDKIT_HOME", str(home))
    mp.delenv("PDKIT_TRUSTED_KEYS", raising=False)
    set_user(mp, "alice")
    template = make_smoke_template(tmp_path_factory.mktemp("tpl"))
    base = tmp_path_factory.mktemp("pristine")
    runs = build_runs(base, template)
    set_user(mp, "bob")
    init_keys("bob")
    yield base, runs
    mp.undo()


@pytest.fixture
def work(pristine, tmp_path, monkeypatch):
    """A fresh copy of the pristine folders; the current user is 'bob' (not the author)."""
    base, _ = pristine
    shutil.copytree(base / "reports", tmp_path / "reports")
    shutil.copytree(base / "failed", tmp_path / "failed")
    set_user(monkeypatch, "bob")
    return tmp_path / "reports"


def _manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def _write_manifest(run: Path, data: dict) -> None:
    (run / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # no newline translation: CRLF pages stay CRLF


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _has(problems: list[str], *fragments: str) -> bool:
    return any(all(f in line for f in fragments) for line in problems)


def _cli(*args: str) -> tuple[int, str, str]:
    group = click.Group("pdkit")
    register(group)
    result = CliRunner().invoke(group, list(args))  # click >= 8.2: stdout and stderr apart
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_pristine_runs_verify(work):
    assert verify(work) == []
    assert verify(work / "run1") == []
    code, out, _ = _cli("verify", str(work))
    assert code == 0
    assert "signed by alice (author" in out and "chain and signatures intact" in out


def test_output_edited_and_hash_recomputed_in_manifest(work):
    run = work / "run1"
    (run / "side_output.txt").write_text("forged")
    m = _manifest(run)
    m["outputs"] = [_file_record(run, o["path"]) for o in m["outputs"]]
    _write_manifest(run, m)
    problems = verify(run)
    assert _has(problems, "signature does not match manifest", "author by alice")
    assert _has(problems, "manifest differs from log", str(run / "manifest.json"))


@pytest.mark.parametrize("key, value", [("parameters", {"alpha": 0.2}), ("git_commit", "0" * 40),
                                        ("started_utc", "2020-01-01T00:00:00.000Z")])
def test_manifest_only_edit_is_caught_by_notebook_metadata(work, key, value):
    run = work / "run1"
    m = _manifest(run)
    m[key] = value if key != "parameters" else {**m["parameters"], **value}
    _write_manifest(run, m)
    problems = verify(run)
    assert _has(problems, "notebook metadata.pdkit differs from manifest", "smoke.ipynb", key)
    assert _has(problems, "signature does not match manifest")


def test_notebook_metadata_edited_only(work):
    run = work / "run1"
    nb = json.loads((run / "smoke.ipynb").read_text())
    nb["metadata"]["pdkit"]["parameters"]["alpha"] = 0.3
    (run / "smoke.ipynb").write_text(json.dumps(nb))
    problems = verify(run)
    assert _has(problems, "notebook metadata.pdkit differs from manifest", "parameters")
    assert _has(problems, "output changed", "smoke.ipynb")


def test_manifest_deleted(work):
    run = work / "run1"
    (run / "manifest.json").unlink()
    problems = verify(run)
    assert _has(problems, "manifest missing", "smoke.ipynb")
    assert _has(verify(work), "manifest vanished", str(run))


def test_forged_extra_coa_is_named(work):
    (work / "run1" / "CoA_B7.html").write_bytes(COA.replace("A1", "B7").encode())
    (work / "run1" / ".hidden").write_text("x")
    problems = verify(work / "run1")
    assert _has(problems, "unlisted file", "CoA_B7.html")
    assert _has(problems, "unlisted file", ".hidden")


def test_coa_removed_with_its_manifest_entry(work):
    run = work / "run1"
    (run / "CoA_A1.html").unlink()
    m = _manifest(run)
    m["outputs"] = [o for o in m["outputs"] if o["path"] != "CoA_A1.html"]
    _write_manifest(run, m)
    problems = verify(run)
    assert _has(problems, "signature does not match manifest")
    assert _has(problems, "manifest differs from log")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd"])
def test_output_path_escaping_the_folder(work, bad):
    run = work / "run1"
    m = _manifest(run)
    m["outputs"].append({"path": bad, "sha256": "0" * 64, "bytes": 1})
    _write_manifest(run, m)
    assert _has(verify(run), "output path outside the run folder", bad)


def test_symlink_output_pointing_outside(work, tmp_path):
    run = work / "run1"
    (tmp_path / "outside.txt").write_text("side")
    (run / "side_output.txt").unlink()
    (run / "side_output.txt").symlink_to(tmp_path / "outside.txt")
    assert _has(verify(run), "output path outside the run folder", "side_output.txt")


@pytest.mark.parametrize("which, message", [("outputs", "manifest lists no outputs"),
                                            ("inputs", "manifest lists no inputs")])
def test_empty_lists(work, which, message):
    run = work / "run1"
    m = _manifest(run)
    m[which] = []
    _write_manifest(run, m)
    assert _has(verify(run), message)


def test_failed_run_does_not_verify(work):
    failed = work.parent / "failed" / "fail1"
    problems = verify(failed)
    assert _has(problems, "run failed: ValueError: simulated failure")
    code, _, err = _cli("verify", str(failed))
    assert code == 1 and "FAILED  run failed" in err and "unchanged" not in err


def test_record_without_sha256_is_a_line_not_a_traceback(work):
    run = work / "run1"
    m = _manifest(run)
    del m["outputs"][0]["sha256"]
    m["inputs"][0]["bytes"] = "many"
    _write_manifest(run, m)
    problems = verify(run)
    assert _has(problems, "invalid manifest", "outputs[0].sha256")
    assert _has(problems, "invalid manifest", "inputs[0].bytes")
    code, _, err = _cli("verify", str(run))
    assert code == 1 and "Traceback" not in err and "FAILED  invalid manifest" in err


def test_signature_file_edited(work):
    path = work / "run1" / SIGNATURES
    records = json.loads(path.read_text())
    records[0]["user"] = "carol"
    path.write_text(json.dumps(records))
    assert _has(verify(work / "run1"), "bad signature", "author by carol")


def test_attacker_resigns_with_own_key(work, tmp_path, monkeypatch):
    """Mallory edits an output, fixes the manifest and signs with a key of her own named 'alice'."""
    run = work / "run1"
    (run / "side_output.txt").write_text("forged")
    m = _manifest(run)
    m["outputs"] = [_file_record(run, o["path"]) for o in m["outputs"]]
    _write_manifest(run, m)
    victim_home = os.environ["PDKIT_HOME"]
    monkeypatch.setenv("PDKIT_HOME", str(tmp_path / "mallory_home"))
    set_user(monkeypatch, "alice")
    finalize_run(run, run / "manifest.json")
    monkeypatch.setenv("PDKIT_HOME", victim_home)
    problems = verify(run)
    assert _has(problems, "untrusted key", "author by alice")
    assert _has(problems, LOG_NAME, "untrusted key", "signer alice")


def test_log_line_edited(work):
    log = work / LOG_NAME
    lines = log.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["manifest_sha256"] = "0" * 64
    lines[0] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    log.write_text("\n".join(lines) + "\n")
    problems = verify(work)
    assert _has(problems, "log chain broken", "line 2")
    assert _has(problems, "line 1: bad signature")


def test_log_first_line_deleted(work):
    log = work / LOG_NAME
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[1:]) + "\n")
    problems = verify(work)
    assert _has(problems, "log chain broken", "line 1", "predecessor")
    assert _has(problems, "run not in log", str(work / "run1"))


def test_log_line_deleted_in_the_middle(work):
    sign_run(work / "run1", "reviewer", "reviewed the results")
    log = work / LOG_NAME
    lines = log.read_text().splitlines()
    assert len(lines) == 3
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")
    problems = verify(work)
    assert _has(problems, "log chain broken", "line 2", "does not follow")
    assert _has(problems, "run not in log", str(work / "run2"))


def test_log_tail_deleted_after_a_review(work):
    sign_run(work / "run1", "reviewer", "reviewed the results")
    log = work / LOG_NAME
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:-1]) + "\n")
    assert _has(verify(work / "run1"), "signature not in log", "reviewer by bob")


def test_log_deleted(work):
    (work / LOG_NAME).unlink()
    assert _has(verify(work / "run1"), "log missing", LOG_NAME)


def test_run_folder_deleted(work):
    shutil.rmtree(work / "run2")
    problems = verify(work)
    assert _has(problems, "run folder vanished", str(work / "run2"))


def test_run_folder_rerun_without_log(work):
    """A folder replaced by an unlogged copy with a different manifest."""
    run = work / "run2"
    m = _manifest(run)
    m["reason"] = "rerun"
    _write_manifest(run, m)
    assert _has(verify(work), "manifest differs from log", str(run))


def test_signature_block_in_html_edited(work):
    sign_run(work / "run1", "approver", "approved for release")
    for name in ("smoke.html", "CoA_A1.html"):
        page = work / "run1" / name
        text = _read(page)
        assert "approved for release" in text and "bob" in text
        _write(page, text.replace("approved for release", "rejected"))
        problems = verify(work / "run1")
        assert _has(problems, "signature block differs", name)
        assert not _has(problems, "output changed", name)  # the content outside the block is intact
        _write(page, text)
    assert verify(work / "run1") == []


def test_html_outside_the_block_edited(work):
    page = work / "run1" / "CoA_A1.html"
    _write(page, _read(page).replace("meets", "fails"))
    assert _has(verify(work / "run1"), "output changed", "CoA_A1.html")


def test_signature_removed_and_blocks_rerendered(work):
    """Dropping a review (signatures.json back to the author's record, pages re-rendered) is caught by the log."""
    from pdkit.signing import fill_signature_blocks, render_signatures

    run = work / "run1"
    original = json.loads((run / SIGNATURES).read_text())
    sign_run(run, "reviewer", "rejected: out of trend")
    (run / SIGNATURES).write_text(json.dumps(original))
    for name in ("smoke.html", "CoA_A1.html"):
        page = run / name
        _write(page, fill_signature_blocks(_read(page), render_signatures(original)))
    problems = verify(run)
    assert _has(problems, "signature removed", "reviewer signature by bob")
    assert not _has(problems, "signature block differs")
