"""The processes a bench run starts: ASGI servers, a Celery worker, the bare relay, load
generators; and the database it runs on. Everything started here is stopped by `stop_all()`.

Every child runs in its own session (a Ctrl-C reaches only the orchestrator, which then stops
them in order) and gets SIGTERM if the orchestrator dies (PR_SET_PDEATHSIG), so nothing
outlives a run. Only loopback addresses are used.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PR_SET_PDEATHSIG = 1

_started: list[subprocess.Popen[Any]] = []


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start(
    args: list[str],
    *,
    env: dict[str, str],
    stdin: int | IO[Any] | None = None,
    stdout: int | IO[Any] | None = None,
    log: Path | None = None,
) -> subprocess.Popen[Any]:
    """Starts a child that is stopped by `stop_all()` (and by the orchestrator's death)."""
    stderr: Any = subprocess.DEVNULL
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        stderr = log.open("ab")
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdin=stdin,
        stdout=stdout if stdout is not None else stderr,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 (needed for PR_SET_PDEATHSIG)
        text=stdout == subprocess.PIPE,
    )
    _started.append(process)
    return process


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM to the child's process group, SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    if process in _started:
        _started.remove(process)


def stop_all() -> None:
    for process in reversed(list(_started)):
        stop(process)


def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout} s")


@dataclass
class CpuMeter:
    """CPU time of some processes (with their children) over a window, in % of one core."""

    pids: list[int]
    _start: dict[int, float] = field(default_factory=dict)
    _started_at: float = 0.0

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            process = psutil.Process(pid)
            total = sum(process.cpu_times()[:2])
            for child in process.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += sum(child.cpu_times()[:2])
            return total
        except psutil.NoSuchProcess:
            return 0.0

    def begin(self) -> None:
        self._start = {pid: self._cpu(pid) for pid in self.pids}
        self._started_at = time.monotonic()

    def end(self) -> dict[int, float]:
        elapsed = max(1e-9, time.monotonic() - self._started_at)
        return {
            pid: round(100 * (self._cpu(pid) - self._start.get(pid, 0.0)) / elapsed, 1)
            for pid in self.pids
        }


def environment(*, database_url: str, redis_base: str, settings: str) -> dict[str, str]:
    """The environment of every process of the benchmarked stack.

    Redis databases 10-12 keep the bench's channel layer, broker and cache apart from the
    test suite's (0-2), so a bench worker never takes a test's task.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=f"{redis_base}/10",
        CHANNELS_REDIS_URL=f"{redis_base}/11",
        CELERY_BROKER_URL=f"{redis_base}/10",
        CACHE_REDIS_URL=f"{redis_base}/12",
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def start_server(
    env: dict[str, str], *, log: Path, extra: list[str] | None = None
) -> tuple[subprocess.Popen[Any], int]:
    """One uvicorn process (one worker) serving the ASGI app on a free loopback port."""
    port = free_port()
    process = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "vsm_site.asgi:application",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--ws",
            "websockets-sansio",
            "--ws-max-size",
            str(1024 * 1024),
            *(extra or []),
        ],
        env=env,
        log=log,
    )
    wait_for_port(port, process)
    return process, port


def start_relay(*, log: Path) -> tuple[subprocess.Popen[Any], int]:
    port = free_port()
    process = start(
        [sys.executable, "-m", "bench.relay", "--port", str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        log=log,
    )
    wait_for_port(port, process)
    return process, port


def start_worker(env: dict[str, str], *, log: Path) -> subprocess.Popen[Any]:
    return start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vsm_site",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        env=env,
        log=log,
    )
