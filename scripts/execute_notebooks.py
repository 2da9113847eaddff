"""Re-execute the committed notebooks in notebooks/ in place, deterministically.

Usage: python scripts/execute_notebooks.py [--strip-only] [NOTEBOOK ...]

Each notebook runs top to bottom in a fresh kernel (IPC transport,
PYTHONHASHSEED=0) with its own folder as working directory; cell timing metadata
is not recorded so that re-running without code changes gives the same file
except for bokeh's random ids.

BokehJS is loaded inline once per notebook; its loader output carries the same
1.3 MB bundle under two MIME types.  JupyterLab (through jupyter_bokeh) renders
``application/vnd.bokehjs_load.v0+json``, so the duplicate
``application/javascript`` copy is dropped from committed notebooks
(``--strip-only`` does just that, without executing, and merges stream outputs that a loaded
kernel split into several messages).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


BOKEH_LOAD = "application/vnd.bokehjs_load.v0+json"


def strip_duplicate_bokehjs(nb) -> int:
    """Drop the application/javascript copy of BokehJS from loader outputs; return bytes saved."""
    saved = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if BOKEH_LOAD in data and "application/javascript" in data:
                saved += len(data.pop("application/javascript"))
    return saved


def coalesce_streams(nb) -> int:
    """Merge consecutive stream outputs of the same stream (stdout/stderr) in every cell.

    A kernel may deliver one ``print`` as several stream messages (the text, then its newline)
    when the machine is loaded; merged, the committed outputs do not depend on timing.
    Returns the number of outputs merged away.
    """
    merged = 0
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for out in outputs:
            prev = kept[-1] if kept else None
            if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                    and prev.get("name") == out.get("name")):
                prev["text"] = "".join(prev["text"]) + "".join(out["text"])
                merged += 1
            else:
                kept.append(out)
        cell.outputs = kept
    return merged


def execute(path: Path) -> None:
    from pdkit._kernel import kernel_manager_class

    nb = nbformat.read(str(path), as_version=4)
    with kernel_manager_class(blas_threads=1) as km_class:
        client = NotebookClient(
            nb, kernel_name="python3", timeout=600, record_timing=False,
            resources={"metadata": {"path": str(path.parent)}}, kernel_manager_class=km_class,
        )
        client.execute()
    nb.metadata.pop("papermill", None)
    strip_duplicate_bokehjs(nb)
    coalesce_streams(nb)
    nbformat.write(nb, str(path))


def main(argv: list[str]) -> int:
    strip_only = "--strip-only" in argv
    argv = [a for a in argv if a != "--strip-only"]
    paths = [Path(a) for a in argv] or sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb")
                                               if ".ipynb_checkpoints" not in p.parts)
    for p in paths:
        if strip_only:
            nb = nbformat.read(str(p), as_version=4)
            if strip_duplicate_bokehjs(nb) + coalesce_streams(nb):
                nbformat.write(nb, str(p))
            continue
        print(f"executing {p.relative_to(ROOT) if p.is_absolute() else p}", flush=True)
        execute(p.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
