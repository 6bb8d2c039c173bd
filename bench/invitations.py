"""Creating an invitation batch for 10,000 contacts, on SQLite and PostgreSQL.

Value: `create_batch()` for one published meeting and 10,000 contacts (audience query,
rendering per language, personal tokens and links, bulk inserts, attachments), committed.
Floor: the same number of invitation and outbox rows, with bodies of the same size built
beforehand, written with two raw executemany INSERTs on the same database — what the
writing alone costs. A second entry compares the number of SQL statements for 10,000
contacts with the number for 100: it must not grow with the audience (ratio 1).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

from bench.common import Result

COUNT = 10_000
SMALL = 100
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://127.0.0.1:5432/postgres")
PG_DATABASE = "consult_bench"


def _postgres_url() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
            conn.execute(sa.text(f"CREATE DATABASE {PG_DATABASE}"))
        engine.dispose()
    except sa.exc.OperationalError:
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"


def _contacts(n: int, tag: str) -> list[dict]:
    return [{"name": f"Контакт {tag} {i}", "email": f"{tag}{i}@example.bg", "language": "bg",
             "tags": [tag], "search_text": f"контакт {tag} {i}", "region": "Северозападен"}
            for i in range(n)]


def _count_statements(engine, action):
    count = 0

    def before(*_args, **_kwargs):
        nonlocal count
        count += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        result = action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return count, result


def run(database_url: str, label: str) -> list[Result]:
    from consult import create_app
    from consult.db import utcnow
    from consult.directory.models import Contact, ensure_builtin_types
    from consult.events.models import Meeting, MeetingStatus, Series
    from consult.events.services import to_utc
    from consult.extensions import db
    from consult.invitations import services
    from consult.invitations.models import Invitation, InvitationBatch
    from consult.mail.models import OutboxMessage, OutboxStatus

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context(), app.test_request_context():
        db.drop_all()
        db.create_all()
        ensure_builtin_types()
        series = Series(slug="team2", title={"bg": "Дискусионни срещи"}, main_language="bg",
                        published=True, funder={"bg": "Европейска комисия"},
                        disclaimer={"bg": "Финансира се от Европейския съюз."})
        meeting = Meeting(series=series, title={"bg": "Регионална среща"}, main_language="bg",
                          starts_at=to_utc(date(2030, 3, 2), clock(10), "Europe/Sofia"),
                          ends_at=to_utc(date(2030, 3, 2), clock(13), "Europe/Sofia"),
                          timezone="Europe/Sofia", status=MeetingStatus.PUBLISHED,
                          venue="Областна администрация", address="Видин")
        db.session.add_all([series, meeting])
        db.session.execute(sa.insert(Contact), _contacts(SMALL, "small"))
        db.session.execute(sa.insert(Contact), _contacts(COUNT, "large"))
        db.session.commit()

        small, _ = _count_statements(db.engine, lambda: services.create_batch(
            [meeting], services.Audience(tag="small"), None))
        db.session.commit()

        start = time.perf_counter()
        large, batch = _count_statements(db.engine, lambda: services.create_batch(
            [meeting], services.Audience(tag="large"), None))
        db.session.commit()
        value = time.perf_counter() - start
        assert batch.total == COUNT, batch.total
        sample = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.batch == batch.mail_batch).limit(1))
        body_text, body_html = sample.body_text, sample.body_html

        # the floor: the same rows, bodies ready, two executemany INSERTs
        floor_batch = InvitationBatch(total=COUNT)
        db.session.add(floor_batch)
        db.session.flush()
        now = utcnow()
        ids = db.session.scalars(sa.select(Contact.id).where(
            Contact.email.like("large%"))).all()
        invitations = [{"meeting_id": meeting.id, "batch_id": floor_batch.id,
                        "contact_id": None, "token": f"floor-{i}", "email": f"x{i}@example.bg",
                        "name": "x", "locale": "bg", "max_delegates": 1,
                        "mail_key": f"floor:{i}", "response": "none", "decline_reason": "",
                        "created_at": now} for i in range(len(ids))]
        outbox = [{"dedupe_key": f"floor:{i}", "topic": "floor", "recipient": f"x{i}@example.bg",
                   "recipient_name": "x", "locale": "bg", "subject": "s", "body_text": body_text,
                   "body_html": body_html, "status": "pending", "attempts": 0,
                   "next_attempt_at": now, "created_at": now, "headers": "{}"}
                  for i in range(len(ids))]
        invitation_table = Invitation.__table__
        outbox_table = OutboxMessage.__table__
        db.session.commit()
        start = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(invitation_table.insert(), [
                {k: v for k, v in row.items()} for row in invitations])
            conn.execute(outbox_table.insert(), outbox)
        floor = time.perf_counter() - start
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING)) == SMALL + 2 * COUNT
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return [
        Result(name=f"invitations: batch of {COUNT:,} ({label})", value=value, floor=floor,
               ratio=value / floor, target=4.0, better="lower", unit="s",
               note=f"floor: the same {COUNT:,} invitation and outbox rows written with two "
                    f"raw executemany INSERTs on {label}; {large} SQL statements in the batch"),
        Result(name=f"invitations: SQL statements, {COUNT:,} vs {SMALL} contacts ({label})",
               value=large, floor=small, ratio=large / small, target=1.0, better="lower",
               unit="statements",
               note="the number of statements must not grow with the audience"),
    ]


ROUNDS = 3


def _median_run(database_url: str, label: str) -> list[Result]:
    """ROUNDS fresh runs; the one with the median time ratio (one timing is at the mercy of
    a noisy neighbour on a shared machine)."""
    runs = sorted((run(database_url, label) for _ in range(ROUNDS)), key=lambda r: r[0].ratio)
    chosen = runs[len(runs) // 2]
    chosen[0].note += f"; median of {ROUNDS} runs"
    return chosen


def main(_port_factory=None) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += _median_run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "SQLite")
    postgres = _postgres_url()
    if postgres:
        results += _median_run(postgres, "PostgreSQL")
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
        engine.dispose()
    return results


if __name__ == "__main__":
    for result in main():
        print(f"{result.name}: {result.value:.2f} vs {result.floor:.2f} {result.unit} "
              f"→ {result.ratio:.2f} (target ≤ {result.target}) — {result.note}")
