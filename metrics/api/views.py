"""The flow summary endpoint (open to every member, viewers included)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api.serializers import FlowSummarySerializer
from metrics.selectors import summary_payload
from metrics.services import summary_get_or_compute
from streams.selectors import stream_get


class StreamSummaryView(APIView):
    @extend_schema(responses=FlowSummarySerializer)
    def get(self, request: Request, pk: int) -> Response:
        stream, _ = stream_get(user=request.user, stream_id=pk)
        summary = summary_get_or_compute(stream=stream)
        stream.refresh_from_db(fields=["seq"])
        return Response(summary_payload(summary, stream))
