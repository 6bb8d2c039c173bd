"""Production counts limits in Redis, so several processes share one count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import redis

from tests.conftest import csrf_token, make_app
from tests.factories import make_user

# a database of its own on the machine's Redis, emptied before and after
REDIS_URL = "redis://127.0.0.1:6379/15"

OTHER_PROCESS = textwrap.dedent(
    """
    import json, os, re
    from consult import create_app
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=os.environ["DB"],
                     RATELIMIT_STORAGE_URI=os.environ["REDIS"], RATELIMIT_LOGIN="4 per minute")
    client = app.test_client()
    codes = []
    for _ in range(2):
        page = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        codes.append(client.post("/account/login", data={
            "email": "maria@example.bg", "password": "bad", "csrf_token": token}).status_code)
    print(json.dumps(codes))
    """
)


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:  # pragma: no cover - CI always has Redis
        pytest.fail("Redis is not running at 127.0.0.1:6379")
    yield client
    client.flushdb()


def test_two_processes_share_the_login_limit(db, database_url, smtp_server, redis_db):
    app = make_app(
        database_url,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_LOGIN="4 per minute",
        MAIL_PORT=smtp_server.port,
    )
    with app.app_context():
        make_user(email="maria@example.bg")
        client = app.test_client()
        token = csrf_token(client)
        codes = [
            client.post(
                "/account/login",
                data={"email": "maria@example.bg", "password": "bad", "csrf_token": token},
            ).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 200]
    other = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS],
        env={**os.environ, "DB": database_url, "REDIS": REDIS_URL},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # the other process has seen our three attempts: one more is allowed, then refused
    assert json.loads(other.stdout.strip().splitlines()[-1]) == [200, 429]
    assert list(redis_db.scan_iter("*auth.login*")), "the count lives in Redis"
