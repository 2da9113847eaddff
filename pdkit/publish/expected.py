"""What a notebook regression test compares, kept in small JSON files beside the tests.

For every executed notebook two things are compared with the expected file
``tests/expected/notebooks/<path>.json``:

* ``checked``: the printed output (stream text and ``text/plain`` results; bokeh and
  HTML outputs are never compared) of each code cell tagged ``nbval-check-output``,
  after the sanitizers below replace timestamps, absolute paths, object ids,
  durations and bokeh ids - the same checks nbval made on committed notebooks;
* ``records``: every value recorded with :func:`pdkit.record.record`, compared as
  numbers with a relative tolerance (default 1e-9) and exactly otherwise.

``python -m pdkit.publish execute --update-expected`` rewrites the files; a reviewer
sees a change of a printed number as a one-line diff.

Examples
--------
>>> sanitize("run at 2026-12-06T03:00:00Z in /tmp/x/data_samples/a.csv, <Foo at 0x7f00aa>")
'run at TIMESTAMP in PATH/data_samples/a.csv, <Foo at 0xID>'
>>> compare({"checked": [], "records": {"k": 1.0}}, {"checked": [], "records": {"k": 1.0 + 1e-12}})
[]
>>> compare({"checked": [], "records": {"k": 1.0}}, {"checked": [], "records": {"k": 1.1}})
["record 'k': expected 1.0, got 1.1"]
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

__all__ = ["CHECK_TAG", "SANITIZERS", "checked_outputs", "compare", "expected_path", "extract", "load_expected",
           "sanitize", "write_expected"]

#: Cell tag of the cells whose printed output is compared (nbval's own tag name).
CHECK_TAG = "nbval-check-output"

#: (pattern, replacement) applied in order to every compared text.
SANITIZERS: tuple[tuple[str, str], ...] = (
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "TIMESTAMP"),
    (r"(/[\w.+-]+)+/(data_samples|notebooks|templates|tmp)/", r"PATH/\2/"),
    (r"/tmp/[\w.+-]+(/[\w.+-]+)*", "TMPPATH"),
    (r"at 0x[0-9a-fA-F]+", "at 0xID"),
    (r"(id|data-root-id|root_id|elementid)=?[\"':]+\s*\"?[0-9a-fA-F-]{8,}", "ID"),
    (r"\d+(\.\d+)? ?s(ec)?\b elapsed", "DURATION elapsed"),
)

_BOKEH_MIME = ("application/vnd.bokehjs_load.v0+json", "application/vnd.bokehjs_exec.v0+json")


def sanitize(text: str) -> str:
    """``text`` with every :data:`SANITIZERS` pattern replaced."""
    for pattern, repl in SANITIZERS:
        text = re.sub(pattern, repl, text)
    return text


def _output_text(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return "".join(output.get("text", ""))
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        if any(m in data for m in _BOKEH_MIME):
            return ""
        plain = data.get("text/plain", "")
        return "".join(plain) if isinstance(plain, list) else plain
    if kind == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return ""


def checked_outputs(nb: Any) -> list[dict[str, Any]]:
    """``[{"cell", "source", "text"}]`` for each code cell tagged :data:`CHECK_TAG`.

    ``cell`` is the cell's index among the code cells, ``source`` its first line (to
    name it in a failure), ``text`` its sanitized printed output.
    """
    out = []
    code_index = -1
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        if CHECK_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        lines = [ln for ln in cell.source.splitlines() if ln.strip()]
        out.append({"cell": code_index, "source": lines[0] if lines else "",
                    "text": sanitize("".join(_output_text(o) for o in cell.get("outputs", [])))})
    return out


def extract(nb: Any) -> dict[str, Any]:
    """The comparable content of an executed notebook: ``{"checked": [...], "records": {...}}``."""
    from pdkit.reports.record import read_records

    return {"checked": checked_outputs(nb), "records": read_records(nb)}


def expected_path(notebook: Path, notebooks_root: Path, expected_root: Path) -> Path:
    """``expected_root/<notebook path relative to notebooks_root, suffix .json>``."""
    return expected_root / notebook.resolve().relative_to(notebooks_root.resolve()).with_suffix(".json")


def load_expected(path: Path) -> dict[str, Any] | None:
    """The expected file's content, or None if there is none."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_expected(path: Path, content: dict[str, Any]) -> bool:
    """Write ``content`` (sorted keys, one value per line); return True if the file changed."""
    text = json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    from pdkit.io.files import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return True


def _compare_values(where: str, exp: Any, got: Any, rel: float, problems: list[str]) -> None:
    if isinstance(exp, bool) or isinstance(got, bool) or not (
            isinstance(exp, (int, float)) and isinstance(got, (int, float))):
        if isinstance(exp, dict) and isinstance(got, dict):
            for k in sorted(set(exp) | set(got)):
                if k not in got:
                    problems.append(f"{where}: key {k!r} missing")
                elif k not in exp:
                    problems.append(f"{where}: unexpected key {k!r}")
                else:
                    _compare_values(f"{where}[{k!r}]", exp[k], got[k], rel, problems)
        elif isinstance(exp, list) and isinstance(got, list) and len(exp) == len(got):
            for i, (e, g) in enumerate(zip(exp, got)):
                _compare_values(f"{where}[{i}]", e, g, rel, problems)
        elif exp != got:
            problems.append(f"{where}: expected {exp!r}, got {got!r}")
        return
    if not math.isclose(float(exp), float(got), rel_tol=rel, abs_tol=1e-12):
        problems.append(f"{where}: expected {exp!r}, got {got!r}")


def compare(expected: dict[str, Any], actual: dict[str, Any], *, rel: float = 1e-9) -> list[str]:
    """Differences between an expected and an actual :func:`extract`, one line each (empty: equal)."""
    problems: list[str] = []
    exp_cells = {c["cell"]: c for c in expected.get("checked", [])}
    got_cells = {c["cell"]: c for c in actual.get("checked", [])}
    for k in sorted(set(exp_cells) | set(got_cells)):
        e, g = exp_cells.get(k), got_cells.get(k)
        if e is None:
            problems.append(f"code cell {k} ({g['source']!r}) is checked but has no expected output")
        elif g is None:
            problems.append(f"code cell {k} ({e['source']!r}) has an expected output but is not checked")
        elif e["text"] != g["text"]:
            import difflib

            diff = "\n".join(difflib.unified_diff(e["text"].splitlines(), g["text"].splitlines(),
                                                  "expected", "got", lineterm="", n=1))
            problems.append(f"code cell {k} ({e['source']!r}) printed something else:\n{diff}")
    exp_rec, got_rec = expected.get("records", {}), actual.get("records", {})
    for name in sorted(set(exp_rec) | set(got_rec)):
        if name not in got_rec:
            problems.append(f"record {name!r} missing")
        elif name not in exp_rec:
            problems.append(f"record {name!r} is new (not in the expected file)")
        else:
            _compare_values(f"record {name!r}", exp_rec[name], got_rec[name], rel, problems)
    return problems
