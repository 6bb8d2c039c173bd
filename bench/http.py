"""Pages under gunicorn against a bare Flask endpoint under the same gunicorn settings.

Both servers run with the same workers and threads; wrk (Debian's package) loads each over
loopback in turn, floor then page, for ROUNDS rounds. Ratio = page requests/s ÷ floor
requests/s (higher is better), the median of the rounds' ratios: each pair is measured
seconds apart, which keeps a noisy neighbour on a 2-core machine from deciding the result.
p50 and p99 latencies are kept for context. Each worker accepts at most its share of wrk's
connections plus its threads (--worker-connections): left alone, one worker could take 7 of
the 8 keep-alive connections while the other idled, and the floor swung between 2,400 and
6,900 requests/s from one run to the next. The threads are added because gthread closes a
connection rather than keep more than (worker connections − threads) of them idle: with
exactly the share, about one request in ten paid for a new connection. For scale, the
application's lightest route (/healthz: one SELECT 1 through every request hook) is measured
the same way and noted beside the signed-in and form results. Visitors are served from the
public page cache (consult/cache.py) as in production, before Flask starts: those without
cookies, and those whose session holds only a chosen language (read and verified as Flask
would); both are measured.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import Result

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS = 2, 2
DURATION, CONNECTIONS, ROUNDS = 3, 8, 5


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads",
         str(THREADS), "--worker-connections", str(CONNECTIONS // WORKERS + THREADS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wrk(url: str, script: Path | None = None,
         headers: tuple[str, ...] = ()) -> tuple[float, float, float]:
    extra = ["-s", str(script)] if script else []
    for header in headers:
        extra += ["-H", header]
    output = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", *extra, url],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    if re.search(r"Non-2xx or 3xx responses", output):
        raise RuntimeError(f"{url} answered errors under load:\n{output}")

    def percentile(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rate, percentile(50), percentile(99)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _measure(name: str, url: str, floor_url: str, target: float, note: str,
             script: Path | None = None, headers: tuple[str, ...] = ()) -> Result:
    """ROUNDS rounds of floor-then-page with the same requests; the ratio is the median of
    the rounds' ratios (each pair measured seconds apart, so a noisy neighbour touches both),
    the throughputs and latencies are medians too."""
    floors, values, ratios = [], [], []
    for _ in range(ROUNDS):
        floors.append(_wrk(floor_url, script, headers))
        values.append(_wrk(url, script, headers))
        ratios.append(values[-1][0] / floors[-1][0])
    return Result(
        name=f"http: {name}", value=_median([v[0] for v in values]),
        floor=_median([f[0] for f in floors]), ratio=_median(ratios), target=target,
        better="higher", unit="requests/s",
        note=(f"p50 {_median([v[1] for v in values]):.1f} ms / p99 "
              f"{_median([v[2] for v in values]):.1f} ms (floor "
              f"{_median([f[1] for f in floors]):.1f} / {_median([f[2] for f in floors]):.1f} "
              f"ms); {note}"),
    )


# an open meeting with room for everyone the benchmark registers, and 300 people registered
# for the door search
OPEN_MEETING = """
from datetime import timedelta
from consult import create_app
from consult.db import utcnow
from consult.directory.models import Gender
from consult.events.models import Meeting, MeetingStatus, Series
from consult.extensions import db
from consult.registrations.models import Registration
app = create_app()
with app.app_context():
    series = db.session.scalar(db.select(Series).where(Series.slug == "team2-2020"))
    start = utcnow() + timedelta(days=30)
    meeting = Meeting(series=series, title={"bg": "Отворена среща"}, main_language="bg",
                      starts_at=start, ends_at=start + timedelta(hours=3),
                      timezone="Europe/Sofia", status=MeetingStatus.PUBLISHED)
    db.session.add(meeting)
    db.session.flush()
    names = ["Георги", "Мария", "Иван", "Елена", "Петър", "Надежда"]
    for n in range(300):
        gender = Gender.FEMALE if n % 2 else Gender.MALE
        r = Registration(meeting_id=meeting.id, name=f"{names[n % 6]} Петров {n}",
                         email=f"door{n}@example.bg", gender=gender)
        r.refresh_search()
        db.session.add(r)
    db.session.commit()
    print(meeting.id)
"""

POST_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = "csrf_token=%s&name=Bench+Person&gender=female&consent=y&email=" ..
    "p" .. counter .. "-" .. math.random(1, 1000000000) .. "%%40example.bg"
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%s"}, body)
end
"""


def _session(base: str, path: str, login: tuple[str, str] | None = None) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a browser would have them."""
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if login:
        page = opener.open(f"{base}/account/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        opener.open(f"{base}/account/login", urllib.parse.urlencode(
            {"csrf_token": token, "email": login[0], "password": login[1]}).encode())
    page = opener.open(f"{base}{path}").read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, match.group(1) if match else ""


def _form_and_door(base: str, floor_url: str, meeting_id: int, tmp: Path) -> list[Result]:
    cookie, token = _session(base, f"/meetings/{meeting_id}/register")
    script = tmp / "register.lua"
    script.write_text(POST_SCRIPT % (token, cookie), encoding="utf-8")
    from consult.demo import DEMO_ORGANIZER, DEMO_PASSWORD

    door_cookie, _ = _session(base, "/manage/", (DEMO_ORGANIZER, DEMO_PASSWORD))
    lightest = _measure("lightest route", f"{base}/healthz", floor_url, 0.5, "")
    scale = (f"for scale, the application's lightest route (/healthz) reached "
             f"{lightest.ratio:.2f} of the floor in this run")
    return [
        _measure("registration POST (with its CSRF token)",
                 f"{base}/meetings/{meeting_id}/register", floor_url, 0.25,
                 "each request registers a new address for an open meeting: form and CSRF "
                 "check, the seat decision under the meeting's lock, the contact, the "
                 "registration and its (worker-prepared) confirmation in one transaction; "
                 f"the floor gets the same requests; SQLite; {scale}", script=script),
        _measure("check-in search (signed-in organizer)",
                 f"{base}/manage/meetings/{meeting_id}/checkin?partial=1&q=petrov+1",
                 floor_url, 0.5,
                 "the door list's search as you type over 300 registrations (30 rows shown), "
                 f"with the organizer's session and rights checked; SQLite; {scale}",
                 headers=(f"Cookie: {door_cookie}",)),
    ]


def main(port_factory) -> list[Result]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="consult-bench-"))
    env = {**os.environ, "CONSULT_ENV": "development", "FLASK_APP": "wsgi:app",
           "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
           "RATELIMIT_STORAGE_URI": "memory://",
           "RATELIMIT_PUBLIC_FORMS": "1000000 per minute", "RATELIMIT_LOGIN": "1000 per minute"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    meeting_id = int(subprocess.run(
        [sys.executable, "-c", OPEN_MEETING], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True).stdout.strip())

    floor_port, app_port = port_factory(), port_factory()
    floor_server = _gunicorn("bench.floor:app", floor_port, env)
    app_server = _gunicorn("wsgi:app", app_port, env)
    try:
        _wait(f"http://127.0.0.1:{floor_port}/")
        _wait(f"http://127.0.0.1:{app_port}/healthz")
        base, floor_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{floor_port}/"
        setting = (f"gunicorn {WORKERS} workers × {THREADS} threads, wrk {CONNECTIONS} "
                   f"connections, median of {ROUNDS}×{DURATION} s, SQLite")
        pages = {
            "public meeting page": "/meetings/1",
            "meeting .ics": "/meetings/1.ics",
            "series feed (.ics, 7 meetings)": "/series/team2-2020.ics",
            "public home page": "/",
        }
        results = []
        for name, path in pages.items():
            _wait(f"{base}{path}")
            results.append(_measure(
                name, f"{base}{path}", floor_url, 0.5,
                f"a visitor without cookies (served by the public page cache); {setting}"))
        # a visitor who chose a language carries a session: the middleware reads it to serve
        # them
        session_cookie, _ = _session(base, "/meetings/1?lang=bg")
        results.append(_measure(
            "public meeting page, visitor with a session", f"{base}/meetings/1", floor_url,
            0.5, f"their session cookie sent along (language chosen: bg); {setting}",
            headers=(f"Cookie: {session_cookie}",)))
        results += _form_and_door(base, floor_url, meeting_id, tmp)
        return results
    finally:
        for server in (floor_server, app_server):
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
