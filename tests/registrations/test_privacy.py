"""Privacy built in: the sensitive question, what a participant can see and change,
retention that keeps every count, erasure on request with a log."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from consult.attendance.services import check_in, funnel
from consult.db import utcnow
from consult.directory.models import Contact, Gender
from consult.events.models import MeetingStatus
from consult.groups.models import Membership
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.registrations import services
from consult.registrations.models import ErasureLog, Registration
from consult.registrations.privacy import apply_retention, personal_data
from tests.conftest import post_form
from tests.factories import (
    make_group,
    make_meeting,
    make_member,
    make_organisation,
    make_series,
    make_user,
)


def meeting_with_people(db, day="2027-05-04", **fields):
    series = make_series(managers=[make_user(email=f"org-{day}@example.bg")], published=True)
    meeting = make_meeting(series, day=day, status=MeetingStatus.PUBLISHED, **fields)
    people = [("Ана Стоянова", "ana@example.bg", Gender.FEMALE),
              ("Георги Петров", "georgi@example.bg", Gender.MALE),
              ("Мира Илиева", "mira@example.bg", Gender.FEMALE)]
    for name, email, gender in people:
        services.register(meeting, {"name": name, "email": email, "gender": gender,
                                    "organisation_name": "Община Видин", "locale": "bg",
                                    "phone": "+359 888 000"}, organizer=True)
    db.session.commit()
    return meeting


def test_sensitive_question_needs_explicit_consent(client, db):
    meeting = meeting_with_people(db, sensitive_question={
        "bg": "Определяте ли се като принадлежащ към ромската общност?"})
    url = f"/meetings/{meeting.id}/register"
    page = client.get(url + "?lang=bg").get_data(as_text=True)
    assert "ромската общност" in page
    refused = post_form(client, url + "?lang=en", {
        "name": "Иван", "email": "ivan@example.bg", "gender": "male", "consent": "y",
        "sensitive_answer": "yes"})
    assert "Tick the agreement above" in refused.get_data(as_text=True)
    post_form(client, url, {"name": "Иван", "email": "ivan@example.bg", "gender": "male",
                            "consent": "y", "sensitive_consent": "y",
                            "sensitive_answer": "yes"})
    post_form(client, url, {"name": "Лили", "email": "lili@example.bg", "gender": "female",
                            "consent": "y"})
    answers = dict(db.session.execute(sa.select(Registration.email,
                                                Registration.sensitive_answer)).all())
    assert answers["ivan@example.bg"] == "yes" and answers["lili@example.bg"] is None


def test_participant_sees_changes_and_downloads_their_data(client, db):
    meeting = meeting_with_people(db)
    ana = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg"))
    # the organisation field suggests the directory's organisations, as when registering
    make_organisation("Община Сливен", "municipality")
    page = client.get(f"/r/{ana.token}/edit").get_data(as_text=True)
    assert 'list="organisations"' in page
    assert '<datalist id="organisations"><option value="Община Сливен">' in page
    # what the page cannot change, and whom to ask
    meeting.series.reply_to = "sekretariat@example.bg"
    db.session.commit()
    page = client.get(f"/r/{ana.token}/edit?lang=en").get_data(as_text=True)
    assert "gender, type of organisation and region are counted" in page
    assert 'href="mailto:sekretariat@example.bg"' in page
    post_form(client, f"/r/{ana.token}/edit", {"name": "Ана Стоянова-Петрова",
                                               "organisation": "НПО Заедно",
                                               "publish_consent": "y"})
    db.session.expire_all()
    assert ana.name == "Ана Стоянова-Петрова" and ana.publish_consent
    data = json.loads(client.get(f"/r/{ana.token}/my-data.json").data)
    [record] = data["registrations"]
    assert record["name"] == "Ана Стоянова-Петрова" and record["phone"] == "+359 888 000"
    # the directory's record of her stays: anyone may type her address into the public form
    # (through her own invitation, it is corrected: tests/invitations)
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "ana@example.bg"))
    assert contact.name != "Ана Стоянова-Петрова"
    assert meeting.id


def test_a_link_downloads_its_registration_and_everything_else_goes_to_the_address(
        client, db, smtp_server):
    from consult.mail.worker import deliver_pending

    earlier = meeting_with_people(db, day="2027-04-01")
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "ana@example.bg"))
    contact.phone, contact.position = "+359 2 000 111", "главен експерт"
    make_member(make_group(public=True), contact, publish_consent=False)
    db.session.commit()
    # a stranger registers with her address for another meeting and gets a link
    later = make_meeting(earlier.series, day="2027-06-01", status=MeetingStatus.PUBLISHED)
    db.session.commit()
    answer = post_form(client, f"/meetings/{later.id}/register", {
        "name": "Някой друг", "email": "ana@example.bg", "gender": "other", "consent": "y"})
    token = answer.headers["Location"].split("/")[2]
    data = json.loads(client.get(f"/r/{token}/my-data.json").data)
    assert [r["name"] for r in data["registrations"]] == ["Някой друг"]
    assert set(data) == {"exported_at", "registrations"}
    text = json.dumps(data, ensure_ascii=False)
    for hers in ("Ана Стоянова", "+359 888 000", "+359 2 000 111", "главен експерт"):
        assert hers not in text
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Send it to ana@example.bg" in page

    # everything goes to the address, once a day
    deliver_pending()  # the confirmations
    smtp_server.clear()
    sent = post_form(client, f"/r/{token}/my-data/send", {}, form_page=f"/r/{token}")
    assert sent.status_code == 302
    again = post_form(client, f"/r/{token}/my-data/send", {}, form_page=f"/r/{token}",
                      follow_redirects=True)
    assert "today already" in again.get_data(as_text=True)
    assert deliver_pending().sent == 1
    [message] = smtp_server.messages
    assert "ana@example.bg" in message["To"]
    [attachment] = [part for part in message.walk() if part.get_filename() == "my-data.json"]
    everything = json.loads(attachment.get_payload(decode=True))
    assert sorted(r["name"] for r in everything["registrations"]) == [
        "Ана Стоянова", "Някой друг"]
    assert everything["directory"]["phone"] == "+359 2 000 111"
    assert len(everything["working_groups"]) == 1


def counts(meeting):
    """The meeting page's figures, and every breakdown of the participation report."""
    from consult.reports import queries

    result = funnel(meeting)
    people = len({r.email for r in meeting_registrations(meeting)})
    report = queries.dashboard(queries.ReportFilters())
    breakdowns = {name: repr(getattr(report, name)) for name in vars(report)
                  if name not in ("filters", "types", "meetings", "pagination")}
    return result.by_gender, result.by_type, result.totals, people, breakdowns


def meeting_registrations(meeting):
    from consult.extensions import db

    return db.session.scalars(sa.select(Registration).where(
        Registration.meeting_id == meeting.id)).all()


def test_retention_anonymises_old_meetings_and_keeps_every_count(db, runner):
    old = meeting_with_people(db, day="2020-11-02")
    recent = meeting_with_people(db, day="2027-05-04")
    for registration in meeting_registrations(old)[:2]:
        check_in(registration, None)
    db.session.commit()
    before = counts(old)

    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert "would anonymise 3 registrations" in dry.output
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0 and "anonymised 3 registrations" in result.output
    db.session.expire_all()
    assert counts(old) == before
    for registration in meeting_registrations(old):
        assert registration.name == "" and registration.phone == ""
        assert registration.email.endswith("@anonymised.invalid")
        assert registration.anonymised_at is not None
    assert all(r.name for r in meeting_registrations(recent))  # too recent: untouched
    assert db.session.scalar(sa.select(ErasureLog.kind)) == "retention"
    assert runner.invoke(args=["retention", "apply"]).output.startswith(
        "anonymised 0 registrations")


def test_erasure_on_request_is_confirmed_and_logged(client, auth, db):
    meeting = meeting_with_people(db)
    make_user("admin", email="maria@example.bg")
    auth.login("maria@example.bg")
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "georgi@example.bg"))
    group = make_group(public=True)
    make_member(group, contact, publish_consent=True)
    georgi = db.session.scalar(sa.select(Registration).where(
        Registration.email == "georgi@example.bg"))
    # what he may download names his seat in the group
    [seat] = personal_data(georgi, everything=True)["working_groups"]
    assert seat["name_published"] is True and seat["group"] == group.text("name")
    mail_to_him = sa.select(OutboxMessage).where(OutboxMessage.recipient == "georgi@example.bg")
    assert db.session.scalars(mail_to_him).all()  # his confirmation, not sent yet
    # an invitation that went to his former address, and a reminder keyed by his address
    from consult.invitations.models import Invitation
    from consult.mail.services import queue_mail

    db.session.add(Invitation(meeting_id=meeting.id, contact_id=contact.id, name="Георги",
                              email="georgi.old@example.bg", mail_key="k-old"))
    for to, key in (("georgi.old@example.bg", None),
                    ("georgi@example.bg", f"reminder:{meeting.id}:georgi@example.bg")):
        queue_mail(to=to, to_name="Георги Петров", locale="bg", template="organizer_message",
                   subject="Напомняне", context={"registration": georgi, "meeting": meeting,
                                                 "body": "Здравейте, Георги Петров"},
                   dedupe_key=key)
    db.session.commit()
    before = funnel(meeting).by_gender
    page = client.get(f"/manage/directory/contacts/{contact.id}/erase?lang=en")
    assert "This cannot be undone." in page.get_data(as_text=True)
    post_form(client, f"/manage/directory/contacts/{contact.id}/erase",
              {"reason": "Писмо от 3 март"})
    db.session.expire_all()
    assert contact.email is None and contact.name == "—"
    georgi = db.session.scalar(sa.select(Registration).where(
        Registration.gender == Gender.MALE))
    assert georgi.name == "" and georgi.contact_id is None
    assert funnel(meeting).by_gender == before
    log = db.session.scalar(sa.select(ErasureLog))
    assert log.kind == "request" and log.reason == "Писмо от 3 март"
    assert "georgi" not in json.dumps(log.reason)
    # the outbox keeps that a mail went, not to whom nor what it said; the waiting one stays
    assert db.session.scalars(mail_to_him).all() == []
    erased = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == "—")).all()
    assert len(erased) == 3  # the confirmation, the mail to the former address, the reminder
    assert all(m.body_text == "" and m.recipient_name == "" for m in erased)
    assert all(m.dedupe_key is None for m in erased)  # keys carried his address
    assert {m.status for m in erased} == {OutboxStatus.WITHDRAWN}
    # and the group no longer names him
    assert db.session.scalar(sa.select(Membership.publish_consent)) is False


def test_retention_cutoff_follows_the_setting(app, db):
    from flask import current_app

    meeting = meeting_with_people(db, day=(utcnow() - timedelta(days=200)).date().isoformat())
    current_app.config["RETENTION_MONTHS"] = 12
    assert apply_retention()["registrations"] == 0
    current_app.config["RETENTION_MONTHS"] = 6
    assert apply_retention()["registrations"] == 3
    assert meeting.id


def test_a_contact_without_an_address_can_be_erased(client, auth, db):
    from tests.factories import make_contact

    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    phone_only = make_contact("Само Телефон", email=None, phone="+359 888 111")
    for _ in range(2):  # and erasing again does nothing more
        response = post_form(client, f"/manage/directory/contacts/{phone_only.id}/erase",
                             {"reason": "Обаждане"})
        assert response.status_code == 302
    db.session.expire_all()
    assert phone_only.name == "—" and phone_only.phone == ""


def test_everything_about_an_address_holds_a_directory_record_only_of_that_address(db):
    from consult.invitations.models import Invitation
    from consult.registrations.privacy import personal_data
    from tests.factories import make_contact

    meeting = meeting_with_people(db)
    invitee = make_contact("Тодор Христов", "todor@example.bg", phone="+359 2 999",
                           position="директор")
    invitation = Invitation(meeting_id=meeting.id, contact_id=invitee.id, name=invitee.name,
                            email=invitee.email, mail_key="k-todor")
    db.session.add(invitation)
    db.session.commit()
    # his link, forwarded: someone registers with their own address
    outcome = services.register(meeting, {"name": "Някой", "email": "someone@example.bg",
                                          "gender": Gender.OTHER}, invitation)
    db.session.commit()
    everything = personal_data(outcome.registration, everything=True)
    assert "directory" not in everything and "invitations" not in everything
    assert "+359 2 999" not in str(everything)
