"""The flow summary of a map and the measured flow of a workshop (open to every member,
viewers included)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api.serializers import (
    FlowMetricsQuerySerializer,
    FlowMetricsSerializer,
    FlowSummarySerializer,
)
from metrics.selectors import measured_flow_get, summary_payload
from metrics.services import summary_get_or_compute
from streams.selectors import stream_get


class StreamSummaryView(APIView):
    @extend_schema(responses=FlowSummarySerializer)
    def get(self, request: Request, pk: int) -> Response:
        stream, _ = stream_get(user=request.user, stream_id=pk)
        summary = summary_get_or_compute(stream=stream)
        stream.refresh_from_db(fields=["seq"])
        return Response(summary_payload(summary, stream))


class FlowMetricsView(APIView):
    """The measured flow of the workshop's work items in a window (every member, viewers
    included): Flow Framework velocity, time, load, efficiency and distribution, throughput,
    CFD, aging work, Little's law and a forecast. docs/flow-metrics.md defines each figure."""

    @extend_schema(parameters=[FlowMetricsQuerySerializer], responses=FlowMetricsSerializer)
    def get(self, request: Request, pk: int) -> Response:
        query = FlowMetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            measured_flow_get(user=request.user, workshop_id=pk, **query.validated_data)
        )
