"""Every board service through `verify_op` (tests/streams/verify.py): its frames are strict
JSON, follow on in seq order, and rebuild, on the board each member had before, the board a
fresh snapshot shows after (issue 16 item 7)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from streams.models import LinkKind
from streams.services import board, streams
from streams.services.board import OpRequest, ops_apply
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    NoteFactory,
    VoteFactory,
    WasteFactory,
)
from tests.streams.verify import verify_op
from workitems.models import WorkState

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Any) -> SimpleNamespace:
    """A board with one object of every kind; the participant has cast a dot."""
    stream = cast.stream
    first = ActivityFactory(stream=stream, order=0)
    second = ActivityFactory(stream=stream, order=1)
    third = ActivityFactory(stream=stream, order=2)
    waste = WasteFactory(stream=stream, activity=first)
    return SimpleNamespace(
        cast=cast,
        stream=stream,
        first=first,
        second=second,
        third=third,
        link=LinkFactory(stream=stream, source=first, target=second),
        waste=waste,
        countermeasure=CountermeasureFactory(waste=waste),
        note=NoteFactory(stream=stream),
        vote=VoteFactory(waste=waste, member=cast.membership("participant")),
        state=WorkState.objects.create(
            workshop=cast.workshop, name="In Dev", order=0, flow_state="active"
        ),
    )


def _calls(w: SimpleNamespace) -> dict[str, Callable[[], Any]]:
    c, s = w.cast, w.stream.pk
    return {
        "board_create (note)": lambda: board.board_create(
            actor=c.participant, kind="note", stream_id=s, data={"text": "Hi", "x": 1.5}
        ),
        "board_create (waste)": lambda: board.board_create(
            actor=c.participant,
            kind="waste",
            stream_id=s,
            data={"text": "Wait", "activity": w.first.pk},
        ),
        "board_create (countermeasure)": lambda: board.board_create(
            actor=c.participant,
            kind="countermeasure",
            stream_id=s,
            data={"waste": w.waste.pk, "title": "Fix"},
        ),
        "activity_create": lambda: board.activity_create(
            actor=c.participant, stream_id=s, data={"title": "Test", "wait_time": 3600}
        ),
        "link_create": lambda: board.link_create(
            actor=c.participant, stream_id=s, data={"source": w.second.pk, "target": w.third.pk}
        ),
        "link_create (rework loop)": lambda: board.link_create(
            actor=c.facilitator,
            stream_id=s,
            data={"source": w.second.pk, "target": w.first.pk, "kind": LinkKind.REWORK},
        ),
        "vote_create": lambda: board.vote_create(actor=c.participant, waste_id=w.waste.pk),
        "vote_create (on the board)": lambda: board.vote_create(
            actor=c.facilitator, waste_id=w.waste.pk, stream_id=s
        ),
        "board_update": lambda: board.board_update(
            actor=c.participant,
            kind="note",
            object_id=w.note.pk,
            data={"text": "Changed", "version": 1},
        ),
        "activity_update": lambda: board.activity_update(
            actor=c.participant,
            activity_id=w.first.pk,
            data={"lead_time_min": 60, "lead_time_max": 120},
        ),
        "board_move": lambda: board.board_move(
            actor=c.participant, kind="activity", object_id=w.second.pk, data={"x": 300, "lane": 1}
        ),
        "board_delete": lambda: board.board_delete(
            actor=c.participant, kind="note", object_id=w.note.pk
        ),
        "board_delete (an activity and what cascades)": lambda: board.board_delete(
            actor=c.participant, kind="activity", object_id=w.first.pk
        ),
        "board_delete (a waste, its dots and countermeasures)": lambda: board.board_delete(
            actor=c.participant, kind="waste", object_id=w.waste.pk
        ),
        "link_delete": lambda: board.link_delete(actor=c.participant, link_id=w.link.pk),
        "vote_delete": lambda: board.vote_delete(actor=c.participant, vote_id=w.vote.pk),
        "op_apply": lambda: board.op_apply(
            actor=c.participant, stream_id=s, op="note.move", data={"id": w.note.pk, "x": 9, "y": 9}
        ),
        "op_apply (state.update)": lambda: board.op_apply(
            actor=c.facilitator,
            stream_id=s,
            op="state.update",
            data={"id": w.state.pk, "activity": w.second.pk},
        ),
        "ops_apply (group commit)": lambda: ops_apply(
            stream_id=s,
            requests=[
                OpRequest(actor=c.participant, op="note.create", data={"text": "a"}, client_id="a"),
                OpRequest(
                    actor=c.viewer, op="note.create", data={"text": "refused"}, client_id="b"
                ),
                OpRequest(
                    actor=c.participant, op="vote.create", data={"waste": w.waste.pk}, client_id="c"
                ),
                OpRequest(
                    actor=c.facilitator,
                    op="activity.update",
                    data={"id": w.second.pk, "title": "B"},
                ),
                OpRequest(
                    actor=c.participant, op="note.delete", data={"id": w.note.pk}, client_id="d"
                ),
            ],
        ),
        "stream_update": lambda: streams.stream_update(
            actor=c.facilitator, stream_id=s, data={"name": "Renamed", "locked": True}
        ),
        "stream_update (reveal the dots)": lambda: streams.stream_update(
            actor=c.facilitator, stream_id=s, data={"votes_revealed": True}
        ),
        "workshop_update_announce": lambda: _announce(w),
    }


def _announce(w: SimpleNamespace) -> None:
    w.cast.workshop.title = "Onboarding, again"
    w.cast.workshop.save()
    streams.workshop_update_announce(workshop=w.cast.workshop, actor=w.cast.facilitator)


SERVICES = list(_calls(SimpleNamespace(cast=None, stream=SimpleNamespace(pk=0))))


@pytest.mark.parametrize("name", SERVICES)
def test_the_frames_of_every_board_service_rebuild_the_board_every_member_sees(world, name):
    call = _calls(world)[name]
    cast = world.cast
    verify_op(
        call, stream_id=world.stream.pk, watchers=[cast.facilitator, cast.participant, cast.viewer]
    )


def test_verify_op_fails_for_a_frame_that_is_not_json(world, monkeypatch):
    from decimal import Decimal

    from streams.kinds import NOTE, Kind

    real = Kind.data
    monkeypatch.setattr(
        Kind,
        "data",
        lambda kind, obj: {**real(kind, obj), "x": Decimal("1.5")}
        if kind is NOTE
        else real(kind, obj),
    )
    with pytest.raises(TypeError, match="Decimal"):
        verify_op(
            _calls(world)["board_create (note)"],
            stream_id=world.stream.pk,
            watchers=[world.cast.participant],
        )


def test_verify_op_fails_for_frames_that_do_not_rebuild_the_board(world, monkeypatch):
    from streams.kinds import NOTE, Kind

    real = Kind.data
    monkeypatch.setattr(
        Kind,
        "data",
        lambda kind, obj: {**real(kind, obj), "text": "stale"} if kind is NOTE else real(kind, obj),
    )
    with pytest.raises(AssertionError):
        verify_op(
            _calls(world)["board_update"],
            stream_id=world.stream.pk,
            watchers=[world.cast.participant],
        )


def test_verify_op_fails_when_a_dot_reaches_members_who_may_not_see_it(world, monkeypatch):
    from streams import events

    monkeypatch.setattr(events, "_SECRET_PARTS", {})  # no redaction of vote ops
    with pytest.raises(AssertionError):
        verify_op(
            _calls(world)["vote_create"],
            stream_id=world.stream.pk,
            watchers=[world.cast.participant, world.cast.facilitator],
        )
