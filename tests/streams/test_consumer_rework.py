"""Rework loops over the board socket: a facilitator's `link.create` with `kind: "rework"`
is applied to everyone with its kind; a participant's is rejected as forbidden, nothing
written."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from streams.models import Link
from tests.factories import ActivityFactory, LinkFactory
from tests.stack.clients import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def _flow(cast):
    build = await database_sync_to_async(ActivityFactory)(stream=cast.stream, order=0)
    test = await database_sync_to_async(ActivityFactory)(stream=cast.stream, order=1)
    await database_sync_to_async(LinkFactory)(stream=cast.stream, source=build, target=test)
    return build, test


async def test_a_facilitators_rework_loop_reaches_everyone_with_its_kind(cast):
    build, test = await _flow(cast)
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    viewer = await connected(cast.viewer, cast.stream.pk)

    data = {"source": test.pk, "target": build.pk, "kind": "rework"}
    answer = await facilitator.result(await facilitator.op("link.create", data))

    assert answer["type"] == "applied" and answer["data"]["kind"] == "rework"
    seen = (await viewer.until("applied"))[-1]
    assert seen["data"] == answer["data"]
    await facilitator.close()
    await viewer.close()


async def test_a_participants_rework_loop_is_forbidden_and_nothing_is_written(cast):
    build, test = await _flow(cast)
    participant = await connected(cast.participant, cast.stream.pk)

    data = {"source": test.pk, "target": build.pk, "kind": "rework"}
    answer = await participant.result(await participant.op("link.create", data))

    assert answer["type"] == "rejected" and answer["reason"] == "forbidden"
    assert "facilitator" in answer["detail"]
    assert await database_sync_to_async(Link.objects.count)() == 1
    await participant.close()
