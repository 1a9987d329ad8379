"""API plumbing shared by the apps: the JSON parser, the error envelope's edge and serializers
generated from payload specs."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.http import Http404
from rest_framework import exceptions, parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from vsm_site import validation
from vsm_site.bodies import RequestTooLarge, body_limit, declared_length, read_bounded
from vsm_site.errors import REASONS, Rejection, invalid, rejection_of
from vsm_site.validation import errors_in_words


class JSONParser(parsers.JSONParser):
    """DRF's strict JSON parser (no NaN or Infinity) on a bounded body: it reads at most the
    view's `body_limit` + 1 bytes (413 beyond; vsm_site.bodies). It also refuses text no
    database can store (lone surrogates, which JSON's "\\ud800" escapes can spell) and
    nesting deeper than Python's parser goes (a 400, not a RecursionError)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        request = context.get("request")
        body = read_bounded(
            stream,
            body_limit(context.get("view")),
            declared=declared_length(request.META) if request is not None else None,
        )
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if not validation.storable_text(data):
            raise ParseError("JSON parse error - text must be valid Unicode.")
        return data


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's edge: every refusal is one envelope, the socket's `rejected` frame without
    `type` and `id` (vsm_site.errors): `{"reason", "detail", "errors"?}`, plus `fields`,
    `current` and `by` for a 409 `conflict`. The application's refusals (a service's
    ValidationError, PermissionDenied, NotFound, EditConflict) are mapped by
    `vsm_site.errors.rejection_of`, as on the socket; DRF's own (authentication, throttles,
    parsing, media types, methods, its serializers' validation) by `_drf_rejection`, keeping
    DRF's status and headers (`WWW-Authenticate`, `Retry-After`). Anything else is a 500."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    rejection = rejection_of(exc)
    if rejection is not None:
        set_rollback()
        return Response(rejection.envelope(), status=rejection.status)
    if isinstance(exc, Http404):  # Django's, from a lookup of DRF or a converter
        exc = exceptions.NotFound(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = _drf_rejection(exc).envelope()
    return response


#: DRF's exceptions and their reasons (vsm_site.errors.REASONS); the first that matches.
_DRF_REASONS: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ParseError, "malformed"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
    (RequestTooLarge, "too_large"),
)
#: Any other DRF exception: the first reason of its status.
_STATUS_REASONS: dict[int, str] = {}
for _reason, (_status, _) in REASONS.items():
    if _status is not None:
        _STATUS_REASONS.setdefault(_status, _reason)


def _drf_rejection(exc: exceptions.APIException) -> Rejection:
    if isinstance(exc, exceptions.ValidationError):
        return invalid(_field_messages(exc.detail))
    reason = next((reason for kind, reason in _DRF_REASONS if isinstance(exc, kind)), None)
    reason = reason or _STATUS_REASONS.get(exc.status_code, "invalid")
    detail = exc.detail
    if isinstance(detail, list | dict):
        return Rejection(reason, errors_in_words(_field_messages(detail)))
    return Rejection(reason, str(detail))


def _field_messages(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's validation detail as one message list per field: a nested object's field is
    named `<field>.<subfield>`, an entry of a list `<index>.<field>`; messages about the
    whole object are `non_field_errors`."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            fields.update(_field_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return fields
    if isinstance(detail, list) and any(isinstance(entry, list | dict) for entry in detail):
        fields = {}
        for index, entry in enumerate(detail):
            if entry:
                fields.update(_field_messages(entry, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _field_for(rule: validation.Field) -> serializers.Field:
    required = rule.required
    match rule:
        case validation.Text():
            return serializers.CharField(
                max_length=rule.max_length, required=required, allow_blank=rule.blank
            )
        case validation.Number():
            return serializers.FloatField(
                min_value=rule.minimum,
                max_value=rule.maximum,
                required=required,
                allow_null=rule.nullable,
            )
        case validation.Integer():
            return serializers.IntegerField(
                min_value=rule.minimum, max_value=rule.maximum, required=required
            )
        case validation.Boolean():
            return serializers.BooleanField(required=required)
        case validation.Choice():
            return serializers.ChoiceField(choices=rule.choices, required=required)
        case validation.Reference():
            return serializers.IntegerField(
                min_value=1, required=required, allow_null=rule.nullable
            )
        case _:
            return serializers.CharField(required=required)


def spec_serializer(
    name: str,
    spec: Mapping[str, validation.Field],
    output: Mapping[str, serializers.Field] | None = None,
) -> type[serializers.Serializer]:
    """A Serializer describing `spec` (writable) plus `output` (read-only) fields, for the
    OpenAPI schema. The service layer, not this serializer, validates input."""
    fields: dict[str, Any] = {key: _field_for(rule) for key, rule in spec.items()}
    for key, field in (output or {}).items():
        fields[key] = field
    return type(name, (serializers.Serializer,), fields)
