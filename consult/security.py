"""Access rules applied to every request, and the small helpers views use.

Every endpoint requires a signed-in user unless its view is marked ``@public``; a viewer
may read but never change anything. New routes are therefore closed until someone decides
otherwise, and the URL-map test in tests/test_access.py lists every public one.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urljoin, urlsplit

from flask import abort, current_app, request
from flask_login import current_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view):
    """Mark a view as reachable without signing in."""
    view.is_public = True
    return view


def any_role_may_post(view):
    """Let viewers POST here too: things that change only their own session or account."""
    view.viewer_may_post = True
    return view


def roles_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role.value not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _view_function():
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def enforce_access():
    """before_request: sign-in unless public; viewers read only."""
    view = _view_function()
    if view is None or request.endpoint == "static" or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if (
        request.method not in SAFE_METHODS
        and current_user.is_viewer
        and not getattr(view, "viewer_may_post", False)
    ):
        abort(403)
    return None


def is_safe_redirect(target: str | None) -> bool:
    """Only paths on this site: rejects //evil.example, backslash tricks, schemes, relatives."""
    if not target or not target.startswith("/") or "\\" in target:
        return False
    if any(ord(c) < 32 for c in target):
        return False
    host_url = request.host_url
    resolved = urlsplit(urljoin(host_url, target))
    return resolved.scheme in {"http", "https"} and resolved.netloc == urlsplit(host_url).netloc


def page_came_from() -> str | None:
    """The path (with its query) of the page on this site the request came from, by its
    Referer: where a form or a page's script sits. None for another site or none."""
    came_from = urlsplit(request.referrer or "")
    path = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    if came_from.netloc != urlsplit(request.host_url).netloc or not is_safe_redirect(path):
        return None
    return path


def safe_next(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_redirect(target) else default


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def limit_posts(limit):
    """The rate limit of a form's submissions: its POSTs count, except a language switch
    (consult.i18n.SWITCH_FIELD), which saves and checks nothing and comes back as typed."""
    from consult.extensions import limiter
    from consult.i18n import language_switched

    return limiter.limit(limit, methods=["POST"], exempt_when=language_switched)


def public_form_limit() -> str:
    """Rate limit of the public forms (registering, declining, unsubscribing)."""
    from flask import current_app

    return current_app.config["RATELIMIT_PUBLIC_FORMS"]


def private_response(body, status: int = 200):
    """A page reached through a personal token in its address: never cached, and the
    address (with its token) never sent on as a referrer."""
    from flask import make_response

    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
