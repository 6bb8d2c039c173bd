"""Validators with messages from our own catalogs, so every language gets them translated."""

from flask_babel import gettext, lazy_ngettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectChoice
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


# WTForms' own messages, listed here so they are extracted into our catalogs: its bundled
# translations have no Macedonian or Albanian.
WTFORMS_MESSAGES = (
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid week value."),
)
WTFORMS_PLURAL_MESSAGES = (
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
)


class CatalogTranslations:
    """Hands WTForms' messages to Flask-Babel, so they come from our catalogs."""

    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


class TranslatedMeta:
    def get_translations(self, form):
        return CatalogTranslations()


class BaseForm(FlaskForm):
    class Meta(TranslatedMeta):
        pass

    def validate_on_submit(self, extra_validators=None) -> bool:
        # posted to see the form in another language: shown again as typed, without
        # messages, and nothing is saved (consult.i18n.SWITCH_FIELD)
        from consult.i18n import language_switched

        if language_switched():
            return False
        return super().validate_on_submit(extra_validators)


class BaseSubForm(Form):
    class Meta(TranslatedMeta):
        pass


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms asks for."""
    return [SelectChoice(value, label) for value, label in pairs]


MAX_PAGE = 10_000


def page_number() -> int:
    """The ?page= of a list, kept to a sane range so no query gets an absurd OFFSET."""
    from flask import request

    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def paginate(query, per_page: int):
    """The ?page= of ``query``; past the last page, the last page (not an empty list that
    would read as "nothing here yet")."""
    from consult.extensions import db

    page = db.paginate(query, page=page_number(), per_page=per_page, error_out=False)
    if not page.items and page.page > 1 and page.total:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page


class ConfirmForm(BaseForm):
    """An empty form: a POST with its CSRF token confirms an action."""
