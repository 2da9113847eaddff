"""``pdkit lots``: import, list, show, history and correct lot results in the lot-history store.

Every command takes ``--db URL`` (a ``postgresql://`` or ``sqlite:///`` URL or an SQLite file
path); without it ``PDKIT_DB`` is used, else the per-user SQLite file
(:func:`pdkit.lots.default_db`).  Errors are one line on stderr with exit code 2; the database
password is never printed.

Examples
--------
>>> import click
>>> from click.testing import CliRunner
>>> group = click.Group("pdkit")
>>> register(group)
>>> sorted(group.commands["lots"].commands)
['correct', 'history', 'import', 'list', 'show']
>>> CliRunner().invoke(group, ["lots", "list", "--db", "sqlite://"]).output
'no products in sqlite://\\n'
"""
from __future__ import annotations

from typing import Any

import click

from pdkit.clikit import CONTEXT, fail

__all__ = ["register", "lots_group"]


_db_option = click.option("--db", default=None, metavar="URL",
                          help="Database URL (postgresql://..., sqlite:///FILE) or SQLite file; "
                               "default $PDKIT_DB, else the per-user SQLite file.")
_format_option = click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table",
                              show_default=True, help="Output as an aligned table or as CSV.")


def _open(db: str | None):
    from pdkit.errors import InputError
    from pdkit.lots.store import open_store

    try:
        return open_store(db)
    except InputError as exc:
        fail(str(exc))


def _show(frame, fmt: str) -> None:
    import pandas as pd

    if fmt == "csv":
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    out = frame.copy()
    if "source_sha256" in out.columns:  # the first 12 hex digits identify a file in a table
        out["source_sha256"] = out["source_sha256"].map(lambda v: v[:12] if isinstance(v, str) else v)
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.6g}")
        else:
            out[c] = out[c].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    click.echo(out.to_string(index=False))


def _guard(fn, *args: Any, **kwargs: Any):
    from pdkit.errors import InputError

    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        fail(str(exc))


@click.group("lots", context_settings=CONTEXT)
def lots_group() -> None:
    """Lot history: keep every lot's results across runs, products and years (for CPV).

    The store is append-only: corrections are new rows naming the row they supersede.
    """


@lots_group.command("import", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--product", default=None, help="Product of the results (unless the file has a 'product' column).")
@click.option("--mapping", default=None, type=click.Path(dir_okay=False),
              help="Column mapping for files in another layout (as for the templates).")
@click.option("--user", default=None, help="Who imports (default $PDKIT_USER or the login name).")
@_db_option
def import_cmd(files, product, mapping, user, db) -> None:
    """Import lot results (CSV/Excel, long layout) or a specification (YAML).

    Each file is one transaction: all of its rows or none.  A file already imported (same
    SHA-256) changes nothing.  Columns: lot, attribute, value and optionally unit, qualifier,
    method, date (manufacturing date), scale, site, product.
    """
    from pathlib import Path

    from pdkit.lots import import_file
    from pdkit.lots.store import resolve_db, redact_url

    target = redact_url(_guard(resolve_db, db))
    for f in files:
        s = _guard(import_file, db, Path(f), product=product, mapping=mapping, user=user)
        if s.status == "specification":
            click.echo(f"{f}: specification of {s.product!r} stored (id {s.import_id}) in {target}")
        elif s.status == "already imported":
            click.echo(f"{f}: already imported (sha256 {s.sha256[:12]}, import {s.import_id}); nothing changed")
        else:
            click.echo(f"{f}: imported {s.n_results_new} result(s), {s.n_lots_new} new lot(s) of {s.product!r}"
                       f" ({s.n_unchanged} unchanged) into {target} [import {s.import_id}, sha256 {s.sha256[:12]}]")


@lots_group.command("list", context_settings=CONTEXT)
@click.option("--product", default=None, help="List this product's lots (default: list the products).")
@_db_option
@_format_option
def list_cmd(product, db, fmt) -> None:
    """List the products, or the lots of one product in manufacturing order."""
    with _open(db) as store:
        if product is None:
            table = _guard(store.products)
            if table.empty:
                click.echo(f"no products in {store.db}")
                return
        else:
            table = _guard(store.lots, product)
    _show(table, fmt)


@lots_group.command("show", context_settings=CONTEXT)
@click.argument("product")
@click.argument("lot")
@_db_option
@_format_option
def show_cmd(product, lot, db, fmt) -> None:
    """Show a lot's current results (corrected ones marked)."""
    with _open(db) as store:
        lots = _guard(store.lots, product)
        table = _guard(store.lot_results, product, lot)
    if fmt == "table":
        row = lots[lots["lot"] == lot].iloc[0]
        meta = [f"lot {lot} of {product}"] + [f"{k} {row[k]}" for k in ("date", "scale", "site", "disposition")
                                               if row[k] is not None and str(row[k]) not in ("", "nan", "NaT", "None")]
        click.echo(", ".join(meta))
    _show(table, fmt)


@lots_group.command("history", context_settings=CONTEXT)
@click.argument("product")
@click.argument("lot")
@click.argument("attribute")
@_db_option
@_format_option
def history_cmd(product, lot, attribute, db, fmt) -> None:
    """Show every value ever stored for one lot and attribute, with who, when and why."""
    with _open(db) as store:
        table = _guard(store.history, product, lot, attribute)
    _show(table, fmt)


@lots_group.command("correct", context_settings=CONTEXT)
@click.argument("product")
@click.argument("lot")
@click.argument("attribute")
@click.argument("value")
@click.option("--reason", required=True, help="Why the result is corrected (e.g. a deviation number).")
@click.option("--unit", default=None, help="Unit of the new value (default: that of the corrected row).")
@click.option("--qualifier", default=None, help="Qualifier of the new value such as '<'.")
@click.option("--user", default=None, help="Who corrects (default $PDKIT_USER or the login name).")
@_db_option
def correct_cmd(product, lot, attribute, value, reason, unit, qualifier, user, db) -> None:
    """Correct a result: adds a row superseding the current one (the old row is kept)."""
    with _open(db) as store:
        rid = _guard(store.correct, product, lot, attribute, value, reason=reason, user=user, unit=unit,
                     qualifier=qualifier)
    click.echo(f"lot {lot}, {attribute}: corrected to {value} (row {rid}); see `pdkit lots history`")


def register(main: click.Group) -> None:
    """Add the ``lots`` command group to the ``pdkit`` command line."""
    main.add_command(lots_group, "lots")
