"""Numbers no float can hold (a JSON integer literal like 10**400, 401 digits) are `invalid`
(400 over REST), never a server error: on the board socket (cursor, follow, every numeric
field of every op), over REST (every numeric field of every kind, the workshop's numbers,
the work states' order) and in the stream import file.

Every request here is JSON text with the literal digits (json.dumps writes ints exactly)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from streams.kinds import KINDS
from tests.factories import WasteFactory
from tests.stack.clients import close_communicators, connected
from vsm_site.validation import Integer, Number
from workitems.models import WorkState

HUGE = {"10**400": 10**400, "-10**400": -(10**400)}

# The least a create of each kind needs besides the number under test ({waste}: a waste's id).
MINIMAL = {
    "activity": {"title": "Build"},
    "waste": {"text": "Queue"},
    "countermeasure": {"waste": "{waste}", "title": "Automate"},
    "note": {"text": "Why?"},
}
NUMERIC_FIELDS = [
    (kind.name, name)
    for kind in KINDS.values()
    for name, rule in kind.spec.items()
    if isinstance(rule, Number | Integer)
]


def _body(kind: str, name: str, value: int, waste: int) -> dict[str, Any]:
    body = {key: waste if item == "{waste}" else item for key, item in MINIMAL[kind].items()}
    return {**body, name: value}


def test_every_kind_with_numbers_is_covered():
    assert {kind for kind, _ in NUMERIC_FIELDS} == set(MINIMAL)
    assert ("activity", "process_time") in NUMERIC_FIELDS and ("note", "x") in NUMERIC_FIELDS


# REST -------------------------------------------------------------------------------------


def _send(client: Any, method: str, url: str, body: Any) -> Any:
    text = json.dumps(body)
    assert "0" * 400 in text  # the literal digits, not a float
    return getattr(client, method)(url, text, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("huge", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize(
    ("kind", "name"), NUMERIC_FIELDS, ids=[f"{k}.{n}" for k, n in NUMERIC_FIELDS]
)
def test_a_number_beyond_any_float_is_a_400_on_its_field_over_rest(
    cast, client_for, huge, kind, name
):
    client = client_for(cast.participant)
    waste = WasteFactory(stream=cast.stream)
    plural = KINDS[kind].plural
    created = _send(
        client, "post", f"/api/streams/{cast.stream.pk}/{plural}/",
        _body(kind, name, HUGE[huge], waste.pk),
    )  # fmt: skip
    assert created.status_code == 400 and name in created.json()["errors"], created.content[:300]
    existing = client.post(
        f"/api/streams/{cast.stream.pk}/{plural}/",
        _body(kind, name, 1, waste.pk),
        format="json",
    )
    assert existing.status_code == 201, existing.content[:300]
    changed = _send(client, "patch", f"/api/{plural}/{existing.json()['id']}/", {name: HUGE[huge]})
    assert changed.status_code == 400 and name in changed.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("huge", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "workshops/{workshop}/timer/", {"seconds": "{huge}"}, "seconds"),
        ("post", "workshops/{workshop}/invitations/", {"role": "viewer", "max_uses": "{huge}"},
         "max_uses"),
        ("post", "workshops/{workshop}/invitations/",
         {"role": "viewer", "expires_in_days": "{huge}"}, "expires_in_days"),
        ("patch", "work-states/{state}/", {"order": "{huge}"}, "order"),
        ("patch", "workshops/{workshop}/work-states/", [{"id": "{state}", "order": "{huge}"}],
         "0.order"),
        ("post", "workshops/{workshop}/import/",
         {"format": "flowmap.stream", "version": 1, "stream": {"name": "Imported"},
          "activities": [{"ref": "a1", "title": "Intake", "process_time": "{huge}"}]},
         "activities[0].process_time"),
    ],
    ids=["timer", "max_uses", "expires_in_days", "state order", "states order", "import"],
)  # fmt: skip
def test_a_number_beyond_any_float_is_a_400_on_the_other_numeric_inputs(
    cast, client_for, huge, method, path, body, field
):
    state = WorkState.objects.create(workshop=cast.workshop, name="Doing", order=0)
    ids = {"workshop": cast.workshop.pk, "state": state.pk, "huge": HUGE[huge]}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
        return value

    response = _send(client_for(cast.facilitator), method, "/api/" + path.format(**ids), fill(body))
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"], response.json()


# The board socket -------------------------------------------------------------------------


@pytest.fixture
async def sockets(settings: Any, transactional_db: None) -> AsyncIterator[None]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield
    await close_communicators()


async def _rejected(client: Any) -> dict[str, Any]:
    rejected = (await client.until("rejected"))[-1]
    await client.send({"type": "ping"})
    await client.until("pong")  # still usable
    return rejected


@pytest.mark.usefixtures("sockets")
@pytest.mark.parametrize("huge", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize("axis", ["x", "y"])
async def test_a_cursor_beyond_any_float_is_invalid(cast, huge, axis):
    client = await connected(cast.participant, cast.stream.pk)
    await client.send({"type": "cursor", "x": 1, "y": 2, axis: HUGE[huge]})
    assert (await _rejected(client))["reason"] == "invalid"


@pytest.mark.usefixtures("sockets")
@pytest.mark.parametrize("huge", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize("axis", ["x", "y", "zoom"])
async def test_a_viewport_beyond_any_float_is_invalid(cast, huge, axis):
    client = await connected(cast.facilitator, cast.stream.pk)
    await client.send({"type": "follow", "viewport": {"x": 0, "y": 0, "zoom": 1, axis: HUGE[huge]}})
    assert (await _rejected(client))["reason"] == "invalid"


@pytest.mark.usefixtures("sockets")
@pytest.mark.parametrize("huge", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize(
    ("kind", "name"), NUMERIC_FIELDS, ids=[f"{k}.{n}" for k, n in NUMERIC_FIELDS]
)
async def test_an_op_number_beyond_any_float_is_invalid(cast, huge, kind, name):
    from channels.db import database_sync_to_async

    waste = await database_sync_to_async(WasteFactory)(stream=cast.stream)
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(
        await client.op(f"{kind}.create", _body(kind, name, HUGE[huge], waste.pk))
    )
    assert (answer["type"], answer["reason"]) == ("rejected", "invalid"), answer
    assert name in answer["errors"]
    if name in KINDS[kind].movable:
        created = await client.result(
            await client.op(f"{kind}.create", _body(kind, name, 1, waste.pk))
        )
        moved = await client.result(
            await client.op(f"{kind}.move", {"id": created["data"]["id"], name: HUGE[huge]})
        )
        assert (moved["type"], moved["reason"]) == ("rejected", "invalid"), moved
