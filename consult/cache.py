"""A short-lived cache of public pages and calendars for visitors who are not signed in.

Public pages are the same for every anonymous visitor in a language, and they are what a
crowd (a press release, a calendar client polling a feed) asks for. Each process keeps the
rendered body for ``PUBLIC_CACHE_SECONDS``; signed-in users (who may see drafts and manage
links) and requests carrying a one-off message (a flash) always get a fresh page.

Two layers share the entries. `public_cache` (on the views) serves visitors who carry a
session, e.g. one that remembers their language. `PublicPageCache` (WSGI middleware) serves
the commonest visitor, one without any cookie, before Flask starts: such a visitor cannot be
signed in nor have a message waiting, and their language follows from the address and
Accept-Language alone. It keeps the finished response (security headers included) of pages
the view marked cacheable, and never one that sets a cookie.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache, wraps
from threading import Lock

from flask import Response, current_app, request, session
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

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


class PublicPageCache:
    """WSGI middleware: finished public pages for visitors without cookies (see above)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def _key(self, environ) -> tuple | None:
        config = self.app.config
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE")
                or environ.get("HTTP_AUTHORIZATION") or config["PUBLIC_CACHE_SECONDS"] <= 0):
            return None
        languages = tuple(config["LANGUAGES"])
        language = _accepted_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""), languages,
                                      config["BABEL_DEFAULT_LOCALE"])
        return ("wsgi", id(self.app), environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"), environ.get("SCRIPT_NAME", ""),
                environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), language)

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
