"""Record named results in an executing notebook and read them back.

A small replacement for papermill's unmaintained *scrapbook* companion.  Inside a
notebook, :func:`record` displays a JSON value under pdkit's own MIME type
(``application/vnd.pdkit.record+json``) together with a readable
``text/plain`` line, so the value is stored in the notebook's outputs.  After
execution, :func:`read_records` collects every recorded value by name; tests and
batch summaries use it instead of scraping printed text.

Examples
--------
>>> import nbformat
>>> from pdkit.record import record_output, read_records
>>> nb = nbformat.v4.new_notebook()
>>> cell = nbformat.v4.new_code_cell("")
>>> cell.outputs = [record_output("shelf_life_months", 31.2)]
>>> nb.cells.append(cell)
>>> read_records(nb)
{'shelf_life_months': 31.2}
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MIME_TYPE", "record", "record_output", "read_records", "to_jsonable"]

MIME_TYPE = "application/vnd.pdkit.record+json"


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars, arrays, Series and DataFrames to plain JSON values.

    NaN and infinities become ``None`` (JSON has no NaN); DataFrames become a list
    of row records.
    """
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.reset_index().to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in list(value)]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if not math.isfinite(v) else v
    if value is None or isinstance(value, (int, str)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def record_output(name: str, value: Any) -> dict:
    """The nbformat display_data output that :func:`record` emits (for tests and tools)."""
    import nbformat

    data = {"name": str(name), "value": to_jsonable(value)}
    return nbformat.v4.new_output(
        "display_data",
        # an empty text/html keeps the record invisible in JupyterLab and HTML reports;
        # text/plain keeps it readable for tools that only show plain text
        data={MIME_TYPE: data, "text/html": "", "text/plain": f"{name} = {json.dumps(data['value'])}"},
        metadata={"pdkit": {"record": str(name)}},
    )


def record(name: str, value: Any) -> None:
    """Record ``value`` under ``name`` in the running notebook's outputs.

    Values are stored as JSON (numbers, strings, lists, dicts, tables as rows).
    Call it once per name; a later call with the same name wins when read back.
    """
    from IPython.display import display

    out = record_output(name, value)
    display(dict(out["data"]), raw=True, metadata=dict(out["metadata"]))


def read_records(notebook: str | Path | Any) -> dict[str, Any]:
    """Return ``{name: value}`` for every :func:`record` call stored in ``notebook``.

    ``notebook`` is a path to an ``.ipynb`` file or an ``nbformat`` notebook node.
    """
    if isinstance(notebook, (str, Path)):
        # plain JSON: reading records needs no schema validation of the whole notebook
        with open(notebook, encoding="utf-8") as fh:
            cells = json.load(fh).get("cells", [])
    else:
        cells = notebook.cells
    found: dict[str, Any] = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME_TYPE in data:
                payload = data[MIME_TYPE]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                found[payload["name"]] = payload["value"]
    return found
