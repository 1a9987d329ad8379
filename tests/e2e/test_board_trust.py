"""What a facilitator trips over (issue 12), in Chromium against real servers: offline is
said within seconds and an edit made offline waits on its card; a stale offline edit does
not overwrite a newer one but shows the conflict on the card; leaving with typed or unsent
work asks first; a bare number in a time field is refused with a hint; an expired timer says
time is up and then clears for everyone; activities snap to their lanes' rows.
Screenshots go to artifacts/e2e/ (git-ignored)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from streams.models import Activity
from tests.conftest import need
from tests.e2e.boards import off_the_loop
from tests.factories import PASSWORD, ActivityFactory
from tests.stack import servers
from workshops.services import workshop_timer

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
HOUR = 3600
PILL = ".connection-text"
# Every text the connection pill shows, in order, kept by the page itself (a state that
# lasts a few hundred milliseconds is seen too).
PILL_HISTORY = """() => {
  const pill = document.querySelector('.connection-text');
  window.pillTexts = [pill.textContent];
  new MutationObserver(() => window.pillTexts.push(pill.textContent))
    .observe(pill, {childList: true, characterData: true, subtree: true});
}"""


# Whether the page would ask before being left: a beforeunload it cancels.
WOULD_ASK = """() => {
  const event = new Event('beforeunload', {cancelable: true});
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""


def eventually(check: Callable[[], Any], timeout: float = 8.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture
def open_board(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> Callable[..., Any]:
    """open_board(role, server=None, before=None) -> a signed-in page on the cast's board,
    loaded and connected; `before(page)` runs before the board is opened (routes). Each
    dialog is recorded in `page.dialog_types` and dismissed (a beforeunload: stay)."""
    (default,) = asgi_servers.get(1)

    def open_page(role: str, server: Any = None, before: Callable[[Any], None] | None = None):
        page = signed_in_page((server or default).http_url, cast.user(role).username, PASSWORD)
        page.set_default_timeout(8000)
        page.dialog_types = []
        page.on("dialog", lambda dialog: (page.dialog_types.append(dialog.type), dialog.dismiss()))
        if before is not None:
            before(page)
        page.goto(f"/streams/{cast.stream.pk}/board/")
        page.wait_for_selector(".connection[data-state=connected]")
        page.wait_for_selector(".loading", state="hidden")
        return page

    return open_page


def _server(django_db_blocker: Any, env: dict[str, str]) -> Iterator[Any]:
    """A uvicorn process of its own, with `env` (real servers need PostgreSQL: missing, the
    test fails under CI and is skipped elsewhere)."""
    from django.conf import settings

    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "PostgreSQL")
    with django_db_blocker.unblock():
        url = servers.database_url_for_tests()
    server = servers.start_asgi_server(database_url=url, env=env)
    yield server
    server.stop()
    server.log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def quick_heartbeat_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """A server whose board sockets send a heartbeat every second (VSM_WS_HEARTBEAT_SECONDS)."""
    yield from _server(django_db_blocker, {"VSM_WS_HEARTBEAT_SECONDS": "1"})


def card(page: Any, activity: Any) -> Any:
    return page.locator(f'.sticky-note[data-key="activity:{activity.pk}"]')


def edit_field(page: Any, activity: Any, field: str, text: str) -> None:
    sticky = card(page, activity)
    sticky.locator(f"[data-field={field}]").first.dblclick()
    sticky.locator(f"input[name={field}]").fill(text)
    sticky.locator(f"input[name={field}]").press("Enter")


# 5. Offline is shown as offline --------------------------------------------------------------


def test_offline_is_said_within_seconds_and_an_edit_made_offline_waits_on_its_card_until_back(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Review", wait_time=2 * HOUR)
    page = open_board("participant")
    page.evaluate(PILL_HISTORY)

    page.context.set_offline(True)
    expect(page.locator(PILL)).to_have_text(
        "Offline — changes you make will be sent when you are back", timeout=3000
    )
    edit_field(page, activity, "wait_time", "3h")

    # The form does not hang on "Saving…": it closes, and the card shows what was typed.
    expect(card(page, activity).locator(".sticky-form")).to_have_count(0, timeout=3000)
    expect(card(page, activity).locator(".wait-time")).to_have_text("3h")
    expect(card(page, activity).locator(".pending-marker")).to_have_text(
        "Not sent yet: it will be sent when you are back."
    )
    expect(page.locator(PILL)).to_have_text("Offline — 1 change will be sent when you are back")
    assert Activity.objects.get(pk=activity.pk).wait_time == 2 * HOUR
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-offline-edit-waiting.png"))

    page.context.set_offline(False)
    expect(page.locator(PILL)).to_have_text("Connected")
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).wait_time == 3 * HOUR)
    expect(card(page, activity).locator(".pending-marker")).to_have_count(0)
    texts = page.evaluate("window.pillTexts")
    offline = texts.index("Offline — 1 change will be sent when you are back")
    assert any(text.startswith("Reconnecting…") for text in texts[offline:]), texts


def test_a_link_that_goes_silent_is_offline_after_a_missed_heartbeat_then_reconnects(
    open_board: Callable[..., Any], cast: Any, quick_heartbeat_server: Any
) -> None:
    """Nothing closes the socket (a network that went away): the board hears no heartbeat
    for a second and a half and says so; it tries again, and is back once frames flow."""
    live = {"on": True}

    def relay(ws: Any) -> None:
        # A connection made while the link is down stays dead, as a TCP one would.
        alive = live["on"]
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message) if alive and live["on"] else None)
        server.on_message(lambda message: ws.send(message) if alive and live["on"] else None)

    page = open_board(
        "participant",
        server=quick_heartbeat_server,
        before=lambda page: page.route_web_socket("**/ws/streams/**", relay),
    )
    page.evaluate(PILL_HISTORY)
    page.wait_for_timeout(2500)  # heartbeats come and go: still connected
    expect(page.locator(PILL)).to_have_text("Connected")

    live["on"] = False
    started = time.monotonic()
    # Offline lasts until the next attempt (a few hundred ms): the page's own record sees it.
    page.wait_for_function(
        "() => window.pillTexts.some((text) => text.startsWith('Offline —'))", timeout=4000
    )
    assert time.monotonic() - started < 4
    page.wait_for_timeout(2500)  # attempts meanwhile hear nothing either
    live["on"] = True
    expect(page.locator(PILL)).to_have_text("Connected", timeout=15000)
    texts = page.evaluate("window.pillTexts")
    first_offline = next(i for i, text in enumerate(texts) if text.startswith("Offline —"))
    assert "Reconnecting…" in texts[first_offline:], texts


# 6. A stale offline edit does not overwrite a newer one ---------------------------------------


def test_a_stale_offline_edit_shows_the_conflict_on_the_card_and_keep_mine_sends_it_again(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Deploy", wait_time=2 * HOUR)
    participant = open_board("participant")
    facilitator = open_board("facilitator")

    participant.context.set_offline(True)
    expect(participant.locator(PILL)).to_contain_text("Offline —", timeout=3000)
    edit_field(participant, activity, "wait_time", "1d")
    edit_field(facilitator, activity, "wait_time", "4h")  # later, but it arrives first
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).wait_time == 4 * HOUR)
    participant.context.set_offline(False)

    box = card(participant, activity).locator(".conflict-box")
    expect(box).to_be_visible()
    name = cast.facilitator.get_full_name()
    expect(box.locator(".conflict-detail")).to_have_text(
        f"Not saved: Wait time was changed by {name} after you started: keep yours or take theirs."
    )
    expect(box.locator(".conflict-mine")).to_have_text("Yours: 1d")
    expect(box.locator(".conflict-theirs")).to_have_text(f"{name}’s: 4h")
    expect(card(participant, activity).locator(".wait-time")).to_have_text("4h")
    assert Activity.objects.get(pk=activity.pk).wait_time == 4 * HOUR  # not overwritten
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    participant.screenshot(path=str(ARTIFACTS / "board-edit-conflict.png"))

    box.get_by_role("button", name="Keep mine").click()
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).wait_time == 8 * HOUR)
    expect(box).to_have_count(0)
    expect(card(facilitator, activity).locator(".wait-time")).to_have_text("1d")


def test_take_theirs_keeps_the_newer_value_and_still_saves_my_field_nobody_else_changed(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Deploy", team="Ops", wait_time=2 * HOUR)
    participant = open_board("participant")
    facilitator = open_board("facilitator")

    participant.context.set_offline(True)
    expect(participant.locator(PILL)).to_contain_text("Offline —", timeout=3000)
    sticky = card(participant, activity)
    sticky.locator("[data-field=team]").dblclick()
    sticky.locator("input[name=team]").fill("Platform")
    sticky.locator("input[name=wait_time]").fill("1d")
    sticky.locator("input[name=wait_time]").press("Enter")
    edit_field(facilitator, activity, "wait_time", "4h")
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).wait_time == 4 * HOUR)
    participant.context.set_offline(False)

    box = sticky.locator(".conflict-box")
    expect(box.locator(".conflict-field dt")).to_have_text(["Wait time"])  # the team is no conflict
    box.get_by_role("button", name="Take theirs").click()

    assert eventually(lambda: Activity.objects.get(pk=activity.pk).team == "Platform")
    stored = Activity.objects.get(pk=activity.pk)
    assert stored.wait_time == 4 * HOUR
    expect(box).to_have_count(0)
    expect(sticky.locator(".wait-time")).to_have_text("4h")
    expect(sticky.locator(".team")).to_have_text("Platform")


# 7. Leaving mid-edit asks first --------------------------------------------------------------


def test_leaving_with_typed_text_in_an_open_form_asks_first_and_not_otherwise(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Build")
    page = open_board("participant")
    sticky = card(page, activity)
    sticky.locator("[data-field=title]").dblclick()
    assert not page.evaluate(WOULD_ASK)  # a form opened, nothing typed

    sticky.locator("input[name=title]").press("End")
    page.keyboard.type(" and test")
    assert page.evaluate(WOULD_ASK)
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)  # as a reload or closing the tab would
    assert asked.value.type == "beforeunload"
    assert not page.is_closed()  # dismissed: the person stays with their text
    expect(sticky.locator("input[name=title]")).to_have_value("Build and test")

    page.keyboard.press("Escape")  # given up: nothing left to lose
    expect(sticky.locator(".sticky-form")).to_have_count(0)
    assert not page.evaluate(WOULD_ASK)


def test_leaving_with_changes_not_sent_yet_asks_first(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Build", wait_time=HOUR)
    page = open_board("participant")
    page.context.set_offline(True)
    expect(page.locator(PILL)).to_contain_text("Offline —", timeout=3000)
    edit_field(page, activity, "wait_time", "2h")
    expect(page.locator(PILL)).to_have_text("Offline — 1 change will be sent when you are back")

    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    page.context.set_offline(False)


# 16. A bare number in a time field is refused with a hint ------------------------------------


def test_a_bare_number_in_a_time_field_is_refused_with_a_hint_not_read_as_hours(
    open_board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Build", process_time=HOUR)
    page = open_board("participant")
    edit_field(page, activity, "process_time", "45")

    error = card(page, activity).locator(f"#edit-activity-{activity.pk}-process_time-error")
    expect(error).to_have_text("45 what? Try 45m or 45h.")
    expect(card(page, activity).locator("input[name=process_time]")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.wait_for_timeout(300)
    assert Activity.objects.get(pk=activity.pk).process_time == HOUR

    card(page, activity).locator("input[name=process_time]").fill("45m")
    card(page, activity).locator("input[name=process_time]").press("Enter")
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).process_time == 45 * 60)


# 17. An expired timer says time is up, then clears, for everyone ----------------------------


def test_an_expired_timer_says_times_up_for_a_few_seconds_then_clears_for_everyone(
    open_board: Callable[..., Any], cast: Any
) -> None:
    facilitator = open_board("facilitator")
    participant = open_board("participant")
    off_the_loop(
        workshop_timer, actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"seconds": 2}
    )
    for page in (facilitator, participant):
        expect(page.locator(".timer-display")).to_have_text("Time’s up", timeout=6000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    participant.screenshot(path=str(ARTIFACTS / "board-times-up.png"), clip=None)
    for page in (facilitator, participant):
        expect(page.locator(".timer-display")).to_have_text("–:––", timeout=8000)
        expect(page.locator(".timer-display")).to_have_attribute("aria-label", "No timer running")
    later = open_board("viewer")  # a board opened after it expired shows no timer at all
    expect(later.locator(".timer-display")).to_have_text("–:––")


# 22. Activities snap to their lanes' rows ----------------------------------------------------


def test_a_dragged_activity_lands_on_its_lanes_row_and_clear_of_the_lanes_others(
    open_board: Callable[..., Any], cast: Any
) -> None:
    plan = ActivityFactory(stream=cast.stream, title="Plan", x=40, y=80, lane=0, order=0)
    build = ActivityFactory(stream=cast.stream, title="Build", x=260, y=80, lane=0, order=1)
    test = ActivityFactory(stream=cast.stream, title="Test", x=480, y=80, lane=0, order=2)
    page = open_board("participant")
    page.locator("[data-action=zoom-reset]").click()

    def drag(activity: Any, dx: float, dy: float) -> None:
        sticky = card(page, activity)
        expect(sticky).to_be_visible()
        box = sticky.bounding_box()  # the card stays while its content is re-rendered
        page.mouse.move(box["x"] + 30, box["y"] + 12)
        page.mouse.down()
        page.mouse.move(box["x"] + 30 + dx, box["y"] + 12 + dy, steps=6)
        page.mouse.up()

    drag(test, 37, 143)  # to about y 223: nearer the row of lane 1 (280) than lane 0's
    assert eventually(lambda: Activity.objects.get(pk=test.pk).lane == 1)
    moved = Activity.objects.get(pk=test.pk)
    assert (moved.x, moved.y) == (517, 280)
    expect(card(page, test)).to_have_attribute("data-y", "280")

    drag(test, -290, -190)  # onto Build in lane 0: it goes beside Build, not over it
    assert eventually(lambda: Activity.objects.get(pk=test.pk).lane == 0)
    moved = Activity.objects.get(pk=test.pk)
    assert moved.y == 80 and moved.x == 480, (moved.x, moved.y)
    others = Activity.objects.filter(pk__in=[plan.pk, build.pk])
    assert all(abs(other.x - moved.x) >= 220 for other in others)

    card(page, build).focus()
    page.keyboard.press("ArrowDown")  # the keyboard moves a whole lane
    assert eventually(lambda: Activity.objects.get(pk=build.pk).lane == 1)
    assert Activity.objects.get(pk=build.pk).y == 280
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-lanes.png"))


# One person's sockets per board (issue 13 item 7): the closed tab says why -----------------


@pytest.fixture(scope="module")
def two_tabs_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """A server that lets one person have two sockets on a board (VSM_WS_SOCKETS_PER_PERSON)."""
    yield from _server(django_db_blocker, {"VSM_WS_SOCKETS_PER_PERSON": "2"})


def test_a_tab_closed_for_too_many_tabs_says_so_and_does_not_reconnect(
    open_board: Callable[..., Any], two_tabs_server: Any
) -> None:
    oldest = open_board("participant", server=two_tabs_server)
    open_board("participant", server=two_tabs_server)
    assert oldest.locator(".connection").get_attribute("data-state") == "connected"
    open_board("participant", server=two_tabs_server)  # the third: the oldest is closed
    oldest.wait_for_selector(".connection[data-state=closed]")
    text = oldest.locator(".connection-text").text_content()
    assert "open in too many of your tabs" in text, text
    oldest.wait_for_timeout(2500)  # no reconnect, which would close the next oldest
    assert oldest.locator(".connection").get_attribute("data-state") == "closed"
    oldest.screenshot(path=str(ARTIFACTS / "board-too-many-tabs.png"))
