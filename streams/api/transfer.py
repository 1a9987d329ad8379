"""Export a stream as JSON, CSV or SVG; import a JSON export as a new stream."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from streams import extensions
from streams.api.serializers import StreamSerializer
from streams.board_svg import board_svg
from streams.kinds import stream_data
from streams.selectors import stream_get
from streams.services.transfer import stream_export, stream_export_csv, stream_import
from vsm_site.authenticated import AuthenticatedRequest


def _attachment(body: str, content_type: str, name: str, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    filename = f"{slugify(name) or 'value-stream'}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(len(response.content))
    return response


class StreamExportJsonView(APIView):
    """The map as a self-contained document that `import` turns back into a stream."""

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        document = stream_export(actor=request.user, stream_id=pk)
        body = json.dumps(document, indent=2, ensure_ascii=False)
        return _attachment(body, "application/json", document["stream"]["name"], "json")


class StreamExportCsvView(APIView):
    """The map as one CSV table, one row per object, its `kind` in the first column:
    `activity` rows (flow order; times in seconds and in human units, %C&A), then `waste`
    rows (`activity` is the ref of their activity, `category` the category's name, `votes`
    their dots once the votes are revealed and empty before), then `countermeasure` rows
    (`waste` is the ref of their waste; conditions, measure, breadth, effort, difficulty,
    owner, status). `ref` names each object as the JSON export does (a1, w1, c1); columns
    that do not apply to a kind are empty. Cells that a spreadsheet would run as a formula
    (starting with = + - @, a tab or a carriage return) are prefixed with '."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        stream, _ = stream_get(user=request.user, stream_id=pk)
        body = stream_export_csv(actor=request.user, stream_id=pk)
        return _attachment(body, "text/csv; charset=utf-8", stream.name, "csv")


class StreamExportSvgView(APIView):
    """The board as an SVG picture that stands alone: above the map, the stream's title, its
    state, the date, the headline figures (lead, process and wait time, flow efficiency,
    rolled %C&A), the timeline ladder and the top wastes (dots only once revealed). Text is
    fitted to its card, the whole of it in the card's `<title>`. The board's PNG export is
    this picture, drawn."""

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.STR})
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        stream, _ = stream_get(user=request.user, stream_id=pk)
        picture = board_svg(stream, header=extensions.picture_header(stream))
        response = _attachment(picture, "image/svg+xml", stream.name, "svg")
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response


class WorkshopImportView(APIView):
    """Create a stream in the workshop from a JSON export (facilitators)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: StreamSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        stream = stream_import(actor=request.user, workshop_id=pk, document=request.data)
        return Response(stream_data(stream), status=status.HTTP_201_CREATED)
