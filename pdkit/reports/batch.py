"""``pdkit batch``: one report per row of a parameter grid, in parallel, locally or on Dask.

::

    pdkit batch TEMPLATE --grid GRID.csv -o OUTDIR [--workers N] [--scheduler ADDRESS]

Grid file
---------
* **CSV**: one column per template parameter and one row per report.  Cells are
  text and are parsed by each parameter's annotation, exactly like ``pdkit run -p``.
  An empty cell means "not given" (the template's default applies); write
  ``None`` for an explicit None.  An optional ``report_id`` column names each
  report's sub-folder; without it the ids are ``row-001``, ``row-002``, ...
* **YAML** (``.yaml``/``.yml``): a list of mappings ``name: value``; the values are
  typed (``0.1`` is a float, ``[1, 2]`` a list).  A mapping may hold ``report_id``.

Row numbers in messages count data rows from 1 (the first row below a CSV header,
or the first item of a YAML list).  Relative file paths in the grid resolve against
the **grid file's folder** (a path that does not exist there and starts with
``data_samples/`` falls back to the kit's sample folder, as for ``pdkit run``).

Every row is validated with :func:`pdkit.runner.prepare_run` before anything
runs.  Any invalid row (or a duplicate/unsafe report id) is an
:class:`~pdkit.errors.InputError` - exit 2 with one line per bad row naming the
grid file, the row and the problem - and nothing is written.

Execution
---------
Each report runs in its own Python process (``run_report`` with the report's
validated parameters in ``OUTDIR/params/<report_id>-<hash>.yaml``, named by a hash of
their content so that a file a manifest records as an input is never rewritten), so a report whose kernel dies or whose process is killed
is marked failed with the reason and the others carry on.  Locally at most
``--workers`` reports (default: the number of CPUs) run at once; with more than
one worker the BLAS threads of each kernel are capped at 1.  Each report's
console output goes to ``OUTDIR/logs/<report_id>.log`` (outside the report
folder, whose new files the runner hashes as outputs).

With ``--scheduler tcp://HOST:PORT`` (or the ``PDKIT_DASK_SCHEDULER``
environment variable) the same reports are submitted to an existing Dask
cluster through :class:`distributed.Client`, one task per report
(``pure=False``).  A task that errors because its worker died - the scheduler's
``KilledWorker`` after its own ``allowed-failures`` reschedules, or a lost
connection - is resubmitted up to ``--retries`` times, then marked failed with
the reason; a report that merely fails is not retried.  The workers need pdkit installed and must see ``OUTDIR``,
the template and the data at the same paths (a shared file system).

Summary and re-runs
-------------------
``OUTDIR/summary.csv`` and ``OUTDIR/summary.html`` (written atomically) list per
report: ``row``, ``report_id``, ``status`` (``succeeded``/``failed``/``skipped``),
``duration_s`` (0 for a skipped report), ``output`` (the HTML report, relative
to ``OUTDIR``), ``error``, ``worker`` (``local:<pid>`` or the Dask worker's
address) and then every number the reports recorded with
:func:`pdkit.record.record`, one column per name (lists and tables as JSON).
The exit code is 0 when every report succeeded or was skipped, 1 otherwise.

``summary.csv`` passes every text cell through :func:`pdkit.escape.spreadsheet_frame`
(a cell starting with ``=``, ``+``, ``-``, ``@`` gets a leading apostrophe so no
spreadsheet evaluates it); ``summary.html`` escapes every cell.

Running the same command again skips each report whose manifest says
``succeeded``, whose parameters equal the row's validated parameters, whose
template is the same file, and which :func:`pdkit.provenance.verify` finds
unchanged; failed, missing or changed reports are redone.  ``--force`` redoes all.
A report folder that is redone is first moved aside, whole, to
``OUTDIR/<report_id>.superseded-<UTC time>`` (see :func:`pdkit.runner.claim_output_folder`),
so a report folder only ever holds one run.  ``--reason`` is recorded in every
report's manifest; ``--pdf``/``--paper`` convert each report's HTML outputs to PDF.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "grid.csv").write_text("report_id,alpha\\nlow,0.01\\nhigh,0.1\\n")
>>> [(r.row, r.report_id, r.parameters) for r in read_grid(d / "grid.csv")]
[(1, 'low', {'alpha': '0.01'}), (2, 'high', {'alpha': '0.1'})]
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import click

from pdkit.clikit import CONTEXT, fail
from pdkit.errors import InputError

__all__ = [
    "GridRow",
    "PreparedReport",
    "ReportOutcome",
    "BatchResult",
    "BatchGridError",
    "SUMMARY_COLUMNS",
    "read_grid",
    "validate_grid",
    "run_batch",
    "batch_command",
]

SUMMARY_COLUMNS = ("row", "report_id", "status", "duration_s", "output", "error", "worker")
REPORT_ID_COLUMN = "report_id"
_RESERVED_IDS = {"logs", "params", "summary.csv", "summary.html"}
_SUPERSEDED = ".superseded-"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NONE_TEXT = {"none", "null", "~"}
#: how long an interrupted batch waits for a report process to record its failure before killing it
_TERMINATE_WAIT_S = 30.0


class BatchGridError(InputError):
    """An invalid grid; ``problems`` holds one line per bad row (the message joins them)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class GridRow:
    """One row of a grid file as given (values are text for CSV, typed for YAML)."""

    row: int
    report_id: str
    parameters: Mapping[str, Any]
    strings: bool


@dataclass(frozen=True)
class PreparedReport:
    """A validated grid row: the template, the report id and the validated parameters."""

    row: int
    report_id: str
    template: Path
    values: Mapping[str, Any]


@dataclass(frozen=True)
class ReportOutcome:
    """What happened to one report of a batch."""

    row: int
    report_id: str
    status: str  # "succeeded" | "failed" | "skipped"
    duration_s: float
    output: str | None  # HTML report relative to the batch folder
    error: str | None
    worker: str | None
    records: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    """Outcome of a batch: one :class:`ReportOutcome` per grid row and the summary files."""

    outdir: Path
    reports: tuple[ReportOutcome, ...]
    summary_csv: Path
    summary_html: Path

    @property
    def failed(self) -> list[ReportOutcome]:
        return [r for r in self.reports if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every report succeeded or was skipped, 1 when any failed."""
        return 1 if self.failed else 0

    def summary(self):
        """The summary table as a pandas DataFrame (as written to ``summary.csv``)."""
        return _summary_frame(self.reports)


# ---------------------------------------------------------------- grid


def _default_id(row: int, n_rows: int) -> str:
    return f"row-{row:0{max(3, len(str(n_rows)))}d}"


def _check_ids(rows: list[GridRow], name: str) -> None:
    problems = []
    seen: dict[str, int] = {}
    for r in rows:
        rid = r.report_id
        if not _SAFE_ID.match(rid) or rid in _RESERVED_IDS or _SUPERSEDED in rid:
            problems.append(
                f"{name}, row {r.row}: column '{REPORT_ID_COLUMN}': got {rid!r}, expected a folder name of letters, "
                f"digits, '.', '_' or '-' (not starting with '.' or '-', without '{_SUPERSEDED}', "
                f"and not {', '.join(sorted(_RESERVED_IDS))})"
            )
        elif rid in seen:
            problems.append(f"{name}, row {r.row}: column '{REPORT_ID_COLUMN}': duplicate report id {rid!r} "
                            f"(also row {seen[rid]})")
        else:
            seen[rid] = r.row
    if problems:
        raise BatchGridError(problems)


def _read_csv_grid(path: Path, name: str) -> list[GridRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BatchGridError([f"{name}: not a UTF-8 text file"]) from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or not any(cell.strip() for cell in records[0]):
        raise BatchGridError([f"{name}: empty grid, expected a header row of parameter names"])
    header = [h.strip() for h in records[0]]
    problems = []
    for i, h in enumerate(header, start=1):
        if not h:
            problems.append(f"{name}: column {i} has an empty name, expected a parameter name")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems.append(f"{name}: column(s) {', '.join(repr(d) for d in dupes)} appear more than once")
    if problems:
        raise BatchGridError(problems)
    body = records[1:]
    while body and not any(c.strip() for c in body[-1]):  # trailing blank lines
        body.pop()
    if not body:
        raise BatchGridError([f"{name}: no data rows, expected one row per report"])
    n = len(body)
    rows: list[GridRow] = []
    for i, cells in enumerate(body, start=1):
        if not any(c.strip() for c in cells):
            problems.append(f"{name}, row {i}: blank row, expected parameter values")
            continue
        if len(cells) > len(header):
            problems.append(f"{name}, row {i}: {len(cells)} cells but the header has {len(header)} columns")
            continue
        cells = cells + [""] * (len(header) - len(cells))
        given = {h: c for h, c in zip(header, cells) if c.strip() != ""}
        rid = given.pop(REPORT_ID_COLUMN, None)
        if REPORT_ID_COLUMN in header and rid is None:
            problems.append(f"{name}, row {i}: column '{REPORT_ID_COLUMN}': value is missing, expected a report id")
            continue
        rows.append(GridRow(i, rid.strip() if rid is not None else _default_id(i, n), given, True))
    if problems:
        raise BatchGridError(problems)
    return rows


def _read_yaml_grid(path: Path, name: str) -> list[GridRow]:
    import yaml

    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BatchGridError([f"{name}: not valid YAML ({first})"]) from None
    if not isinstance(content, list) or not content:
        got = "an empty file" if content is None else type(content).__name__
        raise BatchGridError([f"{name}: expected a non-empty list of mappings (one per report), got {got}"])
    problems: list[str] = []
    rows: list[GridRow] = []
    n = len(content)
    for i, item in enumerate(content, start=1):
        if not isinstance(item, dict):
            problems.append(f"{name}, row {i}: expected a mapping of parameter: value, got {type(item).__name__}")
            continue
        given = {str(k): v for k, v in item.items()}
        rid = given.pop(REPORT_ID_COLUMN, None)
        if REPORT_ID_COLUMN in item and (rid is None or str(rid).strip() == ""):
            problems.append(f"{name}, row {i}: '{REPORT_ID_COLUMN}' is empty, expected a report id")
            continue
        rows.append(GridRow(i, str(rid).strip() if rid is not None else _default_id(i, n), given, False))
    if problems:
        raise BatchGridError(problems)
    return rows


def read_grid(grid: str | Path) -> list[GridRow]:
    """Read a grid file (CSV or YAML) into :class:`GridRow` objects, checking report ids.

    Parameters
    ----------
    grid : str or Path
        ``.csv`` (text cells, optional ``report_id`` column) or ``.yaml``/``.yml``
        (a list of mappings, typed values).

    Returns
    -------
    list of GridRow
        In file order; ``row`` is the 1-based data row.

    Raises
    ------
    BatchGridError
        Missing/unreadable file, bad header, blank or ragged rows, duplicate or unsafe
        report ids; the message has one line per problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "grid.yaml"
    >>> _ = p.write_text("- {alpha: 0.01}\\n- {alpha: 0.1, report_id: high}\\n")
    >>> [(r.report_id, r.parameters) for r in read_grid(p)]
    [('row-001', {'alpha': 0.01}), ('high', {'alpha': 0.1})]
    """
    path = Path(grid)
    name = str(grid)
    if not path.is_file():
        raise BatchGridError([f"grid file '{name}' does not exist" if not path.exists()
                              else f"grid file '{name}' is not a file"])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _read_csv_grid(path, name)
    elif suffix in (".yaml", ".yml"):
        rows = _read_yaml_grid(path, name)
    else:
        raise BatchGridError([f"grid file '{name}': expected a .csv or .yaml/.yml file, got '{suffix or '(none)'}'"])
    _check_ids(rows, name)
    return rows


def _resolve_grid_paths(given: Mapping[str, Any], specs: list, grid_dir: Path) -> dict[str, Any]:
    """Make relative file-parameter paths absolute against the grid's folder."""
    out = dict(given)
    for spec in specs:
        value = out.get(spec.name)
        if spec.file is None or not isinstance(value, str):
            continue
        text = value.strip()
        if not text or text.lower() in _NONE_TEXT:
            continue
        p = Path(text).expanduser()
        if p.is_absolute():
            continue
        candidate = (grid_dir / p).resolve()
        if candidate.exists() or not (p.parts and p.parts[0] == "data_samples"):
            out[spec.name] = str(candidate)
    return out


def validate_grid(template: str, grid: str | Path, outdir: str | Path | None = None) -> list[PreparedReport]:
    """Read ``grid`` and validate every row for ``template`` without running anything.

    Parameters
    ----------
    template : str
        A template name or a path to a template ``.ipynb``.
    grid : str or Path
        The grid file (see :func:`read_grid`).
    outdir : str or Path, optional
        The batch folder: output-path parameters are checked against each report's
        folder ``outdir/<report_id>`` (see :func:`pdkit.runner.check_output_paths`).

    Returns
    -------
    list of PreparedReport
        One per row, with the validated parameters (file parameters as absolute paths).

    Raises
    ------
    BatchGridError
        One line per bad row, e.g. ``grid.csv, row 3: parameter 'alpha': got 0.7,
        expected a float in (0, 0.5]``.
    pdkit.errors.ParameterError
        Unknown template.
    """
    from pdkit.reports.params import find_template, parse_parameters
    from pdkit.reports.runner import prepare_run

    tpl = find_template(template)
    specs = parse_parameters(tpl)
    rows = read_grid(grid)
    name = str(grid)
    known = {s.name for s in specs}
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r.parameters if k not in columns]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise BatchGridError([
            f"{name}, column '{c}': not a parameter of template '{tpl.stem}' (known: {', '.join(sorted(known))})"
            for c in unknown
        ])
    grid_dir = Path(grid).resolve().parent
    prepared: list[PreparedReport] = []
    problems: list[str] = []
    for r in rows:
        given = _resolve_grid_paths(r.parameters, specs, grid_dir)
        try:
            _, _, values, _ = prepare_run(str(tpl), given, strings=r.strings,
                                          output_dir=None if outdir is None else Path(outdir) / r.report_id)
        except InputError as exc:
            problems.append(f"{name}, row {r.row}: {exc}")
            continue
        prepared.append(PreparedReport(r.row, r.report_id, tpl, values))
    if problems:
        raise BatchGridError(problems)
    return prepared


# ---------------------------------------------------------------- one report


def _jsonable(values: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(dict(values), default=str))


def _is_up_to_date(report: PreparedReport, folder: Path) -> bool:
    """True when ``folder`` holds a verified, succeeded run of the same template and parameters."""
    from pdkit.reports.provenance import verify

    manifest = folder / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("status") != "succeeded":
        return False
    if data.get("template") != report.template.stem or data.get("parameters") != _jsonable(report.values):
        return False
    tpl_inputs = [i.get("path") for i in data.get("inputs", [])
                  if isinstance(i, dict) and i.get("parameter") == "(template)"]
    if tpl_inputs != [str(report.template)]:
        return False
    return verify(folder) == []


def _report_command(job: Mapping[str, Any]) -> list[str]:
    """The command that runs one report in a fresh Python process."""
    code = ("import sys\nfrom pdkit.reports.startup import fast_imports\nfast_imports()\n"
            "from pdkit.batch import _run_one_main\nsys.exit(_run_one_main(sys.argv[1]))")
    return [sys.executable, "-c", code, json.dumps(dict(job))]


def _run_one_main(job_json: str) -> int:
    """Entry point of a report process: run one report and print its outcome (exit 0/1/2)."""
    from pdkit.reports.runner import DiskFullError, run_report

    job = json.loads(job_json)
    try:
        # the batch decided this report must be (re)done: an earlier run in its folder is moved aside
        result = run_report(job["template"], None, job["outdir"], param_file=job["params_file"], strings=False,
                            show_code=job.get("show_code", False), timeout=job.get("timeout"),
                            blas_threads=job.get("blas_threads"), force=True, reason=job.get("reason"),
                            pdf=job.get("pdf", False), paper=job.get("paper", "A4"))
    except InputError as exc:
        print(f"pdkit: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except DiskFullError as exc:
        print(f"pdkit: error: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"status: {result.status}" + (f" ({result.error})" if result.error else ""), flush=True)
    print(f"manifest: {result.manifest}", flush=True)
    return result.exit_code


def _last_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    lines = [ln for ln in lines if not ln.startswith("pdkit batch:")]
    return lines[-1] if lines else ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


#: report processes running on this machine (local execution), for an interrupted batch to stop
_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


def _terminate_running() -> None:
    """SIGTERM every local report process: each ends as failed with its manifest (see pdkit.runner)."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for proc in procs:
        if proc.poll() is None:
            try:
                proc.terminate()
            except ProcessLookupError:
                pass


def _identity(path: Path) -> tuple[int, int] | None:
    """(inode, mtime) of a file, None if missing: tells a fresh manifest from an earlier run's."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _execute_one(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run one report in its own process; never raises for a report failure.

    Returns ``{status, error, duration_s, worker}``; the status is read from the
    report's fresh manifest, or is ``failed`` with the reason when the process was
    killed or ended without one.
    """
    from pdkit.reports.provenance import utc_now

    outdir = Path(job["outdir"])
    log_path = Path(job["log"])
    manifest = outdir / "manifest.json"
    # the runner moves an earlier run aside; its manifest must not pass for this run's outcome
    stale = _identity(manifest)
    t0 = time.perf_counter()
    worker = f"local:{os.getpid()}"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(f"pdkit batch: report {job['report_id']} (grid row {job['row']}) started {utc_now()} "
                      f"on {socket.gethostname()}\n")
            log.flush()
            proc = subprocess.Popen(_report_command(job), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, cwd=str(outdir.parent))
            worker = f"local:{proc.pid}"
            with _RUNNING_LOCK:
                _RUNNING.add(proc)
            try:
                code = proc.wait()
            except BaseException:  # interrupted: stop the report so it records the failure, then make sure
                proc.terminate()
                try:
                    proc.wait(timeout=_TERMINATE_WAIT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(proc)
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"pdkit batch: finished {utc_now()} with exit code {code}\n")
    except OSError as exc:
        return {"status": "failed", "error": f"could not start the report process: {exc}",
                "duration_s": time.perf_counter() - t0, "worker": worker}
    duration = time.perf_counter() - t0
    data: dict[str, Any] = {}
    if _identity(manifest) != stale:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
    if not isinstance(data, dict):
        data = {}
    if code < 0:
        error = f"the report process was killed ({_signal_name(-code)})"
        if data.get("error"):
            error += f"; {data['error']}"
        return {"status": "failed", "error": error, "duration_s": duration, "worker": worker}
    if data.get("status") == "succeeded" and code == 0:
        return {"status": "succeeded", "error": None, "duration_s": duration, "worker": worker}
    error = data.get("error") or f"exit code {code}: {_last_line(log_path) or 'no output'}"
    return {"status": "failed", "error": str(error), "duration_s": duration, "worker": worker}


def _execute_on_dask_worker(job: Mapping[str, Any]) -> dict[str, Any]:
    """Dask task: run one report on this worker and name the worker in the outcome."""
    out = _execute_one(job)
    try:
        from distributed import get_worker

        out["worker"] = get_worker().address
    except (ImportError, ValueError):
        pass
    return out


# ---------------------------------------------------------------- summary


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value)


def _summary_frame(reports) -> Any:
    import pandas as pd

    record_names: list[str] = []
    for r in reports:
        record_names += [k for k in r.records if k not in record_names]
    rename = {k: (f"record_{k}" if k in SUMMARY_COLUMNS else k) for k in record_names}
    rows = []
    for r in reports:
        row = {"row": r.row, "report_id": r.report_id, "status": r.status, "duration_s": round(r.duration_s, 3),
               "output": r.output, "error": r.error, "worker": r.worker}
        for k in record_names:
            row[rename[k]] = _cell(r.records.get(k))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS) + [rename[k] for k in record_names])


def _summary_csv(frame) -> str:
    """``summary.csv`` text: no cell can start a spreadsheet formula."""
    from pdkit.escape import spreadsheet_frame

    return spreadsheet_frame(frame).to_csv(index=False)


def _summary_html(frame, template: str, created_utc: str) -> str:
    """``summary.html``: the summary table as a page, from ``templates/batch_summary.html.j2`` (all escaped)."""
    from pdkit.reports.pages import render

    rows = []
    for rec in frame.to_dict(orient="records"):
        cells = []
        for col, value in rec.items():
            if value is None or (isinstance(value, float) and value != value):
                text = ""
            elif isinstance(value, float):
                text = f"{value:.6g}"
            else:
                text = str(value)
            cells.append({"text": text,
                          "href": value if col == "output" and text else None,
                          "css_class": ("" if value is None else value) if col == "status" else None})
        rows.append(cells)
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    tally = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("succeeded", "skipped", "failed"))
    return render("batch_summary.html.j2", template=template, n_reports=len(frame), tally=tally,
                  created_utc=created_utc, columns=[str(c) for c in frame.columns], rows=rows)


def _outcome(report: PreparedReport, outdir: Path, status: str, duration: float, error: str | None,
             worker: str | None) -> ReportOutcome:
    from pdkit.reports.record import read_records

    folder = outdir / report.report_id
    notebook = folder / f"{report.template.stem}.ipynb"
    html_path = folder / f"{report.template.stem}.html"
    records: dict[str, Any] = {}
    if notebook.is_file():
        try:
            records = read_records(notebook)
        except Exception:  # an unreadable notebook leaves the numbers empty, the status says why
            records = {}
    output = str(html_path.relative_to(outdir)) if html_path.is_file() and status != "failed" else None
    return ReportOutcome(report.row, report.report_id, status, float(duration), output, error, worker, records)


# ---------------------------------------------------------------- batch


def _write_params(folder: Path, report_id: str, values: Mapping[str, Any]) -> Path:
    """Write a report's parameters to ``folder/<report_id>-<hash>.yaml`` (once) and return the path.

    The name carries a hash of the content, so the file an earlier (possibly
    superseded) run's manifest records as its input is never rewritten.
    """
    import hashlib

    import yaml

    from pdkit.io.files import atomic_write_text

    text = yaml.safe_dump(_jsonable(values), sort_keys=False, allow_unicode=True)
    path = folder / f"{report_id}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}.yaml"
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        atomic_write_text(path, text)
    return path


def _connect(scheduler: str, timeout: float):
    """A :class:`distributed.Client` for ``scheduler``, or an InputError naming it."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs the 'distributed' package (pip install distributed)") from None
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"--scheduler '{scheduler}': cannot connect to the Dask scheduler ({first})") from None


def _run_dask(jobs: list[dict], client, retries: int, on_done: Callable[[dict, dict], None]) -> None:
    """Submit one task per job to the Dask cluster; resubmit a task that errored (worker died)."""
    from distributed import as_completed as dask_as_completed

    def submit(job: dict):
        return client.submit(_execute_on_dask_worker, job, pure=False,
                             key=f"pdkit-batch-{job['report_id']}-{time.time_ns()}")

    job_of = {}
    attempts = {job["report_id"]: 1 for job in jobs}
    futures = []
    for job in jobs:
        fut = submit(job)
        job_of[fut.key] = job
        futures.append(fut)
    pending = dask_as_completed(futures, loop=client.loop)
    for fut in pending:
        job = job_of.pop(fut.key)
        if fut.status == "finished":
            on_done(job, fut.result())
            continue
        try:
            exc: BaseException = fut.exception()
        except BaseException as err:  # e.g. a cancelled future
            exc = err
        try:
            reason = f"{type(exc).__name__}: {exc}"
        except Exception:  # an exception whose str() fails
            reason = type(exc).__name__
        rid = job["report_id"]
        if attempts[rid] <= retries:
            attempts[rid] += 1
            new = submit(job)
            job_of[new.key] = job
            pending.add(new)
            continue
        on_done(job, {"status": "failed", "duration_s": 0.0, "worker": None,
                      "error": f"the Dask task failed {attempts[rid]} time(s): {reason}"})


def run_batch(
    template: str,
    grid: str | Path,
    outdir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 2,
    force: bool = False,
    progress: bool = True,
    timeout: int | None = None,
    show_code: bool = False,
    connect_timeout: float = 30.0,
    reason: str | None = None,
    pdf: bool = False,
    paper: str = "A4",
) -> BatchResult:
    """Run ``template`` once per grid row and write the batch summary.

    Parameters
    ----------
    template : str
        Template name or path to a template ``.ipynb``.
    grid : str or Path
        CSV or YAML grid (see the module docstring).
    outdir : str or Path
        Batch folder: ``<report_id>/`` per report, ``logs/``, ``params/``, ``summary.csv``, ``summary.html``.
    workers : int, optional
        Reports run at once locally (default ``os.cpu_count()``); ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); run the reports on its workers.
    retries : int
        Dask only: resubmissions of a report whose task failed because its worker died.
    force : bool
        Redo every report, even those that are up to date (a report folder that is
        redone is always moved aside first, to ``<report_id>.superseded-<UTC time>``).
    progress : bool
        Show a progress bar on stderr.
    timeout : int, optional
        Per-cell timeout in seconds for each report.
    show_code : bool
        Keep code cells in the HTML reports.
    connect_timeout : float
        Seconds to wait for the Dask scheduler.
    reason : str, optional
        Why the batch is run; recorded in every report's manifest.
    pdf, paper : bool, str
        Convert each report's HTML outputs to PDF (``"A4"`` or ``"Letter"``).

    Returns
    -------
    BatchResult
        ``exit_code`` is 0 when every report succeeded or was skipped, else 1.

    Raises
    ------
    BatchGridError
        An invalid grid (nothing is written).
    pdkit.errors.InputError
        Unknown template, bad options, or an unreachable scheduler.

    Examples
    --------
    >>> result = run_batch("stability_shelf_life", "grid.csv", "batch-out", workers=2)  # doctest: +SKIP
    >>> result.summary()[["report_id", "status"]]  # doctest: +SKIP
    """
    from tqdm import tqdm

    from pdkit.io.files import atomic_write_text
    from pdkit.reports.provenance import utc_now

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"parameter 'workers': got {workers!r}, expected an integer >= 1")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError(f"parameter 'retries': got {retries!r}, expected an integer >= 0")
    from pdkit.reports.runner import PAPER_SIZES, disk_full_guard, require_pdf

    out = Path(outdir).resolve()
    prepared = validate_grid(template, grid, out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder '{outdir}' exists and is not a folder")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise InputError(f"--reason: got {reason!r}, expected a text saying why the reports are run")
    if str(paper).lower() not in {p.lower() for p in PAPER_SIZES}:
        raise InputError(f"--paper: got {paper!r}, expected one of {', '.join(PAPER_SIZES)}")
    if pdf:
        require_pdf()  # chromium missing: one line, before anything is written
    n_workers = workers or os.cpu_count() or 1
    blas = 1 if (scheduler or n_workers > 1) else None
    client = _connect(scheduler, connect_timeout) if scheduler else None  # before anything is written

    with disk_full_guard(out):
        out.mkdir(parents=True, exist_ok=True)
        (out / "logs").mkdir(exist_ok=True)
        (out / "params").mkdir(exist_ok=True)
    outcomes: dict[str, ReportOutcome] = {}
    jobs: list[dict] = []
    by_id = {p.report_id: p for p in prepared}
    for p in prepared:
        folder = out / p.report_id
        if not force and _is_up_to_date(p, folder):
            outcomes[p.report_id] = _outcome(p, out, "skipped", 0.0, None, None)
            continue
        with disk_full_guard(out / "params"):
            params_file = _write_params(out / "params", p.report_id, p.values)
        # the report's runner moves an earlier run in its folder aside (see _run_one_main)
        jobs.append({"row": p.row, "report_id": p.report_id, "template": str(p.template), "outdir": str(folder),
                     "params_file": str(params_file), "log": str(out / "logs" / f"{p.report_id}.log"),
                     "blas_threads": blas, "timeout": timeout, "show_code": show_code,
                     "reason": reason.strip() if reason else None, "pdf": pdf, "paper": paper})

    bar = tqdm(total=len(prepared), initial=len(outcomes), file=sys.stderr, disable=not progress,
               unit="report", desc=f"pdkit batch {prepared[0].template.stem}", dynamic_ncols=True)

    def done(job: dict, res: dict) -> None:
        p = by_id[job["report_id"]]
        outcomes[p.report_id] = _outcome(p, out, res["status"], res.get("duration_s", 0.0), res.get("error"),
                                         res.get("worker"))
        bar.update(1)
        if res["status"] == "failed" and progress:
            bar.write(f"failed: {p.report_id} (row {p.row}): {res.get('error')}", file=sys.stderr)

    try:
        if jobs and client is not None:
            _run_dask(jobs, client, retries, done)
        elif jobs:
            with ThreadPoolExecutor(max_workers=min(n_workers, len(jobs))) as pool:
                futures = {pool.submit(_execute_one, job): job for job in jobs}
                try:
                    for fut in as_completed(futures):
                        job = futures[fut]
                        try:
                            res = fut.result()
                        except Exception as exc:  # a bug in the batch machinery must not lose the other reports
                            res = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "duration_s": 0.0}
                        done(job, res)
                except BaseException:  # interrupted (Ctrl-C, SIGTERM): start no more reports, stop the running ones
                    pool.shutdown(wait=False, cancel_futures=True)
                    _terminate_running()
                    raise
    finally:
        bar.close()
        if client is not None:
            client.close()
        # whatever happened (even an interruption), the summary names every report
        for p in prepared:
            if p.report_id not in outcomes:
                outcomes[p.report_id] = _outcome(p, out, "failed", 0.0, "not run (the batch was interrupted)", None)
        reports = tuple(outcomes[p.report_id] for p in prepared)
        frame = _summary_frame(reports)
        summary_csv, summary_html = out / "summary.csv", out / "summary.html"
        with disk_full_guard(summary_csv):
            atomic_write_text(summary_csv, _summary_csv(frame))
        with disk_full_guard(summary_html):
            atomic_write_text(summary_html, _summary_html(frame, prepared[0].template.stem, utc_now()))
    return BatchResult(out, reports, summary_csv, summary_html)


# ---------------------------------------------------------------- command line


_NOT_INSTALLED = object()


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signal.Signals(signum).name}")


@click.command("batch", context_settings=CONTEXT)
@click.argument("template")
@click.option("--grid", "grid", required=True, type=click.Path(dir_okay=False),
              help="CSV (one column per parameter, optional report_id) or YAML list of mappings; one report per row.")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Batch folder: one sub-folder per report, logs/, summary.csv, summary.html.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Reports run at once locally [default: number of CPUs].")
@click.option("--scheduler", default=None, envvar="PDKIT_DASK_SCHEDULER", metavar="ADDRESS",
              help="Run on an existing Dask cluster (tcp://HOST:PORT; env PDKIT_DASK_SCHEDULER).")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Dask: resubmit a report whose worker died up to this many times.")
@click.option("--force", is_flag=True, help="Redo every report, also those already up to date.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--show-code", is_flag=True, help="Keep code cells in the HTML reports.")
@click.option("--timeout", type=click.IntRange(min=1), default=None, help="Per-cell timeout in seconds.")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why these reports are run (recorded in every manifest with user and host).")
@click.option("--pdf", "pdf", is_flag=True,
              help="Also convert every HTML output (reports, certificates) to PDF (needs chromium).")
@click.option("--paper", type=click.Choice(["A4", "Letter"], case_sensitive=False), default="A4",
              show_default=True, help="Paper size of the PDFs.")
def batch_command(template, grid, outdir, workers, scheduler, retries, force, no_progress, show_code, timeout,
                  reason, pdf, paper) -> None:
    """Run TEMPLATE once per row of GRID, in parallel, and write a summary table.

    Every row is validated first (exit 2, nothing written, if any is invalid). A failed report
    does not stop the others. Reports that already succeeded with the same parameters and verify
    unchanged are skipped on a re-run (use --force to redo them); a report folder that is redone is
    moved aside to REPORT_ID.superseded-<UTC time> first. Exit 0 when every report succeeded or was
    skipped, 1 when any failed.
    """
    from pdkit.reports.params import TemplateError
    from pdkit.reports.runner import DiskFullError

    previous: Any = _NOT_INSTALLED
    if threading.current_thread() is threading.main_thread():
        # SIGTERM ends the batch like Ctrl-C: the running reports end failed with their manifests, and
        # the summary is still written
        previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        result = run_batch(template, grid, outdir, workers=workers, scheduler=scheduler or None, retries=retries,
                           force=force, progress=not no_progress, timeout=timeout, show_code=show_code,
                           reason=reason, pdf=pdf, paper=paper)
    except (InputError, TemplateError) as exc:
        fail(str(exc))
    except DiskFullError as exc:
        fail(str(exc), 1)
    finally:
        if previous is not _NOT_INSTALLED:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    counts = {s: sum(r.status == s for r in result.reports) for s in ("succeeded", "skipped", "failed")}
    click.echo(f"{len(result.reports)} reports: {counts['succeeded']} succeeded, {counts['skipped']} skipped, "
               f"{counts['failed']} failed")
    click.echo(f"summary: {result.summary_csv}")
    click.echo(f"summary: {result.summary_html}")
    if result.failed:
        for r in result.failed:
            click.echo(f"pdkit: report failed: {r.report_id} (row {r.row}): {r.error}", err=True)
        sys.exit(1)
