"""Shared fixtures: a workshop with one member of each role, API clients, service checks.

Under CI (CI=true) a test that needs PostgreSQL, Redis or Chromium fails when it is missing;
elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, StreamFactory, UserFactory, WorkshopFactory
from workshops.models import Role

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"


def need(condition: bool, what: str) -> None:
    """Fail under CI, skip elsewhere, when a real part the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but is not available")
    pytest.skip(
        f"{what} is not available on this machine: start it (see README, 'make test') "
        "to run this test; under CI=true it fails instead"
    )


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture
def need_postgres() -> None:
    need(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "PostgreSQL (DATABASE_URL)"
    )


@pytest.fixture
def need_redis() -> str:
    url = settings.REDIS_URL
    need(bool(url) and _reachable(url, 6379), "Redis (REDIS_URL)")
    return url


@pytest.fixture
def need_chromium() -> str:
    need(os.path.exists(CHROMIUM) or shutil.which("chromium") is not None, "Chromium")
    return CHROMIUM


@dataclass
class Cast:
    """A workshop with a stream and one user per role, plus an outsider."""

    workshop: Any
    stream: Any
    facilitator: Any
    participant: Any
    viewer: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return getattr(self, role)

    def membership(self, role: str) -> Any:
        return self.workshop.memberships.get(user=self.user(role))


@pytest.fixture
def cast(db: None) -> Cast:
    workshop = WorkshopFactory()
    people = {}
    for role in (Role.FACILITATOR, Role.PARTICIPANT, Role.VIEWER):
        user = UserFactory(username=f"{role}-{workshop.pk}")
        MembershipFactory(workshop=workshop, user=user, role=role)
        people[str(role)] = user
    return Cast(
        workshop=workshop,
        stream=StreamFactory(workshop=workshop),
        outsider=UserFactory(username=f"outsider-{workshop.pk}"),
        **people,
    )


@pytest.fixture
def client_for() -> Any:
    """client_for(user) -> an APIClient signed in as `user` (None: anonymous)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
