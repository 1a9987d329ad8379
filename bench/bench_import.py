"""Measured flow at scale: importing 1,000,000 transitions of 100,000 work items beside
PostgreSQL's COPY of the same rows into an unlogged table (the floor), and the flow metrics
of a six-month window over them beside a plain fetch of the same transitions: cold (the
process reads the history first) and warm (it kept it, as after the first request).

Run inside `make bench` (`--only import`), or alone on a database named by DATABASE_URL:
`.venv/bin/python -m bench.bench_import` (it creates its own workshop and leaves it).
`run()` returns the figures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ITEMS = 100_000
TRANSITIONS_PER_ITEM = 10
FIRST_DAY = date(2024, 1, 1)
DAYS = 182
STATES = (
    "Backlog",
    "Ready",
    "In Dev",
    "Review",
    "Ready for QA",
    "In QA",
    "In Dev",  # a bounce back from QA
    "In QA",
    "Deploying",
    "Done",
)
REPETITIONS = 5


def write_history(path: Path, *, items: int = ITEMS) -> int:
    """A long CSV of `items` items with TRANSITIONS_PER_ITEM transitions each, created over
    DAYS days (deterministic); returns the number of transitions."""
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("item_id,state,entered_at,title,type,tags\n")
        for number in range(items):
            at = start + timedelta(minutes=(number * 2621) % (DAYS * 24 * 60))
            kind = ("Story", "Bug", "Story", "Task")[number % 4]
            tags = "Security" if number % 17 == 0 else "Tech Debt" if number % 13 == 0 else ""
            for index, state in enumerate(STATES):
                at += timedelta(hours=1 + (number * 7 + index * 13) % 40)
                stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
                if index == 0:
                    out.write(f"W{number},{state},{stamp},Item {number},{kind},{tags}\n")
                else:
                    out.write(f"W{number},{state},{stamp},,,\n")
                count += 1
    return count


def _floor_copy(path: Path) -> float:
    """Seconds to COPY the file's rows into an unlogged table: the database's own floor."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_floor")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_import_floor (item_id text, state text, "
            "entered_at timestamptz, title text, type text, tags text)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.cursor.copy(
                "COPY bench_import_floor FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_floor")
    return elapsed


def _import(path: Path, workshop_id: int, actor: Any) -> tuple[float, Any]:
    from django.core.files import File
    from django.test import override_settings

    from workitems.services import work_item_import_create

    with path.open("rb") as source, override_settings(VSM_IMPORT_INLINE_BYTES=1 << 40):
        upload = File(source, name="history.csv")
        started = time.perf_counter()
        record = work_item_import_create(actor=actor, workshop_id=workshop_id, upload=upload)
        elapsed = time.perf_counter() - started
    if record.status != "done":
        raise RuntimeError(f"the import failed: {record.errors[:3]}")
    return elapsed, record


def _median(action: Any, repetitions: int) -> float:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def run(*, items: int = ITEMS, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Imports the history into a new workshop and times it all; returns the figures."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from metrics import selectors
    from metrics.measured import measured_flow
    from metrics.selectors import work_history
    from workshops.services import workshop_create

    user, _ = get_user_model().objects.get_or_create(username="bench-importer")
    workshop = workshop_create(actor=user, data={"title": "Bench: measured flow"})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        transitions = write_history(path, items=items)
        size = path.stat().st_size
        floor_s = _floor_copy(path)
        import_s, record = _import(path, workshop.pk, user)
        reimport_s, _ = _import(path, workshop.pk, user)  # the same export again: an upsert
    assert record.transitions == transitions, (record.transitions, transitions)

    end = FIRST_DAY + timedelta(days=DAYS - 1)
    as_of = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    def metrics() -> dict[str, Any]:
        return measured_flow(
            work_history(workshop.pk), start=FIRST_DAY, end=end, as_of=as_of, interval="week"
        )

    def cold_metrics() -> dict[str, Any]:
        selectors._TRANSITIONS_CACHE.clear()  # as a process that has not read it yet
        return metrics()

    def fetch() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.item_id, t.state_id, t.entered_at FROM workitems_transition t "
                "JOIN workitems_workitem w ON w.id = t.item_id WHERE w.workshop_id = %s",
                [workshop.pk],
            )
            return len(cursor.fetchall())

    cold_s = _median(cold_metrics, repetitions)
    metrics_s = _median(metrics, repetitions)
    history = work_history(workshop.pk)
    compute_s = _median(
        lambda: measured_flow(history, start=FIRST_DAY, end=end, as_of=as_of, interval="week"),
        repetitions,
    )
    fetch_s = _median(fetch, repetitions)
    velocity = metrics()["velocity"]["total"]
    return {
        "items": items,
        "transitions": transitions,
        "file_mib": round(size / 1024 / 1024, 1),
        "import_s": round(import_s, 2),
        "reimport_s": round(reimport_s, 2),
        "copy_floor_s": round(floor_s, 2),
        "import_ratio": round(import_s / floor_s, 2),
        "import_transitions_per_s": round(transitions / import_s),
        "flow_metrics_s": round(metrics_s, 3),
        "flow_metrics_cold_s": round(cold_s, 3),
        "flow_metrics_compute_s": round(compute_s, 3),
        "plain_fetch_s": round(fetch_s, 3),
        "flow_metrics_cold_ratio_to_fetch": round(cold_s / fetch_s, 2),
        "velocity": velocity,
    }


def main() -> None:
    import django

    from vsm_site import use_default_settings

    use_default_settings()
    django.setup()
    figures = run()
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
