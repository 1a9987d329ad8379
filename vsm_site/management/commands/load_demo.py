"""Load the demo workshop: a filled-in current-state map of a feature's path to production.

Idempotent: when the demo workshop exists, nothing is written. Everything goes through the
services, like any other writer.

It lives in the project (`vsm_site`), not in an app, because it composes every app:
workshops, streams and work items (tests/test_architecture.py lists it as the one command
that may).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from streams.models import ValueStream
from streams.services import board_create, stream_create, stream_update
from workitems.demo import STATE_ACTIVITIES, demo_history_csv
from workitems.models import WorkState
from workitems.services import work_item_import_create, work_state_update
from workshops.models import Membership, Role, Workshop
from workshops.services import workshop_create

DEMO_TITLE = "Demo: from idea to production"
PASSWORD = "demo-workshop"  # noqa: S105 (a published demo account)
HOUR, DAY = 3600, 8 * 3600  # a working day is 8 hours in the demo's figures
# Dots the demo leaves each voting member, whatever VSM_DOT_BUDGET is (at least one).
DOTS_LEFT = 2

# title, team, process, wait, %C&A
ACTIVITIES = [
    ("Idea intake", "Product", 1 * HOUR, 5 * DAY, 80),
    ("Prioritisation board", "Product", 2 * HOUR, 10 * DAY, 70),
    ("Refine requirements", "Product", 4 * HOUR, 3 * DAY, 60),
    ("UX design", "Design", 1 * DAY, 2 * DAY, 85),
    ("Architecture review", "Platform", 3 * HOUR, 4 * DAY, 90),
    ("Development", "Development", 4 * DAY, 1 * DAY, 75),
    ("Code review", "Development", 2 * HOUR, 2 * DAY, 90),
    ("QA testing", "QA", 2 * DAY, 3 * DAY, 70),
    ("Security review", "Security", 3 * HOUR, 6 * DAY, 95),
    ("Change approval (CAB)", "Operations", 1 * HOUR, 5 * DAY, 98),
    ("Deploy to production", "Operations", 2 * HOUR, 1 * DAY, 85),
]
# (source, target) by index: refinement forks into design and architecture, which rejoin.
LINKS = [(0, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 10)]
# text, category, activity index, dots by (facilitator, participant). Each spends 3 of the
# default 5, so a newcomer signed in as either still has dots for a first "+ dot".
WASTES = [
    ("Waiting a week for the CAB meeting", "waiting", 9, (1, 2)),
    ("Requirements bounce back from QA", "defects", 7, (1, 1)),
    ("Manual regression testing every release", "extra_processing", 7, (1, 0)),
    ("Only Brent can deploy", "non_utilized_talent", 10, (0, 0)),
    ("Features sit half-done in long-lived branches", "inventory", 5, (0, 0)),
    ("Developers switch between four projects", "motion", 5, (0, 0)),
]

WASTE_TOP, WASTE_ROW = 520, 210  # the first row of wastes, and the step between rows
COUNTERMEASURES = 2  # the first wastes of WASTES get one, placed right under them


def activity_x(index: int) -> int:
    """Each activity's column; architecture review (lane 1) sits under UX design: the
    parallel branch."""
    return 40 + 220 * (index - (1 if index >= 4 else 0))


def waste_places() -> list[tuple[int, int]]:
    """(x, y) of each waste of WASTES: under its activity, in a column per activity, a
    waste with a countermeasure last so that its countermeasure goes right under it."""
    places: list[tuple[int, int]] = [(0, 0)] * len(WASTES)
    by_activity: dict[int, list[int]] = {}
    for index, (_, _, activity, _) in enumerate(WASTES):
        by_activity.setdefault(activity, []).append(index)
    for activity, indexes in by_activity.items():
        ordered = sorted(indexes, key=lambda index: index < COUNTERMEASURES)
        for row, index in enumerate(ordered):
            places[index] = (activity_x(activity), WASTE_TOP + WASTE_ROW * row)
    return places


class Command(BaseCommand):
    help = "Load the demo workshop (safe to run again)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        existing = Workshop.objects.filter(title=DEMO_TITLE).first()
        if existing is not None:
            if not existing.work_items.exists():  # a demo loaded before measured flow existed
                self._work_items(existing)
            self.stdout.write("Demo workshop already loaded.")
            return
        users = {name: self._user(name) for name in ("facilitator", "participant", "viewer")}
        facilitator = users["facilitator"]
        workshop = workshop_create(
            actor=facilitator,
            data={
                "title": DEMO_TITLE,
                "goal": "Halve the lead time of a typical feature within two quarters.",
                "is_recent": True,
                "is_real": True,
                "has_reach": True,
                "is_representative": True,
                "is_road_tested": True,
                "choice_notes": "Last month's 'export to PDF' feature: every team touched it.",
                "phase": "prioritize",
            },
        )
        for name, role, team in (
            ("participant", Role.PARTICIPANT, "Development"),
            ("viewer", Role.VIEWER, "Leadership"),
        ):
            Membership.objects.create(workshop=workshop, user=users[name], role=role, team=team)
        stream = stream_create(
            actor=facilitator,
            data={"workshop": workshop.pk, "name": "Feature: idea to production"},
        )
        self._fill(stream, facilitator, users["participant"])
        self._work_items(workshop)
        self.stdout.write(self.style.SUCCESS(f"Loaded {DEMO_TITLE!r}. Sign in as:"))
        for name in users:
            self.stdout.write(f"  {name} / {PASSWORD}")

    def _user(self, name: str) -> Any:
        user, created = get_user_model().objects.get_or_create(
            username=name, defaults={"first_name": name.title()}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        return user

    def _work_items(self, workshop: Workshop) -> None:
        """Six months of work-item history, uploaded as a team would upload its export."""
        content = demo_history_csv(today=timezone.now().date())
        facilitator = workshop.memberships.filter(role=Role.FACILITATOR).first()
        assert facilitator is not None  # noqa: S101 (workshop_create made one)
        record = work_item_import_create(
            actor=facilitator.user,
            workshop_id=workshop.pk,
            upload=SimpleUploadedFile("demo-history.csv", content, content_type="text/csv"),
        )
        self.stdout.write(
            f"Imported {record.items} work items ({record.transitions} transitions): "
            f"{record.status}."
        )
        # The tracker's states on the demo's map, so its board and summary show estimate
        # against measured at once.
        stream = workshop.streams.order_by("id").first()
        if stream is None:
            return
        activities = dict(stream.activities.values_list("title", "id"))
        for state_id, name in WorkState.objects.filter(workshop=workshop).values_list("id", "name"):
            activity = activities.get(STATE_ACTIVITIES.get(name, ""))
            if activity is not None:
                work_state_update(
                    actor=facilitator.user, state_id=state_id, data={"activity": activity}
                )

    def _fill(self, stream: ValueStream, facilitator: Any, participant: Any) -> None:
        ids = []
        for index, (title, team, process, wait, pca) in enumerate(ACTIVITIES):
            lane = 1 if title == "Architecture review" else 0
            op = board_create(
                actor=facilitator,
                kind="activity",
                stream_id=stream.pk,
                data={
                    "title": title,
                    "team": team,
                    "process_time": process,
                    "wait_time": wait,
                    "pca": pca,
                    "order": index,
                    "lane": lane,
                    "x": activity_x(index),
                    "y": 80 + 200 * lane,
                },
            )
            ids.append(op.data["id"])
        for source, target in LINKS:
            board_create(
                actor=facilitator,
                kind="link",
                stream_id=stream.pk,
                data={"source": ids[source], "target": ids[target]},
            )
        # Each voter spends at most the budget less DOTS_LEFT, so dots remain to be spent.
        allowance = max(0, settings.VSM_DOT_BUDGET - DOTS_LEFT)
        spent = {facilitator.pk: 0, participant.pk: 0}
        places = waste_places()
        for index, (text, category, activity, (by_facilitator, by_participant)) in enumerate(
            WASTES
        ):
            x, y = places[index]
            waste = board_create(
                actor=participant,
                kind="waste",
                stream_id=stream.pk,
                data={
                    "text": text,
                    "category": category,
                    "activity": ids[activity],
                    "x": x,
                    "y": y,
                },
            ).data
            for voter, dots in ((facilitator, by_facilitator), (participant, by_participant)):
                for _ in range(min(dots, allowance - spent[voter.pk])):
                    spent[voter.pk] += 1
                    board_create(
                        actor=voter, kind="vote", stream_id=stream.pk, data={"waste": waste["id"]}
                    )
            if index < COUNTERMEASURES:
                board_create(
                    actor=participant,
                    kind="countermeasure",
                    stream_id=stream.pk,
                    data={
                        "waste": waste["id"],
                        "title": ["Continuous change approval", "Examples in refinement"][index],
                        "current_condition": [
                            "Every change waits for the weekly CAB.",
                            "QA finds missing acceptance criteria.",
                        ][index],
                        "future_condition": [
                            "Standard changes are pre-approved and deploy the same day.",
                            "QA joins refinement and writes examples up front.",
                        ][index],
                        "measure": [
                            "Median wait before deploy under 1 day.",
                            "%C&A of QA testing at 90% or more.",
                        ][index],
                        "breadth": "bounded",
                        "effort": [2, 1][index],
                        "difficulty": [3, 2][index],
                        "owner": ["Operations", "QA"][index],
                        "status": ["planned", "in_progress"][index],
                        "x": x,
                        "y": y + WASTE_ROW,
                    },
                )
        stream_update(actor=facilitator, stream_id=stream.pk, data={"votes_revealed": True})
