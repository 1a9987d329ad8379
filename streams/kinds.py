"""The kinds of object on a board: their writable fields and rules, and their canonical JSON.

The canonical JSON (`Kind.data`) is what REST returns and what `applied` frames carry, so
every client sees one shape for one object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models

from streams.models import (
    Activity,
    Breadth,
    Countermeasure,
    CountermeasureStatus,
    Link,
    LinkKind,
    Note,
    NoteKind,
    Vote,
    Waste,
    WasteCategory,
)
from vsm_site.validation import Choice, Color, Field, Integer, Number, Reference, Text

# Ops of these kinds never change the flow summary: they ask for no recompute and leave the
# stored summary current.
FLOW_NEUTRAL_OPS = ("note.",)
COORDINATE = Number(minimum=-1e6, maximum=1e6)
SECONDS = Number(minimum=0, maximum=1e10)  # about 317 years: enough for any real wait

READ_ONLY = ("id", "version", "stream", "created_at", "updated_at", "votes", "member")


@dataclass(frozen=True)
class Kind:
    """One kind of board object. `refs` maps writable reference fields to the model they name;
    the service checks that each named object lives in the same stream. `movable` are the
    fields a `<kind>.move` op may set. `stream_collection`: REST lists and adds it at
    `/api/streams/<id>/<plural>/` (a dot is cast on its waste instead).

    The table describes plain fields; a kind's rule beyond them (an activity's estimates,
    a link's loops, a dot's budget and secrecy) is a named service of
    `streams.services.board` (`activity_create`, `link_create`, `vote_create`, ...)."""

    name: str
    model: type[models.Model]
    spec: dict[str, Field]
    output: tuple[str, ...]
    plural: str
    refs: dict[str, type[models.Model]] = field(default_factory=dict)
    movable: tuple[str, ...] = ("x", "y")
    updatable: bool = True
    stream_collection: bool = True

    def data(self, obj: models.Model) -> dict[str, Any]:
        """The canonical JSON of `obj` (references as ids)."""
        return {name: getattr(obj, attname) for name, attname in self._attnames}

    def rows(self, objects: models.QuerySet) -> list[dict[str, Any]]:
        """The canonical JSON of every object in `objects`, read as plain rows (no model
        instances: a board's snapshot is thousands of them)."""
        names = [name for name, _ in self._attnames]
        attnames = [attname for _, attname in self._attnames]
        return [dict(zip(names, row, strict=True)) for row in objects.values_list(*attnames)]

    @property
    def _attnames(self) -> tuple[tuple[str, str], ...]:
        cached = self.__dict__.get("_attnames_cache")
        if cached is None:
            # The output names are the model's own columns, never a reverse relation.
            cached = tuple(
                (name, cast("models.Field[Any, Any]", self.model._meta.get_field(name)).attname)
                for name in self.output
            )
            object.__setattr__(self, "_attnames_cache", cached)
        return cached


ACTIVITY = Kind(
    name="activity",
    plural="activities",
    model=Activity,
    spec={
        "title": Text(required=True, max_length=200, blank=False),
        "description": Text(max_length=4000),
        "team": Text(max_length=100),
        "lane": Integer(minimum=0, maximum=100),
        "x": COORDINATE,
        "y": COORDINATE,
        "order": Integer(minimum=0, maximum=1_000_000),
        "process_time": SECONDS,
        "wait_time": SECONDS,
        "pca": Number(minimum=0, maximum=100),
        "lead_time_min": Number(minimum=0, maximum=1e10, nullable=True),
        "lead_time_max": Number(minimum=0, maximum=1e10, nullable=True),
        "color": Color(),
    },
    output=(
        "id",
        "title",
        "description",
        "team",
        "lane",
        "x",
        "y",
        "order",
        "process_time",
        "wait_time",
        "pca",
        "lead_time_min",
        "lead_time_max",
        "color",
        "version",
    ),
    movable=("x", "y", "lane", "order"),
)

LINK = Kind(
    name="link",
    plural="links",
    model=Link,
    spec={
        "source": Reference(required=True),
        "target": Reference(required=True),
        "kind": Choice(choices=tuple(LinkKind.values)),
    },
    output=("id", "source", "target", "kind", "version"),
    refs={"source": Activity, "target": Activity},
    movable=(),
    updatable=False,
)

WASTE = Kind(
    name="waste",
    plural="wastes",
    model=Waste,
    spec={
        "text": Text(required=True, max_length=500, blank=False),
        "category": Choice(choices=tuple(WasteCategory.values)),
        "activity": Reference(nullable=True),
        "x": COORDINATE,
        "y": COORDINATE,
    },
    output=("id", "text", "category", "activity", "x", "y", "version"),
    refs={"activity": Activity},
)

COUNTERMEASURE = Kind(
    name="countermeasure",
    plural="countermeasures",
    model=Countermeasure,
    spec={
        "waste": Reference(required=True),
        "title": Text(max_length=200),
        "current_condition": Text(max_length=2000),
        "future_condition": Text(max_length=2000),
        "measure": Text(max_length=2000),
        "breadth": Choice(choices=tuple(Breadth.values)),
        "effort": Integer(minimum=1, maximum=5),
        "difficulty": Integer(minimum=1, maximum=5),
        "owner": Text(max_length=100),
        "status": Choice(choices=tuple(CountermeasureStatus.values)),
        "x": COORDINATE,
        "y": COORDINATE,
    },
    output=(
        "id",
        "waste",
        "title",
        "current_condition",
        "future_condition",
        "measure",
        "breadth",
        "effort",
        "difficulty",
        "owner",
        "status",
        "x",
        "y",
        "version",
    ),
    refs={"waste": Waste},
)

NOTE = Kind(
    name="note",
    plural="notes",
    model=Note,
    spec={
        "text": Text(required=True, max_length=1000, blank=False),
        "kind": Choice(choices=tuple(NoteKind.values)),
        "x": COORDINATE,
        "y": COORDINATE,
        "color": Color(),
    },
    output=("id", "text", "kind", "x", "y", "color", "version"),
)

VOTE = Kind(
    name="vote",
    plural="votes",
    model=Vote,
    spec={"waste": Reference(required=True)},
    output=("id", "waste", "member"),
    refs={"waste": Waste},
    movable=(),
    updatable=False,
    stream_collection=False,
)

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (ACTIVITY, LINK, WASTE, COUNTERMEASURE, NOTE, VOTE)
}


def text_max_lengths() -> dict[str, dict[str, int]]:
    """The most characters each text field of each kind accepts, `{kind: {field: n}}`: the
    rules above, sent to the board (the `welcome` frame) so its inputs allow what the server
    does and no more."""
    return {
        kind.name: lengths
        for kind in KINDS.values()
        if (
            lengths := {
                name: rule.max_length for name, rule in kind.spec.items() if isinstance(rule, Text)
            }
        )
    }


def stream_data(stream: Any) -> dict[str, Any]:
    """The canonical JSON of a value stream, with the site-relative paths of its pages."""
    from django.urls import reverse

    return {
        "id": stream.pk,
        "workshop": stream.workshop_id,
        "name": stream.name,
        "state": stream.state,
        "based_on": stream.based_on_id,
        "locked": stream.locked,
        "votes_revealed": stream.votes_revealed,
        "seq": stream.seq,
        "board_url": reverse("stream-board", args=[stream.pk]),
        "summary_url": reverse("stream-summary", args=[stream.pk]),
    }
