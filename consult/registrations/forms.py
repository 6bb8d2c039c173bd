from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError

from consult.forms import BaseForm, email, max_length, required, select_choices, strip


def gender_choices():
    from consult.directory.models import Gender

    labels = {Gender.FEMALE: _l("woman"), Gender.MALE: _l("man"), Gender.OTHER: _l("other"),
              Gender.UNDISCLOSED: _l("prefer not to say")}
    return select_choices([("", "—"), *((g.value, label) for g, label in labels.items())])


class RegistrationForm(BaseForm):
    name = StringField(lazy_pgettext("person", "Name"),
                       validators=[required(), max_length(200)], filters=[strip])
    email = EmailField(_l("E-mail"), validators=[required(), email(), max_length(254)],
                       filters=[strip])
    gender = SelectField(_l("Gender"), choices=gender_choices,
                         validators=[required()])
    # suggestions from the directory's organisations (a <datalist>: works without scripts)
    organisation = StringField(_l("Organisation"), validators=[max_length(300)],
                               filters=[strip], render_kw={"list": "organisations"})
    stakeholder_type = SelectField(_l("Type of organisation"), choices=[], default="")
    # suggestions: the regions and municipalities the directory knows (the only ones it takes)
    region = StringField(_l("Region or municipality"), validators=[max_length(120)],
                         filters=[strip], render_kw={"list": "places"})
    position = StringField(_l("Position"), validators=[max_length(200)], filters=[strip])
    phone = StringField(_l("Phone (optional)"), validators=[max_length(50)], filters=[strip])
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"), validators=[max_length(2000)], filters=[strip])
    interpretation_language = StringField(
        _l("Interpretation into a language (optional)"), validators=[max_length(60)],
        filters=[strip])
    consent = BooleanField(_l("I agree to the processing of my data as described above."))
    publish_consent = BooleanField(
        _l("My name and organisation may appear in the published list of participants."))
    # only shown when the meeting asks its sensitive question
    sensitive_consent = BooleanField(
        _l("I agree to answer this question. My answer is used only in anonymous totals."))
    sensitive_answer = RadioField(_l("Your answer"), choices=lambda: select_choices([
        ("yes", _l("yes")), ("no", _l("no")), ("prefer_not", _l("prefer not to say"))]),
        validators=[Optional()])
    # a field people do not see: bots fill it in
    website = StringField(_l("Leave this field empty"), validators=[Optional()])

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_l("We can register you only with your agreement."))

    def validate_sensitive_answer(self, field):
        if field.data and not self.sensitive_consent.data:
            raise ValidationError(_l("Tick the agreement above to give an answer, or leave "
                                     "the answer empty."))

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("Leave this field empty."))


class DeclineForm(BaseForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[max_length(2000)],
                           filters=[strip])


class DetailsForm(RegistrationForm):
    """What a participant may change through their personal link: the registration form
    without the address (who they are here), gender and type (what the reports count), the
    region, and the agreements given when registering."""

    email = gender = stakeholder_type = region = None
    consent = sensitive_consent = sensitive_answer = website = None
