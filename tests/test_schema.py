"""The OpenAPI 3 schema at /api/schema/ and the interactive docs at /api/docs/ (no CDN)."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

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
