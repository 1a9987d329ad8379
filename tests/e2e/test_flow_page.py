"""The Flow page in Chromium: a facilitator uploads a long CSV through the page (a worker
imports it), follows the progress, reads the figures and charts, and remaps a state; a failed
import lists its errors with their lines; a viewer reads the page without any control.
Screenshots go to artifacts/e2e/flow-page*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.stack.servers import AsgiServer, database_url_for_tests, start_asgi_server
from tests.stack.worker import celery_worker
from workitems.models import Transition, WorkItem, WorkState

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
XSS = "<img src=x onerror=alert(1)>"


def history_csv() -> bytes:
    """Six items over the last month (UTC days before today, at 09:00):

    F-1 feature  Backlog 0, Ready 1, In Progress 2, Review 4, Done 5   flow 4  (wait 1, active 2+1)
    F-2 feature  Ready 2, In Progress 3, Review 7, Done 10             flow 8  (wait 1, active 4+3)
    B-1 defect   In Progress 5, Review 6, Done 8                       flow 3  (wait 0, active 1+2)
    R-1 risk     Ready 6, In Progress 10, Review 14, Done 16           flow 10 (wait 4, active 4+2)
    D-1 debt     Ready 20, In Progress 22                              in progress
    F-3 feature  Backlog 21                                            not started

    Velocity 4 (feature 2, defect 1, risk 1); flow times 3, 4, 8, 10: p50 6 days, p85 9.1 days
    (numpy's linear interpolation), mean 6.25; load now 1 (D-1). Efficiency: active
    3 + 7 + 3 + 6 = 19 of 25 days = 76%; with Review (1 + 3 + 2 + 2 = 8 days) mapped to
    waiting: 11 of 25 = 44%.
    """
    base = datetime.combine(datetime.now(UTC).date() - timedelta(days=30), time(9), tzinfo=UTC)
    items = {
        "F-1": ("Sign-up form", "Story", "", [
            ("Backlog", 0), ("Ready", 1), ("In Progress", 2), ("Review", 4), ("Done", 5)]),
        "F-2": (XSS, "Story", "", [
            ("Ready", 2), ("In Progress", 3), ("Review", 7), ("Done", 10)]),
        "B-1": ("Login fails on Safari", "Bug", "", [
            ("In Progress", 5), ("Review", 6), ("Done", 8)]),
        "R-1": ("Rotate the API keys", "Story", "security", [
            ("Ready", 6), ("In Progress", 10), ("Review", 14), ("Done", 16)]),
        "D-1": ("Remove the old importer", "Story", "tech-debt", [
            ("Ready", 20), ("In Progress", 22)]),
        "F-3": ("Dark mode", "Story", "", [("Backlog", 21)]),
    }  # fmt: skip
    lines = ["item_id,state,entered_at,title,type,tags"]
    for item_id, (title, kind, tags, history) in items.items():
        for state, offset in history:
            entered = (base + timedelta(days=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(f'{item_id},{state},{entered},"{title}",{kind},{tags}')
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def worker_server(django_db_blocker: Any) -> Iterator[AsgiServer]:
    """A server that leaves every import to the worker (as it does for large files), so the
    page follows the import through its `import.progress` frames."""
    with django_db_blocker.unblock():
        url = database_url_for_tests()
    server = start_asgi_server(database_url=url, env={"VSM_IMPORT_INLINE_BYTES": "0"})
    yield server
    server.stop()
    server.log.unlink(missing_ok=True)


def figure(page: Any, name: str) -> Any:
    return page.locator(f"#flow-body [data-figure={name}]")


def test_a_facilitator_uploads_a_history_reads_the_flow_and_remaps_a_state(
    need_postgres: None,
    need_redis: str,
    worker_server: AsgiServer,
    signed_in_page: Any,
    cast: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with celery_worker():
        page = signed_in_page(worker_server.http_url, cast.facilitator.username, PASSWORD)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/workshops/{cast.workshop.pk}/flow/")
        expect(page.locator("#live-state")).to_have_text("Live updates: on")
        expect(page.locator("[data-hint=no-items]")).to_contain_text("No work items yet.")
        expect(page.locator("#import-panel")).to_have_attribute("open", "")

        page.set_input_files(
            "#import-file",
            files=[{"name": "history.csv", "mimeType": "text/csv", "buffer": history_csv()}],
        )
        page.select_option("#import-format", "long_csv")
        page.click("#import-form button[type=submit]")
        expect(page.locator("#import-progress")).to_be_visible()
        expect(page.locator("#import-result")).to_have_text(
            "Imported 6 work items and 19 state changes from history.csv (long_csv). "
            "The figures below include them.",
            timeout=30_000,
        )
        expect(page.locator("#import-phase")).to_have_text("Imported.")
        expect(page.locator("#import-bar")).to_have_js_property("value", 1)

        # The figures arrive without a reload.
        expect(figure(page, "velocity")).to_have_text("4 items")
        expect(figure(page, "velocity-feature")).to_have_text("2")
        expect(figure(page, "velocity-defect")).to_have_text("1")
        expect(figure(page, "velocity-risk")).to_have_text("1")
        expect(figure(page, "flow-time-p50")).to_have_text("6 days")
        expect(figure(page, "flow-time-p85")).to_have_text("9.1 days")
        expect(figure(page, "flow-time-mean")).to_have_text("6.2 days")
        expect(figure(page, "load")).to_have_text("1 item")
        expect(figure(page, "efficiency")).to_have_text("76%")
        expect(figure(page, "distribution-feature")).to_have_text("50%")
        expect(figure(page, "distribution-defect")).to_have_text("25%")
        expect(page.locator("[data-hint]")).to_have_count(0)

        charts = page.locator("#flow-body svg.flow-svg")
        expect(charts).to_have_count(8)
        # Measured in one go: a later frame may swap the body in between two locator calls.
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('#flow-body svg.flow-svg')].map((svg) => {
                 const box = svg.getBoundingClientRect();
                 return [box.width, box.height];
               })"""
        )
        assert len(sizes) == 8 and all(width > 600 and height > 150 for width, height in sizes)
        # Every text label of every chart lies inside its chart: nothing is clipped.
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('#flow-body svg.flow-svg')].flatMap((svg) => {
                 const frame = svg.getBoundingClientRect();
                 return [...svg.querySelectorAll('text')].filter((text) => {
                   const box = text.getBoundingClientRect();
                   return box.left < frame.left - 1 || box.right > frame.right + 1
                     || box.top < frame.top - 1 || box.bottom > frame.bottom + 1;
                 }).map((text) => text.textContent);
               })"""
        )
        assert clipped == []
        scatter = page.locator("#chart-flow-time svg")
        expect(scatter.locator("circle")).to_have_count(4)
        expect(scatter.locator("text", has_text="p85 9.1 days")).to_have_count(1)
        expect(page.locator("#chart-aging svg circle")).to_have_count(1)
        expect(page.locator("#chart-aging svg circle title")).to_contain_text(
            "D-1 Remove the old importer"
        )
        page.locator("#done-table summary").click()
        expect(page.locator("#done-table td", has_text=XSS)).to_have_count(1)  # text, not markup
        page.screenshot(path=str(ARTIFACTS / "flow-page.png"), full_page=True)

        # Review was guessed active; mapping it to waiting lowers efficiency at once.
        review = page.locator("#mapping-list li", has_text="Review")
        expect(review.locator("select[data-flow-state]")).to_have_value("active")
        review.locator("select[data-flow-state]").select_option("waiting")
        expect(page.locator("#mapping-status")).to_have_text("Saved: Review now counts as waiting.")
        expect(figure(page, "efficiency")).to_have_text("44%")
        expect(
            page.locator("#mapping-list li", has_text="Review").locator("select[data-flow-state]")
        ).to_have_value("waiting")
        assert WorkState.objects.get(workshop=cast.workshop, name="Review").flow_state == "waiting"

        # Keyboard reordering: Move up on Review (the focus stays on the moved state).
        names = page.locator("#mapping-list .mapping-name")
        before = names.all_text_contents()
        position = before.index("Review")
        page.locator("#mapping-list li", has_text="Review").get_by_role(
            "button", name="Move Review up"
        ).focus()
        page.keyboard.press("Enter")
        expect(page.locator("#mapping-status")).to_have_text(
            f"Saved: Review is now state {position} of {len(before)}."
        )
        after = before[:]
        after.insert(position - 1, after.pop(position))
        expect(names).to_have_text(after)
        assert page.evaluate("document.activeElement.dataset.focus").endswith(
            str(WorkState.objects.get(workshop=cast.workshop, name="Review").pk)
        )
        assert (
            list(WorkState.objects.filter(workshop=cast.workshop).values_list("name", flat=True))
            == after
        )
        # Dragging Review onto the lower half of In Progress puts it back after it.
        progress = page.locator("#mapping-list li", has_text="In Progress")
        box = progress.bounding_box()
        assert box
        page.locator("#mapping-list li", has_text="Review").locator(".drag-handle").drag_to(
            progress, target_position={"x": box["width"] / 2, "y": box["height"] * 0.8}
        )
        expect(page.locator("#mapping-status")).to_have_text(
            f"Saved: Review is now state {position + 1} of {len(before)}."
        )
        expect(names).to_have_text(before)
        assert (
            list(WorkState.objects.filter(workshop=cast.workshop).values_list("name", flat=True))
            == before
        )
        page.locator("#state-mapping").screenshot(path=str(ARTIFACTS / "flow-page-mapping.png"))
        page.screenshot(path=str(ARTIFACTS / "flow-page-remapped.png"), full_page=True)

        # The CSV download of the same window.
        with page.expect_download() as download_info:
            page.click("text=Download the figures (CSV)")
        content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
        assert "figures,velocity,4,items" in content
        assert "figures,efficiency,44.0,%" in content
    assert dialogs == [] and page.locator("img[src=x]").count() == 0
    assert script_errors == []


def test_a_failed_import_lists_its_errors_with_their_lines(
    need_postgres: None, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    (server,) = asgi_servers.get(1)
    page = signed_in_page(server.http_url, cast.facilitator.username, PASSWORD)
    page.goto(f"/workshops/{cast.workshop.pk}/flow/")
    broken = b"item_id,state,entered_at\nA-1,Doing,2025-01-02T09:00:00Z\nA-2,Doing,someday\n"
    page.set_input_files(
        "#import-file", files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken}]
    )
    page.click("#import-form button[type=submit]")
    result = page.locator("#import-result")
    expect(result).to_contain_text("Nothing was imported from broken.csv")
    expect(result.locator("li").first).to_contain_text("Line 3:")
    expect(page.locator("#import-phase")).to_have_text("The import failed.")
    assert not WorkItem.objects.filter(workshop=cast.workshop).exists()
    page.screenshot(path=str(ARTIFACTS / "flow-page-import-errors.png"), full_page=True)


def test_a_viewer_reads_the_flow_without_the_upload_form_or_editor_controls(
    need_postgres: None, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    today = datetime.combine(datetime.now(UTC).date(), time(9), tzinfo=UTC)
    states = {
        name: WorkState.objects.create(
            workshop=cast.workshop, name=name, order=order, flow_state=flow_state
        )
        for order, (name, flow_state) in enumerate(
            [("Ready", "waiting"), ("Doing", "active"), ("Done", "done")]
        )
    }
    for number, (start, finish) in enumerate([(20, 14), (12, 9), (8, None)]):
        item = WorkItem.objects.create(
            workshop=cast.workshop, external_id=f"V-{number}", title=f"Item {number}"
        )
        Transition.objects.create(
            item=item, state=states["Ready"], entered_at=today - timedelta(days=start)
        )
        Transition.objects.create(
            item=item, state=states["Doing"], entered_at=today - timedelta(days=start - 1)
        )
        if finish is not None:
            Transition.objects.create(
                item=item, state=states["Done"], entered_at=today - timedelta(days=finish)
            )
    (server,) = asgi_servers.get(1)
    page = signed_in_page(server.http_url, cast.viewer.username, PASSWORD)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(f"/workshops/{cast.workshop.pk}/flow/")
    expect(figure(page, "velocity")).to_have_text("2 items")
    expect(page.locator("#live-state")).to_have_text("Live updates: on")
    expect(page.locator("#import-form")).to_have_count(0)
    expect(page.locator("#import-panel")).to_have_count(0)
    expect(page.locator("#mapping-list")).to_have_count(0)
    expect(page.locator("#state-mapping select, #state-mapping button")).to_have_count(0)
    expect(page.locator(".mapping-table tbody tr")).to_have_count(3)
    expect(page.locator("#state-mapping")).to_contain_text("A facilitator edits the mapping.")
    expect(page.locator("#flow-body svg.flow-svg")).to_have_count(8)
    page.screenshot(path=str(ARTIFACTS / "flow-page-viewer.png"), full_page=True)
    assert script_errors == []
