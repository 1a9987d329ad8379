"""One rule, one answer: every rejection of a board write is the same over REST and over the
board socket (issue 16, items 1 and 6: the same error envelope, reason and words). Each access
rule lives once, in the service; the REST views read nothing before they call it, so neither
path can tell more than the other (another member's hidden dot is "No such vote." on both,
never "not yours")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from streams.models import LinkKind, Op
from streams.services import board_update
from tests.factories import (
    ActivityFactory,
    LinkFactory,
    NoteFactory,
    StreamFactory,
    VoteFactory,
    WasteFactory,
)
from tests.stack.clients import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]

#: How REST's status reads as the socket's `reason`.
REASONS = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}
MISSING = 2**40  # an id no row has


@dataclass
class Attempt:
    """One rejected write, as `role` sends it over REST and over the cast's board socket."""

    role: str
    method: str
    url: str
    body: dict[str, Any] | None
    op: str
    data: dict[str, Any]


def _lock(cast: Any) -> None:
    cast.stream.locked = True
    cast.stream.save()


def _reveal(cast: Any) -> None:
    cast.stream.votes_revealed = True
    cast.stream.save()


def viewer_creates(cast: Any) -> Attempt:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    return Attempt("viewer", "post", url, {"text": "x"}, "note.create", {"text": "x"})


def viewer_changes(cast: Any) -> Attempt:
    note = NoteFactory(stream=cast.stream)
    data = {"text": "y"}
    return Attempt(
        "viewer", "patch", f"/api/notes/{note.pk}/", data, "note.update", {"id": note.pk, **data}
    )


def viewer_deletes(cast: Any) -> Attempt:
    note = NoteFactory(stream=cast.stream)
    return Attempt(
        "viewer", "delete", f"/api/notes/{note.pk}/", None, "note.delete", {"id": note.pk}
    )


def viewer_votes(cast: Any) -> Attempt:
    waste = WasteFactory(stream=cast.stream)
    url = f"/api/wastes/{waste.pk}/votes/"
    return Attempt("viewer", "post", url, None, "vote.create", {"waste": waste.pk})


def participant_adds_to_a_locked_board(cast: Any) -> Attempt:
    _lock(cast)
    url = f"/api/streams/{cast.stream.pk}/activities/"
    return Attempt("participant", "post", url, {"title": "x"}, "activity.create", {"title": "x"})


def participant_changes_a_locked_board(cast: Any) -> Attempt:
    activity = ActivityFactory(stream=cast.stream)
    _lock(cast)
    url = f"/api/activities/{activity.pk}/"
    return Attempt(
        "participant", "patch", url, {"x": 5}, "activity.update", {"id": activity.pk, "x": 5}
    )


def participant_deletes_from_a_locked_board(cast: Any) -> Attempt:
    waste = WasteFactory(stream=cast.stream)
    _lock(cast)
    url = f"/api/wastes/{waste.pk}/"
    return Attempt("participant", "delete", url, None, "waste.delete", {"id": waste.pk})


def participant_votes_on_a_locked_board(cast: Any) -> Attempt:
    waste = WasteFactory(stream=cast.stream)
    _lock(cast)
    url = f"/api/wastes/{waste.pk}/votes/"
    return Attempt("participant", "post", url, None, "vote.create", {"waste": waste.pk})


def a_field_out_of_its_rules(cast: Any) -> Attempt:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    return Attempt("participant", "post", url, {"text": ""}, "note.create", {"text": ""})


def an_unknown_field(cast: Any) -> Attempt:
    note = NoteFactory(stream=cast.stream)
    data = {"shade": "red"}
    return Attempt(
        "participant",
        "patch",
        f"/api/notes/{note.pk}/",
        data,
        "note.update",
        {"id": note.pk, **data},
    )


def estimates_the_wrong_way_round(cast: Any) -> Attempt:
    activity = ActivityFactory(stream=cast.stream)
    data = {"lead_time_min": 10, "lead_time_max": 5}
    url = f"/api/activities/{activity.pk}/"
    return Attempt(
        "participant", "patch", url, data, "activity.update", {"id": activity.pk, **data}
    )


def a_reference_to_another_board(cast: Any) -> Attempt:
    foreign = ActivityFactory(stream=StreamFactory(workshop=cast.workshop))
    data = {"text": "x", "activity": foreign.pk}
    url = f"/api/streams/{cast.stream.pk}/wastes/"
    return Attempt("participant", "post", url, data, "waste.create", data)


def a_change_of_a_missing_object(cast: Any) -> Attempt:
    url = f"/api/notes/{MISSING}/"
    return Attempt(
        "participant", "patch", url, {"text": "y"}, "note.update", {"id": MISSING, "text": "y"}
    )


def a_delete_of_a_missing_object(cast: Any) -> Attempt:
    url = f"/api/activities/{MISSING}/"
    return Attempt("viewer", "delete", url, None, "activity.delete", {"id": MISSING})


def a_change_of_an_object_on_a_board_one_is_not_on(cast: Any) -> Attempt:
    note = NoteFactory(stream=StreamFactory())
    data = {"text": "y"}
    return Attempt(
        "participant",
        "patch",
        f"/api/notes/{note.pk}/",
        data,
        "note.update",
        {"id": note.pk, **data},
    )


def a_delete_of_an_object_on_a_board_one_is_not_on(cast: Any) -> Attempt:
    note = NoteFactory(stream=StreamFactory())
    return Attempt(
        "viewer", "delete", f"/api/notes/{note.pk}/", None, "note.delete", {"id": note.pk}
    )


def a_vote_on_a_missing_waste(cast: Any) -> Attempt:
    url = f"/api/wastes/{MISSING}/votes/"
    return Attempt("participant", "post", url, None, "vote.create", {"waste": MISSING})


def a_vote_on_a_waste_on_a_board_one_is_not_on(cast: Any) -> Attempt:
    waste = WasteFactory(stream=StreamFactory())
    url = f"/api/wastes/{waste.pk}/votes/"
    return Attempt("viewer", "post", url, None, "vote.create", {"waste": waste.pk})


def a_vote_beyond_the_dot_budget(cast: Any) -> Attempt:
    waste = WasteFactory(stream=cast.stream)
    member = cast.membership("participant")
    for _ in range(3):  # the test settings' budget
        VoteFactory(waste=waste, member=member)
    url = f"/api/wastes/{waste.pk}/votes/"
    return Attempt("participant", "post", url, None, "vote.create", {"waste": waste.pk})


def taking_back_another_members_hidden_dot(cast: Any) -> Attempt:
    vote = VoteFactory(
        waste=WasteFactory(stream=cast.stream), member=cast.membership("participant")
    )
    return Attempt(
        "facilitator", "delete", f"/api/votes/{vote.pk}/", None, "vote.delete", {"id": vote.pk}
    )


def taking_back_another_members_dot_once_revealed(cast: Any) -> Attempt:
    vote = VoteFactory(
        waste=WasteFactory(stream=cast.stream), member=cast.membership("facilitator")
    )
    _reveal(cast)
    return Attempt(
        "participant", "delete", f"/api/votes/{vote.pk}/", None, "vote.delete", {"id": vote.pk}
    )


def taking_back_a_hidden_dot_on_a_locked_board(cast: Any) -> Attempt:
    vote = VoteFactory(
        waste=WasteFactory(stream=cast.stream), member=cast.membership("facilitator")
    )
    _lock(cast)
    return Attempt(
        "participant", "delete", f"/api/votes/{vote.pk}/", None, "vote.delete", {"id": vote.pk}
    )


def _link(cast: Any, kind: str, *, same: bool = False, back: bool = False) -> dict[str, Any]:
    first, second = (
        ActivityFactory(stream=cast.stream, order=0),
        ActivityFactory(stream=cast.stream, order=1),
    )
    if back:
        LinkFactory(stream=cast.stream, source=first, target=second)
        return {"source": second.pk, "target": first.pk, "kind": kind}
    return {"source": first.pk, "target": first.pk if same else second.pk, "kind": kind}


def a_link_to_itself(cast: Any) -> Attempt:
    data = _link(cast, LinkKind.FLOW, same=True)
    return Attempt(
        "participant", "post", f"/api/streams/{cast.stream.pk}/links/", data, "link.create", data
    )


def a_link_that_closes_a_loop(cast: Any) -> Attempt:
    data = _link(cast, LinkKind.FLOW, back=True)
    return Attempt(
        "participant", "post", f"/api/streams/{cast.stream.pk}/links/", data, "link.create", data
    )


def a_rework_loop_drawn_by_a_participant(cast: Any) -> Attempt:
    data = _link(cast, LinkKind.REWORK, back=True)
    return Attempt(
        "participant", "post", f"/api/streams/{cast.stream.pk}/links/", data, "link.create", data
    )


def a_rework_loop_that_goes_forward(cast: Any) -> Attempt:
    data = _link(cast, LinkKind.REWORK)
    return Attempt(
        "facilitator", "post", f"/api/streams/{cast.stream.pk}/links/", data, "link.create", data
    )


def a_rework_loop_removed_by_a_participant(cast: Any) -> Attempt:
    first, second = ActivityFactory(stream=cast.stream), ActivityFactory(stream=cast.stream)
    link = LinkFactory(stream=cast.stream, source=second, target=first, kind=LinkKind.REWORK)
    return Attempt(
        "participant", "delete", f"/api/links/{link.pk}/", None, "link.delete", {"id": link.pk}
    )


def a_stale_change(cast: Any) -> Attempt:
    activity = ActivityFactory(stream=cast.stream, title="Build")
    board_update(
        actor=cast.facilitator, kind="activity", object_id=activity.pk, data={"title": "Theirs"}
    )
    data = {"title": "Mine", "version": 1}
    url = f"/api/activities/{activity.pk}/"
    return Attempt(
        "participant", "patch", url, data, "activity.update", {"id": activity.pk, **data}
    )


REJECTIONS: list[tuple[Callable[[Any], Attempt], int]] = [
    (viewer_creates, 403),
    (viewer_changes, 403),
    (viewer_deletes, 403),
    (viewer_votes, 403),
    (participant_adds_to_a_locked_board, 403),
    (participant_changes_a_locked_board, 403),
    (participant_deletes_from_a_locked_board, 403),
    (participant_votes_on_a_locked_board, 403),
    (a_field_out_of_its_rules, 400),
    (an_unknown_field, 400),
    (estimates_the_wrong_way_round, 400),
    (a_reference_to_another_board, 400),
    (a_change_of_a_missing_object, 404),
    (a_delete_of_a_missing_object, 404),
    (a_change_of_an_object_on_a_board_one_is_not_on, 404),
    (a_delete_of_an_object_on_a_board_one_is_not_on, 404),
    (a_vote_on_a_missing_waste, 404),
    (a_vote_on_a_waste_on_a_board_one_is_not_on, 404),
    (a_vote_beyond_the_dot_budget, 400),
    (taking_back_another_members_hidden_dot, 404),
    (taking_back_another_members_dot_once_revealed, 403),
    (taking_back_a_hidden_dot_on_a_locked_board, 404),
    (a_link_to_itself, 400),
    (a_link_that_closes_a_loop, 400),
    (a_rework_loop_drawn_by_a_participant, 403),
    (a_rework_loop_that_goes_forward, 400),
    (a_rework_loop_removed_by_a_participant, 403),
    (a_stale_change, 409),
]


def _over_rest(user: Any, attempt: Attempt) -> tuple[int, dict[str, Any]]:
    client = APIClient()
    client.force_authenticate(user)
    response = getattr(client, attempt.method)(attempt.url, attempt.body, format="json")
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("make", "status"), REJECTIONS, ids=[make.__name__ for make, _ in REJECTIONS]
)
async def test_every_rejection_answers_the_same_over_rest_and_the_socket(
    cast, settings, make, status
):
    settings.VSM_DOT_BUDGET = 3
    attempt = await database_sync_to_async(make)(cast)
    user = cast.user(attempt.role)
    ops_before = await database_sync_to_async(Op.objects.count)()

    rest_status, rest = await database_sync_to_async(_over_rest)(user, attempt)
    client = await connected(user, cast.stream.pk)
    answer = await client.result(await client.op(attempt.op, attempt.data))
    await client.close()

    assert rest_status == status, rest
    assert (answer["type"], answer["reason"]) == ("rejected", REASONS[status]), answer
    # One envelope: the socket's frame is REST's body with its `type` and `id`, member for
    # member (reason, detail in words, errors per field; a conflict's fields, current, by).
    assert {name: value for name, value in answer.items() if name not in ("type", "id")} == rest
    assert await database_sync_to_async(Op.objects.count)() == ops_before
