"""Provenance of a report run: file hashes, environment, manifest, verification.

A run's ``manifest.json`` records what went in and what came out so a QA
reviewer can check that nothing changed afterwards:

``template``, ``title``, ``parameters``, ``inputs`` and ``outputs`` (lists of
``{path, sha256, bytes}``; inputs by absolute path, outputs relative to the
manifest's folder), ``environment`` (Python, platform, package versions),
``pdkit_version``, ``git_commit`` (or null) and ``git_dirty``, ``started_utc``,
``finished_utc``, ``status`` (``"succeeded"``/``"failed"``) and ``error``.

:func:`verify` recomputes every hash and reports each input or output that
changed or vanished.

Examples
--------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> p = os.path.join(d, "a.txt")
>>> _ = open(p, "w").write("abc")
>>> file_record(p)["sha256"][:12]
'ba7816bf8f01'
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "KEY_PACKAGES",
    "sha256_file",
    "file_record",
    "environment",
    "git_state",
    "utc_now",
    "atomic_write_text",
    "atomic_write_json",
    "find_manifests",
    "verify",
]

KEY_PACKAGES = (
    "pdkit", "numpy", "pandas", "scipy", "statsmodels", "xarray", "bokeh", "papermill", "nbclient",
    "nbconvert", "nbformat", "ipykernel", "jupyter_client", "pydantic", "pint", "openpyxl", "dask",
)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def file_record(path: str | Path, relative_to: str | Path | None = None, **extra: Any) -> dict[str, Any]:
    """``{path, sha256, bytes}`` for a file (path relative to ``relative_to`` if given)."""
    p = Path(path)
    shown = str(p.resolve().relative_to(Path(relative_to).resolve())) if relative_to else str(p.resolve())
    rec = {"path": shown, "sha256": sha256_file(p), "bytes": p.stat().st_size}
    rec.update(extra)
    return rec


def environment() -> dict[str, Any]:
    """Python, platform and versions of the packages that determine a report's numbers."""
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": packages,
    }


def git_state(root: str | Path) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git checkout at ``root``, or ``(None, None)`` outside one."""
    root = Path(root)
    if not (root / ".git").exists():
        return None, None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return commit, bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a ``Z`` suffix, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically (see :func:`atomic_write_text`)."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def find_manifests(outdir: str | Path) -> list[Path]:
    """Every ``manifest.json`` in ``outdir`` and its sub-folders, sorted."""
    outdir = Path(outdir)
    return sorted(outdir.rglob("manifest.json"))


def verify(outdir: str | Path) -> list[str]:
    """Recompute every hash in the manifest(s) under ``outdir``.

    Returns a list of problems, one line each (empty when everything verifies):
    an input or output that changed or vanished, or a manifest that cannot be read.
    """
    outdir = Path(outdir)
    problems: list[str] = []
    manifests = find_manifests(outdir)
    if not outdir.exists():
        return [f"{outdir}: folder does not exist"]
    if not manifests:
        return [f"{outdir}: no manifest.json found"]
    for manifest in manifests:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            inputs, outputs = data["inputs"], data["outputs"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{manifest}: unreadable manifest ({exc})")
            continue
        for kind, records, base in (("input", inputs, None), ("output", outputs, manifest.parent)):
            for rec in records:
                path = Path(rec["path"]) if base is None else base / rec["path"]
                if not path.is_file():
                    problems.append(f"{kind} vanished: {path}")
                    continue
                if path.stat().st_size != rec.get("bytes", path.stat().st_size) or sha256_file(path) != rec["sha256"]:
                    problems.append(f"{kind} changed: {path}")
    return problems
