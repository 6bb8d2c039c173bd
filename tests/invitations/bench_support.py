"""Helpers shared by the statement-count test: contacts in bulk, SQL statements counted."""

from __future__ import annotations

import sqlalchemy as sa

from consult.directory.models import Contact
from consult.extensions import db


def make_contacts(n: int, prefix: str) -> None:
    db.session.execute(sa.insert(Contact), [
        {"name": f"Контакт {prefix}{i}", "email": f"{prefix}{i}@example.bg", "language": "bg",
         "tags": [prefix], "search_text": f"контакт {prefix}{i}"}
        for i in range(n)])
    db.session.flush()


def count_statements(action) -> int:
    """How many statements ``action`` sends to the database (an executemany counts once)."""
    count = 0

    def before(*_args, **_kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return count
