"""The lot-history store: open, import, correct and query (SQLite or PostgreSQL).

A store is a database reached by a SQLAlchemy URL.  Without one, pdkit uses ``PDKIT_DB``
if set, else an SQLite file in the user's data folder (``$XDG_DATA_HOME/pdkit/lots.sqlite``,
default ``~/.local/share/pdkit/lots.sqlite``): nothing to set up.  A plain path
(``history.sqlite``) means an SQLite file; ``postgresql://`` URLs use psycopg 3.  Opening a
store brings its schema to the newest Alembic revision.

Nothing is ever updated or deleted: the API has no such path, and triggers in the database
reject UPDATE and DELETE.  A correction is a new result row that names the row it supersedes,
with user, time and reason; :meth:`LotStore.history` shows the chain.  Importing a file is one
transaction (all rows or none) and is identified by the file's SHA-256, so importing the same
file again changes nothing.  Concurrent importers are safe: unique constraints on
(product, lot), on the file hash and on the original result of a lot and attribute turn a race
into a retry that then sees the other importer's rows.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "lots.csv").write_text(
...     "lot,date,attribute,value,unit\\nL1,2024-01-05,purity,95.1,%\\nL2,2024-02-03,purity,94.2,%\\n")
>>> with open_store(folder / "h.sqlite") as store:
...     s = store.import_results(folder / "lots.csv", product="P1", user="qc1")
...     again = store.import_results(folder / "lots.csv", product="P1", user="qc1")
...     _ = store.correct("P1", "L2", "purity", 94.3, reason="transcription error", user="qa1")
...     table, state = store.results("P1")
>>> s.n_results_new, again.status
(2, 'already imported')
>>> table[["lot", "value"]].values.tolist(), state.row_count, state.max_row_id
([['L1', 95.1], ['L2', 94.3]], 2, 3)
"""
from __future__ import annotations

import getpass
import hashlib
import math
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import and_, event, exists, func, insert, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import aliased
from sqlalchemy.pool import StaticPool

from pdkit.errors import InputError
from pdkit.lots.models import Disposition, Import, Lot, Product, Result, SpecLimit, Specification

__all__ = [
    "LotStore",
    "ImportSummary",
    "DbState",
    "open_store",
    "resolve_db",
    "redact_url",
    "make_engine",
    "default_db",
    "file_sha256",
    "HEAD_REVISION",
]

HEAD_REVISION = "0001"  #: newest Alembic revision in pdkit/lots/migrations/versions
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 7_246_001  # PostgreSQL advisory lock key serialising schema upgrades
_RETRIES = 8


# ----------------------------------------------------------------------------- URLs and engines
def default_db() -> str:
    """The SQLite URL used when neither ``--db`` nor ``PDKIT_DB`` is given."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'pdkit' / 'lots.sqlite'}"


def resolve_db(db: str | os.PathLike | None = None) -> str:
    """The SQLAlchemy URL for ``db``: a URL, a path of an SQLite file, or None (``PDKIT_DB``, else the default).

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://`` (psycopg 3).

    Examples
    --------
    >>> resolve_db("postgresql://qc@db.example/lots")
    'postgresql+psycopg://qc@db.example/lots'
    >>> resolve_db("sqlite://")
    'sqlite://'
    >>> resolve_db("/data/history.sqlite")
    'sqlite:////data/history.sqlite'
    """
    if db is None or (isinstance(db, str) and not db.strip()):
        db = os.environ.get("PDKIT_DB") or default_db()
    text = os.fspath(db).strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+]*://", text):
        scheme, rest = text.split("://", 1)
        if scheme in ("postgresql", "postgres"):
            scheme = "postgresql+psycopg"
        if not (scheme.startswith("postgresql") or scheme.startswith("sqlite")):
            raise InputError(f"database {redact_url(text)!r}: expected a sqlite:/// or postgresql:// URL "
                             "or the path of an SQLite file")
        return f"{scheme}://{rest}"
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def redact_url(url: str) -> str:
    """``url`` without its password (safe to print and to record in a manifest).

    Examples
    --------
    >>> redact_url("postgresql+psycopg://pdkit:secret@127.0.0.1:5432/lots")
    'postgresql+psycopg://pdkit@127.0.0.1:5432/lots'
    >>> redact_url("sqlite:///lots.sqlite")
    'sqlite:///lots.sqlite'
    """
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1@", str(url))
    if u.password is None:
        return u.render_as_string(hide_password=False)
    return u._replace(password=None).render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with pdkit's settings.

    SQLite: foreign keys on, write-ahead log for files, 60 s busy timeout and ``BEGIN IMMEDIATE``
    transactions (so concurrent writers queue instead of failing); an in-memory database uses one
    shared connection.  PostgreSQL: psycopg 3, connections checked before use.
    """
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        if not memory:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60, "check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = __import__("sqlalchemy").create_engine(u, **kwargs)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised through every test
            dbapi_conn.isolation_level = None  # pdkit issues BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:  # pragma: no cover
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if u.get_backend_name() == "postgresql":
        from sqlalchemy import create_engine

        return create_engine(u, pool_pre_ping=True)
    raise InputError(f"database {redact_url(url)!r}: only SQLite and PostgreSQL are supported")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _user(user: str | None) -> str:
    if user is not None and str(user).strip():
        return str(user).strip()[:100]
    env = os.environ.get("PDKIT_USER")
    if env:
        return env.strip()[:100]
    try:
        return getpass.getuser()[:100]
    except Exception:  # pragma: no cover - no login name (some containers)
        return "unknown"


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ImportSummary:
    """What :meth:`LotStore.import_results` did.

    ``status`` is ``"imported"`` or ``"already imported"`` (same file hash: nothing changed);
    ``n_unchanged`` counts rows whose lot and attribute already held the same result.
    """

    status: str
    file: str
    sha256: str
    product: str
    import_id: int
    run_id: str
    n_rows: int
    n_lots_new: int
    n_results_new: int
    n_unchanged: int

    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class DbState:
    """The database state a query read: enough to find (and, with ``as_of_row_id``, re-read) it.

    ``db`` is the URL without password; ``max_row_id`` the highest result row id the query
    could see (the report is reproducible with ``as_of_row_id=max_row_id``).
    """

    query: str
    parameters: dict
    row_count: int
    max_row_id: int
    db: str

    def as_dict(self) -> dict[str, Any]:
        """The state as a plain dict (for :func:`pdkit.record.record`)."""
        return asdict(self)


_QUAL = re.compile(r"^\s*([<>]=?|≤|≥)\s*(.*)$")


def _parse_value(raw: Any, qualifier: Any) -> tuple[float | None, str | None, str | None]:
    """(value, text, qualifier) of a result cell."""
    q = None if qualifier is None or (isinstance(qualifier, float) and math.isnan(qualifier)) else str(qualifier).strip()
    q = q or None
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA or \
            (isinstance(raw, str) and not raw.strip()):
        return (None, q, q) if q and q.upper() not in ("<", ">", "<=", ">=") else (None, None, q)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw), None, q
    text = str(raw).strip()
    if not text:
        return None, None, q
    m = _QUAL.match(text)
    body = text
    if m:
        q = q or {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1))
        body = m.group(2).strip()
    try:
        v = float(body)
        if math.isfinite(v):
            return v, None, q
    except ValueError:
        pass
    return None, text, q


def _date_cell(raw: Any, where: str) -> date | None:
    if raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a date (expected YYYY-MM-DD)") from None


def _text_cell(raw: Any, limit: int = 200) -> str | None:
    if raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw)):
        return None
    text = str(raw).strip()
    return text[:limit] if text else None


def _read_file(path: Path, mapping: str | os.PathLike | None) -> pd.DataFrame:
    """The results table of ``path`` in the long layout (lot, attribute, value, ...).

    Read through the input contract of the release results (:func:`pdkit.contracts.load_table`
    with template ``release_evaluation``: the same checks, normalisation and column mappings as
    the templates; extra columns such as ``date``, ``scale``, ``site``, ``method`` are kept).
    ``attrs['rows']`` holds the source row of each table row (blank rows are excluded).
    """
    from pdkit.io.tables import require_columns

    try:
        from pdkit.io.contracts import load_table
    except ImportError:  # pragma: no cover - pdkit without the contract module
        load_table = None
    if load_table is not None:
        loaded = load_table("release_evaluation", path, {}, mapping=mapping)
        table = loaded.table.copy()
        rows = list(loaded.rows) if len(loaded.rows) == len(table) else list(range(1, len(table) + 1))
    else:
        from pdkit.io.tables import read_table

        if mapping is not None:
            raise InputError(f"mapping {os.fspath(mapping)!r}: column mappings need pdkit.contracts")
        table = read_table(path, what="lot results", id_columns=["lot", "attribute", "product"])
        rows = list(range(1, len(table) + 1))
    for alias in ("manufactured_on", "manufacturing_date"):
        if alias in table.columns and "date" not in table.columns:
            table = table.rename(columns={alias: "date"})
    require_columns(table, ["lot", "attribute", "value"], path.name)
    table.attrs["source"] = path.name
    table.attrs["rows"] = rows
    return table


# ----------------------------------------------------------------------------- the store
class LotStore:
    """A lot-history database (see the module docstring); use :func:`open_store`.

    Parameters
    ----------
    db : str or path, optional
        SQLAlchemy URL or SQLite file path (default ``PDKIT_DB`` or the per-user SQLite file).
    migrate : bool
        Bring the schema to the newest revision (default True).
    """

    def __init__(self, db: str | os.PathLike | None = None, *, migrate: bool = True) -> None:
        self.url = resolve_db(db)
        self.db = redact_url(self.url)
        try:
            self.engine = make_engine(self.url)
        except InputError:
            raise
        except (ArgumentError, ValueError):  # the parser's message may quote the password: not shown
            raise InputError(f"database {self.db}: not a valid database URL "
                             "(expected postgresql://USER@HOST:PORT/DB or sqlite:///FILE)") from None
        try:
            if migrate:
                self._migrate()
        except (OperationalError, DBAPIError) as exc:
            raise InputError(f"database {self.db}: cannot open it ({_db_message(exc)})") from None

    # -- lifecycle
    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> "LotStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LotStore({self.db!r})"

    def _migrate(self) -> None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            conn.rollback()
        if current == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        """The schema's Alembic revision."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def _write(self, work, what: str):
        """Run ``work(conn)`` in one transaction; retry when a concurrent writer won a unique race."""
        for attempt in range(_RETRIES):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except IntegrityError as exc:
                if attempt == _RETRIES - 1:
                    raise InputError(f"database {self.db}: {what} conflicts with rows written at the same "
                                     f"time ({_db_message(exc)}); run it again") from None
                time.sleep(0.05 * (attempt + 1))
            except OperationalError as exc:  # SQLite already waited its 60 s busy timeout
                if "deadlock" in str(exc).lower() and attempt < _RETRIES - 1:  # PostgreSQL chose this victim
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise InputError(f"database {self.db}: {what} failed ({_db_message(exc)})") from None

    # -- products and specifications
    def _product_id(self, conn: Connection, name: str, user: str, create: bool = True) -> int | None:
        pid = conn.execute(select(Product.id).where(Product.name == name)).scalar()
        if pid is None and create:
            pid = conn.execute(insert(Product).values(name=name, created_utc=_now(), created_by=user)
                               .returning(Product.id)).scalar_one()
        return pid

    def _require_product(self, conn: Connection, product: str) -> int:
        pid = self._product_id(conn, product, "", create=False)
        if pid is None:
            names = conn.execute(select(Product.name).order_by(Product.name)).scalars().all()
            raise InputError(f"product {product!r} is not in {self.db} (products: {', '.join(names) or 'none'})")
        return pid

    def add_specification(self, spec: Any, *, user: str | None = None) -> int:
        """Store a specification version (a :class:`pdkit.specs.Specification` or a YAML path).

        Numeric criteria become limits (``range``: lower and upper; ``>=``: lower; ``<=``: upper).
        A version already stored for the product is left as it is (its id is returned).
        """
        from pdkit.quality.specs import Specification as Spec, load_spec

        source_sha = source_name = None
        if not isinstance(spec, Spec):
            source_name = Path(spec).name
            source_sha = file_sha256(spec)
            spec = load_spec(spec)
        who = _user(user)

        def work(conn: Connection) -> int:
            pid = self._product_id(conn, spec.product, who)
            sid = conn.execute(select(Specification.id).where(
                Specification.product_id == pid, Specification.version == spec.version)).scalar()
            if sid is not None:
                return sid
            sid = conn.execute(insert(Specification).values(
                product_id=pid, version=spec.version, effective_date=spec.effective_date, title=spec.title or None,
                source_name=source_name or spec.source or None, source_sha256=source_sha, created_utc=_now(),
                created_by=who).returning(Specification.id)).scalar_one()
            rows = []
            for a in spec.attributes:
                if not a.is_numeric:
                    continue
                lo = a.lower if a.criterion == "range" else a.limit if a.criterion == ">=" else None
                hi = a.upper if a.criterion == "range" else a.limit if a.criterion == "<=" else None
                rows.append({"specification_id": sid, "attribute": a.name, "unit": a.unit or None,
                             "criterion": a.criterion, "lower": None if lo is None else float(lo),
                             "upper": None if hi is None else float(hi)})
            if rows:
                conn.execute(insert(SpecLimit), rows)
            return sid

        return self._write(work, f"adding specification {spec.product!r} version {spec.version}")

    def limits(self, product: str, on: date | str | None = None) -> pd.DataFrame:
        """Numeric limits of the specification version effective on ``on`` (default: the newest).

        Columns ``attribute, unit, criterion, lower, upper``; ``attrs['version']`` names the
        version (None and an empty table when the product has no specification).
        """
        when = _date_cell(on, "parameter 'on'") if on is not None else None
        with self.engine.connect() as conn:
            pid = self._require_product(conn, product)
            q = select(Specification.id, Specification.version).where(Specification.product_id == pid)
            if when is not None:
                q = q.where(Specification.effective_date <= when)
            row = conn.execute(q.order_by(Specification.effective_date.desc(), Specification.id.desc())).first()
            cols = ["attribute", "unit", "criterion", "lower", "upper"]
            if row is None:
                out = pd.DataFrame(columns=cols)
                out.attrs["version"] = None
                return out
            recs = conn.execute(select(SpecLimit.attribute, SpecLimit.unit, SpecLimit.criterion, SpecLimit.lower,
                                       SpecLimit.upper).where(SpecLimit.specification_id == row.id)
                                .order_by(SpecLimit.id)).all()
        out = pd.DataFrame([tuple(r) for r in recs], columns=cols)
        out.attrs["version"] = row.version
        return out

    # -- import
    def import_results(self, path: str | os.PathLike, *, product: str | None = None,
                       mapping: str | os.PathLike | None = None, user: str | None = None,
                       run_id: str | None = None) -> ImportSummary:
        """Import a lot-results file in one transaction (all rows or none).

        Parameters
        ----------
        path : path
            CSV/Excel in the long layout: ``lot, attribute, value`` and optionally ``unit``,
            ``qualifier``, ``method``, ``date`` (manufacturing date, also ``manufactured_on``),
            ``scale``, ``site``, ``product``.  Values may be numbers, censored numbers (``<0.5``)
            or text (``Conforms``).
        product : str, optional
            Product of every row (required unless the file has a ``product`` column).
        mapping : path, optional
            Column mapping for files in another layout (same mapping files as the templates).
        user, run_id : str, optional
            Who imports (default ``PDKIT_USER`` or the login name) and an id of the run.

        Returns
        -------
        ImportSummary
            ``status="already imported"`` when a file with the same SHA-256 is in the store.

        Raises
        ------
        InputError
            Naming file, row and column: missing columns, bad dates, a lot listed with two
            dates, a (lot, attribute) twice, or a result that differs from the one stored
            (use :meth:`correct`).  Nothing is written then.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"lot results file {os.fspath(path)!r} does not exist")
        sha = file_sha256(path)
        who, rid = _user(user), run_id or uuid.uuid4().hex
        with self.engine.connect() as conn:
            done = conn.execute(select(Import.id, Import.product_id, Import.n_rows).where(Import.sha256 == sha)).first()
            conn.rollback()
        if done is not None:
            return self._already(None, done, path, sha, rid)
        table = _read_file(path, mapping)
        rows, prod = _normalise(table, path.name, product)

        def work(conn: Connection) -> ImportSummary:
            prior = conn.execute(select(Import.id, Import.product_id, Import.n_rows).where(Import.sha256 == sha)).first()
            if prior is not None:
                return self._already(conn, prior, path, sha, rid)
            pid = self._product_id(conn, prod, who)
            imp = conn.execute(insert(Import).values(
                sha256=sha, kind="results", file_name=path.name[:500], n_rows=len(rows), product_id=pid,
                run_id=rid, imported_by=who, imported_utc=_now()).returning(Import.id)).scalar_one()
            lot_names = sorted({r["lot"] for r in rows})
            existing = _lots_by_name(conn, pid, lot_names)
            meta: dict[str, dict] = {}
            for r in rows:
                m = meta.setdefault(r["lot"], {"manufactured_on": None, "scale": None, "site": None, "row": r["row"]})
                for k in ("manufactured_on", "scale", "site"):
                    if r[k] is not None:
                        m[k] = r[k]
            for name, m in meta.items():
                if name in existing:
                    stored = existing[name]
                    for k in ("manufactured_on", "scale", "site"):
                        if m[k] is not None and stored[k] is not None and m[k] != stored[k]:
                            raise InputError(f"{path.name}, row {m['row']}, column "
                                             f"'{'date' if k == 'manufactured_on' else k}': lot {name!r} is in "
                                             f"the store with {k} {stored[k]}, the file says {m[k]}")
            new_lots = [{"product_id": pid, "lot": n, "manufactured_on": meta[n]["manufactured_on"],
                         "scale": meta[n]["scale"], "site": meta[n]["site"], "import_id": imp, "created_utc": _now()}
                        for n in lot_names if n not in existing]
            if new_lots:
                conn.execute(insert(Lot), new_lots)
                existing = _lots_by_name(conn, pid, lot_names)
            current = _current_by_key(conn, [existing[n]["id"] for n in lot_names])
            new, unchanged, now = [], 0, _now()
            for r in rows:
                lot_id = existing[r["lot"]]["id"]
                old = current.get((lot_id, r["attribute"]))
                if old is not None:
                    if _same(old, r):
                        unchanged += 1
                        continue
                    raise InputError(
                        f"{path.name}, row {r['row']}: lot {r['lot']!r}, attribute {r['attribute']!r} already has "
                        f"result {_shown(old)} in the store (row id {old['id']}), the file says {_shown(r)}; "
                        "change a stored result with `pdkit lots correct`")
                new.append({"lot_id": lot_id, "attribute": r["attribute"], "value": r["value"], "text": r["text"],
                            "unit": r["unit"], "qualifier": r["qualifier"], "method": r["method"],
                            "source_sha256": sha, "run_id": rid, "import_id": imp, "supersedes_id": None,
                            "entered_by": who, "entered_utc": now, "reason": None})
            for i in range(0, len(new), 5000):
                conn.execute(insert(Result), new[i:i + 5000])
            return ImportSummary("imported", path.name, sha, prod, imp, rid, len(rows), len(new_lots), len(new),
                                 unchanged)

        return self._write(work, f"importing {path.name}")

    def _already(self, conn: Connection | None, done: Any, path: Path, sha: str, rid: str) -> ImportSummary:
        q = select(Product.name).where(Product.id == done.product_id)
        if conn is not None:  # inside the writing transaction: a second connection would wait on SQLite's lock
            name = conn.execute(q).scalar() or ""
        else:
            with self.engine.connect() as c:
                name = c.execute(q).scalar() or ""
        return ImportSummary("already imported", path.name, sha, name, done.id, rid, done.n_rows, 0, 0, done.n_rows)

    # -- corrections
    def correct(self, product: str, lot: str, attribute: str, value: Any, *, reason: str,
                user: str | None = None, unit: str | None = None, qualifier: str | None = None,
                method: str | None = None) -> int:
        """Record a corrected result: a new row superseding the current one; returns its id.

        ``unit``, ``qualifier`` and ``method`` default to those of the row corrected; ``reason``
        is required.  The corrected row stays in the store (see :meth:`history`).
        """
        if reason is None or not str(reason).strip():
            raise InputError("correction: a reason is required (e.g. 'transcription error, see deviation DEV-12')")
        who = _user(user)
        v, t, q = _parse_value(value, qualifier)
        if v is None and t is None:
            raise InputError(f"correction of lot {lot!r}, attribute {attribute!r}: the new value is empty")

        def work(conn: Connection) -> int:
            pid = self._require_product(conn, product)
            lot_id = conn.execute(select(Lot.id).where(Lot.product_id == pid, Lot.lot == str(lot))).scalar()
            if lot_id is None:
                raise InputError(f"lot {lot!r} of product {product!r} is not in {self.db}")
            old = _current_by_key(conn, [lot_id]).get((lot_id, attribute))
            if old is None:
                raise InputError(f"lot {lot!r} of product {product!r} has no result for attribute {attribute!r}")
            return conn.execute(insert(Result).values(
                lot_id=lot_id, attribute=attribute, value=v, text=t, unit=old["unit"] if unit is None else unit,
                qualifier=q if qualifier is not None or q else None, method=old["method"] if method is None else method,
                source_sha256=None, run_id=uuid.uuid4().hex, import_id=None, supersedes_id=old["id"],
                entered_by=who, entered_utc=_now(), reason=str(reason).strip()).returning(Result.id)).scalar_one()

        return self._write(work, f"correcting lot {lot!r}, attribute {attribute!r}")

    # -- dispositions
    def record_dispositions(self, evaluation: Any, *, source_file: str | os.PathLike | None, run_id: str,
                            user: str | None = None, import_results: bool = True,
                            mapping: str | os.PathLike | None = None) -> int:
        """Record the lot dispositions of a :class:`pdkit.specs.LotEvaluation`; returns how many are new.

        The specification version is stored too, and (``import_results``) the results file
        ``source_file`` is imported (a no-op when it already is).  Recording the same run again
        adds nothing.
        """
        who = _user(user)
        spec = evaluation.spec
        self.add_specification(spec, user=who)
        sha = None
        if source_file is not None:
            sha = file_sha256(source_file)
            if import_results:
                self.import_results(source_file, product=spec.product, user=who, run_id=run_id, mapping=mapping)
        disp = evaluation.dispositions

        def work(conn: Connection) -> int:
            pid = self._product_id(conn, spec.product, who)
            names = [str(x) for x in disp["lot"]]
            lots = _lots_by_name(conn, pid, names)
            missing = [n for n in names if n not in lots]
            if missing:
                conn.execute(insert(Lot), [{"product_id": pid, "lot": n, "created_utc": _now()} for n in missing])
                lots = _lots_by_name(conn, pid, names)
            done = set(conn.execute(select(Disposition.lot_id).where(
                Disposition.run_id == run_id, Disposition.lot_id.in_([lots[n]["id"] for n in names]))).scalars())
            rows = [{"lot_id": lots[n]["id"], "disposition": str(d), "spec_version": spec.version,
                     "source_sha256": sha, "run_id": run_id, "recorded_by": who, "recorded_utc": _now()}
                    for n, d in zip(names, disp["disposition"]) if lots[n]["id"] not in done]
            if rows:
                conn.execute(insert(Disposition), rows)
            return len(rows)

        return self._write(work, "recording dispositions")

    # -- queries
    def products(self) -> pd.DataFrame:
        """Products with their number of lots and results and the newest specification version."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Product.name, func.count(func.distinct(Lot.id)), func.min(Lot.manufactured_on),
                                       func.max(Lot.manufactured_on))
                                .select_from(Product).outerjoin(Lot, Lot.product_id == Product.id)
                                .group_by(Product.id, Product.name).order_by(Product.name)).all()
            nres = dict(conn.execute(select(Product.name, func.count(Result.id)).select_from(Product)
                                     .join(Lot, Lot.product_id == Product.id).join(Result, Result.lot_id == Lot.id)
                                     .where(_is_current(Result)).group_by(Product.name)).all())
        return pd.DataFrame([{"product": r[0], "lots": int(r[1]), "results": int(nres.get(r[0], 0)),
                              "first_lot": r[2], "last_lot": r[3]} for r in rows],
                            columns=["product", "lots", "results", "first_lot", "last_lot"])

    def lots(self, product: str) -> pd.DataFrame:
        """Lots of ``product`` in manufacturing order: lot, date, scale, site, number of current results,
        corrections and the newest disposition."""
        with self.engine.connect() as conn:
            pid = self._require_product(conn, product)
            lots = conn.execute(select(Lot.id, Lot.lot, Lot.manufactured_on, Lot.scale, Lot.site)
                                .where(Lot.product_id == pid)).all()
            counts = dict(conn.execute(select(Result.lot_id, func.count()).join(Lot, Lot.id == Result.lot_id)
                                       .where(Lot.product_id == pid, _is_current(Result))
                                       .group_by(Result.lot_id)).all())
            corr = dict(conn.execute(select(Result.lot_id, func.count()).join(Lot, Lot.id == Result.lot_id)
                                     .where(Lot.product_id == pid, Result.supersedes_id.is_not(None))
                                     .group_by(Result.lot_id)).all())
            disp: dict[int, str] = {}
            for lot_id, d in conn.execute(select(Disposition.lot_id, Disposition.disposition).join(
                    Lot, Lot.id == Disposition.lot_id).where(Lot.product_id == pid).order_by(Disposition.id)):
                disp[lot_id] = d
        out = pd.DataFrame([{"lot": r.lot, "date": r.manufactured_on, "scale": r.scale, "site": r.site,
                             "results": int(counts.get(r.id, 0)), "corrections": int(corr.get(r.id, 0)),
                             "disposition": disp.get(r.id)} for r in lots],
                           columns=["lot", "date", "scale", "site", "results", "corrections", "disposition"])
        if len(out):
            out["_d"] = pd.to_datetime(out["date"])
            out = out.sort_values(["_d", "lot"], na_position="last", kind="stable").drop(columns="_d")
        return out.reset_index(drop=True)

    def lot_results(self, product: str, lot: str) -> pd.DataFrame:
        """Current results of one lot: attribute, value, text, unit, qualifier, method, row id, corrected."""
        with self.engine.connect() as conn:
            pid = self._require_product(conn, product)
            lot_id = conn.execute(select(Lot.id).where(Lot.product_id == pid, Lot.lot == str(lot))).scalar()
            if lot_id is None:
                raise InputError(f"lot {lot!r} of product {product!r} is not in {self.db}")
            rows = conn.execute(select(Result.attribute, Result.value, Result.text, Result.unit, Result.qualifier,
                                       Result.method, Result.id, Result.supersedes_id)
                                .where(Result.lot_id == lot_id, _is_current(Result)).order_by(Result.id)).all()
        out = pd.DataFrame([tuple(r) for r in rows], columns=["attribute", "value", "text", "unit", "qualifier",
                                                              "method", "row_id", "supersedes"])
        out["corrected"] = out["supersedes"].notna()
        return out.drop(columns="supersedes")

    def history(self, product: str, lot: str, attribute: str) -> pd.DataFrame:
        """Every row ever stored for one lot and attribute, oldest first, with who, when and why.

        Columns ``row_id, value, text, unit, qualifier, supersedes, entered_by, entered_utc,
        reason, source_sha256, current``.
        """
        with self.engine.connect() as conn:
            pid = self._require_product(conn, product)
            lot_id = conn.execute(select(Lot.id).where(Lot.product_id == pid, Lot.lot == str(lot))).scalar()
            if lot_id is None:
                raise InputError(f"lot {lot!r} of product {product!r} is not in {self.db}")
            rows = conn.execute(select(Result.id, Result.value, Result.text, Result.unit, Result.qualifier,
                                       Result.supersedes_id, Result.entered_by, Result.entered_utc, Result.reason,
                                       Result.source_sha256)
                                .where(Result.lot_id == lot_id, Result.attribute == attribute)
                                .order_by(Result.id)).all()
        if not rows:
            raise InputError(f"lot {lot!r} of product {product!r} has no result for attribute {attribute!r}")
        out = pd.DataFrame([tuple(r) for r in rows], columns=["row_id", "value", "text", "unit", "qualifier",
                                                              "supersedes", "entered_by", "entered_utc", "reason",
                                                              "source_sha256"])
        superseded = set(out["supersedes"].dropna().astype(int))
        out["supersedes"] = out["supersedes"].astype("Int64")
        out["current"] = ~out["row_id"].isin(superseded)
        return out

    def results(self, product: str, *, start: date | str | None = None, end: date | str | None = None,
                attributes: list[str] | None = None, as_of_row_id: int | None = None) -> tuple[pd.DataFrame, DbState]:
        """Current results of ``product`` (lots manufactured from ``start`` to ``end``), with the state read.

        Parameters
        ----------
        start, end : date or ``YYYY-MM-DD``, optional
            Manufacturing-date window (inclusive); lots without a date are included only
            when neither is given.
        attributes : list of str, optional
            Only these attributes.
        as_of_row_id : int, optional
            Read the store as it was when its highest result row id was this (rows and
            corrections entered later are ignored): re-reads exactly what an earlier report read.

        Returns
        -------
        (DataFrame, DbState)
            Columns ``row_id, lot, date, scale, site, attribute, value, text, unit, qualifier,
            method, entered_utc, corrected``, ordered by date, lot and attribute.
        """
        s = _date_cell(start, "parameter 'start'") if start is not None else None
        e = _date_cell(end, "parameter 'end'") if end is not None else None
        if s is not None and e is not None and e < s:
            raise InputError(f"parameters 'start'/'end': end {e} is before start {s}")
        with self.engine.begin() as conn:  # one transaction: max id and rows read together
            pid = self._require_product(conn, product)
            top = conn.execute(select(func.max(Result.id))).scalar() or 0
            if as_of_row_id is not None:
                top = min(top, int(as_of_row_id))
            later = aliased(Result)
            q = (select(Result.id.label("row_id"), Lot.lot, Lot.manufactured_on.label("date"), Lot.scale, Lot.site,
                        Result.attribute, Result.value, Result.text, Result.unit, Result.qualifier, Result.method,
                        Result.entered_utc, Result.supersedes_id)
                 .join(Lot, Lot.id == Result.lot_id)
                 .where(Lot.product_id == pid, Result.id <= top,
                        ~exists().where(and_(later.supersedes_id == Result.id, later.id <= top))))
            if s is not None:
                q = q.where(Lot.manufactured_on >= s)
            if e is not None:
                q = q.where(Lot.manufactured_on <= e)
            if attributes:
                q = q.where(Result.attribute.in_(list(attributes)))
            q = q.order_by(Lot.manufactured_on, Lot.lot, Result.attribute)
            rows = conn.execute(q).all()
            compiled = q.compile(dialect=conn.dialect)
        cols = ["row_id", "lot", "date", "scale", "site", "attribute", "value", "text", "unit", "qualifier",
                "method", "entered_utc", "supersedes"]
        out = pd.DataFrame([tuple(r) for r in rows], columns=cols)
        out["corrected"] = out["supersedes"].notna()
        out = out.drop(columns="supersedes")
        out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in compiled.params.items()}
        params = {k: v for k, v in params.items() if not isinstance(v, (list, tuple)) or len(v) < 50}
        state = DbState(query=" ".join(str(compiled).split()), parameters={"product": product, **params},
                        row_count=len(out), max_row_id=int(top), db=self.db)
        return out, state


def open_store(db: str | os.PathLike | None = None, *, migrate: bool = True) -> LotStore:
    """Open (and create or upgrade) the lot-history store at ``db``.

    Examples
    --------
    >>> with open_store("sqlite://") as store:
    ...     store.revision(), len(store.products())
    ('0001', 0)
    """
    return LotStore(db, migrate=migrate)


# ----------------------------------------------------------------------------- helpers
def _is_current(r):
    later = aliased(Result)
    return ~exists().where(later.supersedes_id == r.id)


def _lots_by_name(conn: Connection, pid: int, names: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(names), 500):
        for r in conn.execute(select(Lot.id, Lot.lot, Lot.manufactured_on, Lot.scale, Lot.site)
                              .where(Lot.product_id == pid, Lot.lot.in_(names[i:i + 500]))):
            out[r.lot] = {"id": r.id, "manufactured_on": r.manufactured_on, "scale": r.scale, "site": r.site}
    return out


def _current_by_key(conn: Connection, lot_ids: list[int]) -> dict[tuple[int, str], dict]:
    out: dict[tuple[int, str], dict] = {}
    for i in range(0, len(lot_ids), 500):
        q = select(Result.id, Result.lot_id, Result.attribute, Result.value, Result.text, Result.unit,
                   Result.qualifier, Result.method).where(Result.lot_id.in_(lot_ids[i:i + 500]), _is_current(Result))
        for r in conn.execute(q):
            out[(r.lot_id, r.attribute)] = dict(r._mapping)
    return out


def _same(old: dict, new: dict) -> bool:
    def num(a, b):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return (num(old["value"], new["value"]) and (old["text"] or None) == (new["text"] or None)
            and (old["unit"] or None) == (new["unit"] or None) and (old["qualifier"] or None) == (new["qualifier"] or None))


def _shown(r: dict) -> str:
    v = r["text"] if r["value"] is None else f"{r['value']:g}"
    return f"{r['qualifier'] or ''}{v}{' ' + r['unit'] if r['unit'] else ''}"


def _normalise(table: pd.DataFrame, source: str, product: str | None) -> tuple[list[dict], str]:
    """Validated rows (dicts) of a results table and the product they belong to."""
    from pdkit.io.tables import check_unique

    if len(table) == 0:
        raise InputError(f"{source}: no result rows")
    prod = None if product is None else str(product).strip()
    if "product" in table.columns:
        names = [x for x in dict.fromkeys(_text_cell(v) for v in table["product"]) if x]
        if len(names) > 1:
            raise InputError(f"{source}, column 'product': one product per file, found {', '.join(names[:5])}")
        if names:
            if prod and names[0] != prod:
                raise InputError(f"{source}, column 'product': the file is for {names[0]!r}, not {prod!r}")
            prod = names[0]
    if not prod:
        raise InputError(f"{source}: give the product (--product) or a 'product' column")
    cols = set(table.columns)
    get = {c: (table[c].tolist() if c in cols else [None] * len(table))
           for c in ("lot", "attribute", "value", "unit", "qualifier", "method", "date", "scale", "site")}
    rows = []
    lot_dates: dict[str, tuple[date, int]] = {}
    source_rows = table.attrs.get("rows") or list(range(1, len(table) + 1))
    for i in range(len(table)):
        n = source_rows[i]
        lot, att = _text_cell(get["lot"][i], 100), _text_cell(get["attribute"][i])
        if lot is None:
            raise InputError(f"{source}, row {n}, column 'lot': lot is missing")
        if att is None:
            raise InputError(f"{source}, row {n}, column 'attribute': attribute is missing")
        v, t, q = _parse_value(get["value"][i], get["qualifier"][i])
        if v is None and t is None:
            raise InputError(f"{source}, row {n}, column 'value': no result for lot {lot!r}, attribute {att!r}")
        d = _date_cell(get["date"][i], f"{source}, row {n}, column 'date'")
        if d is not None:
            seen = lot_dates.setdefault(lot, (d, n))
            if seen[0] != d:
                raise InputError(f"{source}, row {n}, column 'date': lot {lot!r} has date {d} here and "
                                 f"{seen[0]} in row {seen[1]}")
        rows.append({"row": n, "lot": lot, "attribute": att, "value": v, "text": None if t is None else t[:500],
                     "unit": _text_cell(get["unit"][i], 50), "qualifier": None if q is None else q[:10],
                     "method": _text_cell(get["method"][i]), "manufactured_on": d,
                     "scale": _text_cell(get["scale"][i], 50), "site": _text_cell(get["site"][i])})
    keys = pd.DataFrame({"lot": [r["lot"] for r in rows], "attribute": [r["attribute"] for r in rows]})
    check_unique(keys, ["lot", "attribute"], source)
    return rows, prod[:200]


def _db_message(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    text = re.sub(r"(password[= ])\S+", r"\1***", text, flags=re.I)
    return text[:300]

