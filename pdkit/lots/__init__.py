"""Lot history in a database: continued process verification across years.

Lots, their results and dispositions are kept in an append-only store (SQLite by default,
PostgreSQL by URL) so that every critical quality attribute of every released lot can be
trended for continued process verification (FDA Process Validation guidance 2011, Stage 3;
ICH Q10).  :mod:`pdkit.lots.store` holds the store, :mod:`pdkit.lots.cpv` the CPV analysis
(I-MR with run rules, capability per period, new signals, lots near limits) and
:mod:`pdkit.lots.cli` the ``pdkit lots`` commands.

Examples
--------
>>> from pdkit.lots import open_store, redact_url
>>> redact_url("postgresql://qc:pw@db/lots")
'postgresql://qc@db/lots'
>>> with open_store("sqlite://") as store:
...     list(store.products().columns)
['product', 'lots', 'results', 'first_lot', 'last_lot']
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pdkit.lots.store import DbState, ImportSummary, LotStore, default_db, open_store, redact_url, resolve_db

__all__ = [
    "LotStore",
    "ImportSummary",
    "DbState",
    "open_store",
    "resolve_db",
    "redact_url",
    "default_db",
    "import_file",
    "record_dispositions",
    "sample_store",
]


def import_file(db: str | os.PathLike | None, path: str | os.PathLike, *, product: str | None = None,
                mapping: str | os.PathLike | None = None, user: str | None = None,
                run_id: str | None = None) -> ImportSummary:
    """Import one results file into the store at ``db`` (see :meth:`LotStore.import_results`).

    A ``.yaml``/``.yml`` file is a specification and is stored as a new version instead
    (``ImportSummary.status`` ``"specification"``).
    """
    p = Path(path)
    with open_store(db) as store:
        if p.suffix.lower() in (".yaml", ".yml"):
            from pdkit.lots.store import file_sha256

            sid = store.add_specification(p, user=user)
            from pdkit.quality.specs import load_spec

            spec = load_spec(p)
            return ImportSummary("specification", p.name, file_sha256(p), spec.product, sid, run_id or "",
                                 len(spec.attributes), 0, 0, 0)
        return store.import_results(p, product=product, mapping=mapping, user=user, run_id=run_id)


def record_dispositions(db: str, evaluation: Any, *, source_file: Path, run_id: str, user: str,
                        mapping: str | os.PathLike | None = None) -> int:
    """Record a release evaluation's lot dispositions (and its results file) in the store at ``db``.

    For ``release_evaluation -p db URL``: the specification version and the results file are
    stored too (each only once); recording the same ``run_id`` again adds nothing.  Returns the
    number of dispositions added.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pdkit.specs import Specification, evaluate_lots
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.csv").write_text("lot,attribute,value,unit\\nA,supercoiled,95.0,%\\n")
    >>> spec = Specification(product="pDNA", version="1", effective_date="2025-01-15", attributes=[
    ...     {"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "90.0"}])
    >>> ev = evaluate_lots(folder / "r.csv", spec)
    >>> db = f"sqlite:///{folder / 'h.sqlite'}"
    >>> record_dispositions(db, ev, source_file=folder / "r.csv", run_id="run-1", user="qa")
    1
    >>> record_dispositions(db, ev, source_file=folder / "r.csv", run_id="run-1", user="qa")
    0
    """
    with open_store(db) as store:
        return store.record_dispositions(evaluation, source_file=source_file, run_id=run_id, user=user,
                                         mapping=mapping)


def sample_store(folder: str | os.PathLike = ".") -> str:
    """An SQLite store in ``folder`` holding the synthetic sample history; returns its URL.

    Imports ``data_samples/lot_history/`` (the specification and the multi-year results) into
    ``folder/lot_history_sample.sqlite`` (a no-op when already there).  Used by the
    ``cpv_trending`` report when ``db`` is ``sample``.
    """
    from pdkit._paths import samples_dir

    src = samples_dir() / "lot_history"
    url = f"sqlite:///{Path(folder).resolve() / 'lot_history_sample.sqlite'}"
    with open_store(url) as store:
        store.add_specification(src / "pdx_spec_synthetic.yaml", user="pdkit-sample")
        store.import_results(src / "pdx_lot_history_synthetic.csv", user="pdkit-sample", run_id="sample")
    return url
