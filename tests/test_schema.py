"""The OpenAPI 3 schema at /api/schema/ and the interactive docs at /api/docs/ (no CDN).

A client generated from the schema must work: every answer of the permission matrix, and the
error answers (bad body, form body, too large, not signed in), has a status the schema
documents for its operation and the shape documented for that status."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import resolve
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from openapi_spec_validator import validate

from streams.kinds import KINDS
from tests.test_permissions import BODIES, MATRIX, ROLES, _call, _fill, _world

pytestmark = pytest.mark.django_db

# Every endpoint the issue names, with the methods it documents; {} is any path parameter.
ENDPOINTS = {
    "/api/auth/token/": {"post"},
    "/api/workshops/": {"get", "post"},
    "/api/workshops/{}/": {"get", "patch", "delete"},
    "/api/workshops/{}/members/": {"get"},
    "/api/workshops/{}/members/{}/": {"patch", "delete"},
    "/api/workshops/{}/invitations/": {"get", "post"},
    "/api/workshops/{}/invitations/{}/": {"delete"},
    "/api/invitations/{}/accept/": {"post"},
    "/api/streams/": {"get", "post"},
    "/api/streams/{}/": {"get", "patch", "delete"},
    "/api/streams/{}/clone/": {"post"},
    "/api/streams/{}/snapshot/": {"get"},
    "/api/streams/{}/activities/": {"get", "post"},
    "/api/streams/{}/links/": {"get", "post"},
    "/api/streams/{}/wastes/": {"get", "post"},
    "/api/streams/{}/countermeasures/": {"get", "post"},
    "/api/streams/{}/notes/": {"get", "post"},
    "/api/activities/{}/": {"get", "patch", "delete"},
    "/api/links/{}/": {"get", "delete"},
    "/api/wastes/{}/": {"get", "patch", "delete"},
    "/api/countermeasures/{}/": {"get", "patch", "delete"},
    "/api/notes/{}/": {"get", "patch", "delete"},
    "/api/votes/{}/": {"get", "delete"},
    "/api/wastes/{}/votes/": {"get", "post"},
}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def _paths(schema: dict[str, Any]) -> dict[str, set[str]]:
    return {
        re.sub(r"\{[^}]+\}", "{}", path): set(operations) & METHODS
        for path, operations in schema["paths"].items()
    }


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


@pytest.mark.parametrize(("path", "methods"), sorted(ENDPOINTS.items()))
def test_schema_lists_every_endpoint_of_the_issue_with_its_methods(schema, path, methods):
    assert _paths(schema).get(path) == methods


def test_schema_documents_session_and_token_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"cookieAuth", "tokenAuth"} <= set(schemes)
    assert (schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == (
        "header",
        "Authorization",
    )


def test_schema_names_the_activity_fields(schema):
    activity = schema["components"]["schemas"]["Activity"]["properties"]
    assert {"id", "title", "process_time", "wait_time", "pca", "version"} <= set(activity)


@pytest.fixture
def docs() -> str:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def _assets(html: str) -> list[str]:
    return re.findall(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", html)


def test_docs_page_renders_swagger_ui(docs):
    assert 'id="swagger-ui"' in docs and "swagger-ui-bundle.js" in docs


def test_docs_page_loads_only_site_assets_no_cdn(docs):
    assets = _assets(docs)
    assert len(assets) >= 4
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
    assert "http://" not in docs and "https://" not in docs


def test_docs_page_has_no_inline_script_so_it_runs_under_the_csp(docs):
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", docs) == []


def test_docs_static_assets_are_found_by_the_staticfiles_finders(docs):
    static = [asset for asset in _assets(docs) if asset.startswith("/static/")]
    assert len(static) >= 3
    for asset in static:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_docs_assets_are_served_over_http(docs, live_server):
    for asset in _assets(docs):
        with urllib.request.urlopen(live_server.url + asset) as response:  # noqa: S310
            assert response.status == 200 and response.read(), asset


def test_docs_never_call_an_outside_validator():
    script = Client().get("/api/docs/", {"script": ""}).content.decode()
    assert '"validatorUrl": null' in script


# A client generated from the schema works: shapes, errors and media types -------------------


def _ref(content: dict[str, Any]) -> str:
    schema = content["application/json"]["schema"]
    if schema.get("type") == "array":
        return "[" + schema["items"]["$ref"].rsplit("/", 1)[-1] + "]"
    return schema["$ref"].rsplit("/", 1)[-1]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_path_documents_its_own_component(schema, kind):
    name, plural = kind.title(), KINDS[kind].plural
    one = schema["paths"][f"/api/{plural}/{{id}}/"]
    assert _ref(one["get"]["responses"]["200"]["content"]) == name
    if KINDS[kind].updatable:
        assert _ref(one["patch"]["requestBody"]["content"]) == f"Patched{name}Request"
        assert _ref(one["patch"]["responses"]["200"]["content"]) == name
    if kind != "vote":
        many = schema["paths"][f"/api/streams/{{id}}/{plural}/"]
        assert _ref(many["get"]["responses"]["200"]["content"]) == f"[{name}]"
        assert _ref(many["post"]["requestBody"]["content"]) == f"{name}Request"
        assert _ref(many["post"]["responses"]["201"]["content"]) == name


def test_the_backlog_is_a_list_and_the_ranking_an_object(schema):
    streams = schema["paths"]
    assert _ref(streams["/api/streams/{id}/backlog/"]["get"]["responses"]["200"]["content"]) == (
        "[BacklogStep]"
    )
    ranking = streams["/api/streams/{id}/ranking/"]["get"]["responses"]["200"]["content"]
    assert _ref(ranking) == "WasteRanking"


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    ]


def test_every_operation_documents_the_errors_it_can_answer(schema):
    error = {"$ref": "#/components/schemas/Error"}
    envelope = schema["components"]["schemas"]["Error"]
    assert set(envelope["properties"]) == {"reason", "detail", "errors"}
    assert envelope["required"] == ["reason", "detail"]
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"429"}
        if {} not in operation.get("security", [{}]):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "415"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected - {"400"}:
            assert responses[status]["content"]["application/json"]["schema"] == error
        if "409" in responses:  # only a board object's versioned PATCH (docs/realtime.md)
            assert method == "patch" and re.fullmatch(r"/api/\w+/\{id\}/", path), path
            conflict = responses["409"]["content"]["application/json"]["schema"]
            assert conflict == {"$ref": "#/components/schemas/Conflict"}


@pytest.mark.parametrize("kind", sorted(name for name, kind in KINDS.items() if kind.updatable))
def test_a_board_objects_patch_documents_its_version_and_the_409_of_a_stale_one(schema, kind):
    patch = schema["paths"][f"/api/{KINDS[kind].plural}/{{id}}/"]["patch"]
    assert set(patch["responses"]["409"]["content"]["application/json"]["schema"].values()) == {
        "#/components/schemas/Conflict"
    }
    request = schema["components"]["schemas"][f"Patched{kind.title()}Request"]
    assert request["properties"]["version"]["type"] == "integer"
    assert set(schema["components"]["schemas"]["Conflict"]["properties"]) == {
        "reason",
        "detail",
        "fields",
        "current",
        "by",
    }


def test_every_reference_in_the_schema_resolves(schema):
    text = json.dumps(schema)
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in schema["components"]["schemas"], name


def test_only_json_bodies_are_advertised_but_for_the_work_item_upload(schema):
    for path, method, operation in _operations(schema):
        media = set(operation.get("requestBody", {}).get("content", {}))
        if path == "/api/workshops/{id}/work-items/import/":
            assert media == {"multipart/form-data"}
        else:
            assert media <= {"application/json"}, (method, path, media)


def _operation_for(schema: dict[str, Any], url: str, method: str) -> tuple[str, dict[str, Any]]:
    """The schema's path template and operation that `url` and `method` call."""
    return _template_for(url), schema["paths"][_template_for(url)][method.lower()]


def _template_for(url: str) -> str:
    route = resolve(url.split("?")[0]).route
    template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"{{{m[1]}}}", route)
    return template.replace("{pk}", "{id}")


def _nullable_refs(node: Any) -> Any:
    """drf-spectacular writes a nullable nested object as `{"allOf": [<ref>], "nullable":
    true}`, which generators read as nullable; strict OpenAPI 3.0 validators ignore
    `nullable` without a `type`. Spelled out here as "the object, or null"."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_refs(value) for key, value in node.items()}
    if "allOf" in node and node.get("nullable") and "type" not in node:
        return {"anyOf": [{"allOf": node["allOf"]}, {"enum": [None], "nullable": True}]}
    return node


def _documented(schema: dict[str, Any], validator: Any, subschema: dict[str, Any], body: Any):
    document = _nullable_refs({**subschema, "components": schema["components"]})
    validator(document).validate(body)


def check_against_schema(schema: dict[str, Any], method: str, url: str, response: Any,
                         request_body: Any = None) -> None:  # fmt: skip
    """The answer's status is documented for the operation, and a JSON answer has the shape
    documented for that status (and a successful request's body had its documented one)."""
    template, operation = _operation_for(schema, url, method)
    status = str(response.status_code)
    assert status in operation["responses"], (method, template, status, response.content[:300])
    content = operation["responses"][status].get("content")
    if response.status_code == 204 or not content:
        assert not response.content
        return
    media = response["Content-Type"].split(";")[0]
    assert media in content, (method, template, status, media)
    if media == "application/json":
        _documented(schema, OAS30ReadValidator, content[media]["schema"], response.json())
    if response.status_code < 300 and request_body is not None:
        requested = operation["requestBody"]["content"]["application/json"]["schema"]
        _documented(schema, OAS30WriteValidator, requested, request_body)


@pytest.fixture
def cast_world(cast: Any) -> dict[str, Any]:
    return _world(cast.workshop, cast.stream, cast.membership("participant"))


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        pytest.param(method, path, role, id=f"{method} {path} {role}")
        for method, path, *expected in MATRIX
        for role in ROLES
    ],
)
def test_every_answer_of_the_permission_matrix_is_documented(
    schema, cast, cast_world, client_for, method, path, role
):
    user = None if role == "anonymous" else cast.user(role)
    response = _call(client_for(user), method, path, cast_world)
    if method.lower() not in schema["paths"][_template_for("/api/" + _fill(path, cast_world))]:
        assert response.status_code in (401, 405)  # not offered: no client calls it
        return
    body = BODIES.get((method, path))
    check_against_schema(
        schema, method, "/api/" + _fill(path, cast_world), response,
        _fill(body, cast_world) if body is not None and "import" not in path else None,
    )  # fmt: skip


WRITES = [
    pytest.param(method, path, id=f"{method} {path}")
    for method, path, facilitator, *_ in MATRIX
    if method in ("POST", "PATCH", "PUT") and "work-items/import" not in path and facilitator != 405
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_bad_body_is_a_documented_400(schema, cast, cast_world, client_for, method, path):
    url = "/api/" + _fill(path, cast_world)
    response = getattr(client_for(cast.facilitator), method.lower())(
        url, [1] if path.endswith("/work-states/") else {"no_such_field": 1}, format="json"
    )
    if response.status_code >= 400:  # some writes take no body, and ignore one
        assert response.status_code == 400, response.content[:300]
    check_against_schema(schema, method, url, response)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_form_body_is_a_documented_415(schema, cast, cast_world, client_for, method, path):
    url = "/api/" + _fill(path, cast_world)
    response = getattr(client_for(cast.facilitator), method.lower())(
        url, "title=x", content_type="application/x-www-form-urlencoded"
    )
    if "{workshop}/import" in path or path.endswith("/clone/") or "{" not in path:
        assert response.status_code == 415
    assert response.status_code in (415, 200, 201, 400), response.content[:300]
    check_against_schema(schema, method, url, response)


def test_a_body_over_the_limit_is_a_documented_413(schema, cast, client_for):
    url = f"/api/streams/{cast.stream.pk}/notes/"
    body = json.dumps({"text": "x" * (3 * 1024 * 1024)})
    response = client_for(cast.participant).generic(
        "POST", url, body, content_type="application/json"
    )
    assert response.status_code == 413
    check_against_schema(schema, "POST", url, response)


def test_not_signed_in_is_a_401_asking_for_a_token(schema, cast, client_for):
    url = f"/api/streams/{cast.stream.pk}/"
    response = client_for(None).get(url)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    check_against_schema(schema, "GET", url, response)


# The loose cases: refused, or documented ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("streams/{stream}/notes/", {"text": "T", "kind": "idea", "color": None}, "color"),
        ("streams/{stream}/activities/", {"title": "T", "team": None}, "team"),
        ("streams/{stream}/countermeasures/", {"waste": "{waste}", "owner": None}, "owner"),
    ],
)
def test_null_for_a_string_is_a_400(cast, cast_world, client_for, path, body, field):
    response = client_for(cast.participant).post(
        "/api/" + _fill(path, cast_world), _fill(body, cast_world), format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][field] in (
        ["Must be a string."],
        ["Must be a colour like #fde68a."],
    )


def test_a_stream_does_not_move_to_another_workshop_in_a_patch(schema, cast, client_for):
    from tests.factories import MembershipFactory

    elsewhere = MembershipFactory(user=cast.facilitator, role="facilitator").workshop
    url = f"/api/streams/{cast.stream.pk}/"
    client = client_for(cast.facilitator)
    moved = client.patch(url, {"workshop": elsewhere.pk, "name": "Moved"}, format="json")
    assert moved.status_code == 400 and "workshop" in moved.json()["errors"]
    echoed = client.patch(url, {"workshop": cast.workshop.pk, "name": "Same"}, format="json")
    assert echoed.status_code == 200 and echoed.json()["workshop"] == cast.workshop.pk
    request = schema["paths"]["/api/streams/{id}/"]["patch"]["requestBody"]["content"]
    component = _ref(request)
    assert "workshop" not in schema["components"]["schemas"][component]["properties"]


def test_an_empty_clone_name_is_named_after_the_source_as_documented(schema, cast, client_for):
    response = client_for(cast.facilitator).post(
        f"/api/streams/{cast.stream.pk}/clone/", {"name": ""}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["name"] == f"{cast.stream.name} (future)"
    name = schema["components"]["schemas"]["StreamCloneRequest"]["properties"]["name"]
    assert "empty" in name["description"].lower()
