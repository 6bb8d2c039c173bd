"""The database restarts while the app serves: requests fail cleanly, then recover."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import csrf_token
from tests.factories import make_user

pytestmark = pytest.mark.postgres_only


def _cluster(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _wait_until_ready() -> None:
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not come back")


@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster")
def test_requests_fail_cleanly_while_the_database_is_down_and_recover(client, auth, db):
    user = make_user(email="maria@example.bg", name="Мария")
    auth.login("maria@example.bg")
    token = csrf_token(client, "/account/")
    assert client.get("/manage/").status_code == 200
    _cluster("stop")
    try:
        down = client.get("/manage/?lang=bg")
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "30"
        assert "Traceback" not in down.get_data(as_text=True)
        write = client.post("/account/", data={"csrf_token": token, "name": "Half written",
                                               "locale": ""})
        assert write.status_code == 503
    finally:
        _cluster("start")
        _wait_until_ready()
    # the pool notices the dead connections (pre-ping) and the app recovers by itself
    assert client.get("/manage/").status_code == 200
    assert client.get("/healthz").status_code == 200
    db.session.rollback()
    db.session.refresh(user)
    assert user.name == "Мария"
