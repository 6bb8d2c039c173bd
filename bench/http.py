"""Pages under gunicorn against a bare Flask endpoint under the same gunicorn settings.

Both servers run with the same workers and threads; wrk (Debian's package) loads each over
loopback in turn, alternating floor and page for ROUNDS rounds; the medians are compared,
which keeps a noisy neighbour on a 2-core machine from deciding the result. Ratio = page
requests/s ÷ floor requests/s (higher is better); p50 and p99 latencies are kept for context.
Anonymous visitors are served from the public page cache (consult/cache.py), as in production.
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
DURATION, CONNECTIONS, ROUNDS = 3, 8, 3


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
         str(THREADS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
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


def _median(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    ordered = sorted(runs)
    return ordered[len(ordered) // 2]


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


def _form_and_door(app_port: int, floor_port: int, meeting_id: int, tmp: Path) -> list[Result]:
    base = f"http://127.0.0.1:{app_port}"
    floor_url = f"http://127.0.0.1:{floor_port}/"
    cookie, token = _session(base, f"/meetings/{meeting_id}/register")
    script = tmp / "register.lua"
    script.write_text(POST_SCRIPT % (token, cookie), encoding="utf-8")
    results = []
    from consult.demo import DEMO_ORGANIZER, DEMO_PASSWORD

    door_cookie, _ = _session(base, "/manage/", (DEMO_ORGANIZER, DEMO_PASSWORD))
    cases = [
        ("registration POST (with its CSRF token)", f"/meetings/{meeting_id}/register",
         script, (), 0.25),
        ("check-in search (signed-in organizer)",
         f"/manage/meetings/{meeting_id}/checkin?partial=1&q=petrov+1", None,
         (f"Cookie: {door_cookie}",), 0.5),
    ]
    for name, path, lua, headers, target in cases:
        floors, values = [], []
        for _ in range(ROUNDS):
            floors.append(_wrk(floor_url, lua, headers))
            values.append(_wrk(f"{base}{path}", lua, headers))
        floor, floor_p50, floor_p99 = _median(floors)
        value, p50, p99 = _median(values)
        results.append(Result(
            name=f"http: {name}", value=value, floor=floor, ratio=value / floor,
            target=target, better="higher", unit="requests/s",
            note=(f"p50 {p50:.1f} ms / p99 {p99:.1f} ms (floor {floor_p50:.1f} / "
                  f"{floor_p99:.1f} ms); the floor gets the same requests; SQLite"),
        ))
    return results


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
        pages = {
            "public meeting page": "/meetings/1",
            "meeting .ics": "/meetings/1.ics",
            "series feed (.ics, 7 meetings)": "/series/team2-2020.ics",
            "public home page": "/",
        }
        results = []
        for name, path in pages.items():
            _wait(f"http://127.0.0.1:{app_port}{path}")
            floors, values = [], []
            for _ in range(ROUNDS):
                floors.append(_wrk(f"http://127.0.0.1:{floor_port}/"))
                values.append(_wrk(f"http://127.0.0.1:{app_port}{path}"))
            floor, floor_p50, floor_p99 = _median(floors)
            value, p50, p99 = _median(values)
            results.append(Result(
                name=f"http: {name}", value=value, floor=floor, ratio=value / floor,
                target=0.5, better="higher", unit="requests/s",
                note=(f"p50 {p50:.1f} ms / p99 {p99:.1f} ms (floor {floor_p50:.1f} / "
                      f"{floor_p99:.1f} ms); gunicorn {WORKERS} workers × {THREADS} threads, "
                      f"wrk {CONNECTIONS} connections, median of {ROUNDS}×{DURATION} s, "
                      "SQLite"),
            ))
        results += _form_and_door(app_port, floor_port, meeting_id, tmp)
        return results
    finally:
        for server in (floor_server, app_server):
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
