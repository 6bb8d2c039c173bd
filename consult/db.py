"""Declarative base, column types and time helpers shared by every domain's models."""

from __future__ import annotations

import enum
import sqlite3
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no zones, so values are stored as naive UTC
    and come back aware. Naive values are refused: a naive datetime is a bug waiting.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime (consult.db.utcnow)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """Store an enum's values as plain strings (no PostgreSQL ENUM type to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def created_at_column():
    return sa.orm.mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def render_migration_item(type_, obj, autogen_context):
    """Write our column types into migrations as plain SQLAlchemy types.

    Migrations then stand alone: they never import application code that may change later.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def begin_writing(session) -> None:
    """Make the session's transaction a writer now, on SQLite (elsewhere: nothing to do).

    SQLite has one writer at a time. A connection that finds the write lock taken waits in
    SQLite's busy handler, which sleeps 1, 2, 5, 10, 15… ms between tries, long after the
    lock is free again: under a rush of registrations that cost about a tenth of the
    throughput. Here the lock is taken with BEGIN IMMEDIATE and tried again after a fraction
    of a millisecond, growing to 5 ms, for as long as the connection's busy timeout allows.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        return  # already writing (or reading in a transaction): SQLite decides as usual
    cursor = raw.cursor()
    (timeout_ms,) = cursor.execute("PRAGMA busy_timeout").fetchone()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        deadline = time.monotonic() + timeout_ms / 1000
        pause = 0.0002
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                # SQLITE_BUSY only: a stale snapshot (SQLITE_BUSY_SNAPSHOT) says "locked"
                # too, and waiting cannot cure it
                busy = getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY"
                if not busy or time.monotonic() > deadline:
                    # as SQLAlchemy reports it, so the error pages know it
                    raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, error) from error
            time.sleep(pause)
            pause = min(pause * 1.5, 0.005)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
        cursor.close()
