"""`GET /api/streams/{id}/measured/` and `POST .../measured/apply/`: a drawn map held against
an imported history through tracker states assigned to its activities, on figures computed by
hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics.services import measured_summary, snapshot_take
from streams.models import ValueStream
from tests.factories import ActivityFactory, LinkFactory
from workitems.models import WorkState

pytestmark = pytest.mark.django_db

HOUR = 3600
WORKING = 40 / 168  # five 8-hour days a calendar week
CALENDAR_DAY = 86_400 * WORKING  # one calendar day in the map's working seconds
HISTORY = (
    "item_id,state,entered_at\n"
    # A waits two days for Dev, works one, tests one.
    "A,Backlog,2024-03-01\nA,Ready for Dev,2024-03-02\nA,In Dev,2024-03-04\n"
    "A,Testing,2024-03-05\nA,Done,2024-03-06\n"
    # B goes back from testing to development once.
    "B,Backlog,2024-03-01\nB,In Dev,2024-03-02\nB,Testing,2024-03-04\nB,In Dev,2024-03-05\n"
    "B,Testing,2024-03-06\nB,Done,2024-03-08\n"
    # C is blocked a day in development (Blocked is on no activity).
    "C,Backlog,2024-03-01\nC,In Dev,2024-03-02\nC,Blocked,2024-03-03\nC,In Dev,2024-03-04\n"
    "C,Testing,2024-03-05\nC,Done,2024-03-07\n"
)
WINDOW = {"start": "2024-03-01", "end": "2024-03-10", "as_of": "2024-03-11T00:00:00Z"}


@pytest.fixture
def mapped(cast: Any, client_for: Any) -> Any:
    facilitator = client_for(cast.facilitator)
    response = facilitator.post(
        f"/api/workshops/{cast.workshop.pk}/work-items/import/",
        {"file": SimpleUploadedFile("h.csv", HISTORY.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    dev = ActivityFactory(
        stream=cast.stream, title="Dev", order=0, process_time=16 * HOUR, wait_time=8 * HOUR, pca=80
    )
    test = ActivityFactory(
        stream=cast.stream, title="Test", order=1, process_time=8 * HOUR, wait_time=8 * HOUR, pca=90
    )
    LinkFactory(stream=cast.stream, source=dev, target=test)
    for name, activity in (("Ready for Dev", dev), ("In Dev", dev), ("Testing", test)):
        state = WorkState.objects.get(workshop=cast.workshop, name=name)
        assign = facilitator.patch(
            f"/api/work-states/{state.pk}/", {"activity": activity.pk}, format="json"
        )
        assert assign.status_code == 200, assign.json()
    cast.dev, cast.test = dev, test
    return cast


def test_a_viewer_sees_each_activity_estimated_and_measured(mapped: Any, client_for: Any) -> None:
    response = client_for(mapped.viewer).get(f"/api/streams/{mapped.stream.pk}/measured/", WINDOW)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["items_done"] == 3
    dev, test = body["activities"]
    assert (dev["id"], dev["title"]) == (mapped.dev.pk, "Dev")
    assert dev["estimate"] == {"process_time": 16 * HOUR, "wait_time": 8 * HOUR, "pca": 80}
    # Dev: process 1, 3 and 2 calendar days (median 2); waits 2, 0 and 0 (median 0); B came
    # back from testing, so one of the two items that left Dev forward was rework.
    assert dev["measured"]["items"] == 3
    assert dev["measured"]["process_time"] == pytest.approx(2 * CALENDAR_DAY)
    assert dev["measured"]["wait_time"] == pytest.approx(0)
    assert dev["measured"]["pca"] == pytest.approx(100 * 2 / 3)
    assert test["measured"]["process_time"] == pytest.approx(2 * CALENDAR_DAY)
    assert test["measured"]["pca"] == pytest.approx(100)
    assert body["lead_time"]["estimate"] == pytest.approx(40 * HOUR)
    # Test has no waiting state: its measured wait is unknown (null) and the lead time keeps
    # its estimated 8h there.
    assert test["measured"]["wait_time"] is None
    assert body["lead_time"]["measured"] == pytest.approx(4 * CALENDAR_DAY + 8 * HOUR)
    assert body["lead_time"]["estimated_activities"] == 0
    assert body["flow_time_median"] == pytest.approx(5 * CALENDAR_DAY)  # flow times 4, 6, 5
    # Active and waiting time: A 4 days, B 6, C 5; C's day in Blocked is on no activity.
    assert body["coverage"]["mapped_share"] == pytest.approx(14 / 15)
    assert body["coverage"]["unmapped_states"] == [
        {"name": "Blocked", "share": pytest.approx(1 / 15)}
    ]


def test_an_activity_without_states_has_no_measured_figures(mapped: Any, client_for: Any) -> None:
    deploy = ActivityFactory(stream=mapped.stream, title="Deploy", order=2, wait_time=HOUR)
    LinkFactory(stream=mapped.stream, source=mapped.test, target=deploy)

    body = client_for(mapped.viewer).get(f"/api/streams/{mapped.stream.pk}/measured/", WINDOW)

    assert body.json()["activities"][-1]["measured"] is None
    assert body.json()["lead_time"]["estimated_activities"] == 1


def test_apply_makes_a_data_driven_current_state(mapped: Any, client_for: Any) -> None:
    response = client_for(mapped.facilitator).post(
        f"/api/streams/{mapped.stream.pk}/measured/apply/?start=2024-03-01&end=2024-03-10"
        "&as_of=2024-03-11T00:00:00Z"
    )

    assert response.status_code == 201, response.json()
    clone = ValueStream.objects.get(pk=response.json()["id"])
    assert (clone.state, clone.based_on_id) == ("current", mapped.stream.pk)
    assert "measured" in clone.name
    dev, test = clone.activities.order_by("order")
    assert (dev.title, dev.process_time, dev.wait_time) == (
        "Dev",
        pytest.approx(2 * CALENDAR_DAY),
        pytest.approx(0),
    )
    assert test.wait_time == 8 * HOUR  # not measured: the estimate stays
    assert dev.pca == pytest.approx(100 * 2 / 3)
    assert test.pca == pytest.approx(100)
    assert clone.links.count() == 1
    # The drawn map keeps its estimates.
    mapped.dev.refresh_from_db()
    assert mapped.dev.process_time == 16 * HOUR


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_only_facilitators_apply(mapped: Any, client_for: Any, role: str) -> None:
    response = client_for(mapped.user(role)).post(
        f"/api/streams/{mapped.stream.pk}/measured/apply/"
    )

    assert response.status_code == 403
    assert ValueStream.objects.count() == 1


def test_apply_without_measured_figures_is_a_400(cast: Any, client_for: Any) -> None:
    ActivityFactory(stream=cast.stream, title="Dev")

    response = client_for(cast.facilitator).post(f"/api/streams/{cast.stream.pk}/measured/apply/")

    assert response.status_code == 400
    assert "assign tracker states" in response.json()["errors"]["non_field_errors"][0]


def test_outsiders_get_404(mapped: Any, client_for: Any) -> None:
    outsider = client_for(mapped.outsider)

    assert outsider.get(f"/api/streams/{mapped.stream.pk}/measured/").status_code == 404
    assert outsider.post(f"/api/streams/{mapped.stream.pk}/measured/apply/").status_code == 404


def test_a_daily_snapshot_records_the_measured_flow_beside_the_estimate(mapped: Any) -> None:
    as_of = datetime(2024, 3, 11, tzinfo=UTC)
    measured = measured_summary(mapped.stream, as_of=as_of)

    assert measured is not None
    assert measured["lead_time"] == pytest.approx(4 * CALENDAR_DAY + 8 * HOUR)
    # Dev waited 0 (median); Test's wait is its estimate: 8h of the lead time is waiting.
    lead = 4 * CALENDAR_DAY + 8 * HOUR
    assert measured["flow_efficiency"] == pytest.approx(4 * CALENDAR_DAY / lead)
    assert measured["rolled_pca"] == pytest.approx(100 * 2 / 3)
    assert measured["items_done"] == 3
    snapshot = snapshot_take(stream_id=mapped.stream.pk)
    assert snapshot is not None
    assert set(snapshot.data["measured"]) >= {"lead_time", "flow_efficiency", "mapped_share"}
    assert snapshot.data["lead_time"] == pytest.approx(40 * HOUR)  # the estimate stays


def test_a_map_without_assigned_states_has_no_measured_snapshot(cast: Any) -> None:
    snapshot = snapshot_take(stream_id=cast.stream.pk)

    assert snapshot is not None and "measured" not in snapshot.data
