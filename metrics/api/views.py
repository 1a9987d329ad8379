"""The flow summary of a map and the measured flow of a workshop (open to every member,
viewers included)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api.serializers import (
    FlowMetricsQuerySerializer,
    FlowMetricsSerializer,
    FlowSummarySerializer,
    MapMeasuredQuerySerializer,
    MapMeasuredSerializer,
)
from metrics.selectors import (
    map_measured_get,
    measured_flow_get,
    summary_current,
    summary_payload,
)
from metrics.services import stream_measured_apply
from streams.api.serializers import StreamSerializer
from streams.kinds import stream_data
from streams.selectors import stream_get
from vsm_site.authenticated import AuthenticatedRequest


class StreamSummaryView(APIView):
    @extend_schema(responses=FlowSummarySerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        stream, _ = stream_get(user=request.user, stream_id=pk)
        summary = summary_current(stream=stream)
        stream.refresh_from_db(fields=["seq"])
        return Response(summary_payload(summary, stream))


class FlowMetricsView(APIView):
    """The measured flow of the workshop's work items in a window (every member, viewers
    included): Flow Framework velocity, time, load, efficiency and distribution, throughput,
    CFD, aging work, Little's law and a forecast. docs/flow-metrics.md defines each figure."""

    @extend_schema(parameters=[FlowMetricsQuerySerializer], responses=FlowMetricsSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        query = FlowMetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            measured_flow_get(user=request.user, workshop_id=pk, **query.validated_data)
        )


class StreamMeasuredView(APIView):
    """A map held against measured flow (every member): each activity's estimated process
    time, wait time and %C&A beside the medians the work items show through the tracker
    states assigned to it, the map's lead time on both, and how much of the measured time the
    assigned states cover. Times in seconds of working time, %C&A 0..100, shares 0..1
    (docs/flow-metrics.md)."""

    @extend_schema(parameters=[MapMeasuredQuerySerializer], responses=MapMeasuredSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        query = MapMeasuredQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = {name: query.validated_data[name] for name in ("start", "end", "as_of")}
        return Response(map_measured_get(user=request.user, stream_id=pk, **window))


class StreamMeasuredApplyView(APIView):
    """A data-driven current state (facilitators): a new current-state map based on this one,
    with the measured medians and %C&A of the window as its activities' figures."""

    @extend_schema(
        request=None, parameters=[MapMeasuredQuerySerializer], responses={201: StreamSerializer}
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        query = MapMeasuredQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = {name: query.validated_data[name] for name in ("start", "end", "as_of")}
        clone = stream_measured_apply(actor=request.user, stream_id=pk, **window)
        return Response(stream_data(clone), status=status.HTTP_201_CREATED)
