from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from consult.events.models import (
    DOCUMENT_TYPE_LABELS,
    FORMAT_LABELS,
    MEETING_TYPE_LABELS,
    NAMING_PEOPLE,
    REGISTRATION_MODE_LABELS,
    MeetingFormat,
)
from consult.forms import BaseForm, BaseSubForm, max_length, required, select_choices, strip
from consult.i18n import CONTENT_LANGUAGES

COMMON_ZONES = ["Europe/Sofia", "Europe/Skopje", "Europe/Tirane", "Europe/Belgrade",
                "Europe/Bucharest", "Europe/Athens", "Europe/Brussels", "UTC"]


# where a country's organizers meet, by the language they work in
HOME_ZONES = {"bg": "Europe/Sofia", "mk": "Europe/Skopje", "sq": "Europe/Tirane"}


def home_defaults(form) -> None:
    """A new series or group starts in the organizer's language and its country's time zone
    (a Macedonian organizer's group is not Bulgarian by default, nor the other way round)."""
    from consult.i18n import current_language

    language = current_language()
    if language in CONTENT_LANGUAGES:
        form.main_language.data = language
    form.timezone.data = HOME_ZONES.get(language, form.timezone.data)


def timezone_choices():
    others = sorted(z for z in available_timezones() if "/" in z and z not in COMMON_ZONES)
    return select_choices((z, z) for z in COMMON_ZONES + others)


def language_choices():
    return select_choices(CONTENT_LANGUAGES.items())


def _in_language(label, code):
    return LazyString(lambda: f"{label} — {CONTENT_LANGUAGES[code]}")


def add_language_fields(form_cls, name, label, field=StringField, length=300):
    for code in CONTENT_LANGUAGES:
        validators = [max_length(length)] if length else []
        setattr(form_cls, f"{name}_{code}",
                field(_in_language(label, code), validators=validators, filters=[strip],
                      render_kw={"lang": code}))


def language_values(form, name) -> dict:
    return {code: getattr(form, f"{name}_{code}").data for code in CONTENT_LANGUAGES
            if getattr(form, f"{name}_{code}").data}


def fill_language_fields(form, name, values: dict) -> None:
    for code in CONTENT_LANGUAGES:
        getattr(form, f"{name}_{code}").data = (values or {}).get(code, "")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _enum_choices(labels):
    return select_choices((member.value, label) for member, label in labels.items())


def _require_main_language(form, field_name):
    code = form.main_language.data
    field = getattr(form, f"{field_name}_{code}", None)
    if field is not None and not (field.data or "").strip():
        field.errors.append(_l("Please give the title in the main language."))
        return False
    return True


class SeriesForm(BaseForm):
    main_language = SelectField(_l("Main language"), choices=language_choices, default="bg")
    project_code = StringField(_l("Project code"), validators=[max_length(200)], filters=[strip])
    co_organisers = TextAreaField(_l("Co-organisers (one per line)"),
                                  validators=[max_length(2000)], filters=[strip])
    timezone = SelectField(_l("Time zone of its meetings"), choices=timezone_choices,
                           default="Europe/Sofia")
    published = BooleanField(_l("Show this series on the public pages"))
    managers = MultiCheckboxField(_l("Managers"), coerce=int, choices=[])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return _require_main_language(self, "title") and valid


add_language_fields(SeriesForm, "title", _l("Title"))
add_language_fields(SeriesForm, "description", _l("Purpose and description"), TextAreaField, 5000)
add_language_fields(SeriesForm, "project_name", _l("Project name"))
add_language_fields(SeriesForm, "funder", _l("Funder"), length=200)
add_language_fields(SeriesForm, "programme", _l("Funding programme"))
add_language_fields(SeriesForm, "implementing_body", _l("Implementing body"))
add_language_fields(SeriesForm, "disclaimer", _l("Disclaimer"), TextAreaField, 2000)


def skipped_time(day, at, zone) -> None:
    """Refuse a local time the clocks skip that day (summer time begins): it does not exist,
    and stored it would quietly become another time."""
    from consult.events.services import wall_clock_exists

    if day and at and zone in _zones() and not wall_clock_exists(day, at, zone):
        raise ValidationError(_l(
            "This time does not exist on that day in %(zone)s: the clocks go forward then. "
            "Choose another time.", zone=zone))


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class MeetingForm(BaseForm):
    main_language = SelectField(_l("Main language"), choices=language_choices, default="bg")
    type = SelectField(_l("Type"), choices=_enum_choices(MEETING_TYPE_LABELS), default="other")
    format = SelectField(_l("Format"), choices=_enum_choices(FORMAT_LABELS), default="in_person")
    date = DateField(_l("Date"), validators=[required()])
    start_time = TimeField(_l("Starts at"), validators=[required()])
    end_time = TimeField(_l("Ends at"), validators=[required()])
    timezone = SelectField(_l("Time zone"), choices=timezone_choices, default="Europe/Sofia")
    venue = StringField(_l("Venue"), validators=[max_length(300)], filters=[strip])
    address = StringField(_l("Address"), validators=[max_length(500)], filters=[strip])
    online_url = URLField(_l("Online meeting link"), validators=[max_length(1000)],
                          filters=[strip])
    region = StringField(_l("Region"), validators=[max_length(120)], filters=[strip])
    capacity = IntegerField(_l("Capacity (seats)"), validators=[
        Optional(), NumberRange(min=1, max=100000, message=_l("Give a number of 1 or more."))])
    registration_mode = SelectField(_l("Registration"),
                                    choices=_enum_choices(REGISTRATION_MODE_LABELS),
                                    default="open")
    registration_opens = DateTimeLocalField(_l("Registration opens"), validators=[Optional()],
                                            format="%Y-%m-%dT%H:%M")
    registration_closes = DateTimeLocalField(_l("Registration closes"),
                                             validators=[Optional()], format="%Y-%m-%dT%H:%M")
    co_organisers = TextAreaField(_l("Co-organisers (one per line)"),
                                  validators=[max_length(2000)], filters=[strip])
    languages = MultiCheckboxField(_l("Languages of the meeting"), choices=language_choices)

    def validate_start_time(self, field):
        skipped_time(self.date.data, field.data, self.timezone.data)

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The meeting must end after it starts."))
        skipped_time(self.date.data, field.data, self.timezone.data)

    def validate_online_url(self, field):
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("Give the full link, starting with https://"))

    def validate_registration_opens(self, field):
        if field.data:
            skipped_time(field.data.date(), field.data.time(), self.timezone.data)

    def validate_registration_closes(self, field):
        opens = self.registration_opens.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Registration must close after it opens."))
        if field.data:
            skipped_time(field.data.date(), field.data.time(), self.timezone.data)


add_language_fields(MeetingForm, "title", _l("Title"))
add_language_fields(MeetingForm, "description", _l("Description"), TextAreaField, 5000)
add_language_fields(MeetingForm, "sensitive_question",
                    _l("Optional sensitive question (e.g. self-identification as a member of a "
                       "minority)"), StringField, 300)


class SessionRowForm(BaseSubForm):
    date = DateField(_l("Date"), validators=[Optional()])
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    region = StringField(_l("Region"), validators=[max_length(120)], filters=[strip])
    format = SelectField(_l("Format"), choices=_enum_choices(FORMAT_LABELS), default="in_person")
    venue = StringField(_l("Venue"), validators=[max_length(300)], filters=[strip])
    online_url = StringField(_l("Online meeting link"), validators=[max_length(1000)],
                             filters=[strip])

    def validate(self, extra_validators=None):
        """A row is either empty (skipped) or has its date and times."""
        valid = super().validate(extra_validators)
        if self.date.errors or self.start_time.errors or self.end_time.errors:
            return False
        filled = [self.start_time.data, self.end_time.data, self.region.data, self.venue.data,
                  self.online_url.data]
        if not self.date.data:
            if any(filled):
                self.date.errors = [_l("Give the date of this session.")]
                return False
            return valid
        for field in (self.start_time, self.end_time):
            if not field.data:
                field.errors = [_l("Please fill in this field.")]
                valid = False
        if valid and self.end_time.data <= self.start_time.data:
            self.end_time.errors = [_l("The meeting must end after it starts.")]
            valid = False
        for field in (self.start_time, self.end_time):
            try:
                skipped_time(self.date.data, field.data, getattr(self, "zone", None))
            except ValidationError as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        return valid

    def validate_online_url(self, field):
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("Give the full link, starting with https://"))


class SessionsForm(BaseForm):
    type = SelectField(_l("Type"), choices=_enum_choices(MEETING_TYPE_LABELS),
                       default="regional_discussion")
    timezone = SelectField(_l("Time zone"), choices=timezone_choices)
    registration_mode = SelectField(_l("Registration"),
                                    choices=_enum_choices(REGISTRATION_MODE_LABELS),
                                    default="open")
    capacity = IntegerField(_l("Capacity (seats)"), validators=[
        Optional(), NumberRange(min=1, max=100000, message=_l("Give a number of 1 or more."))])
    publish = BooleanField(_l("Publish the sessions now"))
    rows = FieldList(FormField(SessionRowForm), min_entries=7, max_entries=60)

    def validate_rows(self, field):
        if not any(row.form.date.data for row in field):
            raise ValidationError(_l("Fill in at least one session."))

    def validate(self, extra_validators=None):
        for row in self.rows:  # each row checks its times in the sessions' zone
            row.form.zone = self.timezone.data
        return super().validate(extra_validators)


class AgendaItemForm(BaseForm):
    starts_at = TimeField(_l("Time"), validators=[Optional()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[
        Optional(), NumberRange(min=1, max=1440, message=_l("Give a number of 1 or more."))])
    speaker = StringField(_l("Speaker"), validators=[max_length(300)], filters=[strip])
    main_language = SelectField(_l("Main language"), choices=language_choices)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return _require_main_language(self, "title") and valid


add_language_fields(AgendaItemForm, "title", _l("Item"))


class DocumentForm(BaseForm):
    type = SelectField(_l("Type"), choices=_enum_choices(DOCUMENT_TYPE_LABELS), default="agenda")
    title = StringField(_l("Title"), validators=[required(), max_length(300)], filters=[strip])
    language = SelectField(_l("Language"),
                           choices=lambda: [SelectChoice("", "—"), *language_choices()])
    year = IntegerField(_l("Year"), validators=[
        Optional(), NumberRange(min=1990, max=2100, message=_l("Give a year like 2020."))])
    public = BooleanField(_l("Public (anyone may download it)"), default=True)
    file = FileField(_l("File"))
    url = URLField(_l("…or a link"), validators=[max_length(1000)], filters=[strip])

    def validate_url(self, field):
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        if not has_file and not field.data:
            raise ValidationError(_l("Choose a file or give a link."))
        if has_file and field.data:
            raise ValidationError(_l("Choose a file or give a link, not both."))
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("Give the full link, starting with https://"))


class DocumentEditForm(BaseForm):
    """What can change of a document once added (its file stays; a link may change)."""

    type = SelectField(_l("Type"), choices=_enum_choices(DOCUMENT_TYPE_LABELS))
    title = StringField(_l("Title"), validators=[required(), max_length(300)], filters=[strip])
    language = SelectField(_l("Language"),
                           choices=lambda: [SelectChoice("", "—"), *language_choices()])
    year = IntegerField(_l("Year"), validators=[
        Optional(), NumberRange(min=1990, max=2100, message=_l("Give a year like 2020."))])
    published_on = DateField(_l("Published on"), validators=[Optional()])
    url = URLField(_l("Link"), validators=[max_length(1000)], filters=[strip])
    public = BooleanField(_l("Public (anyone may download it)"))
    has_file = True  # set by the view: a document without a file is its link

    def validate_url(self, field):
        if not field.data and not self.has_file:
            raise ValidationError(_l("Give the link: this document is a link."))
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("Give the full link, starting with https://"))

    def validate_public(self, field):
        if field.data and self.type.data in {kind.value for kind in NAMING_PEOPLE}:
            raise ValidationError(_l("A signed sign-in sheet or a list of invitees names "
                                     "people: it stays internal."))


class LogoForm(BaseForm):
    # shown beside the document form, whose file field is "file": a label finds one id
    file = FileField(_l("Logo (PNG or JPEG)"), id="logo-file")
    alt_text = StringField(
        _l("What the logo says or shows"),
        validators=[required(), max_length(200)], filters=[strip],
    )

    def validate_file(self, field):
        if not (field.data and getattr(field.data, "filename", "")):
            raise ValidationError(_l("Choose a file."))


class CancelMeetingForm(BaseForm):
    note = TextAreaField(_l("Message to the participants (optional)"),
                         validators=[max_length(2000)], filters=[strip])


def is_online(format_value: str) -> bool:
    return format_value in (MeetingFormat.ONLINE.value, MeetingFormat.HYBRID.value)
