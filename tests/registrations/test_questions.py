"""A meeting's own questions: defined by the organizer per language, asked on the form,
required or not, answers kept with the wording and exported."""

from __future__ import annotations

import sqlalchemy as sa

from consult.events.models import MeetingStatus
from consult.registrations.models import Question, Registration
from tests.conftest import post_form
from tests.factories import make_meeting, make_series, make_user


def test_organizer_defines_questions_and_participants_answer(client, app, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    meeting = make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED)
    auth.login("maria@example.bg")
    url = f"/manage/meetings/{meeting.id}/questions"
    bad = post_form(client, url + "?lang=en", {"kind": "single", "label_bg": "Обяд?",
                                               "options_bg": "Да\nНе", "label_en": "Lunch?",
                                               "options_en": "Yes"})
    assert "Give the same number of choices in every language." in bad.get_data(as_text=True)
    assert 'value="Обяд?"' in bad.get_data(as_text=True)  # nothing typed is lost
    post_form(client, url, {"kind": "single", "label_bg": "Обяд?", "options_bg": "Да\nНе",
                            "label_en": "Lunch?", "options_en": "Yes\nNo", "required": "y"})
    post_form(client, url, {"kind": "multiple", "label_bg": "Теми", "options_bg":
                            "Образование\nЗдраве\nЖилища"})
    post_form(client, url, {"kind": "text", "label_bg": "Въпроси към лекторите"})
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.kind.value for q in questions] == ["single", "multiple", "text"]
    assert questions[0].options == [{"bg": "Да", "en": "Yes"}, {"bg": "Не", "en": "No"}]

    participant = app.test_client()
    form = f"/meetings/{meeting.id}/register"
    page = participant.get(form + "?lang=bg").get_data(as_text=True)
    assert "Обяд?" in page and "Образование" in page
    base = {"name": "Ана", "email": "ana@example.bg", "gender": "female", "consent": "y"}
    missing = post_form(participant, form + "?lang=en", base)
    assert missing.status_code == 200 and "Please fill in this field." in missing.get_data(
        as_text=True)
    q1, q2, q3 = questions
    post_form(participant, form + "?lang=bg", {**base, f"q_{q1.id}": "0", f"q_{q2.id}": ["0", "2"],
                                  f"q_{q3.id}": "Кога е почивката?"})
    registration = db.session.scalar(sa.select(Registration))
    answers = {a["question"]: a["answer"] for a in registration.answers.values()}
    assert answers["Обяд?"] == "Да"
    assert answers["Теми"] == "Образование, Жилища"
    assert answers["Въпроси към лекторите"] == "Кога е почивката?"
    export = client.get(f"/manage/meetings/{meeting.id}/registrations.csv").data.decode(
        "utf-8-sig")
    assert "Теми: Образование, Жилища" in export
