"""Exports (JSON, CSV, SVG) and importing a JSON export as a new stream."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from streams.models import Activity, ValueStream
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    NoteFactory,
    WasteFactory,
)

pytestmark = pytest.mark.django_db
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def mapped(cast):
    """A small map with a fork, a waste pinned to an activity, a countermeasure and a note."""
    first, top, bottom, last = (
        ActivityFactory(stream=cast.stream, title=title, order=index, wait_time=60 * index)
        for index, title in enumerate(("Ask", HOSTILE, '=HYPERLINK("x")', "Ship"))
    )
    for source, target in ((first, top), (first, bottom), (top, last), (bottom, last)):
        LinkFactory(stream=cast.stream, source=source, target=target)
    waste = WasteFactory(stream=cast.stream, activity=top, text="Queue before review")
    CountermeasureFactory(waste=waste, measure="Wait < 1d", effort=2)
    NoteFactory(stream=cast.stream, text="Who approves?", kind="question")
    return cast


def _export(client, stream_id):
    response = client.get(f"/api/streams/{stream_id}/export/json/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(response.content)


def test_importing_an_export_recreates_the_stream_exactly(mapped, client_for):
    client = client_for(mapped.facilitator)
    document = _export(client, mapped.stream.pk)
    created = client.post(f"/api/workshops/{mapped.workshop.pk}/import/", document, format="json")
    assert created.status_code == 201
    assert _export(client, created.json()["id"]) == document
    assert len(document["activities"]) == 4 and len(document["links"]) == 4


def test_import_with_a_loop_is_refused_and_writes_nothing(mapped, client_for):
    client = client_for(mapped.facilitator)
    document = _export(client, mapped.stream.pk)
    document["links"].append({"source": "a4", "target": "a1"})
    before = (ValueStream.objects.count(), Activity.objects.count())
    response = client.post(f"/api/workshops/{mapped.workshop.pk}/import/", document, format="json")
    assert response.status_code == 400 and "loop" in response.json()["errors"]["links"][0]
    assert (ValueStream.objects.count(), Activity.objects.count()) == before


def test_import_reports_each_bad_entry_by_its_path(mapped, client_for):
    client = client_for(mapped.facilitator)
    document = _export(client, mapped.stream.pk)
    document["activities"][1]["pca"] = 150
    document["wastes"][0]["activity"] = "a99"
    document["countermeasures"][0]["waste"] = None
    response = client.post(f"/api/workshops/{mapped.workshop.pk}/import/", document, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {
        "activities[1].pca",
        "wastes[0].activity",
        "countermeasures[0].waste",
    }


@pytest.mark.parametrize("document", [[], {"format": "other"}, {"format": "flowmap.stream"}])
def test_import_of_something_else_is_a_clear_400(cast, client_for, document):
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/import/", document, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(("role", "expected"), [("participant", 403), ("viewer", 403)])
def test_only_facilitators_import(mapped, client_for, role, expected):
    document = _export(client_for(mapped.facilitator), mapped.stream.pk)
    response = client_for(mapped.user(role)).post(
        f"/api/workshops/{mapped.workshop.pk}/import/", document, format="json"
    )
    assert response.status_code in (400, expected)
    assert ValueStream.objects.count() == 1


@pytest.mark.parametrize("fmt", ["json", "csv", "svg"])
def test_viewers_export_and_outsiders_get_404(mapped, client_for, fmt):
    url = f"/api/streams/{mapped.stream.pk}/export/{fmt}/"
    assert client_for(mapped.viewer).get(url).status_code == 200
    assert client_for(mapped.outsider).get(url).status_code == 404


def test_csv_lists_activities_in_flow_order_and_defuses_formulas(mapped, client_for):
    body = client_for(mapped.viewer).get(f"/api/streams/{mapped.stream.pk}/export/csv/")
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    rows = [row for row in rows if row["kind"] == "activity"]
    assert [row["title"] for row in rows] == ["Ask", HOSTILE, '\'=HYPERLINK("x")', "Ship"]
    assert rows[3]["wait_time"] == "3m" and rows[3]["lead_time_s"] == "3780.0"


def test_svg_is_well_formed_and_shows_user_text_literally(mapped, client_for):
    body = client_for(mapped.viewer).get(f"/api/streams/{mapped.stream.pk}/export/svg/").content
    root = ET.fromstring(body)  # noqa: S314 (our own output)
    texts = "".join("".join(root.itertext()).split())  # wrapped over lines
    assert HOSTILE.replace(" ", "") in texts
    assert not root.findall(".//{http://www.w3.org/2000/svg}img")
    assert b"<img" not in body
    arrows = [
        line
        for line in root.iter("{http://www.w3.org/2000/svg}line")
        if line.get("marker-end") == "url(#arrow)"
    ]
    assert len(arrows) == 4
