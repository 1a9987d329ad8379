"""Read-only views of the later workshop steps: the waste ranking and the baby-step backlog."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from streams import selectors
from streams.api.serializers import BacklogStepSerializer, WasteRankingSerializer


class WasteRankingView(APIView):
    """Wastes by dots and the "most annoying waste" award, once votes are revealed."""

    @extend_schema(responses=WasteRankingSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.waste_ranking(user=request.user, stream_id=pk))


class BacklogView(APIView):
    """Countermeasures ranked as baby steps: bounded, small and easy first."""

    @extend_schema(responses=BacklogStepSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.countermeasure_backlog(user=request.user, stream_id=pk))
