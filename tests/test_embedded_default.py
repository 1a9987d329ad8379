"""The embedded default, end to end: what `make run` does on a bare machine.

SQLite in a temporary directory, no REDIS_URL (in-memory channel layer, eager Celery):
migrate, load the demo twice (the second time changes nothing), serve it with uvicorn,
then use it as a browser and as a script would.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
COUNT_ROWS = """
import json
from vsm_site import use_default_settings
use_default_settings()
import django
django.setup()
from django.apps import apps
from django.conf import settings
counts = {
    model._meta.label: model.objects.count()
    for model in apps.get_models()
    if model._meta.app_label in ("auth", "workshops", "streams", "workitems")
}
print(json.dumps({"engine": settings.DATABASES["default"]["ENGINE"], "counts": counts}))
"""


def _environment(tmp_path: Path) -> dict[str, str]:
    """Only what a bare machine has, plus a SQLite file of our own."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _rows(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    return json.loads(_run(["-c", COUNT_ROWS], env, cwd).strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """A cookie-keeping HTTP client for the served site."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(
        self, path: str, *, data: Any = None, form: dict[str, str] | None = None, token: str = ""
    ) -> tuple[int, str]:
        headers = {"Authorization": f"Token {token}"} if token else {}
        body = None
        if data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def json(self, path: str, **kwargs: Any) -> Any:
        status, text = self.request(path, **kwargs)
        assert status in (200, 201), (path, status, text[:300])
        return json.loads(text)

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("/accounts/login/")
        assert status == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, "the login form carries a CSRF token"
        status, _ = self.request(
            "/accounts/login/",
            form={"username": username, "password": password, "csrfmiddlewaretoken": csrf[1]},
        )
        assert status == 200
        assert any(cookie.name == "sessionid" for cookie in self.cookies)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Browser, dict[str, Any]]]:
    """Migrates, loads the demo twice and serves it; yields a browser and the row counts."""
    env = _environment(tmp_path)
    _run([str(ROOT / "manage.py"), "migrate", "--noinput"], env, tmp_path)
    _run([str(ROOT / "manage.py"), "load_demo"], env, tmp_path)
    first = _rows(env, tmp_path)
    again = _run([str(ROOT / "manage.py"), "load_demo"], env, tmp_path)
    assert "already loaded" in again
    assert _rows(env, tmp_path) == first
    port = _free_port()
    log = (tmp_path / "uvicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "vsm_site.asgi:application",
            "--port",
            str(port),
            "--forwarded-allow-ips",
            "",
        ],  # as `make run`: no proxy is trusted
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "uvicorn.log").read_text()
            try:
                if browser.request("/api/schema/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not come up within 60 s"
            time.sleep(0.2)
        yield browser, first
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_embedded_default_serves_the_demo_end_to_end(served):
    browser, rows = served
    assert rows["engine"] == "django.db.backends.sqlite3"
    assert rows["counts"]["workshops.Workshop"] == 1

    status, home = browser.request("/")
    assert status == 200 and "<html" in home.lower()
    schema = browser.json("/api/schema/?format=json")
    assert schema["openapi"].startswith("3.")

    token = browser.json(
        "/api/auth/token/", data={"username": "facilitator", "password": "demo-workshop"}
    )["token"]
    [stream] = browser.json("/api/streams/", token=token)
    snapshot = browser.json(f"/api/streams/{stream['id']}/snapshot/", token=token)

    browser.sign_in("facilitator", "demo-workshop")
    for page in (stream["board_url"], stream["summary_url"]):
        status, html = browser.request(page)
        assert status == 200 and stream["name"] in html, page
    # The demo's tracker states are on its map: its summary holds the estimate against the
    # measured figures with nothing to configure.
    assert 'data-measured="table"' in html and "Estimated and measured timeline" in html

    activities = snapshot["activities"]
    assert 8 <= len(activities) <= 14  # "about ten"
    assert all(a["process_time"] > 0 and a["wait_time"] > 0 for a in activities)
    assert all(0 <= a["pca"] <= 100 for a in activities) and any(a["pca"] < 100 for a in activities)
    outgoing = Counter(link["source"] for link in snapshot["links"])
    assert max(outgoing.values()) >= 2  # a parallel branch
    votes = Counter(vote["waste"] for vote in snapshot["votes"])
    assert snapshot["wastes"] and sum(votes.values()) > 0
    assert {cm["waste"] for cm in snapshot["countermeasures"]} <= set(votes)
    assert snapshot["countermeasures"]


def test_the_demo_measures_six_months_of_work_in_all_four_flow_types(served):
    browser, rows = served
    assert 250 <= rows["counts"]["workitems.WorkItem"] <= 350  # "about 300"
    token = browser.json(
        "/api/auth/token/", data={"username": "viewer", "password": "demo-workshop"}
    )["token"]
    [stream] = browser.json("/api/streams/", token=token)
    workshop = stream["workshop"]
    flow = browser.json(f"/api/workshops/{workshop}/flow-metrics/", token=token)
    assert all(count > 0 for count in flow["velocity"]["by_type"].values())
    assert flow["flow_time"]["count"] > 50 and flow["aging"]
    assert 0 < flow["efficiency"]["portfolio"] < 1
    states = browser.json(f"/api/workshops/{workshop}/work-states/", token=token)
    assert {state["flow_state"] for state in states} >= {"new", "waiting", "active", "done"}
    six_months_ago = date.fromisoformat(flow["window"]["end"]) - timedelta(days=181)
    half_year = browser.json(
        f"/api/workshops/{workshop}/flow-metrics/?start={six_months_ago}", token=token
    )
    assert half_year["velocity"]["total"] >= flow["velocity"]["total"]
    browser.sign_in("viewer", "demo-workshop")
    status, html = browser.request(f"/workshops/{workshop}/flow/")
    assert status == 200 and "<svg" in html
