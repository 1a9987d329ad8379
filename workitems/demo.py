"""The demo workshop's work items: about 300 items of six months of history in all four flow
types, as a long CSV (the same file a team would upload), generated deterministically from a
seed and the day it ends on."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta

DEMO_ITEMS = 300
DEMO_DAYS = 182
# The workflow: (state, mean calendar hours spent in it). Waiting states hold the work
# longest; the history disagrees with the demo's drawn map where a real team's would: the
# waits before development and before the CAB are longer, QA sends more work back.
WORKFLOW = [
    ("Backlog", 120.0),
    ("Ready for Dev", 140.0),
    ("In Development", 60.0),
    ("Code Review", 12.0),
    ("Ready for QA", 50.0),
    ("In QA", 20.0),
    ("Awaiting CAB", 330.0),  # the map guesses a week; the CAB meets every other week
    ("Deploying", 3.0),
    ("Done", 0.0),
]
# tracker type, tags, share of items
KINDS = [
    ("Story", "", 0.6),
    ("Bug", "", 0.24),
    ("Story", "Security", 0.07),
    ("Task", "Tech Debt", 0.09),
]
TITLES = {
    "Story": ["Export to PDF", "Saved searches", "Bulk edit", "Team dashboards", "SSO login"],
    "Bug": ["Crash on empty cart", "Totals off by a cent", "Timeout on search", "Broken link"],
    "Task": ["Upgrade the ORM", "Remove the legacy API", "Split the monolith's billing"],
}


def demo_history_csv(*, today: date, seed: int = 2024) -> bytes:
    """A long CSV (`item_id,state,entered_at,title,type,tags,created`) of DEMO_ITEMS items
    created over the DEMO_DAYS before `today`: most finish, some are still in progress, a few
    are canceled, some bounce back from QA and a few are reopened after release."""
    rng = random.Random(seed)
    end = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    first = end - timedelta(days=DEMO_DAYS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item_id", "state", "entered_at", "title", "type", "tags", "created"])
    weights = [share for _, _, share in KINDS]
    for number in range(1, DEMO_ITEMS + 1):
        tracker_type, tags, _ = rng.choices(KINDS, weights)[0]
        title = f"{rng.choice(TITLES.get(tracker_type, TITLES['Story']))} #{number}"
        created = first + timedelta(hours=rng.uniform(0, DEMO_DAYS * 24))
        history = _history(rng, created)
        for index, (state, at) in enumerate(history):
            if at >= end:
                break
            attributes = (title, tracker_type, tags, _iso(created)) if index == 0 else ("",) * 4
            writer.writerow([f"DEMO-{number}", state, _iso(at), *attributes])
    return out.getvalue().encode()


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _history(rng: random.Random, created: datetime) -> list[tuple[str, datetime]]:
    """One item's walk through the workflow, with rework and the odd cancel or reopen."""
    means = dict(WORKFLOW)
    at = created
    history = [("Backlog", at)]
    position = 1
    reworked = False
    while position < len(WORKFLOW):
        at += _stay(rng, means[history[-1][0]])
        state = WORKFLOW[position][0]
        if position == 1 and rng.random() < 0.05:
            history.append(("Canceled", at))
            return history
        history.append((state, at))
        if state == "In QA" and not reworked and rng.random() < 0.4:
            reworked = True  # sent back: QA found a problem
            at += _stay(rng, means["In QA"])
            history.append(("In Development", at))
            position = 3
            continue
        position += 1
    if rng.random() < 0.04:  # reopened after release, fixed again
        at += timedelta(days=rng.uniform(2, 10))
        history.append(("In Development", at))
        at += timedelta(hours=rng.uniform(8, 40))
        history.append(("Done", at))
    return history


def _stay(rng: random.Random, mean_hours: float) -> timedelta:
    """How long an item stays in a state of that mean (exponential, at least half an hour)."""
    return timedelta(hours=rng.expovariate(1 / max(mean_hours, 1.0)) + 0.5)


# Which tracker state belongs to which activity of the demo's map (by title).
STATE_ACTIVITIES = {
    "Ready for Dev": "Development",
    "In Development": "Development",
    "Code Review": "Code review",
    "Ready for QA": "QA testing",
    "In QA": "QA testing",
    "Awaiting CAB": "Change approval (CAB)",
    "Deploying": "Deploy to production",
}
