"""The floor under persisted ops/s on one board: the same writes through a bare psycopg loop,
with no Django, no sockets and no rules. Per batch, as group commit does it: one transaction
that takes the stream's row lock and its next seqs (`UPDATE ... SET seq = seq + k RETURNING`),
then per op one `UPDATE` of a note (its position, as the bench's `note.move`) and one op-log
`INSERT`, then the commit. One connection, as the server has one database thread per process.

`run(stream_id, note_ids, seconds)` returns ops/s per batch size and the best; `bench.run`
reports the server's persisted ops/s as a ratio to it (`--only ops`).
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

BATCHES = (1, 8, 32)


def _loop(connection: Any, stream_id: int, notes: list[int], batch: int, seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE streams_valuestream SET seq = seq + %s WHERE id = %s RETURNING seq",
                [batch, stream_id],
            )
            (last,) = cursor.fetchone()
            for n in range(batch):
                note = random.choice(notes)
                x, y = random.uniform(0, 2000), random.uniform(0, 1200)
                cursor.execute(
                    "UPDATE streams_note SET x = %s, y = %s, version = version + 1, "
                    "updated_at = now() WHERE id = %s",
                    [x, y, note],
                )
                cursor.execute(
                    "INSERT INTO streams_op (stream_id, seq, op, client_id, data, actor_id, "
                    "created_at) VALUES (%s, %s, 'note.move', %s, %s, NULL, now())",
                    [
                        stream_id,
                        last - batch + n + 1,
                        f"floor-{last}-{n}",
                        json.dumps({"id": note, "x": x, "y": y}),
                    ],
                )
        done += batch
    return done / (time.perf_counter() - started)


def run(stream_id: int, note_ids: list[int], seconds: float = 3.0) -> dict[str, Any]:
    import psycopg

    url = os.environ["DATABASE_URL"]
    by_batch = {}
    with psycopg.connect(url, autocommit=True) as connection:
        for batch in BATCHES:
            by_batch[batch] = round(_loop(connection, stream_id, note_ids, batch, seconds), 1)
    return {"ops_per_s_by_batch": by_batch, "ops_per_s": max(by_batch.values())}
