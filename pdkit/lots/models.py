"""Tables of the lot-history store (SQLAlchemy 2 declarative models).

The schema is created and evolved only by the Alembic migrations in
``pdkit/lots/migrations/versions``; these classes describe it for queries.  Every table is
append-only: rows are inserted and never updated or deleted (the migrations add database
triggers that reject UPDATE and DELETE).  A correction is a new :class:`Result` row whose
``supersedes_id`` points at the row it replaces; at most one row can supersede a given row
(a unique constraint), so the history of a value is a simple chain.

Examples
--------
>>> sorted(Base.metadata.tables)
['dispositions', 'imports', 'lots', 'products', 'results', 'spec_limits', 'specifications']
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Product", "Specification", "SpecLimit", "Import", "Lot", "Result", "Disposition",
           "APPEND_ONLY_TABLES"]


class Base(DeclarativeBase):
    """Declarative base of the lot-history tables."""


class Product(Base):
    """A product (drug substance or drug product) whose lots are tracked."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class Specification(Base):
    """One version of a product's specification (a new version is a new row)."""

    __tablename__ = "specifications"
    __table_args__ = (UniqueConstraint("product_id", "version", name="uq_specifications_product_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    version: Mapped[str] = mapped_column(String(50))
    effective_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class SpecLimit(Base):
    """Numeric acceptance limits of one attribute in one specification version."""

    __tablename__ = "spec_limits"
    __table_args__ = (UniqueConstraint("specification_id", "attribute", name="uq_spec_limits_spec_attribute"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specification_id: Mapped[int] = mapped_column(ForeignKey("specifications.id"))
    attribute: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(50), nullable=True)
    criterion: Mapped[str] = mapped_column(String(20))
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)


class Import(Base):
    """One imported file (identified by its SHA-256: importing the same bytes again is a no-op)."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(500))
    n_rows: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    run_id: Mapped[str] = mapped_column(String(100))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lot(Base):
    """A manufactured lot of a product (lot numbers are unique per product)."""

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("product_id", "lot", name="uq_lots_product_lot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot: Mapped[str] = mapped_column(String(100))
    manufactured_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    scale: Mapped[str | None] = mapped_column(String(50), nullable=True)
    site: Mapped[str | None] = mapped_column(String(200), nullable=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), nullable=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Result(Base):
    """One test result of a lot; corrections are new rows that supersede an earlier one."""

    __tablename__ = "results"
    __table_args__ = (
        # one original (non-correction) result per lot and attribute
        Index("uq_results_original", "lot_id", "attribute", unique=True,
              sqlite_where=text("supersedes_id IS NULL"), postgresql_where=text("supersedes_id IS NULL")),
        Index("ix_results_attribute", "attribute"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    attribute: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(50), nullable=True)
    qualifier: Mapped[str | None] = mapped_column(String(10), nullable=True)
    method: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_id: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), nullable=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), nullable=True, unique=True)
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Disposition(Base):
    """A lot disposition recorded by a release evaluation run."""

    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("lot_id", "run_id", name="uq_dispositions_lot_run"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    disposition: Mapped[str] = mapped_column(String(50))
    spec_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_id: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: tables protected by append-only triggers
APPEND_ONLY_TABLES = ("products", "specifications", "spec_limits", "imports", "lots", "results", "dispositions")
