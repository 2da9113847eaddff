"""``pdkit demo``: run every standard report on the bundled sample data.

Each template runs with its default parameters (which point into
``data_samples/``) into ``OUTDIR/<template>/``, and the runs of
:data:`EXTRA_RUNS` (a messy lab export read through its column mapping) into
``OUTDIR/<name>/``; an ``index.html`` links every
report with its status, run time and the numbers it recorded.

The demo owns ``OUTDIR`` like ``pdkit run --force`` owns its folder: running the
demo again into the same folder first moves the earlier demo, whole, aside to
the sibling ``OUTDIR.superseded-<UTC time>`` (delete those when no longer
needed), so every report folder holds exactly one run and the index matches it.
A second demo into the same folder while one runs is refused, and so is a
non-empty folder that does not hold an earlier demo (``-o ~`` must not move a
home folder aside).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from pdkit.reports.params import find_template, list_templates, template_title
from pdkit.io.files import atomic_write_text
from pdkit.reports.provenance import utc_now
from pdkit.reports.runner import OutputFolderError, RunResult, claim_output_folder, disk_full_guard, run_report

__all__ = ["run_demo", "index_html", "EXTRA_RUNS"]

_EXPORT = "data_samples/lab_export/aav_production_log_synthetic.csv"
_MAPPING = "data_samples/lab_export/aav_production_log_mapping.yaml"

#: demo runs beyond each template's defaults: (folder, template, parameters as ``-p`` text).
#: The synthetic AAV production log (data_samples/lab_export/README.md) goes through its column
#: mapping into release evaluation, and its titers into log-normal spec setting ordered by date.
EXTRA_RUNS: list[tuple[str, str, dict[str, str]]] = [
    ("release_evaluation_lab_export", "release_evaluation",
     {"data": _EXPORT, "mapping": _MAPPING, "spec": "data_samples/specs/aav_production_log_spec.yaml"}),
    ("spec_setting_lab_export_titer", "spec_setting",
     {"data": _EXPORT, "mapping": _MAPPING, "spec": "data_samples/specs/aav_production_log_spec.yaml",
      "attribute": "vg_titer", "transform": "log10", "date": "date", "date_format": "%Y-%m-%d", "baseline": "10"}),
]


def index_html(results: list[RunResult], outdir: Path, created_utc: str) -> str:
    """The demo's index page linking every report (self-contained, no external resources).

    Rendered from ``templates/demo_index.html.j2`` (:mod:`pdkit.reports.pages`): every
    value is escaped.
    """
    from pdkit.reports.pages import render
    from pdkit.reports.record import read_records

    rows = []
    for r in results:
        target = r.html if r.html is not None else r.notebook
        try:
            records = read_records(r.notebook)
        except Exception:
            records = {}
        scalars = [(k, v) for k, v in records.items() if isinstance(v, (int, float, str, bool)) or v is None]
        rows.append({
            "link": str(Path(target).relative_to(outdir)),
            "title": template_title(find_template(r.template)),
            "folder": r.outdir.name,
            "status": r.status,
            "status_class": "ok" if r.status == "succeeded" else "bad",
            "error": r.error or "",
            "duration": f"{r.duration_s:.1f}",
            "records": [(k, _short(v)) for k, v in scalars[:8]],
        })
    return render("demo_index.html.j2", rows=rows, outdir=str(outdir), created_utc=created_utc)


def _is_demo(folder: Path) -> bool:
    """True when ``folder`` holds an earlier demo (its index page), so it may be moved aside."""
    try:
        return "<title>pdkit demo reports</title>" in (folder / "index.html").read_text(encoding="utf-8")[:2000]
    except (OSError, UnicodeDecodeError):
        return False


def _short(value) -> str:
    text = f"{value:.4g}" if isinstance(value, float) and not isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def run_demo(
    outdir: str | Path = "pdkit-demo",
    templates: list[str] | None = None,
    echo: Callable[[str], None] = print,
    *,
    force: bool = True,
) -> tuple[Path, list[RunResult]]:
    """Run the templates on their default (sample) parameters and write ``index.html``.

    Parameters
    ----------
    outdir : str or Path
        The demo folder; an earlier demo in it is moved aside to
        ``<outdir>.superseded-<UTC time>`` (``force=False`` refuses a non-empty folder instead).
    templates : list of str, optional
        Template names (default: all).
    echo : callable
        Progress messages.

    Returns
    -------
    tuple
        The index path and the run results (failed runs included).

    Examples
    --------
    >>> index, results = run_demo("pdkit-demo", ["stability_shelf_life"])  # doctest: +SKIP
    >>> [r.status for r in results]  # doctest: +SKIP
    ['succeeded']
    """
    outdir = Path(outdir).resolve()
    names = templates or list_templates()
    for name in names:
        find_template(name)  # unknown names fail before anything runs
    if force and outdir.is_dir() and any(outdir.iterdir()) and not _is_demo(outdir):
        raise OutputFolderError(f"output folder '{outdir}' is not empty and does not hold an earlier pdkit demo: "
                                f"choose a new folder")
    results: list[RunResult] = []
    with claim_output_folder(outdir, force=force) as claim:
        if claim.superseded is not None:
            echo(f"earlier demo moved to {claim.superseded}")
        runs = [(name, name, {}) for name in names]
        runs += [run for run in EXTRA_RUNS if run[1] in names]
        for folder, name, parameters in runs:
            echo(f"running {folder} ...")
            result = run_report(name, parameters, outdir / folder)
            echo(f"  {result.status} in {result.duration_s:.1f} s" + (f": {result.error}" if result.error else ""))
            results.append(result)
        index = outdir / "index.html"
        with disk_full_guard(index):
            atomic_write_text(index, index_html(results, outdir, utc_now()))
    return index, results
