"""A trainee's own copy of the course and the worked examples.

``pdkit lab`` never opens the installed package or the repository's sources: it
serves a *workspace*, a folder in the user's home made by :func:`create_workspace`
with the same layout as the repository, so the notebooks' relative paths work::

    <workspace>/
        pdkit-course.json          who the trainee is, course version, when copied
        notebooks/course/NN_*.ipynb  the lessons (converted from their text sources)
        notebooks/*.ipynb            the worked examples
        data_samples/                the synthetic sample data the notebooks read
        docs/course/                 the course primer the lessons cite

Notebooks are written unexecuted as ``.ipynb``, so a trainee's outputs and answers
are saved with them.  Running :func:`create_workspace` again on an existing
workspace only *adds* what is missing (a new lesson of a new course version): a
file the trainee may have changed is never overwritten, and the files that differ
from the new version are listed.

Examples
--------
>>> import tempfile, pathlib
>>> ws = create_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws", trainee="ana.silva")   # doctest: +SKIP
>>> sorted(p.name for p in (ws.root / "notebooks" / "course").iterdir())[:2]            # doctest: +SKIP
['00_index.ipynb', '01_plasmid_fermentation.ipynb']
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pdkit.errors import InputError
from pdkit.io.files import atomic_write_bytes, atomic_write_text

__all__ = ["WORKSPACE_FILE", "Workspace", "create_workspace", "default_workspace", "read_workspace"]

#: The file that marks a course workspace (read by the training records).
WORKSPACE_FILE = "pdkit-course.json"

_TRAINEE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class Workspace:
    """A workspace folder and what :func:`create_workspace` did to it."""

    root: Path
    trainee: str
    course_version: str
    created: bool
    added: tuple[str, ...] = field(default=())
    kept: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One paragraph: where, for whom, what was added and what was kept."""
        what = "created" if self.created else "updated"
        lines = [f"course workspace {what}: {self.root} (trainee {self.trainee}, course version {self.course_version})"]
        if self.added and not self.created:
            lines.append(f"added: {', '.join(self.added)}")
        if self.kept:
            lines.append(f"kept your copy (differs from this course version): {', '.join(self.kept)}")
        return "\n".join(lines)


def default_workspace() -> Path:
    """``$PDKIT_WORKSPACE`` or ``~/pdkit-workspace``."""
    env = os.environ.get("PDKIT_WORKSPACE")
    return Path(env).expanduser() if env else Path.home() / "pdkit-workspace"


def _course_version() -> str:
    import yaml

    from pdkit._paths import package_dir

    path = package_dir() / "course" / "course.yaml"
    if not path.is_file():
        return "unversioned"
    meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(meta.get("version", "unversioned"))


def read_workspace(folder: str | Path) -> dict | None:
    """The ``pdkit-course.json`` of ``folder`` or of the nearest folder above it; None if none."""
    here = Path(folder).resolve()
    for candidate in (here, *here.parents):
        f = candidate / WORKSPACE_FILE
        if f.is_file():
            data = json.loads(f.read_text(encoding="utf-8"))
            data["root"] = str(candidate)
            return data
    return None


def _planned_files() -> dict[str, tuple[str, Path]]:
    """Workspace-relative path -> ("notebook" | "copy", source)."""
    from pdkit._paths import course_docs_dir, notebooks_dir, samples_dir
    from pdkit.publish.execute import notebook_sources

    plan: dict[str, tuple[str, Path]] = {}
    nb_root = notebooks_dir()
    for src in notebook_sources(nb_root):
        plan[(Path("notebooks") / src.relative_to(nb_root)).with_suffix(".ipynb").as_posix()] = ("notebook", src)
    for folder, dest in ((samples_dir(), "data_samples"), (course_docs_dir(), "docs/course")):
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts and not f.name.startswith("."):
                    plan[(Path(dest) / f.relative_to(folder)).as_posix()] = ("copy", f)
    return plan


def _content(kind: str, src: Path) -> bytes:
    if kind == "copy":
        return src.read_bytes()
    import nbformat

    from pdkit.reports.nbio import read_notebook

    return nbformat.writes(read_notebook(src)).encode("utf-8") + b"\n"


def create_workspace(folder: str | Path | None = None, *, trainee: str | None = None) -> Workspace:
    """Copy the course, worked examples, sample data and primer into ``folder`` (made if missing).

    Parameters
    ----------
    folder : path, optional
        The workspace (default :func:`default_workspace`).  It must not be inside the
        installed package or the repository's ``notebooks/``.
    trainee : str, optional
        The trainee's id for the training records (letters, digits, ``. _ @ -``);
        default ``$PDKIT_TRAINEE``, then the login name.  An existing workspace keeps
        its trainee; a different ``trainee`` for it is an error.

    Raises
    ------
    InputError
        A bad trainee id, a trainee that differs from the workspace's, or a folder
        inside the installed package or the repository's sources.
    """
    from pdkit import __version__
    from pdkit._paths import notebooks_dir, package_dir

    root = Path(folder).expanduser().resolve() if folder else default_workspace().resolve()
    for protected in (package_dir(), notebooks_dir().resolve()):
        if root == protected or protected in root.parents:
            raise InputError(f"workspace {root}: inside {protected}; choose a folder of your own (e.g. ~/pdkit-workspace)")
    marker = root / WORKSPACE_FILE
    existing = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
    if existing and trainee and trainee != existing.get("trainee"):
        raise InputError(f"workspace {root} belongs to trainee {existing.get('trainee')!r}, not {trainee!r}: "
                         f"use another folder (--workspace)")
    if existing:
        who = existing.get("trainee")
    else:
        who = trainee or os.environ.get("PDKIT_TRAINEE") or _login()
    if not _TRAINEE.match(who or ""):
        raise InputError(f"trainee id {who!r}: expected 1-64 letters, digits, '.', '_', '@' or '-'")
    if root.exists() and not root.is_dir():
        raise InputError(f"workspace {root}: exists and is not a folder")
    if root.is_dir() and not existing and any(root.iterdir()):
        raise InputError(f"workspace {root}: the folder is not empty and is not a pdkit course workspace")
    version = _course_version()
    added, kept = [], []
    for rel, (kind, src) in _planned_files().items():
        target = root / rel
        data = _content(kind, src)
        if target.exists():
            if existing and target.read_bytes() != data:
                kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        added.append(rel)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = dict(existing or {"trainee": who, "created_utc": now})
    info.update(course_version=version, pdkit_version=__version__, updated_utc=now)
    atomic_write_text(marker, json.dumps(info, indent=1, sort_keys=True) + "\n")
    return Workspace(root, who, version, existing is None, tuple(added), tuple(kept))


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return "anonymous"
