"""Alembic environment of the pdkit lot-history store.

pdkit runs the migrations itself when a store is opened (:func:`pdkit.lots.open_store`),
passing its own connection in ``config.attributes["connection"]``.  To add a revision,
from the repository root::

    .venv/bin/python -c "from alembic.config import Config; from alembic import command; \\
    c = Config(); c.set_main_option('script_location', 'pdkit/lots/migrations'); \\
    command.revision(c, 'what changes')"

and write its ``upgrade()``/``downgrade()`` by hand (the store is append-only: add
tables and columns, never rewrite rows).
"""
from __future__ import annotations

from alembic import context

from pdkit.lots.models import Base

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("pdkit lot-history migrations run online only (pdkit opens the database itself)")

_connection = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    from pdkit.lots.store import make_engine, resolve_db

    _engine = make_engine(resolve_db(config.get_main_option("sqlalchemy.url") or None))
    with _engine.begin() as _conn:
        _run(_conn)
    _engine.dispose()
