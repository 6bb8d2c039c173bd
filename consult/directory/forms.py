from __future__ import annotations

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from consult.directory.models import GENDER_LABELS
from consult.directory.services import TAG_MAX_LENGTH, parse_tags
from consult.forms import BaseForm, email, max_length, required, select_choices, strip


class ImportForm(BaseForm):
    file = FileField(_l("CSV or Excel (.xlsx) file"))
    on_existing = RadioField(
        _l("When a contact with the same e-mail is already in the directory"),
        choices=lambda: select_choices([
            ("update", _l("update it with the file's values")),
            ("skip", _l("leave it as it is")),
        ]),
        default="update",
    )
    unknown_gender_as_undisclosed = BooleanField(
        _l("Record unrecognised gender values as “not disclosed” instead of rejecting the row")
    )

    def validate_file(self, field):
        if not (field.data and getattr(field.data, "filename", "")):
            raise ValidationError(_l("Choose a file."))


class ContactForm(BaseForm):
    name = StringField(lazy_pgettext("person", "Name"), validators=[required(), max_length(200)],
                       filters=[strip])
    email = EmailField(_l("E-mail"), validators=[Optional(), email(), max_length(254)],
                       filters=[strip])
    gender = SelectField(_l("Gender"), default="undisclosed", choices=lambda: select_choices(
        (gender.value, label) for gender, label in GENDER_LABELS.items()))
    organisation = StringField(_l("Organisation"), validators=[max_length(300)],
                               filters=[strip])
    stakeholder_type = SelectField(_l("Stakeholder type"), choices=[])
    position = StringField(_l("Position"), validators=[max_length(200)], filters=[strip])
    region = StringField(_l("Region"), validators=[max_length(120)], filters=[strip])
    oblast = StringField(_l("Oblast / district"), validators=[max_length(120)], filters=[strip])
    municipality = StringField(_l("Municipality"), validators=[max_length(120)],
                               filters=[strip])
    phone = StringField(_l("Phone"), validators=[max_length(50)], filters=[strip])
    language = SelectField(_l("Language of mail"), choices=lambda: select_choices(
        [("", "—"), ("bg", "Български"), ("mk", "Македонски"), ("sq", "Shqip"),
         ("en", "English")]))
    tags = StringField(_l("Tags"), validators=[max_length(2000)], filters=[strip])

    def validate_tags(self, field):
        for tag in parse_tags(field.data):
            if len(tag) > TAG_MAX_LENGTH:
                raise ValidationError(_l("A tag may have at most %(n)s characters: “%(tag)s”.",
                                         n=TAG_MAX_LENGTH, tag=tag[:TAG_MAX_LENGTH] + "…"))
            if '"' in tag or "\\" in tag:
                raise ValidationError(_l("Tags cannot contain quotation marks (\") or "
                                         "backslashes (\\)."))

    @property
    def tag_list(self) -> list[str]:
        return parse_tags(self.tags.data)


def _territories() -> dict[str, str]:
    from flask_babel import get_locale

    return (get_locale() or Locale("en")).territories


def country_name(code: str) -> str:
    """A country's name in the reader's language, from its two-letter code."""
    return _territories().get(code, code) if code else ""


def _country_choices():
    """Countries by their name in the reader's language; ours first."""
    names = _territories()
    ours = ["BG", "MK", "AL"]
    others = sorted((code for code in names if len(code) == 2 and code.isalpha()
                     and code not in ours and code not in _NOT_COUNTRIES),
                    key=lambda code: names[code].casefold())
    return select_choices([("", "—"), *((code, names.get(code, code)) for code in ours),
                           *((code, names[code]) for code in others)])


# two-letter territory codes that are not countries (Babel lists them with the countries)
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


class OrganisationForm(BaseForm):
    name = StringField(_l("Name"), validators=[required(), max_length(300)],
                       filters=[strip])
    stakeholder_type = SelectField(_l("Stakeholder type"), choices=[])
    email = EmailField(_l("E-mail"), validators=[Optional(), email(), max_length(254)],
                       filters=[strip])
    region = StringField(_l("Region"), validators=[max_length(120)], filters=[strip])
    oblast = StringField(_l("Oblast / district"), validators=[max_length(120)], filters=[strip])
    municipality = StringField(_l("Municipality"), validators=[max_length(120)],
                               filters=[strip])
    country = SelectField(_l("Country"), choices=_country_choices)
