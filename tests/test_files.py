"""The one atomic writer (pdkit.io.files): old file or new file, never a part, never a stray temporary."""
from __future__ import annotations

import errno
import os
import stat

import pytest

from pdkit.io import files
from pdkit.io.files import atomic_path, atomic_write_bytes, atomic_write_json, atomic_write_text


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_writes_new_and_replaces_old(tmp_path):
    target = tmp_path / "r.txt"
    atomic_write_text(target, "one\r\nline\n")
    assert target.read_bytes() == b"one\r\nline\n"  # no newline translation
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert _names(tmp_path) == ["r.txt"]


def test_json_is_indented_with_final_newline(tmp_path):
    atomic_write_json(tmp_path / "m.json", {"a": [1, 2], "b": None})
    assert (tmp_path / "m.json").read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": null\n}\n'


def test_exception_mid_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="writer broke"):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path  # same folder: the rename cannot cross file systems
            tmp.write_text("half of the new con")
            raise RuntimeError("writer broke")
    assert target.read_text() == "old\n"
    assert _names(tmp_path) == ["summary.csv"]


def test_keyboard_interrupt_mid_write_leaves_no_temporary(tmp_path):
    target = tmp_path / "new.html"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("<p>")
            raise KeyboardInterrupt
    assert _names(tmp_path) == []


def test_full_disk_during_write_keeps_old_file(tmp_path, monkeypatch):
    """Simulated ENOSPC: the first write call stores a few bytes, the next one finds the disk full."""
    target = tmp_path / "manifest.json"
    target.write_text('{"old": true}\n')
    real_write = os.write
    calls = []

    def failing_write(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[:5]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "write", failing_write)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(target, b'{"new": "a much longer content than fits"}\n')
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert len(calls) == 2
    assert target.read_text() == '{"old": true}\n'
    assert _names(tmp_path) == ["manifest.json"]


def test_full_disk_at_fsync_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    target.write_text("old")

    def failing_fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["r.html"]


def test_file_and_folder_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", recording_fsync)
    atomic_write_text(tmp_path / "a.txt", "x")
    assert synced == [False, True]  # the file, then its folder after the rename


def test_permissions_new_file_follow_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640


def test_permissions_of_replaced_file_are_kept(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("x")
    target.chmod(0o604)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_explicit_mode_wins(tmp_path):
    target = tmp_path / "k.key"
    target.write_text("x")
    target.chmod(0o644)
    atomic_write_bytes(target, b"secret", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_temporary_file_is_private_while_written(tmp_path):
    with atomic_path(tmp_path / "k.key", mode=0o600) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600
        assert tmp.name.startswith(".k.key.") and tmp.name.endswith(".tmp")


def test_missing_folder_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "no" / "a.txt", "x")
    assert _names(tmp_path) == []


def test_every_writer_in_the_package_uses_the_one_implementation():
    """No module of pdkit renames files into place by itself (pdkit.io.files does it for all)."""
    import pathlib

    import pdkit

    root = pathlib.Path(pdkit.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path == root / "io" / "files.py" or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "os.replace(" in text or "mkstemp(" in text or "tmp.replace(" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
