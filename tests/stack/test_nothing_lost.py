"""Nothing is ever lost (issue 13): faults in the middle of a session, on real processes.

Each test takes a service away for real: a private Redis restarted, an ASGI process killed
with SIGKILL, a private PostgreSQL cluster restarted in the middle of a batch, a Celery
worker's process killed in the middle of a summary. Afterwards every op acknowledged is in
the database, every client holds the database's board, and what was refused is not there.
docs/security.md, "Nothing is lost", says what each one proves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import psutil
import psycopg
import pytest
import redis
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from websockets.exceptions import ConnectionClosed

from metrics.models import FlowSummary
from metrics.services import summary_recompute, summary_request
from streams.models import Op, ValueStream
from streams.selectors import board_snapshot
from streams.services import board_create
from tests.stack import servers
from tests.stack.clients import SocketClient, board_of, member_tokens, socket_headers
from tests.stack.private import (
    PrivatePostgres,
    PrivateRedis,
    migrated_template,
    need_private_postgres,
    need_private_redis,
    redis_env,
)
from tests.stack.worker import celery_worker
from tests.workitems.test_connections import body as tracker_body
from tests.workitems.trackers import FakeTrackerServer
from vsm_site.celery import app
from workitems.connections import connection_create, connection_sync_request
from workitems.models import ConnectionSync, WorkItemImport
from workitems.services import work_item_import_create

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

ANSWER_SECONDS = 20  # an op's answer comes within this, or the op counts as unanswered


class Editor(SocketClient):
    """A client that keeps every answer to each op it sent, reconnects with `since` when its
    socket drops and then re-sends what is still unanswered under the same id, as the
    browser's client does (docs/realtime.md, "Client algorithm")."""

    def __init__(self, server: servers.AsgiServer, stream_id: int, key: str) -> None:
        super().__init__(
            server.ws_url(f"/ws/streams/{stream_id}/"), socket_headers(server.origin, key)
        )
        self.answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.sent: dict[str, tuple[str, dict[str, Any]]] = {}
        self.duplicates: list[int] = []
        self.reconnects = 0

    def _handle(self, frame: dict[str, Any]) -> None:
        seq = self.replica.seq
        if frame["type"] == "applied" and seq is not None and frame["seq"] <= seq:
            self.duplicates.append(frame["seq"])
        if frame["type"] in ("applied", "rejected", "ack") and frame.get("id") in self.sent:
            self.answers[frame["id"]].append(frame)
        super()._handle(frame)

    async def send(self, op: str, data: dict[str, Any], op_id: str | None = None) -> str:
        """Sends the op (again, under `op_id`) and returns its id; see `answer`."""
        op_id = op_id or str(uuid.uuid4())
        self.sent[op_id] = (op, data)
        future = asyncio.get_running_loop().create_future()
        self._waiters[op_id] = future
        frame = {"type": "op", "id": op_id, "op": op, "data": data}
        with contextlib.suppress(ConnectionClosed):  # `answer` reconnects and sends it again
            await self._socket.send(json.dumps(frame))
        return op_id

    async def edit(self, op: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """Sends the op and returns its answer (applied, rejected or ack). Should the socket
        drop first, reconnects with `since` and, unless the replay answered it, sends it
        again under the same id. None if nothing answered it within ANSWER_SECONDS."""
        return await self.answer(await self.send(op, data))

    async def answer(self, op_id: str) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_SECONDS
        while loop.time() < deadline:
            future = self._waiters.get(op_id)
            if future is None:  # answered meanwhile
                return self.answers[op_id][0]
            assert self._reader is not None
            await asyncio.wait(
                {future, self._reader},
                timeout=deadline - loop.time(),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if future.done():
                return future.result()
            if self._reader.done():
                await self.reconnect()
        return None

    async def reconnect(self, url: str | None = None) -> None:
        """Connects again with `since` (to `url` if given), retrying while refused, then sends
        again, under their ids, the ops the replay did not answer."""
        self.reconnects += 1
        with contextlib.suppress(Exception):
            await self.close()
        for _ in range(150):
            try:
                await self.connect(since=self.replica.seq, url=url)
                break
            except Exception:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"could not reconnect to {url or self.url}")
        for op_id, (op, data) in list(self.sent.items()):
            if op_id not in self.answers:
                await self.send(op, data, op_id=op_id)


def answer_kinds(editor: Editor) -> dict[str, list[str]]:
    """Per op id, the kinds of the answers it got (reason for a rejection)."""
    return {
        op_id: [a["type"] if a["type"] != "rejected" else a["reason"] for a in answers]
        for op_id, answers in editor.answers.items()
    }


@contextlib.contextmanager
def started(count: int, database_url: str, env: dict[str, str]) -> Iterator[list[Any]]:
    """`count` uvicorn processes on `database_url` with `env`, stopped on exit."""
    spawned = [servers.spawn_asgi_server(database_url=database_url, env=env) for _ in range(count)]
    try:
        yield [servers.wait_until_serving(server) for server in spawned]
    finally:
        for server in spawned:
            server.stop()
            if os.environ.get("KEEP_LOGS"):
                print("LOG", server.log)
            else:
                server.log.unlink(missing_ok=True)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    need_private_redis()
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.destroy()


def stored_ops(stream_id: int) -> dict[str, int]:
    """client id -> seq of every op in the stream's log."""
    return dict(
        Op.objects.filter(stream_id=stream_id).exclude(client_id="").values_list("client_id", "seq")
    )


def head_of(stream_id: int) -> int:
    return ValueStream.objects.values_list("seq", flat=True).get(pk=stream_id)


async def test_every_op_acknowledged_across_a_redis_restart_is_stored_and_reaches_every_client(
    need_postgres, cast, private_redis
):
    """Redis (channel layer, limits, cache, broker) is killed and started again empty while
    four clients on two server processes edit: nothing acknowledged is lost, nothing refused
    is stored, and once Redis is back every client holds the database's board, live again
    (within seconds, not at the next heartbeat)."""
    env = {**redis_env(private_redis), "VSM_WS_HEARTBEAT_SECONDS": "60"}
    with started(2, servers.database_url_for_tests(), env) as (first, second):
        keys = await database_sync_to_async(member_tokens)(cast.workshop, 4)
        stream = cast.stream.pk
        editors = [Editor((first, second)[i % 2], stream, key) for i, key in enumerate(keys)]
        for editor in editors:
            await editor.connect()
        # Activities: each change also asks for a summary recompute (Redis: cache and broker).
        activities = []
        for i in range(4):
            answer = await editors[0].edit("activity.create", {"title": f"step {i}"})
            activities.append(answer["data"]["id"])

        async def keep_editing(editor: Editor, index: int, stop: asyncio.Event) -> None:
            step = 0
            while not stop.is_set():
                step += 1
                activity = activities[(index + step) % len(activities)]
                op = ("activity.update", {"id": activity, "title": f"{index}:{step}"})
                if step % 2:
                    op = ("activity.move", {"id": activity, "x": step, "y": index})
                await editor.edit(*op)
                await asyncio.sleep(0.05)

        stop = asyncio.Event()
        editing = [
            asyncio.create_task(keep_editing(editor, i, stop)) for i, editor in enumerate(editors)
        ]
        await asyncio.sleep(1.5)
        await asyncio.to_thread(private_redis.restart, 1.0)
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(*editing)

        # Once Redis is back, an op made on either process reaches the other one's clients
        # live: within seconds, whatever the heartbeat (60 s here).
        for sender in (editors[0], editors[1]):
            await sender.edit("activity.update", {"id": activities[0], "title": "after"})
            head = await database_sync_to_async(head_of)(stream)
            await asyncio.gather(*(editor.wait_seq(head, timeout=5) for editor in editors))

        stored = await database_sync_to_async(stored_ops)(stream)
        fresh = await Editor(second, stream, keys[0]).connect()
        truth = board_of(
            await database_sync_to_async(board_snapshot)(user=cast.facilitator, stream_id=stream)
        )
        for editor in editors:
            kinds = answer_kinds(editor)
            for op_id in editor.sent:
                answered = kinds.get(op_id)
                assert answered, f"op {editor.sent[op_id]} was never answered"
                if answered[0] == "applied":
                    assert answered[1:] in ([], ["ack"]), answered
                    assert stored.get(op_id) == editor.answers[op_id][0]["seq"]
                else:
                    assert len(answered) == 1 and op_id not in stored, answered
            assert not editor.errors and not editor.duplicates
            assert editor.replica.board() == truth
        assert fresh.replica.board() == truth
        for editor in (*editors, fresh):
            await editor.close()


async def test_an_op_acknowledged_just_before_its_server_is_killed_is_stored_and_reaches_everyone(
    need_postgres, cast, private_redis
):
    """The server process that acknowledged an op is SIGKILLed at once: the op is in the
    log, its clients reconnect to the other process and get it (or have it), and a client
    of the other process gets it too. An op in flight at the kill is re-sent under its id
    and stored once."""
    env = {**redis_env(private_redis), "VSM_WS_HEARTBEAT_SECONDS": "2"}
    with started(2, servers.database_url_for_tests(), env) as (doomed, survivor):
        keys = await database_sync_to_async(member_tokens)(cast.workshop, 3)
        stream = cast.stream.pk
        alice = await Editor(doomed, stream, keys[0]).connect()
        bob = await Editor(doomed, stream, keys[1]).connect()
        carol = await Editor(survivor, stream, keys[2]).connect()
        for i in range(3):
            await alice.edit("activity.create", {"title": f"step {i}"})
        await asyncio.gather(*(client.wait_seq(3) for client in (alice, bob, carol)))

        in_flight = await bob.send("note.create", {"text": "in flight"})
        acknowledged = await alice.edit("activity.create", {"title": "acknowledged"})
        doomed.process.send_signal(signal.SIGKILL)
        assert acknowledged is not None and acknowledged["type"] == "applied"
        doomed.process.wait(10)

        stored = await database_sync_to_async(stored_ops)(stream)
        assert stored[acknowledged["id"]] == acknowledged["seq"]
        for client in (alice, bob):
            await client.reconnect(url=survivor.ws_url(f"/ws/streams/{stream}/"))
        assert (await bob.answer(in_flight))["type"] in ("applied", "ack")

        head = await database_sync_to_async(head_of)(stream)
        await asyncio.gather(*(client.wait_seq(head) for client in (alice, bob, carol)))
        truth = board_of(
            await database_sync_to_async(board_snapshot)(user=cast.facilitator, stream_id=stream)
        )
        logged = await database_sync_to_async(
            lambda: list(Op.objects.filter(stream_id=stream).values_list("client_id", flat=True))
        )()
        assert logged.count(in_flight) == 1
        for client in (alice, bob, carol):
            assert acknowledged["id"] in [op_id for _, _, op_id in client.replica.ops]
            assert not client.errors and not client.duplicates
            assert client.replica.board() == truth
            await client.close()


# PostgreSQL restarted in the middle of a batch -----------------------------------------------


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[tuple[PrivatePostgres, str]]:
    """A PostgreSQL cluster of this module's own and a migrated template database on it."""
    need_private_postgres()
    postgres = PrivatePostgres()
    postgres.start()
    try:
        yield postgres, migrated_template(postgres)
    finally:
        postgres.destroy()


@pytest.fixture
def private_board(private_postgres: tuple[PrivatePostgres, str]) -> dict[str, Any]:
    """A fresh database on the private cluster with a board: four participants' tokens and
    four notes (made by a process of its own: this one keeps the suite's database)."""
    postgres, template = private_postgres
    if not postgres.running():
        postgres.start()
    url = postgres.database_from(template, f"board_{uuid.uuid4().hex[:12]}")
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.stack.board_seed", "4", "4"],
        cwd=servers.ROOT,
        env={**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "DATABASE_CONN_MAX_AGE": "0"},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {"postgres": postgres, "url": url, **json.loads(seeded.stdout.splitlines()[-1])}


async def until_waiting_on_a_lock(url: str, statement: str, timeout: float = 15) -> None:
    """Returns once a session of the database waits for a lock in a statement that starts
    with `statement` (the server's op, held there by the test's own lock)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
        while loop.time() < deadline:
            cursor = await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s",
                [statement + "%"],
            )
            if (await cursor.fetchone())[0]:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"no session waits in {statement!r}")


def log_of(url: str, stream_id: int) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT client_id, seq FROM streams_op WHERE stream_id = %s AND client_id <> ''",
            [stream_id],
        ).fetchall()
    return dict(rows)


async def refuse_connections(url: str, refused: bool, keep: int) -> None:
    """Stops (or lets again) new sessions to the database, ending its sessions but `keep`."""
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as connection:
        await connection.execute(
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"false" if refused else "true"}'
        )
        if refused:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, keep],
            )


@pytest.mark.parametrize("outage", ["restart", "longer than a batch waits"])
async def test_a_batch_cut_by_a_postgres_outage_is_applied_whole_or_refused_whole(
    private_redis, private_board, outage
):
    """Three ops of three clients wait together for one server process's database, then go
    in as one batch; PostgreSQL goes away once the batch has written its first op and waits
    on its second (the test holds that row). The batch is then applied whole with
    consecutive seqs (a restart: the ops wait for the database), or refused whole as
    `unavailable` (an outage longer than the hub waits), and sending them again under their
    ids applies each once. Never half; every client ends with the database's board."""
    postgres, url, stream = private_board["postgres"], private_board["url"], private_board["stream"]
    notes = private_board["notes"]
    # A restart on a loaded machine can take longer than the default 5 s: the ops wait for
    # it here, while the longer outage outlasts the default.
    patience = "60" if outage == "restart" else "5"
    env = {
        **redis_env(private_redis),
        "VSM_WS_HEARTBEAT_SECONDS": "2",
        "VSM_WS_DATABASE_PATIENCE_SECONDS": patience,
    }
    with started(1, url, env) as (server,):
        editors = [Editor(server, stream, key) for key in private_board["tokens"]]
        for editor in editors:
            await editor.connect()
        # The server cannot reach its database: its first op waits (the hub tries again),
        # and the three sent meanwhile gather behind it, in order, as one batch.
        lock = await psycopg.AsyncConnection.connect(url)
        await refuse_connections(url, True, keep=lock.info.backend_pid)
        first = await editors[0].send("note.update", {"id": notes[0], "text": "first"})
        batch = []
        for index, (editor, note) in enumerate(zip(editors[1:], notes[1:], strict=True)):
            await asyncio.sleep(0.15)
            batch.append(await editor.send("note.update", {"id": note, "text": f"batch {index}"}))
        await lock.execute("SELECT 1 FROM streams_note WHERE id = %s FOR UPDATE", [notes[2]])
        await refuse_connections(url, False, keep=lock.info.backend_pid)
        await until_waiting_on_a_lock(url, 'UPDATE "streams_note"')  # the batch's second op

        if outage == "restart":
            await asyncio.to_thread(postgres.restart, "immediate")
        else:
            await asyncio.to_thread(postgres.stop, "immediate")
        with contextlib.suppress(Exception):
            await lock.close()
        answers = [
            await editor.answer(op_id) for editor, op_id in zip(editors[1:], batch, strict=True)
        ]
        if outage != "restart":
            await asyncio.to_thread(postgres.start)

        assert (await editors[0].answer(first))["type"] == "applied"
        kinds = [answer["type"] if answer["type"] != "rejected" else answer["reason"]
                 for answer in answers]  # fmt: skip
        log = await asyncio.to_thread(log_of, url, stream)
        if outage == "restart":
            assert kinds == ["applied"] * 3
            assert [log[op_id] for op_id in batch] == [answer["seq"] for answer in answers]
            assert [answer["seq"] for answer in answers] == [log[first] + n for n in (1, 2, 3)]
        else:
            assert kinds == ["unavailable"] * 3
            assert not set(batch) & set(log)
            again = [
                await editor.answer(await editor.send(*editor.sent[op_id], op_id=op_id))
                for editor, op_id in zip(editors[1:], batch, strict=True)
            ]
            assert [answer["type"] for answer in again] == ["applied"] * 3
            log = await asyncio.to_thread(log_of, url, stream)
            assert all(op_id in log for op_id in batch)

        head = max(log.values())
        await asyncio.gather(*(editor.wait_seq(head) for editor in editors))
        fresh = await Editor(server, stream, private_board["tokens"][0]).connect()
        for editor in editors:
            assert not editor.errors and not editor.duplicates
            assert editor.replica.board() == fresh.replica.board()
        assert [note["text"] for note in fresh.replica.board()["notes"]] == [
            "first", "batch 0", "batch 1", "batch 2"
        ]  # fmt: skip
        for editor in (*editors, fresh):
            await editor.close()


# The summary's worker ---------------------------------------------------------------------


def until(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def sessions_waiting_on_a_lock(statement: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query LIKE %s",
            [statement + "%"],
        )
        return int(cursor.fetchone()[0])


def a_map(cast: Any) -> None:
    """Three linked activities with estimates: a path, a bottleneck and a forecast."""
    made = [
        board_create(
            actor=cast.participant,
            kind="activity",
            stream_id=cast.stream.pk,
            data={"title": title, "process_time": process, "wait_time": wait,
                  "lead_time_min": (process + wait) / 2, "lead_time_max": (process + wait) * 3},
        ).data["id"]
        for title, process, wait in (("Plan", 3600, 7200), ("Build", 14400, 28800),
                                     ("Ship", 1800, 86400))
    ]  # fmt: skip
    for source, target in zip(made, made[1:], strict=False):
        board_create(
            actor=cast.participant,
            kind="link",
            stream_id=cast.stream.pk,
            data={"source": source, "target": target},
        )


def test_a_summary_whose_worker_is_killed_midway_is_recomputed_the_same(
    need_postgres, need_redis, cast
):
    """The worker's process is SIGKILLed while it recomputes a stream's summary (held inside
    the task by the stream's row lock, which the test holds). The task is redelivered
    (acks_late, reject_on_worker_lost) and the summary stored is the one an uninterrupted
    recompute makes."""
    a_map(cast)
    stream = cast.stream.pk
    FlowSummary.objects.filter(stream_id=stream).delete()
    holder = psycopg.connect(servers.database_url_for_tests())
    try:
        holder.execute("SELECT 1 FROM streams_valuestream WHERE id = %s FOR UPDATE", [stream])
        with celery_worker() as worker:
            summary_request(stream_id=stream)
            until(lambda: sessions_waiting_on_a_lock("SELECT") >= 1)
            [child] = psutil.Process(worker.pid).children()
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            holder.rollback()
            until(lambda: FlowSummary.objects.filter(stream_id=stream).exists())
            stored = FlowSummary.objects.get(stream_id=stream)
    finally:
        holder.close()
    assert stored.seq == ValueStream.objects.get(pk=stream).seq
    assert stored.computations == 1  # the killed attempt stored nothing
    again = summary_recompute(stream_id=stream)
    assert again is not None and again.computations == 2
    assert json.loads(json.dumps(stored.data)) == json.loads(json.dumps(again.data))
    assert stored.data["lead_time"] > 0 and stored.data["forecast"]


def test_tasks_asked_for_in_a_transaction_that_rolls_back_never_run(
    need_postgres, need_redis, cast, settings
):
    """A board change (its summary), a tracker sync and a large work-item import each ask
    for a task in a transaction that then rolls back: none reaches the broker or the worker,
    which meanwhile runs the summary of the same change committed."""
    tracker = FakeTrackerServer()
    settings.VSM_IMPORT_INLINE_BYTES = 10
    try:
        connection_id = connection_create(
            actor=cast.facilitator,
            workshop_id=cast.workshop.pk,
            data=tracker_body("github", tracker.tracker),
        ).pk
        with celery_worker():
            for ask in (
                lambda: board_create(
                    actor=cast.participant,
                    kind="activity",
                    stream_id=cast.stream.pk,
                    data={"title": "rolled back"},
                ),
                lambda: connection_sync_request(
                    actor=cast.facilitator, connection_id=connection_id
                ),
                lambda: work_item_import_create(
                    actor=cast.facilitator,
                    workshop_id=cast.workshop.pk,
                    upload=SimpleUploadedFile("items.csv", b"id,state,at\n1,New,2026-01-01\n"),
                ),
            ):
                with contextlib.suppress(RollBack), transaction.atomic():
                    ask()
                    raise RollBack
            assert not FlowSummary.objects.filter(stream=cast.stream).exists()
            board_create(
                actor=cast.participant,
                kind="activity",
                stream_id=cast.stream.pk,
                data={"title": "committed"},
            )
            until(lambda: FlowSummary.objects.filter(stream=cast.stream).exists(), timeout=30)
            time.sleep(2 * settings.VSM_SUMMARY_DEBOUNCE + 1)  # anything else queued has run
            [stats] = app.control.inspect(timeout=2).stats().values()
            pending = redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")
    finally:
        tracker.stop()
    assert stats["total"] == {"metrics.tasks.recompute_summary": 1}
    assert pending == 0
    assert not ConnectionSync.objects.exists() and not WorkItemImport.objects.exists()
    assert FlowSummary.objects.get(stream=cast.stream).data["activity_count"] == 1


class RollBack(Exception):
    """Raised to roll the test's transaction back."""
