"""A short-lived cache of public pages and calendars for visitors who are not signed in.

Public pages are the same for every anonymous visitor in a language, and they are what a
crowd (a press release, a calendar client polling a feed) asks for. Each process keeps the
rendered body for ``PUBLIC_CACHE_SECONDS``; signed-in users (who may see drafts and manage
links) and requests carrying a one-off message (a flash) always get a fresh page.

Two layers share the entries. `public_cache` (on the views) decides what may be kept and
keeps the rendered body. `PublicPageCache` (WSGI middleware) serves plain visitors before
Flask starts: one without any cookie, whose language follows from the address and
Accept-Language alone, and one whose only cookie is a session holding nothing but a chosen
language (and a form token): neither can be signed in nor have a message waiting, which
the middleware checks by reading the signed session as Flask would. Anything else (another
cookie, a session with more in it, a ``?lang=`` that would change the session) goes to
Flask. It keeps the finished response (security headers included) of pages the view marked
cacheable, and never one that sets a cookie; entries for a chosen language are apart from
those for an Accept-Language, since a page may pick its own language for the latter (a
series' feed in the series' language).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache, wraps
from threading import Lock
from urllib.parse import parse_qsl

from flask import Response, current_app, request, session
from flask_login import current_user
from itsdangerous import BadData
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from consult.i18n import current_language

MAX_ENTRIES = 512
_entries: OrderedDict[tuple, tuple[float, bytes, int, list]] = OrderedDict()
_lock = Lock()
_KEPT_HEADERS = {"content-type", "content-disposition", "cache-control"}


def clear() -> None:
    with _lock:
        _entries.clear()


def _eligible() -> bool:
    return (
        request.method == "GET"
        and current_app.config.get("PUBLIC_CACHE_SECONDS", 0) > 0
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def public_cache(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not _eligible():
            return view(*args, **kwargs)
        # the host is part of every absolute link in the page: never share across hosts
        key = (id(current_app._get_current_object()), request.host_url, request.full_path,
               current_language())
        now = time.monotonic()
        with _lock:
            entry = _entries.get(key)
        if entry is not None and entry[0] > now:
            _, body, status, headers = entry
            return Response(body, status=status, headers=headers)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.direct_passthrough:
            request.environ[_MARK] = True  # the middleware may keep the finished response
            headers = [(k, v) for k, v in response.headers if k.lower() in _KEPT_HEADERS]
            expires = now + current_app.config["PUBLIC_CACHE_SECONDS"]
            with _lock:
                _entries[key] = (expires, response.get_data(), 200, headers)
                _entries.move_to_end(key)
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        return response

    return wrapped


_MARK = "consult.public_cache"


@lru_cache(maxsize=256)
def _accepted_language(header: str, languages: tuple[str, ...], default: str) -> str:
    return parse_accept_header(header, LanguageAccept).best_match(languages) or default


# what a visitor's session may hold for the middleware to serve them: a chosen language, the
# token of a form they opened, Flask-Login's mark that nobody signed in freshly
_VISITOR_SESSION = {"lang", "csrf_token", "_fresh"}
_TO_FLASK = object()  # the request must reach the application


class PublicPageCache:
    """WSGI middleware: finished public pages for plain visitors (see above)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._serializer = None

    def _key(self, environ) -> tuple | None:
        config = self.app.config
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_AUTHORIZATION")
                or config["PUBLIC_CACHE_SECONDS"] <= 0):
            return None
        languages = tuple(config["LANGUAGES"])
        chosen = self._chosen_language(environ, languages) if environ.get("HTTP_COOKIE") \
            else None
        if chosen is _TO_FLASK:
            return None
        if chosen is not None:
            language = ("chosen", chosen)
        else:
            language = ("accepted", _accepted_language(
                environ.get("HTTP_ACCEPT_LANGUAGE", ""), languages,
                config["BABEL_DEFAULT_LOCALE"]))
        return ("wsgi", id(self.app), environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"), environ.get("SCRIPT_NAME", ""),
                environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), language)

    def _chosen_language(self, environ, languages: tuple[str, ...]):
        """The language a plain visitor's session holds (None: none), or _TO_FLASK."""
        cookies = parse_cookie(environ["HTTP_COOKIE"])
        name = self.app.config["SESSION_COOKIE_NAME"]
        if list(cookies) != [name]:  # a remember-me cookie signs someone in, for one
            return _TO_FLASK
        if self._serializer is None:
            self._serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            data = self._serializer.loads(cookies[name], max_age=int(
                self.app.permanent_session_lifetime.total_seconds()))
        except BadData:
            return _TO_FLASK  # Flask starts such a visitor a new session: a Set-Cookie
        if not isinstance(data, dict) or not data.keys() <= _VISITOR_SESSION \
                or data.get("_fresh", False) is not False:
            return _TO_FLASK
        chosen = data.get("lang") if data.get("lang") in languages else None
        asked = next((value for key, value in parse_qsl(environ.get("QUERY_STRING", ""))
                      if key == "lang"), None)
        if asked in languages and asked != chosen:
            return _TO_FLASK  # the application keeps the new choice in the session
        return chosen

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        now = time.monotonic()
        with _lock:
            entry = _entries.get(key)
        if entry is not None and entry[0] > now:
            _, body, status, headers = entry
            start_response(status, list(headers))
            return [body]

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        if not (environ.get(_MARK) and captured.get("status", "").startswith("200")
                and not any(name.lower() == "set-cookie" for name, _ in captured["headers"])):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with _lock:
            _entries[key] = (now + self.app.config["PUBLIC_CACHE_SECONDS"], body,
                             captured["status"], list(captured["headers"]))
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return [body]
