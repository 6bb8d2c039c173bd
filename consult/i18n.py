"""Language selection and per-language text fields.

The interface language is chosen in this order: a switch posted with a form (`SWITCH_FIELD`),
the signed-in user's setting, a ``?lang=`` parameter, the language picked earlier in this
browser session, the language of the person a personal link belongs to (`prefer_language`),
the browser's Accept-Language, English.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, g, request, session
from flask_babel import get_locale, gettext, pgettext, refresh
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

# the languages content can be written in (per-language titles, descriptions, disclaimers)
CONTENT_LANGUAGES = {"bg": "Български", "mk": "Македонски", "sq": "Shqip", "en": "English"}


def supported_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


# Posted with a form by the language switcher (static/js/keep-input.js): the same form, as
# typed, is wanted in that language. `remember_language_switch` takes it; forms then neither
# validate nor save (`consult.forms.BaseForm.validate_on_submit`).
SWITCH_FIELD = "switch_language"


def select_locale() -> str:
    languages = supported_languages()
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if g.get("switched_language") in languages:
        return g.switched_language
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    # a ?lang= counts when a page is opened (and stays in the session); a form posted back to
    # that address must not undo a choice made since
    requested = request.args.get("lang") if request.method == "GET" else None
    if requested in languages:
        return requested
    if session.get("lang") in languages:
        return session["lang"]
    if g.get("page_language") in languages:
        return g.page_language
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def prefer_language(code: str | None) -> None:
    """This page belongs to someone whose language is known (a participant's personal link,
    an invitation): show it in that language unless the visitor chose another. A mail in
    Bulgarian must not lead to a page in the language of whichever browser opens it."""
    if code in supported_languages():
        g.page_language = code
        refresh()


def remember_language_switch() -> None:
    """before_request, after the CSRF check: a form posted with `SWITCH_FIELD` changes the
    language for the session (and a signed-in user's setting), then comes back as typed."""
    if request.method != "POST" or request.mimetype not in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        return
    language = request.form.get(SWITCH_FIELD)
    if language not in supported_languages():
        return
    try:  # also where a view is exempt from the CSRF check: a switch comes from our form
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return
    g.switched_language = session["lang"] = language
    if current_user.is_authenticated and current_user.locale != language:
        from consult.extensions import db

        current_user.locale = language
        db.session.commit()
    refresh()


def language_switched() -> bool:
    return bool(g.get("switched_language"))


def greeting(name: str, gender=None) -> str:
    """A mail's salutation. Bulgarian, Macedonian and Albanian address a woman and a man
    differently ("Уважаема", "Уважаеми"); anyone else, or anyone who did not say, gets the
    neutral form ("Уважаеми/а")."""
    value = getattr(gender, "value", gender)
    if value == "female":
        return pgettext("greeting a woman", "Dear %(name)s,", name=name)
    if value == "male":
        return pgettext("greeting a man", "Dear %(name)s,", name=name)
    return gettext("Dear %(name)s,", name=name)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def localized_language(texts: Mapping[str, str] | None, fallback: str | None = None) -> str:
    """Which language of a per-language mapping a visitor gets: theirs, then ``fallback``,
    then English, then any; the visitor's own when there is no text at all."""
    for language in (current_language(), fallback, "en"):
        if language and texts and texts.get(language):
            return language
    return next((code for code, text in (texts or {}).items() if text), current_language())


def localized(texts: Mapping[str, str] | None, fallback: str | None = None) -> str:
    """The text of a per-language mapping in the language ``localized_language`` picks."""
    return (texts or {}).get(localized_language(texts, fallback), "")


# Bulgarian/Macedonian Cyrillic to Latin, for slugs and for matching typed Latin to Cyrillic
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ѓ": "gj", "е": "e", "ж": "zh",
    "з": "z", "ѕ": "dz", "и": "i", "й": "y", "ј": "j", "к": "k", "л": "l", "љ": "lj",
    "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "ќ": "kj", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "џ": "dzh", "ш": "sh",
    "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya", "ы": "y", "э": "e", "ё": "yo",
}


# every capital of these letters is the one-character upper() of its small letter (checked
# over all of Unicode in tests/directory/test_import_bulk.py); str.translate is many times
# faster than a loop, which matters when an import computes ten thousand search keys
_TRANSLITERATION = {
    **{ord(small): latin for small, latin in _CYRILLIC.items()},
    **{ord(small.upper()): latin.capitalize() for small, latin in _CYRILLIC.items()},
}


def transliterate(text: str) -> str:
    return text.translate(_TRANSLITERATION)
