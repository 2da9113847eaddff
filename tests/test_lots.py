"""The lot-history store (pdkit.lots) on SQLite and on PostgreSQL.

Every store test runs twice through the ``db_url`` fixture: on an SQLite file and on the
PostgreSQL server named by ``PDKIT_TEST_POSTGRES_URL`` (each test in its own schema, dropped
afterwards).  Without that variable the PostgreSQL cases skip, except under CI (``CI`` or
``PDKIT_REQUIRE_POSTGRES`` set, as ``.ci/run`` does), where they fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from pdkit.errors import InputError
from pdkit.lots import open_store, record_dispositions, redact_url, resolve_db

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "lot_history"
HISTORY = SAMPLE / "pdx_lot_history_synthetic.csv"
SPEC = SAMPLE / "pdx_spec_synthetic.yaml"
PRODUCT = "PDX-101 (synthetic)"
PG_URL = os.environ.get("PDKIT_TEST_POSTGRES_URL", "").strip()


def _postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("PDKIT_REQUIRE_POSTGRES"))


def _pg_base() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def _postgres_schema():
    """A URL of a new, empty schema on the test PostgreSQL server (dropped afterwards)."""
    if not PG_URL:
        reason = ("PostgreSQL store tests need PDKIT_TEST_POSTGRES_URL, e.g. "
                  "postgresql://pdkit:pdkit@127.0.0.1:5432/pdkit_test (.ci/run starts such a server)")
        if _postgres_required():
            pytest.fail(f"{reason}; under CI they must run, not skip")
        pytest.skip(reason)
    import psycopg

    schema = f"pdkit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_base(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in _pg_base() else "?"
    try:
        yield f"{_pg_base()}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_pg_base(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty store URL: an SQLite file, or a new schema on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lots.sqlite'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def pg_url():
    """A fresh, empty store on the test PostgreSQL server only."""
    with _postgres_schema() as url:
        yield url


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _history() -> pd.DataFrame:
    return pd.read_csv(HISTORY, dtype=str, keep_default_na=False)


def _count(store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())


# ----------------------------------------------------------------------------- URLs
def test_urls_and_password_redaction(monkeypatch, tmp_path):
    assert resolve_db("postgresql://a:b@h:5432/d") == "postgresql+psycopg://a:b@h:5432/d"
    assert resolve_db("postgres://h/d") == "postgresql+psycopg://h/d"
    assert resolve_db(tmp_path / "x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("PDKIT_DB", "postgresql://u:pw@h/d")
    assert resolve_db(None) == "postgresql+psycopg://u:pw@h/d"
    monkeypatch.delenv("PDKIT_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert resolve_db(None) == f"sqlite:///{tmp_path / 'pdkit' / 'lots.sqlite'}"
    assert "pw" not in redact_url("postgresql+psycopg://u:pw@h/d")
    assert redact_url("postgresql+psycopg://u:pw@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(InputError, match="sqlite:/// or postgresql://"):
        resolve_db("mysql://u:pw@h/d")


def test_unreachable_database_message_has_no_password():
    with pytest.raises(InputError) as err:
        open_store("postgresql://qc:topsecret@127.0.0.1:1/lots")
    assert "topsecret" not in str(err.value)
    assert "cannot open" in str(err.value) and "\n" not in str(err.value)


# ----------------------------------------------------------------------------- import
def test_import_is_idempotent_by_hash(db_url, tmp_path):
    with open_store(db_url) as store:
        assert store.revision() == "0001"
        first = store.import_results(HISTORY, user="qc1")
        assert (first.status, first.product, first.n_rows, first.n_lots_new, first.n_results_new) == \
            ("imported", PRODUCT, 960, 120, 960)
        _, state1 = store.results(PRODUCT)
        again = store.import_results(HISTORY, user="qc2")
        copy = tmp_path / "renamed copy.csv"
        copy.write_bytes(HISTORY.read_bytes())
        renamed = store.import_results(copy)
        assert again.status == renamed.status == "already imported"
        assert again.import_id == renamed.import_id == first.import_id
        # a different file holding rows already stored adds nothing either
        subset = _write(tmp_path / "subset.csv", _history().iloc[:80])
        part = store.import_results(subset)
        assert (part.status, part.n_results_new, part.n_unchanged, part.n_lots_new) == ("imported", 0, 80, 0)
        table, state2 = store.results(PRODUCT)
        assert (state2.row_count, state2.max_row_id) == (state1.row_count, state1.max_row_id) == (960, 960)
        assert _count(store, "lots") == 120 and _count(store, "results") == 960 and _count(store, "imports") == 2
        # values round-trip, including the censored endotoxin result
        cens = table[(table["lot"] == "PDX-22-07") & (table["attribute"] == "endotoxin")].iloc[0]
        assert (cens["value"], cens["qualifier"]) == (0.5, "<")
        lots = store.lots(PRODUCT)
        assert lots["lot"].tolist()[:2] == ["PDX-21-01", "PDX-21-02"] and lots["results"].eq(8).all()
        assert str(lots["date"].iloc[0]) == "2021-01-05"


def test_bad_file_rolls_back_everything(db_url, tmp_path):
    h = _history()
    with open_store(db_url) as store:
        store.import_results(_write(tmp_path / "first.csv", h.iloc[:160]))  # lots 1-20
        n_results, n_lots, n_imports = _count(store, "results"), _count(store, "lots"), _count(store, "imports")
        # new lots 21-40 followed by a row contradicting a stored result: nothing may be written
        bad = pd.concat([h.iloc[160:320], h.iloc[[3]].assign(value="12.5")])
        path = _write(tmp_path / "bad.csv", bad)
        with pytest.raises(InputError) as err:
            store.import_results(path)
        msg = str(err.value)
        assert "bad.csv, row 161" in msg and "PDX-21-01" in msg and "pdkit lots correct" in msg
        # a lot whose date differs from the stored one
        moved = _write(tmp_path / "moved.csv", pd.concat([h.iloc[160:168], h.iloc[[0]].assign(date="2030-01-01")]))
        with pytest.raises(InputError, match=r"moved.csv, row 9, column 'date': lot 'PDX-21-01'"):
            store.import_results(moved)
        # bad cells are reported with file, row and column
        broken = _write(tmp_path / "broken.csv", h.iloc[160:170].assign(date=["2022-01-01"] * 9 + ["someday"]))
        with pytest.raises(InputError, match=r"broken.csv, row 10, column 'date': 'someday' is not a date"):
            store.import_results(broken)
        assert (_count(store, "results"), _count(store, "lots"), _count(store, "imports")) == \
            (n_results, n_lots, n_imports)
        # after fixing the file it imports in full
        ok = store.import_results(_write(tmp_path / "fixed.csv", h.iloc[160:320]))
        assert (ok.n_lots_new, ok.n_results_new) == (20, 160)


def test_bad_layout_messages(db_url, tmp_path):
    with open_store(db_url) as store:
        p = _write(tmp_path / "nolot.csv", pd.DataFrame({"batch": ["A"], "attribute": ["x"], "value": [1]}))
        with pytest.raises(InputError, match="nolot.csv.*lot"):
            store.import_results(p, product="P")
        p = _write(tmp_path / "noproduct.csv", pd.DataFrame({"lot": ["A"], "attribute": ["x"], "value": [1]}))
        with pytest.raises(InputError, match="give the product"):
            store.import_results(p)
        p = _write(tmp_path / "empty.csv", pd.DataFrame({"lot": ["A", "B"], "attribute": ["x", "x"],
                                                         "value": [1, None]}))
        with pytest.raises(InputError, match=r"empty.csv, row 2, column 'value'"):
            store.import_results(p, product="P")
        assert _count(store, "imports") == 0 and _count(store, "products") == 0


# ----------------------------------------------------------------------------- append-only
def test_corrections_are_append_only(db_url, tmp_path):
    with open_store(db_url) as store:
        store.import_results(_write(tmp_path / "a.csv", _history().iloc[:80]))
        _, before = store.results(PRODUCT)
        r1 = store.correct(PRODUCT, "PDX-21-03", "supercoiled", "94.9", reason="integration error, DEV-101",
                           user="qa.one")
        r2 = store.correct(PRODUCT, "PDX-21-03", "supercoiled", 95.0, reason="re-integrated per SOP-7",
                           user="qa.two")
        hist = store.history(PRODUCT, "PDX-21-03", "supercoiled")
        assert hist["row_id"].tolist()[1:] == [r1, r2]
        assert hist["supersedes"].tolist()[1:] == [hist["row_id"].iloc[0], r1]
        assert hist["current"].tolist() == [False, False, True]
        assert hist["value"].tolist()[1:] == [94.9, 95.0]
        assert hist["entered_by"].tolist()[1:] == ["qa.one", "qa.two"]
        assert hist["reason"].iloc[2] == "re-integrated per SOP-7" and hist["unit"].iloc[2] == "%"
        table, after = store.results(PRODUCT)
        assert after.row_count == before.row_count == 80 and after.max_row_id == r2
        cur = table[(table["lot"] == "PDX-21-03") & (table["attribute"] == "supercoiled")]
        assert cur["value"].tolist() == [95.0] and cur["corrected"].tolist() == [True]
        # the store as an earlier report read it
        old, state = store.results(PRODUCT, as_of_row_id=before.max_row_id)
        orig = old[(old["lot"] == "PDX-21-03") & (old["attribute"] == "supercoiled")]["value"].iloc[0]
        assert orig == hist["value"].iloc[0] and state.max_row_id == before.max_row_id
        with pytest.raises(InputError, match="reason is required"):
            store.correct(PRODUCT, "PDX-21-03", "supercoiled", 95.1, reason=" ")
        with pytest.raises(InputError, match="no result for attribute 'potency'"):
            store.correct(PRODUCT, "PDX-21-03", "potency", 1, reason="x")
        # the database itself refuses to rewrite history
        for sql in ("UPDATE results SET value = 0", "DELETE FROM results", "DELETE FROM lots",
                    "UPDATE products SET name = 'x'"):
            with pytest.raises(Exception, match="append-only"):
                with store.engine.begin() as conn:
                    conn.execute(text(sql))
        assert _count(store, "results") == 82


def test_no_update_or_delete_in_the_api():
    from pdkit.lots import LotStore

    public = [n for n in dir(LotStore) if not n.startswith("_")]
    assert not [n for n in public if any(w in n for w in ("update", "delete", "remove", "drop", "edit"))]


# ----------------------------------------------------------------------------- specifications, dispositions
def test_specification_versions_and_dispositions(db_url, tmp_path):
    from pdkit.specs import evaluate_lots, load_spec

    with open_store(db_url) as store:
        sid = store.add_specification(SPEC)
        assert store.add_specification(SPEC) == sid
        lim = store.limits(PRODUCT).set_index("attribute")
        assert lim.attrs["version"] == "1.0"
        assert (lim.loc["supercoiled", "lower"], pd.isna(lim.loc["supercoiled", "upper"])) == (90.0, True)
        assert (lim.loc["ph", "lower"], lim.loc["ph", "upper"]) == (7.5, 8.5)
        v2 = SPEC.read_text().replace('version: "1.0"', 'version: "2.0"').replace(
            "effective_date: 2021-01-01", "effective_date: 2024-06-01").replace("limit: 5.00", "limit: 4.00")
        (tmp_path / "v2.yaml").write_text(v2)
        store.add_specification(tmp_path / "v2.yaml")
        assert store.limits(PRODUCT).attrs["version"] == "2.0"
        assert store.limits(PRODUCT).set_index("attribute").loc["host_gdna", "upper"] == 4.0
        assert store.limits(PRODUCT, on="2023-12-31").attrs["version"] == "1.0"

    release = ROOT / "data_samples" / "release" / "plasmid_release_synthetic.csv"
    spec = load_spec(ROOT / "data_samples" / "specs" / "plasmid_gmp_spec.yaml")
    ev = evaluate_lots(release, spec)
    n = record_dispositions(db_url, ev, source_file=release, run_id="run-1", user="qa")
    assert n == 4
    assert record_dispositions(db_url, ev, source_file=release, run_id="run-1", user="qa") == 0
    assert record_dispositions(db_url, ev, source_file=release, run_id="run-2", user="qa") == 4
    with open_store(db_url) as store:
        lots = store.lots(spec.product).set_index("lot")
        assert lots.loc["PD-24-002", "disposition"] == "does not meet"
        assert lots.loc["PD-24-004", "disposition"] == "incomplete"
        shown = store.lot_results(spec.product, "PD-24-001").set_index("attribute")
        assert shown.loc["appearance", "text"] == "Clear, colourless solution"
        assert shown.loc["supercoiled", "value"] == 95.10
        assert _count(store, "dispositions") == 8 and _count(store, "imports") == 1


# ----------------------------------------------------------------------------- concurrency
WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pdkit.lots import open_store
    db, go, *files = sys.argv[1:]
    while not Path(go).exists():
        time.sleep(0.005)
    with open_store(db) as store:
        for f in files:
            s = store.import_results(f, user=Path(f).stem)
            print(s.status, s.n_results_new, flush=True)
""")


def test_two_importers_at_once_lose_nothing(db_url, tmp_path):
    """Two processes import six overlapping files (in opposite orders) into the same new store."""
    h = _history().iloc[:480]  # 60 lots x 8 attributes
    files = []
    for k in range(6):  # windows of 20 lots overlapping by 10: every lot in two files (the ends in one)
        part = h.iloc[k * 80:k * 80 + 160]
        files.append(str(_write(tmp_path / f"part{k}.csv", part)))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(go), *order],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for order in (files, files[::-1])]
    time.sleep(1.5)  # both interpreters up and waiting
    go.write_text("go")
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    statuses = [line.split()[0] for out, _ in outs for line in out.splitlines()]
    assert statuses.count("imported") == 6 and statuses.count("already") == 6
    added = sum(int(line.split()[-1]) for out, _ in outs for line in out.splitlines())
    assert added == 480
    with open_store(db_url) as store:
        assert _count(store, "lots") == 60 and _count(store, "results") == 480 and _count(store, "imports") == 6
        with store.engine.connect() as conn:
            dup = conn.execute(text("SELECT lot_id, attribute, COUNT(*) FROM results GROUP BY lot_id, attribute "
                                    "HAVING COUNT(*) > 1")).all()
            assert dup == []
        table, state = store.results(PRODUCT)
        assert state.row_count == 480
        merged = table.merge(h.assign(value=h["value"].astype(float)), on=["lot", "attribute"], suffixes=("", "_file"))
        assert len(merged) == 480 and (merged["value"] == merged["value_file"]).all()


# ----------------------------------------------------------------------------- schema
def test_migrations_match_the_models_and_downgrade(db_url):
    """The Alembic revision creates exactly the tables the models describe, and can be undone."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    from pdkit.lots.models import Base
    from pdkit.lots.store import MIGRATIONS

    with open_store(db_url) as store:
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert store.revision() is None
    with open_store(db_url) as store:  # opening upgrades again
        assert store.revision() == "0001" and len(store.products()) == 0


def test_import_through_a_column_mapping(db_url, tmp_path):
    """A lab export in wide layout goes in through the same mapping files as the templates."""
    export = tmp_path / "prep_log.csv"
    export.write_text("Lot,Made on,STATUS,Titer (vg/mL),% Full\n"
                      "A1,1/19/2024,Released,\"2,000,000\",71.5\n"
                      "A2,2/02/2024,Failed,5,10\n"
                      "A3,2/16/2024,Released,<LOQ,68.0\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        'layout: wide\nlot: Lot\ndate: {column: Made on, format: "%m/%d/%Y"}\nthousands: ","\n'
        "exclude:\n  - {column: STATUS, values: [Failed], reason: prep failed}\n"
        'qualifiers:\n  "<LOQ": {action: censored_below}\n'
        "attributes:\n  - {column: Titer (vg/mL), attribute: vg_titer, unit_from_header: true}\n"
        '  - {column: "% Full", attribute: full_capsids, unit: "%"}\n')
    with open_store(db_url) as store:
        s = store.import_results(export, product="AAV-X", mapping=mapping)
        assert (s.n_lots_new, s.n_results_new) == (2, 4)
        table, _ = store.results("AAV-X")
        assert table["lot"].tolist() == ["A1", "A1", "A3", "A3"]
        assert [str(d) for d in table["date"]] == ["2024-01-19"] * 2 + ["2024-02-16"] * 2
        got = table.set_index(["lot", "attribute"])
        assert got.loc[("A1", "vg_titer"), "value"] == 2e6 and got.loc[("A1", "vg_titer"), "unit"] == "vg/mL"
        assert got.loc[("A3", "vg_titer"), "qualifier"] == "<LOQ" and pd.isna(got.loc[("A3", "vg_titer"), "value"])
