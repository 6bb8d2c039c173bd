from __future__ import annotations

import pytest

from config import DevelopmentConfig, config_for, normalize_database_url
from consult import create_app


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None)


def test_production_refuses_to_start_without_its_host_name():
    with pytest.raises(RuntimeError, match="SERVER_NAME"):
        create_app("production", SECRET_KEY="x" * 40, SERVER_NAME=None,
                   MAIL_DEFAULT_SENDER="Consultations <consult@example.org>",
                   SQLALCHEMY_DATABASE_URI="sqlite:///:memory:")


def test_production_refuses_to_start_without_a_real_sender():
    for sender in (None, "Consult <consult@localhost>"):
        with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER"):
            create_app("production", SECRET_KEY="x" * 40, SERVER_NAME="consult.example.org",
                       MAIL_DEFAULT_SENDER=sender, SQLALCHEMY_DATABASE_URI="sqlite:///:memory:")


def test_production_starts_with_secret_key():
    app = create_app("production", SECRET_KEY="x" * 40, SERVER_NAME="consult.example.org",
                     MAIL_DEFAULT_SENDER="Consultations <consult@example.org>",
                     SQLALCHEMY_DATABASE_URI="sqlite:///:memory:")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert not app.debug


def test_default_environment_is_production(monkeypatch):
    monkeypatch.delenv("CONSULT_ENV", raising=False)
    assert config_for().ENV_NAME == "production"


def test_unknown_environment_is_an_error():
    with pytest.raises(RuntimeError, match="CONSULT_ENV"):
        config_for("staging")


def test_development_defaults_to_sqlite_under_instance():
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("/instance/consult.sqlite3")
    assert DevelopmentConfig.RATELIMIT_STORAGE_URI == "memory://"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalize_database_url(given) == expected


def test_overrides_replace_settings():
    app = create_app("testing", MAIL_BATCH_SIZE=7)
    assert app.config["MAIL_BATCH_SIZE"] == 7
    assert app.testing


def test_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
