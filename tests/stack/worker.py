"""A real Celery worker process against the test database and Redis, for stack tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.cache import cache

from tests.stack.servers import database_url_for_tests, server_env
from vsm_site.celery import app

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def celery_worker(*, concurrency: int = 1) -> Iterator[subprocess.Popen]:
    """Starts `celery worker` with an empty queue and no leftover debounce flags; yields the
    process once it answers a ping; stops it on exit."""
    app.control.purge()
    cache.clear()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vsm_site",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=server_env(database_url_for_tests(), {"DJANGO_LOG_LEVEL": "WARNING"}),
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
