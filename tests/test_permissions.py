"""The permission matrix: every REST endpoint x method x role, as a table.

Roles: the workshop's facilitator, a participant, a viewer, a signed-in non-member and an
anonymous caller. The facilitator manages the workshop, its members, invitations and streams;
participants create and edit map content; viewers only read; a non-member gets 404 for
everything of the workshop; anonymous callers get 401 or 403.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern

from metrics.api import urls as metrics_api_urls
from streams.api import urls as stream_api_urls
from streams.models import ValueStream
from tests.factories import (
    PASSWORD,
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
from tests.stack.servers import free_port
from workitems.api import urls as workitems_api_urls
from workitems.crypto import credential_encrypt
from workitems.models import Connection, ConnectionSync, WorkItemImport, WorkState
from workshops.api import urls as workshop_api_urls
from workshops.models import Membership, Role, Workshop

pytestmark = pytest.mark.django_db

ROLES = ("facilitator", "participant", "viewer", "outsider", "anonymous")
ANON = "401|403"  # anonymous callers are refused before anything is looked up

# fmt: off
#   method    path under /api/                          facilitator participant viewer outsider anon
MATRIX: list[tuple[str, str, int, int, int, int, str]] = [
    ("GET",    "workshops/",                                        200, 200, 200, 200, ANON),
    ("POST",   "workshops/",                                        201, 201, 201, 201, ANON),
    ("GET",    "workshops/{workshop}/",                             200, 200, 200, 404, ANON),
    ("PATCH",  "workshops/{workshop}/",                             200, 403, 403, 404, ANON),
    ("DELETE", "workshops/{workshop}/",                             204, 403, 403, 404, ANON),
    ("GET",    "workshops/{workshop}/members/",                     200, 200, 200, 404, ANON),
    ("PATCH",  "workshops/{workshop}/members/{member}/",            200, 403, 403, 404, ANON),
    ("DELETE", "workshops/{workshop}/members/{member}/",            204, 403, 403, 404, ANON),
    ("GET",    "workshops/{workshop}/invitations/",                 200, 403, 403, 404, ANON),
    ("POST",   "workshops/{workshop}/invitations/",                 201, 403, 403, 404, ANON),
    ("DELETE", "workshops/{workshop}/invitations/{invitation}/",    204, 403, 403, 404, ANON),
    # The token is the capability: anyone signed in may use it (members keep their role).
    ("POST",   "invitations/{token}/accept/",                       200, 200, 200, 200, ANON),
    ("GET",    "streams/",                                          200, 200, 200, 200, ANON),
    # The workshop is named in the body: an outsider gets the same 400 as for an unknown id.
    ("POST",   "streams/",                                          201, 403, 403, 400, ANON),
    ("GET",    "streams/{stream}/",                                 200, 200, 200, 404, ANON),
    ("PATCH",  "streams/{stream}/",                                 200, 403, 403, 404, ANON),
    ("DELETE", "streams/{stream}/",                                 204, 403, 403, 404, ANON),
    ("POST",   "streams/{stream}/clone/",                           201, 403, 403, 404, ANON),
    ("GET",    "streams/{stream}/snapshot/",                        200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/activities/",                      200, 200, 200, 404, ANON),
    ("POST",   "streams/{stream}/activities/",                      201, 201, 403, 404, ANON),
    ("GET",    "streams/{stream}/links/",                           200, 200, 200, 404, ANON),
    ("POST",   "streams/{stream}/links/",                           201, 201, 403, 404, ANON),
    ("GET",    "streams/{stream}/wastes/",                          200, 200, 200, 404, ANON),
    ("POST",   "streams/{stream}/wastes/",                          201, 201, 403, 404, ANON),
    ("GET",    "streams/{stream}/countermeasures/",                 200, 200, 200, 404, ANON),
    ("POST",   "streams/{stream}/countermeasures/",                 201, 201, 403, 404, ANON),
    ("GET",    "streams/{stream}/notes/",                           200, 200, 200, 404, ANON),
    ("POST",   "streams/{stream}/notes/",                           201, 201, 403, 404, ANON),
    ("GET",    "activities/{activity}/",                            200, 200, 200, 404, ANON),
    ("PATCH",  "activities/{activity}/",                            200, 200, 403, 404, ANON),
    ("DELETE", "activities/{activity}/",                            204, 204, 403, 404, ANON),
    ("GET",    "links/{link}/",                                     200, 200, 200, 404, ANON),
    # A link is never changed in place: delete it and add another.
    ("PATCH",  "links/{link}/",                                     405, 405, 405, 405, ANON),
    ("DELETE", "links/{link}/",                                     204, 204, 403, 404, ANON),
    ("GET",    "wastes/{waste}/",                                   200, 200, 200, 404, ANON),
    ("PATCH",  "wastes/{waste}/",                                   200, 200, 403, 404, ANON),
    ("DELETE", "wastes/{waste}/",                                   204, 204, 403, 404, ANON),
    ("GET",    "countermeasures/{countermeasure}/",                 200, 200, 200, 404, ANON),
    ("PATCH",  "countermeasures/{countermeasure}/",                 200, 200, 403, 404, ANON),
    ("DELETE", "countermeasures/{countermeasure}/",                 204, 204, 403, 404, ANON),
    ("GET",    "notes/{note}/",                                     200, 200, 200, 404, ANON),
    ("PATCH",  "notes/{note}/",                                     200, 200, 403, 404, ANON),
    ("DELETE", "notes/{note}/",                                     204, 204, 403, 404, ANON),
    # The vote was cast by the participant: only they can take it back.
    ("GET",    "votes/{vote}/",                                     200, 200, 200, 404, ANON),
    ("PATCH",  "votes/{vote}/",                                     405, 405, 405, 405, ANON),
    ("DELETE", "votes/{vote}/",                                     403, 204, 403, 404, ANON),
    ("GET",    "wastes/{waste}/votes/",                             200, 200, 200, 404, ANON),
    ("POST",   "wastes/{waste}/votes/",                             201, 201, 403, 404, ANON),
    # Facilitation, the later workshop steps, exports and imports, the flow summary.
    ("POST",   "workshops/{workshop}/timer/",                       200, 403, 403, 404, ANON),
    ("POST",   "workshops/{workshop}/import/",                      201, 403, 403, 404, ANON),
    ("GET",    "streams/{stream}/ranking/",                         200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/backlog/",                         200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/export/json/",                     200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/export/csv/",                      200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/export/svg/",                      200, 200, 200, 404, ANON),
    ("GET",    "streams/{stream}/summary/",                         200, 200, 200, 404, ANON),
    # Measured flow: facilitators import and map; every member reads the figures.
    ("GET",    "workshops/{workshop}/flow-metrics/",                200, 200, 200, 404, ANON),
    ("POST",   "workshops/{workshop}/work-items/import/",           201, 403, 403, 404, ANON),
    ("GET",    "workshops/{workshop}/work-item-imports/",           200, 200, 200, 404, ANON),
    ("GET",    "work-item-imports/{import}/",                       200, 200, 200, 404, ANON),
    ("GET",    "workshops/{workshop}/work-states/",                 200, 200, 200, 404, ANON),
    ("PATCH",  "workshops/{workshop}/work-states/",                 200, 403, 403, 404, ANON),
    ("GET",    "work-states/{state}/",                              200, 200, 200, 404, ANON),
    ("PATCH",  "work-states/{state}/",                              200, 403, 403, 404, ANON),
    ("GET",    "workshops/{workshop}/type-rules/",                  200, 200, 200, 404, ANON),
    ("PUT",    "workshops/{workshop}/type-rules/",                  200, 403, 403, 404, ANON),
    ("GET",    "streams/{stream}/measured/",                        200, 200, 200, 404, ANON),
    # The world has no work items: the facilitator gets the 400 "no measured figures".
    ("POST",   "streams/{stream}/measured/apply/",                  400, 403, 403, 404, ANON),
    # Tracker connections: facilitators only; other members get 403 for the list (they know
    # the workshop) and 404 for a connection or a sync (the same as for none).
    ("GET",    "workshops/{workshop}/connections/",                 200, 403, 403, 404, ANON),
    ("POST",   "workshops/{workshop}/connections/",                 201, 403, 403, 404, ANON),
    ("GET",    "connections/{connection}/",                         200, 404, 404, 404, ANON),
    ("PATCH",  "connections/{connection}/",                         200, 404, 404, 404, ANON),
    ("DELETE", "connections/{connection}/",                         204, 404, 404, 404, ANON),
    # The world's tracker listens nowhere: the answer says so ({"ok": false, "message"}).
    ("POST",   "connections/{connection}/test/",                    200, 404, 404, 404, ANON),
    # Queued for a worker (the test's transaction never commits, so it stays pending).
    ("POST",   "connections/{connection}/sync/",                    202, 404, 404, 404, ANON),
    ("GET",    "connection-syncs/{sync}/",                          200, 404, 404, 404, ANON),
]
# fmt: on
# What each write sends; "{name}" stands for the id of that object of the world below.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "workshops/"): {"title": "Another"},
    ("PATCH", "workshops/{workshop}/"): {"phase": "wastes"},
    ("PATCH", "workshops/{workshop}/members/{member}/"): {"team": "Ops"},
    ("POST", "workshops/{workshop}/invitations/"): {"role": "participant"},
    ("POST", "streams/"): {"workshop": "{workshop}", "name": "Future"},
    ("PATCH", "streams/{stream}/"): {"locked": True},
    ("POST", "streams/{stream}/clone/"): {},
    ("POST", "streams/{stream}/activities/"): {"title": "Deploy"},
    ("POST", "streams/{stream}/links/"): {"source": "{spare}", "target": "{loose}"},
    ("POST", "streams/{stream}/wastes/"): {"text": "Queue", "activity": "{activity}"},
    ("POST", "streams/{stream}/countermeasures/"): {"waste": "{waste}", "title": "Automate"},
    ("POST", "streams/{stream}/notes/"): {"text": "Why?"},
    ("PATCH", "activities/{activity}/"): {"wait_time": 60},
    ("PATCH", "links/{link}/"): {"target": "{spare}"},
    ("PATCH", "wastes/{waste}/"): {"category": "defects"},
    ("PATCH", "countermeasures/{countermeasure}/"): {"status": "planned"},
    ("PATCH", "notes/{note}/"): {"kind": "idea"},
    ("PATCH", "votes/{vote}/"): {"waste": "{waste}"},
    ("POST", "workshops/{workshop}/timer/"): {"seconds": 60},
    ("PATCH", "workshops/{workshop}/work-states/"): [{"id": "{state}", "flow_state": "waiting"}],
    ("PATCH", "work-states/{state}/"): {"flow_state": "waiting"},
    ("PUT", "workshops/{workshop}/type-rules/"): [
        {"match": "tag", "value": "risk", "flow_type": "risk"}
    ],
    ("POST", "workshops/{workshop}/connections/"): {
        "kind": "github",
        "scope": {"owner": "acme", "repo": "shop"},
        "credential": {"token": "ghp_" + "x" * 36},
    },
    ("PATCH", "connections/{connection}/"): {"schedule": 0},
    ("POST", "workshops/{workshop}/import/"): {
        "format": "flowmap.stream",
        "version": 1,
        "stream": {"name": "Imported", "state": "current"},
        "activities": [{"ref": "a1", "title": "Intake"}],
    },
}


def _cases() -> list[Any]:
    cases = []
    for method, path, *expected in MATRIX:
        for role, status in zip(ROLES, expected, strict=True):
            cases.append(pytest.param(method, path, role, status, id=f"{method} {path} {role}"))
    return cases


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Replaces "{name}" placeholders: a whole value becomes the id, a path is formatted."""
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        return ids[whole.group(1)] if whole else value.format(**ids)
    return value


def _call(client: Any, method: str, path: str, ids: dict[str, Any]) -> Any:
    """Sends the matrix row's request, with its body, naming the objects in `ids`."""
    url = "/api/" + _fill(path, ids)
    if (method, path) == ("POST", "workshops/{workshop}/work-items/import/"):
        upload = SimpleUploadedFile("history.csv", b"item_id,state,entered_at\n1,New,2024-01-01\n")
        return client.post(url, {"file": upload}, format="multipart")
    body = _fill(BODIES.get((method, path)), ids)
    return getattr(client, method.lower())(url, body, format="json")


def _assert_status(response: Any, expected: int | str) -> None:
    allowed = [int(code) for code in str(expected).split("|")]
    assert response.status_code in allowed, (response.status_code, getattr(response, "data", ""))


def _world(workshop: Workshop, stream: ValueStream, voter: Membership) -> dict[str, Any]:
    """One object of every kind on `stream`, a spare member and an open invitation."""
    activity, spare = ActivityFactory(stream=stream), ActivityFactory(stream=stream)
    waste = WasteFactory(stream=stream, activity=activity)
    stream.votes_revealed = True  # so every member may read every dot
    stream.save()
    return {
        "workshop": workshop.pk,
        "stream": stream.pk,
        "activity": activity.pk,
        "spare": spare.pk,
        "loose": ActivityFactory(stream=stream).pk,
        "link": LinkFactory(stream=stream, source=activity, target=spare).pk,
        "waste": waste.pk,
        "countermeasure": CountermeasureFactory(waste=waste).pk,
        "note": NoteFactory(stream=stream).pk,
        "vote": VoteFactory(waste=waste, member=voter).pk,
        "member": MembershipFactory(workshop=workshop).pk,
        "invitation": InvitationFactory(workshop=workshop).pk,
        "token": InvitationFactory(workshop=workshop, role=Role.VIEWER).token,
        "state": WorkState.objects.create(
            workshop=workshop, name="In Progress", order=0, flow_state="active"
        ).pk,
        "import": WorkItemImport.objects.create(workshop=workshop, status="done").pk,
        **_connection_world(workshop),
    }


def _connection_world(workshop: Workshop) -> dict[str, int]:
    """A tracker connection (at a loopback port nothing listens on) and one of its syncs."""
    connection = Connection.objects.create(
        workshop=workshop,
        kind="github",
        base_url=f"http://127.0.0.1:{free_port()}",
        scope={"owner": "acme", "repo": "shop"},
        credential_encrypted=credential_encrypt({"token": "ghp_" + "y" * 36}),
        credential_hint="yyyy",
    )
    sync = ConnectionSync.objects.create(connection=connection, workshop=workshop, status="done")
    return {"connection": connection.pk, "sync": sync.pk}


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    return _world(cast.workshop, cast.stream, cast.membership("participant"))


@pytest.mark.parametrize(("method", "path", "role", "expected"), _cases())
def test_permission_matrix(cast, world, client_for, method, path, role, expected):
    user = None if role == "anonymous" else cast.user(role)
    _assert_status(_call(client_for(user), method, path, world), expected)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [pytest.param(method, path, out, id=f"{method} {path}") for method, path, *_, out, _ in MATRIX],
)
def test_member_of_another_workshop_is_an_outsider_to_this_one(
    world, client_for, method, path, expected
):
    elsewhere = UserFactory()
    other = MembershipFactory(user=elsewhere, role=Role.FACILITATOR).workshop
    _world(other, StreamFactory(workshop=other), other.memberships.get())
    _assert_status(_call(client_for(elsewhere), method, path, world), expected)


# The endpoints of the foundation (issue 2). Later features add their own rows.
FOUNDATION = {
    "auth/token/",
    "workshops/",
    "workshops/{}/",
    "workshops/{}/members/",
    "workshops/{}/members/{}/",
    "workshops/{}/invitations/",
    "workshops/{}/invitations/{}/",
    "invitations/{}/accept/",
    "streams/",
    "streams/{}/",
    "streams/{}/clone/",
    "streams/{}/snapshot/",
    "streams/{}/activities/",
    "streams/{}/links/",
    "streams/{}/wastes/",
    "streams/{}/countermeasures/",
    "streams/{}/notes/",
    "activities/{}/",
    "links/{}/",
    "wastes/{}/",
    "countermeasures/{}/",
    "notes/{}/",
    "votes/{}/",
    "wastes/{}/votes/",
}


def test_matrix_covers_every_api_endpoint():
    routes = {
        re.sub(r"<[^>]+>", "{}", str(pattern.pattern))
        for module in (workshop_api_urls, stream_api_urls, metrics_api_urls, workitems_api_urls)
        for pattern in module.urlpatterns
        if isinstance(pattern, URLPattern)
    }
    covered = {re.sub(r"\{\w+\}", "{}", path) for _, path, *_ in MATRIX}
    assert routes >= FOUNDATION
    assert routes - covered == {"auth/token/"}  # the token endpoint has its own tests below


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer", "outsider"])
def test_any_user_exchanges_their_own_password_for_a_token(cast, client_for, role):
    response = client_for(None).post(
        "/api/auth/token/",
        {"username": cast.user(role).username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200 and set(response.data) == {"token"}


def test_anonymous_caller_without_credentials_gets_no_token(client_for):
    response = client_for(None).post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400 and "token" not in response.data


@pytest.mark.parametrize(
    "path", sorted({path for method, path, *_ in MATRIX} - {p for m, p, *_ in MATRIX if m == "PUT"})
)
def test_put_is_not_an_allowed_method_anywhere(cast, world, client_for, path):
    response = client_for(cast.facilitator).put("/api/" + _fill(path, world), {}, format="json")
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param(method, path, id=f"{method} {path}")
        for method, path, *_, out, _ in MATRIX
        if out == 404
    ],
)
def test_outsider_gets_the_same_404_as_for_an_object_that_does_not_exist(
    cast, world, client_for, method, path
):
    """The answer to an outsider must not tell an existing object from a missing one."""
    client = client_for(cast.outsider)
    missing = {name: 10**9 if isinstance(value, int) else "x" * 43 for name, value in world.items()}
    existing, absent = _call(client, method, path, world), _call(client, method, path, missing)
    assert existing.status_code == absent.status_code == 404
    assert existing.json() == absent.json()
    assert existing.json()["reason"] == "not_found"


def test_outsider_naming_a_workshop_gets_the_same_400_as_for_one_that_does_not_exist(
    cast, client_for
):
    client = client_for(cast.outsider)
    existing = client.post(
        "/api/streams/", {"workshop": cast.workshop.pk, "name": "S"}, format="json"
    )
    absent = client.post("/api/streams/", {"workshop": 10**9, "name": "S"}, format="json")
    assert existing.status_code == absent.status_code == 400
    assert existing.json() == absent.json()
    assert not ValueStream.objects.filter(name="S").exists()


@pytest.mark.parametrize("role", ["participant", "viewer"])
@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("workshops/{workshop}/", {"phase": "countermeasures"}),
        ("workshops/{workshop}/", {"title": "Renamed", "is_real": True}),
        ("streams/{stream}/", {"locked": True}),
        ("streams/{stream}/", {"votes_revealed": False}),
        ("streams/{stream}/", {"name": "Renamed", "state": "future"}),
    ],
)
def test_only_the_facilitator_changes_workshop_and_stream_settings(
    cast, world, client_for, role, path, change
):
    workshop = Workshop.objects.values().get(pk=cast.workshop.pk)
    stream = ValueStream.objects.values().get(pk=cast.stream.pk)
    response = client_for(cast.user(role)).patch(
        "/api/" + _fill(path, world), change, format="json"
    )
    assert response.status_code == 403
    assert Workshop.objects.values().get(pk=cast.workshop.pk) == workshop
    assert ValueStream.objects.values().get(pk=cast.stream.pk) == stream


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_members_cannot_promote_themselves(cast, client_for, role):
    own = cast.membership(role)
    response = client_for(cast.user(role)).patch(
        f"/api/workshops/{cast.workshop.pk}/members/{own.pk}/",
        {"role": "facilitator"},
        format="json",
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == role


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_a_member_may_change_their_own_team(cast, client_for, role):
    own = cast.membership(role)
    response = client_for(cast.user(role)).patch(
        f"/api/workshops/{cast.workshop.pk}/members/{own.pk}/", {"team": "QA"}, format="json"
    )
    assert response.status_code == 200 and response.data["team"] == "QA"


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_a_member_may_leave(cast, client_for, role):
    own = cast.membership(role)
    response = client_for(cast.user(role)).delete(
        f"/api/workshops/{cast.workshop.pk}/members/{own.pk}/"
    )
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_a_dot_stays_secret_from_other_members_until_revealed(cast, client_for):
    vote = VoteFactory(waste=WasteFactory(stream=cast.stream), member=cast.membership("viewer"))
    for role, expected in (("viewer", 200), ("participant", 404), ("facilitator", 404)):
        response = client_for(cast.user(role)).get(f"/api/votes/{vote.pk}/")
        assert response.status_code == expected, role


def test_workshop_a_urls_do_not_reach_members_or_invitations_of_workshop_b(cast, client_for):
    other = WorkshopFactory()
    member, invitation = MembershipFactory(workshop=other), InvitationFactory(workshop=other)
    client, workshop = client_for(cast.facilitator), cast.workshop.pk
    member_url = f"/api/workshops/{workshop}/members/{member.pk}/"
    assert client.patch(member_url, {"role": "viewer"}, format="json").status_code == 404
    assert client.delete(member_url).status_code == 404
    invitation_url = f"/api/workshops/{workshop}/invitations/{invitation.pk}/"
    assert client.delete(invitation_url).status_code == 404
    member.refresh_from_db()
    invitation.refresh_from_db()
    assert (member.role, invitation.revoked) == (Role.PARTICIPANT, False)


def test_stream_filter_does_not_list_streams_of_a_workshop_one_is_not_in(cast, client_for):
    other = StreamFactory()
    response = client_for(cast.facilitator).get(f"/api/streams/?workshop={other.workshop_id}")
    assert response.status_code == 200 and response.json() == []
