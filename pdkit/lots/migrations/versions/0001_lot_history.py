"""Lot history: products, versioned specifications, imports, lots, results, dispositions.

Append-only: triggers reject UPDATE and DELETE on every table (SQLite: RAISE(ABORT);
PostgreSQL: a trigger function raising an exception, plus a statement trigger on TRUNCATE).

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("products", "specifications", "spec_limits", "imports", "lots", "results", "dispositions")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_utc", _utc(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "specifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("source_name", sa.String(500), nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("created_utc", _utc(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("product_id", "version", name="uq_specifications_product_version"),
    )
    op.create_table(
        "spec_limits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("specification_id", sa.Integer, sa.ForeignKey("specifications.id"), nullable=False),
        sa.Column("attribute", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(50), nullable=True),
        sa.Column("criterion", sa.String(20), nullable=False),
        sa.Column("lower", sa.Float, nullable=True),
        sa.Column("upper", sa.Float, nullable=True),
        sa.UniqueConstraint("specification_id", "attribute", name="uq_spec_limits_spec_attribute"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=True),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("imported_utc", _utc(), nullable=False),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
        sa.Column("lot", sa.String(100), nullable=False),
        sa.Column("manufactured_on", sa.Date, nullable=True),
        sa.Column("scale", sa.String(50), nullable=True),
        sa.Column("site", sa.String(200), nullable=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=True),
        sa.Column("created_utc", _utc(), nullable=False),
        sa.UniqueConstraint("product_id", "lot", name="uq_lots_product_lot"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("lot_id", sa.Integer, sa.ForeignKey("lots.id"), nullable=False),
        sa.Column("attribute", sa.String(200), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("text", sa.String(500), nullable=True),
        sa.Column("unit", sa.String(50), nullable=True),
        sa.Column("qualifier", sa.String(10), nullable=True),
        sa.Column("method", sa.String(200), nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=True),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("results.id"), nullable=True, unique=True),
        sa.Column("entered_by", sa.String(100), nullable=False),
        sa.Column("entered_utc", _utc(), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("uq_results_original", "results", ["lot_id", "attribute"], unique=True,
                    sqlite_where=sa.text("supersedes_id IS NULL"),
                    postgresql_where=sa.text("supersedes_id IS NULL"))
    op.create_index("ix_results_attribute", "results", ["attribute"])
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("lot_id", sa.Integer, sa.ForeignKey("lots.id"), nullable=False),
        sa.Column("disposition", sa.String(50), nullable=False),
        sa.Column("spec_version", sa.String(50), nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_utc", _utc(), nullable=False),
        sa.UniqueConstraint("lot_id", "run_id", name="uq_dispositions_lot_run"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for t in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {t}_append_only_{action.lower()} BEFORE {action} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, 'pdkit lot history is append-only: {action} on {t} is not allowed'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION pdkit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'pdkit lot history is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME; "
            "END $$"
        )
        for t in TABLES:
            op.execute(f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                       "FOR EACH ROW EXECUTE FUNCTION pdkit_append_only()")
            op.execute(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION pdkit_append_only()")


def downgrade() -> None:
    for t in reversed(TABLES):
        op.drop_table(t)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pdkit_append_only()")
