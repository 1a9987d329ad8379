"""The map against measured flow on the live board, in Chromium: a facilitator drags a tracker
state onto an activity and a participant's board shows the activity's measured row without a
reload, undo takes it off for both; the keyboard assigns through a select; a viewer reads the
panel; the Flow page's state mapping assigns a state on a chosen map and that map's board
shows it. Screenshots go to artifacts/e2e/board-measured*.png and
flow-page-state-activities.png."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from playwright.sync_api import expect

from streams.models import Activity, ValueStream
from tests.factories import PASSWORD, ActivityFactory, LinkFactory, StreamFactory
from workitems.models import StateActivity, WorkState
from workitems.services import work_item_import_create, work_state_update

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
HOUR = 3600


def history_csv() -> bytes:
    """Three items, each a calendar day in Ready for Build (waiting) and a calendar week in
    Building (active), then Done; all done in the last 90 days. In the map's working time (a
    calendar week is one map week, 40 h): Building 1w, Ready for Build 40/7 h = 5h 43m."""
    base = datetime.combine(datetime.now(UTC).date() - timedelta(days=30), time(9), tzinfo=UTC)
    lines = ["item_id,state,entered_at,title,type"]
    for number, start in enumerate((0, 2, 4), start=1):
        for state, offset in (("Backlog", 0), ("Ready for Build", 1), ("Building", 2), ("Done", 9)):
            entered = (base + timedelta(days=start + offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(f"F-{number},{state},{entered},Feature {number},Story")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Measured:
    cast: Any
    plan: Activity
    build: Activity
    ship: Activity
    building: WorkState
    ready: WorkState


@pytest.fixture
def measured(cast: Any) -> Measured:
    """The cast's map Plan -> Build -> Ship (Build estimated PT 1d, WT 4h, 60% C&A) and an
    imported history whose tracker states are on no activity yet."""
    upload = SimpleUploadedFile("history.csv", history_csv(), content_type="text/csv")
    work_item_import_create(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, upload=upload, format="long_csv"
    )
    plan = ActivityFactory(stream=cast.stream, title="Plan", order=0, x=40, y=60)
    build = ActivityFactory(
        stream=cast.stream,
        title="Build",
        order=1,
        x=300,
        y=60,
        process_time=8 * HOUR,
        wait_time=4 * HOUR,
        pca=60,
    )
    ship = ActivityFactory(stream=cast.stream, title="Ship", order=2, x=560, y=60)
    LinkFactory(stream=cast.stream, source=plan, target=build)
    LinkFactory(stream=cast.stream, source=build, target=ship)
    states = {state.name: state for state in WorkState.objects.filter(workshop=cast.workshop)}
    assert (states["Building"].flow_state, states["Ready for Build"].flow_state) == (
        "active",
        "waiting",
    )
    return Measured(cast, plan, build, ship, states["Building"], states["Ready for Build"])


def open_board(signed_in_page: Any, server: Any, user: Any, stream_id: int) -> Any:
    page = signed_in_page(server.http_url, user.username, PASSWORD)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/streams/{stream_id}/board/")
    expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
    expect(page.locator(".state-chip")).to_have_count(4)  # the snapshot's work_states
    return page


def open_states(page: Any) -> None:
    page.evaluate("document.querySelector('.panel-voting').open = false")
    page.click(".panel-states summary")


def card(page: Any, activity: Activity) -> Any:
    return page.locator(f".sticky-note.kind-activity[data-id='{activity.pk}']")


def chip_row(page: Any, state: WorkState) -> Any:
    return page.locator(f".state-row[data-state-id='{state.pk}']")


def test_a_state_dragged_onto_a_card_shows_measured_figures_to_everyone_and_undo_takes_them_off(
    need_postgres, need_redis, measured, signed_in_page, asgi_servers
):
    server = asgi_servers.get(1)[0]
    cast = measured.cast
    facilitator = open_board(signed_in_page, server, cast.facilitator, cast.stream.pk)
    participant = open_board(signed_in_page, server, cast.participant, cast.stream.pk)
    open_states(facilitator)
    open_states(participant)
    expect(card(participant, measured.build).locator(".measured")).to_have_count(0)

    facilitator.locator("button.state-chip", has_text="Building").drag_to(
        card(facilitator, measured.build)
    )

    # The participant's board, without a reload: Building's week of active time is Build's
    # measured process time, far longer than its 1d estimate; nothing measures its wait time
    # (no waiting state is on Build); every item left Build forward for good: 100% C&A.
    row = card(participant, measured.build).locator(".measured")
    expect(row.locator("[data-measured=process_time]")).to_have_text("▲1w")
    expect(row.locator("[data-measured=process_time]")).to_have_class("measured-cell worse")
    expect(row.locator("[data-measured=wait_time]")).to_have_text("–")
    expect(row.locator("[data-measured=pca]")).to_have_text("▲100%")
    expect(row.locator("[data-measured=pca]")).to_have_class("measured-cell better")
    expect(row).to_have_attribute(
        "title",
        "Measured: median of 3 items done in the last 90 days that went through Building. "
        "p85: process time 1w. Flagged (▲ ▼) where it differs from the estimate by more than 25%.",
    )
    expect(card(participant, measured.build)).to_have_attribute(
        "aria-label",
        "Activity 2: Build, process time 1 day, wait time 4 hours, 60% complete and accurate; "
        "measured over 3 items: process time 1 week, longer than the estimate, wait time not "
        "measured, %C&A 100%, higher than the estimate",
    )
    expect(chip_row(participant, measured.building)).to_contain_text("→ Build")
    expect(card(participant, measured.plan).locator(".measured")).to_have_count(0)
    expect(card(facilitator, measured.build).locator(".measured")).to_be_visible()
    expect(facilitator.locator(".connection")).to_have_text("Connected")
    assert list(StateActivity.objects.values_list("state_id", "activity_id")) == [
        (measured.building.pk, measured.build.pk)
    ]
    connection.close()  # opened beside Playwright's loop; would outlive the test database
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    participant.screenshot(path=str(ARTIFACTS / "board-measured.png"))
    card(participant, measured.build).screenshot(path=str(ARTIFACTS / "board-measured-card.png"))

    facilitator.click("[data-action=undo]")

    for page in (facilitator, participant):
        expect(card(page, measured.build).locator(".measured")).to_have_count(0)
        expect(chip_row(page, measured.building)).to_contain_text("not on this map")
    expect(facilitator.locator(".toast").last).to_have_text("Undid assignment of Building to Build")
    assert not StateActivity.objects.exists()
    connection.close()


def test_a_facilitator_assigns_and_takes_off_a_state_from_the_keyboard(
    need_postgres, need_redis, measured, signed_in_page, asgi_servers
):
    server = asgi_servers.get(1)[0]
    cast = measured.cast
    facilitator = open_board(signed_in_page, server, cast.facilitator, cast.stream.pk)
    participant = open_board(signed_in_page, server, cast.participant, cast.stream.pk)
    open_states(facilitator)

    chip = facilitator.locator("button.state-chip", has_text="Ready for Build")
    chip.focus()
    facilitator.keyboard.press("Enter")
    select = facilitator.get_by_label("Activity of Ready for Build")
    expect(select).to_be_focused()
    expect(select).to_have_value("")
    select.select_option(label="2. Build")
    facilitator.keyboard.press("Enter")

    # Ready for Build's day of waiting: 40/7 working hours, longer than Build's 4h estimate.
    wait = card(participant, measured.build).locator("[data-measured=wait_time]")
    expect(wait).to_have_text("▲5h 43m")
    expect(card(participant, measured.build).locator("[data-measured=process_time]")).to_have_text(
        "–"
    )
    expect(chip).to_be_focused()  # back where the keyboard was
    expect(chip_row(facilitator, measured.ready)).to_contain_text("→ Build")

    facilitator.keyboard.press("Delete")  # takes it off, as × does

    expect(card(participant, measured.build).locator(".measured")).to_have_count(0)
    expect(chip_row(facilitator, measured.ready)).to_contain_text("not on this map")
    assert not StateActivity.objects.exists()
    connection.close()


def test_a_viewer_reads_the_tracker_states_without_any_control(
    need_postgres, need_redis, measured, signed_in_page, asgi_servers
):
    work_state_update(
        actor=measured.cast.facilitator,
        state_id=measured.building.pk,
        data={"activity": measured.build.pk},
    )
    connection.close()
    server = asgi_servers.get(1)[0]
    viewer = open_board(signed_in_page, server, measured.cast.viewer, measured.cast.stream.pk)
    open_states(viewer)

    expect(chip_row(viewer, measured.building)).to_contain_text("→ Build")
    expect(viewer.locator(".panel-states")).to_contain_text("A facilitator assigns them.")
    expect(viewer.locator(".panel-states")).to_contain_text(
        "3 work items done in the last 90 days: 88% of their waiting and active time is in "
        "states on this map (not on it: Ready for Build 13%)."
    )
    expect(viewer.locator(".panel-states button")).to_have_count(0)
    expect(viewer.locator(".panel-states [draggable=true]")).to_have_count(0)
    expect(viewer.locator(".panel-states select")).to_have_count(0)
    # The "no activity time" states are there, muted.
    expect(viewer.locator(".state-group.muted-group .state-chip")).to_have_text(["Backlog", "Done"])
    expect(card(viewer, measured.build).locator("[data-measured=process_time]")).to_have_text("▲1w")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(path=str(ARTIFACTS / "board-measured-viewer.png"))

    # The Flow page's table says the same, read-only.
    viewer.goto(f"/workshops/{measured.cast.workshop.pk}/flow/")
    stream_name = measured.cast.stream.name
    expect(viewer.locator(".mapping-table th").last).to_have_text(f"Activity on {stream_name}")
    expect(
        viewer.locator(f".mapping-table tr[data-state-id='{measured.building.pk}'] td").last
    ).to_have_text("2. Build")
    expect(
        viewer.locator(f".mapping-table tr[data-state-id='{measured.ready.pk}'] td").last
    ).to_have_text("— not on the map —")
    expect(viewer.locator("#state-mapping select")).to_have_count(0)


def test_the_flow_page_assigns_a_state_on_a_chosen_map_and_that_board_shows_it(
    need_postgres, need_redis, measured, signed_in_page, asgi_servers
):
    cast = measured.cast
    future = StreamFactory(workshop=cast.workshop, name="Next quarter", state="future")
    deliver = ActivityFactory(
        stream=future, title="Deliver", order=0, x=40, y=60, process_time=5 * 8 * HOUR
    )
    connection.close()
    server = asgi_servers.get(1)[0]
    board = open_board(signed_in_page, server, cast.participant, future.pk)
    open_states(board)
    flow = signed_in_page(server.http_url, cast.facilitator.username, PASSWORD)
    flow.set_viewport_size({"width": 1280, "height": 900})
    response = flow.goto(f"/workshops/{cast.workshop.pk}/flow/")
    assert response is not None and response.ok, response and response.text()[:3000]
    expect(flow.locator("#live-state")).to_have_text("Live updates: on")
    expect(flow.locator("#mapping-fieldset")).to_be_enabled()

    flow.select_option("#state-map", label="Next quarter (future state)")
    flow.click("#map-picker button[type=submit]")
    expect(flow.get_by_label("Activity of Building on Next quarter")).to_be_visible()
    assert "map=" in flow.url
    flow.get_by_label("Activity of Building on Next quarter").select_option(label="1. Deliver")

    expect(flow.locator("#mapping-status")).to_have_text(
        "Saved: Building now counts on Deliver (Next quarter)."
    )
    expect(flow.get_by_label("Activity of Building on Next quarter")).to_have_value(str(deliver.pk))
    # The future state's board shows it live: a week measured against a week estimated.
    expect(chip_row(board, measured.building)).to_contain_text("→ Deliver")
    expect(card(board, deliver).locator("[data-measured=process_time]")).to_have_text("1w")
    expect(card(board, deliver).locator("[data-measured=process_time]")).to_have_class(
        "measured-cell"
    )
    assert list(StateActivity.objects.values_list("state_id", "activity_id", "stream_id")) == [
        (measured.building.pk, deliver.pk, future.pk)
    ]
    connection.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    flow.locator("#state-mapping").screenshot(
        path=str(ARTIFACTS / "flow-page-state-activities.png")
    )

    flow.get_by_label("Activity of Building on Next quarter").select_option(
        label="— not on the map —"
    )
    expect(flow.locator("#mapping-status")).to_have_text(
        "Saved: Building is no longer on Next quarter."
    )
    expect(card(board, deliver).locator(".measured")).to_have_count(0)
    assert not StateActivity.objects.exists()
    assert ValueStream.objects.filter(workshop=cast.workshop).count() == 2
    connection.close()
