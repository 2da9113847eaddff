"""Where the kit's templates, sample data and notebooks live.

In a source checkout (editable install) they are the repository's
``templates/``, ``data_samples/`` and ``notebooks/`` folders; in a wheel they are
shipped inside the package as ``pdkit/_templates`` and ``pdkit/_data_samples``.
``PDKIT_TEMPLATES`` overrides the template folder (used by tests).
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["package_dir", "kit_root", "templates_dir", "samples_dir", "notebooks_dir"]


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
    return kit_root() / "notebooks"
