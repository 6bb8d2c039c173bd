"""`flask db upgrade` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from consult.db import render_migration_item
from consult.extensions import db
from tests.conftest import ON_POSTGRES, make_app


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"consult_migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database_url):
    app = make_app(empty_database_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_item": render_migration_item}
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == [], "models and migrations differ: run `flask db migrate`"
    assert {"users", "series", "working_groups", "outbox_messages"} <= tables


def test_downgrade_to_empty_and_up_again(empty_database_url):
    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert tables <= {"alembic_version"}
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()


def test_migrations_keep_every_row_of_a_used_database(empty_database_url):
    """Down one revision that rebuilds tables and up again, under a database full of the
    demo: no row of any table is lost (a SQLite table rebuild with foreign keys on would
    cascade-delete every row that points at the rebuilt table)."""
    from consult.events.models import Meeting

    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    def counts():
        with app.app_context():
            with db.engine.connect() as conn:
                found = {table.name: conn.scalar(sa.select(sa.func.count()).select_from(table))
                         for table in db.metadata.sorted_tables}
                days = dict(conn.execute(sa.select(Meeting.id, Meeting.local_date)).all())
            db.engine.dispose()
        return found, days

    before, days = counts()
    assert before["registrations"] > 0 and before["agenda_items"] > 0
    assert before["attendances"] > 0 and before["outbox_attachments"] >= 0
    # back before local_date (a rebuild of meetings) and the prepared mail (of outbox_messages)
    result = runner.invoke(args=["db", "downgrade", "b8311fbffb00"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    after, days_after = counts()
    assert after == before
    assert days_after == days  # recomputed by the migration as the application keeps it


def test_the_funder_text_becomes_the_main_languages_and_comes_back(empty_database_url):
    """3c1f0b7a9d2e: a series' single funder text is kept as its main language's."""
    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "bf64db34ee9a"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as conn:
            for slug, language, funder in (("team2", "bg", "Европейски съюз"),
                                           ("swg", "mk", "")):
                conn.execute(sa.text(
                    "INSERT INTO series (slug, main_language, title, description, project_code,"
                    " project_name, funder, programme, implementing_body, co_organisers,"
                    " disclaimer, timezone, published, mail_from_name, reply_to, created_at)"
                    " VALUES (:slug, :language, '{}', '{}', '', '{}', :funder, '{}', '{}', '',"
                    " '{}', 'UTC', false, '', '', CURRENT_TIMESTAMP)"),
                    {"slug": slug, "language": language, "funder": funder})
        db.engine.dispose()

    def funders():
        with app.app_context():
            with db.engine.connect() as conn:
                rows = conn.execute(sa.select(sa.column("slug"), sa.column("funder")).select_from(
                    sa.table("series")).order_by(sa.column("slug"))).all()
            db.engine.dispose()
        return {slug: funder for slug, funder in rows}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from consult.events.models import Series

    with app.app_context():
        assert {s.slug: s.funder for s in db.session.scalars(sa.select(Series))} == {
            "swg": {}, "team2": {"bg": "Европейски съюз"}}
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "downgrade", "bf64db34ee9a"])
    assert result.exit_code == 0, result.output
    assert funders() == {"swg": "", "team2": "Европейски съюз"}


def test_uploads_nothing_holds_are_deleted_once(empty_database_url):
    """5d2e8c41f7a3: uploads left behind by removals before they were pruned go; a
    document's and a logo's stay."""
    from consult.events.models import Document, DocumentType, SeriesLogo
    from consult.files import StoredFile
    from tests.factories import make_group, make_series

    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "3c1f0b7a9d2e"]).exit_code == 0

    def upload(name):
        return StoredFile(filename=name, content_type="application/pdf", size=4,
                          sha256="0" * 64, data=b"%PDF")

    with app.app_context():
        group, series = make_group(), make_series()
        db.session.add_all([
            upload("left-behind.pdf"),
            Document(group_id=group.id, type=DocumentType.MINUTES, title="Протокол",
                     language="bg", year=2020, public=True, file=upload("minutes.pdf")),
            SeriesLogo(series_id=series.id, position=0, alt_text="ЕС", file=upload("logo.png")),
        ])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(StoredFile.filename))) == [
            "logo.png", "minutes.pdf"]
        db.session.remove()
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "3c1f0b7a9d2e"]).exit_code == 0


def test_documents_naming_people_become_internal(empty_database_url):
    """b7d3e9a1c5f2: a signed sheet or a list of invitees uploaded as public is internal;
    the others keep their choice."""
    from consult.events.models import Document, DocumentType
    from tests.factories import make_group

    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "8a4f2c9e6b1d"]).exit_code == 0
    kinds = (DocumentType.SIGNED_SHEET, DocumentType.INVITEES, DocumentType.MINUTES)
    with app.app_context():
        group = make_group()
        db.session.add_all([Document(group_id=group.id, type=kind, title=kind.value,
                                     language="bg", year=2020, public=True,
                                     url="https://example.org/x") for kind in kinds])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert dict(db.session.execute(sa.select(Document.type, Document.public)).all()) == {
            DocumentType.SIGNED_SHEET: False, DocumentType.INVITEES: False,
            DocumentType.MINUTES: True}
        db.session.remove()
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "8a4f2c9e6b1d"]).exit_code == 0


def test_walk_ins_get_their_meetings_language(empty_database_url):
    """93d7fcc3bc7e: walk-ins were stored as writing English, which nobody chose; those of a
    meeting held in Bulgarian, Macedonian or Albanian get its language. Anyone else keeps
    theirs."""
    from consult.attendance.services import WALK_IN_CONSENT
    from consult.registrations.models import Registration
    from tests.factories import make_meeting

    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "b7d3e9a1c5f2"]).exit_code == 0
    with app.app_context():
        macedonian = make_meeting(main_language="mk")
        english = make_meeting(main_language="en", day="2020-11-03")
        for meeting, email, locale, consent in (
                (macedonian, "walk-in@example.mk", "en", WALK_IN_CONSENT),
                (macedonian, "chose@example.mk", "sq", WALK_IN_CONSENT),
                (macedonian, "registered@example.mk", "en", "I agree that the organizers…"),
                (english, "walk-in@example.org", "en", WALK_IN_CONSENT)):
            db.session.add(Registration(meeting_id=meeting.id, name="Лице", email=email,
                                        locale=locale, consent_text=consent))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert dict(db.session.execute(sa.select(Registration.email, Registration.locale))
                    .all()) == {"walk-in@example.mk": "mk", "chose@example.mk": "sq",
                                "registered@example.mk": "en", "walk-in@example.org": "en"}
        db.session.remove()
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "b7d3e9a1c5f2"]).exit_code == 0


def test_stored_search_keys_get_the_new_spellings(empty_database_url):
    """71e519116d50: keys made before hold no spelling of Albanian or of letters with marks;
    they are made again, so the people stored before are found as new ones are. A key left
    empty (an anonymised person) stays empty."""
    from consult.directory.models import Contact, Organisation, search_key
    from consult.registrations.models import Registration
    from tests.factories import make_meeting

    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "93d7fcc3bc7e"]).exit_code == 0
    with app.app_context():
        meeting = make_meeting(main_language="mk")
        shuto = Organisation(name="Šuto Orizari", search_text="šuto orizari")
        db.session.add_all([
            shuto,
            Contact(name="Лирие Реџепи", email="lirije@example.mk", organisation=shuto,
                    search_text="лирие реџепи lirije@example.mk šuto orizari "
                                "lirie redzhepi lirije@example.mk šuto orizari"),
            Contact(name="Petar Nikolov", email="petar@example.org",
                    search_text="petar nikolov petar@example.org"),
            Registration(meeting_id=meeting.id, name="Ilir Çeliku", email="ilir@example.mk",
                         search_text="ilir çeliku ilir@example.mk"),
            Registration(meeting_id=meeting.id, name="", email="x@anonymised.invalid",
                         search_text=""),
        ])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Organisation.search_text)) == \
            "šuto orizari shuto orizari suto orizari"
        keys = dict(db.session.execute(sa.select(Contact.name, Contact.search_text)).all())
        assert keys["Лирие Реџепи"] == search_key("Лирие Реџепи", "lirije@example.mk",
                                                  "Šuto Orizari")
        assert "rexhepi" in keys["Лирие Реџепи"] and "suto" in keys["Лирие Реџепи"]
        assert keys["Petar Nikolov"] == "petar nikolov petar@example.org"
        assert dict(db.session.execute(sa.select(Registration.email,
                                                 Registration.search_text)).all()) == {
            "ilir@example.mk": "ilir çeliku ilir@example.mk ilir cheliku ilir@example.mk "
                               "ilir celiku ilir@example.mk",
            "x@anonymised.invalid": ""}
        db.session.remove()
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "93d7fcc3bc7e"]).exit_code == 0
