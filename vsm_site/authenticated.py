"""The requests a view sees once its person is known to be signed in, as types: their `user` is
a User, not `User | AnonymousUser`, so a view hands its services a User and mypy holds every
caller to that. Nothing changes at run time: Django and DRF build the requests as before, and
these classes only annotate views' `request` parameters (django-stubs' own recipe)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request


class AuthenticatedHttpRequest(HttpRequest):
    """A request to a view behind `@login_required`."""

    user: User


class AuthenticatedRequest(Request):
    """A DRF request to a view behind IsAuthenticated (the API's default permission, so every
    API view but the token exchange)."""

    user: User
