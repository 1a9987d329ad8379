"""API plumbing shared by the apps: error shape and serializers generated from payload specs."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from vsm_site import validation
from vsm_site.bodies import body_limit, declared_length, read_bounded
from vsm_site.concurrency import EditConflict


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
    """DRF's handler, plus: a Django ValidationError from a service becomes a 400 with one
    message list per field, and a stale versioned change (EditConflict) a 409 with the
    object as it is now (`{"detail", "fields", "current", "by"}`)."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, EditConflict):
        return Response(exc.as_dict(), status=409)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        return Response(detail, status=400)
    return drf_exception_handler(exc, context)


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
