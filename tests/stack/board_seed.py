"""A board to test on, in the database DATABASE_URL names (a private cluster, say).

    python -m tests.stack.board_seed <participants> <notes>

prints one JSON object: {"stream": id, "tokens": [API token per participant], "notes": [ids]}.
It runs in a process of its own so that the test process keeps its own database.
"""

from __future__ import annotations

import json
import os
import sys


def main(participants: int, notes: int) -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vsm_site.settings.test")
    import django

    django.setup()
    from streams.services import board_create
    from tests.factories import MembershipFactory, StreamFactory, WorkshopFactory
    from tests.stack.clients import member_tokens

    workshop = WorkshopFactory()
    stream = StreamFactory(workshop=workshop)
    facilitator = MembershipFactory(workshop=workshop, role="facilitator").user
    tokens = member_tokens(workshop, participants)
    note_ids = [
        board_create(
            actor=facilitator, kind="note", stream_id=stream.pk, data={"text": f"note {i}"}
        ).data["id"]
        for i in range(notes)
    ]
    return {"stream": stream.pk, "tokens": tokens, "notes": note_ids}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
