"""Thin REST views over the workshop services and selectors."""

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from vsm_site.authenticated import AuthenticatedRequest
from workshops import selectors, services
from workshops.api.serializers import (
    InvitationSerializer,
    MembershipSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    WorkshopSerializer,
    invitation_data,
    membership_data,
    workshop_data,
)


class TokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    max_body_bytes = 16 * 1024  # a username and a password (vsm_site.bodies)

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
    def post(self, request: Request) -> Response:
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Django's request: the sign-in lockout (vsm_site.signin) marks it when it refuses.
        user = authenticate(request._request, **credentials.validated_data)
        if user is None:
            raise ValidationError({"non_field_errors": ["Wrong username or password."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class WorkshopListView(APIView):
    @extend_schema(responses=WorkshopSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        workshops = selectors.workshop_list(user=request.user).prefetch_related("memberships")
        roles = dict(request.user.memberships.values_list("workshop_id", "role"))
        return Response(
            [
                {**workshop_data(workshop), "my_role": roles.get(workshop.pk)}
                for workshop in workshops
            ]
        )

    @extend_schema(request=WorkshopSerializer, responses={201: WorkshopSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        workshop = services.workshop_create(actor=request.user, data=request.data)
        membership = selectors.membership_get(user=request.user, workshop_id=workshop.pk)
        return Response(workshop_data(workshop, membership), status=status.HTTP_201_CREATED)


class WorkshopDetailView(APIView):
    @extend_schema(responses=WorkshopSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        membership = selectors.membership_get(user=request.user, workshop_id=pk)
        return Response(workshop_data(membership.workshop, membership))

    @extend_schema(request=WorkshopSerializer, responses=WorkshopSerializer)
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        workshop = services.workshop_update(actor=request.user, workshop_id=pk, data=request.data)
        membership = selectors.membership_get(user=request.user, workshop_id=pk)
        return Response(workshop_data(workshop, membership))

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        services.workshop_delete(actor=request.user, workshop_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(APIView):
    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        members = selectors.member_list(user=request.user, workshop_id=pk)
        return Response([membership_data(member) for member in members])


class MemberDetailView(APIView):
    @extend_schema(request=MembershipSerializer, responses=MembershipSerializer)
    def patch(self, request: AuthenticatedRequest, pk: int, member_id: int) -> Response:
        member = services.membership_update(
            actor=request.user, workshop_id=pk, membership_id=member_id, data=request.data
        )
        return Response(membership_data(member))

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int, member_id: int) -> Response:
        services.membership_delete(actor=request.user, workshop_id=pk, membership_id=member_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(APIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        invitations = selectors.invitation_list(user=request.user, workshop_id=pk)
        return Response([invitation_data(invitation) for invitation in invitations])

    @extend_schema(request=InvitationSerializer, responses={201: InvitationSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        invitation = services.invitation_create(
            actor=request.user, workshop_id=pk, data=request.data
        )
        return Response(invitation_data(invitation), status=status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int, invitation_id: int) -> Response:
        services.invitation_revoke(actor=request.user, workshop_id=pk, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(APIView):
    """Join the invitation's workshop with its role (idempotent for existing members)."""

    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request: AuthenticatedRequest, token: str) -> Response:
        membership = services.invitation_accept(actor=request.user, token=token)
        return Response(membership_data(membership))
