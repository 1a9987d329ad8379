"""Thin REST views over the stream services and selectors. Writes go through the same
services as websocket ops, so they are logged with a seq and broadcast to the board; a write
reads nothing first: the service's access rule answers, the same as over the socket."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from streams import selectors, services
from streams.api.serializers import (
    KIND_SERIALIZERS,
    ConflictSerializer,
    SnapshotSerializer,
    StreamCloneSerializer,
    StreamSerializer,
    StreamUpdateSerializer,
)
from streams.kinds import KINDS, Kind, stream_data
from vsm_site.authenticated import AuthenticatedRequest
from vsm_site.ids import row_id


def _object_or_404(kind: Kind, request: Request, pk: int) -> Any:
    return selectors.board_object_get(user=request.user, kind=kind.name, object_id=pk)


class StreamListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "workshop", int, description="Only this workshop's (an id: 1 .. 2^63 - 1)"
            )
        ],
        responses=StreamSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        workshop = request.query_params.get("workshop")
        workshop_id = row_id(workshop) if workshop else None
        if workshop and workshop_id is None:
            raise ValidationError({"workshop": ["Must be a workshop id."]})
        streams = selectors.stream_list(user=request.user, workshop_id=workshop_id)
        return Response([stream_data(stream) for stream in streams])

    @extend_schema(request=StreamSerializer, responses={201: StreamSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        stream = services.stream_create(actor=request.user, data=request.data)
        return Response(stream_data(stream), status=status.HTTP_201_CREATED)


class StreamDetailView(APIView):
    @extend_schema(responses=StreamSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        stream, _ = selectors.stream_get(user=request.user, stream_id=pk)
        return Response(stream_data(stream))

    @extend_schema(request=StreamUpdateSerializer, responses=StreamSerializer)
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        stream = services.stream_update(actor=request.user, stream_id=pk, data=request.data)
        return Response(stream_data(stream))

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        services.stream_delete(actor=request.user, stream_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StreamCloneView(APIView):
    """Copy the map into a new stream based on it (a future state, or a new mapping)."""

    @extend_schema(request=StreamCloneSerializer, responses={201: StreamSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        clone = services.stream_clone(actor=request.user, stream_id=pk, data=request.data)
        return Response(stream_data(clone), status=status.HTTP_201_CREATED)


class StreamSnapshotView(APIView):
    """Everything on the board, with the op seq it reflects."""

    @extend_schema(responses=SnapshotSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(selectors.board_snapshot(user=request.user, stream_id=pk))


class BoardCollectionView(APIView):
    """List or create the objects of one kind on a stream."""

    kind: ClassVar[Kind]

    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(
            selectors.board_objects(user=request.user, stream_id=pk, kind=self.kind.name)
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        op = services.board_create(
            actor=request.user, kind=self.kind.name, stream_id=pk, data=request.data
        )
        return Response(op.data, status=status.HTTP_201_CREATED)


class BoardObjectView(APIView):
    """Read, change or delete one board object."""

    kind: ClassVar[Kind]

    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(self.kind.data(_object_or_404(self.kind, request, pk)))

    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        op = services.board_update(
            actor=request.user, kind=self.kind.name, object_id=pk, data=request.data
        )
        return Response(op.data)

    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        services.board_delete(actor=request.user, kind=self.kind.name, object_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WasteVoteView(APIView):
    """A waste's dots you may see (your own until the facilitator reveals), or cast one."""

    kind = KINDS["vote"]

    @extend_schema(responses=KIND_SERIALIZERS["vote"](many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        waste = _object_or_404(KINDS["waste"], request, pk)
        votes = selectors.board_objects(user=request.user, stream_id=waste.stream_id, kind="vote")
        return Response([vote for vote in votes if vote["waste"] == waste.pk])

    @extend_schema(request=None, responses={201: KIND_SERIALIZERS["vote"]})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        op = services.vote_create(actor=request.user, waste_id=pk)
        return Response(op.data, status=status.HTTP_201_CREATED)


# One view class per kind, each with its own schema. extend_schema_view gives each class its
# own copy of the inherited methods to annotate; decorating the shared base-class methods
# would document every kind as the last one decorated.


def collection_view(kind: Kind) -> type[BoardCollectionView]:
    serializer = KIND_SERIALIZERS[kind.name]
    view = type(f"{kind.name.title()}CollectionView", (BoardCollectionView,), {"kind": kind})
    return extend_schema_view(
        get=extend_schema(responses=serializer(many=True)),
        post=extend_schema(request=serializer, responses={201: serializer}),
    )(view)


def object_view(kind: Kind) -> type[BoardObjectView]:
    serializer = KIND_SERIALIZERS[kind.name]
    attributes: dict[str, Any] = {"kind": kind}
    if not kind.updatable:
        attributes["http_method_names"] = ["get", "delete", "head", "options"]
    view = type(f"{kind.name.title()}ObjectView", (BoardObjectView,), attributes)
    methods = {
        "get": extend_schema(responses=serializer),
        "delete": extend_schema(responses={204: None}),
    }
    if kind.updatable:
        methods["patch"] = extend_schema(
            request=serializer, responses={200: serializer, 409: ConflictSerializer}
        )
    return extend_schema_view(**methods)(view)
