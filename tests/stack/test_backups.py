"""Backups give back every workshop: a PostgreSQL database dumped with the machine's
`pg_dump` and restored with its `pg_restore` into a fresh database (on a private cluster,
README "Backups"), and an SQLite one through `dumpdata` / `loaddata` into a fresh file.

Each side runs in its own process on its own database: `tests.stack.backup_world` seeds
the source through the services and exports every workshop (each map's JSON export, work
states, measured flow, connections with their decrypted credentials, every table's row count)
before the backup and from the restore. The restore then takes new writes (its sequences
continue)."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.stack.private import (
    PrivatePostgres,
    _postgres_bin,
    migrated_template,
    need_private_postgres,
)
from tests.stack.servers import ROOT

pytestmark = pytest.mark.stack

# The same credentials key on both sides: a restore decrypts the trackers' tokens only with it.
CREDENTIALS_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
# Whatever the suite points at, these processes use only the database they are given, run
# tasks in process and keep nothing in Redis.
NOT_INHERITED = (
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CHANNELS_REDIS_URL",
    "CACHE_REDIS_URL",
    "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE",
)


def _environment(database_url: str) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "vsm_site.settings.test",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "VSM_CREDENTIALS_KEY": CREDENTIALS_KEY,
        "PYTHONPATH": str(ROOT),
    }


def _run(command: list[str], database_url: str, **options: Any) -> subprocess.CompletedProcess:
    options.setdefault("stdout", subprocess.PIPE)
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=_environment(database_url),
        stderr=subprocess.PIPE,
        timeout=300,
        check=False,
        **options,
    )
    assert result.returncode == 0, (
        command,
        result.stdout and result.stdout[-3000:],
        result.stderr[-3000:],
    )
    return result


def manage(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "manage.py", *arguments], database_url, text=True)


def world(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    return _run(
        [sys.executable, "-m", "tests.stack.backup_world", *arguments], database_url, text=True
    )


def world_export(database_url: str, *actions: str) -> dict[str, Any]:
    """The export `actions` print (one of them is `export AS_OF`)."""
    return json.loads(world(database_url, *actions).stdout)


def assert_a_full_world(exported: dict[str, Any]) -> None:
    """The seed made something of every kind, so an equal restore lost none of it."""
    tables = exported["tables"]
    for label in (
        "workshops.Workshop",
        "workshops.Membership",
        "streams.ValueStream",
        "streams.Activity",
        "streams.Link",
        "streams.Waste",
        "streams.Vote",
        "streams.Countermeasure",
        "streams.Note",
        "streams.Op",
        "metrics.FlowSummary",
        "workitems.WorkItem",
        "workitems.Transition",
        "workitems.WorkState",
        "workitems.StateActivity",
        "workitems.Connection",
    ):
        assert tables[label] > 0, label
    workshops = exported["workshops"]
    assert len(workshops) == 3
    maps = [stream["export"] for w in workshops.values() for stream in w["streams"].values()]
    assert len(maps) == 3
    assert any(link["kind"] == "rework" for document in maps for link in document["links"])
    demo = min(workshops, key=int)
    assert workshops[demo]["measured"]["velocity"]
    [connection] = workshops[demo]["connections"]
    assert connection["credential"] == {"token": "ghp_backup-round-trip-0123456789"}


def _as_of() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def test_pg_dump_and_pg_restore_into_a_fresh_database_give_back_every_workshop(tmp_path):
    need_private_postgres()
    pg_dump, pg_restore = _postgres_bin("pg_dump"), _postgres_bin("pg_restore")
    need(pg_dump is not None and pg_restore is not None, "PostgreSQL's pg_dump and pg_restore")
    assert pg_dump is not None and pg_restore is not None
    postgres = PrivatePostgres()
    try:
        postgres.start()
        source = postgres.url(migrated_template(postgres, "flowmap"))
        as_of = _as_of()
        before = world_export(source, "seed", "export", as_of)
        assert_a_full_world(before)

        # As README "Backups" says, through pipes as `docker compose exec -T` runs them.
        dump = tmp_path / "flowmap.dump"
        with dump.open("wb") as out:
            _run([pg_dump, "--format=custom", "--no-owner", "--dbname", source], source, stdout=out)
        postgres.execute('CREATE DATABASE "restored"')
        restored = postgres.url("restored")
        with dump.open("rb") as backup:
            _run(
                [pg_restore, "--no-owner", "--exit-on-error", "--dbname", restored],
                restored,
                stdin=backup,
            )

        assert world_export(restored, "export", as_of, "write") == before
    finally:
        postgres.destroy()


def _to_milliseconds(exported: dict[str, Any]) -> dict[str, Any]:
    """Times as dumpdata keeps them: its JSON has milliseconds, not microseconds."""
    text = json.dumps(exported, sort_keys=True)
    return json.loads(re.sub(r"(T\d\d:\d\d:\d\d\.\d{3})\d{3}", r"\g<1>000", text))


def test_dumpdata_and_loaddata_on_sqlite_give_back_every_workshop(tmp_path: Path):
    # Two fresh databases, migrated once: the source, and the one the backup is restored to.
    empty = tmp_path / "empty.sqlite3"
    manage(f"sqlite:///{empty}", "migrate", "--noinput", "-v0")
    shutil.copyfile(empty, tmp_path / "source.sqlite3")
    shutil.copyfile(empty, tmp_path / "restored.sqlite3")
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    as_of = _as_of()
    before = world_export(source, "seed", "export", as_of)
    assert_a_full_world(before)

    backup = tmp_path / "flowmap.json"
    manage(
        source,
        "dumpdata",
        "--natural-foreign",
        "--exclude=contenttypes",
        "--exclude=auth.permission",
        f"--output={backup}",
    )
    restored = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    manage(restored, "loaddata", str(backup))

    assert world_export(restored, "export", as_of, "write") == _to_milliseconds(before)
