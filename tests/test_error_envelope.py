"""One error envelope for REST and the socket (issue 16, item 6): every 4xx the API answers is
`{"reason", "detail", "errors"?}` (plus `fields`, `current`, `by` for a conflict), the board
socket's `rejected` frame without `type` and `id`, with a reason of the one table
(`vsm_site.errors.REASONS`) and its status. The same refusal over the socket gives the same
envelope: tests/streams/test_one_answer.py, for every rejection of a board write."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from streams.services import board_update
from tests.factories import ActivityFactory, UserFactory
from vsm_site.errors import REASONS, NotFound, Rejection, rejection_of

pytestmark = pytest.mark.django_db


def invalid(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/activities/"
    return client_for(cast.participant).post(url, {"title": "", "pca": 101}, format="json")


def malformed(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    return client_for(cast.participant).generic("POST", url, "{", content_type="application/json")


def not_authenticated(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    return client_for(None).get(f"/api/streams/{cast.stream.pk}/")


def forbidden(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    return client_for(cast.viewer).post(url, {"text": "x"}, format="json")


def not_found(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    return client_for(cast.outsider).get(f"/api/streams/{cast.stream.pk}/")


def method_not_allowed(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    return client_for(cast.facilitator).put(f"/api/streams/{cast.stream.pk}/", {}, format="json")


def not_acceptable(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/"
    return client_for(cast.facilitator).get(url, HTTP_ACCEPT="application/xml")


def conflict(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    activity = ActivityFactory(stream=cast.stream, title="Build")
    board_update(
        actor=cast.facilitator, kind="activity", object_id=activity.pk, data={"title": "Theirs"}
    )
    url = f"/api/activities/{activity.pk}/"
    return client_for(cast.participant).patch(url, {"title": "Mine", "version": 1}, format="json")


def too_large(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    body = json.dumps({"text": "x" * (3 * 1024 * 1024)})
    return client_for(cast.participant).generic("POST", url, body, content_type="application/json")


def unsupported_media_type(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    url = f"/api/streams/{cast.stream.pk}/notes/"
    return client_for(cast.participant).post(
        url, "text=x", content_type="application/x-www-form-urlencoded"
    )


def rate_limited(cast: Any, client_for: Callable[[Any], Any]) -> Any:
    """The sign-in lockout: the 6th failed token request for an account."""
    user, client = UserFactory(), Client()
    body = json.dumps({"username": user.username, "password": "wrong"})
    for _ in range(6):
        answer = client.post("/api/auth/token/", body, content_type="application/json")
    return answer


#: Each REST refusal, its reason, and the `detail` it says (a part of it, for DRF's words).
REFUSALS: list[tuple[Callable[..., Any], str, str]] = [
    (invalid, "invalid", "Title must not be blank. %C&A must be between 0 and 100."),
    (malformed, "malformed", "JSON parse error"),
    (not_authenticated, "not_authenticated", "Authentication credentials were not provided."),
    (forbidden, "forbidden", "Viewers cannot change the map."),
    (not_found, "not_found", "No such value stream."),
    (method_not_allowed, "method_not_allowed", 'Method "PUT" not allowed.'),
    (not_acceptable, "not_acceptable", "Accept header"),
    (conflict, "conflict", "changed"),
    (too_large, "too_large", "The request body is larger than 2 MiB, the most accepted here."),
    (unsupported_media_type, "unsupported_media_type", "application/x-www-form-urlencoded"),
    (rate_limited, "rate_limited", "Too many failed sign-ins"),
]


@pytest.mark.parametrize(
    ("refuse", "reason", "words"), REFUSALS, ids=[reason for _, reason, _ in REFUSALS]
)
def test_every_api_refusal_is_the_one_envelope_with_its_reason_and_status(
    cast, client_for, refuse, reason, words
):
    response = refuse(cast, client_for)
    envelope = response.json()
    assert response.status_code == REASONS[reason][0], envelope
    assert envelope["reason"] == reason
    assert isinstance(envelope["detail"], str) and words in envelope["detail"], envelope
    members = {"reason", "detail"}
    if reason == "invalid":
        members.add("errors")
        assert envelope["errors"] == {
            "title": ["Must not be blank."],
            "pca": ["Must be between 0 and 100."],
        }
    if reason == "conflict":
        members |= {"fields", "current", "by"}
        assert envelope["fields"] == ["title"] and envelope["current"]["title"] == "Theirs"
    assert set(envelope) == members


def test_every_reason_with_an_http_status_is_answered_by_a_case_above():
    assert {reason for _, reason, _ in REFUSALS} == {
        reason for reason, (status, _) in REASONS.items() if status is not None
    }


def test_not_signed_in_keeps_its_challenge_and_a_lockout_its_retry_after(cast, client_for):
    assert not_authenticated(cast, client_for)["WWW-Authenticate"] == "Token"
    assert int(rate_limited(cast, client_for)["Retry-After"]) > 0


def test_a_validation_error_from_drf_itself_is_the_envelope_too(cast, client_for):
    """A DRF serializer's own refusal (the token endpoint's), in words like a service's."""
    response = Client().post("/api/auth/token/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "reason": "invalid",
        "detail": "Username is required. Password is required.",
        "errors": {
            "username": ["This field is required."],
            "password": ["This field is required."],
        },
    }


def test_an_html_page_still_answers_a_missing_object_with_the_404_page(cast, client):
    """NotFound from a selector is the pages' 404 (vsm_site.errors.NotFoundMiddleware)."""
    client.force_login(cast.outsider)
    response = client.get(f"/streams/{cast.stream.pk}/board/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_path_under_api_that_no_view_serves_is_the_envelope_too(cast, client_for):
    response = client_for(cast.participant).get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "reason": "not_found",
        "detail": "No such path in the API: see /api/docs/.",
    }
    page = client_for(cast.participant).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_the_application_refusals_map_to_their_reasons():
    assert rejection_of(NotFound("No such waste.")) == Rejection("not_found", "No such waste.")
    assert rejection_of(ValueError("boom")) is None
