"""Filling a new stream from a starter map (streams.starters)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from streams.services.board import board_create
from streams.starters import STARTER_NOTE, STARTERS_BY_KEY, Starter

SECONDS_PER_HOUR = 3600
COLUMN_WIDTH, LANE_HEIGHT, LEFT, TOP = 220, 200, 40, 80


def starter_get(key: str) -> Starter:
    """The starter named `key`; ValidationError on `starter` for any other key."""
    starter = STARTERS_BY_KEY.get(key)
    if starter is None:
        raise ValidationError({"starter": ["Choose one of the starter maps."]})
    return starter


@transaction.atomic
def stream_start_from(*, actor: User, stream_id: int, key: str) -> Starter:
    """Puts the starter's activities, links and a note saying it is a starter on the stream,
    each through `board_create` (so each is an op on the board's log, checked like any edit:
    the actor must be allowed to edit the stream). The empty starter writes nothing."""
    starter = starter_get(key)
    ids: list[int] = []
    for order, step in enumerate(starter.steps):
        op = board_create(
            actor=actor,
            kind="activity",
            stream_id=stream_id,
            data={
                "title": step.title,
                "team": step.team,
                "process_time": step.process * SECONDS_PER_HOUR,
                "wait_time": step.wait * SECONDS_PER_HOUR,
                "pca": step.pca,
                "order": order,
                "lane": step.lane,
                "x": LEFT + COLUMN_WIDTH * step.column,
                "y": TOP + LANE_HEIGHT * step.lane,
            },
        )
        ids.append(op.data["id"])
    for source, target in starter.links:
        board_create(
            actor=actor,
            kind="link",
            stream_id=stream_id,
            data={"source": ids[source], "target": ids[target]},
        )
    if starter.steps:
        lanes = max(step.lane for step in starter.steps) + 1
        board_create(
            actor=actor,
            kind="note",
            stream_id=stream_id,
            data={"text": STARTER_NOTE, "x": LEFT, "y": TOP + LANE_HEIGHT * lanes},
        )
    return starter
