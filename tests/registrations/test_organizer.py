"""The organizer's registration list: counts, decisions with mails, hand entries, exports,
a message to a filtered part of the list."""

from __future__ import annotations

import csv
import io
from datetime import UTC

import sqlalchemy as sa
from openpyxl import load_workbook

from consult.directory.models import Gender
from consult.events.models import MeetingStatus, RegistrationMode
from consult.mail.models import OutboxMessage
from consult.mail.worker import deliver_pending
from consult.registrations import services
from consult.registrations.models import Registration, RegistrationStatus
from tests.conftest import csrf_token, post_form
from tests.factories import make_meeting, make_series, make_user


def setup(db, auth, **fields):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    meeting = make_meeting(series, day="2027-04-06", status=MeetingStatus.PUBLISHED, **fields)
    for name, email, gender in [("Георги Петров", "georgi@example.bg", Gender.MALE),
                                ("=HYPERLINK(\"x\")", "formula@example.bg", Gender.FEMALE),
                                ("Ана Стоянова", "ana@example.bg", Gender.FEMALE)]:
        services.register(meeting, {"name": name, "email": email, "gender": gender,
                                    "locale": "bg"}, organizer=True)
    db.session.commit()
    auth.login("maria@example.bg")
    return meeting


def status_of(db, email):
    db.session.expire_all()
    return db.session.scalar(sa.select(Registration.status).where(Registration.email == email))


def test_list_counts_and_approval_decisions(client, auth, db, smtp_server):
    meeting = setup(db, auth, registration_mode=RegistrationMode.APPROVAL, capacity=1)
    page = client.get(f"/manage/meetings/{meeting.id}/registrations?lang=en")
    text = page.get_data(as_text=True)
    assert "Георги Петров" in text and "waiting for approval" in text
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/registrations")
    georgi = db.session.scalar(sa.select(Registration).where(
        Registration.email == "georgi@example.bg"))
    ana = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg"))
    client.post(f"/manage/registrations/{georgi.id}/approve", data={"csrf_token": token})
    client.post(f"/manage/registrations/{ana.id}/approve", data={"csrf_token": token})
    assert status_of(db, "georgi@example.bg") is RegistrationStatus.CONFIRMED
    assert status_of(db, "ana@example.bg") is RegistrationStatus.WAITLISTED  # one seat
    # the page offers both: cancel (they cannot come) and refuse (with a reason)
    page = client.get(f"/manage/registrations/{georgi.id}/reject?lang=en").get_data(
        as_text=True)
    assert f'action="/manage/registrations/{georgi.id}/cancel"' in page
    assert "Cancel the registration" in page and "Refuse the registration" in page
    post_form(client, f"/manage/registrations/{georgi.id}/reject",
              {"reason": "Мястото е за общини."})
    assert status_of(db, "georgi@example.bg") is RegistrationStatus.REJECTED
    assert status_of(db, "ana@example.bg") is RegistrationStatus.CONFIRMED  # promoted
    deliver_pending()
    rejection = smtp_server.to("georgi@example.bg")[-1]
    assert "Мястото е за общини." in rejection.get_body(("plain",)).get_content()
    # taking a seat away asks first, and says who gets it
    assert services.register(meeting, {"name": "Иван Колев", "email": "ivan@example.bg",
                                       "gender": Gender.MALE}).registration.status \
        is RegistrationStatus.PENDING
    db.session.commit()
    ivan = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ivan@example.bg"))
    client.post(f"/manage/registrations/{ivan.id}/approve", data={"csrf_token": token})
    assert status_of(db, "ivan@example.bg") is RegistrationStatus.WAITLISTED
    page = client.get(f"/manage/meetings/{meeting.id}/registrations?lang=en").get_data(
        as_text=True)
    assert f'href="/manage/registrations/{ana.id}/waitlist"' in page
    confirm = client.get(f"/manage/registrations/{ana.id}/waitlist?lang=en")
    assert "The seat goes to Иван Колев, first on the waiting list" in confirm.get_data(
        as_text=True)
    assert status_of(db, "ana@example.bg") is RegistrationStatus.CONFIRMED  # nothing yet
    done = post_form(client, f"/manage/registrations/{ana.id}/waitlist", {},
                     follow_redirects=True)
    assert "Ана Стоянова is on the waiting list; Иван Колев has the seat." in done.get_data(
        as_text=True)
    assert status_of(db, "ana@example.bg") is RegistrationStatus.WAITLISTED
    assert status_of(db, "ivan@example.bg") is RegistrationStatus.CONFIRMED


def test_exports_open_in_excel_and_cannot_run_formulas(client, auth, db):
    meeting = setup(db, auth)
    csv_body = client.get(f"/manage/meetings/{meeting.id}/registrations.csv").data
    assert csv_body.startswith("\ufeff".encode())
    text = csv_body.decode("utf-8-sig")
    assert "Георги Петров" in text and "'=HYPERLINK" in text
    xlsx = client.get(f"/manage/meetings/{meeting.id}/registrations.xlsx?gender=female")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.values)
    assert rows[0][2] == "Name"
    names = [row[2] for row in rows[1:]]
    assert names == ["=HYPERLINK(\"x\")", "Ана Стоянова"]  # a text cell, not a formula
    assert {cell.data_type for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows()
            for cell in row if cell.value is not None} == {"s"}


def test_added_by_hand_and_mailed_as_a_filtered_group(client, auth, db, smtp_server):
    meeting = setup(db, auth, registration_mode=RegistrationMode.INVITATION)
    # the fields' suggestions are on the page they point to
    form = client.get(f"/manage/meetings/{meeting.id}/registrations/new").get_data(as_text=True)
    for name in ("organisations", "places"):
        assert f'list="{name}"' in form and f'<datalist id="{name}">' in form
    # the organizer speaks for the person, not in the first person
    english = client.get(f"/manage/meetings/{meeting.id}/registrations/new?lang=en").get_data(
        as_text=True)
    assert "The person agrees to the processing of their data" in english
    assert "I agree to the processing" not in english and "My name" not in english
    assert "<blockquote>I agree that the organizers process" in english  # what they agree to
    assert "Add the registration</button>" in english
    refused = post_form(client, f"/manage/meetings/{meeting.id}/registrations/new?lang=en", {
        "name": "Елена Стојановска", "email": "elena@example.mk", "gender": "female"})
    assert "A registration needs the person's agreement" in refused.get_data(as_text=True)
    assert 'value="Елена Стојановска"' in refused.get_data(as_text=True)
    response = post_form(client, f"/manage/meetings/{meeting.id}/registrations/new", {
        "name": "Елена Стојановска", "email": "elena@example.mk", "gender": "female",
        "consent": "y", "locale": "mk"})
    assert response.status_code == 302
    assert status_of(db, "elena@example.mk") is RegistrationStatus.CONFIRMED
    url = f"/manage/meetings/{meeting.id}/registrations/mail?gender=female"
    page = client.get(url + "&lang=en").get_data(as_text=True)
    assert "goes to 3 people" in page
    post_form(client, url, {"subject": "Промяна в залата", "body": "Срещата е в зала 2."})
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "registrations.message")).all()
    assert sorted(m.recipient for m in messages) == [
        "ana@example.bg", "elena@example.mk", "formula@example.bg"]
    assert all("Срещата е в зала 2." in m.body_text for m in messages)


def test_seats_of_a_meeting_that_has_ended_are_not_moved(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    held = make_meeting(series, day="2020-11-02", status=MeetingStatus.HELD)
    services.register(held, {"name": "Ана Стоянова", "email": "ana@example.bg",
                             "gender": Gender.FEMALE}, organizer=True)
    db.session.commit()
    auth.login("maria@example.bg")
    page = client.get(f"/manage/meetings/{held.id}/registrations?lang=en").get_data(
        as_text=True)
    assert "Ана Стоянова" in page and "/waitlist" not in page and "Give a seat" not in page
    ana = db.session.scalar(sa.select(Registration).where(Registration.email == "ana@example.bg"))
    post_form(client, f"/manage/registrations/{ana.id}/waitlist", {},
              form_page=f"/manage/meetings/{held.id}/registrations")
    assert status_of(db, "ana@example.bg") is RegistrationStatus.CONFIRMED
    # nor given one, which would mail the person about a meeting long past
    ana = db.session.get(Registration, ana.id)
    ana.status = RegistrationStatus.WAITLISTED
    db.session.commit()
    post_form(client, f"/manage/registrations/{ana.id}/confirm", {},
              form_page=f"/manage/meetings/{held.id}/registrations")
    assert status_of(db, "ana@example.bg") is RegistrationStatus.WAITLISTED


def test_exports_speak_the_organizers_language_and_the_meetings_time(client, auth, db):
    from datetime import datetime

    meeting = setup(db, auth)
    ana = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg"))
    ana.created_at = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 00:30 in Sofia
    db.session.commit()
    post_form(client, "/language", {"lang": "bg"}, form_page="/manage/")
    rows = list(csv.reader(io.StringIO(client.get(
        f"/manage/meetings/{meeting.id}/registrations.csv").data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:5] == ["Среща", "Дата и час", "Име", "Имейл", "Пол"]
    row = dict(zip(header, next(r for r in rows if r[3] == "ana@example.bg"), strict=True))
    assert row["Пол"] == "жена" and row["Състояние"] == "потвърдена"
    assert row["Регистриран(а) на"] == "2026-07-02 00:30"
