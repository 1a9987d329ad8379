"""Facilitation endpoints: the shared countdown timer."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from vsm_site.authenticated import AuthenticatedRequest
from workshops import services
from workshops.selectors import facilitation_data

TimerSerializer = inline_serializer(
    "Timer", {"seconds": serializers.IntegerField(min_value=0, max_value=4 * 3600)}
)
FacilitationSerializer = inline_serializer(
    "Facilitation",
    {
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "phase": serializers.CharField(),
        "phase_label": serializers.CharField(),
        "prompt": serializers.CharField(),
        "timer_ends_at": serializers.DateTimeField(allow_null=True),
        "timer_seconds": serializers.IntegerField(),
    },
)


class TimerView(APIView):
    """Start the shared countdown for `seconds` (0 stops it). Facilitators only."""

    @extend_schema(request=TimerSerializer, responses=FacilitationSerializer)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        workshop = services.workshop_timer(actor=request.user, workshop_id=pk, data=request.data)
        return Response(facilitation_data(workshop))
