"""Every write to a value stream's board. REST views, websocket ops and tasks all call these."""

from streams.services.board import (
    board_create,
    board_delete,
    board_move,
    board_update,
    op_apply,
    vote_create,
)
from streams.services.streams import stream_clone, stream_create, stream_delete, stream_update

__all__ = [
    "board_create",
    "board_delete",
    "board_move",
    "board_update",
    "op_apply",
    "stream_clone",
    "stream_create",
    "stream_delete",
    "stream_update",
    "vote_create",
]
