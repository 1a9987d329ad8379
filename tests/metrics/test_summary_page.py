"""The summary page renders for every stream of a workshop once mappings relate to each other
(a future state, a re-mapping): the compare table links each of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from streams.services.streams import stream_clone
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db


def test_every_summary_renders_after_a_future_state_and_a_re_mapping(cast: Any) -> None:
    ActivityFactory(stream=cast.stream, title="Intake", process_time=3600, wait_time=7200)
    future = stream_clone(
        actor=cast.facilitator, stream_id=cast.stream.pk, data={"state": "future"}
    )
    again = stream_clone(
        actor=cast.facilitator,
        stream_id=cast.stream.pk,
        data={"state": "current", "name": "Re-mapped"},
    )
    client = Client()
    client.force_login(cast.viewer)
    for stream in (cast.stream, future, again):
        for partial in ("", "?partial=1"):
            response = client.get(f"/streams/{stream.pk}/summary/{partial}")
            assert response.status_code == 200, (stream.name, partial)
            body = response.content.decode()
            assert "Compared with other mappings" in body
            others = (
                {cast.stream, future, again} - {stream} if stream == cast.stream else {cast.stream}
            )
            for other in others:
                assert f'href="/streams/{other.pk}/summary/"' in body
