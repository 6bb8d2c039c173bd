"""At the door: search in either script, one tap in and out, walk-ins, counts by gender,
the QR link, counts without personal records."""

from __future__ import annotations

import re

import sqlalchemy as sa

from consult.attendance.models import AggregateAttendance, Attendance, CheckInMethod
from consult.directory.models import Gender
from consult.events.models import MeetingStatus
from consult.registrations import services as registrations
from consult.registrations.models import Registration, RegistrationStatus
from tests.conftest import csrf_token, post_form
from tests.factories import make_meeting, make_series, make_user


def setup(db, auth):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    meeting = make_meeting(series, day="2027-04-06", status=MeetingStatus.PUBLISHED)
    for name, email, gender in [("Георги Петров", "georgi@example.bg", Gender.MALE),
                                ("Надежда Маринова", "nadezhda@example.bg", Gender.FEMALE),
                                ("Ана Стоянова", "ana@example.bg", Gender.FEMALE)]:
        registrations.register(meeting, {"name": name, "email": email, "gender": gender,
                                         "organisation_name": "Община Видин",
                                         "locale": "bg"})
    db.session.commit()
    auth.login("maria@example.bg")
    return meeting


def registration(db, email):
    db.session.expire_all()
    return db.session.scalar(sa.select(Registration).where(Registration.email == email))


def test_latin_search_finds_cyrillic_and_one_tap_checks_in(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    page = client.get(f"/manage/meetings/{meeting.id}/checkin?q=georgi&lang=en")
    text = page.get_data(as_text=True)
    assert "Георги Петров" in text and "Надежда Маринова" not in text
    assert "0</strong> / <span data-count=\"registered\">3" in text
    # and Cyrillic finds someone registered in Latin letters
    registrations.register(meeting, {"name": "Petar Nikolov", "email": "petar@example.org"})
    db.session.commit()
    for typed in ("Петър", "петър николов", "Petar"):
        text = client.get(f"/manage/meetings/{meeting.id}/checkin?q={typed}&partial=1"
                          ).get_data(as_text=True)
        assert "Petar Nikolov" in text and "Георги Петров" not in text, typed
    text = client.get(f"/manage/meetings/{meeting.id}/registrations?q=Петър").get_data(
        as_text=True)
    assert "Petar Nikolov" in text and "Георги Петров" not in text

    georgi = registration(db, "georgi@example.bg")
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/checkin")
    reply = client.post(f"/manage/registrations/{georgi.id}/checkin",
                        data={"csrf_token": token, "action": "in"},
                        headers={"X-Requested-With": "fetch"})
    assert reply.get_json()["counts"]["present_by_gender"]["male"] == 1
    assert reply.get_json()["counts"]["present"] == 1
    # twice is still once
    client.post(f"/manage/registrations/{georgi.id}/checkin",
                data={"csrf_token": token, "action": "in"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
    counts = client.get(f"/manage/meetings/{meeting.id}/checkin/counts.json").get_json()
    assert counts == {**counts, "present": 1, "registered": 4}
    client.post(f"/manage/registrations/{georgi.id}/checkin",
                data={"csrf_token": token, "action": "undo"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_a_waitlisted_person_let_in_gets_the_seat_and_undo_gives_it_back(client, auth, db,
                                                                         meeting_day):
    """A tap on someone on the waiting list of a full meeting gave them a seat beyond its
    capacity unasked: the tap opens their page, which says so and asks; the yes lets them
    in, and an undo puts them back on the list."""
    meeting = setup(db, auth)
    meeting_day(meeting)
    meeting.capacity = 3
    db.session.commit()
    registrations.register(meeting, {"name": "Иван Колев", "email": "ivan@example.bg",
                                     "gender": Gender.MALE, "locale": "bg"})
    db.session.commit()
    ivan = registration(db, "ivan@example.bg")
    assert ivan.status is RegistrationStatus.WAITLISTED
    door = f"/manage/meetings/{meeting.id}/checkin"
    listed = client.get(f"{door}?q=ivan&partial=1&lang=en").get_data(as_text=True)
    assert 'Иван Колев</strong> <span class="badge">on the waiting list</span>' in listed
    token = csrf_token(client, door)
    reply = client.post(f"/manage/registrations/{ivan.id}/checkin",
                        data={"csrf_token": token, "action": "in", "q": "ivan"},
                        headers={"X-Requested-With": "fetch"})
    assert reply.status_code == 409
    page_url = reply.get_json()["location"]
    assert "via=list" in page_url and "q=ivan" in page_url
    # without the script the same tap leads to the same page
    plain = client.post(f"/manage/registrations/{ivan.id}/checkin",
                        data={"csrf_token": token, "action": "in", "q": "ivan"})
    assert plain.status_code == 302 and plain.headers["Location"] == page_url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    assert registration(db, "ivan@example.bg").status is RegistrationStatus.WAITLISTED
    page = client.get(page_url + "&lang=en").get_data(as_text=True)
    assert "This person is on the waiting list. Checking them in gives them a seat, beyond " \
        "the capacity if the meeting is full. The meeting is full (seats taken: 3 of 3)." \
        in page
    assert "Check in anyway" in page and 'name="method" value="door"' in page
    assert 'name="anyway" value="1"' in page and 'name="q" value="ivan"' in page
    reply = post_form(client, f"/manage/registrations/{ivan.id}/checkin",
                      {"action": "in", "anyway": "1", "method": "door", "q": "ivan"},
                      form_page=page_url)
    assert reply.headers["Location"].endswith(f"{door}?q=ivan")  # back to the list as it was
    counts = client.get(f"{door}/counts.json").get_json()
    assert (counts["present"], counts["registered"]) == (1, 4)
    assert registration(db, "ivan@example.bg").status is RegistrationStatus.CONFIRMED
    attendance = db.session.scalar(sa.select(Attendance))
    assert attendance.method is CheckInMethod.DOOR
    # a mistap: undone, he is back on the waiting list and the meeting within its places
    reply = client.post(f"/manage/registrations/{ivan.id}/checkin",
                        data={"csrf_token": token, "action": "undo"},
                        headers={"X-Requested-With": "fetch"}).get_json()
    assert (reply["counts"]["present"], reply["counts"]["registered"]) == (0, 3)
    assert registration(db, "ivan@example.bg").status is RegistrationStatus.WAITLISTED
    # someone confirmed all along: one tap, and stays confirmed after an undo
    georgi = registration(db, "georgi@example.bg")
    for action in ("in", "undo"):
        response = post_form(client, f"/manage/registrations/{georgi.id}/checkin",
                             {"action": action}, form_page=door)
        assert response.headers["Location"].startswith(door)
    assert registration(db, "georgi@example.bg").status is RegistrationStatus.CONFIRMED


def test_the_door_asks_before_seating_anyone_without_a_seat(client, app, auth, db,
                                                             meeting_day):
    """Waiting for approval or on the waiting list, by the QR code or by the address typed
    for a walk-in: the door says so and asks, as for a cancelled registration. A new walk-in
    at a full meeting is told it goes beyond the capacity."""
    meeting = setup(db, auth)
    meeting_day(meeting)
    meeting.capacity = 3
    db.session.commit()
    registrations.register(meeting, {"name": "Иван Колев", "email": "ivan@example.bg"})
    georgi = registration(db, "georgi@example.bg")
    georgi.status = RegistrationStatus.PENDING  # an approval the organizer has not given
    db.session.commit()
    with app.test_request_context():
        code = registrations.checkin_token(georgi)
    page = client.get(f"/manage/checkin/{code}?lang=en").get_data(as_text=True)
    assert "This registration is waiting for approval. Checking them in gives them a " \
        "seat, beyond the capacity if the meeting is full." in page
    assert "The meeting is full" not in page  # two seats taken of three
    assert "Check in anyway" in page and 'name="method" value="qr"' in page
    url = f"/manage/meetings/{meeting.id}/walk-in?lang=en"
    page = post_form(client, url, {"name": "Иван", "email": "ivan@example.bg"}).get_data(
        as_text=True)
    assert "ivan@example.bg is registered already, as Иван Колев. This person is on the " \
        "waiting list." in page and "Check in anyway" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    # the confirmed are let in at once; then the meeting is full, and a walk-in is told
    ana = registration(db, "ana@example.bg")
    post_form(client, f"/manage/registrations/{ana.id}/checkin", {"action": "in"},
              form_page=f"/manage/meetings/{meeting.id}/checkin")
    page = client.get(url).get_data(as_text=True)
    assert "The meeting is full" not in page
    reply = post_form(client, f"/manage/registrations/{georgi.id}/checkin",
                      {"action": "in", "anyway": "1", "method": "qr"},
                      form_page=f"/manage/checkin/{code}")
    assert reply.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "The meeting is full (seats taken: 3 of 3). A walk-in gets a seat beyond the " \
        "capacity." in page
    assert registration(db, "georgi@example.bg").status is RegistrationStatus.CONFIRMED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 2


def test_walk_in_registers_and_checks_in_at_once(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    response = post_form(client, f"/manage/meetings/{meeting.id}/walk-in", {
        "name": "Иван Иванов", "gender": "male", "organisation": "НПО Заедно"})
    assert response.status_code == 302
    walk_in = db.session.scalar(sa.select(Registration).where(
        Registration.name == "Иван Иванов"))
    assert walk_in.status is RegistrationStatus.CONFIRMED
    attendance = db.session.scalar(sa.select(Attendance).where(
        Attendance.registration_id == walk_in.id))
    assert attendance.method is CheckInMethod.WALK_IN
    # a second walk-in without an address is a second person, not a duplicate
    post_form(client, f"/manage/meetings/{meeting.id}/walk-in", {"name": "Без адрес"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 2
    missing = post_form(client, f"/manage/meetings/{meeting.id}/walk-in?lang=en", {"name": ""})
    assert "Please fill in this field." in missing.get_data(as_text=True)
    # the same name again (here in Latin): asked, not added twice
    url = f"/manage/meetings/{meeting.id}/walk-in?lang=en"
    again = post_form(client, url, {"name": "Ivan Ivanov", "gender": "male"})
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and "is on this meeting&#39;s list already" in page
    assert 'value="Ivan Ivanov"' in page and 'id="namesake"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 2
    # unless it is someone else with the same name
    assert post_form(client, url, {"name": "Ivan Ivanov", "namesake": "y"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 3


def test_qr_link_opens_the_person_for_the_organizer_only(client, app, auth, db):
    from consult.registrations.services import checkin_token

    meeting = setup(db, auth)
    ana = registration(db, "ana@example.bg")
    with app.test_request_context():
        code = checkin_token(ana)
    # the door code is not the personal link: a photo of it opens nothing of hers
    assert ana.token not in code and len(code.partition(".")[2]) >= 22  # 128 bits
    page = client.get(f"/manage/checkin/{code}")
    assert page.status_code == 200 and "Ана Стоянова" in page.get_data(as_text=True)
    number, _dot, signature = code.partition(".")
    for forged in (f"{number}.{signature[:-1]}x", f"{int(number) + 1}.{signature}",
                   f"x.{signature}", f"{number}."):
        assert client.get(f"/manage/checkin/{forged}").status_code == 404, forged
    # codes mailed before they were signed still open at the door
    assert client.get(f"/manage/checkin/{ana.token}").status_code == 200
    stranger = app.test_client()
    to_sign_in = stranger.get(f"/manage/checkin/{code}")
    assert to_sign_in.status_code == 302
    # the participant who scans their own code is told what it is, not led to any page
    login = stranger.get(to_sign_in.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "This code is for the organizers at the door" in login
    assert "/r/" not in login
    assert "organizers at the door" not in stranger.get(
        "/account/login?next=/manage/&lang=en").get_data(as_text=True)
    make_user(email="other@example.bg")
    auth.logout()
    auth.login("other@example.bg")
    assert client.get(f"/manage/checkin/{code}").status_code == 403
    assert meeting.id


def test_a_cancelled_or_refused_person_is_let_in_only_when_the_organizer_says_so(
        client, app, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    ana = registration(db, "ana@example.bg")
    registrations.cancel(ana)
    db.session.commit()
    with app.test_request_context():
        code = registrations.checkin_token(ana)
    page = client.get(f"/manage/checkin/{code}?lang=en").get_data(as_text=True)
    assert "This registration was cancelled." in page and "Check in anyway" in page
    # a tap without "anyway" (an old page, a script) lets nobody in
    response = post_form(client, f"/manage/registrations/{ana.id}/checkin?lang=en",
                         {"action": "in"}, form_page=f"/manage/checkin/{code}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/manage/checkin/{code}?")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    response = post_form(client, f"/manage/registrations/{ana.id}/checkin",
                         {"action": "in", "anyway": "1", "method": "qr"},
                         form_page=f"/manage/checkin/{code}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
    assert ana.status is RegistrationStatus.CONFIRMED


def test_counts_without_registration_are_kept_apart(client, auth, db):
    meeting = setup(db, auth)
    url = f"/manage/meetings/{meeting.id}/attendance/counts"
    bad = post_form(client, url + "?lang=en", {"female": "-3", "type-municipality": "x"})
    assert "Enter a number from 0 up." in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(AggregateAttendance)) is None
    post_form(client, url, {"female": "12", "male": "9", "undisclosed": "2",
                            "type-municipality": "4", "type-civil_society": "3",
                            "note": "Broyani na vhoda"})
    record = db.session.scalar(sa.select(AggregateAttendance))
    assert record.by_gender == {"female": 12, "male": 9, "other": 0, "undisclosed": 2}
    assert record.by_type == {"municipality": 4, "civil_society": 3}
    assert record.total == 23
    page = client.get(f"/manage/meetings/{meeting.id}/checkin?lang=en").get_data(as_text=True)
    assert "Plus 23 counted without registration." in page


def test_meeting_page_shows_the_participation_funnel(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    georgi = registration(db, "georgi@example.bg")
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/checkin")
    client.post(f"/manage/registrations/{georgi.id}/checkin",
                data={"csrf_token": token, "action": "in"})
    post_form(client, f"/manage/meetings/{meeting.id}/attendance/counts",
              {"female": "4", "male": "1"})
    from consult.attendance.services import funnel

    result = funnel(meeting)
    assert result.by_gender["registered"] == {"female": 2, "male": 1, "other": 0,
                                              "undisclosed": 0}
    assert result.by_gender["attended"]["male"] == 1 and result.totals["attended"] == 1
    page = client.get(f"/manage/meetings/{meeting.id}/?lang=en").get_data(as_text=True)
    assert "Invited → registered → attended, by gender" in page
    assert "counted without registration" in page
    assert "by stakeholder type</caption>" in page
    # a meeting nobody is invited to or registered for says so instead of an empty table
    empty = make_meeting(meeting.series, day="2027-05-06")
    page = client.get(f"/manage/meetings/{empty.id}/?lang=en").get_data(as_text=True)
    assert "Nobody is invited or registered yet" in page
    assert "by stakeholder type</caption>" not in page


def test_a_cancelled_meeting_records_nobody(client, app, auth, db):
    meeting = setup(db, auth)
    georgi = registration(db, "georgi@example.bg")
    meeting = db.session.get(type(meeting), meeting.id)
    meeting.status = MeetingStatus.CANCELLED
    db.session.commit()
    door = f"/manage/meetings/{meeting.id}/checkin"
    assert "This meeting is cancelled" in client.get(door + "?lang=en").get_data(as_text=True)
    token = csrf_token(client, door)
    reply = client.post(f"/manage/registrations/{georgi.id}/checkin",
                        data={"csrf_token": token, "action": "in"},
                        headers={"X-Requested-With": "fetch"})
    assert reply.status_code == 409 and "cancelled" in reply.get_json()["message"]
    for path, data in ((f"/manage/registrations/{georgi.id}/checkin", {"action": "in"}),
                       (f"/manage/meetings/{meeting.id}/walk-in", {"name": "Нов Човек"}),
                       (f"/manage/meetings/{meeting.id}/attendance/counts", {"female": "3"}),
                       (f"/manage/meetings/{meeting.id}/certificates", {})):
        response = post_form(client, path, data, form_page=door, follow_redirects=True)
        assert "This meeting is cancelled" in response.get_data(as_text=True), path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AggregateAttendance)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3
    # the participant's page says so, without the calendar entry
    page = app.test_client().get(f"/r/{georgi.token}?lang=en").get_data(as_text=True)
    assert "This meeting is cancelled." in page and "Add to my calendar" not in page


def test_counts_by_type_cannot_exceed_the_counts_by_gender(client, auth, db):
    meeting = setup(db, auth)
    url = f"/manage/meetings/{meeting.id}/attendance/counts"
    response = post_form(client, url, {"female": "3", "male": "2", "type-civil_society": "9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="types-error"' in page
    assert 'value="9"' in page  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AggregateAttendance)) == 0
    assert post_form(client, url, {"female": "3", "male": "2", "type-civil_society": "4"}) \
        .status_code == 302


def test_namesakes_at_the_door_are_told_apart_by_their_address(client, auth, db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    for email in ("desi@vidin.example.bg", "d.ivanova@example.bg"):
        registrations.register(meeting, {"name": "Десислава Иванова", "email": email,
                                         "gender": Gender.FEMALE, "locale": "bg",
                                         "organisation_name": "Община Видин"})
    db.session.commit()
    url = f"/manage/meetings/{meeting.id}/walk-in"
    assert post_form(client, url, {"name": "Десислава Иванова", "namesake": "y"}).status_code \
        == 302
    for path in ("checkin?q=desislava&lang=en", "checkin?partial=1&q=desislava&lang=en"):
        text = client.get(f"/manage/meetings/{meeting.id}/{path}").get_data(as_text=True)
        assert text.count("<li class=\"checkin-row") == 3
        assert "desi@vidin.example.bg" in text and "d.ivanova@example.bg" in text
        assert "added at the door" in text and ".invalid" not in text
    # someone without a namesake shows no address
    text = client.get(f"/manage/meetings/{meeting.id}/checkin?q=georgi").get_data(as_text=True)
    assert "georgi@example.bg" not in text


def test_a_long_door_list_says_it_shows_only_the_first(client, auth, db):
    from consult.attendance.views import DOOR_ROWS

    meeting = setup(db, auth)
    for n in range(DOOR_ROWS):
        registrations.register(meeting, {"name": f"Участник {n:02d}",
                                         "email": f"p{n}@example.bg"})
    db.session.commit()
    page = client.get(f"/manage/meetings/{meeting.id}/checkin?lang=en").get_data(as_text=True)
    assert page.count('class="checkin-row') == DOOR_ROWS
    assert f"Only the first {DOOR_ROWS} are shown: type a name to find the others." in page
    narrowed = client.get(f"/manage/meetings/{meeting.id}/checkin?q=Георги&partial=1&lang=en")
    assert "Only the first" not in narrowed.get_data(as_text=True)


def test_a_tap_after_the_session_ended_leads_back_to_the_door_list(client, app, auth, db):
    """Signed out meanwhile: without JavaScript the form's POST goes to sign in and then back
    to the list it was sent from (its own address answers POST only); the page's script gets
    401 with the same way back."""
    meeting = setup(db, auth)
    georgi = registration(db, "georgi@example.bg")
    door = f"/manage/meetings/{meeting.id}/checkin?q=georgi"
    phone = app.test_client()
    token = csrf_token(phone, "/account/login")
    response = phone.post(f"/manage/registrations/{georgi.id}/checkin",
                          data={"csrf_token": token, "action": "in"},
                          headers={"Referer": f"http://localhost{door}"})
    assert response.status_code == 302
    from urllib.parse import parse_qs, urlsplit

    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login" and parse_qs(location.query)["next"] == [door]
    fetched = phone.get(f"/manage/meetings/{meeting.id}/checkin?partial=1&q=x",
                        headers={"X-Requested-With": "fetch", "Referer": f"http://localhost{door}"})
    assert fetched.status_code == 401
    assert parse_qs(urlsplit(fetched.get_json()["login"]).query)["next"] == [door]
    # another site's page is never where the sign-in leads
    response = phone.post(f"/manage/registrations/{georgi.id}/checkin",
                          data={"csrf_token": token, "action": "in"},
                          headers={"Referer": "https://evil.example/manage/"})
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/manage/"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_a_latin_spelling_of_a_registered_name_is_asked_about(client, auth, db, meeting_day):
    """"Maria Georgieva" typed as a walk-in when "Мария Георгиева" is registered: asked, not
    counted twice; and the door list tells the two apart by their address."""
    from consult.attendance.services import name_key

    assert name_key("Мария Георгиева") == name_key("Maria  georgieva") == \
        name_key("Mariya Georgieva")
    assert name_key("Юлия Цветкова") == name_key("Iulia Cvetkova") == name_key("Yulia Tsvetkova")
    assert name_key("Мария Иванова") != name_key("Maria Georgieva")
    meeting = setup(db, auth)
    meeting_day(meeting)
    registrations.register(meeting, {"name": "Мария Георгиева", "email": "maria@example.bg"})
    registrations.register(meeting, {"name": "Maria Georgieva", "email": "maria@example.org"})
    db.session.commit()
    url = f"/manage/meetings/{meeting.id}/walk-in?lang=en"
    page = post_form(client, url, {"name": "Maria Georgieva"}).get_data(as_text=True)
    assert "is on this meeting&#39;s list already" in page
    text = client.get(f"/manage/meetings/{meeting.id}/checkin?q=maria").get_data(as_text=True)
    assert "maria@example.bg" in text and "maria@example.org" in text


def test_a_walk_in_with_a_registered_address_is_told_whose_registration_it_is(client, auth,
                                                                               db, meeting_day):
    meeting = setup(db, auth)
    meeting_day(meeting)
    url = f"/manage/meetings/{meeting.id}/walk-in?lang=en"
    response = post_form(client, url, {"name": "Ana S.", "email": "ANA@example.bg"},
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ana@example.bg was registered already, as Ана Стоянова (confirmed): checked in." \
        in page
    assert "Ana S." not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1


def test_a_walk_in_hears_in_the_meetings_language_or_the_one_chosen(client, auth, db,
                                                                    meeting_day):
    """At a Macedonian/Albanian meeting a walk-in's mails went in English: the door's form
    had no language. It offers one now, the meeting's main language chosen, its languages
    first; a page that does not send it (an old one) gets the main language too."""
    import re

    from consult.directory.models import Contact
    from consult.mail.models import OutboxMessage

    organizer = make_user(email="door@example.mk")
    series = make_series(managers=[organizer], published=True, main_language="mk")
    meeting = make_meeting(series, day="2027-04-06", status=MeetingStatus.PUBLISHED,
                           main_language="mk", languages=["mk", "sq"])
    meeting_day(meeting)
    auth.login("door@example.mk")
    url = f"/manage/meetings/{meeting.id}/walk-in"
    page = client.get(url).get_data(as_text=True)
    select = page[page.index('<select id="language"'):]
    select = select[:select.index("</select>")]
    assert re.findall(r'value="(\w+)"', select) == ["mk", "sq", "bg", "en"]
    assert re.search(r'<option selected value="mk">', select)
    for name, email, language in (("Благица Стојанова", "blagica@example.mk", "mk"),
                                  ("Arben Xhaferi", "arben@example.mk", "sq"),
                                  ("Стари Образец", "old-page@example.mk", None)):
        data = {"name": name, "email": email}
        if language:
            data["language"] = language
        assert post_form(client, url, data).status_code == 302
    locales = dict(db.session.execute(sa.select(Registration.email, Registration.locale)).all())
    assert locales == {"blagica@example.mk": "mk", "arben@example.mk": "sq",
                       "old-page@example.mk": "mk"}
    # the directory learns it too, for the next invitation
    assert db.session.scalar(sa.select(Contact.language).where(
        Contact.email == "arben@example.mk")) == "sq"
    # and what they hear about the meeting comes in it
    arben = registration(db, "arben@example.mk")
    registrations.cancel(arben, by_participant=False)
    db.session.commit()
    mail = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == "arben@example.mk"))
    assert mail.locale == "sq" and mail.subject.startswith("Regjistrimi u anulua: ")
    # a meeting held in a language mail is not written in: English
    other = make_meeting(series, day="2027-04-07", status=MeetingStatus.PUBLISHED,
                         main_language="de")
    from consult.attendance.services import walk_in_language

    assert walk_in_language(other) == "en"


def test_a_walk_in_with_a_cancelled_or_refused_address_is_asked_about_first(client, auth,
                                                                             db, meeting_day):
    """The address typed for a walk-in is a cancelled (or refused) registration's: the form
    says whose and what checking them in does, and asks, as their QR code's page does;
    nothing is written until the organizer says yes, and what was typed stays."""
    meeting = setup(db, auth)
    meeting_day(meeting)
    registrations.cancel(registration(db, "ana@example.bg"))
    registrations.reject(registration(db, "nadezhda@example.bg"), "")
    db.session.commit()
    url = f"/manage/meetings/{meeting.id}/walk-in?lang=en"
    typed = {"name": "Ana S.", "email": "ana@example.bg", "gender": "female",
             "organisation": "НПО Заедно"}
    asked = post_form(client, url, typed)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "ana@example.bg is registered already, as Ана Стоянова. This registration was " \
        "cancelled. Checking them in gives them a seat again, beyond the capacity if the " \
        "meeting is full." in page
    ana = registration(db, "ana@example.bg")
    assert f'name="let_in" value="{ana.id}"' in page and "Check in anyway" in page
    assert 'value="Ana S."' in page and 'value="НПО Заедно"' in page
    # Enter in a field sends the form with its first submit button (HTML's implicit
    # submission): that must be the form's own, which asks again, not the yes
    form = re.search(r'<form method="post" novalidate>(.*?)</form>', page, re.S).group(1)
    first = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert "let_in" not in first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    assert ana.status is RegistrationStatus.CANCELLED
    # a yes about someone else is no yes about her: the refused one is asked about too
    page = post_form(client, url, {"name": "Н. Маринова", "email": "nadezhda@example.bg",
                                   "let_in": str(ana.id)}).get_data(as_text=True)
    assert "This registration was not accepted." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    # the answer: she is in, under her own registration
    done = post_form(client, url, {**typed, "let_in": str(ana.id)}, follow_redirects=True)
    assert "ana@example.bg was registered already, as Ана Стоянова (cancelled): checked " \
        "in." in done.get_data(as_text=True)
    assert registration(db, "ana@example.bg").status is RegistrationStatus.CONFIRMED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3


def test_the_door_opens_on_the_meetings_day_where_it_takes_place(client, app, auth, db,
                                                                 meeting_day):
    """Check-ins were taken weeks before the meeting (a phone open on the wrong meeting of
    the series): before the meeting's day, in its own time zone, the door says when it
    opens and records nobody; undoing a check-in stays possible."""
    from datetime import UTC, datetime

    from consult.attendance import services

    meeting = setup(db, auth)  # 6 April 2027 in Sofia, 10:00
    meeting.timezone = "Europe/Skopje"
    db.session.commit()
    # the 6th begins at 22:00 UTC on the 5th there (summer time)
    assert services.too_early(meeting, datetime(2027, 4, 5, 21, 59, tzinfo=UTC))
    assert not services.too_early(meeting, datetime(2027, 4, 5, 22, 0, tzinfo=UTC))
    assert not services.too_early(meeting, datetime(2027, 4, 30, 12, 0, tzinfo=UTC))
    assert services.too_early(meeting)  # today, weeks before

    door = f"/manage/meetings/{meeting.id}/checkin"
    opens = "Check-in opens on the day of the meeting, Tuesday, April 6, 2027."
    assert opens in client.get(door + "?lang=en").get_data(as_text=True)
    georgi = registration(db, "georgi@example.bg")
    token = csrf_token(client, door)
    reply = client.post(f"/manage/registrations/{georgi.id}/checkin",
                        data={"csrf_token": token, "action": "in"},
                        headers={"X-Requested-With": "fetch", "Accept-Language": "en"})
    assert reply.status_code == 409 and reply.get_json() == {"message": opens}
    for path, data in ((f"/manage/registrations/{georgi.id}/checkin", {"action": "in"}),
                       (f"/manage/meetings/{meeting.id}/walk-in", {"name": "Нов Човек"}),
                       (f"/manage/meetings/{meeting.id}/attendance/mark",
                        {"people": "Георги Петров", "action": "apply"})):
        response = post_form(client, path + "?lang=en", data, form_page=door,
                             follow_redirects=True)
        assert opens in response.get_data(as_text=True), path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3
    with app.test_request_context():
        code = registrations.checkin_token(georgi)
    page = client.get(f"/manage/checkin/{code}?lang=en").get_data(as_text=True)
    assert opens in page and 'name="action" value="in"' not in page
    # one checked in before this rule can be undone
    services.check_in(georgi, None)
    db.session.commit()
    post_form(client, f"/manage/registrations/{georgi.id}/checkin", {"action": "undo"},
              form_page=door)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    # on the day, early in the morning there
    meeting_day(meeting, at="07:45")
    assert opens not in client.get(door + "?lang=en").get_data(as_text=True)
    post_form(client, f"/manage/registrations/{georgi.id}/checkin", {"action": "in"},
              form_page=door)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
