"""A world to back up, and what a restore must give back of it.

`python -m tests.stack.backup_world seed` fills the database DATABASE_URL names through the
services: the demo workshop (its map, votes, countermeasures, six months of work items and
their states on the map), a future state of its map, a tracker connection with an encrypted
credential, a second workshop holding an imported copy of the map with a rework loop and a
note in several scripts, and an empty third one. `... write` adds to a restored one as
the site would. `... export AS_OF` prints, as JSON, every
workshop as its exports show it (each map's `stream_export`, the work states, the measured
flow as of AS_OF, the connections with their decrypted credentials) and the row count of
every table. tests/stack/test_backups.py compares the export before a backup with the export
of its restore.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime, timedelta
from typing import Any

TOKEN = "ghp_backup-round-trip-0123456789"  # noqa: S105 (a fake tracker token)


def seed() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from streams.services import board_create, stream_clone
    from streams.services.transfer import stream_export, stream_import
    from vsm_site.management.commands.load_demo import DEMO_TITLE
    from workitems.connections import connection_create
    from workshops.models import Workshop
    from workshops.services import workshop_create

    call_command("load_demo", stdout=io.StringIO())  # stdout carries the export
    users = get_user_model().objects
    facilitator = users.get(username="facilitator")
    participant = users.get(username="participant")
    demo = Workshop.objects.get(title=DEMO_TITLE)
    current = demo.streams.order_by("id").first()
    assert current is not None
    stream_clone(actor=facilitator, stream_id=current.pk, data={"name": "Future: idea to prod"})
    connection_create(
        actor=facilitator,
        workshop_id=demo.pk,
        data={
            "kind": "github",
            "scope": {"owner": "flowmap", "repo": "board"},
            "credential": {"token": TOKEN},
        },
    )

    second = workshop_create(actor=participant, data={"title": "Incidents — 事件 to fix ✓"})
    copy = stream_import(
        actor=participant,
        workshop_id=second.pk,
        document=stream_export(actor=facilitator, stream_id=current.pk),
    )
    activities = list(copy.activities.order_by("order", "id"))
    board_create(
        actor=participant,
        kind="link",
        stream_id=copy.pk,
        data={"source": activities[7].pk, "target": activities[5].pk, "kind": "rework"},
    )
    board_create(
        actor=participant,
        kind="note",
        stream_id=copy.pk,
        data={"text": "Ünïcödé, «quotes» \"'\nand 🚦 on a second line", "x": 10, "y": 20},
    )
    workshop_create(actor=users.get(username="viewer"), data={"title": "Nothing mapped yet"})


def write() -> None:
    """What a restored site does next: new rows of every sequence-numbered kind (a workshop,
    a board op with the stream's next seq, a work-item upload) fail if the restore left a
    sequence behind its table."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from streams.models import ValueStream
    from streams.services import board_create
    from workitems.services import work_item_import_create
    from workshops.services import workshop_create

    facilitator = get_user_model().objects.get(username="facilitator")
    workshop = workshop_create(actor=facilitator, data={"title": "After the restore"})
    stream = ValueStream.objects.order_by("pk").first()
    assert stream is not None
    board_create(
        actor=facilitator,
        kind="activity",
        stream_id=stream.pk,
        data={"title": "Restored", "process_time": 60, "wait_time": 60},
    )
    history = b"item_id,state,entered_at,title,type\nNEW-1,Doing,2026-01-05T09:00:00Z,New,Story\n"
    record = work_item_import_create(
        actor=facilitator,
        workshop_id=workshop.pk,
        upload=SimpleUploadedFile("after.csv", history, content_type="text/csv"),
    )
    assert record.status == "done" and record.items == 1, (record.status, record.items)


def export(as_of: datetime) -> dict[str, Any]:
    from django.apps import apps

    from metrics.selectors import measured_flow_get
    from streams.services.transfer import stream_export
    from workitems.crypto import credential_decrypt
    from workitems.models import Connection
    from workitems.selectors import connection_data, work_state_data, work_state_list
    from workshops.models import Role, Workshop

    workshops = {}
    for workshop in Workshop.objects.order_by("pk"):
        memberships = workshop.memberships.select_related("user").order_by("pk")
        facilitator = memberships.filter(role=Role.FACILITATOR).first()
        assert facilitator is not None
        actor = facilitator.user
        workshops[str(workshop.pk)] = {
            "workshop": {
                "title": workshop.title,
                "goal": workshop.goal,
                "phase": workshop.phase,
                "created_by": workshop.created_by.username if workshop.created_by else None,
                "created_at": workshop.created_at.isoformat(),
            },
            "members": [[m.user.username, m.role, m.team] for m in memberships],
            "streams": {
                str(stream.pk): {
                    "based_on": stream.based_on_id,
                    "export": stream_export(actor=actor, stream_id=stream.pk),
                }
                for stream in workshop.streams.order_by("pk")
            },
            "work_states": [
                work_state_data(state)
                for state in work_state_list(user=actor, workshop_id=workshop.pk)
            ],
            "measured": measured_flow_get(
                user=actor,
                workshop_id=workshop.pk,
                start=as_of.date() - timedelta(days=180),
                end=as_of.date(),
                as_of=as_of,
                interval="week",
            ),
            "connections": [
                {
                    **connection_data(connection),
                    "credential": credential_decrypt(connection.credential_encrypted),
                }
                for connection in Connection.objects.filter(workshop=workshop).order_by("pk")
            ],
        }
    tables = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }
    return {"workshops": workshops, "tables": tables}


def main(argv: list[str]) -> None:
    """Runs the actions in order, in one process: `seed`, `export AS_OF`, `write`."""
    from vsm_site import use_default_settings

    use_default_settings()
    import django

    django.setup()
    actions = iter(argv)
    for action in actions:
        if action == "seed":
            seed()
        elif action == "write":
            write()
        elif action == "export":
            world = export(datetime.fromisoformat(next(actions)))
            print(json.dumps(world, sort_keys=True, default=str))
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
