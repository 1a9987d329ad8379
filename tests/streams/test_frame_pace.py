"""One socket is read at a pace (streams.ratelimit `Limits.frame_pace`): past its burst, its
frames of any kind are read at most `VSM_WS_FRAME_RATE` a second. A faster sender waits; none
of its frames is refused or lost, and what it sends is answered in order."""

from __future__ import annotations

import asyncio

import pytest

from streams.ratelimit import TokenBucket
from tests.stack.clients import connected


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_owing_spends_the_burst_then_says_how_long_to_wait():
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=3, clock=clock)
    assert [bucket.owe() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.owe() == pytest.approx(0.1)  # one token short at 10 a second
    clock.now += 0.1  # the caller waited that long
    assert bucket.owe() == pytest.approx(0.1)
    clock.now += 10  # a long pause refills the burst, never beyond it
    assert [bucket.owe() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.owe() == pytest.approx(0.1)


def test_owing_never_refuses_and_the_debt_adds_up():
    bucket = TokenBucket(rate=4, burst=1, clock=Clock())
    waits = [bucket.owe() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert bucket.take() is False  # owing, the bucket has nothing to give


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("socket_tests")
async def test_a_socket_sending_faster_than_its_pace_waits_and_loses_nothing(cast, settings):
    settings.VSM_WS_FRAME_RATE = 20
    settings.VSM_WS_FRAME_BURST = 5
    client = await connected(cast.participant, cast.stream.pk)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for number in range(25):
        await client.send({"type": "ping", "id": str(number)})
    pongs = []
    while len(pongs) < 25:
        frame = await client.recv(timeout=5)
        if frame["type"] == "pong":
            pongs.append(frame["id"])
    took = loop.time() - began
    assert pongs == [str(number) for number in range(25)]  # every one, in order
    assert took >= (25 - 5) / 20 * 0.95  # 20 frames past the burst, read 20 a second


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("socket_tests")
async def test_the_welcome_states_the_reading_pace(cast, settings):
    settings.VSM_WS_FRAME_RATE = 50
    settings.VSM_WS_FRAME_BURST = 80
    client = await connected(cast.participant, cast.stream.pk)
    welcome = client.frames[0]
    assert (welcome["limits"]["frames_per_second"], welcome["limits"]["frame_burst"]) == (50, 80)
