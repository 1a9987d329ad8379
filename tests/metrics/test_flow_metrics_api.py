"""`GET /api/workshops/{id}/flow-metrics/`: the measured flow of an imported history, checked
against figures computed by hand; the window's validation; who may read it; and every figure
following the state mapping when a facilitator edits it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from workitems.models import WorkState

pytestmark = pytest.mark.django_db

HISTORY = (
    "item_id,state,entered_at,title,type\n"
    "A-1,Backlog,2024-03-01,Checkout page,Story\n"
    "A-1,In Progress,2024-03-04T09:00:00Z,,\n"
    "A-1,Review,2024-03-06T09:00:00Z,,\n"
    "A-1,Done,2024-03-07T17:00:00+01:00,,\n"
    "A-2,Backlog,2024-03-02,Login fails on Safari,Bug\n"
    "A-2,In Progress,2024-03-05,,\n"
    "A-3,Backlog,2024-03-03,Dark mode,Story\n"
)
WINDOW = {"start": "2024-03-01", "end": "2024-03-10", "as_of": "2024-03-11T00:00:00Z"}
A1_FLOW_DAYS = 3 + 7 / 24  # In Progress 4 Mar 09:00 to Done 7 Mar 16:00 UTC


@pytest.fixture
def imported(cast: Any, client_for: Any) -> Any:
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/work-items/import/",
        {"file": SimpleUploadedFile("history.csv", HISTORY.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return cast


def flow(client: Any, workshop_id: int, **params: str) -> Any:
    return client.get(f"/api/workshops/{workshop_id}/flow-metrics/", {**WINDOW, **params})


def test_a_viewer_reads_the_figures_of_a_hand_computed_history(
    imported: Any, client_for: Any
) -> None:
    response = flow(client_for(imported.viewer), imported.workshop.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["window"] == {
        "start": "2024-03-01",
        "end": "2024-03-10",
        "as_of": "2024-03-11T00:00:00+00:00",
        "interval": "day",
    }
    assert body["velocity"] == {
        "total": 1,
        "by_type": {"feature": 1, "defect": 0, "risk": 0, "debt": 0},
        "canceled": 0,
    }
    assert body["flow_time"]["count"] == 1
    assert body["flow_time"]["p85_days"] == pytest.approx(A1_FLOW_DAYS)
    assert body["efficiency"] == {"portfolio": 1.0, "mean_per_item": 1.0}  # all active
    loads = {day["date"]: day["total"] for day in body["load"]}
    assert loads == {
        "2024-03-01": 0,
        "2024-03-02": 0,
        "2024-03-03": 0,
        "2024-03-04": 1,
        "2024-03-05": 2,
        "2024-03-06": 2,
        "2024-03-07": 1,
        "2024-03-08": 1,
        "2024-03-09": 1,
        "2024-03-10": 1,
    }
    assert [(item["external_id"], item["age_days"]) for item in body["aging"]] == [("A-2", 6.0)]
    assert body["aging"][0]["flow_type"] == "defect"
    assert [day["count"] for day in body["throughput"]] == [0] * 6 + [1] + [0] * 3
    assert body["cfd"]["states"] == ["Backlog", "In Progress", "Review", "Done"]
    assert body["cfd"]["counts"]["Done"][-1] == 1
    assert body["cfd"]["counts"]["Backlog"][-1] == 3
    assert body["littles_law"]["mean_load"] == pytest.approx(0.9)
    assert body["littles_law"]["velocity_per_day"] == pytest.approx(0.1)
    assert body["littles_law"]["agrees"] is False  # 0.9 against 0.33: most of the load is open
    assert set(body) >= {"distribution", "done", "forecast"}


def test_every_figure_follows_an_edited_mapping(imported: Any, client_for: Any) -> None:
    review = WorkState.objects.get(workshop=imported.workshop, name="Review")
    edit = client_for(imported.facilitator).patch(
        f"/api/work-states/{review.pk}/", {"flow_state": "waiting"}, format="json"
    )
    assert edit.status_code == 200

    body = flow(client_for(imported.viewer), imported.workshop.pk).json()

    assert body["efficiency"]["portfolio"] == pytest.approx(2 / A1_FLOW_DAYS)
    (done,) = body["done"]
    assert (done["active_days"], done["waiting_days"]) == (
        pytest.approx(2.0),
        pytest.approx(1 + 7 / 24),
    )


def test_a_newer_import_shows_at_once_and_keeps_what_it_leaves_out(
    imported: Any, client_for: Any
) -> None:
    viewer = client_for(imported.viewer)
    assert flow(viewer, imported.workshop.pk).json()["velocity"]["total"] == 1  # read once
    newer = (
        "item_id,state,entered_at\n"
        "A-2,Backlog,2024-03-02\n"
        "A-2,In Progress,2024-03-05\n"
        "A-2,Done,2024-03-08\n"
    )
    response = client_for(imported.facilitator).post(
        f"/api/workshops/{imported.workshop.pk}/work-items/import/",
        {"file": SimpleUploadedFile("newer.csv", newer.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 201

    body = flow(viewer, imported.workshop.pk).json()

    # The newer file has no type or title column: A-2 stays a Bug (a defect) with its title.
    assert body["velocity"]["by_type"] == {"feature": 1, "defect": 1, "risk": 0, "debt": 0}
    assert body["aging"] == []
    assert body["done"][-1]["title"] == "Login fails on Safari"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2024-03-10", "end": "2024-03-01"}, "start"),
        ({"start": "March"}, "start"),
        ({"interval": "fortnight"}, "interval"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"start": "2000-01-01", "end": "2024-01-01"}, "start"),
        ({"start": "2024-03-12", "end": "2024-03-20"}, "start"),  # after as_of's day
    ],
)
def test_a_bad_window_is_a_400_on_its_field(
    imported: Any, client_for: Any, params: dict[str, str], field: str
) -> None:
    response = flow(client_for(imported.viewer), imported.workshop.pk, **params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_end_after_as_of_is_clipped_to_its_day(imported: Any, client_for: Any) -> None:
    body = flow(client_for(imported.viewer), imported.workshop.pk, end="2024-04-30").json()

    assert body["window"]["end"] == "2024-03-11"


def test_an_empty_workshop_answers_with_empty_figures(cast: Any, client_for: Any) -> None:
    body = flow(client_for(cast.participant), cast.workshop.pk).json()

    assert body["velocity"]["total"] == 0
    assert body["flow_time"]["p50_days"] is None
    assert body["aging"] == [] and body["cfd"]["states"] == []


def test_outsiders_get_404(imported: Any, client_for: Any) -> None:
    assert flow(client_for(imported.outsider), imported.workshop.pk).status_code == 404
    assert flow(client_for(imported.outsider), 2**63).status_code == 404
