"""Schemathesis over /api/schema/, against a real uvicorn process, as each role.

Every operation of the schema gets generated requests (valid ones and, through schemathesis'
negative mode, invalid ones) with the role's `Authorization: Token` header, on a fresh world
per operation (one object of every kind, tests.test_permissions._world) so that a DELETE of
the workshop or of the caller's own membership empties only its own run. Path parameters are
mostly the world's real ids (otherwise nearly every case would be a 404), sometimes whatever
schemathesis draws. Each answer must be no server error, have a status the operation
documents, the documented content type, and a body that matches the documented shape.

Bounded and reproducible: Hypothesis is derandomized (the same cases on every run) with a
fixed number of examples per operation; about 2,700 requests in all (~2 minutes).

Left out: `POST /api/connections/{id}/test/` and `/sync/`, which contact the connection's
tracker (a generated PATCH may point it anywhere); tests/workitems cover them against fake
trackers on loopback.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import MembershipFactory, StreamFactory, UserFactory, WorkshopFactory
from tests.stack import servers
from tests.test_permissions import _world
from workshops.models import Role

asgi_servers = servers.asgi_servers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

ROLES = ("facilitator", "participant", "viewer")
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# They reach out to the connection's tracker (see the module's docstring).
LEFT_OUT = {("POST", "/api/connections/{id}/test/"), ("POST", "/api/connections/{id}/sync/")}

# Which of the world's objects a path's `{id}` names, by the path's first segment.
ID_OF = {
    "workshops": "workshop",
    "streams": "stream",
    "activities": "activity",
    "links": "link",
    "wastes": "waste",
    "countermeasures": "countermeasure",
    "notes": "note",
    "votes": "vote",
    "work-states": "state",
    "work-item-imports": "import",
    "connections": "connection",
    "connection-syncs": "sync",
}
OTHER_PARAMETERS = {"member_id": "member", "invitation_id": "invitation", "token": "token"}


def _fresh_world(role: str) -> tuple[dict[str, Any], str]:
    """A workshop with one member per role and one object of every kind; the role's token."""
    workshop = WorkshopFactory()
    people = {
        name: MembershipFactory(workshop=workshop, user=UserFactory(), role=name)
        for name in (Role.FACILITATOR, Role.PARTICIPANT, Role.VIEWER)
    }
    world = _world(workshop, StreamFactory(workshop=workshop), people[Role.PARTICIPANT])
    return world, Token.objects.create(user=people[role].user).key


def _real_parameters(path: str, world: dict[str, Any]) -> dict[str, Any]:
    """The world's ids for each parameter of `path`."""
    first = path.split("/")[2]
    values = {}
    for name in re.findall(r"\{([^}]+)\}", path):
        key = ID_OF[first] if name == "id" else OTHER_PARAMETERS[name]
        values[name] = world[key]
    return values


def _run_operation(
    operation: Any, base_url: str, world: dict[str, Any], token: str, statuses: Counter[int]
) -> int:
    real = _real_parameters(operation.path, world)
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=real),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=real),
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
    )
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    calls = [0]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        calls[0] += 1
        response = case.call_and_validate(
            base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=30
        )
        statuses[response.status_code] += 1

    run()
    return calls[0]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_only_what_the_schema_documents(
    need_postgres, need_redis, asgi_servers, role
):
    (server,) = asgi_servers.get(1)
    schema = schemathesis.openapi.from_url(f"{server.http_url}/api/schema/?format=json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    started, requests_made, failures, statuses = time.monotonic(), 0, [], Counter[int]()
    for operation in operations:
        if (operation.method.upper(), operation.path) in LEFT_OUT:
            continue
        world, token = _fresh_world(role)
        try:
            requests_made += _run_operation(operation, server.http_url, world, token, statuses)
        # Every operation is run and all failures reported (schemathesis raises a group).
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"{operation.method.upper()} {operation.path}:\n{failure}")
    print(f"{role}: {requests_made} requests in {time.monotonic() - started:.0f} s: {statuses}")
    assert not failures, "\n\n".join(failures) + "\n\nserver log:\n" + server.output()[-5000:]
    assert requests_made >= 8 * len(operations)
    # The world's real ids are reached: the run is not 404s and 400s alone.
    assert sum(count for status, count in statuses.items() if status < 300) >= 100
