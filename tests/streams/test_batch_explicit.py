"""Group commit has no hidden mode (issue 16 item 5): a board service runs in `ops_apply`'s
batch when it is handed the batch, and alone (a transaction, a lock and an op-log row of its
own) when it is not; its signature says so, and no context variable decides."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from django.db import transaction

from streams.models import Note, Op
from streams.services import board
from streams.services.board import Batch, OpRequest, board_create
from workitems.services import state_activity_op

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [
    board.board_create,
    board.board_update,
    board.board_move,
    board.board_delete,
    board.op_apply,
    board.activity_create,
    board.activity_update,
    board.link_create,
    board.link_delete,
    board.vote_create,
    board.vote_delete,
    board.stream_lock_for_edit,
    board.op_record,
    state_activity_op,
]


@pytest.mark.parametrize("service", SERVICES, ids=[s.__name__ for s in SERVICES])
def test_every_board_service_takes_the_batch_as_a_keyword_that_defaults_to_alone(service):
    batch = inspect.signature(service).parameters.get("batch")
    assert batch is not None and batch.kind is inspect.Parameter.KEYWORD_ONLY
    assert batch.default is None


def test_the_board_services_keep_no_context_variable():
    tree = ast.parse((ROOT / "streams/services/board.py").read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "contextvars" not in names and "ContextVar" not in names


@pytest.mark.django_db
def test_a_service_handed_a_batch_writes_its_op_log_row_when_the_batch_finishes(cast):
    request = OpRequest(actor=cast.participant, op="note.create", data={"text": "x"})
    with transaction.atomic():
        batch = Batch.start(cast.stream.pk, [request])
        assert batch is not None
        op = board_create(
            actor=cast.participant,
            kind="note",
            stream_id=cast.stream.pk,
            data={"text": "x"},
            batch=batch,
        )
        assert (op.seq, Note.objects.count(), Op.objects.count()) == (1, 1, 0)
        batch.finish()
    assert list(Op.objects.values_list("seq", flat=True)) == [1]
    cast.stream.refresh_from_db()
    assert cast.stream.seq == 1


@pytest.mark.django_db
def test_a_service_without_a_batch_records_its_op_at_once(cast):
    with transaction.atomic():
        board_create(
            actor=cast.participant, kind="note", stream_id=cast.stream.pk, data={"text": "x"}
        )
        assert Op.objects.count() == 1
