"""The OpenAPI schema's error responses, documented once for every operation.

Every error the API answers has one shape, the `Error` component: the envelope of
`vsm_site.errors`, which `vsm_site.api.exception_handler` produces and the board's socket
sends in its `rejected` frame: `{"reason": "<code>", "detail": "<sentences in words>"}`, with
`errors` (one message list per field: `non_field_errors` for the whole object, `<index>.<field>`
for an entry of a list) when the reason is `invalid`. Concurrent edits are applied in order,
per field (docs/realtime.md); only the PATCH of a board object answers 409 (`Conflict`: the
envelope with `fields`, `current` and `by`), and only when it sends the `version` it was made
against and someone else changed one of its fields since.

`error_responses` (a drf-spectacular postprocessing hook) adds to each operation the errors
it can answer; a test checks every real answer against the schema (tests/test_schema.py).
"""

from __future__ import annotations

from typing import Any

from vsm_site.errors import REASONS

ERROR = {
    "type": "object",
    "description": "Why nothing changed, as the board's socket says it too (docs/realtime.md): "
    "`reason` for programs, `detail` for people (sentences that name fields in words), and for "
    "`invalid` the messages per field in `errors` (`non_field_errors` for the whole object, "
    "`<index>.<field>` for an entry of a list).",
    "properties": {
        "reason": {
            "type": "string",
            "enum": [reason for reason, (status, _) in REASONS.items() if status is not None],
            "description": "What kind of refusal: "
            + "; ".join(
                f"`{reason}` ({status}): {when}"
                for reason, (status, when) in REASONS.items()
                if status is not None
            )
            + ".",
        },
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["reason", "detail"],
    "additionalProperties": False,
    "example": {
        "reason": "invalid",
        "detail": "Title must not be blank.",
        "errors": {"title": ["Must not be blank."]},
    },
}

DESCRIPTIONS = {
    "400": "The request is invalid (`invalid`, with one message list per field in `errors`) "
    "or the body is not JSON (`malformed`). Nothing was changed.",
    "401": "Not signed in: no session cookie and no valid `Authorization: Token <key>`.",
    "403": "Signed in, but not allowed: your role (viewers read; facilitators manage), a "
    "locked board, or a session request without its CSRF token.",
    "404": "No such object for you: it does not exist, or it belongs to a workshop you are "
    "not a member of (the two answers are the same).",
    "413": "The body is larger than this endpoint accepts (2 MiB; 16 KiB for a token; the "
    "work-item import's file limit).",
    "415": "The body is not `application/json` (`multipart/form-data` for the work-item import).",
    "429": "Too many requests, or too many failed sign-ins for this account or address "
    "(the lockout): `Retry-After` says when to try again.",
}
WRITES = ("post", "put", "patch", "delete")


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer."""
    parameters = operation.get("parameters", [])
    anonymous = {} in operation.get("security", [{}])
    statuses = []
    if method in WRITES or any(p.get("in") == "query" for p in parameters):
        statuses.append("400")
    if not anonymous:
        statuses += ["401", "403"]
    if any(p.get("in") == "path" for p in parameters):
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["413", "415"]
    statuses.append("429")
    return statuses


def error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Adds the `Error` component and, to every operation, the errors it can answer (those
    it documents itself are left as they are)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", *WRITES):
                continue
            responses = operation.setdefault("responses", {})
            for status in _errors_of(path, method, operation):
                response: dict[str, Any] = {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": reference}},
                }
                if status == "429":
                    response["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}
                    }
                if status == "401":
                    response["headers"] = {
                        "WWW-Authenticate": {"schema": {"type": "string"}, "example": "Token"}
                    }
                responses.setdefault(status, response)
    return result
