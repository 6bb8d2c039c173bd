"""Forms of the working-group pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError

from consult.events.forms import (
    DocumentForm,
    MultiCheckboxField,
    add_language_fields,
    language_choices,
    timezone_choices,
)
from consult.events.models import DocumentType
from consult.forms import BaseForm, max_length, required, select_choices, strip
from consult.groups.models import LEAD_ROLE_LABELS, MEMBERSHIP_ROLE_LABELS
from consult.i18n import CONTENT_LANGUAGES


def _enum_choices(labels):
    return select_choices((member.value, label) for member, label in labels.items())


def _check_period(form, start_field, end_field) -> bool:
    start, end = start_field.data, end_field.data
    if start and end and end < start:
        end_field.errors.append(_l("The end cannot be before the start."))
        return False
    return True


class GroupForm(BaseForm):
    main_language = SelectField(_l("Main language"), choices=language_choices, default="mk")
    established_on = DateField(_l("Established on"), validators=[Optional()])
    timezone = SelectField(_l("Time zone of its meetings"), choices=timezone_choices,
                           default="Europe/Skopje")
    public = BooleanField(_l("Public: show the group, its members who agreed and its public "
                             "documents on a public page"), default=True)
    managers = MultiCheckboxField(_l("Managers"), coerce=int, choices=[])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        code = self.main_language.data
        name = getattr(self, f"name_{code}", None)
        if name is not None and not (name.data or "").strip():
            name.errors.append(_l("Please give the name in the main language."))
            return False
        return valid


add_language_fields(GroupForm, "name", _l("Name"))
add_language_fields(GroupForm, "mandate", _l("Mandate"), TextAreaField, 5000)


class LeadForm(BaseForm):
    role = SelectField(_l("Role"), choices=_enum_choices(LEAD_ROLE_LABELS), default="lead")
    starts_on = DateField(_l("From"), validators=[required()])
    ends_on = DateField(_l("Until"), validators=[Optional()])

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language if language in CONTENT_LANGUAGES else "en"

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not any((getattr(self, f"institution_{code}").data or "").strip()
                   for code in CONTENT_LANGUAGES):
            # the message goes next to the field of the group's main language
            getattr(self, f"institution_{self.language}").errors.append(
                _l("Give the institution's name in at least one language."))
            valid = False
        return _check_period(self, self.starts_on, self.ends_on) and valid


add_language_fields(LeadForm, "institution", _l("Institution"))


class NewLeadForm(LeadForm):
    hand_over = BooleanField(
        _l("The lead passes to this institution: end the current term of the same role the "
           "day before"), default=True)


class EndForm(BaseForm):
    """Ends a lead's term or a membership on a day."""

    ends_on = DateField(_l("Last day"), validators=[required()])

    def __init__(self, *args, starts_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.starts_on = starts_on

    def validate_ends_on(self, field):
        if self.starts_on and field.data and field.data < self.starts_on:
            raise ValidationError(_l("The end cannot be before the start."))


class MembershipForm(BaseForm):
    role = SelectField(_l("Role in the group"), choices=_enum_choices(MEMBERSHIP_ROLE_LABELS),
                       default="member")
    organisation = StringField(_l("Organisation represented"),
                               validators=[max_length(300)], filters=[strip])
    starts_on = DateField(_l("Member from"), validators=[Optional()])
    ends_on = DateField(_l("Member until"), validators=[Optional()])
    publish_consent = BooleanField(
        _l("The member agreed that their name appears on the public page of the group"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return _check_period(self, self.starts_on, self.ends_on) and valid


class GroupDocumentForm(DocumentForm):
    published_on = DateField(_l("Published on"), validators=[Optional()])

    def validate_url(self, field):
        if self.type.data != DocumentType.CALL_FOR_MEMBERS.value:
            return super().validate_url(field)
        # a call for members: where and when it was published; its text may be attached
        if not field.data:
            raise ValidationError(_l("Give the link where the call was published."))
        if not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("Give the full link, starting with https://"))
        return None

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # not an inline validator: Optional() stops those when the field is empty
        if (self.type.data == DocumentType.CALL_FOR_MEMBERS.value
                and not self.published_on.data and not self.published_on.errors):
            self.published_on.errors.append(_l("Give the date the call was published."))
            valid = False
        return valid


class ConclusionsForm(BaseForm):
    document = SelectField(_l("Document to send"), coerce=int, choices=[])
    note = TextAreaField(_l("A short message to the members (optional)"),
                         validators=[max_length(2000)], filters=[strip])


class DayForm(BaseForm):
    """?on=YYYY-MM-DD: the day the member list and counts are for (a GET form)."""

    class Meta:
        csrf = False

    on = DateField(_l("Members on"), validators=[Optional()])
