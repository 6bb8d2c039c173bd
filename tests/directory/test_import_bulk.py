"""The import writes in bulk: the shortcuts that make 10,000 rows fast change no result."""

from __future__ import annotations

import gc
import sys

import pytest
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from consult.directory import importer
from consult.directory.models import Contact, Gender, Organisation
from consult.i18n import _CYRILLIC, transliterate
from tests.factories import make_contact, make_organisation

ADDRESSES = [
    "todor.hristov@oa-vidin.example.bg", "Elena.Petrova@Example.BG", "a+b_c-d@x.example.org",
    "a..b@example.bg", ".a@example.bg", "a.@example.bg", "a b@example.bg", "a@example",
    "a@localhost", "a@-x.example.bg", "a@x-.example.bg", "a@example..bg", "a@@example.bg",
    "a@example.test", "a@example.invalid", "a@123.456", "x" * 64 + "@example.bg",
    "x" * 65 + "@example.bg", "a@" + "b" * 64 + ".example.bg", "a@" + "b." * 130 + "bg",
    "иван@пример.бг", "ivan@пример.бг", "ivan@EXAMPLE.bg", "o'brien@example.ie",
    '"quoted"@example.bg', "a@[127.0.0.1]", "Иван <ivan@example.bg>", "", "@example.bg",
    "a@", "a@example.bg.", "a@xn--e1afmkfd.xn--90ae", "postmaster@example.bg",
]


def reference(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_checking_each_domain_once_gives_the_validators_answer(address):
    checker = importer.EmailChecker()
    checker.normalize("someone@" + address.rpartition("@")[2])  # the domain seen before
    assert checker.normalize(address) == reference(address)


def test_transliteration_table_equals_the_letter_by_letter_rule():
    def letter_by_letter(char: str) -> str:
        latin = _CYRILLIC.get(char.lower())
        if latin is None:
            return char
        return latin.capitalize() if char != char.lower() else latin

    everything = "".join(chr(cp) for cp in range(sys.maxunicode + 1)
                         if not 0xD800 <= cp <= 0xDFFF)
    expected = "".join(letter_by_letter(char) for char in everything)
    assert transliterate(everything) == expected
    assert transliterate("Георги ЖЕЛЯЗКОВ, Ѓорѓи Џамбаз") == "Georgi ZhELYaZKOV, Gjorgji Dzhambaz"


def run_import(db, text: str, on_existing: str = "update") -> dict:
    parsed = importer.parse(text.encode(), "list.csv")
    result = importer.preview(parsed, importer.guess_mapping(parsed.headers), on_existing)
    counts = importer.apply(result)
    db.session.commit()
    return counts


def test_an_update_keeps_what_the_file_leaves_empty(app, db):
    lom = make_organisation("Община Лом", "municipality")
    contact = make_contact("Тодор Христов", "todor@example.bg", organisation=lom,
                           position="експерт", phone="+359 1", region="Северозападен",
                           type_code="municipality", gender=Gender.MALE, tags=["роми"])
    counts = run_import(db, "name,email,gender,organisation,stakeholder_type,region,position,"
                            "phone\nТодор Христов-Петров,TODOR@example.bg,,,,,главен експерт,\n")
    assert counts == {"new": 0, "update": 1}
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.name == "Тодор Христов-Петров" and contact.position == "главен експерт"
    assert contact.phone == "+359 1" and contact.region == "Северозападен"
    assert contact.organisation_id == lom.id and contact.own_type.code == "municipality"
    assert contact.gender is Gender.MALE and contact.tags == ["роми"]
    assert "petrov" in contact.search_text and "obshtina lom" in contact.search_text


def test_an_organisation_named_in_many_rows_is_added_once(app, db):
    make_organisation("Община Видин")
    counts = run_import(db, "name,email,organisation,stakeholder_type,region\n"
                            "А,a@example.bg,Сдружение Нов път,civil_society,Северозападен\n"
                            "Б,b@example.bg,СДРУЖЕНИЕ НОВ ПЪТ,mediator,Югоизточен\n"
                            "В,c@example.bg,община видин,,\n")
    assert counts == {"new": 3, "update": 0}
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.id)).all()
    assert [o.name for o in organisations] == ["Община Видин", "Сдружение Нов път"]
    new = organisations[1]
    assert new.stakeholder_type.code == "civil_society" and new.region == "Северозападен"
    assert "sdruzhenie nov pat" in new.search_text
    contacts = {c.email: c for c in db.session.scalars(sa.select(Contact))}
    assert contacts["b@example.bg"].organisation_id == new.id
    assert contacts["b@example.bg"].own_type.code == "mediator"
    assert contacts["c@example.bg"].organisation.name == "Община Видин"
    assert contacts["a@example.bg"].tags == [] and contacts["a@example.bg"].created_at


def test_the_cycle_collector_rests_during_each_step_and_resumes_after(db, monkeypatch):
    seen = []
    real_lookup = importer._type_lookup

    def lookup():
        seen.append(gc.isenabled())
        return real_lookup()

    monkeypatch.setattr(importer, "_type_lookup", lookup)
    assert run_import(db, "name,email\nИван Петров,ivan@example.bg\n") == {"new": 1, "update": 0}
    assert seen == [False]
    assert gc.isenabled()

    # a step that fails resumes it too
    with pytest.raises(importer.ImportError_):
        importer.parse(b"", "empty.csv")
    assert gc.isenabled()

    # paused by someone else before: left paused
    gc.disable()
    try:
        importer.parse("name,email\nИван,ivan@example.bg\n".encode(), "list.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()
