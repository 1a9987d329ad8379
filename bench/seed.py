"""The bench's data: one workshop, participants with API tokens, and a board per scenario.

Rows are bulk-inserted (objects only, no op log): each board starts at seq 0 and every op the
load sends then goes through the services like any client's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from streams.models import Activity, Link, Note, ValueStream
from workshops.models import Membership, Role, Workshop


@dataclass
class Board:
    stream_id: int
    notes: list[int]


@dataclass
class Seed:
    tokens: list[str]  # one per participant, index = participant number
    user_ids: list[int]
    boards: dict[str, Board]


def board_create(workshop: Workshop, name: str, notes: int) -> Board:
    stream = ValueStream.objects.create(workshop=workshop, name=name)
    Note.objects.bulk_create(
        Note(stream=stream, text=f"Note {n}", x=(n % 50) * 40.0, y=(n // 50) * 40.0)
        for n in range(notes)
    )
    ids = list(Note.objects.filter(stream=stream).order_by("id").values_list("id", flat=True))
    return Board(stream_id=stream.pk, notes=ids)


def seed(*, participants: int) -> Seed:
    user_model = get_user_model()
    workshop = Workshop.objects.create(title="Bench workshop", goal="Measure")
    users = user_model.objects.bulk_create(
        user_model(username=f"bench{n}", first_name=f"Bench {n}", password="!")  # noqa: S106
        for n in range(participants)
    )
    Membership.objects.bulk_create(
        Membership(workshop=workshop, user=user, role=Role.PARTICIPANT) for user in users
    )
    tokens = Token.objects.bulk_create(Token(user=user, key=Token.generate_key()) for user in users)
    boards = {
        "fanout": board_create(workshop, "Fan-out", participants),
        "cursors": board_create(workshop, "Cursors", 10),
        "ops": board_create(workshop, "Ops", 20),
        "scaleout": board_create(workshop, "Scale-out", participants),
        "snapshot": board_create(workshop, "Snapshot", 2000),
        "summary": board_create(workshop, "Summary", 0),
    }
    summary = ValueStream.objects.get(pk=boards["summary"].stream_id)
    activities = Activity.objects.bulk_create(
        Activity(
            stream=summary,
            title=f"Step {n}",
            order=n,
            process_time=600.0 + n,
            wait_time=3600.0 * (n % 5),
            x=n * 120.0,
        )
        for n in range(40)
    )
    Link.objects.bulk_create(
        Link(stream=summary, source=first, target=second)
        for first, second in zip(activities, activities[1:], strict=False)
    )
    boards["summary"].notes = [activity.pk for activity in activities]
    return Seed(tokens=[t.key for t in tokens], user_ids=[u.pk for u in users], boards=boards)
