"""Reads of value streams and their boards, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Model, QuerySet

from streams import extensions
from streams.kinds import KINDS, Kind, stream_data
from streams.models import Countermeasure, Link, Op, ValueStream, Vote, Waste
from vsm_site.errors import NotFound
from vsm_site.ids import row_id
from workshops.models import Membership
from workshops.selectors import facilitation_data, membership_get

AnyUser = AbstractBaseUser | AnonymousUser


def stream_get(*, user: AnyUser, stream_id: Any) -> tuple[ValueStream, Membership]:
    """The stream and the user's membership of its workshop. Raises the same NotFound for
    non-members as for a stream that does not exist (or an id no row can have), so existence
    is never revealed."""
    stream_id = row_id(stream_id)
    stream = ValueStream.objects.filter(pk=stream_id).first() if stream_id else None
    if stream is None:
        raise NotFound("No such value stream.")
    try:
        return stream, membership_get(user=user, workshop_id=stream.workshop_id)
    except NotFound:
        raise NotFound("No such value stream.") from None


def board_object_get(*, user: AnyUser, kind: str, object_id: Any) -> Model:
    """One board object of `kind` the user may see. Raises the same NotFound as for a missing
    object when the user is not a member of its workshop, or when it is another member's dot
    before the votes are revealed."""
    spec = KINDS[kind]
    missing = NotFound(f"No such {spec.name}.")
    object_id = row_id(object_id)
    obj = spec.model._default_manager.filter(pk=object_id).first() if object_id else None
    if obj is None:
        raise missing
    try:
        stream, membership = stream_get(user=user, stream_id=obj.stream_id)  # type: ignore[attr-defined]
    except NotFound:
        raise missing from None
    if isinstance(obj, Vote) and not vote_visible(
        voter_id=obj.member_id, membership=membership, votes_revealed=stream.votes_revealed
    ):
        raise missing
    return obj


def vote_visible(*, voter_id: int, membership: Membership, votes_revealed: bool) -> bool:
    """A dot's secrecy, the one rule every read and write of a dot asks: until the facilitator
    reveals the votes, a member (a facilitator too) sees only their own dots. A dot one may
    not see is answered as one that does not exist."""
    return votes_revealed or voter_id == membership.pk


def stream_list(*, user: AnyUser, workshop_id: int | None = None) -> QuerySet[ValueStream]:
    if not user.is_authenticated:
        return ValueStream.objects.none()
    streams = ValueStream.objects.filter(workshop__memberships__user_id=user.pk)
    if workshop_id is not None:
        streams = streams.filter(workshop_id=workshop_id)
    return streams.order_by("created_at", "id")


def board_objects(*, user: AnyUser, stream_id: Any, kind: str) -> list[dict[str, Any]]:
    """The canonical JSON of every object of `kind` on the stream."""
    stream, membership = stream_get(user=user, stream_id=stream_id)
    spec = KINDS[kind]
    return spec.rows(_objects_visible(spec, stream, membership).order_by("id"))


def _objects_visible(spec: Kind, stream: ValueStream, membership: Membership) -> QuerySet[Any]:
    """The objects of a kind on the stream that the member may see: all of them, but for a
    kind with a secret (`_SECRET_KINDS`)."""
    objects = spec.model._default_manager.filter(stream_id=stream.pk)
    secret = _SECRET_KINDS.get(spec.name)
    return objects if secret is None else secret(objects, stream=stream, membership=membership)


def votes_visible(
    votes: QuerySet[Any], *, stream: ValueStream, membership: Membership
) -> QuerySet[Any]:
    """`vote_visible` as a filter of the stream's dots."""
    return votes if stream.votes_revealed else votes.filter(member=membership)


#: The kinds whose objects not every member may see, and the filter that says which they may.
_SECRET_KINDS: dict[str, Callable[..., QuerySet[Any]]] = {"vote": votes_visible}


def vote_tally(*, stream: ValueStream, membership: Membership) -> dict[str, Any]:
    """Dots per waste once revealed (None before), the member's own dots, dots cast in all."""
    own = dict(
        Vote.objects.filter(stream=stream, member=membership)
        .values("waste_id")
        .annotate(n=Count("id"))
        .values_list("waste_id", "n")
    )
    by_waste = None
    if stream.votes_revealed:
        by_waste = dict(
            Waste.objects.filter(stream=stream).annotate(n=Count("votes")).values_list("id", "n")
        )
    return {
        "revealed": stream.votes_revealed,
        "by_waste": by_waste,
        "mine": own,
        "cast": Vote.objects.filter(stream=stream).count(),
    }


def waste_ranking(*, user: AnyUser, stream_id: Any) -> dict[str, Any]:
    """Wastes by dots, most first, and the "most annoying waste" award (every waste tied at
    the top) once the facilitator has revealed the votes; before that only the count cast."""
    stream, membership = stream_get(user=user, stream_id=stream_id)
    tally = vote_tally(stream=stream, membership=membership)
    if not stream.votes_revealed:
        return {"revealed": False, "cast": tally["cast"], "ranking": None, "award": None}
    wastes = Waste.objects.filter(stream=stream).annotate(dots=Count("votes"))
    ranking = sorted(
        ({"id": w.pk, "text": w.text, "category": w.category, "votes": w.dots} for w in wastes),
        key=lambda waste: (-waste["votes"], waste["id"]),
    )
    top = ranking[0]["votes"] if ranking else 0
    award = [waste["id"] for waste in ranking if top and waste["votes"] == top]
    return {"revealed": True, "cast": tally["cast"], "ranking": ranking, "award": award}


BREADTH_COST = {"bounded": 0, "broad": 2}


def countermeasure_backlog(*, user: AnyUser, stream_id: Any) -> list[dict[str, Any]]:
    """Countermeasures as a ranked backlog of baby steps: bounded, small and easy first.

    The size is effort + difficulty (each 1..5) plus 2 for a broad change; ties go to the
    countermeasure whose waste got more dots (once revealed), then to the older one.
    """
    stream, _ = stream_get(user=user, stream_id=stream_id)
    dots: dict[int, int] = {}
    if stream.votes_revealed:
        dots = dict(
            Waste.objects.filter(stream=stream).annotate(n=Count("votes")).values_list("id", "n")
        )
    backlog = []
    for countermeasure in Countermeasure.objects.filter(stream=stream).select_related("waste"):
        size = (
            countermeasure.effort
            + countermeasure.difficulty
            + BREADTH_COST.get(countermeasure.breadth, 0)
        )
        backlog.append(
            {
                **KINDS["countermeasure"].data(countermeasure),
                "waste_text": countermeasure.waste.text,
                "size": size,
                "waste_votes": dots.get(countermeasure.waste_id),
            }
        )
    backlog.sort(key=lambda item: (item["size"], -(item["waste_votes"] or 0), item["id"]))
    for rank, item in enumerate(backlog, 1):
        item["rank"] = rank
    return backlog


def board_snapshot(*, user: AnyUser, stream_id: Any) -> dict[str, Any]:
    """Everything on the board at or after `seq`.

    `seq` is read first, so the objects are at least as new as it; replaying later ops on
    top is harmless because every op carries the whole object (an upsert) or a delete.
    """
    stream, membership = stream_get(user=user, stream_id=stream_id)
    snapshot: dict[str, Any] = {
        "seq": stream.seq,
        "stream": stream_data(stream),
        "workshop": facilitation_data(stream.workshop),
        "me": {"member": membership.pk, "role": membership.role},
    }
    for spec in KINDS.values():
        snapshot[spec.plural] = spec.rows(_objects_visible(spec, stream, membership).order_by("id"))
    for name, provider in extensions.snapshot_parts.items():
        snapshot[name] = provider(stream, membership)
    return snapshot


def ops_since(*, stream_id: int, seq: int, limit: int) -> list[Op]:
    """Ops after `seq` in order, at most `limit` of them."""
    return list(Op.objects.filter(stream_id=stream_id, seq__gt=seq).order_by("seq")[:limit])


def link_pairs(*, stream: ValueStream, kind: str) -> list[tuple[int, int]]:
    """(source id, target id) of the stream's links of `kind` (flow, or rework loops)."""
    links = Link.objects.filter(stream=stream, kind=kind).order_by("id")
    return list(links.values_list("source_id", "target_id"))
