"""Print-ready certificates of analysis (CoA) from a lot evaluation.

:func:`certificate_html` renders one lot of a :class:`pdkit.specs.LotEvaluation`
as a self-contained HTML page (inline CSS, no scripts, no network resources):
product, lot, specification version and effective date, certificate id and date
of issue, a table of test / method / specification / result / pass-fail, a
disposition statement, and a signatures block (QC review, QA approval) that is
never split across pages.  All user text is HTML-escaped (CSS-escaped where it
appears in the page header).

The print layout fits A4 and US Letter portrait: the results table has a fixed
layout with set column widths and wraps long text, so no column is cut off; every
printed page carries a header with the product and lot and a footer with the
certificate id, date of issue and "Page i of N" (CSS ``@page`` margin boxes, as
printed by Chromium, see :mod:`pdkit.pdf`).  The date of issue is the given
``issue_date`` or today's UTC date; given the same date the output is identical.
:func:`write_certificates` writes one file per lot atomically and
:func:`write_certificate_pdfs` prints them to PDF.

The signatures block contains the empty marker pair
``<!--pdkit-signatures--><!--/pdkit-signatures-->`` where electronic signatures
are filled in (``pdkit sign``).
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pdkit import __version__
from pdkit.errors import InputError
from pdkit.io.files import atomic_write_text
from pdkit.reports.pages import css_text, render
from pdkit.quality.specs import LotEvaluation, Specification

__all__ = ["certificate_html", "write_certificates", "write_certificate_pdfs", "certificate_filename",
           "certificate_id", "SIGNATURE_MARKERS"]

_RESULT_WORDS = {"pass": "Pass", "fail": "Fail", "missing": "Not tested", "report": "Reported"}

#: the empty marker pair in every certificate's signatures block (filled by ``pdkit sign``)
SIGNATURE_MARKERS = "<!--pdkit-signatures--><!--/pdkit-signatures-->"

_PAPERS = {"a4": "A4", "letter": "letter"}



def certificate_filename(lot: Any) -> str:
    """File name used by :func:`write_certificates` for ``lot``: ``CoA_<lot>.html``.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``.

    Examples
    --------
    >>> certificate_filename("PD 24/007")
    'CoA_PD_24_007.html'
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(lot).strip()).strip(".") or "lot"
    return f"CoA_{safe}.html"


def _check_spec(evaluation: LotEvaluation, spec: Specification) -> None:
    if not isinstance(evaluation, LotEvaluation):
        raise InputError(f"evaluation: expected a LotEvaluation from pdkit.specs.evaluate_lots, got {type(evaluation).__name__}")
    if not isinstance(spec, Specification):
        raise InputError(f"spec: expected a pdkit.specs.Specification, got {type(spec).__name__}")
    ev = evaluation.spec
    if (ev.product, ev.version, ev.effective_date) != (spec.product, spec.version, spec.effective_date):
        raise InputError(
            f"spec: the evaluation was made against {ev.product!r} version {ev.version} "
            f"(effective {ev.effective_date}), not {spec.product!r} version {spec.version} "
            f"(effective {spec.effective_date})"
        )


def _spec_text(criterion: str, unit: str, kind: str) -> str:
    if kind in ("conforms", "report") or not unit:
        return criterion
    return f"{criterion} {unit}"


def _disposition_statement(lot: str, spec: Specification, rows) -> tuple[str, str]:
    ref = f"specification {spec.product}, version {spec.version} (effective {spec.effective_date:%Y-%m-%d})"
    failed = [r["attribute"] for r in rows if r["result"] == "fail"]
    missing = [r["attribute"] for r in rows if r["result"] == "missing"]
    if failed:
        return "notmeet", (f"Lot {lot} DOES NOT MEET {ref}. Failed test(s): {', '.join(failed)}."
                           + (f" Not tested: {', '.join(missing)}." if missing else ""))
    if missing:
        return "incomplete", (f"Lot {lot} cannot be released against {ref}: testing is incomplete. "
                              f"Not tested: {', '.join(missing)}.")
    return "meets", f"Lot {lot} meets {ref}."


def _issue_date(issue_date: date | str | None) -> str:
    """The date of issue as YYYY-MM-DD: the given one, or today's date in UTC."""
    if issue_date is None:
        return datetime.now(timezone.utc).date().isoformat()
    if isinstance(issue_date, datetime):
        return issue_date.date().isoformat()
    if isinstance(issue_date, date):
        return issue_date.isoformat()
    text = str(issue_date).strip()
    try:
        return date.fromisoformat(text[:10] if re.fullmatch(r"\d{4}-\d\d-\d\d([T ].*)?", text) else text).isoformat()
    except ValueError:
        raise InputError(f"issue_date: expected a date as YYYY-MM-DD, got {issue_date!r}") from None


def certificate_id(evaluation: LotEvaluation, lot: Any, issue_date: date | str) -> str:
    """Identifier printed on a certificate: ``CoA-`` and 12 hex digits of a SHA-256 over the product,
    specification version and effective date, lot, every test's reported result and the date of issue.

    The same evaluation, lot and date always give the same id; any change of a reported
    result, the specification or the date gives another.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.specs import Specification, evaluate_lots
    >>> spec = Specification.from_dict({"product": "pDNA", "version": "1", "effective_date": "2025-01-15",
    ...     "attributes": [{"name": "sterility", "method": "USP <71>", "criterion": "conforms", "expected": "No growth"}]})
    >>> ev = evaluate_lots(pd.DataFrame({"lot": ["A1"], "attribute": ["sterility"], "value": ["No growth"]}), spec)
    >>> cid = certificate_id(ev, "A1", "2025-03-04")
    >>> cid.startswith("CoA-") and len(cid) == 16 and cid == certificate_id(ev, "A1", "2025-03-04")
    True
    """
    rows = evaluation.for_lot(lot)
    s = evaluation.spec
    payload = {
        "product": s.product, "version": s.version, "effective_date": f"{s.effective_date:%Y-%m-%d}",
        "lot": str(lot).strip(), "issue_date": _issue_date(issue_date),
        "rows": [[str(r[k]) for k in ("attribute", "method", "criterion", "unit", "reported", "result", "note")]
                 for r in rows.to_dict(orient="records")],
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"CoA-{digest[:12].upper()}"


def certificate_html(
    evaluation: LotEvaluation,
    lot: Any,
    spec: Specification,
    *,
    title: str = "Certificate of Analysis",
    organisation: str = "",
    issue_date: date | str | None = None,
    notes: str = "",
    paper: str = "A4",
) -> str:
    """Render the certificate of analysis of one lot as self-contained, print-ready HTML.

    Parameters
    ----------
    evaluation : LotEvaluation
        From :func:`pdkit.specs.evaluate_lots`.
    lot : str
        The lot to certify (must be in ``evaluation``).
    spec : Specification
        The specification the lot was evaluated against (checked against the evaluation).
    title, organisation : str
        Heading and issuing organisation shown at the top.
    issue_date : date or str, optional
        Date of issue (a date or ``YYYY-MM-DD``); default: today's date in UTC.
    notes : str
        Free text printed under the results table.
    paper : {"A4", "Letter"}
        Paper size of the ``@page`` rule (the layout fits both; :mod:`pdkit.pdf` can override it).

    Returns
    -------
    str
        An HTML5 document with inline CSS for printing: every page has a header with the
        product and lot and a footer with the certificate id, date of issue and "Page i of N";
        the signatures block holds the marker pair :data:`SIGNATURE_MARKERS` and is never split.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.specs import Specification, evaluate_lots
    >>> spec = Specification.from_dict({"product": "pDNA", "version": "1", "effective_date": "2025-01-15",
    ...     "attributes": [{"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "90.0"}]})
    >>> ev = evaluate_lots(pd.DataFrame({"lot": ["A1"], "attribute": ["supercoiled"], "value": [93.26], "unit": ["%"]}), spec)
    >>> html = certificate_html(ev, "A1", spec, issue_date="2025-03-04")
    >>> "93.3 %" in html and "Lot A1 meets specification pDNA" in html and "2025-03-04" in html
    True
    """
    _check_spec(evaluation, spec)
    rows_df = evaluation.for_lot(lot)
    lot_text = str(lot).strip()
    paper_key = str(paper).strip().lower()
    if paper_key not in _PAPERS:
        raise InputError(f"paper: expected A4 or Letter, got {paper!r}")
    issued = _issue_date(issue_date)
    cid = certificate_id(evaluation, lot_text, issued)
    rows = rows_df.to_dict(orient="records")
    kinds = {a.name: a.criterion for a in spec.attributes}

    table = []
    for r in rows:
        kind = kinds.get(r["attribute"], "")
        reported = r["reported"] or "—"
        if r["reported"] and r["unit"] and kind not in ("conforms",):
            reported = f"{r['reported']} {r['unit']}"
        table.append({"attribute": r["attribute"], "method": r["method"],
                      "specification": _spec_text(r["criterion"], r["unit"], kind), "reported": reported,
                      "note": r["note"], "result": r["result"],
                      "result_word": _RESULT_WORDS.get(r["result"], r["result"])})
    css_class, statement = _disposition_statement(lot_text, spec, rows)
    return render(
        "certificate.html.j2",
        version=__version__, cid=cid, title=title, product=spec.product, lot=lot_text,
        organisation=organisation, spec_version=spec.version, effective_date=f"{spec.effective_date:%Y-%m-%d}",
        spec_title=spec.title or "", issued=issued, rows=table, notes=notes, disposition_class=css_class,
        statement=statement, roles=("Quality Control — reviewed by", "Quality Assurance — approved by"),
        source=spec.source or "",
        size=_PAPERS[paper_key],
        top_left=css_text(f"{title} — {spec.product}"),
        top_right=css_text(f"Lot {lot_text}"),
        bottom_left=css_text(f"{cid} · issued {issued} · spec {spec.product} v{spec.version}"),
    )


def write_certificates(
    evaluation: LotEvaluation,
    spec: Specification,
    outdir: str | Path,
    *,
    lots: Iterable[Any] | None = None,
    **kwargs: Any,
) -> list[Path]:
    """Write one certificate per lot into ``outdir`` (created if needed), atomically.

    Each file (``CoA_<lot>.html``, see :func:`certificate_filename`) is written to a
    temporary file in ``outdir`` and renamed into place, so a reader never sees a
    half-written certificate.  ``kwargs`` go to :func:`certificate_html`.

    Returns
    -------
    list of Path
        The files written, in lot order.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pdkit.specs import Specification, evaluate_lots
    >>> spec = Specification.from_dict({"product": "pDNA", "version": "1", "effective_date": "2025-01-15",
    ...     "attributes": [{"name": "sterility", "method": "USP <71>", "criterion": "conforms", "expected": "No growth"}]})
    >>> ev = evaluate_lots(pd.DataFrame({"lot": ["A1", "A2"], "attribute": ["sterility"] * 2,
    ...                                  "value": ["No growth", "Growth"]}), spec)
    >>> [p.name for p in write_certificates(ev, spec, tempfile.mkdtemp())]
    ['CoA_A1.html', 'CoA_A2.html']
    """
    _check_spec(evaluation, spec)
    chosen = evaluation.lots if lots is None else [str(x).strip() for x in ([lots] if isinstance(lots, str) else lots)]
    names: dict[str, str] = {}
    for lot in chosen:
        evaluation.lot_key(lot)
        fname = certificate_filename(lot)
        if fname in names:
            raise InputError(f"lots {names[fname]!r} and {lot!r} would both be written to {fname}; rename one lot")
        names[fname] = lot
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"outdir '{out}': cannot create the directory ({exc.strerror})") from None
    written = []
    for fname, lot in names.items():
        html = certificate_html(evaluation, lot, spec, **kwargs)
        target = out / fname
        atomic_write_text(target, html, mode=0o644)  # certificates are ordinary documents
        written.append(target)
    return written


def write_certificate_pdfs(files: Iterable[str | Path], *, paper: str = "A4") -> list[Path]:
    """Print certificates written by :func:`write_certificates` to PDF beside them (``CoA_<lot>.pdf``).

    Uses headless Chromium (:func:`pdkit.pdf.html_to_pdf`); each PDF is written atomically.
    Every page has the product and lot, the certificate id and date of issue, and "Page i of N".

    Parameters
    ----------
    files : iterable of path
        Certificate HTML files.
    paper : {"A4", "Letter"}
        Paper size (the layout fits both).

    Returns
    -------
    list of Path
        The PDFs written, in the order of ``files``.

    Raises
    ------
    RuntimeError
        No usable Chromium (:func:`pdkit.pdf.check_available` says why) or printing failed.

    Examples
    --------
    >>> write_certificate_pdfs([])
    []
    """
    from pdkit.reports.pdf import html_to_pdf

    paths = [Path(f) for f in files]
    return [html_to_pdf(p, p.with_suffix(".pdf"), paper=paper) for p in paths]
