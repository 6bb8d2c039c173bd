"""A short-lived cache of public pages and calendars for visitors who are not signed in.

Public pages are the same for every anonymous visitor in a language, and they are what a
crowd (a press release, a calendar client polling a feed) asks for. Each process keeps the
rendered body for ``PUBLIC_CACHE_SECONDS``; signed-in users (who may see drafts and manage
links) and requests carrying a one-off message (a flash) always get a fresh page.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from functools import wraps
from threading import Lock

from flask import Response, current_app, request, session
from flask_login import current_user

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
            headers = [(k, v) for k, v in response.headers if k.lower() in _KEPT_HEADERS]
            expires = now + current_app.config["PUBLIC_CACHE_SECONDS"]
            with _lock:
                _entries[key] = (expires, response.get_data(), 200, headers)
                _entries.move_to_end(key)
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        return response

    return wrapped
