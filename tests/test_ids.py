"""Ids no row can have (2**63 and beyond) are "no such object", never a server error.

SQLite cannot even bind such an integer (OverflowError) and PostgreSQL refuses it on writes,
so every id from a client is checked against 1 .. 2**63 - 1 before it reaches a query: path
ids by the `<id:...>` converter (a path naming one does not resolve: 404), query parameters
and body references with a 400, the board socket's op ids with `not_found` / `invalid`.

Every case runs on both databases: PostgreSQL in this process (the suite's database) and
SQLite in one subprocess running this module's `sqlite` cases (`DATABASE_URL=sqlite:///…`),
whose results the `sqlite` cases here report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404

from tests.conftest import need
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    InvitationFactory,
    LinkFactory,
    MembershipFactory,
    NoteFactory,
    StreamFactory,
    UserFactory,
    VoteFactory,
    WasteFactory,
    WorkshopFactory,
)
from tests.stack.clients import close_communicators, communicator_for, connected
from vsm_site.ids import MAX_ID, IdConverter
from workitems.models import WorkItemImport, WorkState
from workshops.models import Role

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("postgresql", "sqlite")
BEYOND = {"2**63": 2**63, "2**64": 2**64, "10**30": 10**30}
SUBPROCESS_FLAG = "VSM_TEST_IDS_SQLITE_RUN"


# Running each case on its backend ---------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Runs this module's `sqlite` cases once on a SQLite database in a subprocess; the
    outcome of each ("passed" or the failure) by test name."""
    folder = tmp_path_factory.mktemp("ids-sqlite")
    report = folder / "report.xml"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("REDIS_URL", "BROKER_URL")) and key != "DATABASE_URL"
    }
    env |= {"DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", SUBPROCESS_FLAG: "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__)), "-k", "sqlite", "-q",
         "-p", "no:cacheprovider", "-o", "addopts=", f"--junitxml={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 (our own report)
        problems = [case.find(kind) for kind in ("failure", "error", "skipped")]
        problem = next((found for found in problems if found is not None), None)
        outcomes[case.get("name", "")] = (
            "passed" if problem is None else problem.get("message", "") + (problem.text or "")
        )
    return outcomes


def runs_here(backend: str, request: pytest.FixtureRequest) -> bool:
    """True when this process holds `backend`'s database; otherwise checks that the case
    passed where it ran (the SQLite subprocess), or fails/skips for a missing PostgreSQL."""
    if connection.vendor == backend:
        return True
    if backend == "sqlite" and not os.environ.get(SUBPROCESS_FLAG):
        outcome = request.getfixturevalue("sqlite_results").get(request.node.name, "not run")
        assert outcome == "passed", f"on SQLite: {outcome[:3000]}"
        return False
    need(False, "PostgreSQL (DATABASE_URL)")
    return False


# The world: one of everything, seen by its facilitator ------------------------------------


def _world() -> dict[str, Any]:
    facilitator = UserFactory()
    workshop = WorkshopFactory()
    MembershipFactory(workshop=workshop, user=facilitator, role=Role.FACILITATOR)
    voter = MembershipFactory(workshop=workshop, role=Role.PARTICIPANT)
    stream = StreamFactory(workshop=workshop)
    activity, spare = ActivityFactory(stream=stream), ActivityFactory(stream=stream)
    waste = WasteFactory(stream=stream, activity=activity)
    return {
        "user": facilitator,
        "workshops": workshop.pk,
        "streams": stream.pk,
        "activities": activity.pk,
        "spare": spare.pk,
        "links": LinkFactory(stream=stream, source=activity, target=spare).pk,
        "wastes": waste.pk,
        "countermeasures": CountermeasureFactory(waste=waste).pk,
        "notes": NoteFactory(stream=stream).pk,
        "votes": VoteFactory(waste=waste, member=voter).pk,
        "members": voter.pk,
        "invitations": InvitationFactory(workshop=workshop).pk,
        "work-states": WorkState.objects.create(
            workshop=workshop, name="Doing", order=0, flow_state="active"
        ).pk,
        "work-item-imports": WorkItemImport.objects.create(workshop=workshop, status="done").pk,
    }


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    return _world()


@pytest.fixture
def browser(world: dict[str, Any]) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world["user"])
    return client


# Path ids ---------------------------------------------------------------------------------


def _routes(
    patterns: list[Any], prefix: str = "", converters: dict[str, Any] | None = None
) -> Iterator[tuple[str, URLPattern, dict[str, Any]]]:
    for pattern in patterns:
        known = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), known)
        else:
            yield prefix + str(pattern.pattern), pattern, known


def _id_routes() -> list[tuple[str, str, URLPattern]]:
    """(route, id parameter, pattern) of every route with an integer id, from the resolver."""
    return [
        (route, name, pattern)
        for route, pattern, converters in _routes(get_resolver().url_patterns)
        for name, converter in converters.items()
        if isinstance(converter, IntConverter | IdConverter)
    ]


ID_ROUTES = _id_routes()


def _path(route: str, target: str, value: int, world: dict[str, Any]) -> str:
    """The route with `value` for the parameter `target` and, for every other one, the id of
    the world's object its path segment names (so the other lookups would succeed)."""
    parts = route.split("/")
    for index, part in enumerate(parts):
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1].split(":")[-1]
            parts[index] = str(value if name == target else world.get(parts[index - 1], 1))
    return "/" + "/".join(parts)


def _methods(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view is None:
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def test_every_api_and_page_route_with_an_id_is_enumerated():
    routes = {route for route, _, _ in ID_ROUTES}
    assert len(routes) >= 45
    assert {"api/workshops/<id:pk>/", "api/streams/<id:pk>/", "api/work-states/<id:pk>/"} <= routes
    assert {"workshops/<id:pk>/flow/", "streams/<id:pk>/board/"} <= routes


@pytest.mark.parametrize(
    ("route", "target"),
    [pytest.param(route, target, id=f"{route}:{target}") for route, target, _ in ID_ROUTES],
)
def test_path_converters_accept_no_id_beyond_any_row(route, target):
    for value in (*BEYOND.values(), 0):
        with pytest.raises(Resolver404):
            resolve(_path(route, target, value, {}))
    resolve(_path(route, target, MAX_ID, {}))


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
@pytest.mark.parametrize(
    ("route", "target", "pattern"),
    [pytest.param(*case, id=f"{case[0]}:{case[1]}") for case in ID_ROUTES],
)
def test_an_id_beyond_any_row_in_a_path_is_a_404(request, backend, big, route, target, pattern):
    if not runs_here(backend, request):
        return
    world = _world()
    client = Client(raise_request_exception=False)
    client.force_login(world["user"])
    path = _path(route, target, BEYOND[big], world)
    for method in _methods(pattern):
        body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
        response = getattr(client, method)(path, **body)
        assert response.status_code == 404, (method, path, response.status_code)


# Query parameters and body references -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
def test_a_workshop_filter_beyond_any_row_is_a_400(request, backend, big, browser):
    if not runs_here(backend, request):
        return
    response = browser.get("/api/streams/", {"workshop": str(BEYOND[big])})
    assert response.status_code == 400
    assert response.json()["errors"] == {"workshop": ["Must be a workshop id."]}


# (method, path under /api/, body, the field that must be refused); "{x}" is the world's x.
BODY_REFERENCES = [
    ("post", "streams/", {"workshop": "{big}", "name": "S"}, "workshop"),
    ("post", "streams/", {"workshop": "{workshops}", "name": "S", "based_on": "{big}"}, "based_on"),
    ("post", "streams/{streams}/links/", {"source": "{big}", "target": "{spare}"}, "source"),
    ("post", "streams/{streams}/links/", {"source": "{spare}", "target": "{big}"}, "target"),
    ("post", "streams/{streams}/wastes/", {"text": "Queue", "activity": "{big}"}, "activity"),
    ("patch", "wastes/{wastes}/", {"activity": "{big}"}, "activity"),
    ("post", "streams/{streams}/countermeasures/", {"waste": "{big}", "title": "T"}, "waste"),
    ("patch", "work-states/{work-states}/", {"activity": "{big}"}, "activity"),
    ("patch", "workshops/{workshops}/work-states/", [{"id": "{big}"}], "0.id"),
]


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format_map(ids)
    return value


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [pytest.param(*case, id=f"{case[0]} {case[1]} {case[3]}") for case in BODY_REFERENCES],
)
def test_a_body_reference_beyond_any_row_is_a_400_on_its_field(
    request, backend, big, method, path, body, field, world, browser
):
    if not runs_here(backend, request):
        return
    ids = {**world, "big": BEYOND[big]}
    url = "/api/" + _filled(path, {key: str(value) for key, value in ids.items()})
    response = getattr(browser, method)(
        url, json.dumps(_filled(body, ids)), content_type="application/json"
    )
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json()["errors"]


# The board socket -------------------------------------------------------------------------


@pytest.fixture
async def sockets(settings: Any, transactional_db: None) -> AsyncIterator[None]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield
    await close_communicators()


@pytest.fixture
def socket_world(sockets: None) -> dict[str, Any]:
    return _world()


# (op, data, reason); "{big}" is the id beyond any row, "{x}" the world's x.
SOCKET_OPS = [
    ("activity.update", {"id": "{big}", "title": "T"}, "not_found"),
    ("activity.move", {"id": "{big}", "x": 1}, "not_found"),
    ("note.delete", {"id": "{big}"}, "not_found"),
    ("link.create", {"source": "{big}", "target": "{spare}"}, "invalid"),
    ("waste.create", {"text": "Queue", "activity": "{big}"}, "invalid"),
    ("countermeasure.create", {"waste": "{big}", "title": "T"}, "invalid"),
    ("vote.create", {"waste": "{big}"}, "invalid"),
    ("state.update", {"id": "{big}", "activity": "{activities}"}, "invalid"),
    ("state.update", {"id": "{work-states}", "activity": "{big}"}, "invalid"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
@pytest.mark.parametrize(
    ("op", "data", "reason"),
    [pytest.param(*case, id=f"{case[0]} {'-'.join(case[1])}") for case in SOCKET_OPS],
)
async def test_a_socket_op_naming_an_id_beyond_any_row_is_rejected(
    request, backend, big, op, data, reason, socket_world
):
    if not runs_here(backend, request):
        return
    ids = {**socket_world, "big": BEYOND[big]}
    client = await connected(socket_world["user"], socket_world["streams"])
    answer = await client.result(await client.op(op, _filled(data, ids)))
    assert (answer["type"], answer["reason"]) == ("rejected", reason), answer
    await client.send({"type": "editing", "target": {"kind": "note", "id": BEYOND[big]}})
    assert (await client.until("rejected"))[-1]["reason"] == "invalid"
    await client.send({"type": "ping"})
    await client.until("pong")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
async def test_a_board_socket_beyond_any_row_is_no_such_board(request, backend, big, socket_world):
    if not runs_here(backend, request):
        return
    client = await communicator_for(socket_world["user"], BEYOND[big])
    connected_, _ = await client.communicator.connect(timeout=5)
    assert connected_
    closed = await client.communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4404}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("big", list(BEYOND), ids=list(BEYOND))
async def test_a_since_beyond_any_seq_gets_a_snapshot(request, backend, big, socket_world):
    if not runs_here(backend, request):
        return
    client = await communicator_for(socket_world["user"], socket_world["streams"], since=None)
    client.communicator.scope["query_string"] = f"since={BEYOND[big]}".encode()
    frames = await client.connect()
    assert frames[-1]["type"] == "synced" and frames[-1]["mode"] == "snapshot"
