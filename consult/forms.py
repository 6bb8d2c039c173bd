"""Validators with messages from our own catalogs, so every language gets them translated."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Email, EqualTo, Length


def required():
    return DataRequired(message=_l("Please fill in this field."))


def email():
    return Email(message=_l("Enter a valid e-mail address, like name@example.org."))


def max_length(n: int):
    return Length(max=n, message=_l("Use at most %(n)s characters.", n=n))


def min_length(n: int):
    return Length(min=n, message=_l("Use at least %(n)s characters.", n=n))


def same_as(field: str):
    return EqualTo(field, message=_l("The passwords differ."))


def strip(value):
    """Field filter: people paste addresses with spaces around them."""
    return value.strip() if isinstance(value, str) else value
