"""The state mapping and the type rules: facilitators edit them, every member reads them, and
every item follows the current rules."""

from __future__ import annotations

from typing import Any

import pytest

from streams.models import Op
from tests.factories import ActivityFactory, StreamFactory
from workitems.models import StateActivity, WorkItem, WorkState

pytestmark = pytest.mark.django_db


@pytest.fixture
def states(cast: Any) -> dict[str, WorkState]:
    names = [("Backlog", "new"), ("Build", "active"), ("Test", "active"), ("Done", "done")]
    return {
        name: WorkState.objects.create(
            workshop=cast.workshop, name=name, order=order, flow_state=flow_state
        )
        for order, (name, flow_state) in enumerate(names)
    }


def names_in_order(cast: Any) -> list[str]:
    return list(WorkState.objects.filter(workshop=cast.workshop).values_list("name", flat=True))


def test_members_read_the_mapping_in_workflow_order(
    cast: Any, client_for: Any, states: Any
) -> None:
    response = client_for(cast.viewer).get(f"/api/workshops/{cast.workshop.pk}/work-states/")

    assert response.status_code == 200
    assert response.json()[1] == {
        "id": states["Build"].pk,
        "name": "Build",
        "order": 1,
        "flow_state": "active",
        "category": "",
        "activities": [],
    }
    assert [state["order"] for state in response.json()] == [0, 1, 2, 3]


def test_a_facilitator_moves_a_state_and_changes_its_flow_state(
    cast: Any, client_for: Any, states: Any
) -> None:
    response = client_for(cast.facilitator).patch(
        f"/api/work-states/{states['Test'].pk}/",
        {"order": 1, "flow_state": "waiting"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["order"], response.json()["flow_state"]) == (1, "waiting")
    assert names_in_order(cast) == ["Backlog", "Test", "Build", "Done"]
    orders = WorkState.objects.filter(workshop=cast.workshop).values_list("order", flat=True)
    assert list(orders) == [0, 1, 2, 3]


def test_a_list_patch_applies_all_changes_or_none(cast: Any, client_for: Any, states: Any) -> None:
    client = client_for(cast.facilitator)
    url = f"/api/workshops/{cast.workshop.pk}/work-states/"
    bad = client.patch(
        url,
        [
            {"id": states["Build"].pk, "flow_state": "waiting"},
            {"id": states["Done"].pk, "order": -1},
        ],
        format="json",
    )
    assert bad.status_code == 400
    assert "1.order" in bad.json()["errors"]
    assert WorkState.objects.get(pk=states["Build"].pk).flow_state == "active"

    good = client.patch(
        url,
        [{"id": states["Done"].pk, "order": 0}, {"id": states["Build"].pk, "flow_state": "ignore"}],
        format="json",
    )
    assert good.status_code == 200
    assert [state["name"] for state in good.json()] == ["Done", "Backlog", "Build", "Test"]
    assert good.json()[2]["flow_state"] == "ignore"


def test_names_are_read_only_and_unknown_fields_refused(
    cast: Any, client_for: Any, states: Any
) -> None:
    client = client_for(cast.facilitator)
    url = f"/api/work-states/{states['Build'].pk}/"

    assert client.patch(url, {"name": "Hacked"}, format="json").status_code == 200
    assert WorkState.objects.get(pk=states["Build"].pk).name == "Build"
    assert client.patch(url, {"colour": "red"}, format="json").status_code == 400
    assert client.patch(url, {"flow_state": "sleeping"}, format="json").status_code == 400


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_only_facilitators_edit_the_mapping(
    cast: Any, client_for: Any, states: Any, role: str
) -> None:
    client = client_for(cast.user(role))

    assert (
        client.patch(
            f"/api/work-states/{states['Build'].pk}/", {"order": 0}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/workshops/{cast.workshop.pk}/type-rules/",
            [{"match": "tag", "value": "x", "flow_type": "risk"}],
            format="json",
        ).status_code
        == 403
    )


def test_outsiders_get_404_for_states_and_rules(cast: Any, client_for: Any, states: Any) -> None:
    outsider = client_for(cast.outsider)

    assert outsider.get(f"/api/workshops/{cast.workshop.pk}/work-states/").status_code == 404
    assert outsider.get(f"/api/work-states/{states['Build'].pk}/").status_code == 404
    assert (
        outsider.patch(
            f"/api/work-states/{states['Build'].pk}/", {"order": 0}, format="json"
        ).status_code
        == 404
    )
    assert outsider.get(f"/api/workshops/{cast.workshop.pk}/type-rules/").status_code == 404


def test_editing_the_type_rules_retypes_every_item(cast: Any, client_for: Any) -> None:
    for external_id, tracker_type, tags in (
        ("1", "Bug", []),
        ("2", "Story", ["Tech-Debt"]),
        ("3", "Spike", []),
    ):
        WorkItem.objects.create(
            workshop=cast.workshop, external_id=external_id, tracker_type=tracker_type, tags=tags
        )
    client = client_for(cast.facilitator)
    url = f"/api/workshops/{cast.workshop.pk}/type-rules/"
    defaults = client.get(url).json()
    assert {"match": "tag", "value": "tech debt", "flow_type": "debt"} in defaults

    response = client.put(
        url,
        [
            {"match": "type", "value": "SPIKE", "flow_type": "risk"},
            {"match": "type", "value": "bug", "flow_type": "defect"},
        ],
        format="json",
    )

    assert response.status_code == 200
    assert sorted(rule["value"] for rule in response.json()) == ["bug", "spike"]
    types = dict(WorkItem.objects.values_list("external_id", "flow_type"))
    assert types == {"1": "defect", "2": "feature", "3": "risk"}


def test_type_rules_are_validated_per_entry(cast: Any, client_for: Any) -> None:
    client = client_for(cast.facilitator)
    url = f"/api/workshops/{cast.workshop.pk}/type-rules/"

    empty = client.put(url, [], format="json")
    wrong = client.put(url, [{"match": "label", "value": "", "flow_type": "bug"}], format="json")

    assert empty.status_code == wrong.status_code == 400
    assert set(wrong.json()["errors"]) == {"0.match", "0.value", "0.flow_type"}


def test_a_facilitator_assigns_a_state_to_an_activity_of_a_map(
    cast: Any, client_for: Any, states: Any
) -> None:
    development = ActivityFactory(stream=cast.stream, title="Development")
    url = f"/api/work-states/{states['Build'].pk}/"

    response = client_for(cast.facilitator).patch(url, {"activity": development.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["activities"] == [{"stream": cast.stream.pk, "activity": development.pk}]
    op = Op.objects.get(stream=cast.stream)
    assert (op.op, op.data["id"], op.data["activity"]) == (
        "state.update",
        states["Build"].pk,
        development.pk,
    )
    # Moving it to another activity of the same map replaces the assignment.
    review = ActivityFactory(stream=cast.stream, title="Review")
    client_for(cast.facilitator).patch(url, {"activity": review.pk}, format="json")
    assert list(StateActivity.objects.values_list("activity_id", flat=True)) == [review.pk]


def test_null_unassigns_on_one_map_or_on_every_map(cast: Any, client_for: Any, states: Any) -> None:
    other = StreamFactory(workshop=cast.workshop)
    client = client_for(cast.facilitator)
    url = f"/api/work-states/{states['Build'].pk}/"
    for stream in (cast.stream, other):
        activity = ActivityFactory(stream=stream)
        assert client.patch(url, {"activity": activity.pk}, format="json").status_code == 200

    one = client.patch(url, {"activity": None, "stream": other.pk}, format="json")
    assert [entry["stream"] for entry in one.json()["activities"]] == [cast.stream.pk]
    every = client.patch(url, {"activity": None}, format="json")
    assert every.json()["activities"] == []
    assert Op.objects.filter(op="state.update").count() == 4


def test_an_activity_of_another_workshop_is_refused_and_nothing_changes(
    cast: Any, client_for: Any, states: Any
) -> None:
    elsewhere = ActivityFactory()  # a map of another workshop
    response = client_for(cast.facilitator).patch(
        f"/api/work-states/{states['Build'].pk}/",
        {"activity": elsewhere.pk, "flow_state": "waiting"},
        format="json",
    )

    assert response.status_code == 400
    assert "activity" in response.json()["errors"]
    assert WorkState.objects.get(pk=states["Build"].pk).flow_state == "active"
    assert not StateActivity.objects.exists() and not Op.objects.exists()


def test_participants_cannot_assign_states(cast: Any, client_for: Any, states: Any) -> None:
    activity = ActivityFactory(stream=cast.stream)
    response = client_for(cast.participant).patch(
        f"/api/work-states/{states['Build'].pk}/", {"activity": activity.pk}, format="json"
    )

    assert response.status_code == 403
    assert not StateActivity.objects.exists()
