"""Run a report template reproducibly with papermill and record its provenance.

:func:`run_report` is what ``pdkit run`` calls:

1. parse the template's parameter declarations and validate every value
   (``-f`` YAML file, then ``-p`` overrides) - a bad value raises
   :class:`~pdkit.errors.ParameterError` before anything is written or any
   kernel starts;
2. hash every input file (SHA-256, size), record parameters, versions, git
   commit and the UTC start;
3. execute with papermill in the output folder (the working directory of the
   kernel), writing the notebook under a temporary name;
4. store the provenance in the notebook's ``metadata.pdkit``, rename it to
   ``<template>.ipynb``; on success export ``<template>.html`` (temporary file,
   then rename); on failure remove any stale HTML so no report is left that
   does not match the run;
5. hash every output and write ``manifest.json`` atomically.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import ParameterError
from .params import find_template, parse_parameters, template_title, validate_parameters
from .provenance import (
    atomic_write_json,
    atomic_write_text,
    environment,
    file_record,
    git_state,
    utc_now,
)

__all__ = ["RunResult", "run_report", "load_parameter_file", "prepare_run"]

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RunResult:
    """Outcome of one report run."""

    template: str
    status: str  # "succeeded" | "failed"
    outdir: Path
    notebook: Path
    html: Path | None
    manifest: Path
    error: str | None
    duration_s: float

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "succeeded" else 1


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Read a ``-f`` YAML parameter file (a mapping of name -> value)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"parameter file '{p}' does not exist")
    try:
        content = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"parameter file '{p}' is not valid YAML: {str(exc).splitlines()[0]}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParameterError(f"parameter file '{p}': expected a mapping of name: value, got {type(content).__name__}")
    return {str(k): v for k, v in content.items()}


def prepare_run(
    template: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    param_file: str | Path | None = None,
    strings: bool = True,
) -> tuple[Path, list, dict[str, Any], dict[str, Any]]:
    """Validate a run without executing: returns (template path, specs, values, given).

    ``parameters`` are ``-p`` values (text when ``strings``); ``param_file`` values
    are typed YAML and are overridden by ``parameters``.
    """
    tpl = find_template(template)
    specs = parse_parameters(tpl)
    given: dict[str, Any] = {}
    if param_file is not None:
        given.update(load_parameter_file(param_file))
    from_strings: set[str] = set()
    for k, v in (parameters or {}).items():
        given[k] = v
        if strings:
            from_strings.add(k)
    values = validate_parameters(specs, given, from_strings=from_strings, fill_defaults=True, template_dir=tpl.parent)
    return tpl, specs, values, given


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


class _WarmExporter(threading.Thread):
    """Builds the HTML exporter, templates compiled, while the kernel works (see :func:`html_exporter`)."""

    def __init__(self, show_code: bool):
        super().__init__(daemon=True)
        self.show_code = show_code
        self.exporter = None

    def run(self) -> None:
        try:
            from .report import html_exporter

            self.exporter = html_exporter(show_code=self.show_code, warm=True)
        except Exception:  # the export itself will report any real problem
            self.exporter = None

    def get(self):
        """The warmed exporter, or None (never started, or failed: export makes its own)."""
        if self.ident is None:
            return None
        self.join()
        return self.exporter


def _has_error_output(nb) -> bool:
    return any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        where = f" (cell {cell})" if cell is not None else ""
        return f"{ename}: {getattr(exc, 'evalue', '')}{where}".strip()
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    if name == "DeadKernelError" or "Kernel died" in first:
        return "DeadKernelError: the kernel died during execution (killed or crashed)"
    return f"{name}: {first}" if first else name


def run_report(
    template: str,
    parameters: Mapping[str, Any] | None = None,
    outdir: str | Path | None = None,
    *,
    param_file: str | Path | None = None,
    strings: bool = True,
    show_code: bool = False,
    kernel_name: str = "python3",
    timeout: int | None = None,
    blas_threads: int | None = None,
    log=None,
) -> RunResult:
    """Validate, execute and export one report; see the module docstring.

    Raises
    ------
    ParameterError
        Invalid parameters or input files (nothing is written).

    Returns
    -------
    RunResult
        ``status`` is ``"failed"`` when execution raised or the kernel died; the
        executed notebook is then kept with the error visible and the manifest
        says ``status: failed``.
    """
    import nbformat

    t0 = time.perf_counter()
    tpl, specs, values, given = prepare_run(template, parameters, param_file=param_file, strings=strings)
    name = tpl.stem
    outdir = Path(outdir) if outdir is not None else Path.cwd() / "reports" / name
    outdir = outdir.resolve()
    if outdir.exists() and not outdir.is_dir():
        raise ParameterError(f"output folder '{outdir}' exists and is not a folder")

    # provenance before execution
    from . import __version__
    from ._paths import kit_root

    inputs = [file_record(tpl, parameter="(template)")]
    for spec in specs:
        if spec.file is not None and values.get(spec.name):
            inputs.append(file_record(values[spec.name], parameter=spec.name))
    if param_file is not None:
        inputs.append(file_record(param_file, parameter="(parameter file)"))
    commit, dirty = git_state(kit_root())
    provenance: dict[str, Any] = {
        "template": name,
        "title": template_title(tpl),
        "parameters": values,
        "parameters_given": {k: (v if isinstance(v, (int, float, bool, list, dict)) or v is None else str(v))
                             for k, v in given.items()},
        "inputs": inputs,
        "environment": environment(),
        "pdkit_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "started_utc": utc_now(),
    }

    outdir.mkdir(parents=True, exist_ok=True)
    before = _snapshot(outdir)
    nb_path = outdir / f"{name}.ipynb"
    html_path = outdir / f"{name}.html"
    manifest_path = outdir / MANIFEST
    tmp_nb = outdir / f".{name}.partial.ipynb"

    error: str | None = None
    # nbconvert is needed only afterwards, for the HTML: prepare it while the kernel works
    warm_exporter = _WarmExporter(show_code)
    try:
        import papermill

        from ._engine import register as register_engine
        from ._kernel import kernel_manager_class

        # papermill's own parameter inspection does not understand 'float | None' or
        # braces in help texts and warns; pdkit has already validated every value.
        logging.getLogger("papermill").setLevel(logging.ERROR)
        warm_exporter.start()
        with kernel_manager_class(blas_threads=blas_threads) as km_class:
            papermill.execute_notebook(
                str(tpl), str(tmp_nb), parameters=values, kernel_name=kernel_name, cwd=str(outdir),
                progress_bar=False, log_output=False, report_mode=False, request_save_on_cell_execute=True,
                execution_timeout=timeout, kernel_manager_class=km_class, engine_name=register_engine(),
                # the kernel's work is done when the last cell returns: no graceful wait
                shutdown_kernel="immediate",
                # IPython's history database is shared by every kernel of a user: with parallel
                # reports it is a point of contention and it records nothing a report needs
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
    except KeyboardInterrupt:
        error = "KeyboardInterrupt: the run was interrupted"
    except Exception as exc:  # execution failures of every kind end as a failed run
        error = _error_text(exc)

    status = "failed" if error else "succeeded"
    provenance.update(finished_utc=utc_now(), status=status, error=error)

    if tmp_nb.exists():
        nb = nbformat.read(str(tmp_nb), as_version=4)
    else:  # the kernel never started: keep the template so the failure is inspectable
        nb = nbformat.read(str(tpl), as_version=4)
    if error and not _has_error_output(nb):
        # e.g. the kernel died: make the failure visible at the top of the notebook
        banner = nbformat.v4.new_markdown_cell(
            f'<span style="color:red; font-size:1.3em">**pdkit: execution failed.** {error}</span>'
        )
        banner.metadata["tags"] = ["pdkit-error"]
        nb.cells.insert(0, banner)
    nb.metadata["pdkit"] = provenance
    atomic_write_text(nb_path, nbformat.writes(nb))
    tmp_nb.unlink(missing_ok=True)

    html_out: Path | None = None
    if status == "succeeded":
        try:
            from .report import export_html

            atomic_write_text(html_path, export_html(nb, provenance, show_code=show_code,
                                                     exporter=warm_exporter.get()))
            html_out = html_path
        except Exception as exc:  # an export failure fails the run, with no HTML left
            status, error = "failed", f"HTML export failed: {_error_text(exc)}"
            provenance.update(status=status, error=error)
            nb.metadata["pdkit"] = provenance
            atomic_write_text(nb_path, nbformat.writes(nb))
    if status != "succeeded":
        html_path.unlink(missing_ok=True)

    after = _snapshot(outdir)
    produced = sorted(k for k, v in after.items() if k != MANIFEST and before.get(k) != v)
    for must in (nb_path.name,) + ((html_path.name,) if html_out else ()):
        if must not in produced:
            produced.append(must)
    manifest = dict(provenance)
    manifest["outputs"] = [file_record(outdir / rel, relative_to=outdir) for rel in sorted(set(produced))]
    atomic_write_json(manifest_path, manifest)
    if log is not None:
        log(f"{name}: {status}" + (f" ({error})" if error else ""))
    return RunResult(name, status, outdir, nb_path, html_out, manifest_path, error, time.perf_counter() - t0)
