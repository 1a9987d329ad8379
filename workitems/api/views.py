"""Thin REST views over measured flow's services and selectors: imports of work-item history,
the state mapping and the type rules. Facilitators write; every member reads; non-members get
404."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from vsm_site.authenticated import AuthenticatedRequest
from vsm_site.bodies import RequestTooLarge, declared_length
from workitems import connections, selectors, services
from workitems.api.serializers import (
    ConnectionPatchSerializer,
    ConnectionRequestSerializer,
    ConnectionSerializer,
    ConnectionSyncRequestSerializer,
    ConnectionSyncSerializer,
    ConnectionTestSerializer,
    ImportRequestSerializer,
    TypeRuleSerializer,
    WorkItemImportSerializer,
    WorkStateSerializer,
)
from workitems.models import ImportStatus, SyncStatus
from workitems.selectors import connection_data, import_data, sync_data, work_state_data
from workshops.selectors import facilitator_membership_get

UPLOAD_SLACK = 64 * 1024  # multipart framing around the file


def import_body_limit() -> int:
    """The largest request body of an import: the largest file, and its multipart framing."""
    return int(settings.VSM_IMPORT_MAX_BYTES) + UPLOAD_SLACK


def _import_status(record: Any) -> int:
    if record.status == ImportStatus.DONE:
        return status.HTTP_201_CREATED
    if record.status == ImportStatus.FAILED:
        return status.HTTP_400_BAD_REQUEST
    return status.HTTP_202_ACCEPTED


class WorkItemImportView(APIView):
    """Import work-item history (facilitators). 201: imported; 202: a worker is importing a
    large file (follow `/api/work-item-imports/{id}/`); 400: nothing imported, the errors say
    why with their lines. Re-importing upserts items by their id in the tracker."""

    parser_classes = [parsers.MultiPartParser]  # files stream to disk (upload handlers)
    max_body_bytes = staticmethod(import_body_limit)  # vsm_site.bodies; others get less

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            201: WorkItemImportSerializer,
            202: WorkItemImportSerializer,
            # The failed import's record (its `errors` say why, by line), or an Error when no
            # import was made (no file, an empty one, a file over the limit, a bad format).
            400: OpenApiResponse(
                {
                    "oneOf": [
                        {"$ref": "#/components/schemas/WorkItemImport"},
                        {"$ref": "#/components/schemas/Error"},
                    ]
                },
                description="Nothing was imported: the failed import, or an Error.",
            ),
        },
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        facilitator_membership_get(user=request.user, workshop_id=pk)
        declared = declared_length(request.META)
        if declared is not None and declared > import_body_limit():
            raise RequestTooLarge(import_body_limit())
        record = services.work_item_import_create(
            actor=request.user,
            workshop_id=pk,
            upload=request.FILES.get("file"),
            format=request.data.get("format", ""),
        )
        return Response(import_data(record), status=_import_status(record))


class WorkItemImportListView(APIView):
    @extend_schema(responses=WorkItemImportSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        records = selectors.import_list(user=request.user, workshop_id=pk)
        return Response([import_data(record) for record in records])


class WorkItemImportDetailView(APIView):
    @extend_schema(responses=WorkItemImportSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(import_data(selectors.import_get(user=request.user, import_id=pk)))


class WorkStateListView(APIView):
    """The workshop's tracker states in workflow order and the flow state each counts as."""

    @extend_schema(responses=WorkStateSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        states = selectors.work_state_list(user=request.user, workshop_id=pk)
        return Response([work_state_data(state) for state in states])

    @extend_schema(request=WorkStateSerializer(many=True), responses=WorkStateSerializer(many=True))
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        states = services.work_states_update(actor=request.user, workshop_id=pk, data=request.data)
        return Response([work_state_data(state) for state in states])


class WorkStateDetailView(APIView):
    @extend_schema(responses=WorkStateSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(work_state_data(selectors.work_state_get(user=request.user, state_id=pk)))

    @extend_schema(request=WorkStateSerializer, responses=WorkStateSerializer)
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        state = services.work_state_update(actor=request.user, state_id=pk, data=request.data)
        return Response(work_state_data(state))


class TypeRuleListView(APIView):
    """How items get their flow type: tag rules win over tracker-type rules; an item no rule
    matches is a feature. PUT replaces the whole set and retypes every item."""

    @extend_schema(responses=TypeRuleSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(selectors.type_rule_list(user=request.user, workshop_id=pk))

    @extend_schema(request=TypeRuleSerializer(many=True), responses=TypeRuleSerializer(many=True))
    def put(self, request: AuthenticatedRequest, pk: int) -> Response:
        services.type_rules_replace(actor=request.user, workshop_id=pk, data=request.data)
        return Response(selectors.type_rule_list(user=request.user, workshop_id=pk))


# Tracker connections: facilitators only (others: 403 for the list, 404 for a connection).


class ConnectionListView(APIView):
    """A workshop's tracker connections (facilitators). POST connects a tracker; the
    credential is encrypted and never returned, only `credential_hint`."""

    @extend_schema(responses=ConnectionSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        found = selectors.connection_list(user=request.user, workshop_id=pk)
        return Response([connection_data(connection) for connection in found])

    @extend_schema(request=ConnectionRequestSerializer, responses={201: ConnectionSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        connection = connections.connection_create(
            actor=request.user, workshop_id=pk, data=request.data
        )
        return Response(connection_data(connection), status=status.HTTP_201_CREATED)


class ConnectionDetailView(APIView):
    @extend_schema(responses=ConnectionSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        connection = selectors.connection_for_facilitator(user=request.user, connection_id=pk)
        return Response(connection_data(connection))

    @extend_schema(request=ConnectionPatchSerializer, responses=ConnectionSerializer)
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        connection = connections.connection_update(
            actor=request.user, connection_id=pk, data=request.data
        )
        return Response(connection_data(connection))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "delete_items",
                bool,
                description="Also delete the work items this connection brought (kept by "
                "default: they are the workshop's history).",
            )
        ],
        responses={204: None},
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        delete_items = request.query_params.get("delete_items", "").lower() in ("true", "1")
        connections.connection_delete(
            actor=request.user, connection_id=pk, delete_items=delete_items
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionTestView(APIView):
    """One cheap authenticated request with the saved credential: `ok` and, in words, what
    was found or what failed (bad token, no access, invalid query, host unreachable)."""

    @extend_schema(request=None, responses=ConnectionTestSerializer)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(connections.connection_test(actor=request.user, connection_id=pk))


class ConnectionSyncView(APIView):
    """Sync now: 201 with the finished sync where tasks run in the request (no worker), 202
    with the queued (or already running) sync otherwise; follow `/api/connection-syncs/{id}/`
    or the Flow page's `sync.progress` frames."""

    @extend_schema(
        request=ConnectionSyncRequestSerializer,
        responses={201: ConnectionSyncSerializer, 202: ConnectionSyncSerializer},
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        sync = connections.connection_sync_request(
            actor=request.user, connection_id=pk, data=request.data
        )
        sync.refresh_from_db()
        finished = sync.status in (SyncStatus.DONE, SyncStatus.FAILED)
        return Response(
            sync_data(sync),
            status=status.HTTP_201_CREATED if finished else status.HTTP_202_ACCEPTED,
        )


class ConnectionSyncDetailView(APIView):
    @extend_schema(responses=ConnectionSyncSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(sync_data(selectors.sync_get(user=request.user, sync_id=pk)))
