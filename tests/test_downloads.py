"""Every file the application hands out names itself per RFC 6266."""

from __future__ import annotations

from consult.files import content_disposition, download


def test_names_keep_their_cyrillic_and_cannot_break_the_header(app):
    assert content_disposition("Отчет 2020.pdf") == (
        'attachment; filename="2020.pdf"; filename*=UTF-8\'\'%D0%9E%D1%82%D1%87%D0%B5%D1%82'
        "%202020.pdf")
    assert content_disposition("Покана.ics", inline=True).startswith(
        'inline; filename="document.ics"')
    assert content_disposition('a"b.csv') == \
        'attachment; filename="ab.csv"; filename*=UTF-8\'\'a%22b.csv'


def test_exports_are_not_cached_unless_said(app):
    with app.test_request_context():
        export = download(b"x", "text/csv; charset=utf-8", "contacts.csv")
        public = download(b"x", "application/pdf", "record.pdf", cache=None)
    assert export.headers["Cache-Control"] == "no-store"
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Cache-Control" not in public.headers


def test_control_characters_and_backslashes_never_reach_the_header():
    header = content_disposition("a\\b\r\nSet-Cookie: x\x00.pdf")
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    assert header.startswith('attachment; filename="abSet-Cookie: x.pdf"; filename*=UTF-8')
