"""Consult: plan stakeholder consultations, invite, register, check in, and report."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import config_for

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None, **overrides) -> Flask:
    """Build the application.

    ``config`` is a config class, a CONSULT_ENV name (``"testing"``) or None for the
    environment's choice; ``overrides`` replace single settings (tests use them).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    config_class = config if isinstance(config, type) else config_for(config)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.check(app.config)

    # before any route is added: every <int:…> in a URL is a row id (see RowId)
    app.url_map.converters["int"] = RowId
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    from consult.cache import PublicPageCache

    app.wsgi_app = PublicPageCache(app, app.wsgi_app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


class RowId(IntegerConverter):
    """``<int:…>`` in our URLs: a row id (or a year), at most what an INTEGER column holds
    on PostgreSQL. A larger number is no page (404), where it would reach the database and
    fail there (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_extensions(app: Flask) -> None:
    from consult.db import render_migration_item
    from consult.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from consult.i18n import select_locale
    from consult.security import enforce_access

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        Path(app.instance_path).mkdir(exist_ok=True)
        # a file in this process cannot go away like a server's connection: the pre-ping
        # would only add a SELECT 1 to every request
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_migration_item,
    )
    login_manager.init_app(app)
    # before CSRF: an anonymous POST is sent to sign in rather than told its token is missing
    app.before_request(enforce_access)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    with app.app_context():
        sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # SQLite's own lower() folds ASCII only; searches must find "Георги" as "георги"
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A file database in WAL mode: readers (the web process) and the writer (the mail worker)
    # no longer block each other, and with synchronous=NORMAL a commit does not wait for the
    # disk. A crashed or killed process loses nothing; a power cut or an OS crash can undo the
    # last commits. In-memory databases cannot use WAL and answer "memory": left as they are.
    (mode,) = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
    if mode.lower() == "wal":
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def register_blueprints(app: Flask) -> None:
    # import every model module so the metadata (and migrations) see all tables
    import consult.models  # noqa: F401
    from consult.attendance.views import bp as attendance_bp
    from consult.auth.views import bp as auth_bp
    from consult.core.views import bp as core_bp
    from consult.core.views import register_error_handlers
    from consult.directory.views import bp as directory_bp
    from consult.events import manage  # noqa: F401  (organizer routes on the events blueprint)
    from consult.events.views import bp as events_bp
    from consult.groups.views import bp as groups_bp
    from consult.invitations.views import bp as invitations_bp
    from consult.mail.views import bp as mail_bp
    from consult.registrations.manage import bp as registrations_admin_bp
    from consult.registrations.services import install_hooks
    from consult.registrations.views import bp as registrations_bp
    from consult.reports.transparency import bp as transparency_bp
    from consult.reports.views import bp as reports_bp

    for blueprint in (core_bp, auth_bp, events_bp, directory_bp, invitations_bp,
                      registrations_bp, registrations_admin_bp, attendance_bp, groups_bp,
                      reports_bp, transparency_bp, mail_bp):
        app.register_blueprint(blueprint)
    install_hooks()
    register_error_handlers(app)


def register_request_hooks(app: Flask) -> None:
    from consult.auth.models import User
    from consult.core.views import refuse_nul_characters, remember_language_choice
    from consult.extensions import db, login_manager
    from consult.i18n import remember_language_switch
    from consult.security import set_security_headers

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, fingerprint = session_id.partition(".")
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or fingerprint != user.password_fingerprint:
            return None
        return user

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def sign_in_first():
        """To the sign-in page, and back afterwards. A form sent after the session ended goes
        back to the page it came from (its own address answers POST only); a page's script
        gets 401 with where to sign in, and takes the phone there rather than fail silently."""
        from flask import jsonify, redirect, request, url_for

        from consult.security import page_came_from

        fetched = request.headers.get("X-Requested-With") == "fetch"
        if request.method == "GET" and not fetched:
            back = request.full_path.rstrip("?")
        else:  # back to the page the form or the script is on
            back = page_came_from() or url_for("events.manage_home")
        login = url_for("auth.login", next=back)
        if fetched:
            return jsonify(error="signed out", login=login), 401
        return redirect(login)

    app.after_request(set_security_headers)
    app.before_request(remember_language_choice)
    app.before_request(remember_language_switch)
    app.before_request(refuse_nul_characters)


def register_template_helpers(app: Flask) -> None:
    from flask_wtf.csrf import generate_csrf

    from consult.auth.models import ROLE_LABELS
    from consult.core.views import lang_url
    from consult.directory.models import GENDER_LABELS, Gender
    from consult.events import display
    from consult.events.models import (
        DOCUMENT_TYPE_LABELS,
        FORMAT_LABELS,
        MEETING_STATUS_LABELS,
        MEETING_TYPE_LABELS,
        REGISTRATION_MODE_LABELS,
    )
    from consult.i18n import CONTENT_LANGUAGES, current_language, greeting, localized
    from consult.invitations.models import INVITATION_STATUS_LABELS, InvitationStatus
    from consult.mail.models import STATUS_LABELS
    from consult.registrations.models import QUESTION_KIND_LABELS, REGISTRATION_STATUS_LABELS

    app.jinja_env.globals.update(
        csrf_token=generate_csrf,
        role_label=ROLE_LABELS.get,
        status_label=STATUS_LABELS.get,
        meeting_type_label=MEETING_TYPE_LABELS.get,
        format_label=FORMAT_LABELS.get,
        meeting_status_label=MEETING_STATUS_LABELS.get,
        registration_mode_label=REGISTRATION_MODE_LABELS.get,
        document_type_label=DOCUMENT_TYPE_LABELS.get,
        gender_label=GENDER_LABELS.get,
        gender_enum=Gender,
        registration_status_label=REGISTRATION_STATUS_LABELS.get,
        question_kind_label=QUESTION_KIND_LABELS.get,
        invitation_status_label=lambda value: INVITATION_STATUS_LABELS[InvitationStatus(value)],
        current_language=current_language,
        greeting=greeting,
        localized=localized,
        languages=lambda: app.config["LANGUAGES"],
        # a language by its own name ("Shqip"), which its speakers find in any page's language
        language_name=lambda code: CONTENT_LANGUAGES.get(code, (code or "").upper()),
    )
    display.register(app)
    # the first non-empty text of a per-language mapping
    app.jinja_env.filters["first_value"] = lambda texts: next(
        (text for text in (texts or {}).values() if text), "")
    app.jinja_env.globals["lang_url"] = lang_url


def register_cli(app: Flask) -> None:
    from consult.cli import register_cli as register

    register(app)
