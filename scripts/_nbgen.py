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


def template_notebook(name: str, cells: list[tuple[str, str]], id_prefix: str | None = None) -> nbformat.NotebookNode:
    """A notebook from ``(kind, source)`` pairs, kind ``"md"``, ``"code"`` or ``"parameters"``.

    Sets the python3 kernelspec, tags the ``parameters`` cell and gives every cell a stable id
    (``<id_prefix>-NN``, by default the name with dashes) so that regenerating gives the same bytes.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if kind == "parameters":
            cell.metadata["tags"] = ["parameters"]
        cell.id = f"{id_prefix or name.replace('_', '-')}-{i:02d}"
        nb.cells.append(cell)
    return nb
