"""Search in either script and in the spellings of Macedonian, Bulgarian, Albanian and the
Latin letters with marks: the door list, the registrations, the directory and its
organisations all search stored keys (search_key) for the forms of typed words
(search_forms)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from consult.directory.models import search_forms, search_key
from consult.directory.services import (
    ContactFilters,
    OrganisationFilters,
    contacts_query,
    organisations_query,
)
from consult.events.models import MeetingStatus
from tests.factories import make_contact, make_meeting, make_organisation


def finds(typed: str, stored: str) -> bool:
    """What the SQL asks: every typed word, in one of its forms, inside the stored key."""
    key = search_key(stored)
    return all(any(form in key for form in search_forms(word)) for word in typed.split())


@pytest.mark.parametrize(("typed", "stored"), [
    # Albanian names typed in Macedonian Cyrillic, and the other way round
    ("хоџа", "Hoxha"), ("реџепи", "Rexhepi"), ("џафери", "Xhaferi"), ("ќазим", "Qazim"),
    ("хоџа", "Hodža"), ("hoxha", "Хоџа"), ("rexhepi", "Реџепи"), ("qazim", "Ќазим"),
    ("челику", "Çeliku"), ("челику", "Celiku"), ("çeliku", "Челику"), ("цана", "Cana"),
    ("гезим", "Gëzim"), ("gëzim", "Гезим"), ("абдулаху", "Abdullahu"), ("тачи", "Thaçi"),
    ("thaçi", "Тачи"), ("abdullahu", "Абдулаху"), ("лулзим", "Lulzim"),
    ("ѕвезда", "Ѕвезда"),
    # Latin letters with marks find the transliterated forms, and back
    ("šuto", "Шуто Оризари"), ("шуто", "Šuto Orizari"), ("shuto", "Šuto Orizari"),
    ("suto", "Šuto Orizari"), ("žaneta", "Жанета"), ("zhaneta", "Žaneta"),
    ("zaneta", "Žaneta"), ("čeliku", "Челику"), ("celiku", "Çeliku"), ("cheliku", "Çeliku"),
    ("džafer", "Џафер"), ("xhafer", "Џафер"), ("đoković", "Ѓоковиќ"),
    ("đoković", "Джокович"), ("djokovic", "Đoković"), ("dokovic", "Đoković"),
    ("şükrü", "Шукру"), ("ŠUTO", "Шуто"),
    # what was found before still is
    ("georgi", "Георги Петров"), ("петър", "Petar Nikolov"), ("petar", "Петър Николов"),
    ("tsvetkova", "Цветкова"), ("цветкова", "Cvetkova"), ("gjorgji", "Ѓорѓи"),
    ("ѓорѓи", "Gjorgji"), ("смит", "Smith"), ("obshtina vidin", "Община Видин"),
    ("maria@example", "Мария maria@example.bg"),
])
def test_a_spelling_finds_the_name(typed, stored):
    assert finds(typed, stored)


@pytest.mark.parametrize(("typed", "stored"), [
    # a precise letter keeps apart what it keeps apart
    ("чолаков", "Цолаков"), ("цолаков", "Чолаков"), ("љубица", "Лубица"),
    ("лубица", "Љубица"), ("жана", "Зана"), ("зана", "Жана"), ("шуто", "Суто"),
    ("šuto", "Суто"), ("žana", "Зана"), ("đorđe", "Дорде"), ("ǵorǵi", "Горги"),
    ("ćosić", "Косик"), ("ѓорѓи", "Горги"), ("ќазим", "Казим"), ("џафер", "Дафер"),
    # the letters that lost their mark stand for it only in Latin
    ("suto", "Шуто"), ("zaneta", "Жанета"), ("cvetkova", "Чветкова"),
    # and nothing else
    ("hoxha", "Хоца"), ("георги", "Gergana"), ("xhaferi", "Зафери"),
])
def test_a_spelling_does_not_find_another_name(typed, stored):
    assert not finds(typed, stored)


def test_the_forms_of_a_plain_word_are_the_word(db):
    """Most words typed at the door are plain Latin or plain Cyrillic: asked as before, with
    one or two conditions, not more."""
    assert search_forms("petrov") == ["petrov"]
    assert search_forms("Петров") == ["petrov", "петров"]
    assert search_forms("Хоџа") == ["hodzha", "hoxha", "хоџа"]
    assert search_key("Petar Nikolov") == "petar nikolov"
    assert search_key("Георги Петров") == "георги петров georgi petrov"


def test_the_door_and_the_directory_find_albanian_and_marked_names(db):
    """Through the database (SQLite and PostgreSQL): the door list of a Macedonian/Albanian
    meeting, the registrations list, the directory and its organisations."""
    from consult.attendance import services as attendance
    from consult.registrations import services as registrations
    from consult.registrations.services import RegistrationFilters, registrations_query
    from tests.factories import make_series, make_user

    organizer = make_user(email="door@example.mk")
    meeting = make_meeting(make_series(managers=[organizer], main_language="mk"),
                           day="2027-04-06", main_language="mk",
                           status=MeetingStatus.PUBLISHED)
    for name, email, organisation in (
            ("Arben Hoxha", "arben@example.mk", "Qendra për Zhvillim"),
            ("Лирие Реџепи", "lirije@example.mk", "Општина Шуто Оризари"),
            ("Ilir Çeliku", "ilir@example.mk", ""),
            ("Јован Цолаков", "jovan@example.mk", "Šuto Orizari")):
        registrations.register(meeting, {"name": name, "email": email,
                                         "organisation_name": organisation})
    db.session.commit()

    def door(q):
        return sorted(row.name for row in attendance.search(meeting, q))

    assert door("хоџа") == ["Arben Hoxha"]
    assert door("реџепи") == door("rexhepi") == ["Лирие Реџепи"]
    assert door("šuto") == door("shuto") == door("шуто") == ["Јован Цолаков", "Лирие Реџепи"]
    assert door("suto") == ["Јован Цолаков"]  # "Шуто" is not "Суто"
    assert door("челику") == door("celiku") == ["Ilir Çeliku"]
    assert door("чолаков") == []
    assert door("ќендра") == ["Arben Hoxha"]
    assert door("100%") == door("_") == []  # typed LIKE wildcards are letters
    listed = db.session.scalars(registrations_query(
        [meeting.id], RegistrationFilters(q="хоџа"))).all()
    assert [r.name for r in listed] == ["Arben Hoxha"]

    shuto = make_organisation("Šuto Orizari")
    make_organisation("Општина Чаир")
    make_contact("Xhevdet Bexheti", organisation=shuto)
    make_contact("Гоце Ѓорѓиевски")
    db.session.commit()
    for typed in ("шуто", "suto", "shuto"):
        assert [o.name for o in db.session.scalars(organisations_query(
            OrganisationFilters(q=typed)))] == ["Šuto Orizari"], typed
    for typed in ("беџети", "џевдет шуто", "xhevdet"):
        assert [c.name for c in db.session.scalars(contacts_query(
            ContactFilters(q=typed)))] == ["Xhevdet Bexheti"], typed
    assert [c.name for c in db.session.scalars(contacts_query(
        ContactFilters(q="đorđievski")))] == ["Гоце Ѓорѓиевски"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        contacts_query(ContactFilters(q="чаир")).subquery())) == 0
