"""Keys, signatures, the trust store, the hash-chained log and `pdkit sign` (issue 12)."""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import threading
import types
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import make_smoke_template
from pdkit.cli_records import register
from pdkit.errors import InputError
from pdkit.provenance import verify
from pdkit.signing import (
    LOG_NAME,
    MARKER_END,
    MARKER_START,
    SIGNATURES,
    VerificationFailed,
    canonical_json,
    check_signature,
    export_public_key,
    finalize_run,
    init_keys,
    load_private_key,
    log_event,
    read_log,
    render_signatures,
    sign_fields,
    sign_run,
    signature_blocks,
    trust_key,
    trusted_keys,
)
from test_attack_tamper import _file_record, build_runs, set_user


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PDKIT_HOME", str(h))
    monkeypatch.delenv("PDKIT_TRUSTED_KEYS", raising=False)
    set_user(monkeypatch, "alice")
    return h


def cli(*args: str) -> click.testing.Result:
    group = click.Group("pdkit")
    register(group)
    return CliRunner().invoke(group, list(args))


# ---------------------------------------------------------------- keys and trust


def test_key_pair_permissions_and_self_trust(home):
    info = init_keys()
    key, pub = Path(info["private_key"]), Path(info["public_key"])
    assert key == home / "keys" / "alice.key" and pub == home / "keys" / "alice.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert "PRIVATE KEY" in key.read_text() and "PUBLIC KEY" in pub.read_text()
    assert trusted_keys()[info["fingerprint"]]["user"] == "alice"


def test_init_refuses_to_overwrite_without_force(home):
    first = init_keys()
    with pytest.raises(InputError, match="exists already.*--force"):
        init_keys()
    second = init_keys(force=True)
    assert second["fingerprint"] != first["fingerprint"]


def test_group_readable_private_key_is_refused(home):
    info = init_keys()
    os.chmod(info["private_key"], 0o640)
    with pytest.raises(InputError, match="chmod 600"):
        load_private_key()


def test_first_use_creates_the_key_with_a_notice(home, capsys):
    load_private_key(create=True)
    assert "created a signing key for 'alice'" in capsys.readouterr().err
    assert (home / "keys" / "alice.key").is_file()


def test_canonical_json_signing_round_trip():
    key = Ed25519PrivateKey.generate()
    rec = sign_fields({"role": "reviewer", "meaning": "geprüft", "n": 3, "pdf_sha256": {"b": "1", "a": "2"}}, key)
    again = json.loads(json.dumps(rec, indent=4, sort_keys=False))  # re-serialised differently
    assert canonical_json(again) == canonical_json(rec)
    assert check_signature(again) == []
    for field, value in [("meaning", "reviewed"), ("n", 4), ("pdf_sha256", {"a": "2"})]:
        assert check_signature(dict(again, **{field: value})) == ["bad signature"]
    other = sign_fields({"role": "reviewer"}, Ed25519PrivateKey.generate())
    swapped = dict(again, public_key=other["public_key"], fingerprint=other["fingerprint"])
    assert check_signature(swapped) == ["bad signature"]
    assert check_signature(dict(again, public_key=other["public_key"])) == \
        ["fingerprint does not match the public key"]


def test_trust_store_decides_and_binds_the_user(home, tmp_path):
    rec = sign_fields({"user": "bob"}, Ed25519PrivateKey.generate())
    assert check_signature(rec, trusted_keys()) == ["untrusted key"]
    info = init_keys("bob", home=tmp_path / "bobhome", trust=False)
    trust_key(info["public_key"])  # user from the file name: bob
    bob = load_private_key("bob", home=tmp_path / "bobhome")
    assert check_signature(sign_fields({"user": "bob"}, bob), trusted_keys()) == []
    assert check_signature(sign_fields({"user": "alice"}, bob), trusted_keys()) == \
        ["key is trusted for 'bob', not 'alice'"]
    with pytest.raises(InputError, match="already trusted for user 'bob'"):
        trust_key(info["public_key"], user="mallory")


def test_site_trust_store_from_environment(home, tmp_path, monkeypatch):
    site = tmp_path / "site" / "trusted.json"
    site.parent.mkdir()
    site.write_text("{}")
    monkeypatch.setenv("PDKIT_TRUSTED_KEYS", str(site))
    info = init_keys()
    assert info["fingerprint"] in json.loads(site.read_text())
    assert not (home / "trusted_keys.json").exists()
    site.write_text("not json")
    with pytest.raises(InputError, match="trust store .*trusted.json cannot be read"):
        trusted_keys()


def test_keys_commands(home, tmp_path):
    result = cli("keys", "init")
    assert result.exit_code == 0 and "fingerprint: SHA256:" in result.output
    result = cli("keys", "init")
    assert result.exit_code == 2 and "--force" in result.output and "Traceback" not in result.output
    out = tmp_path / "alice.pub"
    assert cli("keys", "export", "-o", str(out)).exit_code == 0
    assert out.read_text() == export_public_key()
    stranger = init_keys("carol", home=tmp_path / "carolhome", trust=False)
    result = cli("keys", "trust", stranger["public_key"])
    assert result.exit_code == 0 and stranger["fingerprint"] in result.output
    listing = cli("keys", "list").output
    assert "alice" in listing and "carol" in listing and stranger["fingerprint"] in listing
    result = cli("keys", "trust", str(tmp_path / "missing.pub"))
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_render_escapes_user_text():
    block = render_signatures([{"role": "approver", "user": "<script>x</script>", "host": "h",
                                "meaning": 'ok" onclick="y', "time_utc": "t", "fingerprint": "SHA256:1"}])
    assert "<script>" not in block and "&lt;script&gt;" in block and "&quot; onclick" in block
    assert "break-inside:avoid" in block
    assert render_signatures([]) == ""


# ---------------------------------------------------------------- log


def test_concurrent_log_appends_keep_the_chain(home, tmp_path):
    runs = [tmp_path / "reports" / f"r{i}" for i in range(4)]
    for r in runs:
        r.mkdir(parents=True)
    errors: list[BaseException] = []

    def append(run: Path) -> None:
        try:
            for k in range(10):
                log_event(run, "note", k=k)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries, problems = read_log(tmp_path / "reports" / LOG_NAME)
    assert problems == [] and len(entries) == 40
    assert [e["seq"] for e in entries] == list(range(1, 41))


def test_log_event_rejects_reserved_fields(home, tmp_path):
    with pytest.raises(InputError, match="reserved field"):
        log_event(tmp_path / "r", "note", run="other")


# ---------------------------------------------------------------- signing real runs


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PDKIT_HOME", str(tmp_path_factory.mktemp("pdkit_home")))
    mp.delenv("PDKIT_TRUSTED_KEYS", raising=False)
    set_user(mp, "alice")
    template = make_smoke_template(tmp_path_factory.mktemp("tpl"))
    base = tmp_path_factory.mktemp("pristine")
    runs = build_runs(base, template)
    for user in ("bob", "carol"):
        init_keys(user)
    yield base, runs, template
    mp.undo()


@pytest.fixture
def work(pristine, tmp_path, monkeypatch):
    base, _, _ = pristine
    shutil.copytree(base / "reports", tmp_path / "reports")
    shutil.copytree(base / "failed", tmp_path / "failed")
    shutil.copytree(base / "stage", tmp_path / "stage")
    set_user(monkeypatch, "bob")
    return tmp_path / "reports"


@pytest.mark.slow
def test_reviewer_and_approver_signatures(work, monkeypatch):
    run = work / "run1"
    result = cli("sign", str(run), "--role", "reviewer", "--meaning", "reviewed the results")
    assert result.exit_code == 0, result.output
    assert "as reviewer (reviewed the results) by bob" in result.output
    set_user(monkeypatch, "carol")
    assert cli("sign", str(run), "--role", "approver", "--meaning", "approved for release").exit_code == 0
    records = json.loads((run / SIGNATURES).read_text())
    assert [(r["role"], r["user"]) for r in records] == [("author", "alice"), ("reviewer", "bob"),
                                                         ("approver", "carol")]
    for page in ("smoke.html", "CoA_A1.html"):
        blocks = signature_blocks((run / page).read_text())
        assert len(blocks) == 1 and blocks[0] == render_signatures(records)
        for text in ("reviewed the results", "approved for release", "carol", records[2]["fingerprint"]):
            assert text in blocks[0]
    assert verify(work) == []
    result = cli("verify", str(work))
    assert result.exit_code == 0
    assert "signed by alice (author" in result.output and "bob (reviewer" in result.output
    assert "carol (approver" in result.output
    entries, problems = read_log(work / LOG_NAME)
    assert problems == [] and [e["event"] for e in entries][-2:] == ["signed", "signed"]


@pytest.mark.slow
def test_author_cannot_review_and_nobody_signs_a_role_twice(work, monkeypatch):
    set_user(monkeypatch, "alice")
    with pytest.raises(InputError, match="'alice' executed this run"):
        sign_run(work / "run1", "reviewer", "reviewed")
    set_user(monkeypatch, "bob")
    sign_run(work / "run1", "reviewer", "reviewed")
    result = cli("sign", str(work / "run1"), "--role", "reviewer", "--meaning", "again")
    assert result.exit_code == 2 and "already signed this run as reviewer" in result.output
    result = cli("sign", str(work / "run1"), "--role", "approver", "--meaning", "two\nlines")
    assert result.exit_code == 2 and "--meaning must be one line" in result.output


@pytest.mark.slow
def test_refuses_to_sign_a_failed_run(work):
    failed = work.parent / "failed" / "fail1"
    with pytest.raises(VerificationFailed) as info:
        sign_run(failed, "reviewer", "reviewed")
    assert any(p.startswith("run failed: ValueError: simulated failure") for p in info.value.problems)
    result = cli("sign", str(failed), "--role", "approver", "--meaning", "approved")
    assert result.exit_code == 1 and "FAILED  run failed" in result.output and "refusing to sign" in result.output
    assert len(json.loads((failed / SIGNATURES).read_text())) == 1


@pytest.mark.slow
def test_refuses_to_sign_a_tampered_run(work):
    (work / "run1" / "side_output.txt").write_text("changed")
    result = cli("sign", str(work / "run1"), "--role", "reviewer", "--meaning", "reviewed")
    assert result.exit_code == 1 and "FAILED  output changed" in result.output
    assert len(json.loads((work / "run1" / SIGNATURES).read_text())) == 1


def _run_with_pdf(work: Path) -> Path:
    """A copy of the staged run with a PDF of its report among the outputs, finalised."""
    run = work / "run3"
    shutil.copytree(work.parent / "stage" / "run1", run)
    (run / "smoke.pdf").write_bytes(b"%PDF-1.4 unsigned\n1 0 obj << /Type /Page /MediaBox [0 0 612 792] >>\n")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["outputs"].append(_file_record(run, "smoke.pdf"))
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return run


@pytest.mark.slow
def test_signing_regenerates_the_pdf_and_records_its_hash(work, monkeypatch):
    calls = []

    def html_to_pdf(html_path, pdf_path, *, paper="A4"):
        calls.append((Path(html_path).name, paper))
        blocks = signature_blocks(Path(html_path).read_text())
        box = b"/MediaBox [0 0 612 792]" if paper == "Letter" else b"/MediaBox [0 0 595 842]"
        Path(pdf_path).write_bytes(b"%PDF-1.4\n" + box + "".join(blocks).encode())
        return Path(pdf_path)

    for _name in ("pdkit.pdf", "pdkit.reports.pdf"):  # both names of the module
        monkeypatch.setitem(sys.modules, _name, types.SimpleNamespace(html_to_pdf=html_to_pdf))
    set_user(monkeypatch, "alice")
    run = _run_with_pdf(work)
    finalize_run(run, run / "manifest.json")
    set_user(monkeypatch, "bob")
    record, notes = sign_run(run, "reviewer", "reviewed the results")
    assert notes == [] and calls == [("smoke.html", "Letter"), ("smoke.html", "Letter")]
    assert list(record["pdf_sha256"]) == ["smoke.pdf"]
    assert b"reviewed the results" in (run / "smoke.pdf").read_bytes()
    assert verify(run) == []
    (run / "smoke.pdf").write_bytes(b"%PDF-1.4 forged\n")
    assert any(p.startswith("output changed") and "smoke.pdf" in p for p in verify(run))


@pytest.mark.slow
def test_without_the_pdf_module_signing_says_so(work, monkeypatch):
    for _name in ("pdkit.pdf", "pdkit.reports.pdf"):  # both names of the module
        monkeypatch.setitem(sys.modules, _name, None)
    set_user(monkeypatch, "alice")
    run = _run_with_pdf(work)
    finalize_run(run, run / "manifest.json")
    set_user(monkeypatch, "bob")
    _, notes = sign_run(run, "reviewer", "reviewed")
    assert notes and "pdkit.pdf is not available" in notes[0] and "smoke.pdf" in notes[0]
    assert verify(run) == []  # the PDF is as the run produced it


@pytest.mark.slow
def test_superseded_run_moved_aside_still_verifies(pristine, tmp_path, monkeypatch):
    """The runner's --force moves the old folder aside and logs it; both folders verify with the log."""
    from pdkit.runner import run_report

    _, _, template = pristine
    set_user(monkeypatch, "alice")
    out = tmp_path / "reports" / "stab"
    first = run_report(str(template), {}, out)
    if not (out / SIGNATURES).exists():
        pytest.skip("the runner does not call finalize_run yet")
    second = run_report(str(template), {"alpha": "0.2"}, out, force=True)
    assert second.superseded is not None and second.superseded.is_dir()
    assert first.status == second.status == "succeeded"
    assert verify(tmp_path / "reports") == []
    events = [e["event"] for e in read_log(tmp_path / "reports" / LOG_NAME)[0]]
    assert events == ["run_finalised", "superseded", "run_finalised"]
    shutil.rmtree(second.superseded)
    assert any(p.startswith("run folder vanished") for p in verify(tmp_path / "reports"))


def test_markers_are_the_ones_report_and_certificate_write():
    from pdkit import certificate

    assert getattr(certificate, "SIGNATURE_MARKERS", MARKER_START + MARKER_END) == MARKER_START + MARKER_END


def test_read_only_site_store_leaves_the_key_untrusted_with_a_note(home, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "trusted.json").write_text("{}")
    monkeypatch.setenv("PDKIT_TRUSTED_KEYS", str(site / "trusted.json"))
    monkeypatch.setattr("pdkit.signing.atomic_write_json", _raise_permission)
    result = cli("keys", "init")
    assert result.exit_code == 0 and "not trusted: cannot write trust store" in result.output
    assert (home / "keys" / "alice.key").is_file() and trusted_keys() == {}


def _raise_permission(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_unwritable_log_folder_is_one_line(home, tmp_path, monkeypatch):
    import errno

    real_open = os.open

    def deny(path, *args, **kwargs):
        if str(path).endswith(LOG_NAME):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(InputError, match="cannot append to the run log .*Permission denied"):
        log_event(tmp_path / "r", "note")


def test_superseding_a_folder_that_is_not_a_run_is_harmless(home, tmp_path):
    """E.g. `pdkit demo` moving a whole demo folder aside: logged, but nothing to verify."""
    demo = tmp_path / "pdkit-demo"
    demo.mkdir()
    (demo / "index.html").write_text("<html></html>")
    moved = demo.rename(tmp_path / "pdkit-demo.superseded-x")
    demo.mkdir()
    log_event(demo, "superseded", moved_to=moved.name)
    entries, problems = read_log(tmp_path / LOG_NAME)
    assert problems == [] and entries[0]["manifest_sha256"] is None
    assert verify(tmp_path) == [f"{tmp_path}: no manifest.json found"]


@pytest.mark.slow
def test_a_failing_pdf_conversion_keeps_the_pdf_and_says_so(work, monkeypatch):
    def html_to_pdf(html_path, pdf_path, *, paper="A4"):
        Path(pdf_path).write_bytes(b"half a pdf")
        raise RuntimeError("chromium timed out after 60 s\nmore")

    for _name in ("pdkit.pdf", "pdkit.reports.pdf"):  # both names of the module
        monkeypatch.setitem(sys.modules, _name, types.SimpleNamespace(html_to_pdf=html_to_pdf))
    set_user(monkeypatch, "alice")
    run = _run_with_pdf(work)
    finalize_run(run, run / "manifest.json")
    set_user(monkeypatch, "bob")
    record, notes = sign_run(run, "reviewer", "reviewed")
    assert "pdf_sha256" not in record
    assert notes == ["smoke.pdf was not regenerated and does not show the signatures "
                     "(RuntimeError: chromium timed out after 60 s)"]
    assert (run / "smoke.pdf").read_bytes().startswith(b"%PDF-1.4 unsigned")
    assert verify(run) == []
