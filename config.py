"""Configuration read from the environment.

`CONSULT_ENV` picks the class: ``production`` (the default, so a forgotten setting never
runs a server with development secrets), ``development`` or ``testing``. Every setting
below can be overridden by an environment variable of the same name.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'consult.sqlite3'}")
    )
    # pre-ping: a database restart costs one failed check, not a failed request
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SERVER_NAME = os.environ.get("SERVER_NAME")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so long forms do not expire

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Consult <consult@localhost>")
    MAIL_SUPPRESS_SEND = False
    MAIL_BATCH_SIZE = _int("MAIL_BATCH_SIZE", 50)
    MAIL_LEASE_SECONDS = _int("MAIL_LEASE_SECONDS", 300)
    MAIL_RETRY_BASE_SECONDS = _int("MAIL_RETRY_BASE_SECONDS", 60)
    MAIL_RETRY_MAX_SECONDS = _int("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 12)
    MAIL_POLL_SECONDS = _int("MAIL_POLL_SECONDS", 5)
    # participants' personal data is anonymised this many months after their meeting
    # (`flask retention apply`, e.g. daily from cron); every aggregate report stays the same
    RETENTION_MONTHS = _int("RETENTION_MONTHS", 24)
    # messages per minute for the whole installation (0: as fast as the server takes them);
    # many providers refuse or flag bulk mail sent faster than they allow
    MAIL_RATE_PER_MINUTE = _int("MAIL_RATE_PER_MINUTE", 0)
    # well under half the lease, so a stalled server cannot outlast a worker's claim
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 60)

    # the accessibility statement's contact for feedback, and the page of the national body
    # that enforces the EU Web Accessibility Directive where this installation runs
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "")
    ACCESSIBILITY_ENFORCEMENT_URL = os.environ.get("ACCESSIBILITY_ENFORCEMENT_URL", "")

    PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
    # anonymous visitors get public pages and calendars at most this many seconds old
    PUBLIC_CACHE_SECONDS = _int("PUBLIC_CACHE_SECONDS", 10)
    # reports show a count of answers to a sensitive question below this as "< N"
    REPORT_MIN_COUNT = _int("REPORT_MIN_COUNT", 5)

    MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    # the whole request may carry a file plus form fields
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "consult")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get(
        "RATELIMIT_PASSWORD_RESET", "5 per minute;20 per hour"
    )
    # registration, declining and unsubscribing, per address: generous enough for an office
    # whose people register from one address, tight enough to stop a script
    RATELIMIT_PUBLIC_FORMS = os.environ.get(
        "RATELIMIT_PUBLIC_FORMS", "20 per minute;200 per hour"
    )

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {"en": "English", "bg": "Български", "mk": "Македонски", "sq": "Shqip"}

    # a proxy in front (nginx, a load balancer) sets X-Forwarded-*; count how many hops to trust
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)

    @classmethod
    def check(cls, config: dict) -> None:
        if not config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY in the environment to a long random value."
            )
        if config.get("ENV_NAME") == "production" and not config.get("SERVER_NAME"):
            raise RuntimeError(
                "SERVER_NAME is not set. The links in every mail (confirmations, invitations, "
                "reminders) are built from it; without it they would follow whatever Host a "
                "request claims. Set SERVER_NAME to the site's host, e.g. consult.example.org."
            )
        sender = (config.get("MAIL_DEFAULT_SENDER") or "").rstrip(">").strip()
        if config.get("ENV_NAME") == "production" and (
                not sender or sender.endswith("@localhost")):
            raise RuntimeError(
                "MAIL_DEFAULT_SENDER is not set. Every mail goes out from it and calendar "
                "entries name it as their organizer; a server would refuse or bin mail from "
                "consult@localhost. Set MAIL_DEFAULT_SENDER, e.g. "
                "'Consultations <consult@example.org>'."
            )


class ProductionConfig(Config):
    pass


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = _bool("FLASK_DEBUG", False)
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")  # noqa: S105
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SERVER_NAME = os.environ.get("SERVER_NAME", "127.0.0.1:5000")
    # one process in development: counting in memory is enough
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    MAIL_PORT = _int("MAIL_PORT", 8025)


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    DEBUG = False
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    SERVER_NAME = "localhost"
    PUBLIC_CACHE_SECONDS = 0  # tests look at pages right after changing them
    RATELIMIT_STORAGE_URI = "memory://"
    # the whole suite registers from one address; the limit itself has its own test
    RATELIMIT_PUBLIC_FORMS = "10000 per minute"
    MAIL_DEFAULT_SENDER = "Consult <consult@localhost>"
    MAIL_RETRY_BASE_SECONDS = 60


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("CONSULT_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown CONSULT_ENV {name!r}; use one of {', '.join(CONFIGS)}"
        ) from None
