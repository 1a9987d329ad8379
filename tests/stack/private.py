"""Private PostgreSQL and Redis servers that a test may restart and kill.

Other tests (and other suites on the machine) share the PostgreSQL on 5432 and the Redis on
6379, so a test that takes a service away starts its own: a PostgreSQL cluster made by
`initdb` in a temporary directory (trust authentication, loopback and a socket directory of
its own) or a `redis-server` that keeps nothing on disk, each on a free port. The processes
under test are pointed at them through their environment (`stack_env`); the test itself talks
to them with psycopg and redis-py.

As root, PostgreSQL refuses to run: the cluster then belongs to the `postgres` system user
(`runuser`). Under CI=true a missing binary fails the test (tests.conftest.need).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import need
from tests.stack.servers import ROOT, free_port


def _postgres_bin(name: str) -> str | None:
    """The newest installed PostgreSQL's `name` (Debian keeps them out of PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    return found[-1] if found else shutil.which(name)


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parts[-3]
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def need_private_postgres() -> None:
    need(_postgres_bin("initdb") is not None, "PostgreSQL's initdb (a private cluster)")
    need(_postgres_bin("pg_ctl") is not None, "PostgreSQL's pg_ctl (a private cluster)")
    if os.geteuid() == 0:
        need(shutil.which("runuser") is not None, "runuser (PostgreSQL does not run as root)")


def need_private_redis() -> None:
    need(shutil.which("redis-server") is not None, "redis-server (a private Redis)")


class PrivatePostgres:
    """A PostgreSQL cluster of its own: `start`, `restart`, `kill`, `stop`; `url(name)`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="flowmap-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        binary = _postgres_bin(tool)
        assert binary is not None
        return subprocess.run(
            [*self._as_owner, binary, *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def restart(self, mode: str = "immediate") -> None:
        """Stops the cluster (`immediate`: as a crash, every session cut, recovery on start)
        and starts it again on the same port."""
        self.stop(mode)
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(sql)

    def database_from(self, template: str, name: str) -> str:
        """A new database copied from `template`; returns its URL."""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of its own that keeps nothing on disk: `restart` loses everything."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="flowmap-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--logfile",
                str(self.root / "redis.log"),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client().ping()
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def restart(self, down_for: float = 0.0) -> None:
        """Kills it (as a crash: every connection cut, every key gone) and starts it again."""
        self.kill()
        time.sleep(down_for)
        self.start()

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def client(self, database: int = 0) -> Any:
        import redis

        return redis.Redis.from_url(self.url(database), socket_timeout=5)

    def connected_clients(self) -> int:
        """Clients connected now, this question's own connection left out."""
        with self.client() as client:
            return int(client.info("clients")["connected_clients"]) - 1

    def destroy(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def redis_env(redis: PrivateRedis) -> dict[str, str]:
    """What points a server or worker process at `redis` for everything (broker, channel
    layer, cache and limits), whatever this process's environment says."""
    return {
        "REDIS_URL": redis.url(0),
        "CELERY_BROKER_URL": redis.url(0),
        "CHANNELS_REDIS_URL": redis.url(1),
        "CACHE_REDIS_URL": redis.url(2),
    }


def migrated_template(postgres: PrivatePostgres, name: str = "flowmap_template") -> str:
    """Creates database `name` on the cluster and migrates it (a template for tests)."""
    postgres.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "vsm_site.settings.test",
            "DATABASE_URL": postgres.url(name),
            "DATABASE_CONN_MAX_AGE": "0",
        },
        check=True,
        capture_output=True,
        timeout=300,
    )
    return name
