"""The browser's board store, driven by recorded frames (issue 16 item 8): a scripted session
on the real socket (creates, updates, moves, a dot cast while hidden, deletes that cascade,
the reveal, a summary) is recorded as the viewer's socket receives it, then replayed under
node into `static/js/board/store.js`'s BoardStore; what the store holds must equal a fresh
snapshot of the board, object for object."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.selectors import board_snapshot
from streams.services import stream_update
from tests.stack.clients import board_of, connected
from vsm_site.settings.base import BASE_DIR

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]

REPLAY = Path(__file__).resolve().parents[1] / "js" / "replay" / "store-replay.mjs"


def _node() -> str:
    node = shutil.which("node")
    assert node, "node is needed (make test runs the node tests first)"
    return node


async def _session(cast: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The viewer's frames from its first snapshot on, and a fresh snapshot at the end."""
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    participant = await connected(cast.participant, cast.stream.pk)
    viewer = await connected(cast.viewer, cast.stream.pk)

    async def do(client: Any, op: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = await client.result(await client.op(op, data))
        assert answer["type"] == "applied", answer
        return answer

    first = await do(facilitator, "activity.create", {"title": "Plan", "process_time": 3600})
    second = await do(participant, "activity.create", {"title": "Build", "wait_time": 7200})
    third = await do(participant, "activity.create", {"title": "Ship", "x": 600})
    ids = [frame["data"]["id"] for frame in (first, second, third)]
    await do(participant, "link.create", {"source": ids[0], "target": ids[1]})
    await do(participant, "link.create", {"source": ids[1], "target": ids[2]})
    waste = await do(participant, "waste.create", {"text": "Waiting", "activity": ids[1]})
    waste_id = waste["data"]["id"]
    await do(participant, "vote.create", {"waste": waste_id})  # hidden from the others
    await do(participant, "countermeasure.create", {"waste": waste_id, "title": "Pull"})
    note = await do(facilitator, "note.create", {"text": "Who approves?", "kind": "question"})
    await do(participant, "activity.update", {"id": ids[0], "title": "Plan it", "pca": 80})
    await do(participant, "activity.move", {"id": ids[1], "x": 320, "y": 40})
    await do(participant, "note.delete", {"id": note["data"]["id"]})
    # The reveal: every socket gets a fresh snapshot, with the dots cast while hidden.
    await database_sync_to_async(stream_update)(
        actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True}
    )
    other = await do(participant, "waste.create", {"text": "Rework", "activity": ids[2]})
    await do(participant, "vote.create", {"waste": other["data"]["id"]})
    last = await do(participant, "activity.delete", {"id": ids[2]})  # its link and waste go
    await viewer.until("applied", timeout=5, seq=last["seq"])
    recorded = [f for f in viewer.frames if f["type"] in ("snapshot", "applied", "summary")]
    snapshot = await database_sync_to_async(board_snapshot)(
        user=cast.viewer, stream_id=cast.stream.pk
    )
    for client in (facilitator, participant, viewer):
        await client.close()
    return recorded, json.loads(json.dumps(snapshot, default=str))


async def test_the_store_replaying_a_recorded_session_holds_what_a_fresh_snapshot_holds(
    cast, tmp_path
):
    frames, snapshot = await _session(cast)
    assert [f for f in frames if f["type"] == "applied" and f.get("hidden")], "a hidden dot"
    recording = tmp_path / "frames.json"
    recording.write_text(json.dumps(frames))
    result = subprocess.run(  # noqa: S603 (our script, our file)
        [_node(), str(REPLAY), str(recording)],
        capture_output=True,
        text=True,
        check=True,
        cwd=BASE_DIR,
        timeout=60,
    )
    store = json.loads(result.stdout)
    expected = board_of(snapshot)
    for plural, objects in expected.items():
        assert store["objects"][plural] == sorted(objects, key=lambda obj: obj["id"]), plural
    assert store["seq"] == snapshot["seq"]
    assert store["stream"]["votes_revealed"] is True
    assert "reset" in store["events"] and "change" in store["events"]
