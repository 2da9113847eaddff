"""Provenance of a report run: file hashes, environment, manifest, verification.

A run's ``manifest.json`` records what went in and what came out so a QA
reviewer can check that nothing changed afterwards:

``template``, ``title``, ``parameters``, ``inputs`` and ``outputs`` (lists of
``{path, sha256, bytes}``; inputs by absolute path, outputs relative to the
manifest's folder), ``environment`` (Python, platform, package versions),
``pdkit_version``, ``git_commit`` (or null) and ``git_dirty``, ``started_utc``,
``finished_utc``, ``status`` (``"succeeded"``/``"failed"``) and ``error``.

:func:`verify` is the evidence check behind ``pdkit verify``: it recomputes
every hash, rejects unsafe or incomplete manifests, names unlisted files,
compares the executed notebook's ``metadata.pdkit`` with the manifest, reports
failed runs, and checks the run's signatures and the hash-chained log beside
it (:mod:`pdkit.signing`).

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
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pdkit.io.files import atomic_write_json, atomic_write_text  # re-exported: the one atomic writer

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
    "manifest_problems",
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


def find_manifests(outdir: str | Path) -> list[Path]:
    """Every ``manifest.json`` in ``outdir`` and its sub-folders, sorted."""
    outdir = Path(outdir)
    return sorted(outdir.rglob("manifest.json"))


#: manifest keys compared with the executed notebook's ``metadata.pdkit`` even when only one side has them
_METADATA_KEYS = ("template", "parameters", "inputs", "git_commit", "started_utc", "finished_utc", "status",
                  "user", "host", "reason")
#: files a run folder may hold besides its listed outputs
_RUN_FILES = ("manifest.json", "signatures.json")


@lru_cache(maxsize=1)
def _manifest_model() -> Any:
    """The pydantic model of a manifest's shape (built on first use: pydantic is imported lazily)."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

    class FileEntry(BaseModel):
        model_config = ConfigDict(extra="allow")
        path: StrictStr = Field(min_length=1)
        sha256: StrictStr = Field(pattern=r"^[0-9a-f]{64}$")
        bytes: StrictInt = Field(ge=0)

    class Manifest(BaseModel):
        model_config = ConfigDict(extra="allow")
        template: StrictStr
        parameters: dict[str, Any]
        inputs: list[FileEntry]
        outputs: list[FileEntry]
        environment: dict[str, Any]
        pdkit_version: StrictStr
        git_commit: StrictStr | None
        started_utc: StrictStr
        finished_utc: StrictStr
        status: Literal["succeeded", "failed"]
        error: StrictStr | None

    return Manifest


def manifest_problems(data: Any) -> list[str]:
    """Shape problems of a parsed ``manifest.json`` (empty list: usable), one line each.

    Examples
    --------
    >>> manifest_problems({"template": "t", "outputs": [{"path": "a.html", "bytes": 3}]})[:2]
    ['parameters: Field required', 'inputs: Field required']
    >>> [p for p in manifest_problems({"outputs": [{"path": "a", "bytes": 3}]}) if p.startswith("outputs")]
    ['outputs[0].sha256: Field required']
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        return [f"expected a JSON object, got {type(data).__name__}"]
    try:
        _manifest_model().model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"]).lstrip(".")
            lines.append(f"{loc or '(top)'}: {err['msg']}")
        return lines
    return []


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _output_path(run: Path, rel: str) -> Path | None:
    """The output's path inside ``run``, or None when it is absolute or escapes the folder."""
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or rel != rel.strip():
        return None
    full = run / p
    try:
        full.resolve().relative_to(run.resolve())
    except ValueError:  # a symbolic link pointing out of the folder
        return None
    return full


def _check_file(kind: str, path: Path, rec: dict[str, Any], html_blocks: bool,
                expected_sha: str | None = None) -> str | None:
    if not path.is_file():
        return f"{kind} vanished: {path}"
    if html_blocks and path.suffix.lower() in (".html", ".htm"):
        from pdkit.reports.signing import strip_signature_blocks

        try:
            body = strip_signature_blocks(path.read_bytes().decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            body = path.read_bytes()
        if len(body) != rec["bytes"] or hashlib.sha256(body).hexdigest() != rec["sha256"]:
            return f"{kind} changed: {path}"
        return None
    if expected_sha is not None:  # a PDF regenerated when a signature was added
        return None if sha256_file(path) == expected_sha else f"{kind} changed: {path}"
    if path.stat().st_size != rec["bytes"] or sha256_file(path) != rec["sha256"]:
        return f"{kind} changed: {path}"
    return None


def _notebook_problems(run: Path, nb_path: Path, data: dict[str, Any]) -> list[str]:
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        meta = nb["metadata"]["pdkit"]
        if not isinstance(meta, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        return [f"notebook has no readable metadata.pdkit: {nb_path}"]
    keys = (set(meta) & set(data)) | (set(_METADATA_KEYS) & (set(meta) | set(data)))
    keys.discard("outputs")
    differ = sorted(k for k in keys if k not in meta or k not in data or not _same_json(meta[k], data[k]))
    return [f"notebook metadata.pdkit differs from manifest: {nb_path}: {k}" for k in differ]


def _verify_run(manifest: Path, nested: list[Path]) -> list[str]:
    """Every problem of the run folder holding ``manifest``."""
    from pdkit.reports.signing import read_signatures, verify_signatures

    run = manifest.parent
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"unreadable manifest: {manifest} ({exc})"]
    shape = manifest_problems(data)
    if shape:
        return [f"invalid manifest: {manifest}: {line}" for line in shape] + verify_signatures(run)
    problems: list[str] = []
    if data["status"] == "failed":
        problems.append(f"run failed: {data.get('error') or 'no error recorded'} ({manifest})")
    if not data["outputs"]:
        problems.append(f"manifest lists no outputs: {manifest}")
    if not data["inputs"]:
        problems.append(f"manifest lists no inputs: {manifest}")
    records, _ = read_signatures(run)
    pdf_expected: dict[str, str] = {}
    for rec in records or []:
        if isinstance(rec.get("pdf_sha256"), dict):
            pdf_expected.update(rec["pdf_sha256"])
    listed: set[Path] = set()
    for rec in data["outputs"]:
        path = _output_path(run, rec["path"])
        if path is None:
            problems.append(f"output path outside the run folder: {rec['path']!r} in {manifest}")
            continue
        listed.add(path)
        problem = _check_file("output", path, rec, True, pdf_expected.get(rec["path"]))
        if problem:
            problems.append(problem)
    for rec in data["inputs"]:
        path = Path(rec["path"])
        if not path.is_absolute():
            problems.append(f"input path not absolute: {rec['path']!r} in {manifest}")
            continue
        problem = _check_file("input", path, rec, False)
        if problem:
            problems.append(problem)
    allowed = {run / name for name in _RUN_FILES}
    for p in sorted(run.rglob("*")):
        if p.is_dir() or p in listed or p in allowed:
            continue
        if any(n in p.parents for n in nested):
            continue  # a run folder of its own, verified by itself
        if nested and p == run / "pdkit-log.jsonl":
            continue  # the log of the runs nested in this folder
        problems.append(f"unlisted file: {p} (not in {manifest.name})")
    for path in sorted(listed):
        if path.suffix == ".ipynb" and path.is_file():
            problems.extend(_notebook_problems(run, path, data))
    problems.extend(verify_signatures(run))
    return problems


def _orphans(outdir: Path, runs: set[Path]) -> list[str]:
    """Notebooks with ``metadata.pdkit`` or signature files in folders without a manifest."""
    problems = []
    for p in sorted(outdir.rglob("*")):
        if not p.is_file() or p.parent in runs or any(r in p.parents for r in runs):
            continue
        if p.name == "signatures.json":
            problems.append(f"manifest missing: {p.parent} holds {p.name} but no manifest.json")
        elif p.suffix == ".ipynb":
            try:
                has_meta = "pdkit" in json.loads(p.read_text(encoding="utf-8")).get("metadata", {})
            except (OSError, ValueError, AttributeError):
                has_meta = False
            if has_meta:
                problems.append(f"manifest missing: {p.parent} holds {p.name} but no manifest.json")
    return problems


def verify(outdir: str | Path) -> list[str]:
    """Check every run folder under ``outdir``: hashes, signatures, log, notebook metadata, status.

    Returns a list of problems, one line each naming the file (empty when
    everything verifies).  For each ``manifest.json``: its shape; ``run
    failed`` for a failed run; every output (paths inside the folder; HTML
    pages hashed with their signature blocks emptied; PDFs against the latest
    signature that regenerated them) and input unchanged; no file in the folder
    that the manifest does not list (besides ``manifest.json`` and
    ``signatures.json``); the executed notebook's ``metadata.pdkit`` equal to
    the manifest; the signatures (:func:`pdkit.signing.verify_signatures`).
    Then the hash-chained log (:func:`pdkit.signing.verify_log`): the one in
    ``outdir`` with every run beside it, or, for a run folder, the one in its
    parent for that run.  Notebooks or signature files without a manifest are
    named too.

    Examples
    --------
    >>> import tempfile
    >>> verify(tempfile.mkdtemp())[0].endswith("no manifest.json found")
    True
    """
    from pdkit.reports.signing import LOG_NAME, SIGNATURES, verify_log

    outdir = Path(outdir)
    if not outdir.exists():
        return [f"{outdir}: folder does not exist"]
    if not outdir.is_dir():
        return [f"{outdir}: not a folder"]
    outdir = outdir.absolute()
    manifests = find_manifests(outdir)
    runs = {m.parent for m in manifests}
    problems: list[str] = []
    if not manifests:
        problems.append(f"{outdir}: no manifest.json found")
    problems.extend(_orphans(outdir, runs))
    for manifest in manifests:
        nested = [r for r in runs if manifest.parent in r.parents]
        problems.extend(_verify_run(manifest, nested))
    # the logs: each one in or below outdir in full; the parent's for the runs it holds
    logs = {p.parent for p in outdir.rglob(LOG_NAME)}
    for folder in sorted(logs):
        problems.extend(verify_log(folder / LOG_NAME))
    covered = {r for r in runs if r.parent in logs}
    for run in sorted(runs - covered):
        log = run.parent / LOG_NAME
        if log.is_file():
            problems.extend(verify_log(log, runs=[run.name]))
        elif (run / SIGNATURES).is_file():
            problems.append(f"log missing: {log} (the run {run.name} is signed but its log is not beside it)")
    return problems
