"""Facilitation: the phase and the shared timer reach every board of the workshop."""

import pytest
from django.core.exceptions import PermissionDenied

from streams.models import Op
from streams.selectors import board_snapshot
from tests.factories import StreamFactory
from workshops.services import workshop_timer, workshop_update

pytestmark = pytest.mark.django_db


def test_moving_the_phase_records_an_op_on_every_board_of_the_workshop(cast):
    second = StreamFactory(workshop=cast.workshop)
    workshop_update(actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"phase": "wastes"})
    ops = Op.objects.filter(op="workshop.update").order_by("stream_id")
    assert [op.stream_id for op in ops] == [cast.stream.pk, second.pk]
    assert ops[0].data["phase"] == "wastes" and "Name the wastes" in ops[0].data["prompt"]


def test_the_snapshot_carries_phase_prompt_and_my_role(cast):
    snapshot = board_snapshot(user=cast.participant, stream_id=cast.stream.pk)
    assert snapshot["workshop"]["phase"] == "choose"
    assert snapshot["me"]["role"] == "participant"


def test_facilitator_starts_and_stops_the_shared_timer(cast):
    started = workshop_timer(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"seconds": 300}
    )
    assert started.timer_seconds == 300 and started.timer_ends_at is not None
    stopped = workshop_timer(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"seconds": 0}
    )
    assert stopped.timer_ends_at is None
    assert Op.objects.filter(op="workshop.update").count() == 2


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_only_the_facilitator_moves_the_phase_or_the_timer(cast, role):
    with pytest.raises(PermissionDenied):
        workshop_update(
            actor=cast.user(role), workshop_id=cast.workshop.pk, data={"phase": "repeat"}
        )
    with pytest.raises(PermissionDenied):
        workshop_timer(actor=cast.user(role), workshop_id=cast.workshop.pk, data={"seconds": 60})


def test_timer_api_rejects_a_bad_duration_with_a_message(cast, client_for):
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/timer/", {"seconds": -5}, format="json"
    )
    assert response.status_code == 400 and "seconds" in response.json()["errors"]


def test_timer_api_returns_the_facilitation_state(cast, client_for):
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/timer/", {"seconds": 120}, format="json"
    )
    assert response.status_code == 200 and response.json()["timer_seconds"] == 120
