"""Many clients editing the same notes at once all converge to the database's state."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.models import Op
from streams.selectors import board_snapshot
from streams.services import op_apply
from tests.stack import servers
from tests.stack.clients import SocketClient, board_of, member_tokens, socket_headers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
asgi_servers = servers.asgi_servers

CLIENTS = 20
OPS_PER_CLIENT = 100
IN_FLIGHT = 4


@pytest.fixture
def seeded(cast: Any) -> list[int]:
    """Five notes every client starts editing."""
    return [
        op_apply(
            actor=cast.facilitator,
            stream_id=cast.stream.pk,
            op="note.create",
            data={"text": f"seed {i}", "x": 100 * i},
        ).data["id"]
        for i in range(5)
    ]


def next_op(rng: random.Random, notes: list[int]) -> tuple[str, dict[str, Any]]:
    """A random op on one of the notes the client knows (creates keep some around)."""
    roll = rng.random()
    if not notes or roll < 0.15:
        return "note.create", {"text": f"n{rng.randrange(10**6)}", "x": rng.uniform(0, 900)}
    note = rng.choice(notes)
    if roll < 0.5:
        fields = rng.choice([{"text": f"t{rng.randrange(1000)}"}, {"color": "#a7f3d0"}])
        return "note.update", {"id": note, **fields}
    if roll < 0.9:
        return "note.move", {"id": note, "x": rng.uniform(0, 900), "y": rng.uniform(0, 600)}
    return "note.delete", {"id": note}


async def edit(client: SocketClient, rng: random.Random) -> list[dict[str, Any]]:
    """Sends OPS_PER_CLIENT ops with at most IN_FLIGHT unanswered; returns the answers."""
    answers: list[dict[str, Any]] = []
    waiting: set[asyncio.Future[dict[str, Any]]] = set()
    for _ in range(OPS_PER_CLIENT):
        waiting.add(await client.op(*next_op(rng, list(client.replica.objects["notes"]))))
        if len(waiting) >= IN_FLIGHT:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            answers.extend(future.result() for future in done)
    answers.extend(await asyncio.gather(*waiting))
    return answers


async def test_twenty_clients_times_a_hundred_ops_converge_to_the_database(
    need_postgres, need_redis, cast, seeded, asgi_servers
):
    pair = asgi_servers.get(2)
    keys = await database_sync_to_async(member_tokens)(cast.workshop, CLIENTS)
    path = f"/ws/streams/{cast.stream.pk}/"
    clients = [
        SocketClient(pair[i % 2].ws_url(path), socket_headers(pair[i % 2].origin, key))
        for i, key in enumerate(keys)
    ]
    await asyncio.gather(*(client.connect() for client in clients))

    started = time.monotonic()
    answers = await asyncio.gather(
        *(edit(client, random.Random(seed)) for seed, client in enumerate(clients))
    )
    elapsed = time.monotonic() - started
    flat = [answer for per_client in answers for answer in per_client]
    assert len(flat) == CLIENTS * OPS_PER_CLIENT
    # Racing a delete is the only expected failure (an op on a note someone just removed).
    assert {a["reason"] for a in flat if a["type"] == "rejected"} <= {"not_found"}, elapsed

    seqs = await database_sync_to_async(
        lambda: list(Op.objects.filter(stream=cast.stream).values_list("seq", flat=True))
    )()
    assert seqs == list(range(1, len(seqs) + 1))  # the op log has no gap
    assert len(seqs) == 5 + sum(a["type"] == "applied" for a in flat)
    await asyncio.gather(*(client.wait_seq(seqs[-1]) for client in clients))

    truth = board_of(
        await database_sync_to_async(board_snapshot)(
            user=cast.facilitator, stream_id=cast.stream.pk
        )
    )
    for client in clients:
        assert not client.errors
        assert client.replica.board() == truth
    await asyncio.gather(*(client.close() for client in clients))
