"""Importing work-item history through the API: the record's contract, the upsert by
external id, all-or-nothing on errors, size and format checks, and who may import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from workitems.models import (
    FlowState,
    ImportStatus,
    Transition,
    WorkItem,
    WorkItemImport,
    WorkState,
)
from workitems.services import work_item_import_run

pytestmark = pytest.mark.django_db

LONG_CSV = (
    "item_id,state,entered_at,title,type,tags\n"
    "A-1,Backlog,2024-03-01,Checkout page,Story,\n"
    "A-1,In Progress,2024-03-04T09:00:00Z,,,\n"
    "A-1,Review,2024-03-06T09:00:00Z,,,\n"
    "A-1,Done,2024-03-07T17:00:00+01:00,,,\n"
    "A-2,Backlog,2024-03-02,Login fails on Safari,Bug,\n"
    "A-2,In Progress,2024-03-05,,,\n"
    "A-3,Backlog,2024-03-03,Rotate the TLS keys,Task,Security|ops\n"
)


def upload(client: Any, workshop_id: int, content: str | bytes, **extra: str) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/api/workshops/{workshop_id}/work-items/import/",
        {"file": SimpleUploadedFile("export.csv", data, content_type="text/csv"), **extra},
        format="multipart",
    )


def test_a_facilitator_imports_a_long_csv_and_gets_the_record(cast: Any, client_for: Any) -> None:
    response = upload(client_for(cast.facilitator), cast.workshop.pk, LONG_CSV)

    assert response.status_code == 201, response.json()
    record = response.json()
    assert {key: record[key] for key in ("status", "format", "items", "transitions", "errors")} == {
        "status": "done",
        "format": "long_csv",
        "items": 3,
        "transitions": 7,
        "errors": [],
    }
    assert set(record) >= {"id", "warnings", "progress", "filename", "created_at"}
    items = {item.external_id: item for item in WorkItem.objects.filter(workshop=cast.workshop)}
    assert {key: item.flow_type for key, item in items.items()} == {
        "A-1": "feature",
        "A-2": "defect",
        "A-3": "risk",  # the Security tag wins over the Task type
    }
    assert items["A-3"].tags == ["Security", "ops"]
    states = list(
        WorkState.objects.filter(workshop=cast.workshop).values_list("name", "flow_state")
    )
    assert states == [
        ("Backlog", FlowState.NEW),
        ("In Progress", FlowState.ACTIVE),
        ("Review", FlowState.ACTIVE),
        ("Done", FlowState.DONE),
    ]
    history = list(
        Transition.objects.filter(item=items["A-1"])
        .order_by("entered_at", "id")
        .values_list("state__name", "entered_at")
    )
    assert [name for name, _ in history] == ["Backlog", "In Progress", "Review", "Done"]
    assert history[-1][1].isoformat() == "2024-03-07T16:00:00+00:00"
    assert client_for(cast.viewer).get(f"/api/work-item-imports/{record['id']}/").json() == record


def test_re_importing_upserts_items_and_replaces_their_history(cast: Any, client_for: Any) -> None:
    client = client_for(cast.facilitator)
    assert upload(client, cast.workshop.pk, LONG_CSV).status_code == 201
    newer = (
        "item_id,state,entered_at,title,type,tags\n"
        "A-2,Backlog,2024-03-02,Login fails on Safari 17,Bug,\n"
        "A-2,In Progress,2024-03-05,,,\n"
        "A-2,Done,2024-03-09,,,\n"
        "A-4,Backlog,2024-03-08,Dark mode,Story,\n"
    )
    response = upload(client, cast.workshop.pk, newer)

    assert response.status_code == 201
    assert (response.json()["items"], response.json()["transitions"]) == (2, 4)
    items = WorkItem.objects.filter(workshop=cast.workshop)
    assert sorted(items.values_list("external_id", flat=True)) == ["A-1", "A-2", "A-3", "A-4"]
    a2 = items.get(external_id="A-2")
    assert a2.title == "Login fails on Safari 17"
    assert list(a2.transitions.order_by("entered_at").values_list("state__name", flat=True)) == [
        "Backlog",
        "In Progress",
        "Done",
    ]
    # A-1 keeps its 4, A-2 has the file's 3, A-3 keeps 1, A-4 is new with 1.
    assert Transition.objects.filter(item__workshop=cast.workshop).count() == 4 + 3 + 1 + 1
    # The same file again changes nothing.
    assert upload(client, cast.workshop.pk, newer).status_code == 201
    assert Transition.objects.filter(item__workshop=cast.workshop).count() == 9


def test_a_file_with_a_bad_date_imports_nothing_and_names_the_line(
    cast: Any, client_for: Any
) -> None:
    client = client_for(cast.facilitator)
    assert upload(client, cast.workshop.pk, LONG_CSV).status_code == 201
    before = Transition.objects.count(), WorkItem.objects.count(), WorkState.objects.count()
    broken = (
        "item_id,state,entered_at\n"
        "A-1,Backlog,2024-03-01\n"
        "A-1,Shipped,not a date\n"
        "B-9,Backlog,2024-03-01\n"
    )
    response = upload(client, cast.workshop.pk, broken)

    assert response.status_code == 400
    record = response.json()
    assert record["status"] == "failed"
    assert [error["line"] for error in record["errors"]] == [3]
    assert "not a date" in record["errors"][0]["message"]
    after = Transition.objects.count(), WorkItem.objects.count(), WorkState.objects.count()
    assert after == before
    assert not WorkState.objects.filter(name="Shipped").exists()


def test_an_unknown_layout_fails_with_a_sentence(cast: Any, client_for: Any) -> None:
    response = upload(client_for(cast.facilitator), cast.workshop.pk, "just some words\n")

    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] is None
    assert response.json()["errors"][0]["message"]
    assert WorkItem.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"format": "excel"}, "format")],
)
def test_a_wrong_format_is_a_400_on_the_field(
    cast: Any, client_for: Any, extra: dict, field: str
) -> None:
    response = upload(client_for(cast.facilitator), cast.workshop.pk, LONG_CSV, **extra)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert WorkItemImport.objects.count() == 0


def test_a_missing_or_empty_file_is_a_400(cast: Any, client_for: Any) -> None:
    client = client_for(cast.facilitator)
    missing = client.post(
        f"/api/workshops/{cast.workshop.pk}/work-items/import/", {}, format="multipart"
    )
    empty = upload(client, cast.workshop.pk, b"")

    assert missing.status_code == empty.status_code == 400
    assert "file" in missing.json()["errors"] and "file" in empty.json()["errors"]


@override_settings(VSM_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused_before_it_is_parsed(cast: Any, client_for: Any) -> None:
    response = upload(client_for(cast.facilitator), cast.workshop.pk, LONG_CSV)

    assert response.status_code == 400
    assert "limit" in response.json()["detail"] or "larger" in response.json()["detail"]
    assert list(response.json()["errors"]) == ["file"]
    assert WorkItemImport.objects.count() == 0


@override_settings(VSM_IMPORT_INLINE_BYTES=10)
def test_a_large_file_is_accepted_for_a_worker_and_runs_once(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client_for(cast.facilitator), cast.workshop.pk, LONG_CSV)

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert len(callbacks) == 1  # the task is queued once the record is committed
    record = work_item_import_run(import_id=response.json()["id"])
    assert (record.status, record.items, record.transitions) == (ImportStatus.DONE, 3, 7)
    assert not record.file  # the upload is deleted once imported
    again = work_item_import_run(import_id=record.pk)  # a redelivered task changes nothing
    assert again.finished_at == record.finished_at
    assert Transition.objects.count() == 7


@pytest.mark.parametrize(("role", "status"), [("participant", 403), ("viewer", 403)])
def test_only_facilitators_import(cast: Any, client_for: Any, role: str, status: int) -> None:
    response = upload(client_for(cast.user(role)), cast.workshop.pk, LONG_CSV)

    assert response.status_code == status
    assert WorkItemImport.objects.count() == 0


def test_outsiders_get_404_for_the_import_and_its_record(cast: Any, client_for: Any) -> None:
    record = upload(client_for(cast.facilitator), cast.workshop.pk, LONG_CSV).json()
    outsider = client_for(cast.outsider)

    assert upload(outsider, cast.workshop.pk, LONG_CSV).status_code == 404
    assert outsider.get(f"/api/work-item-imports/{record['id']}/").status_code == 404
    assert outsider.get(f"/api/workshops/{cast.workshop.pk}/work-item-imports/").status_code == 404
    assert client_for(None).get(f"/api/work-item-imports/{record['id']}/").status_code in (401, 403)
    assert outsider.get(f"/api/work-item-imports/{2**63}/").status_code == 404


FILES = Path(__file__).parent / "files"


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("long_full.csv", "long_csv"),
        ("long_vsm_workshop.csv", "long_csv"),
        ("wide_cycle_data.csv", "wide_csv"),
        ("wide_ado_actionable.csv", "wide_csv"),
        ("wide_labels.csv", "wide_csv"),
        ("jira_search.json", "jira_json"),
        ("jira_issues_list.json", "jira_json"),
        ("ado_revisions.json", "ado_json"),
        ("github_issues.json", "github_json"),
    ],
)
def test_every_format_imports_through_the_api_and_the_figures_read_it(
    cast: Any, client_for: Any, name: str, format: str
) -> None:
    content = (FILES / name).read_bytes()
    client = client_for(cast.facilitator)

    response = upload(client, cast.workshop.pk, content)

    assert response.status_code == 201, response.json()
    record = response.json()
    assert record["format"] == format  # detected from the content
    items = WorkItem.objects.filter(workshop=cast.workshop)
    assert record["items"] == items.count() > 0
    assert record["transitions"] == Transition.objects.filter(item__workshop=cast.workshop).count()
    assert WorkState.objects.filter(workshop=cast.workshop).exists()
    assert client.get(f"/api/workshops/{cast.workshop.pk}/flow-metrics/").status_code == 200
    again = upload(client, cast.workshop.pk, content)  # the same export again: no duplicates
    assert again.status_code == 201 and items.count() == record["items"]
