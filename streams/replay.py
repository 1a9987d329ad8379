"""Reads that bring a board socket up to date: a replay of the op log, or a snapshot.

`REPLAY_LIMIT` is the retention for replay: a socket more than that many ops behind (or whose
`since` is older than the oldest op still in the log, or unknown) gets a snapshot instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from streams.events import applied_frame, board_message, user_ref
from streams.models import Op
from streams.selectors import AnyUser, board_snapshot, stream_get


def replay_limit() -> int:
    return int(getattr(settings, "VSM_WS_REPLAY_LIMIT", 1000))


@dataclass
class BoardSync:
    """What a socket must deliver to reach `seq`: `messages` (board.frame messages of the ops
    after the socket's seq, in order) or, when `snapshot` is set, that snapshot alone.
    `votes_revealed` is the stream's state at `seq`."""

    seq: int
    votes_revealed: bool
    messages: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None


def board_sync(*, user: AnyUser, stream_id: int, since: int | None) -> BoardSync:
    """Everything after `since` on the board the user may read.

    Raises NotFound when the user is (no longer) a member. Replays when every op after `since`
    is still in the log, within `replay_limit()` ops, and none of them is a `stream.update`
    (which may change whose votes are visible); otherwise returns a snapshot. Ops committed
    after the stream row was read are left for the live path (they arrive as frames).
    """
    stream, _ = stream_get(user=user, stream_id=stream_id)
    if since is not None and 0 <= since <= stream.seq:
        limit = replay_limit()
        ops = list(
            Op.objects.filter(stream_id=stream.pk, seq__gt=since, seq__lte=stream.seq)
            .select_related("actor")
            .order_by("seq")[: limit + 1]
        )
        complete = len(ops) == stream.seq - since and all(
            op.seq == since + 1 + index for index, op in enumerate(ops)
        )
        if complete and not any(op.op == "stream.update" for op in ops):
            return BoardSync(
                seq=stream.seq,
                votes_revealed=stream.votes_revealed,
                messages=[op_message(op) for op in ops],
            )
    snapshot = board_snapshot(user=user, stream_id=stream.pk)
    return BoardSync(
        seq=snapshot["seq"],
        votes_revealed=bool(snapshot["stream"]["votes_revealed"]),
        snapshot=snapshot,
    )


def op_message(op: Op) -> dict[str, Any]:
    """The board.frame message of a logged op, as it was broadcast."""
    return board_message(applied_frame(op, by=user_ref(op.actor)))


def stream_head(*, user: AnyUser, stream_id: int) -> int:
    """The stream's latest seq; NotFound when the user is (no longer) a member."""
    stream, _ = stream_get(user=user, stream_id=stream_id)
    return stream.seq
