"""Where the kit's templates, sample data and notebooks live.

In a source checkout (editable install) they are the repository's
``templates/``, ``data_samples/`` and ``notebooks/`` folders; in a wheel they are
shipped inside the package as ``pdkit/_templates``, ``pdkit/_data_samples``,
``pdkit/_notebooks`` and ``pdkit/_docs``.
``PDKIT_TEMPLATES`` overrides the template folder (used by tests).
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["package_dir", "kit_root", "templates_dir", "samples_dir", "notebooks_dir", "course_docs_dir"]


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def kit_root() -> Path:
    """The source checkout root if pdkit runs from one, else the package folder."""
    repo = package_dir().parent
    if (repo / "templates").is_dir() and (repo / "pyproject.toml").is_file():
        return repo
    return package_dir()


def templates_dir() -> Path:
    env = os.environ.get("PDKIT_TEMPLATES")
    if env:
        return Path(env).resolve()
    root = kit_root()
    return root / "templates" if (root / "templates").is_dir() else package_dir() / "_templates"


def samples_dir() -> Path:
    root = kit_root()
    return root / "data_samples" if (root / "data_samples").is_dir() else package_dir() / "_data_samples"


def notebooks_dir() -> Path:
    """The text notebooks (worked examples, ``course/``): the repository's or the wheel's copy."""
    root = kit_root()
    return root / "notebooks" if (root / "notebooks").is_dir() else package_dir() / "_notebooks"


def course_docs_dir() -> Path:
    """Course documents the lessons cite (``docs/course``: the primer)."""
    root = kit_root()
    return root / "docs" / "course" if (root / "docs" / "course").is_dir() else package_dir() / "_docs" / "course"
