"""Reading notebooks from their source: jupytext text files or ``.ipynb``.

Templates, worked examples and lessons are kept as jupytext *percent* scripts
(``.py``) or MyST Markdown (``.md``): the text file is the source of truth, and an
``.ipynb`` is only ever an executed copy.  :func:`read_notebook` returns an
``nbformat`` node from either form, so papermill, the parameter parser and the
exporters never care which one they were given.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.py").write_text('# %% [markdown]\\n# # Title\\n\\n# %% tags=["parameters"]\\nx: int = 1\\n')
>>> nb = read_notebook(folder / "t.py")
>>> [c.cell_type for c in nb.cells], nb.cells[1].metadata["tags"]
(['markdown', 'code'], ['parameters'])
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["NOTEBOOK_SUFFIXES", "TEXT_SUFFIXES", "is_notebook_source", "read_notebook", "write_text_notebook"]

#: Suffixes read as jupytext text notebooks.
TEXT_SUFFIXES = (".py", ".md")
#: Every suffix :func:`read_notebook` accepts, in the order a name is looked up.
NOTEBOOK_SUFFIXES = (".py", ".md", ".ipynb")

_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def is_notebook_source(path: str | Path) -> bool:
    """True for ``.ipynb`` files and for text files that jupytext reads as notebooks.

    A ``.py`` file counts only when it has percent cells (``# %%``), so helper
    modules beside the notebooks are not mistaken for notebooks.
    """
    p = Path(path)
    if p.suffix == ".ipynb":
        return p.is_file()
    if p.suffix not in TEXT_SUFFIXES or not p.is_file():
        return False
    head = p.read_text(encoding="utf-8", errors="replace")
    if p.suffix == ".py":
        return "\n# %%" in "\n" + head
    return "jupytext" in head[:2000] or "kernelspec" in head[:2000]


def read_notebook(path: str | Path) -> Any:
    """An ``nbformat`` v4 notebook from a jupytext text file or an ``.ipynb``.

    A text notebook without a kernelspec gets the ``python3`` one, so papermill
    and nbclient can run it as is.
    """
    import nbformat

    p = Path(path)
    if p.suffix in TEXT_SUFFIXES:
        import jupytext

        nb = jupytext.read(str(p))
        nb.metadata.setdefault("kernelspec", dict(_KERNELSPEC))
        nb.metadata.setdefault("language_info", {"name": "python"})
        nb.metadata.pop("jupytext", None)
        nb.nbformat, nb.nbformat_minor = 4, 5
        for i, cell in enumerate(nb.cells):  # stable ids: the same source gives the same notebook
            cell["id"] = f"cell-{i}"
        return nbformat.from_dict(nb)
    return nbformat.read(str(p), as_version=4)


def write_text_notebook(nb: Any, path: str | Path) -> None:
    """Write ``nb`` as a jupytext percent script (``.py``) or MyST Markdown (``.md``), outputs dropped."""
    import jupytext

    p = Path(path)
    fmt = "py:percent" if p.suffix == ".py" else "md:myst"
    jupytext.write(nb, str(p), fmt=fmt)
