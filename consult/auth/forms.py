from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField

from consult.auth.services import MIN_PASSWORD_LENGTH
from consult.forms import (
    BaseForm,
    email,
    max_length,
    min_length,
    required,
    same_as,
    select_choices,
    strip,
)


class LoginForm(BaseForm):
    email = EmailField(
        _l("E-mail"), validators=[required(), email(), max_length(254)], filters=[strip]
    )
    password = PasswordField(_l("Password"), validators=[required(), max_length(200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class PasswordResetRequestForm(BaseForm):
    email = EmailField(
        _l("E-mail"), validators=[required(), email(), max_length(254)], filters=[strip]
    )


def _new_password_field(label):
    return PasswordField(
        label, validators=[required(), min_length(MIN_PASSWORD_LENGTH), max_length(200)]
    )


class PasswordResetForm(BaseForm):
    password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[required(), same_as("password")]
    )


class AccountForm(BaseForm):
    name = StringField(lazy_pgettext("person", "Name"), validators=[max_length(200)],
                       filters=[strip])
    locale = SelectField(_l("Interface language"), choices=[])


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[required()])
    password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[required(), same_as("password")]
    )


def _role_choices():
    from consult.auth.models import ROLE_LABELS

    return select_choices((role.value, label) for role, label in ROLE_LABELS.items())


class UserForm(BaseForm):
    email = EmailField(
        _l("E-mail"), validators=[required(), email(), max_length(254)], filters=[strip]
    )
    name = StringField(lazy_pgettext("person", "Name"), validators=[required(), max_length(200)],
                       filters=[strip])
    role = SelectField(_l("Role"), choices=_role_choices, default="organizer")
    locale = SelectField(_l("Language of the welcome mail and the interface"), choices=[])
    active = BooleanField(_l("Can sign in"), default=True)
