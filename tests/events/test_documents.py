"""Uploads are checked by content, stored under generated names in the database, served safely."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from consult.events.models import Document, MeetingStatus
from consult.files import StoredFile, clean_filename, sniff
from tests.conftest import csrf_token, post_form
from tests.factories import make_meeting, make_series, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def setup_meeting(db, auth):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED)
    auth.login("maria@example.bg")
    return meeting


def upload(client, meeting, filename, data, headers=None, **fields):
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/")
    form = {"csrf_token": token, "type": "agenda", "title": "Дневен ред", "language": "bg",
            "public": "y", "file": (io.BytesIO(data), filename)}
    form.update(fields)
    return client.post(f"/manage/meetings/{meeting.id}/documents", data=form,
                       content_type="multipart/form-data", headers=headers or {})


def test_pdf_is_stored_and_served_with_a_safe_name(client, auth, db):
    meeting = setup_meeting(db, auth)
    response = upload(client, meeting, "Дневен ред Видин.pdf", PDF)
    assert response.status_code == 302
    document = db.session.scalar(sa.select(Document))
    assert document.file.content_type == "application/pdf"
    assert document.file.filename == "Дневен ред Видин.pdf"
    auth.logout()
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Дневен ред" in page
    served = client.get(f"/documents/{document.id}/x.pdf")
    assert served.status_code == 200
    assert served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%94" in disposition


def test_wrong_type_by_content_is_refused_and_input_kept(client, auth, db):
    meeting = setup_meeting(db, auth)
    response = upload(client, meeting, "agenda.pdf", b"<html><script>alert(1)</script>",
                      title="Програма за срещата")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page
    assert "Програма за срещата" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_oversize_upload_is_refused(_schema, database_url, smtp_server, db):
    from tests.conftest import AuthActions, make_app

    app = make_app(database_url, MAIL_PORT=smtp_server.port, MAX_UPLOAD_BYTES=1024)
    client = app.test_client()
    auth = AuthActions(client)
    meeting = setup_meeting(db, auth)
    response = upload(client, meeting, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 400
    assert 'id="file-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_path_tricks_in_names_are_removed():
    assert clean_filename("../../etc/passwd.pdf", "pdf") == "passwd.pdf"
    assert clean_filename("C:\\Users\\x\\Протокол.docx", "docx") == "Протокол.docx"
    assert clean_filename("evil.html", "pdf") == "evil.pdf"
    assert clean_filename('a"\r\nb.pdf', "pdf") == "ab.pdf"
    assert clean_filename("", "png") == "document.png"


def test_office_files_are_recognised_by_content():
    assert sniff(docx_bytes()) == "docx"
    assert sniff(PDF) == "pdf"
    assert sniff(b"PK\x03\x04not really a zip") is None
    assert sniff(b"MZ\x90\x00") is None


def test_internal_documents_are_for_managers_only(client, auth, db):
    meeting = setup_meeting(db, auth)
    upload(client, meeting, "invitees.docx", docx_bytes(), type="list_of_invitees",
           title="Списък на поканените", public="")
    document = db.session.scalar(sa.select(Document))
    assert document.public is False
    url = f"/documents/{document.id}/invitees.docx"
    assert client.get(url).status_code == 200
    auth.logout()
    assert client.get(url).status_code == 404
    assert "Списък на поканените" not in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True)
    # a viewer reads the organizer page without a link they could not open, nor the link
    # into the online meeting
    from consult.events.models import MeetingFormat

    meeting.format, meeting.online_url = MeetingFormat.HYBRID, "https://meet.example/secret"
    db.session.commit()
    make_user("viewer", email="viewer@example.org")
    auth.login("viewer@example.org")
    page = client.get(f"/manage/meetings/{meeting.id}/").get_data(as_text=True)
    assert "Списък на поканените" not in page
    assert "meet.example/secret" not in page
    assert client.get(url).status_code == 404


def test_link_document_and_removal_with_confirmation(client, auth, db):
    meeting = setup_meeting(db, auth)
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/")
    response = client.post(f"/manage/meetings/{meeting.id}/documents", data={
        "csrf_token": token, "type": "minutes", "title": "Протокол", "public": "y",
        "language": "bg", "url": "https://example.gov.bg/protokol.pdf"})
    assert response.status_code == 302
    document = db.session.scalar(sa.select(Document))
    confirm_page = client.get(f"/manage/documents/{document.id}/delete")
    assert "Протокол" in confirm_page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    token = csrf_token(client, f"/manage/documents/{document.id}/delete")
    client.post(f"/manage/documents/{document.id}/delete", data={"csrf_token": token})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_document_needs_a_file_or_a_link(client, auth, db):
    meeting = setup_meeting(db, auth)
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/")
    response = client.post(f"/manage/meetings/{meeting.id}/documents", data={
        "csrf_token": token, "type": "minutes", "title": "Протокол", "language": ""})
    assert response.status_code == 400
    assert 'id="url-error"' in response.get_data(as_text=True)
    # the refused form's address, reloaded or shared, leads back to the meeting's documents
    again = client.get(f"/manage/meetings/{meeting.id}/documents")
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/manage/meetings/{meeting.id}/#documents")


def test_public_document_of_a_draft_meeting_stays_private(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    draft = make_meeting(series)
    auth.login("maria@example.bg")
    upload(client, draft, "agenda.pdf", PDF)
    document = db.session.scalar(sa.select(Document))
    url = f"/documents/{document.id}/agenda.pdf"
    assert client.get(url).status_code == 200
    auth.logout()
    assert client.get(url).status_code == 404


def test_meeting_of_an_internal_group_is_not_public(client, db):
    from tests.factories import make_group

    group = make_group(public=False)
    meeting = make_meeting(group=group, status=MeetingStatus.PUBLISHED)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert client.get(f"/meetings/{meeting.id}.ics").status_code == 404


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_series_logos_with_alt_text(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True, funder={"en": "European Union"})
    auth.login("maria@example.bg")

    def add_logo(filename, data, alt):
        token = csrf_token(client, f"/manage/series/{series.id}/")
        return client.post(f"/manage/series/{series.id}/logos", data={
            "csrf_token": token, "alt_text": alt, "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data")

    refused = add_logo("eu.png", PDF, "Съфинансирано от ЕС")
    assert refused.status_code == 400
    assert 'id="logo-file-error"' in refused.get_data(as_text=True)
    assert 'value="Съфинансирано от ЕС"' in refused.get_data(as_text=True)
    no_alt = add_logo("eu.png", PNG, "")
    assert 'id="alt_text-error"' in no_alt.get_data(as_text=True)
    assert client.get(f"/manage/series/{series.id}/logos").status_code == 302  # no 405
    assert add_logo("eu.png", PNG, "Съфинансирано от Европейския съюз").status_code == 302
    assert add_logo("ministry.png", PNG, "Министерски съвет").status_code == 302
    auth.logout()
    page = client.get(f"/series/{series.slug}").get_data(as_text=True)
    assert 'alt="Съфинансирано от Европейския съюз"' in page
    assert 'alt="Министерски съвет"' in page
    from consult.events.models import SeriesLogo

    first = db.session.scalars(sa.select(SeriesLogo).order_by(SeriesLogo.position)).first()
    served = client.get(f"/series/logos/{first.id}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline;")
    auth.login("maria@example.bg")
    confirm = client.get(f"/manage/logos/{first.id}/delete?lang=en").get_data(as_text=True)
    assert "Remove the logo “Съфинансирано от Европейския съюз”" in confirm
    token = csrf_token(client, f"/manage/series/{series.id}/")
    client.post(f"/manage/logos/{first.id}/delete", data={"csrf_token": token})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesLogo)) == 1
    # the removed logo's image went with it; the other one's stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 1


def test_removing_a_document_or_a_draft_removes_its_uploaded_file(client, auth, db):
    meeting = setup_meeting(db, auth)
    upload(client, meeting, "programa.pdf", PDF, type="agenda", title="Програма")
    upload(client, meeting, "protokol.pdf", PDF, type="minutes", title="Протокол")
    documents = db.session.scalars(sa.select(Document).order_by(Document.id)).all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 2
    post_form(client, f"/manage/documents/{documents[0].id}/delete", {})
    db.session.expire_all()
    assert db.session.scalars(sa.select(StoredFile.id)).all() == [documents[1].file_id]

    # a draft's documents and their files go with the draft
    meeting.status = MeetingStatus.DRAFT
    db.session.commit()
    post_form(client, f"/manage/meetings/{meeting.id}/delete", {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_signed_sheet_or_a_list_of_invitees_is_never_published(client, auth, db):
    meeting = setup_meeting(db, auth)
    for kind, title in (("signed_sign_in_sheet", "Подписан присъствен списък"),
                        ("list_of_invitees", "Списък на поканените")):
        response = upload(client, meeting, "list.pdf", PDF, type=kind, title=title,
                          public="y")
        assert response.status_code == 302
        page = client.get(response.headers["Location"].split("#")[0] + "?lang=en")
        assert "It names people, so it is kept internal" in page.get_data(as_text=True)
    assert set(db.session.scalars(sa.select(Document.public))) == {False}
    ids = db.session.scalars(sa.select(Document.id)).all()
    auth.logout()
    public_page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Подписан присъствен списък" not in public_page
    assert "Списък на поканените" not in public_page
    assert all(client.get(f"/documents/{i}/list.pdf").status_code == 404 for i in ids)


def test_a_request_too_large_says_the_limit_and_leads_back_to_the_form(app, client, auth, db,
                                                                       monkeypatch):
    meeting = setup_meeting(db, auth)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    form_page = f"http://localhost/manage/meetings/{meeting.id}/"
    response = upload(client, meeting, "big.pdf", PDF + b"0" * 20_000,
                      headers={"Referer": form_page})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    limit = app.config["MAX_UPLOAD_BYTES"] // 2**20
    assert f"A file can be at most {limit} MB" in page
    assert f'<a href="/manage/meetings/{meeting.id}/">Back to the page you came from</a>' in page
    # never back to another site
    response = upload(client, meeting, "big.pdf", PDF + b"0" * 20_000,
                      headers={"Referer": "https://evil.example/"})
    assert "Back to the page you came from" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_a_document_is_corrected_and_unpublished_without_uploading_it_again(client, auth, db):
    meeting = setup_meeting(db, auth)
    upload(client, meeting, "dr.pdf", PDF, title="Дневен ред (чернова)")
    document = db.session.scalar(sa.select(Document))
    page = client.get(f"/manage/meetings/{meeting.id}/?lang=en").get_data(as_text=True)
    edit = f"/manage/documents/{document.id}/edit"
    assert f'href="{edit}"' in page
    # a mistake is reported next to its field, and what was typed stays
    response = post_form(client, edit + "?lang=en", {
        "type": "minutes", "title": "", "language": "bg", "year": "20", "public": "y"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="title-error"' in text
    assert 'id="year-error"' in text and 'value="20"' in text
    # a signed sheet cannot be made public
    response = post_form(client, edit + "?lang=en", {
        "type": "signed_sign_in_sheet", "title": "Лист", "language": "bg", "public": "y"})
    assert 'id="public-error"' in response.get_data(as_text=True)
    response = post_form(client, edit, {"type": "minutes", "title": "Протокол", "language":
                                        "bg", "year": "2020", "published_on": "2020-11-20"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (document.type.value, document.title, document.year, document.public,
            str(document.published_on)) == ("minutes", "Протокол", 2020, False, "2020-11-20")
    assert document.file.data == PDF  # the file stays
    auth.logout()
    assert client.get(f"/documents/{document.id}/dr.pdf").status_code == 404
    assert "Протокол" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    # another organizer may not
    make_user(email="other@example.bg")
    auth.login("other@example.bg")
    assert client.get(edit).status_code == 403
