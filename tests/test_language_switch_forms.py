"""Every organizer form that keeps its input across a language switch: sent back with
``switch_language``, it comes back as typed, in the chosen language, unjudged, and nothing
in the database changes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import post_form
from tests.factories import (
    make_attendee,
    make_contact,
    make_group,
    make_meeting,
    make_series,
    make_user,
)

TEXT_TYPES = {"text", "email", "url", "tel", "search", None}


class FormFields(HTMLParser):
    """The text fields and the other named controls of the form marked data-keeps-input."""

    def __init__(self):
        super().__init__()
        self.marked = 0
        self.inside = False
        self.texts: list[str] = []
        self.others: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-keeps-input" in attrs:
            self.marked += 1
            self.inside = True
        elif self.inside and attrs.get("name") and attrs["name"] != "csrf_token":
            if tag == "textarea" or (tag == "input" and attrs.get("type") in TEXT_TYPES):
                self.texts.append(attrs["name"])
            elif tag == "input" and attrs.get("type") in ("date", "time", "number"):
                self.others.setdefault(attrs["name"], "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def _row_counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _pages():
    """(endpoint, arguments) of each form, with what it needs in the database."""
    organizer = make_user(email="maria@example.bg", locale="en", role="admin")
    series = make_series(managers=[organizer])
    group = make_group(managers=[organizer])
    meeting = make_meeting(series=series)
    make_attendee(meeting, make_contact(name="Ана Петрова", email="ana@example.bg"),
                  attended=False)
    return organizer, [
        ("directory.edit_contact", {}),
        ("directory.edit_organisation", {}),
        ("groups.create_group", {}),
        ("groups.edit_group", {"group_id": group.id}),
        ("groups.add_lead", {"group_id": group.id}),
        ("groups.add_document", {"group_id": group.id}),
        ("registrations_admin.add", {"meeting_id": meeting.id}),
        ("registrations_admin.questions", {"meeting_id": meeting.id}),
        ("registrations_admin.mail", {"meeting_id": meeting.id}),
        ("events.add_sessions", {"series_id": series.id}),
        ("auth.create_user", {}),
    ]


@pytest.mark.parametrize("language", ["bg", "sq"])
def test_organizer_forms_come_back_as_typed_in_the_chosen_language(app, client, auth, db,
                                                                    language):
    organizer, pages = _pages()
    db.session.commit()
    auth.login(organizer.email)
    for endpoint, arguments in pages:
        with app.test_request_context():
            url = url_for(endpoint, **arguments)
        client.post("/language", data={"lang": "en", "csrf_token": _token(client, url)})
        page = client.get(url).get_data(as_text=True)
        fields = FormFields()
        fields.feed(page)
        assert fields.marked == 1, endpoint
        assert "keep-input.js" in page, endpoint
        assert fields.texts, endpoint
        typed = {name: f"Въведено {n} <{name}>" for n, name in enumerate(fields.texts)}
        before = _row_counts(db)
        response = post_form(client, url, {**fields.others, **typed,
                                           "switch_language": language})
        text = response.get_data(as_text=True)
        assert response.status_code == 200, endpoint
        assert f'<html lang="{language}">' in text, endpoint
        for value in typed.values():
            escaped = value.replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in text, (endpoint, value)
        assert "field-error" not in text and "error-summary" not in text, endpoint
        db.session.expire_all()
        assert _row_counts(db) == before, endpoint


def _token(client, url):
    from tests.conftest import csrf_token

    return csrf_token(client, url)
