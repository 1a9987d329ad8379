"""Steps 6 and 8: the waste ranking with its award, and the baby-step backlog."""

import pytest

from streams.services import board_create, stream_update
from tests.factories import CountermeasureFactory, WasteFactory

pytestmark = pytest.mark.django_db


def _vote(cast, role, waste, dots=1):
    for _ in range(dots):
        board_create(
            actor=cast.user(role), kind="vote", stream_id=cast.stream.pk, data={"waste": waste.pk}
        )


def test_ranking_is_hidden_until_the_reveal(cast, client_for):
    waste = WasteFactory(stream=cast.stream)
    _vote(cast, "participant", waste, 2)
    body = client_for(cast.facilitator).get(f"/api/streams/{cast.stream.pk}/ranking/").json()
    assert body == {"revealed": False, "cast": 2, "ranking": None, "award": None}


def test_after_the_reveal_the_most_voted_wastes_share_the_award(cast, client_for):
    calm, annoying, also = (WasteFactory(stream=cast.stream) for _ in range(3))
    _vote(cast, "participant", annoying, 2)
    _vote(cast, "facilitator", also, 2)
    _vote(cast, "facilitator", calm, 1)
    stream_update(actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True})
    body = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/ranking/").json()
    assert [w["id"] for w in body["ranking"]] == [annoying.pk, also.pk, calm.pk]
    assert body["award"] == [annoying.pk, also.pk]


def test_backlog_puts_bounded_small_easy_steps_first(cast, client_for):
    waste = WasteFactory(stream=cast.stream)
    big = CountermeasureFactory(waste=waste, breadth="bounded", effort=5, difficulty=5)
    broad = CountermeasureFactory(waste=waste, breadth="broad", effort=1, difficulty=1)
    small = CountermeasureFactory(waste=waste, breadth="bounded", effort=1, difficulty=2)
    body = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/backlog/").json()
    assert [(c["id"], c["size"], c["rank"]) for c in body] == [
        (small.pk, 3, 1),
        (broad.pk, 4, 2),
        (big.pk, 10, 3),
    ]


def test_ties_in_the_backlog_go_to_the_waste_with_more_dots(cast, client_for):
    quiet, loud = WasteFactory(stream=cast.stream), WasteFactory(stream=cast.stream)
    first = CountermeasureFactory(waste=quiet, effort=2, difficulty=2)
    second = CountermeasureFactory(waste=loud, effort=2, difficulty=2)
    _vote(cast, "participant", loud, 3)
    stream_update(actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True})
    body = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/backlog/").json()
    assert [c["id"] for c in body] == [second.pk, first.pk]


def test_outsiders_see_neither(cast, client_for):
    for path in ("ranking", "backlog"):
        url = f"/api/streams/{cast.stream.pk}/{path}/"
        assert client_for(cast.outsider).get(url).status_code == 404
