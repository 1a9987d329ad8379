"""The summary page states the rework model and lists the rework loops it counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from metrics.services import summary_recompute
from streams.models import LinkKind
from tests.factories import ActivityFactory, LinkFactory

pytestmark = pytest.mark.django_db
HOUR = 3600


def test_the_summary_says_how_rework_loops_count_and_lists_each_loop(cast: Any) -> None:
    build = ActivityFactory(stream=cast.stream, title="Build", process_time=4 * HOUR, wait_time=0)
    test = ActivityFactory(
        stream=cast.stream, title="Test", process_time=2 * HOUR, wait_time=0, pca=70
    )
    LinkFactory(stream=cast.stream, source=build, target=test)
    LinkFactory(stream=cast.stream, source=test, target=build, kind=LinkKind.REWORK)
    summary_recompute(stream_id=cast.stream.pk)
    client = Client()
    client.force_login(cast.viewer)

    body = " ".join(client.get(f"/streams/{cast.stream.pk}/summary/").content.decode().split())

    assert "where a rework loop sends its work back to an earlier step" in body
    assert "Rework loops never lengthen the critical path" in body
    # 30% of Build + Test (6h) runs again: 1h 48m expected.
    assert "Test sends 30% back to Build: 6h runs again, <strong>1h 48m</strong> expected." in body
