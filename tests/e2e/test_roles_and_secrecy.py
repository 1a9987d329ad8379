"""Roles and secret votes in Chromium against real servers, PostgreSQL, Redis (and, for the
votes, a Celery worker that pushes flow summaries):

* a viewer has no way to change anything from the page: no editing control on the board or the
  workshop page, no op sent by clicks, keys or drags, and every write forced from the page
  (socket ops of every kind, presence and follow frames, REST calls and form posts with the
  CSRF token) is refused while the database stays as it was;
* before the facilitator reveals the votes, no payload a member's page receives (websocket
  frames, REST and page responses, server-rendered HTML) tells which waste another member put
  a dot on, nor any per-waste total; after the reveal, the totals reach everyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from streams.models import Activity, Countermeasure, Link, Note, Op, ValueStream, Vote, Waste
from tests.factories import (
    PASSWORD,
    ActivityFactory,
    CountermeasureFactory,
    InvitationFactory,
    LinkFactory,
    NoteFactory,
    VoteFactory,
    WasteFactory,
)
from tests.stack.clients import frames_of
from tests.stack.worker import celery_worker
from workshops.models import Invitation, Membership, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass
class Recorded:
    """Everything one page received: websocket frames (text) and HTTP responses."""

    page: Any
    frames: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)

    def messages(self) -> list[dict[str, Any]]:
        return [message for text in self.frames for message in frames_of(text)]

    def bodies(self) -> list[tuple[str, str, str]]:
        """(url, content type, text) of every response of the app that has a body."""
        found = []
        for response in self.responses:
            if "/static/" in response.url or not 200 <= response.status < 300:
                continue
            kind = response.headers.get("content-type", "")
            found.append((response.url, kind, response.text()))
        return found


def record(page: Any) -> Recorded:
    recorded = Recorded(page)
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived",
            lambda payload: recorded.frames.append(
                payload if isinstance(payload, str) else payload.decode()
            ),
        ),
    )
    page.on("response", lambda response: recorded.responses.append(response))
    return recorded


@pytest.fixture
def board_page(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any
) -> Iterator[Callable[..., Any]]:
    """board_page(user, path, beside=None) -> a page signed in as `user` (a new tab of the
    page `beside` when given), recorded from its first load, on `path`; loaded and connected
    when it is a board."""
    (server,) = asgi_servers.get(1)

    def open_page(user: Any, path: str, beside: Recorded | None = None) -> Recorded:
        if beside is None:
            page = signed_in_page(server.http_url, user.username, PASSWORD)
        else:
            page = beside.page.context.new_page()
        recorded = record(page)
        page.goto(path)
        if "/board/" in path:
            expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
            expect(page.locator(".loading")).to_be_hidden()
        return recorded

    yield open_page
    connection.close()  # opened beside Playwright's loop; would outlive the test database


def sticky(page: Any, kind: str, obj: Any) -> Any:
    return page.locator(f'.sticky-note[data-key="{kind}:{obj.pk}"]')


def database_state(workshop_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row a member of the workshop could change."""
    streams = ValueStream.objects.filter(workshop_id=workshop_id)
    state = {
        "workshop": Workshop.objects.filter(pk=workshop_id),
        "members": Membership.objects.filter(workshop_id=workshop_id),
        "invitations": Invitation.objects.filter(workshop_id=workshop_id),
        "streams": streams,
    }
    for model in (Activity, Link, Waste, Vote, Countermeasure, Note, Op):
        state[model.__name__] = model.objects.filter(stream__in=streams)
    return {name: list(rows.order_by("pk").values()) for name, rows in state.items()}


# The viewer ---------------------------------------------------------------------------------


@pytest.fixture
def mapped(cast: Any) -> Any:
    """A small map with one object of every kind and a participant's (hidden) dot."""
    stream = cast.stream
    cast.first = ActivityFactory(stream=stream, title="Intake", x=40, y=40)
    cast.second = ActivityFactory(stream=stream, title="Build", x=300, y=40)
    cast.link = LinkFactory(stream=stream, source=cast.first, target=cast.second)
    cast.waste = WasteFactory(stream=stream, text="Waiting", activity=cast.first, x=40, y=220)
    cast.vote = VoteFactory(waste=cast.waste, member=cast.membership("participant"))
    cast.countermeasure = CountermeasureFactory(waste=cast.waste, title="Fewer gates", y=360)
    cast.note = NoteFactory(stream=stream, text="Why?", x=560, y=40)
    cast.invitation = InvitationFactory(workshop=cast.workshop)
    return cast


# Sends a raw frame on the board's socket and waits for the first `rejected` frame after it.
SEND_AND_WAIT_REJECTED = """(frame) => new Promise((resolve) => {
  const connection = window.boardApp.connection;
  const listen = (event) => {
    if (event.detail.type !== 'rejected') return;
    connection.removeEventListener('frame', listen);
    resolve(event.detail.reason);
  };
  connection.addEventListener('frame', listen);
  connection.socket.socket.send(JSON.stringify(frame));
})"""

OP_REASON = """([op, data]) => window.boardApp.connection.op(op, data)
  .then(() => 'applied', (error) => error.frame ? error.frame.reason : String(error))"""

# A write from the page's own session, with its CSRF token, as the page's scripts make them.
FORCE = """async ([method, url, body, form]) => {
  const token = document.querySelector('[data-csrf]')?.dataset.csrf
    || document.querySelector('[name=csrfmiddlewaretoken]')?.value;
  const headers = { 'X-CSRFToken': token, Accept: 'application/json' };
  let payload;
  if (form) {
    payload = new URLSearchParams({ ...body, csrfmiddlewaretoken: token });
  } else if (body !== null) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, {
    method, headers, body: payload, credentials: 'same-origin', redirect: 'manual',
  });
  if (response.type === 'opaqueredirect') return 'redirected';
  const text = await response.text();
  // A refused CSRF check would make the refusal prove nothing about the role.
  return /CSRF/i.test(text) ? `CSRF refused: ${text.slice(0, 80)}` : response.status;
}"""


def test_a_viewer_cannot_change_anything_through_the_page(
    board_page: Callable[..., Any], mapped: Any
) -> None:
    cast = mapped
    before = database_state(cast.workshop.pk)
    viewer = board_page(cast.viewer, f"/streams/{cast.stream.pk}/board/").page
    sent: list[str] = []
    viewer.on(
        "websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload))
    )
    viewer.reload()  # so the socket's sent frames are recorded from its start
    expect(viewer.locator(".connection")).to_have_attribute("data-state", "connected")
    expect(viewer.locator(".role-badge")).to_have_text("Viewer")
    expect(sticky(viewer, "note", cast.note)).to_be_visible()

    # No control that changes anything, on the board...
    for control in (
        ".toolbar .edit-tool",
        "[data-action=undo]",
        "[data-action=delete]",
        "[data-action=vote]",
        "[data-action=unvote]",
        "[data-action=countermeasure]",
        ".link-handle",
        "[data-action=reveal]",
        ".timer-controls",
        "[data-action=lock]",
        "[data-action=lead]",
        "form[action*='/repeat/']",
    ):
        expect(viewer.locator(control)).to_have_count(0)
    current = viewer.locator(".phase-step[aria-current=step]")
    expect(current).to_have_count(1)
    expect(viewer.locator(".phase-step:not([aria-current])")).to_have_count(8)
    for index in range(8):
        expect(viewer.locator(".phase-step:not([aria-current])").nth(index)).to_be_disabled()
    expect(viewer.locator(".vote-budget")).to_have_text("Viewers watch the vote.")

    # ...nor any gesture or key that edits: double-click, Enter, Delete, V, C, L, arrows, drag.
    viewer.locator(".panel-steps summary").click()
    for kind, obj in (
        ("activity", cast.first),
        ("waste", cast.waste),
        ("countermeasure", cast.countermeasure),
        ("note", cast.note),
    ):
        card = sticky(viewer, kind, obj)
        card.dblclick()
        for key in ("Enter", "F2", "Delete", "v", "c", "l", "ArrowRight", "Control+z"):
            card.focus()
            card.press(key)
        box = card.bounding_box()
        assert box is not None
        viewer.mouse.move(box["x"] + 30, box["y"] + 30)
        viewer.mouse.down()
        viewer.mouse.move(box["x"] + 130, box["y"] + 90, steps=4)
        viewer.mouse.up()
        expect(viewer.locator(".sticky-form")).to_have_count(0)
    expect(viewer.locator(".size-grid button.place")).to_have_count(0)
    expect(viewer.locator(".size-detail .segmented")).to_have_count(0)
    viewer.wait_for_timeout(400)  # past the arrow keys' 350 ms move debounce
    assert [frame for frame in sent if '"type":"op"' in frame.replace(" ", "")] == []
    assert database_state(cast.workshop.pk) == before

    # Every op forced on the socket is refused, and so are presence and follow frames.
    ids = {
        "activity": cast.first.pk,
        "link": cast.link.pk,
        "waste": cast.waste.pk,
        "vote": cast.vote.pk,
        "countermeasure": cast.countermeasure.pk,
        "note": cast.note.pk,
    }
    creates = {
        "activity": {"title": "Sneaky"},
        "link": {"source": cast.second.pk, "target": cast.first.pk},
        "waste": {"text": "Sneaky"},
        "vote": {"waste": cast.waste.pk},
        "countermeasure": {"waste": cast.waste.pk, "title": "Sneaky"},
        "note": {"text": "Sneaky"},
    }
    forced = []
    for kind, object_id in ids.items():
        forced.append((f"{kind}.create", creates[kind]))
        forced.append((f"{kind}.delete", {"id": object_id}))
        if kind not in ("link", "vote"):
            forced.append((f"{kind}.update", {"id": object_id, "x": 999}))
            forced.append((f"{kind}.move", {"id": object_id, "x": 999, "y": 999}))
    reasons = {op: viewer.evaluate(OP_REASON, [op, data]) for op, data in forced}
    # Another member's dot does not exist for the viewer before the reveal: not found, as
    # over REST, never "not yours" (issue 16 item 1).
    assert reasons == {**dict.fromkeys(reasons, "forbidden"), "vote.delete": "not_found"}
    for frame in (
        {"type": "editing", "target": {"kind": "note", "id": cast.note.pk}},
        {"type": "follow", "viewport": {"x": 0, "y": 0, "zoom": 1}},
    ):
        assert viewer.evaluate(SEND_AND_WAIT_REJECTED, frame) == "forbidden", frame

    # Every REST write and form post forced with the page's session and CSRF token is refused.
    stream, workshop = cast.stream.pk, cast.workshop.pk
    member = cast.membership("viewer").pk
    api_writes = [
        ("PATCH", f"/api/streams/{stream}/", {"votes_revealed": True, "locked": True}),
        ("DELETE", f"/api/streams/{stream}/", None),
        ("POST", "/api/streams/", {"workshop": workshop, "name": "Sneaky"}),
        ("POST", f"/api/streams/{stream}/clone/", {"state": "future"}),
        ("POST", f"/api/streams/{stream}/activities/", {"title": "Sneaky"}),
        ("PATCH", f"/api/activities/{cast.first.pk}/", {"title": "Sneaky"}),
        ("DELETE", f"/api/activities/{cast.first.pk}/", None),
        ("POST", f"/api/streams/{stream}/links/", creates["link"]),
        ("DELETE", f"/api/links/{cast.link.pk}/", None),
        ("POST", f"/api/streams/{stream}/wastes/", {"text": "Sneaky"}),
        ("PATCH", f"/api/wastes/{cast.waste.pk}/", {"text": "Sneaky"}),
        ("DELETE", f"/api/wastes/{cast.waste.pk}/", None),
        ("POST", f"/api/wastes/{cast.waste.pk}/votes/", None),
        ("DELETE", f"/api/votes/{cast.vote.pk}/", None),
        ("POST", f"/api/streams/{stream}/countermeasures/", creates["countermeasure"]),
        ("PATCH", f"/api/countermeasures/{cast.countermeasure.pk}/", {"effort": 1}),
        ("DELETE", f"/api/countermeasures/{cast.countermeasure.pk}/", None),
        ("POST", f"/api/streams/{stream}/notes/", {"text": "Sneaky"}),
        ("PATCH", f"/api/notes/{cast.note.pk}/", {"text": "Sneaky"}),
        ("DELETE", f"/api/notes/{cast.note.pk}/", None),
        ("PATCH", f"/api/workshops/{workshop}/", {"phase": "repeat"}),
        ("DELETE", f"/api/workshops/{workshop}/", None),
        ("POST", f"/api/workshops/{workshop}/timer/", {"seconds": 60}),
        ("PATCH", f"/api/workshops/{workshop}/members/{member}/", {"role": "facilitator"}),
        ("POST", f"/api/workshops/{workshop}/invitations/", {"role": "facilitator"}),
        ("DELETE", f"/api/workshops/{workshop}/invitations/{cast.invitation.pk}/", None),
        ("POST", f"/api/workshops/{workshop}/import/", {"format": "flowmap.stream"}),
    ]
    statuses = {
        f"{method} {url}": viewer.evaluate(FORCE, [method, url, body, False])
        for method, url, body in api_writes
    }
    assert {
        request: status for request, status in statuses.items() if status not in (403, 404)
    } == {}

    viewer.goto(f"/workshops/{workshop}/")
    for control in ("form[action$='/invitations/']", "select[name=role]", "#new-stream"):
        expect(viewer.locator(control)).to_have_count(0)
    expect(viewer.locator("form[action*='/repeat/'], form[action*='/revoke/']")).to_have_count(0)
    form_posts = [
        (f"/workshops/{workshop}/invitations/", {"role": "facilitator"}),
        (f"/workshops/{workshop}/invitations/{cast.invitation.pk}/revoke/", {}),
        (f"/workshops/{workshop}/members/{member}/", {"role": "facilitator"}),
        (f"/workshops/{workshop}/streams/", {"name": "Sneaky"}),
        (f"/workshops/{workshop}/streams/{stream}/repeat/", {"state": "future"}),
    ]
    statuses = {url: viewer.evaluate(FORCE, ["POST", url, body, True]) for url, body in form_posts}
    assert {url: status for url, status in statuses.items() if status not in (403, 404)} == {}

    assert database_state(cast.workshop.pk) == before


# Secret votes -------------------------------------------------------------------------------

DOTS_TEXT = re.compile(r"\b[1-9]\d* dots?\b")
JSON_SCRIPT = re.compile(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', re.S)


def leaks(payload: Any, own_member: int) -> list[Any]:
    """What in a JSON payload tells another member's dot or a per-waste total."""
    found = []
    if isinstance(payload, dict):
        if "waste" in payload and "member" in payload and payload["member"] != own_member:
            found.append(payload)  # another member's vote
        if payload.get("type") == "applied" and str(payload.get("op")).startswith("vote."):
            if payload.get("data") is not None and payload["data"].get("member") != own_member:
                found.append(payload)
            if payload.get("hidden") and set(payload) != {"type", "seq", "op", "data", "hidden"}:
                found.append(payload)  # a redacted frame that says more than its place
        for key in ("votes", "dots"):
            value = payload.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value:
                found.append(payload)  # a waste's total
        for key in ("by_waste", "waste_votes", "ranking", "award"):
            if payload.get(key) is not None:
                found.append(payload)
        for value in payload.values():
            found.extend(leaks(value, own_member))
    elif isinstance(payload, list):
        for value in payload:
            found.extend(leaks(value, own_member))
    return found


def secrets_in(recorded: Recorded, own_member: int) -> list[Any]:
    """Every leak in what the page received: frames, JSON responses and rendered HTML."""
    found: list[Any] = []
    for message in recorded.messages():
        found.extend(leaks(message, own_member))
    for url, kind, text in recorded.bodies():
        if "json" in kind:
            found.extend(leaks(json.loads(text), own_member))
        elif "html" in kind:
            found.extend(f"{url}: {match}" for match in DOTS_TEXT.findall(text))
            for script in JSON_SCRIPT.findall(text):
                found.extend(leaks(json.loads(script), own_member))
    return found


def test_hidden_votes_are_in_no_payload_before_the_reveal_and_totals_reach_everyone_after(
    board_page: Callable[..., Any], cast: Any
) -> None:
    stream = cast.stream
    first = WasteFactory(stream=stream, text="Waiting for the CAB", x=40, y=40)
    second = WasteFactory(stream=stream, text="Flaky tests", x=300, y=40)
    ActivityFactory(stream=stream, title="Build", x=40, y=300)
    board = f"/streams/{stream.pk}/board/"
    members = {role: cast.membership(role).pk for role in ("facilitator", "participant", "viewer")}

    with celery_worker():
        pages = {
            "facilitator": board_page(cast.facilitator, board),
            "participant": board_page(cast.participant, board),
            "viewer": board_page(cast.viewer, board),
        }
        pages["viewer summary"] = board_page(
            cast.viewer, f"/streams/{stream.pk}/summary/", beside=pages["viewer"]
        )
        expect(pages["viewer summary"].page.locator(".live-state")).to_have_text("Live updates: on")
        owners = {name: members[name.split()[0]] for name in pages}

        participant = pages["participant"].page
        for waste, dots in ((first, 2), (second, 1)):
            for done in range(1, dots + 1):
                sticky(participant, "waste", waste).locator("[data-action=vote]").click()
                expect(sticky(participant, "waste", waste).locator(".dot.mine")).to_have_count(done)
        facilitator = pages["facilitator"].page
        sticky(facilitator, "waste", second).locator("[data-action=vote]").click()
        expect(sticky(facilitator, "waste", second).locator(".dot.mine")).to_have_count(1)
        assert Vote.objects.filter(stream=stream).count() == 4
        seq = ValueStream.objects.get(pk=stream.pk).seq

        for name in ("facilitator", "participant", "viewer"):
            page = pages[name].page
            # The ranking was fetched after the last dot, and the worker's summary arrived.
            expect(page.locator(".vote-results")).to_contain_text("4 dots cast so far")
            page.wait_for_function(
                "(seq) => (window.boardApp.store.summary?.seq ?? -1) >= seq", arg=seq
            )
        # Server-rendered pages, and every read the API offers, loaded after the votes.
        pages["facilitator tab"] = board_page(cast.facilitator, board, beside=pages["facilitator"])
        pages["facilitator workshop"] = board_page(
            cast.facilitator, f"/workshops/{cast.workshop.pk}/", beside=pages["facilitator"]
        )
        pages["viewer summary later"] = board_page(
            cast.viewer, f"/streams/{stream.pk}/summary/", beside=pages["viewer"]
        )
        owners.update(
            {
                "facilitator tab": members["facilitator"],
                "facilitator workshop": members["facilitator"],
                "viewer summary later": members["viewer"],
            }
        )
        hidden_vote = Vote.objects.filter(member_id=members["participant"]).first()
        assert hidden_vote is not None
        reads = [
            f"/api/streams/{stream.pk}/",
            f"/api/streams/{stream.pk}/snapshot/",
            f"/api/streams/{stream.pk}/ranking/",
            f"/api/streams/{stream.pk}/backlog/",
            f"/api/streams/{stream.pk}/summary/",
            f"/api/streams/{stream.pk}/wastes/",
            f"/api/streams/{stream.pk}/export/json/",
            f"/api/wastes/{first.pk}/votes/",
            f"/api/wastes/{second.pk}/votes/",
            f"/api/votes/{hidden_vote.pk}/",
            f"/streams/{stream.pk}/summary/?partial=1",
        ]
        for name in ("facilitator tab", "viewer summary later"):
            page = pages[name].page
            statuses = [
                page.evaluate("(url) => fetch(url).then((response) => response.status)", url)
                for url in reads
            ]
            assert statuses == [200] * (len(reads) - 2) + [404, 200], (name, statuses)

        for name, recorded in pages.items():
            assert secrets_in(recorded, owners[name]) == [], name
        # Each page did hear about the others' dots, as bare places in the order.
        hidden = {
            name: sum(1 for message in pages[name].messages() if message.get("hidden"))
            for name in ("facilitator", "participant", "viewer")
        }
        assert hidden == {"facilitator": 3, "participant": 1, "viewer": 4}
        for name in ("facilitator", "viewer"):
            assert pages[name].page.locator(".vote-total").count() == 0

        facilitator.locator(".panel-voting summary").click()
        facilitator.click("[data-action=reveal]")

        for name in ("facilitator", "participant", "viewer", "facilitator tab"):
            page = pages[name].page
            expect(sticky(page, "waste", first).locator(".vote-total")).to_have_text("2 dots")
            expect(sticky(page, "waste", second).locator(".vote-total")).to_have_text("2 dots")
            expect(page.locator(".award-waste")).to_have_text(
                ["Waiting for the CAB — 2 dots", "Flaky tests — 2 dots"]
            )
            assert page.evaluate("window.boardApp.store.list('vote').length") == 4
        summary = pages["viewer summary later"].page
        expect(summary.locator("svg[aria-label^='Waste Pareto'] rect > title")).to_have_text(
            [
                "Waiting for the CAB: 2 dots · Waiting (delays, queues)",
                "Flaky tests: 2 dots · Waiting (delays, queues)",
            ]
        )
        snapshots = [m for m in pages["viewer"].messages() if m.get("type") == "snapshot"]
        assert len(snapshots[-1]["votes"]) == 4  # the snapshot that follows the reveal
        assert secrets_in(pages["viewer"], members["viewer"]) != []  # the check sees totals
