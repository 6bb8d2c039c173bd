"""Attendance from a paper list or an online platform's report; sheets and certificates
through their pages."""

from __future__ import annotations

import io

import sqlalchemy as sa
from pypdf import PdfReader

from consult.attendance.models import Attendance, CheckInMethod
from consult.mail.models import OutboxMessage
from consult.mail.worker import deliver_pending
from consult.registrations.models import Registration
from tests.attendance.test_checkin import setup
from tests.conftest import csrf_token, post_form

ZOOM_REPORT = (
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
    "Nadezhda Marinova,,11/02/2027 10:01:12 AM,11/02/2027 12:58:40 PM,178,Yes\n"
    "Георги Петров (Georgi),georgi@example.bg,11/02/2027 10:00:05 AM,"
    "11/02/2027 11:00:00 AM,60,No\n"
    "Георги Петров (Georgi),georgi@example.bg,11/02/2027 11:05:00 AM,"
    "11/02/2027 12:58:00 PM,113,No\n"
    "Непознат Гост,guest@example.org,11/02/2027 10:10:00 AM,11/02/2027 11:00:00 AM,50,Yes\n"
).encode()


def attendance(db):
    db.session.expire_all()
    return {a.registration.email: a for a in db.session.scalars(sa.select(Attendance))}


def test_paper_list_preview_then_confirm(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    url = f"/manage/meetings/{meeting.id}/attendance/mark?lang=en"
    people = "ana@example.bg\nGeorgi Petrov\nNobody Here"
    preview = post_form(client, url, {"people": people, "action": "preview"})
    page = preview.get_data(as_text=True)
    assert "Matched: 2. Already checked in: 0. Not matched: 1." in page
    assert attendance(db) == {}  # nothing written before the confirmation
    # the same man written twice, in both scripts: one person checked in, counted once
    people += "\nГеорги Петров"
    done = post_form(client, url, {"people": people, "action": "apply"},
                     follow_redirects=True)
    assert "Checked in: 2. Added: 0. Already present: 0." in done.get_data(as_text=True)
    present = attendance(db)
    assert set(present) == {"ana@example.bg", "georgi@example.bg"}
    assert {a.method for a in present.values()} == {CheckInMethod.LIST}


def test_online_report_reconciles_with_the_room(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    georgi = db.session.scalar(sa.select(Registration).where(
        Registration.email == "georgi@example.bg"))
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/checkin")
    client.post(f"/manage/registrations/{georgi.id}/checkin",
                data={"csrf_token": token, "action": "in"})  # he was in the room
    url = f"/manage/meetings/{meeting.id}/attendance/mark?lang=en"
    preview = client.post(url, data={
        "csrf_token": token, "action": "preview",
        "report": (io.BytesIO(ZOOM_REPORT), "participants.csv")},
        content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert "Matched: 1. Already checked in: 1. Not matched: 1." in page
    text = page.split('<textarea name="people"')[1].split(">", 1)[1].split("</textarea>")[0]
    post_form(client, url, {"people": text, "online": "1", "add_unmatched": "1",
                            "action": "apply"})
    present = attendance(db)
    assert present["nadezhda@example.bg"].online is True
    assert present["nadezhda@example.bg"].method is CheckInMethod.ONLINE
    assert present["georgi@example.bg"].method is CheckInMethod.DOOR  # unchanged
    guest = present["guest@example.org"]
    assert guest.registration.name == "Непознат Гост" and guest.online
    # added from the report: the meeting's language, not English nobody chose
    assert guest.registration.locale == meeting.main_language == "bg"


def test_report_without_usable_columns_says_so(client, auth, db):
    meeting = setup(db, auth)
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/checkin")
    response = client.post(f"/manage/meetings/{meeting.id}/attendance/mark?lang=en", data={
        "csrf_token": token, "action": "preview",
        "report": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}, content_type="multipart/form-data")
    assert "No column with names or e-mail addresses was found." in response.get_data(
        as_text=True)


def test_sheet_and_certificates_from_their_pages(client, app, auth, db, smtp_server, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    deliver_pending()  # the confirmations
    sheet = client.get(f"/manage/meetings/{meeting.id}/sign-in-sheet.pdf?lang=bg")
    assert sheet.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.data)).pages)
    for name in ("Георги Петров", "Надежда Маринова", "Ана Стоянова"):
        assert name in text

    ana = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg"))
    participant = app.test_client()
    assert participant.get(f"/r/{ana.token}/certificate.pdf").status_code == 404  # not yet
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/checkin")
    client.post(f"/manage/registrations/{ana.id}/checkin",
                data={"csrf_token": token, "action": "in"})
    # before the meeting has begun a certificate would say something untrue: none goes
    url = f"/manage/meetings/{meeting.id}/certificates"
    page = post_form(client, url + "?lang=en", {}).get_data(as_text=True)
    assert "Certificates can be sent once the meeting has begun" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.topic == "attendance.certificate")) == 0
    from datetime import timedelta

    from consult.db import utcnow

    meeting.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert post_form(client, url, {}).status_code == 302
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "1 certificate is sent or on its way." in page and "Send 1 certificate" not in page
    post_form(client, url, {}, form_page=url)  # again: no second
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.topic == "attendance.certificate")) == 1
    smtp_server.clear()
    deliver_pending()
    [mail] = smtp_server.to("ana@example.bg")
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Ана Стоянова" in text
    own = participant.get(f"/r/{ana.token}/certificate.pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")


def test_confirmation_carries_a_qr_code_for_the_door(app, db, auth, smtp_server):
    import segno
    from flask import current_app


    setup(db, auth)
    deliver_pending()
    [mail] = smtp_server.to("ana@example.bg")
    [png] = [p for p in mail.iter_attachments() if p.get_content_type() == "image/png"]
    ana = db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg"))
    with current_app.test_request_context():
        from flask import url_for

        from consult.registrations.services import checkin_token

        url = url_for("attendance.checkin_by_code", token=checkin_token(ana), _external=True)
    # the picture is the QR code of this person's link, module for module
    from PIL import Image

    image = Image.open(io.BytesIO(png.get_content())).convert("L")
    code = segno.make_qr(url, error="m", mask=2)
    scale, border = 6, 4
    assert image.width == (len(code.matrix) + 2 * border) * scale
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            pixel = image.getpixel(((x + border) * scale + 2, (y + border) * scale + 2))
            assert (pixel < 128) == bool(dark), (x, y)


def test_a_cancelled_address_on_a_list_is_shown_before_it_is_let_in(client, auth, db, meeting_day):
    """A cancelled person's address on the typed-in sheet was "not registered", and adding
    the unregistered as walk-ins took her registration up again unseen: the preview names
    her with her status now, and confirming it lets her in."""
    from consult.registrations import services as registrations

    meeting = setup(db, auth)
    meeting_day(meeting)
    registrations.cancel(db.session.scalar(sa.select(Registration).where(
        Registration.email == "ana@example.bg")))
    db.session.commit()
    url = f"/manage/meetings/{meeting.id}/attendance/mark?lang=en"
    people = "Ana, ana@example.bg\nГеорги Петров"
    page = post_form(client, url, {"people": people, "action": "preview"}).get_data(
        as_text=True)
    assert "Matched: 2. Already checked in: 0. Not matched: 0." in page
    assert 'Ана Стоянова <span class="badge">cancelled</span>' in page
    done = post_form(client, url, {"people": people, "action": "apply",
                                   "add_unmatched": "1"}, follow_redirects=True)
    assert "Checked in: 2. Added: 0. Already present: 0." in done.get_data(as_text=True)
    assert set(attendance(db)) == {"ana@example.bg", "georgi@example.bg"}
