"""Real ASGI server processes (uvicorn) on free ports, serving the test database.

Use the session fixture `asgi_servers` (import it into a test module or a conftest):

    from tests.stack import servers

    asgi_servers = servers.asgi_servers  # the fixture, under its own name

    @pytest.mark.django_db(transaction=True)
    def test_something(need_postgres, need_redis, asgi_servers):
        first, second = asgi_servers.get(2)
        ...  # first.http_url, first.ws_url("/ws/streams/1/"), first.origin

The servers read what the test committed, so tests that use them must be transactional
(`django_db(transaction=True)`); servers live for the whole session and are stopped at its
end. `start_asgi_server` starts one by hand (e.g. with other settings in `env`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_for_tests() -> str:
    """DATABASE_URL of the database the tests run on (pytest-django's `test_<name>`)."""
    from django.db import connection

    params = connection.settings_dict
    engine = params["ENGINE"]
    if not engine.endswith("postgresql"):
        raise RuntimeError(f"real servers need PostgreSQL, not {engine}")
    user = quote(params.get("USER") or "")
    password = quote(params.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{params['NAME']}"


@dataclass
class AsgiServer:
    """One uvicorn process serving `vsm_site.asgi:application`."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}"

    @property
    def origin(self) -> str:
        """An Origin the AllowedHostsOriginValidator accepts (127.0.0.1 is allowed)."""
        return self.http_url

    def ws_url(self, path: str) -> str:
        return f"ws://{self.host}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def server_env(database_url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process: this one's, on the test database and settings."""
    merged = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vsm_site.settings.test",
        "DATABASE_URL": database_url,
        # Keep the per-thread connection between ops: one server handles many sockets.
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    from django.conf import settings

    if settings.REDIS_URL:
        merged["REDIS_URL"] = settings.REDIS_URL
    merged.update(env or {})
    return merged


def spawn_asgi_server(*, database_url: str, env: dict[str, str] | None = None) -> AsgiServer:
    """Starts uvicorn on a free port without waiting for it (see `wait_until_serving`).
    Forwarded headers are believed from `VSM_TRUSTED_PROXIES` in `env` only (none by
    default), as the Makefile and the Dockerfile run it."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix=f"uvicorn-{port}-", suffix=".log")[1])
    environment = server_env(database_url, env)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "vsm_site.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--ws-max-size",
                str(1024 * 1024),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
                "--forwarded-allow-ips",
                environment.get("VSM_TRUSTED_PROXIES", ""),
            ],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return AsgiServer(port=port, process=process, log=log)


def wait_until_serving(server: AsgiServer, timeout: float = 30) -> AsgiServer:
    """Returns once the server answers HTTP; stops it and raises with its log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"uvicorn exited ({server.process.returncode}):\n{server.output()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), 1) as sock:
                sock.sendall(b"GET /accounts/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"uvicorn did not answer within {timeout}s:\n{server.output()}")


def start_asgi_server(
    *, database_url: str, env: dict[str, str] | None = None, timeout: float = 30
) -> AsgiServer:
    """Starts uvicorn on a free port and returns once it answers HTTP."""
    return wait_until_serving(spawn_asgi_server(database_url=database_url, env=env), timeout)


@dataclass
class ServerPool:
    """Servers started on demand and shared by the session's tests."""

    database_url: str
    servers: list[AsgiServer] = field(default_factory=list)

    def get(self, count: int = 1) -> list[AsgiServer]:
        """`count` running servers (started if need be), always the same ones in order."""
        for server in list(self.servers):
            if server.process.poll() is not None:
                self.servers.remove(server)
        # Started side by side: each takes a second or two to load Django.
        spawned = [
            spawn_asgi_server(database_url=self.database_url)
            for _ in range(count - len(self.servers))
        ]
        self.servers.extend(wait_until_serving(server) for server in spawned)
        return self.servers[:count]

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()
            server.log.unlink(missing_ok=True)
        self.servers.clear()


@pytest.fixture(scope="session")
def asgi_servers(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ServerPool]:
    """A pool of real ASGI servers on the test database; `asgi_servers.get(2)` for two."""
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Nothing to serve from; tests that need PostgreSQL fail or skip via need_postgres.
        yield ServerPool(database_url="")
        return
    with django_db_blocker.unblock():
        url = database_url_for_tests()
    # One pool per session even when several modules import this fixture (pytest then keeps
    # one fixture instance per module); all are torn down together at the session's end.
    pool = _POOLS.setdefault(url, ServerPool(database_url=url))
    try:
        yield pool
    finally:
        pool.stop_all()


_POOLS: dict[str, ServerPool] = {}
