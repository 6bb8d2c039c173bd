"""SQLite's one writer: a transaction that will write takes the lock in short steps."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from consult.db import begin_writing


@pytest.fixture
def other_writer(db, database_url):
    """A second connection to the same SQLite file, as another worker process has."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0,
                                 isolation_level=None, check_same_thread=False)
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


def _busy_timeout(db) -> int:
    return db.session.execute(sa.text("PRAGMA busy_timeout")).scalar_one()


def test_the_transaction_holds_the_write_lock_at_once(db, other_writer):
    before = _busy_timeout(db)
    begin_writing(db.session)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other_writer.execute("BEGIN IMMEDIATE")
    assert _busy_timeout(db) == before
    db.session.rollback()
    other_writer.execute("BEGIN IMMEDIATE")  # free again once the transaction ends


def test_waits_for_the_writer_before_it(db, other_writer):
    other_writer.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def finish_later():
        time.sleep(0.3)
        released.set()
        other_writer.execute("COMMIT")

    thread = threading.Thread(target=finish_later)
    thread.start()
    try:
        begin_writing(db.session)
        assert released.is_set()
        assert db.session.connection().connection.dbapi_connection.in_transaction
    finally:
        thread.join()
        db.session.rollback()


def test_gives_up_after_the_connections_busy_timeout(db, other_writer):
    db.session.execute(sa.text("PRAGMA busy_timeout=200"))
    other_writer.execute("BEGIN IMMEDIATE")
    with pytest.raises(sa.exc.OperationalError, match="locked"):
        begin_writing(db.session)
    assert _busy_timeout(db) == 200
    db.session.execute(sa.text("PRAGMA busy_timeout=10000"))


def test_a_transaction_already_writing_is_left_as_it_is(db, other_writer):
    db.session.execute(sa.text("UPDATE meetings SET sequence = sequence"))
    begin_writing(db.session)  # no second BEGIN inside the transaction
    db.session.execute(sa.text("UPDATE meetings SET sequence = sequence"))
    db.session.rollback()
