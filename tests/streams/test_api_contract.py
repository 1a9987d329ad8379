"""The REST contract: JSON shapes, auth by token, invitations, filters, the op log, clone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import resolve

from streams.models import Activity, Countermeasure, Note, Op, ValueStream, Vote, Waste
from tests.factories import (
    PASSWORD,
    ActivityFactory,
    CountermeasureFactory,
    InvitationFactory,
    LinkFactory,
    NoteFactory,
    StreamFactory,
    UserFactory,
    VoteFactory,
    WasteFactory,
)
from workshops.models import Role

pytestmark = pytest.mark.django_db

ACTIVITY_FIELDS = {
    "id",
    "title",
    "description",
    "team",
    "lane",
    "x",
    "y",
    "order",
    "process_time",
    "wait_time",
    "pca",
    "color",
    "version",
}
ACTIVITY_EXTRAS = {"lead_time_min", "lead_time_max"}  # optional estimates, allowed besides
LINK_FIELDS = {"id", "source", "target", "kind"}
LINK_EXTRAS = {"version"}


def _fields_are(data: dict[str, Any], required: set[str], extras: set[str]) -> bool:
    return required <= set(data) <= required | extras


# Shapes ------------------------------------------------------------------------------------


def test_activity_json_has_exactly_the_named_fields_everywhere(cast, client_for):
    client = client_for(cast.participant)
    created = client.post(
        f"/api/streams/{cast.stream.pk}/activities/", {"title": "Build"}, format="json"
    ).json()
    shapes = [
        created,
        client.get(f"/api/activities/{created['id']}/").json(),
        client.patch(f"/api/activities/{created['id']}/", {"pca": 50}, format="json").json(),
        *client.get(f"/api/streams/{cast.stream.pk}/activities/").json(),
        *client.get(f"/api/streams/{cast.stream.pk}/snapshot/").json()["activities"],
    ]
    assert len(shapes) == 5
    for shape in shapes:
        assert _fields_are(shape, ACTIVITY_FIELDS, ACTIVITY_EXTRAS), sorted(shape)


def test_activity_json_carries_times_in_seconds_and_pca_in_percent(cast, client_for):
    activity = ActivityFactory(stream=cast.stream, process_time=3600, wait_time=7200, pca=80)
    data = client_for(cast.viewer).get(f"/api/activities/{activity.pk}/").json()
    assert (data["process_time"], data["wait_time"], data["pca"]) == (3600, 7200, 80)


def test_link_json_has_source_and_target_activity_ids(cast, client_for):
    link = LinkFactory(stream=cast.stream)
    client = client_for(cast.viewer)
    shapes = [
        client.get(f"/api/links/{link.pk}/").json(),
        *client.get(f"/api/streams/{cast.stream.pk}/links/").json(),
    ]
    for shape in shapes:
        assert _fields_are(shape, LINK_FIELDS, LINK_EXTRAS), sorted(shape)
        assert (shape["source"], shape["target"]) == (link.source_id, link.target_id)


def test_snapshot_holds_every_kind_and_the_seq_it_reflects(cast, client_for):
    snapshot = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/snapshot/").json()
    assert set(snapshot) >= {
        "seq",
        "stream",
        "activities",
        "links",
        "wastes",
        "countermeasures",
        "notes",
        "votes",
    }


@pytest.mark.parametrize("page", ["board_url", "summary_url"])
def test_stream_json_links_its_pages_by_site_relative_paths_that_resolve(cast, client_for, page):
    data = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/").json()
    path = data[page]
    parsed = urlparse(path)
    assert path.startswith("/") and not parsed.scheme and not parsed.netloc
    resolve(path)
    browser = Client()
    browser.force_login(cast.viewer)
    assert browser.get(path).status_code == 200


def test_stream_list_filters_by_workshop(cast, client_for):
    other = StreamFactory()
    client = client_for(cast.facilitator)
    other.workshop.memberships.create(user=cast.facilitator, role=Role.VIEWER)
    everything = {stream["id"] for stream in client.get("/api/streams/").json()}
    filtered = client.get(f"/api/streams/?workshop={cast.workshop.pk}").json()
    assert everything == {cast.stream.pk, other.pk}
    assert [stream["id"] for stream in filtered] == [cast.stream.pk]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "²", "1 OR 1=1"])
def test_stream_list_refuses_a_workshop_filter_that_is_not_an_id(cast, client_for, value):
    response = client_for(cast.facilitator).get("/api/streams/", {"workshop": value})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["workshop"]


# Auth --------------------------------------------------------------------------------------


def test_a_token_from_the_token_endpoint_authenticates_later_requests(cast):
    client = Client()
    response = client.post(
        "/api/auth/token/",
        {"username": cast.participant.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200 and list(response.json()) == ["token"]
    token = response.json()["token"]
    assert Client().get("/api/workshops/").status_code in (401, 403)
    signed = Client(headers={"authorization": f"Token {token}"})
    assert [w["id"] for w in signed.get("/api/workshops/").json()] == [cast.workshop.pk]
    posted = signed.post(
        f"/api/streams/{cast.stream.pk}/notes/", {"text": "hi"}, content_type="application/json"
    )
    assert posted.status_code == 201  # token requests need no CSRF token


@pytest.mark.parametrize(
    "body",
    [
        {"username": "participant-x", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "", "password": ""},
        {"username": "participant-x"},
        {"username": ["a"], "password": {"b": 1}},
        [],
        ["participant-x", PASSWORD],
        "participant-x",
    ],
)
def test_token_endpoint_answers_400_for_wrong_or_malformed_credentials(cast, body):
    if isinstance(body, dict) and body.get("username") == "participant-x":
        body = {**body, "username": cast.participant.username}
    response = Client().post("/api/auth/token/", body, content_type="application/json")
    assert response.status_code == 400 and "token" not in response.json()


def test_a_wrong_token_is_refused(cast):
    response = Client(headers={"authorization": "Token " + "0" * 40}).get("/api/workshops/")
    assert response.status_code in (401, 403)


# Workshops and invitations --------------------------------------------------------------


def test_creating_a_workshop_over_rest_makes_the_creator_facilitator(db, client_for):
    user = UserFactory()
    created = client_for(user).post("/api/workshops/", {"title": "Deploys"}, format="json")
    assert created.status_code == 201 and created.json()["my_role"] == "facilitator"
    members = client_for(user).get(f"/api/workshops/{created.json()['id']}/members/").json()
    assert [(m["user"], m["role"]) for m in members] == [(user.pk, "facilitator")]


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
def test_an_invitation_carries_a_token_that_admits_with_its_role(cast, client_for, role):
    created = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/invitations/", {"role": role}, format="json"
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert created.json()["role"] == role and len(token) >= 40
    accepted = client_for(cast.outsider).post(f"/api/invitations/{token}/accept/")
    assert accepted.status_code == 200
    assert (accepted.json()["user"], accepted.json()["role"]) == (cast.outsider.pk, role)
    workshop = client_for(cast.outsider).get(f"/api/workshops/{cast.workshop.pk}/")
    assert workshop.status_code == 200 and workshop.json()["my_role"] == role


def test_accepting_again_keeps_the_existing_role(cast, client_for):
    invitation = InvitationFactory(workshop=cast.workshop, role=Role.FACILITATOR)
    response = client_for(cast.viewer).post(f"/api/invitations/{invitation.token}/accept/")
    assert response.status_code == 200 and response.json()["role"] == "viewer"


# The op log --------------------------------------------------------------------------------


def _world(cast: Any) -> dict[str, Any]:
    activity, other, loose = (ActivityFactory(stream=cast.stream) for _ in range(3))
    waste = WasteFactory(stream=cast.stream, activity=activity)
    return {
        "stream": cast.stream.pk,
        "activity": activity.pk,
        "other": other.pk,
        "loose": loose.pk,
        "link": LinkFactory(stream=cast.stream, source=activity, target=other).pk,
        "waste": waste.pk,
        "countermeasure": CountermeasureFactory(waste=waste).pk,
        "note": NoteFactory(stream=cast.stream).pk,
        "vote": VoteFactory(waste=waste, member=cast.membership("facilitator")).pk,
    }


WRITES = [
    ("POST", "streams/{stream}/activities/", {"title": "Deploy"}, "activity.create"),
    ("POST", "streams/{stream}/links/", {"source": "{other}", "target": "{loose}"}, "link.create"),
    ("POST", "streams/{stream}/wastes/", {"text": "Queue"}, "waste.create"),
    ("POST", "streams/{stream}/countermeasures/", {"waste": "{waste}"}, "countermeasure.create"),
    ("POST", "streams/{stream}/notes/", {"text": "Why?"}, "note.create"),
    ("POST", "wastes/{waste}/votes/", None, "vote.create"),
    ("PATCH", "activities/{activity}/", {"wait_time": 60}, "activity.update"),
    ("PATCH", "wastes/{waste}/", {"category": "defects"}, "waste.update"),
    ("PATCH", "countermeasures/{countermeasure}/", {"effort": 1}, "countermeasure.update"),
    ("PATCH", "notes/{note}/", {"kind": "idea"}, "note.update"),
    ("PATCH", "streams/{stream}/", {"votes_revealed": True}, "stream.update"),
    ("DELETE", "activities/{activity}/", None, "activity.delete"),
    ("DELETE", "links/{link}/", None, "link.delete"),
    ("DELETE", "wastes/{waste}/", None, "waste.delete"),
    ("DELETE", "countermeasures/{countermeasure}/", None, "countermeasure.delete"),
    ("DELETE", "notes/{note}/", None, "note.delete"),
    ("DELETE", "votes/{vote}/", None, "vote.delete"),
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize(("method", "path", "body", "op"), WRITES, ids=lambda v: str(v)[:40])
def test_every_rest_write_appends_exactly_one_op_with_the_next_seq(
    cast, client_for, method, path, body, op
):
    ids = _world(cast)
    for note in range(3):  # some history, so "next" means something
        client_for(cast.participant).post(
            f"/api/streams/{cast.stream.pk}/notes/", {"text": f"n{note}"}, format="json"
        )
    before = list(Op.objects.filter(stream=cast.stream).values_list("seq", flat=True))
    response = getattr(client_for(cast.facilitator), method.lower())(
        "/api/" + _fill(path, ids), _fill(body, ids), format="json"
    )
    assert response.status_code < 300, response.content
    after = Op.objects.filter(stream=cast.stream).order_by("seq")
    assert [record.seq for record in after] == [*before, before[-1] + 1]
    record = after.last()
    cast.stream.refresh_from_db()
    assert (record.op, record.actor, cast.stream.seq) == (op, cast.facilitator, record.seq)
    if method != "DELETE":
        assert record.data == response.json()


# Clone -------------------------------------------------------------------------------------


def test_clone_copies_the_map_into_a_new_stream_based_on_it(cast, client_for):
    first, second, third = (ActivityFactory(stream=cast.stream) for _ in range(3))
    LinkFactory(stream=cast.stream, source=first, target=second)
    LinkFactory(stream=cast.stream, source=first, target=third)
    waste = WasteFactory(stream=cast.stream, activity=second)
    CountermeasureFactory(waste=waste, title="Automate")
    NoteFactory(stream=cast.stream, text="Why?")
    VoteFactory(waste=waste, member=cast.membership("participant"))
    response = client_for(cast.facilitator).post(
        f"/api/streams/{cast.stream.pk}/clone/", {}, format="json"
    )
    assert response.status_code == 201
    clone = ValueStream.objects.get(pk=response.json()["id"])
    assert (clone.based_on, clone.state, response.json()["based_on"]) == (
        cast.stream,
        "future",
        cast.stream.pk,
    )
    titles = dict(Activity.objects.filter(stream=clone).values_list("pk", "title"))
    assert sorted(titles.values()) == sorted([first.title, second.title, third.title])
    links = {(titles[s], titles[t]) for s, t in clone.links.values_list("source", "target")}
    assert links == {(first.title, second.title), (first.title, third.title)}
    copied_waste = Waste.objects.get(stream=clone)
    assert titles[copied_waste.activity_id] == second.title
    assert Countermeasure.objects.get(stream=clone).waste == copied_waste
    assert list(Note.objects.filter(stream=clone).values_list("text", flat=True)) == ["Why?"]
    assert not Vote.objects.filter(stream=clone).exists()  # a new mapping votes afresh
    assert Activity.objects.filter(stream=cast.stream).count() == 3  # the source is untouched


def test_clone_takes_a_name_and_state(cast, client_for):
    response = client_for(cast.facilitator).post(
        f"/api/streams/{cast.stream.pk}/clone/",
        {"name": "Second mapping", "state": "current"},
        format="json",
    )
    assert (response.json()["name"], response.json()["state"]) == ("Second mapping", "current")


def test_clone_of_a_stream_with_a_long_name_gets_a_name_that_fits(cast, client_for):
    cast.stream.name = "x" * 200
    cast.stream.save()
    response = client_for(cast.facilitator).post(
        f"/api/streams/{cast.stream.pk}/clone/", {}, format="json"
    )
    assert response.status_code == 201 and len(response.json()["name"]) <= 200


@pytest.mark.parametrize(
    "body", ["[]", '"x"', '{"name": ["x"]}', '{"state": "past"}', '{"based_on": 1}']
)
def test_clone_refuses_a_malformed_request_with_400(cast, client_for, body):
    response = client_for(cast.facilitator).generic(
        "POST", f"/api/streams/{cast.stream.pk}/clone/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert ValueStream.objects.count() == 1
