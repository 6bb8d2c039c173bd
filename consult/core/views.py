from datetime import date
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consult.cache import public_cache
from consult.extensions import db
from consult.security import any_role_may_post, page_came_from, public, safe_next

bp = Blueprint("core", __name__)


@bp.route("/language", methods=["POST"])
@public
@any_role_may_post
def set_language():
    language = request.form.get("lang", "")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        if current_user.is_authenticated:
            current_user.locale = language
            db.session.commit()
    return redirect(safe_next(url_for("events.index")))


@bp.route("/healthz")
@public
def health():
    """For load balancers: answers 200 only when the database does."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You may not open this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not allowed here"),
    413: lambda: _("The file is too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong on our side"),
    503: lambda: _("The service is briefly unavailable"),
}

ERROR_TEXTS = {
    400: lambda: _("Please go back, check what you entered and try again."),
    403: lambda: _(
        "Your account does not have access to this page. If you think it should, "
        "ask the organizer who manages it."
    ),
    404: lambda: _("The address may be mistyped, or the page was moved or removed."),
    405: lambda: _("Please go back and use the form on the page."),
    413: lambda: _("A file can be at most %(size)s MB. Please go back (the page keeps what "
                   "you typed) and choose a smaller file.",
                   size=current_app.config["MAX_UPLOAD_BYTES"] // 2**20),
    429: lambda: _("Please wait a minute before you try again."),
    500: lambda: _(
        "The error has been recorded. Please try again in a few minutes; nothing you "
        "saved earlier is lost."
    ),
    503: lambda: _(
        "Please try again in a minute. What you sent just now was not saved; what you "
        "saved earlier is safe."
    ),
}


def _page_before() -> str | None:
    """The page of this site the request came from (a form, most often), to go back to."""
    path = page_came_from()
    return path if path != request.full_path.rstrip("?") else None


def render_error(code: int, text: str | None = None):
    code = code if code in ERROR_TITLES else 500
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=ERROR_TITLES[code](),
            text=text or ERROR_TEXTS[code](),
            back=_page_before() if code in (400, 405, 413, 429) else None,
        ),
        code,
    )


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code not in ERROR_TITLES:
        return error
    return render_error(error.code)


def handle_csrf_error(error: CSRFError):
    return render_error(
        400,
        _(
            "The form had expired or was sent from another site. Go back, reload the "
            "page and send it again."
        ),
    )


def _rollback_quietly():
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
        db.session.remove()


def handle_database_unavailable(error):
    """The database is unreachable (restarting, failing over): say so, nothing half-saved."""
    _rollback_quietly()
    current_app.logger.warning("database unavailable: %s", error)
    # the page layout asks who is signed in; do not ask the database that is down
    g._login_user = current_app.login_manager.anonymous_user()
    response, code = render_error(503)
    return response, code, {"Retry-After": "30"}


def handle_server_error(error):
    _rollback_quietly()
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(500)


def refuse_nul_characters():
    """before_request: no browser sends NUL; PostgreSQL refuses it in text, so stop it here
    with a clear 400 instead of an error deep in a query."""
    values = [request.path, *request.args.values()]
    if request.method not in ("GET", "HEAD") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        values += list(request.form.values())
    if any("\x00" in value for value in values):
        abort(400)


def remember_language_choice():
    """before_request: a ?lang= link (the switcher for visitors) is kept for the session. Only
    when a page is opened: a form posting back to such an address keeps what was chosen
    since (consult.i18n.remember_language_switch)."""
    if request.method != "GET":
        return
    language = request.args.get("lang")
    if language in current_app.config["LANGUAGES"] and session.get("lang") != language:
        session["lang"] = language


def lang_url(code: str) -> str:
    """This page in another language: the switcher's links, which need no form or script."""
    args = request.args.to_dict()
    args["lang"] = code
    return f"{quote(request.path)}?{urlencode(args)}"


def register_error_handlers(app):
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(sa.exc.OperationalError, handle_database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_server_error)


@bp.route("/accessibility")
@public
@public_cache
def accessibility():
    config = current_app.config
    return render_template(
        "core/accessibility.html", prepared_on=STATEMENT_PREPARED_ON,
        contact=config["ACCESSIBILITY_CONTACT"],
        enforcement_url=config["ACCESSIBILITY_ENFORCEMENT_URL"])


# when the statement below was last reviewed against the software (update with it)
STATEMENT_PREPARED_ON = date(2026, 11, 29)
