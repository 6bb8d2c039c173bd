"""Sign-in sheets and certificates of attendance: read back out of the PDF with pypdf."""

from __future__ import annotations

import io
import itertools
import re
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from consult.attendance import pdf as attendance_pdf
from consult.attendance.pdf import certificate, sign_in_sheet
from consult.directory.models import Gender
from consult.events.models import MeetingFormat, SeriesLogo
from consult.files import StoredFile
from consult.registrations.models import Registration
from tests.factories import make_group, make_meeting, make_series

DISCLAIMER_BG = (
    "Тази публикация е осъществена с финансовата подкрепа на Европейския съюз. "
    "Съдържанието ѝ е отговорност единствено на организаторите и по никакъв начин не може "
    "да се счита, че отразява позицията на Европейската комисия."
)
DISCLAIMER_MK = (
    "Оваа публикација е изработена со финансиска поддршка на Европската унија. "
    "Содржината е единствена одговорност на организаторите."
)
DISCLAIMER_EN = "This meeting is co-funded by the European Union. The views are the speakers' own."
PEOPLE = [
    ("Надежда Маринова", "Община Сливен", Gender.FEMALE, "bg"),
    ("Елена Стојановска", "Министерство за труд и социјална политика", Gender.FEMALE, "mk"),
    ("Георги Иванов", "Областна администрация Сливен", Gender.MALE, "bg"),
    ("Асен Димитров", "Сдружение „Амалипе“", Gender.UNDISCLOSED, "bg"),
]
_emails = itertools.count(1)


def funded_series(**fields):
    return make_series(
        title={"bg": "Национални консултации 2020", "mk": "Национални консултации 2020 (МК)",
               "en": "National consultations 2020"},
        project_code="NRCP-2020",
        project_name={"bg": "Национални ромски платформи", "en": "National Roma Platforms"},
        funder={"bg": "Европейска комисия"},
        programme={"bg": "Програма „Права, равенство и гражданство“",
                   "en": "Rights, Equality and Citizenship Programme"},
        implementing_body={"bg": "Министерство на труда и социалната политика",
                           "mk": "Министерство за труд и социјална политика",
                           "en": "Ministry of Labour and Social Policy"},
        disclaimer=fields.pop("disclaimer", {"bg": DISCLAIMER_BG, "mk": DISCLAIMER_MK,
                                             "en": DISCLAIMER_EN}),
        **fields,
    )


def funded_meeting(**fields):
    return make_meeting(
        fields.pop("series", None) or funded_series(),
        title=fields.pop("title", {"bg": "Регионална дискусия – Сливен",
                                   "mk": "Регионална дискусија – Сливен",
                                   "en": "Regional discussion – Sliven"}),
        venue="Зала „Сливен“", address="бул. „Цар Освободител“ 1, Сливен",
        online_url="https://video.example.org/secret-room", **fields)


def register(db, meeting, name, organisation="", gender=Gender.FEMALE, locale="bg",
             commit=True):
    registration = Registration(meeting=meeting, name=name, organisation_name=organisation,
                                gender=gender, locale=locale,
                                email=f"person{next(_emails)}@example.bg")
    db.session.add(registration)
    if commit:
        db.session.commit()
    return registration


def register_people(db, meeting):
    return [register(db, meeting, name, organisation, gender, locale)
            for name, organisation, gender, locale in PEOPLE]


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Lines joined the way they were before wrapping."""
    return " ".join(text.split())


def png(width: int, height: int, color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def add_logo(db, series, data: bytes, alt_text: str, position: int):
    db.session.add(SeriesLogo(series_id=series.id, alt_text=alt_text, position=position,
                              file=StoredFile(filename=f"logo{position}.png",
                                              content_type="image/png", size=len(data),
                                              sha256="0" * 64, data=data)))
    db.session.commit()


def test_sheet_lists_every_registered_person_with_bulgarian_labels(db):
    meeting = funded_meeting()
    registrations = register_people(db, meeting)

    [text] = pages(sign_in_sheet(meeting, registrations, blank_rows=2, locale="bg"))
    text = flat(text)

    for name, organisation, _gender, _locale in PEOPLE:
        assert name in text
        assert organisation in text
    # labels that already have their Bulgarian translation, gender in the sheet's language
    for label in ("Име", "Организация", "Пол", "Кога", "Формат", "Място", "жена", "мъж",
                  "не е посочен", "присъствено"):
        assert label in text, label
    assert "Национални консултации 2020" in text
    assert "Регионална дискусия – Сливен" in text
    assert "понеделник, 2 ноември 2020" in text and "10:00–13:00" in text
    assert "UTC+02:00" in text
    assert "Зала „Сливен“, бул. „Цар Освободител“ 1, Сливен" in text
    assert "Национални ромски платформи (NRCP-2020)" in text
    assert "Европейска комисия" in text
    assert "Програма „Права, равенство и гражданство“" in text
    assert "Министерство на труда и социалната политика" in text
    assert DISCLAIMER_BG in text
    assert text.endswith("1 / 1")
    # what the paper on the table must not show
    assert "@example.bg" not in text
    assert "secret-room" not in text


def test_sheet_fixed_labels_are_in_the_sheets_language(db):
    meeting = funded_meeting()
    registrations = register_people(db, meeting)

    [text] = pages(sign_in_sheet(meeting, registrations, blank_rows=2, locale="en"))
    text = flat(text)

    assert "Sign-in sheet" in text
    assert "No. Name Organisation Gender Signature" in text
    for label in ("When:", "Format: in person", "Place:", "Project:", "Funder:",
                  "Funding programme:", "Implementing body:", "woman", "man", "not disclosed"):
        assert label in text, label
    assert "Regional discussion – Sliven" in text
    assert "Monday, November 2, 2020" in text
    assert DISCLAIMER_EN in text
    # the data stays as it was written
    assert "Надежда Маринова" in text and "Елена Стојановска" in text


def test_blank_rows_for_walk_ins_are_numbered_after_the_registered(db):
    meeting = funded_meeting()
    registrations = register_people(db, meeting)[:2]

    def numbered_empty_rows(blank_rows):
        [text] = pages(sign_in_sheet(meeting, registrations, blank_rows=blank_rows,
                                     locale="en"))
        return [line for line in text.splitlines() if re.fullmatch(r"\d+", line.strip())]

    assert numbered_empty_rows(4) == ["3", "4", "5", "6"]
    assert numbered_empty_rows(0) == []


def test_long_list_breaks_across_pages_with_the_table_header_repeated(db):
    meeting = funded_meeting()
    registrations = [register(db, meeting, f"Надежда Маринова {n:02d}", f"Община {n:02d}",
                              commit=False) for n in range(1, 71)]
    db.session.commit()

    sheet = pages(sign_in_sheet(meeting, registrations, locale="en"))

    assert len(sheet) >= 3
    for number, page in enumerate(sheet, start=1):
        page = flat(page)
        assert "No. Name Organisation Gender Signature" in page
        assert DISCLAIMER_EN in page
        assert page.endswith(f"{number} / {len(sheet)}")
        if number > 1:
            assert "Sign-in sheet — Regional discussion – Sliven" in page
    everything = flat(" ".join(sheet))
    for registration in registrations:
        assert everything.count(registration.name) == 1
    assert "Надежда Маринова 01" in sheet[0]
    assert "Надежда Маринова 70" not in sheet[0]
    # 70 people and 10 empty rows, numbered without a gap
    assert re.search(r"(^|\n)\s*80\s*(\n|$)", sheet[-1])


def test_logos_are_drawn_from_their_stored_bytes(db):
    series = funded_series()
    add_logo(db, series, png(300, 200, "#003399"), "Съфинансирано от ЕС", 0)
    add_logo(db, series, png(400, 100, "#cc3300"), "Министерство", 1)
    add_logo(db, series, b"not an image at all", "Broken", 2)
    add_logo(db, series, b"\x89PNG\r\n\x1a\n truncated", "Truncated PNG", 3)
    meeting = funded_meeting(series=series)

    sheet = PdfReader(io.BytesIO(sign_in_sheet(meeting, [], locale="bg")))
    card = PdfReader(io.BytesIO(certificate(register(db, meeting, "Надежда Маринова"))))

    for document in (sheet, card):
        sizes = sorted(image.image.size for image in document.pages[0].images)
        assert sizes == [(300, 200), (400, 100)]


def test_the_bundled_font_is_embedded(db):
    assert (attendance_pdf.FONT_DIR / "DejaVuSans.ttf").is_file()
    assert (attendance_pdf.FONT_DIR / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in (attendance_pdf.FONT_DIR / "LICENSE").read_text()
    meeting = funded_meeting()

    reader = PdfReader(io.BytesIO(sign_in_sheet(meeting, register_people(db, meeting))))

    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert names and all("DejaVuSans" in name for name in names)
    assert any("Bold" in name for name in names)


def test_sheet_defaults_to_the_meetings_language_and_works_without_a_series(db):
    group = make_group(name={"mk": "Работна група за вработување", "en": "Employment group"})
    meeting = make_meeting(group=group, title={"mk": "Пленарна седница"}, main_language="mk",
                           format=MeetingFormat.ONLINE, online_url="https://video.example/x")
    registration = register(db, meeting, "Елена Стојановска", "Општина Куманово",
                            locale="mk")

    [text] = pages(sign_in_sheet(meeting, [registration], blank_rows=1))
    text = flat(text)

    assert "Работна група за вработување" in text
    assert "Пленарна седница" in text
    assert "Елена Стојановска Општина Куманово" in text
    assert "онлајн" in text  # the format, in Macedonian
    assert "video.example" not in text
    assert text.endswith("1 / 1")


def test_certificate_is_in_the_participants_language(db):
    meeting = funded_meeting()
    registration = register(db, meeting, "Елена Стојановска",
                            "Министерство за труд и социјална политика", locale="mk")

    [text] = pages(certificate(registration, issued_on=date(2020, 11, 9)))
    text = flat(text)

    assert "Елена Стојановска" in text
    assert "Регионална дискусија – Сливен" in text
    assert "Регионална дискусия" not in text  # not the Bulgarian title
    assert "2 ноември 2020" in text
    assert "Зала „Сливен“, бул. „Цар Освободител“ 1, Сливен" in text
    assert "Министерство за труд и социјална политика" in text
    assert "Европейска комисия" in text
    assert DISCLAIMER_MK in text
    assert "@example.bg" not in text


def test_certificate_labels_in_english(db):
    series = funded_series(co_organisers="Сдружение „Амалипе“\nЦентър „Амалипе“")
    meeting = funded_meeting(series=series)
    registration = register(db, meeting, "Надежда Маринова", "Община Сливен")

    [text] = pages(certificate(registration, locale="en", issued_on=date(2020, 11, 9)))
    text = flat(text)

    assert "Certificate of attendance" in text
    assert "Надежда Маринова" in text
    assert "took part in Regional discussion – Sliven" in text
    assert "Monday, November 2, 2020" in text
    assert ("Organised by: Ministry of Labour and Social Policy, Сдружение „Амалипе“, "
            "Център „Амалипе“") in text
    assert "Issued on November 9, 2020" in text
    assert "Funder: Европейска комисия" in text
    assert "Project: National Roma Platforms (NRCP-2020)" in text
    assert DISCLAIMER_EN in text


@pytest.mark.parametrize("meeting_format", [MeetingFormat.ONLINE, MeetingFormat.HYBRID])
def test_certificate_of_an_online_meeting_says_so_without_the_link(db, meeting_format):
    meeting = funded_meeting(format=meeting_format)
    registration = register(db, meeting, "Асен Димитров")

    text = flat(pages(certificate(registration, locale="en"))[0])

    assert "online" in text
    assert "secret-room" not in text
    assert ("Зала „Сливен“" in text) is (meeting_format is MeetingFormat.HYBRID)


def test_a_disclaimer_too_long_for_a_footer_is_printed_once_in_full(db):
    disclaimer = " ".join(f"Изречение {n} от дългия текст за финансирането." for n in range(150))
    meeting = funded_meeting(series=funded_series(disclaimer={"bg": disclaimer}))
    registrations = register_people(db, meeting)

    sheet = pages(sign_in_sheet(meeting, registrations, locale="bg"))

    everything = flat(" ".join(sheet))
    assert everything.count(disclaimer) == 1
    assert len(sheet) <= 2
    for number, page in enumerate(sheet, start=1):
        assert flat(page).endswith(f"{number} / {len(sheet)}")


def test_a_long_implementing_body_keeps_the_certificate_on_one_page(db):
    long_name = ("Министерство на труда и социалната политика, Дирекция „Демографска и "
                 "социална политика, равни възможности и интеграция на уязвимите групи“, "
                 "Национален секретариат за ромска интеграция")
    series = funded_series()
    series.implementing_body = {"bg": long_name + " https://example.bg/" + "a" * 150}
    series.project_name = {"bg": "Национални ромски платформи, " * 4}
    registration = register(db, funded_meeting(series=series), "Ана Петрова",
                            "Община Сливен")
    found = pages(certificate(registration, issued_on=date(2020, 11, 9)))
    assert len(found) == 1
    assert "Национален секретариат за ромска интеграция" in flat(found[0])
