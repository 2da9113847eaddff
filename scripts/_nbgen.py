"""Shared command line of the scripts that generate templates and notebooks.

Each generator defines ``build()`` returning an ``nbformat`` notebook and calls
:func:`write_notebook` from its ``main``; ``--out`` writes elsewhere (used to check that a
generator reproduces the committed file).
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def write_notebook(build: Callable[[], nbformat.NotebookNode], default_out: Path, description: str,
                   argv: list[str] | None = None) -> Path:
    """Parse ``--out``, build, validate and write the notebook; return its path."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", type=Path, default=default_out)
    args = ap.parse_args(argv)
    nb = build()
    nbformat.validate(nb)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(args.out))
    print(f"wrote {args.out}")
    return args.out
