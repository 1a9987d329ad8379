"""Deliberate type errors: `make typecheck` leaves tests/ out, and tests/test_typecheck.py runs
mypy on this file alone and expects exactly the errors marked on their lines (an `error:`
comment with mypy's code in brackets), no more and no fewer. Nothing here is ever run."""

from django.http import HttpRequest

from metrics.selectors import stream_facts
from streams.models import Activity, ValueStream
from vsm_site.authenticated import AuthenticatedHttpRequest
from workshops.models import Membership, Workshop
from workshops.services import invitation_create, workshop_create


def an_id_where_a_model_is_expected(stream: ValueStream) -> None:
    stream_facts(stream.pk)  # error: [arg-type]
    stream_facts(stream)


def an_id_where_the_acting_user_is_expected(workshop: Workshop) -> None:
    workshop_create(actor=workshop.created_by_id, data={})  # error: [arg-type]
    invitation_create(actor=workshop.pk, workshop_id=workshop.pk, data={})  # error: [arg-type]


def an_id_given_to_a_foreign_key(workshop: Workshop, stream: ValueStream) -> None:
    Membership(workshop=workshop.pk, user=workshop.created_by)  # error: [misc]
    Activity(stream=stream)
    Activity(stream=stream.workshop)  # error: [misc]


def a_signed_out_visitor_where_a_user_is_expected(request: HttpRequest) -> None:
    workshop_create(actor=request.user, data={})  # error: [arg-type]


def a_signed_in_person_is_a_user(request: AuthenticatedHttpRequest) -> None:
    workshop_create(actor=request.user, data={})
