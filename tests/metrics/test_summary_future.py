"""A future state's summary compares it with the map it is based on (`deltas`) and follows a
change of that map: an op on the current state asks for a recompute of the streams based on
it too (one level), so their boards show the new figures live."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from metrics.models import FlowSummary
from metrics.services import summary_recompute
from streams.services import board_update, stream_clone
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db
HOUR = 3600


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_a_change_of_the_current_state_recomputes_its_future_states_deltas(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    build = ActivityFactory(stream=cast.stream, process_time=HOUR, wait_time=3 * HOUR)
    future = stream_clone(actor=cast.facilitator, stream_id=cast.stream.pk)
    summary_recompute(stream_id=future.pk)
    before = FlowSummary.objects.get(stream=future).data["deltas"]["lead_time"]
    assert before == {"current": 4 * HOUR, "base": 4 * HOUR, "change": 0.0, "change_pct": 0.0}

    with django_capture_on_commit_callbacks(execute=True):
        board_update(actor=cast.participant, kind="activity", object_id=build.pk,
                     data={"wait_time": HOUR})  # fmt: skip

    after = FlowSummary.objects.get(stream=future).data["deltas"]["lead_time"]
    assert after["base"] == 2 * HOUR and after["current"] == 4 * HOUR
    assert after["change"] == 2 * HOUR and after["change_pct"] == 100.0
