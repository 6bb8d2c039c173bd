from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from consult.directory.models import GENDER_LABELS
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
