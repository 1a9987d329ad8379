"""A read never writes (issue 16 item 4): every page and endpoint that shows a map's summary
reads the stored one, or computes one in memory for a map that has none yet, and writes
nothing; making a map (new, cloned, imported) asks for its summary on commit, so the
write path stores it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from metrics.models import FlowSummary
from metrics.services import summary_recompute
from streams.services.streams import stream_clone, stream_create
from streams.services.transfer import stream_export, stream_import
from tests.factories import ActivityFactory, LinkFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")

READS = [
    "/streams/{id}/summary/",
    "/streams/{id}/summary/?partial=1",
    "/streams/{id}/summary/report.pdf",
    "/streams/{id}/board/",
    "/api/streams/{id}/summary/",
    "/api/streams/{id}/export/svg/",
    "/api/streams/{id}/export/csv/",
]


def _writes(queries: list[dict[str, Any]]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("path", READS)
def test_a_read_of_a_map_without_a_stored_summary_writes_nothing(cast: Any, path: str) -> None:
    first = ActivityFactory(stream=cast.stream, process_time=3600, wait_time=7200)
    second = ActivityFactory(stream=cast.stream, process_time=1800, wait_time=0)
    LinkFactory(stream=cast.stream, source=first, target=second)
    FlowSummary.objects.filter(stream=cast.stream).delete()
    client = Client()
    client.force_login(cast.viewer)
    client.get("/")  # the session's own writes (last login) happen before the measurement
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path.format(id=cast.stream.pk))
    assert response.status_code == 200, response.content[:300]
    assert _writes(queries.captured_queries) == []
    assert not FlowSummary.objects.filter(stream=cast.stream).exists()


def test_the_summary_computed_for_a_read_is_the_one_a_recompute_stores(cast: Any) -> None:
    ActivityFactory(stream=cast.stream, process_time=3600, wait_time=7200, pca=80)
    FlowSummary.objects.filter(stream=cast.stream).delete()
    client = Client()
    client.force_login(cast.viewer)
    read = client.get(f"/api/streams/{cast.stream.pk}/summary/").json()
    assert not FlowSummary.objects.filter(stream=cast.stream).exists()
    summary_recompute(stream_id=cast.stream.pk)
    stored = client.get(f"/api/streams/{cast.stream.pk}/summary/").json()
    for figure in ("lead_time", "process_time", "wait_time", "flow_efficiency", "rolled_pca"):
        assert read[figure] == stored[figure], figure
    assert read["seq"] == stored["seq"] and read["stale"] is stored["stale"] is False


@pytest.mark.parametrize("how", ["new", "clone", "import"])
def test_making_a_map_asks_for_its_summary_on_commit(
    cast: Any, how: str, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    """With Celery eager, the on-commit request stores the summary at once."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ActivityFactory(stream=cast.stream, process_time=3600, wait_time=7200)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "new":
            made = stream_create(
                actor=cast.facilitator, data={"workshop": cast.workshop.pk, "name": "New"}
            )
        elif how == "clone":
            made = stream_clone(actor=cast.facilitator, stream_id=cast.stream.pk)
        else:
            document = stream_export(actor=cast.facilitator, stream_id=cast.stream.pk)
            made = stream_import(
                actor=cast.facilitator, workshop_id=cast.workshop.pk, document=document
            )
    summary = FlowSummary.objects.get(stream=made)
    assert summary.seq == made.seq
    if how != "new":
        assert summary.data["lead_time"] == 3600 + 7200
