"""Conclusions of a group meeting mailed to the members: one send, one mail per member in
their language with the document attached, and a log of every delivery."""

from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa

from consult.events.models import Document, DocumentType, MeetingStatus
from consult.groups.models import ConclusionsSend
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.worker import deliver_pending
from tests.conftest import csrf_token, post_form
from tests.factories import (
    make_contact,
    make_group,
    make_meeting,
    make_member,
    make_organisation,
    make_series,
    make_user,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLE_MK = "Работен состанок на секторската работна група"


def setup_group(auth):
    organizer = make_user(email="elena@example.mk", name="Елена Стојановска", locale="en")
    group = make_group(managers=[organizer], timezone="Europe/Skopje", main_language="mk",
                       name={"mk": "Секторска работна група за интеграција на Ромите",
                             "en": "Sector Working Group for Roma Integration"})
    meeting = make_meeting(group=group, day="2020-11-16", zone="Europe/Skopje",
                           main_language="mk", status=MeetingStatus.HELD, type="plenary",
                           title={"mk": TITLE_MK, "en": "Working meeting of the group"})
    ministry = make_organisation("Министерство за труд и социјална политика", "ministry")
    members = [
        make_contact("Снежана Трајковска", email="snezana@mtsp.example.mk", language="mk",
                     organisation=ministry, gender="female"),
        # no language of her own: the group's main language
        make_contact("Ана Костовска", email="ana@sep.example.mk", language="",
                     gender="female"),
        make_contact("Горан Јовановски", email="wrong@mtsp.example.mk", language="mk",
                     gender="male"),
    ]
    for contact in members:
        make_member(group, contact, ministry, starts_on=date(2019, 12, 6))
    # no address, a former member, and someone else's group: none of them get the mail
    make_member(group, make_contact("Без Адреса", email=None), starts_on=date(2019, 12, 6))
    make_member(group, make_contact("Билјана Митревска", email="biljana@example.mk"),
                starts_on=date(2019, 12, 6), ends_on=date(2020, 6, 30))
    make_member(make_group(), make_contact("Друг Член", email="other@example.mk"))
    auth.login("elena@example.mk")
    return group, meeting, members


def add_conclusions(client, meeting):
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/")
    response = client.post(f"/manage/meetings/{meeting.id}/documents", data={
        "csrf_token": token, "type": "conclusions", "title": "Заклучоци од состанокот",
        "language": "mk", "year": "2020", "public": "y",
        "file": (io.BytesIO(PDF), "Заклучоци.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302


def test_conclusions_are_sent_to_each_member_in_macedonian_with_the_document(
        client, auth, db, smtp_server):
    group, meeting, members = setup_group(auth)
    url = f"/manage/meetings/{meeting.id}/conclusions"

    # the meeting's page links here; without minutes or conclusions there is nothing to send
    assert url in client.get(f"/manage/meetings/{meeting.id}/").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "This meeting has no minutes or conclusions yet." in page
    assert "Nothing has been sent from this meeting yet." in page

    add_conclusions(client, meeting)
    document = db.session.scalar(sa.select(Document))
    page = client.get(url).get_data(as_text=True)
    assert "3 current members have an e-mail address" in page
    assert "1 member has no address" in page

    # preview first: the mail in Macedonian, what was typed kept
    response = post_form(client, url, {"document": document.id, "action": "preview",
                                       "note": "Коментари до 30 ноември."})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="mk"' in page and "Почитуван/а" in page and TITLE_MK in page
    assert "Коментари до 30 ноември." in page
    assert "Send to 3 members" in page
    assert "already sent" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    smtp_server.handler.refuse["wrong@mtsp.example.mk"] = "550 5.1.1 No such user here"
    response = post_form(client, url, {"document": document.id, "action": "send",
                                       "note": "Коментари до 30 ноември."})
    assert response.status_code == 302
    send = db.session.scalar(sa.select(ConclusionsSend))
    assert (send.meeting_id, send.document_id, send.recipients) == (meeting.id, document.id, 3)
    assert send.sent_by.email == "elena@example.mk"
    queued = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(queued) == 3
    assert {m.batch for m in queued} == {send.mail_batch}
    assert {m.topic for m in queued} == {"groups.conclusions"}
    assert {m.locale for m in queued} == {"mk"}
    # the file is kept once: each message refers to the upload instead of copying it
    attached = [a for m in queued for a in m.attachments]
    assert [(a.data, a.stored_file_id) for a in attached] == [(None, document.file_id)] * 3

    # a second time, the preview says it went already
    again = post_form(client, url + "?lang=en", {"document": document.id, "action": "preview"})
    assert "This document was already sent to the members on" in again.get_data(as_text=True)

    stats = deliver_pending()
    assert (stats.sent, stats.failed) == (2, 1)
    assert {m["To"].addresses[0].addr_spec for m in smtp_server.messages} == {
        "snezana@mtsp.example.mk", "ana@sep.example.mk"}
    for address, name in (("snezana@mtsp.example.mk", "Снежана Трајковска"),
                          ("ana@sep.example.mk", "Ана Костовска")):
        [message] = smtp_server.to(address)
        assert TITLE_MK in message["Subject"]
        body = message.get_body(("plain",)).get_content()
        assert f"Почитувана {name}," in body  # both are women
        assert "Кога: понеделник, 16 ноември 2020" in body
        assert "Коментари до 30 ноември." in body
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == "Заклучоци.pdf"
        assert attachment.get_content() == PDF

    # the log: the send, and each delivery with its status and the server's reason
    page = client.get(url).get_data(as_text=True)
    log = page[page.index('id="log"'):]
    assert "Елена Стојановска" in log and "Заклучоци од состанокот" in log
    assert "3 recipients" in log and "sent 2" in log and "failed 1" in log
    # times as in Skopje, with the offset, not UTC
    assert re.search(r"\d{2}:\d{2} \(UTC\+0[12]:00\), by Елена Стојановска", log)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>.*?"
                      r'class="status status-(\w+)".*?<td>(.*?)</td>\s*</tr>', log, re.S)
    by_address = {address: (status, reason.strip()) for _, address, status, reason in rows}
    assert by_address["snezana@mtsp.example.mk"] == ("sent", "")
    assert by_address["ana@sep.example.mk"] == ("sent", "")
    assert by_address["wrong@mtsp.example.mk"][0] == "failed"
    assert "No such user here" in by_address["wrong@mtsp.example.mk"][1]


def test_a_linked_document_is_sent_as_its_link_and_waiting_mail_shows_as_waiting(
        client, auth, db, smtp_server):
    group, meeting, members = setup_group(auth)
    db.session.add(Document(meeting_id=meeting.id, type=DocumentType.MINUTES,
        title="Записник", url="https://example.org/zapisnik.pdf", language="mk"))
    db.session.commit()
    document = db.session.scalar(sa.select(Document))
    url = f"/manage/meetings/{meeting.id}/conclusions"
    assert post_form(client, url, {"document": document.id, "action": "send"}).status_code == 302
    message = db.session.scalars(sa.select(OutboxMessage)).first()
    assert "https://example.org/zapisnik.pdf" in message.body_text
    assert message.attachments == []
    page = client.get(url).get_data(as_text=True)
    assert page.count("status status-pending") == 3 and "waiting" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING)) == 3


def test_conclusions_only_for_group_meetings_and_their_documents(client, auth, db):
    group, meeting, members = setup_group(auth)
    organizer = group.managers[0]
    series_meeting = make_meeting(make_series(managers=[organizer]))
    assert client.get(f"/manage/meetings/{series_meeting.id}/conclusions").status_code == 404
    assert "Send the conclusions" not in client.get(
        f"/manage/meetings/{series_meeting.id}/").get_data(as_text=True)
    # a document of another meeting is not a valid choice
    other = make_meeting(group=group, day="2020-11-19", zone="Europe/Skopje")
    db.session.add(Document(meeting_id=other.id, type=DocumentType.CONCLUSIONS,
        title="Друг", url="https://example.org/drug.pdf"))
    db.session.commit()
    document = db.session.scalar(sa.select(Document))
    response = post_form(client, f"/manage/meetings/{meeting.id}/conclusions",
                         {"document": document.id, "action": "send"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConclusionsSend)) == 0


def test_removing_the_document_before_the_mail_goes_fails_it_with_the_reason(
        client, auth, db, smtp_server):
    group, meeting, members = setup_group(auth)
    add_conclusions(client, meeting)
    document = db.session.scalar(sa.select(Document))
    document_id, file_id = document.id, document.file_id
    url = f"/manage/meetings/{meeting.id}/conclusions"
    assert post_form(client, url, {"document": document_id, "action": "send"}).status_code == 302

    # the confirmation says what removing it does to the mail still waiting
    remove = f"/manage/documents/{document_id}/delete"
    page = client.get(remove).get_data(as_text=True)
    assert "3 messages that attach this file are still waiting to be sent" in page
    assert post_form(client, remove, {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Document, document_id) is None
    # the uploaded bytes go with the document
    assert db.session.scalar(sa.text("SELECT count(*) FROM stored_files WHERE id = :id"),
                             {"id": file_id}) == 0

    stats = deliver_pending()
    assert (stats.sent, stats.failed) == (0, 3)
    assert smtp_server.messages == []
    errors = db.session.scalars(sa.select(OutboxMessage.last_error)).all()
    assert len(errors) == 3
    assert all("'Заклучоци.pdf' was deleted before the message was sent" in e for e in errors)
