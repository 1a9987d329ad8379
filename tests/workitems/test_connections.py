"""Tracker connections against the fake trackers on loopback (tests/workitems/trackers.py):
the API's contract and permissions, Test connection in words, full and incremental syncs of
Azure DevOps, Jira and GitHub through the parsers and the one upsert, paging, failures that
leave nothing half-written and complete on retry, rate-limit waits, the lock, and a credential
that never shows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from tests.workitems import trackers
from tests.workitems.trackers import (
    ADO_TOKEN,
    GITHUB_TOKEN,
    JIRA_EMAIL,
    JIRA_TOKEN,
    Tracker,
)
from workitems import connections, tasks
from workitems.connectors import RateLimited, Transient
from workitems.models import (
    Connection,
    ConnectionSync,
    SyncStatus,
    Transition,
    WorkItem,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SECRETS = (ADO_TOKEN, JIRA_TOKEN, GITHUB_TOKEN)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def body(kind: str, tracker: Tracker, **scope: Any) -> dict[str, Any]:
    if kind == "azure_devops":
        return {
            "kind": kind,
            "base_url": tracker.url,
            "scope": {"organization": trackers.ORG, "project": trackers.PROJECT, **scope},
            "credential": {"token": ADO_TOKEN},
        }
    if kind == "jira":
        return {
            "kind": kind,
            "base_url": tracker.url,
            "scope": {"jql": f"project = {trackers.JIRA_PROJECT} ORDER BY key", **scope},
            "credential": {"email": JIRA_EMAIL, "token": JIRA_TOKEN},
        }
    return {
        "kind": kind,
        "base_url": tracker.url,
        "scope": {"owner": trackers.OWNER, "repo": trackers.REPO, **scope},
        "credential": {"token": GITHUB_TOKEN},
    }


def fill(kind: str, tracker: Tracker) -> None:
    """Three items of each kind; the first has a long history (paging its changelog or
    timeline), the third is done."""
    if kind == "azure_devops":
        tracker.ado_item(1, [("New", day(0)), ("Active", day(1)), ("Resolved", day(3)),
                             ("Active", day(4)), ("Closed", day(6))])  # fmt: skip
        tracker.ado_item(2, [("New", day(1)), ("Active", day(2))], type="Bug")
        tracker.ado_item(3, [("New", day(2)), ("Active", day(3)), ("Closed", day(5))])
    elif kind == "jira":
        tracker.jira_issue("SHOP-1", [("To Do", day(0)), ("In Progress", day(1)),
                                      ("Review", day(3)), ("In Progress", day(4)),
                                      ("Review", day(5)), ("Done", day(6))])  # fmt: skip
        tracker.jira_issue("SHOP-2", [("To Do", day(1)), ("In Progress", day(2))], type="Bug")
        tracker.jira_issue("SHOP-3", [("To Do", day(2)), ("Done", day(5))])
    else:
        tracker.github_issue(
            1,
            [("labeled", "status: In Progress", day(1)), ("labeled", "status: Review", day(3)),
             ("unlabeled", "status: In Progress", day(3)), ("closed", "", day(6))],
            created=day(0), updated=day(6),
        )  # fmt: skip
        tracker.github_issue(
            2, [("labeled", "status: In Progress", day(2))], created=day(1), updated=day(2),
            labels=["bug"],
        )  # fmt: skip
        tracker.github_issue(3, [("closed", "", day(5))], created=day(2), updated=day(5))
        tracker.github_issues.append(  # a pull request: GitHub lists them with the issues
            {"number": 4, "title": "PR", "pull_request": {"url": "x"}, "state": "open",
             "created_at": trackers.iso(day(2)), "updated_at": trackers.iso(day(2)),
             "labels": []}
        )  # fmt: skip


def create(client_for: Any, cast: Any, kind: str, tracker: Tracker, **scope: Any) -> dict:
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/connections/",
        body(kind, tracker, **scope),
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def history(workshop: Any, external_id: str) -> list[str]:
    item = WorkItem.objects.get(workshop=workshop, external_id=external_id)
    return list(
        Transition.objects.filter(item=item)
        .order_by("entered_at", "id")
        .values_list("state__name", flat=True)
    )


def run_sync(connection_id: int, *, may_retry: bool = True) -> ConnectionSync:
    """Queues and runs one sync attempt in the test (as a worker's task would)."""
    connection = Connection.objects.get(pk=connection_id)
    sync = ConnectionSync.objects.create(connection=connection, workshop_id=connection.workshop_id)
    connections.connection_sync_run(sync_id=sync.pk, may_retry=may_retry)
    sync.refresh_from_db()
    return sync


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert secret[-12:] not in text


# The API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["azure_devops", "jira", "github"])
def test_a_facilitator_adds_a_connection_and_the_credential_never_comes_back(
    cast, client_for, tracker, kind
):
    created = create(client_for, cast, kind, tracker)
    assert set(created) >= {"id", "kind", "base_url", "scope", "credential_hint", "schedule",
                            "last_sync"}  # fmt: skip
    assert created["kind"] == kind and created["last_sync"] is None
    assert created["schedule"] == 60
    token = body(kind, tracker)["credential"]["token"]
    assert created["credential_hint"] == token[-4:]
    assert "credential" not in created
    listed = client_for(cast.facilitator).get(f"/api/workshops/{cast.workshop.pk}/connections/")
    detail = client_for(cast.facilitator).get(f"/api/connections/{created['id']}/")
    for response in (listed, detail):
        assert response.status_code == 200
        assert_no_secret(response.content.decode())
    stored = Connection.objects.get(pk=created["id"])
    assert token not in stored.credential_encrypted and stored.credential_encrypted


def test_a_connection_is_refused_in_words_when_its_address_or_scope_is_wrong(
    cast, client_for, tracker
):
    client = client_for(cast.facilitator)
    url = f"/api/workshops/{cast.workshop.pk}/connections/"
    plain = {**body("github", tracker), "base_url": "http://api.github.com"}
    response = client.post(url, plain, format="json")
    assert response.status_code == 400 and "https" in response.json()["errors"]["base_url"][0]
    private = {**body("github", tracker), "base_url": "https://10.0.0.7"}
    assert "private" in client.post(url, private, format="json").json()["errors"]["base_url"][0]
    no_project = body("azure_devops", tracker)
    no_project["scope"] = {"organization": "acme"}
    assert client.post(url, no_project, format="json").json()["errors"]["scope"] == [
        "project: Required."
    ]
    no_email = body("jira", tracker)
    no_email["credential"] = {"token": JIRA_TOKEN}
    assert client.post(url, no_email, format="json").json()["errors"]["credential"] == [
        "email: Required."
    ]
    jira_without_site = {**body("jira", tracker), "base_url": ""}
    assert (
        "atlassian.net"
        in client.post(url, jira_without_site, format="json").json()["errors"]["base_url"][0]
    )
    assert not Connection.objects.exists()


def test_github_and_azure_devops_default_to_their_cloud_addresses(cast, client_for, tracker):
    client = client_for(cast.facilitator)
    url = f"/api/workshops/{cast.workshop.pk}/connections/"
    github = client.post(url, {**body("github", tracker), "base_url": ""}, format="json")
    ado = {key: value for key, value in body("azure_devops", tracker).items() if key != "base_url"}
    assert github.json()["base_url"] == "https://api.github.com"
    assert client.post(url, ado, format="json").json()["base_url"] == (
        "https://analytics.dev.azure.com"
    )


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_members_who_do_not_facilitate_cannot_see_or_use_connections(
    cast, client_for, tracker, role
):
    created = create(client_for, cast, "github", tracker)
    client = client_for(cast.user(role))
    workshop_url = f"/api/workshops/{cast.workshop.pk}/connections/"
    assert client.get(workshop_url).status_code == 403
    assert client.post(workshop_url, body("github", tracker), format="json").status_code == 403
    for method, path in [
        ("get", ""), ("patch", ""), ("delete", ""), ("post", "test/"), ("post", "sync/")
    ]:  # fmt: skip
        response = getattr(client, method)(f"/api/connections/{created['id']}/{path}", {},
                                           format="json")  # fmt: skip
        assert response.status_code == 404, (method, path)
    assert Connection.objects.filter(pk=created["id"]).exists()


def test_changing_the_address_needs_the_credential_again_and_a_new_scope_starts_over(
    cast, client_for, tracker
):
    created = create(client_for, cast, "github", tracker)
    Connection.objects.filter(pk=created["id"]).update(cursor=day(9))
    client = client_for(cast.facilitator)
    moved = client.patch(
        f"/api/connections/{created['id']}/", {"base_url": "https://github.example.com"},
        format="json",
    )  # fmt: skip
    assert moved.status_code == 400 and "credential" in moved.json()["errors"]
    rescoped = client.patch(
        f"/api/connections/{created['id']}/",
        {"scope": {"owner": "acme", "repo": "shop", "labels": "bug"}, "schedule": 0},
        format="json",
    )
    assert rescoped.status_code == 200, rescoped.json()
    assert rescoped.json()["schedule"] == 0 and rescoped.json()["scope"]["labels"] == "bug"
    assert Connection.objects.get(pk=created["id"]).cursor is None


# Test connection --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["azure_devops", "jira", "github"])
def test_test_connection_says_it_works(cast, client_for, tracker, kind):
    fill(kind, tracker)
    created = create(client_for, cast, kind, tracker)
    answer = client_for(cast.facilitator).post(f"/api/connections/{created['id']}/test/")
    assert answer.status_code == 200
    assert answer.json()["ok"] is True, answer.json()
    assert "Connected" in answer.json()["message"]


WRONG_GITHUB = {"credential": {"token": "ghp_wrong-token-000000000000"}}
WRONG_JIRA = {"credential": {"email": JIRA_EMAIL, "token": "wrong-token-0000000"}}
OTHER_PROJECT = {"scope": {"organization": "acme", "project": "Other"}}
BAD_FILTER = {"scope": {"organization": "acme", "project": "Shop", "filter": "Nonsense eq 1"}}


@pytest.mark.parametrize(
    ("kind", "change", "words"),
    [
        ("github", WRONG_GITHUB, "refused the credential"),
        ("jira", WRONG_JIRA, "refused the credential"),
        ("azure_devops", OTHER_PROJECT, "no such project"),
        ("github", {"scope": {"owner": "acme", "repo": "secret"}}, "no such project or"),
        ("jira", {"scope": {"jql": "project = NOPE"}}, "refused the query"),
        ("azure_devops", BAD_FILTER, "refused the query"),
    ],
)
def test_test_connection_says_in_words_what_failed(cast, client_for, tracker, kind, change, words):
    created = create(client_for, cast, kind, tracker)
    client = client_for(cast.facilitator)
    changed = client.patch(f"/api/connections/{created['id']}/", change, format="json")
    assert changed.status_code == 200
    answer = client.post(f"/api/connections/{created['id']}/test/").json()
    assert answer["ok"] is False and words in answer["message"], answer


def test_test_connection_says_when_the_host_is_unreachable(cast, client_for, tracker):
    from tests.stack.servers import free_port

    data = {**body("github", tracker), "base_url": f"http://127.0.0.1:{free_port()}"}
    created = (
        client_for(cast.facilitator)
        .post(f"/api/workshops/{cast.workshop.pk}/connections/", data, format="json")
        .json()
    )
    answer = client_for(cast.facilitator).post(f"/api/connections/{created['id']}/test/").json()
    assert answer["ok"] is False and "Could not reach GitHub at 127.0.0.1" in answer["message"]


# Syncs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "first", "first_history"),
    [
        ("azure_devops", "1", ["New", "Active", "Resolved", "Active", "Closed"]),
        ("jira", "SHOP-1", ["To Do", "In Progress", "Review", "In Progress", "Review", "Done"]),
        ("github", "1", ["Open", "In Progress", "Review", "Closed"]),
    ],
)
@pytest.mark.django_db(transaction=True)  # the sync runs when the request's writes commit
@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_a_first_sync_fetches_every_item_whole_through_the_parsers(
    cast, client_for, tracker, kind, first, first_history
):
    fill(kind, tracker)
    created = create(client_for, cast, kind, tracker)
    response = client_for(cast.facilitator).post(f"/api/connections/{created['id']}/sync/")
    assert response.status_code == 201, response.json()
    sync = response.json()
    assert set(sync) >= {"id", "status", "items", "transitions", "errors"}
    assert (sync["status"], sync["items"], sync["errors"]) == ("done", 3, []), sync
    assert history(cast.workshop, first) == first_history
    assert WorkItem.objects.filter(workshop=cast.workshop, source_id=created["id"]).count() == 3
    read = client_for(cast.facilitator).get(f"/api/connection-syncs/{sync['id']}/")
    assert read.status_code == 200 and read.json()["status"] == "done"
    again = client_for(cast.facilitator).get(f"/api/connections/{created['id']}/").json()
    assert again["last_sync"]["id"] == sync["id"] and again["items"] == 3


def test_azure_devops_follows_next_links_and_fetches_all_revisions_of_changed_items(
    cast, client_for, tracker
):
    fill("azure_devops", tracker)
    created = create(
        client_for, cast, "azure_devops", tracker, filter="WorkItemType eq 'User Story'"
    )
    first = run_sync(created["id"])
    assert (first.status, first.items) == ("done", 2), first.errors  # the bug is left out
    pages = tracker.calls("WorkItemRevisions")
    assert any(call.param("$skiptoken") for call in pages)  # a nextLink was followed
    assert pages[0].param("$filter") == "(WorkItemType eq 'User Story')"

    tracker.requests.clear()
    reopened = datetime.now(UTC) + timedelta(minutes=5)
    tracker.ado_item(3, [("New", day(2)), ("Active", day(3)), ("Closed", day(5)),
                         ("Active", reopened)])  # fmt: skip
    cursor = Connection.objects.get(pk=created["id"]).cursor
    second = run_sync(created["id"])
    assert (second.status, second.items) == ("done", 1)
    ids_pass, *revisions = tracker.calls("WorkItemRevisions")
    assert ids_pass.param("$filter") == (
        f"(WorkItemType eq 'User Story') and ChangedDate ge {cursor:%Y-%m-%dT%H:%M:%SZ}"
    )
    assert revisions[0].param("$filter") == "WorkItemId in (3)"
    assert history(cast.workshop, "3") == ["New", "Active", "Closed", "Active"]
    assert history(cast.workshop, "1") == ["New", "Active", "Resolved", "Active", "Closed"]


def test_azure_devops_syncs_a_saved_querys_work_items(cast, client_for, tracker):
    fill("azure_devops", tracker)
    tracker.ado_queries["0a1b2c3d-query"] = [2, 3]
    created = create(client_for, cast, "azure_devops", tracker, query="0a1b2c3d-query")
    sync = run_sync(created["id"])
    assert (sync.status, sync.items) == ("done", 2)
    assert set(WorkItem.objects.values_list("external_id", flat=True)) == {"2", "3"}


def test_jira_pages_the_search_and_long_changelogs_and_asks_for_updates_in_the_accounts_zone(
    cast, client_for, tracker
):
    fill("jira", tracker)
    created = create(client_for, cast, "jira", tracker)
    first = run_sync(created["id"])
    assert (first.status, first.items) == ("done", 3), first.errors
    searches = tracker.calls("/search/jql")
    assert [call.param("nextPageToken") for call in searches] == [None, "2"]
    assert searches[0].param("jql") == "project = SHOP ORDER BY key"
    assert searches[0].param("expand") == "changelog"
    changelog = tracker.calls("/issue/SHOP-1/changelog")
    assert [call.param("startAt") for call in changelog] == ["0", "2", "4"]  # 5 histories
    assert not tracker.calls("/issue/SHOP-2/changelog")  # its one history came embedded

    tracker.requests.clear()
    tracker.jira_issue("SHOP-2", [("To Do", day(1)), ("In Progress", day(2)), ("Done", day(30))],
                       updated=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip
    cursor = Connection.objects.get(pk=created["id"]).cursor
    second = run_sync(created["id"])
    assert (second.status, second.items) == ("done", 1)
    [search] = tracker.calls("/search/jql")
    local = cursor.astimezone(trackers.ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")
    assert search.param("jql") == f'(project = SHOP) AND updated >= "{local}" ORDER BY key'
    assert history(cast.workshop, "SHOP-2") == ["To Do", "In Progress", "Done"]
    assert len(history(cast.workshop, "SHOP-1")) == 6  # untouched


def test_github_pages_issues_and_timelines_skips_pull_requests_and_asks_since(
    cast, client_for, tracker
):
    fill("github", tracker)
    created = create(client_for, cast, "github", tracker)
    first = run_sync(created["id"])
    assert (first.status, first.items) == ("done", 3), first.errors
    listings = tracker.calls("/issues")
    issue_pages = [call for call in listings if call.path.endswith("/issues")]
    assert [call.param("page") for call in issue_pages] == [None, "2"]
    assert issue_pages[0].param("since") is None and issue_pages[0].param("state") == "all"
    assert len(tracker.calls("/issues/1/timeline")) == 2  # four events, two a page
    assert not tracker.calls("/issues/4/timeline")  # the pull request
    assert not WorkItem.objects.filter(external_id="4").exists()

    tracker.requests.clear()
    later = datetime.now(UTC) + timedelta(minutes=5)
    tracker.github_issue(2, [("labeled", "status: In Progress", day(2)), ("closed", "", day(30))],
                         created=day(1), updated=later)  # fmt: skip
    cursor = Connection.objects.get(pk=created["id"]).cursor
    second = run_sync(created["id"])
    assert (second.status, second.items) == ("done", 1)
    [listing] = [call for call in tracker.calls("/issues") if call.path.endswith("/issues")]
    assert listing.param("since") == cursor.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert history(cast.workshop, "2") == ["Open", "In Progress", "Closed"]


def test_a_github_label_filter_is_sent_as_labels(cast, client_for, tracker):
    fill("github", tracker)
    created = create(client_for, cast, "github", tracker, labels="bug")
    sync = run_sync(created["id"])
    assert sync.items == 1 and tracker.calls("/issues")[0].param("labels") == "bug"


def test_a_500_in_the_middle_of_paging_writes_nothing_and_the_retry_completes(
    cast, client_for, tracker
):
    fill("azure_devops", tracker)
    created = create(client_for, cast, "azure_devops", tracker)
    tracker.fail("skiptoken", 500, body=b'{"message": "TF400898: An internal error"}')
    connection = Connection.objects.get(pk=created["id"])
    sync = ConnectionSync.objects.create(connection=connection, workshop=cast.workshop)
    with pytest.raises(Transient, match="failed to answer"):
        connections.connection_sync_run(sync_id=sync.pk)
    connections.connection_sync_retry_wait(sync_id=sync.pk, countdown=30, message="x")
    assert WorkItem.objects.count() == 0 and Transition.objects.count() == 0
    connection.refresh_from_db()
    assert connection.cursor is None and connection.lock_sync_id == sync.pk
    assert ConnectionSync.objects.get(pk=sync.pk).status == SyncStatus.RETRYING

    retried = connections.connection_sync_run(sync_id=sync.pk)  # the task's retry
    assert (retried.status, retried.items, retried.attempts) == ("done", 3, 2)
    assert WorkItem.objects.count() == 3
    assert history(cast.workshop, "1") == ["New", "Active", "Resolved", "Active", "Closed"]
    connection.refresh_from_db()
    assert connection.cursor is not None and connection.lock_sync_id is None


def test_a_truncated_page_is_retried_and_nothing_is_duplicated(cast, client_for, tracker):
    fill("jira", tracker)
    created = create(client_for, cast, "jira", tracker)
    run_sync(created["id"])
    tracker.fail("/issue/SHOP-1/changelog", 200, truncate=True, skip=1)
    Connection.objects.filter(pk=created["id"]).update(cursor=None)
    connection = Connection.objects.get(pk=created["id"])
    sync = ConnectionSync.objects.create(connection=connection, workshop=cast.workshop)
    with pytest.raises(Transient, match="incomplete or invalid answer"):
        connections.connection_sync_run(sync_id=sync.pk)
    retried = connections.connection_sync_run(sync_id=sync.pk)
    assert retried.status == "done"
    assert WorkItem.objects.count() == 3
    assert Transition.objects.count() == 6 + 2 + 2


def test_a_worker_killed_while_writing_leaves_nothing_and_the_redelivery_completes(
    cast, client_for, tracker, monkeypatch
):
    """The worker dies (a BaseException no handler catches) after some items are written in
    the sync's transaction: all of it rolls back; the redelivered task runs the same sync."""
    fill("github", tracker)
    created = create(client_for, cast, "github", tracker)
    from workitems.upsert import HistoryUpsert

    real_finish = HistoryUpsert.finish

    def killed(self):
        self._flush()
        assert WorkItem.objects.count() == 3  # written, not committed
        raise SystemExit("worker killed")

    monkeypatch.setattr(HistoryUpsert, "finish", killed)
    connection = Connection.objects.get(pk=created["id"])
    sync = ConnectionSync.objects.create(connection=connection, workshop=cast.workshop)
    with pytest.raises(SystemExit):
        connections.connection_sync_run(sync_id=sync.pk)
    assert WorkItem.objects.count() == 0 and Transition.objects.count() == 0
    assert Connection.objects.get(pk=connection.pk).lock_sync_id == sync.pk

    monkeypatch.setattr(HistoryUpsert, "finish", real_finish)
    redelivered = connections.connection_sync_run(sync_id=sync.pk)
    assert (redelivered.status, redelivered.items) == ("done", 3)
    assert Transition.objects.count() == 4 + 2 + 2


@pytest.mark.parametrize(
    ("kind", "path", "status", "headers", "expected"),
    [
        ("jira", "/search/jql", 429, {"Retry-After": "42"}, 42),
        ("github", "/timeline", 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "+90"},
         91),
        ("azure_devops", "WorkItemRevisions", 429, {"Retry-After": "7"}, 7),
    ],
)  # fmt: skip
def test_a_rate_limit_is_retried_after_the_wait_the_tracker_asked_for(
    cast, client_for, tracker, monkeypatch, kind, path, status, headers, expected
):
    fill(kind, tracker)
    created = create(client_for, cast, kind, tracker)
    if headers.get("X-RateLimit-Reset", "").startswith("+"):
        headers = {**headers, "X-RateLimit-Reset": str(int(datetime.now(UTC).timestamp()) + 90)}
    tracker.fail(path, status, headers=headers, body=b'{"message": "API rate limit exceeded"}')
    connection = Connection.objects.get(pk=created["id"])
    sync = ConnectionSync.objects.create(connection=connection, workshop=cast.workshop)
    countdowns = []

    def retry(countdown, exc=None):
        countdowns.append(countdown)
        raise Retry(when=countdown)

    monkeypatch.setattr(tasks.connection_sync_task, "retry", retry)
    with pytest.raises(Retry):
        tasks.connection_sync_task.run(connection.pk, sync.pk)
    assert countdowns and abs(countdowns[0] - expected) <= 2, countdowns
    sync.refresh_from_db()
    assert sync.status == "retrying" and "asked to wait" in sync.message
    assert sync.retry_at is not None
    tasks.connection_sync_task.run(connection.pk, sync.pk)  # the retry, once the wait is over
    sync.refresh_from_db()
    assert (sync.status, sync.items) == ("done", 3)


def test_a_transient_failure_backs_off_exponentially_with_jitter(monkeypatch):
    seen = {tasks.sync_countdown(Transient("server", "x"), retries) for _ in range(20)
            for retries in (0, 3)}  # fmt: skip
    assert all(0 <= value <= 240 for value in seen) and len(seen) > 3
    assert tasks.sync_countdown(RateLimited("wait", 12.0), 5) == 12.0


@pytest.mark.django_db(transaction=True)
@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_without_a_worker_a_failing_sync_fails_at_once_saying_why(cast, client_for, tracker):
    created = create(client_for, cast, "github", tracker)
    tracker.fail("/issues", 503, times=50)
    response = client_for(cast.facilitator).post(f"/api/connections/{created['id']}/sync/")
    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    assert "failed to answer (503)" in response.json()["errors"][0]["message"]
    assert len(tracker.calls("/issues")) == 1  # no retry storm
    assert Connection.objects.get(pk=created["id"]).lock_sync_id is None


def test_a_sync_never_runs_twice_at_once_for_a_connection(cast, client_for, tracker):
    fill("github", tracker)
    created = create(client_for, cast, "github", tracker)
    first = connections.connection_sync_request(actor=cast.facilitator, connection_id=created["id"])
    again = connections.connection_sync_request(actor=cast.facilitator, connection_id=created["id"])
    assert again.pk == first.pk  # the pending one, not a second
    connection = Connection.objects.get(pk=created["id"])
    Connection.objects.filter(pk=connection.pk).update(
        lock_sync=first, lock_until=timezone.now() + timedelta(minutes=5)
    )
    ConnectionSync.objects.filter(pk=first.pk).update(status=SyncStatus.RUNNING)
    other = ConnectionSync.objects.create(connection=connection, workshop=cast.workshop)
    result = connections.connection_sync_run(sync_id=other.pk)
    assert result.status == "failed" and "Another sync" in result.message
    assert not tracker.requests and WorkItem.objects.count() == 0
    assert connections.connection_syncs_due() == []  # held: the schedule waits too


def test_a_lock_left_by_a_lost_worker_expires_and_its_record_is_closed(cast, client_for, tracker):
    created = create(client_for, cast, "github", tracker)
    connection = Connection.objects.get(pk=created["id"])
    lost = ConnectionSync.objects.create(
        connection=connection, workshop=cast.workshop, status=SyncStatus.RUNNING
    )
    ConnectionSync.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=2))
    Connection.objects.filter(pk=connection.pk).update(
        lock_sync=lost, lock_until=timezone.now() - timedelta(seconds=1)
    )
    queued = connections.connection_syncs_due()
    lost.refresh_from_db()
    assert lost.status == "failed" and "worker was lost" in lost.message
    assert len(queued) == 1 and Connection.objects.get(pk=connection.pk).lock_sync_id is None


def test_the_schedule_queues_only_connections_that_are_due(cast, client_for, tracker):
    due = create(client_for, cast, "github", tracker)
    fresh = create(client_for, cast, "jira", tracker)
    manual = create(client_for, cast, "azure_devops", tracker)
    Connection.objects.filter(pk=manual["id"]).update(schedule=0)
    ConnectionSync.objects.create(
        connection_id=fresh["id"], workshop=cast.workshop, status=SyncStatus.DONE
    )
    queued = connections.connection_syncs_due()
    assert [ConnectionSync.objects.get(pk=pk).connection_id for pk in queued] == [due["id"]]
    later = connections.connection_syncs_due(now=timezone.now() + timedelta(minutes=61))
    assert {ConnectionSync.objects.get(pk=pk).connection_id for pk in later} == {
        due["id"],
        fresh["id"],
    }
    assert set(queued) < set(later)  # the sync still pending is not queued twice


# Removing a connection ---------------------------------------------------------------------


def test_removing_a_connection_keeps_its_items_unless_asked(cast, client_for, tracker):
    fill("github", tracker)
    keep = create(client_for, cast, "github", tracker)
    run_sync(keep["id"])
    client = client_for(cast.facilitator)
    assert client.delete(f"/api/connections/{keep['id']}/").status_code == 204
    assert WorkItem.objects.filter(workshop=cast.workshop).count() == 3
    assert not WorkItem.objects.exclude(source=None).exists()

    fill("jira", tracker)
    drop = create(client_for, cast, "jira", tracker)
    run_sync(drop["id"])
    assert WorkItem.objects.count() == 6
    assert client.delete(f"/api/connections/{drop['id']}/?delete_items=true").status_code == 204
    assert sorted(WorkItem.objects.values_list("external_id", flat=True)) == ["1", "2", "3"]
    assert Transition.objects.count() == 4 + 2 + 2
    assert not ConnectionSync.objects.exists()


# Credentials -------------------------------------------------------------------------------


def test_a_credential_never_appears_in_answers_messages_or_logs(
    cast, client_for, tracker, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    fill("jira", tracker)
    created = create(client_for, cast, "jira", tracker)
    echo = f'{{"errorMessages": ["Token {JIRA_TOKEN} for {JIRA_EMAIL} is invalid"]}}'.encode()
    tracker.fail("/myself", 400, body=echo)
    client = client_for(cast.facilitator)
    answers = [client.post(f"/api/connections/{created['id']}/test/")]
    assert "•••" in answers[0].json()["message"]
    tracker.fail("/search/jql", 500)
    Connection.objects.filter(pk=created["id"]).update(cursor=day(1))
    sync = run_sync(created["id"], may_retry=False)
    assert sync.status == "failed"

    from workitems.upsert import HistoryUpsert

    def broken(self):
        raise RuntimeError(f"boom with {JIRA_TOKEN} inside")

    monkeypatch.setattr(HistoryUpsert, "finish", broken)
    failed = run_sync(created["id"])
    assert failed.status == "failed" and "internal error" in failed.message
    answers.append(client.get(f"/api/connections/{created['id']}/"))
    answers.append(client.get(f"/api/connection-syncs/{failed.pk}/"))
    answers.append(client.get(f"/api/workshops/{cast.workshop.pk}/connections/"))
    for answer in answers:
        assert_no_secret(answer.content.decode())
    for record in ConnectionSync.objects.all():
        assert_no_secret(repr(record.errors) + record.message + repr(record.warnings))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Sync" in logged and "boom with •••" in logged
    assert_no_secret(logged)


def test_credentials_survive_a_key_rotation():
    from cryptography.fernet import Fernet

    from workitems import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VSM_CREDENTIALS_KEY=old):
        token = crypto.credential_encrypt({"token": "s3cret-value"})
    with override_settings(VSM_CREDENTIALS_KEY=f"{new},{old}"):
        assert crypto.credential_decrypt(token) == {"token": "s3cret-value"}
        rotated = crypto.credential_rotate(token)
    with override_settings(VSM_CREDENTIALS_KEY=new):
        assert crypto.credential_decrypt(rotated) == {"token": "s3cret-value"}
        with pytest.raises(crypto.CredentialKeyError, match="cannot be decrypted"):
            crypto.credential_decrypt(token)


def test_a_full_sync_asks_for_every_item_again(cast, client_for, tracker):
    fill("github", tracker)
    created = create(client_for, cast, "github", tracker)
    run_sync(created["id"])
    tracker.requests.clear()
    sync = connections.connection_sync_request(
        actor=cast.facilitator, connection_id=created["id"], data={"full": True}
    )
    done = connections.connection_sync_run(sync_id=sync.pk)
    assert (done.full, done.since, done.items) == (True, None, 3)
    assert tracker.calls("/issues")[0].param("since") is None
    with pytest.raises(ValidationError):
        connections.connection_sync_request(
            actor=cast.facilitator, connection_id=created["id"], data={"full": "yes"}
        )


def test_redaction_covers_the_http_basic_forms_of_a_credential():
    import base64

    from workitems.connectors.base import redact

    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    empty_user = base64.b64encode(f":{ADO_TOKEN}".encode()).decode()
    text = f"Authorization: Basic {basic} / Basic {empty_user} / {JIRA_TOKEN}"
    said = redact(text, [JIRA_TOKEN, ADO_TOKEN], [JIRA_EMAIL])
    assert said == "Authorization: Basic ••• / Basic ••• / •••"


def test_the_rotate_command_re_encrypts_every_credential_under_the_new_key(cast, tracker):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from workitems import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VSM_CREDENTIALS_KEY=old):
        connection = Connection.objects.create(
            workshop=cast.workshop,
            kind="github",
            base_url=tracker.url,
            scope={"owner": "acme", "repo": "shop"},
            credential_encrypted=crypto.credential_encrypt({"token": GITHUB_TOKEN}),
        )
    with override_settings(VSM_CREDENTIALS_KEY=f"{new},{old}"):
        call_command("credentials_rotate")
    connection.refresh_from_db()
    with override_settings(VSM_CREDENTIALS_KEY=new):
        assert crypto.credential_decrypt(connection.credential_encrypted) == {"token": GITHUB_TOKEN}
