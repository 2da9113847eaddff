"""Execute text notebooks in a fresh kernel, with a jupyter-cache database in front.

A notebook is identified in the cache by its code cells and its kernelspec
(jupyter-cache's own hash).  pdkit adds to the kernelspec one key,
``pdkit_inputs``, the SHA-256 of everything else an execution depends on - the
pdkit package sources, the sample data and the locked package versions - so a
change to the library re-runs every notebook, and a change to one notebook re-runs
only that one.

Each notebook runs top to bottom with its own folder as working directory, in a
kernel started by :func:`pdkit.reports.kernels.kernel_manager_class` (IPC transport,
``PYTHONHASHSEED=0``, one BLAS thread), so numbers do not depend on the machine's
load.  Cell timings are not recorded and split stream messages are merged.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "nb.py").write_text("# %%\\nprint(6 * 7)\\n")
>>> nb = execute_notebook(folder / "nb.py")                              # doctest: +SKIP
>>> nb.cells[0].outputs[0].text                                          # doctest: +SKIP
'42\\n'
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "BOKEH_LOAD_MIME",
    "ExecutedNotebook",
    "NotebookExecutionError",
    "coalesce_streams",
    "default_cache_dir",
    "execute_notebook",
    "inputs_digest",
    "notebook_sources",
    "strip_duplicate_bokehjs",
]

BOKEH_LOAD_MIME = "application/vnd.bokehjs_load.v0+json"


class NotebookExecutionError(RuntimeError):
    """A notebook cell raised; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class ExecutedNotebook:
    """An executed notebook and where it came from."""

    path: Path
    notebook: Any
    from_cache: bool


def notebook_sources(root: Path) -> list[Path]:
    """The text notebooks under ``root`` (worked examples and lessons), sorted.

    Folders whose name starts with ``.`` or ``_`` and ``solutions`` folders are skipped.
    """
    from pdkit.reports.nbio import is_notebook_source

    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith((".", "_")) for part in rel.parts) or "solutions" in rel.parts:
            continue
        if p.suffix in (".py", ".md") and p.name != "conftest.py" and is_notebook_source(p):
            out.append(p)
    return out


def _files_digest(h: "hashlib._Hash", files: Iterable[Path], base: Path) -> None:
    for f in sorted(files):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(base)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())


def inputs_digest() -> str:
    """SHA-256 over the pdkit package files, the sample data and the installed package versions."""
    from importlib import metadata

    from pdkit._paths import package_dir, samples_dir

    h = hashlib.sha256()
    pkg = package_dir()
    _files_digest(h, (p for p in pkg.rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".json", ".j2", ".js")), pkg)
    samples = samples_dir()
    if samples.is_dir():
        _files_digest(h, samples.rglob("*"), samples)
    for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                       if d.metadata["Name"]):
        h.update(dist.encode())
    return h.hexdigest()


def default_cache_dir() -> Path:
    """``build/jupyter_cache`` in a source checkout, else ``$PDKIT_HOME/jupyter_cache``."""
    from pdkit._paths import kit_root, package_dir

    root = kit_root()
    if root != package_dir():
        return root / "build" / "jupyter_cache"
    home = Path(os.environ.get("PDKIT_HOME", Path.home() / ".pdkit"))
    return home / "jupyter_cache"


def strip_duplicate_bokehjs(nb: Any) -> int:
    """Drop the ``application/javascript`` copy of BokehJS from loader outputs; return bytes saved.

    ``output_notebook`` publishes the 1.3 MB bundle under two MIME types; JupyterLab
    (jupyter_bokeh) renders ``application/vnd.bokehjs_load.v0+json``.
    """
    saved = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if BOKEH_LOAD_MIME in data and "application/javascript" in data:
                saved += len(data.pop("application/javascript"))
    return saved


def coalesce_streams(nb: Any) -> int:
    """Merge consecutive outputs of the same stream in every cell; return how many were merged.

    A loaded kernel may deliver one ``print`` as several stream messages; merged, the
    outputs do not depend on timing.
    """
    merged = 0
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept: list = []
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


def _first_error(nb: Any) -> str | None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return f"cell {i} ({first[:60]!r}): {out.get('ename')}: {out.get('evalue')}"
    return None


def _run(nb: Any, cwd: Path, timeout: int) -> None:
    from pdkit.reports.kernels import kernel_manager_class

    # executions for regression, cache and site never write training records
    previous = os.environ.get("PDKIT_COURSE_RECORDS")
    os.environ["PDKIT_COURSE_RECORDS"] = "off"
    try:
        _run_client(nb, cwd, timeout, km=kernel_manager_class)
    finally:
        if previous is None:
            os.environ.pop("PDKIT_COURSE_RECORDS", None)
        else:
            os.environ["PDKIT_COURSE_RECORDS"] = previous


def _run_client(nb: Any, cwd: Path, timeout: int, *, km: Any) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    with km(blas_threads=1) as km_class:
        client = NotebookClient(nb, kernel_name="python3", timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": str(cwd)}}, kernel_manager_class=km_class)
        try:
            client.execute()
        except CellExecutionError:
            pass  # reported below from the error output, with the cell


def execute_notebook(path: str | Path, *, cache: bool | str | Path = False, timeout: int = 600,
                     digest: str | None = None) -> ExecutedNotebook:
    """Execute the notebook at ``path`` (text or ``.ipynb``), or take it from the cache.

    Parameters
    ----------
    path : str or Path
        A jupytext text notebook (``.py``/``.md``) or an ``.ipynb``.
    cache : bool or path
        False: always execute.  True: use :func:`default_cache_dir`; a path: that
        jupyter-cache folder.  A successful execution is stored; a failed one is not.
    timeout : int
        Seconds allowed per cell.
    digest : str, optional
        :func:`inputs_digest`, when the caller has computed it already.

    Raises
    ------
    NotebookExecutionError
        A cell raised: the message names the notebook and the cell.
    """
    import nbformat

    from pdkit.reports.nbio import read_notebook

    path = Path(path).resolve()
    nb = read_notebook(path)
    nb.metadata["kernelspec"]["pdkit_inputs"] = digest or inputs_digest()
    jcache = None
    if cache:
        from jupyter_cache import get_cache

        folder = default_cache_dir() if cache is True else Path(cache)
        folder.mkdir(parents=True, exist_ok=True)
        jcache = get_cache(str(folder))
        try:
            _, merged = jcache.merge_match_into_notebook(nb)
        except KeyError:
            merged = None
        if merged is not None:
            merged.metadata["kernelspec"].pop("pdkit_inputs", None)
            return ExecutedNotebook(path, nbformat.from_dict(merged), True)
    _run(nb, path.parent, timeout)
    coalesce_streams(nb)  # BokehJS stays in both forms: the static site renders application/javascript
    error = _first_error(nb)
    if error:
        raise NotebookExecutionError(f"{path}: {error}")
    if jcache is not None:
        from jupyter_cache.cache.main import CacheBundleIn

        jcache.cache_notebook_bundle(CacheBundleIn(nb, str(path)), check_validity=False, overwrite=True)
    nb.metadata["kernelspec"].pop("pdkit_inputs", None)
    return ExecutedNotebook(path, nb, False)
