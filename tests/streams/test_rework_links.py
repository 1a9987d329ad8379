"""Rework loops: a link of kind `rework` from a later activity back to an earlier one. Only
facilitators draw (and remove) them, they go back along the flow, one per source, and the
cycle check of flow links leaves them out. Over the services, REST, the socket, the
exports, the clone and the flow summary."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from metrics.services import summary_recompute
from streams.models import Link, LinkKind, ValueStream
from streams.services import board_create, board_delete, stream_clone
from tests.factories import ActivityFactory, LinkFactory

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def flow(cast: Any) -> SimpleNamespace:
    """Build -> Test -> Release, linked; Test gets 70% complete & accurate."""
    stream = cast.stream
    build = ActivityFactory(
        stream=stream, title="Build", order=0, process_time=4 * HOUR, wait_time=0
    )
    test = ActivityFactory(
        stream=stream, title="Test", order=1, process_time=2 * HOUR, wait_time=0, pca=70
    )
    release = ActivityFactory(
        stream=stream, title="Release", order=2, process_time=HOUR, wait_time=0
    )
    LinkFactory(stream=stream, source=build, target=test)
    LinkFactory(stream=stream, source=test, target=release)
    return SimpleNamespace(cast=cast, build=build, test=test, release=release)


def rework(flow: SimpleNamespace, role: str, source: Any, target: Any) -> Any:
    return board_create(
        actor=flow.cast.user(role),
        kind="link",
        stream_id=flow.cast.stream.pk,
        data={"source": source.pk, "target": target.pk, "kind": "rework"},
    )


def test_a_facilitator_draws_a_rework_loop_back_to_an_earlier_activity(flow):
    op = rework(flow, "facilitator", flow.test, flow.build)

    assert op.op == "link.create"
    assert op.data["kind"] == "rework"
    assert (op.data["source"], op.data["target"]) == (flow.test.pk, flow.build.pk)
    assert Link.objects.get(pk=op.data["id"]).kind == LinkKind.REWORK


def test_a_participant_cannot_draw_a_rework_loop(flow):
    with pytest.raises(PermissionDenied, match="facilitator"):
        rework(flow, "participant", flow.test, flow.build)
    assert not Link.objects.filter(kind=LinkKind.REWORK).exists()


def test_a_rework_loop_must_go_back_not_forward(flow):
    with pytest.raises(ValidationError) as refused:
        rework(flow, "facilitator", flow.build, flow.release)
    assert "earlier in the flow" in str(refused.value.message_dict["target"])


def test_a_flow_link_back_is_still_refused_as_a_loop(flow):
    with pytest.raises(ValidationError) as refused:
        board_create(
            actor=flow.cast.participant,
            kind="link",
            stream_id=flow.cast.stream.pk,
            data={"source": flow.release.pk, "target": flow.build.pk},
        )
    assert refused.value.message_dict == {"target": ["This link would close a loop in the flow."]}


def test_the_cycle_check_of_flow_links_ignores_rework_loops(flow):
    side = ActivityFactory(stream=flow.cast.stream, title="Docs", order=3)
    LinkFactory(stream=flow.cast.stream, source=side, target=flow.build, kind=LinkKind.REWORK)

    # Release -> Docs would close Build -> Test -> Release -> Docs -> (rework) Build.
    op = board_create(
        actor=flow.cast.participant,
        kind="link",
        stream_id=flow.cast.stream.pk,
        data={"source": flow.release.pk, "target": side.pk},
    )
    assert op.data["kind"] == "flow"


def test_an_activity_sends_its_rework_back_once(flow):
    rework(flow, "facilitator", flow.release, flow.test)
    with pytest.raises(ValidationError) as refused:
        rework(flow, "facilitator", flow.release, flow.build)
    assert "already sends its rework back" in str(refused.value.message_dict["source"])


def test_without_flow_links_earlier_means_before_it_in_flow_order(cast):
    first = ActivityFactory(stream=cast.stream, order=0)
    second = ActivityFactory(stream=cast.stream, order=1)
    facts = SimpleNamespace(cast=cast)

    assert rework(facts, "facilitator", second, first).data["kind"] == "rework"
    with pytest.raises(ValidationError):
        rework(facts, "facilitator", first, second)


def test_only_a_facilitator_removes_a_rework_loop(flow):
    link = Link.objects.get(pk=rework(flow, "facilitator", flow.test, flow.build).data["id"])

    with pytest.raises(PermissionDenied):
        board_delete(actor=flow.cast.participant, kind="link", object_id=link.pk)
    board_delete(actor=flow.cast.facilitator, kind="link", object_id=link.pk)
    assert not Link.objects.filter(pk=link.pk).exists()


def test_a_participant_still_removes_flow_links(flow):
    link = Link.objects.get(source=flow.build, target=flow.test)
    board_delete(actor=flow.cast.participant, kind="link", object_id=link.pk)
    assert not Link.objects.filter(pk=link.pk).exists()


def test_rest_creates_a_rework_loop_for_a_facilitator_and_answers_403_to_a_participant(
    flow, client_for
):
    url = f"/api/streams/{flow.cast.stream.pk}/links/"
    body = {"source": flow.test.pk, "target": flow.build.pk, "kind": "rework"}

    assert client_for(flow.cast.participant).post(url, body, format="json").status_code == 403
    created = client_for(flow.cast.facilitator).post(url, body, format="json")
    assert created.status_code == 201 and created.json()["kind"] == "rework"
    listed = client_for(flow.cast.viewer).get(url).json()
    assert sorted(link["kind"] for link in listed) == ["flow", "flow", "rework"]


def test_an_unknown_link_kind_is_a_400(flow, client_for):
    url = f"/api/streams/{flow.cast.stream.pk}/links/"
    body = {"source": flow.test.pk, "target": flow.build.pk, "kind": "sideways"}
    answer = client_for(flow.cast.facilitator).post(url, body, format="json")
    assert answer.status_code == 400 and "kind" in answer.json()["errors"]


def test_the_summary_counts_the_loop_in_expected_rework_but_never_in_the_critical_path(flow):
    before = summary_recompute(stream_id=flow.cast.stream.pk).data
    rework(flow, "facilitator", flow.test, flow.build)
    after = summary_recompute(stream_id=flow.cast.stream.pk).data

    assert after["critical_path"] == before["critical_path"]
    assert after["lead_time"] == before["lead_time"] == 7 * HOUR
    assert after["link_count"] == 2
    # Test's 30% runs again from Build through Test (6h) instead of Test alone (2h).
    assert before["rework"]["expected_rework_time"] == pytest.approx(0.3 * 2 * HOUR)
    assert after["rework"]["expected_rework_time"] == pytest.approx(0.3 * 6 * HOUR)
    (loop,) = after["rework"]["loops"]
    assert (loop["source"], loop["target"], loop["share"]) == (
        flow.test.pk,
        flow.build.pk,
        pytest.approx(30),
    )


def test_a_clone_keeps_its_rework_loops(flow):
    rework(flow, "facilitator", flow.test, flow.build)
    clone = stream_clone(actor=flow.cast.facilitator, stream_id=flow.cast.stream.pk)
    kinds = {
        (link.source.title, link.target.title): link.kind
        for link in Link.objects.filter(stream=clone).select_related("source", "target")
    }
    assert kinds == {
        ("Build", "Test"): "flow",
        ("Test", "Release"): "flow",
        ("Test", "Build"): "rework",
    }


# Exports and import --------------------------------------------------------------------------


def _export(client: Any, stream_id: int) -> dict[str, Any]:
    return json.loads(client.get(f"/api/streams/{stream_id}/export/json/").content)


def test_the_json_export_carries_the_kind_and_an_import_recreates_it(flow, client_for):
    rework(flow, "facilitator", flow.test, flow.build)
    client = client_for(flow.cast.facilitator)
    document = _export(client, flow.cast.stream.pk)
    assert {"source": "a2", "target": "a1", "kind": "rework"} in document["links"]

    created = client.post(
        f"/api/workshops/{flow.cast.workshop.pk}/import/", document, format="json"
    )
    assert created.status_code == 201
    assert _export(client, created.json()["id"]) == document
    assert Link.objects.filter(stream_id=created.json()["id"], kind="rework").count() == 1


def test_an_import_without_kinds_reads_flow_links(flow, client_for):
    client = client_for(flow.cast.facilitator)
    document = _export(client, flow.cast.stream.pk)
    for link in document["links"]:
        del link["kind"]
    created = client.post(
        f"/api/workshops/{flow.cast.workshop.pk}/import/", document, format="json"
    )
    assert created.status_code == 201
    assert set(
        Link.objects.filter(stream_id=created.json()["id"]).values_list("kind", flat=True)
    ) == {"flow"}


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ({"source": "a1", "target": "a3", "kind": "rework"}, "earlier in the flow"),
        ({"source": "a3", "target": "a1", "kind": "loop"}, "Must be one of"),
    ],
)
def test_an_import_refuses_a_rework_loop_forward_or_an_unknown_kind(
    flow, client_for, link, message
):
    client = client_for(flow.cast.facilitator)
    document = _export(client, flow.cast.stream.pk)
    document["links"].append(link)
    before = ValueStream.objects.count()
    answer = client.post(f"/api/workshops/{flow.cast.workshop.pk}/import/", document, format="json")
    assert answer.status_code == 400 and message in json.dumps(answer.json())
    assert ValueStream.objects.count() == before


def test_the_csv_lists_links_with_their_kind(flow, client_for):
    rework(flow, "facilitator", flow.release, flow.test)
    body = client_for(flow.cast.viewer).get(f"/api/streams/{flow.cast.stream.pk}/export/csv/")
    rows = [
        row for row in csv.DictReader(io.StringIO(body.content.decode())) if row["kind"] == "link"
    ]
    assert [(row["activity"], row["target"], row["link_kind"]) for row in rows] == [
        ("a1", "a2", "flow"),
        ("a2", "a3", "flow"),
        ("a3", "a2", "rework"),
    ]


def test_the_svg_export_draws_a_rework_loop_dashed(flow, client_for):
    rework(flow, "facilitator", flow.test, flow.build)
    body = client_for(flow.cast.viewer).get(f"/api/streams/{flow.cast.stream.pk}/export/svg/")
    svg = body.content.decode()
    assert svg.count('class="rework-loop"') == 1 and 'stroke-dasharray="7 5"' in svg
