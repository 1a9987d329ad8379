"""The board in a real browser (Debian's Chromium) against real servers, PostgreSQL and
Redis: editing in place with human units (the field clicked, the server's text limits, a
refused save), undo, links seen by others, viewers, user text as text, the phase stepper,
hidden then revealed votes, the PNG export. Screenshots go to artifacts/e2e/ (git-ignored)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streams.models import Activity, Link, Note, Vote
from tests.factories import PASSWORD, ActivityFactory, NoteFactory, WasteFactory

pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture
def board(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> Callable[..., Any]:
    """board(role) -> a signed-in page on the cast's board, loaded and connected."""
    (server,) = asgi_servers.get(1)

    def open_board(role: str) -> Any:
        page = signed_in_page(server.http_url, cast.user(role).username, PASSWORD)
        page.set_default_timeout(6000)
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"/streams/{cast.stream.pk}/board/")
        page.wait_for_selector(".connection[data-state=connected]")
        page.wait_for_selector(".loading", state="hidden")
        return page

    return open_board


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Polls `check` until it returns something truthy (the servers commit asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def sticky(page: Any, kind: str, obj: Any) -> Any:
    return page.locator(f'.sticky-note[data-key="{kind}:{obj.pk}"]')


def test_activity_process_time_edited_in_place_as_2h_is_stored_as_7200_seconds_and_undone(
    board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Code review", process_time=1800)
    page = board("participant")
    card = sticky(page, "activity", activity)
    card.locator("[data-field=process_time]").dblclick()
    field = card.locator("input[name=process_time]")
    field.fill("2h")
    field.press("Enter")

    assert eventually(lambda: Activity.objects.get(pk=activity.pk).process_time == 7200)
    assert card.locator(".process-time").inner_text() == "2h"

    page.click("[data-action=undo]")
    assert eventually(lambda: Activity.objects.get(pk=activity.pk).process_time == 1800)
    page.wait_for_function(
        f"document.querySelector('[data-key=\"activity:{activity.pk}\"] .process-time')"
        ".textContent === '30m'"
    )


def test_double_clicking_the_wait_time_of_an_activity_edits_the_wait_time_not_the_title(
    board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Code review", wait_time=3 * 8 * 3600)
    page = board("participant")
    card = sticky(page, "activity", activity)
    assert card.locator(".wait-time").inner_text() == "3d"

    card.locator(".wait-time").dblclick()
    page.keyboard.type("1d")
    page.keyboard.press("Enter")

    assert eventually(lambda: Activity.objects.get(pk=activity.pk).wait_time == 8 * 3600)
    assert Activity.objects.get(pk=activity.pk).title == "Code review"
    assert card.locator(".wait-time").inner_text() == "1d"


def test_double_clicking_any_field_of_an_activity_opens_the_form_with_that_field_focused(
    board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Deploy", team="Ops", process_time=3600)
    page = board("participant")
    card = sticky(page, "activity", activity)
    shown = {
        ".process-time": "process_time",
        "[data-field=process_time] dt": "process_time",
        ".wait-time": "wait_time",
        ".pca": "pca",
        ".title": "title",
        ".team": "team",
    }
    for clicked, field in shown.items():
        card.locator(clicked).dblclick()
        card.locator(".sticky-form").wait_for()
        assert page.evaluate("document.activeElement.name") == field, clicked
        page.keyboard.press("Escape")
        card.locator(".sticky-form").wait_for(state="detached")


def test_text_inputs_allow_the_servers_limits_and_longer_text_is_cut_there_and_saved(
    board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Plan")
    waste = WasteFactory(stream=cast.stream, text="Rework", x=40, y=300)
    note = NoteFactory(stream=cast.stream, text="Short", x=400, y=300)
    page = board("participant")

    sticky(page, "activity", activity).locator(".title").dblclick()
    assert page.get_attribute("input[name=title]", "maxlength") == "200"
    assert page.get_attribute("input[name=team]", "maxlength") == "100"
    page.keyboard.press("Escape")
    sticky(page, "waste", waste).locator(".text").dblclick()
    assert page.get_attribute("textarea[name=text]", "maxlength") == "500"
    page.keyboard.press("Escape")

    sticky(page, "note", note).locator(".text").dblclick()
    text = page.locator("textarea[name=text]")
    assert text.get_attribute("maxlength") == "1000"
    text.fill("a" * 1200)
    assert len(text.input_value()) == 1000
    assert "the most this field takes: 1000 characters" in page.inner_text(".field-hint")
    text.press("Enter")

    assert eventually(lambda: Note.objects.get(pk=note.pk).text == "a" * 1000)
    sticky(page, "note", note).locator(".sticky-form").wait_for(state="detached")


def test_a_refused_save_keeps_the_form_open_with_the_text_and_the_reason_beside_the_field(
    board: Callable[..., Any], cast: Any
) -> None:
    ActivityFactory(stream=cast.stream, title="Release", x=40, y=40)
    note = NoteFactory(stream=cast.stream, text="Short", x=300, y=40)
    page = board("participant")
    card = sticky(page, "note", note)
    card.locator(".text").dblclick()
    text = card.locator("textarea[name=text]")
    # As from a page whose limit was longer than the server's: the server has the last word.
    text.evaluate("(field) => field.removeAttribute('maxlength')")
    long_text = "Why does the release wait for the CAB? " * 40  # 1,560 characters
    text.fill(long_text)
    text.press("Enter")

    error = card.locator(f"#edit-note-{note.pk}-text-error")
    error.wait_for()
    page.wait_for_function(f"document.querySelector('#edit-note-{note.pk}-text-error').textContent")
    assert "at most 1000 characters" in error.inner_text()
    assert text.input_value() == long_text
    assert text.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "text"
    assert Note.objects.get(pk=note.pk).text == "Short"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-refused-save.png"))

    text.fill("Why does the release wait for the CAB?")
    text.press("Enter")
    assert eventually(
        lambda: Note.objects.get(pk=note.pk).text == "Why does the release wait for the CAB?"
    )
    card.locator(".sticky-form").wait_for(state="detached")


def test_a_link_drawn_between_two_activities_appears_for_the_other_page(
    board: Callable[..., Any], cast: Any
) -> None:
    first = ActivityFactory(stream=cast.stream, title="Build", x=40, y=40)
    second = ActivityFactory(stream=cast.stream, title="Deploy", x=300, y=40)
    drawer, watcher = board("participant"), board("facilitator")

    sticky(drawer, "activity", first).locator(".link-handle").click()
    sticky(drawer, "activity", second).click()

    watcher.wait_for_selector('g.link[aria-label^="Link from Build to Deploy"]', state="attached")
    assert Link.objects.filter(source=first, target=second).count() == 1


def test_a_viewer_has_no_editing_controls_and_a_forced_op_is_rejected(
    board: Callable[..., Any], cast: Any
) -> None:
    activity = ActivityFactory(stream=cast.stream, title="Triage")
    WasteFactory(stream=cast.stream, text="Waiting for triage", x=40, y=300)
    page = board("viewer")
    card = sticky(page, "activity", activity)
    card.wait_for()

    for control in (
        "[data-action^=add-]",
        "[data-action=undo]",
        ".link-handle",
        "[data-action=vote]",
    ):
        assert page.locator(control).count() == 0, control
    card.locator("[data-field=title]").dblclick()
    assert page.locator(".sticky-form").count() == 0
    box = card.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 170, steps=5)
    page.mouse.up()

    reason = page.evaluate(
        "window.boardApp.connection.op('note.create', {text: 'sneaky'})"
        ".then(() => 'applied', (frame) => frame.reason)"
    )
    assert reason == "forbidden"
    assert not Note.objects.filter(stream=cast.stream).exists()
    moved = Activity.objects.get(pk=activity.pk)
    assert (moved.x, moved.y) == (activity.x, activity.y)


def test_note_text_with_markup_shows_literally_and_runs_no_script(
    board: Callable[..., Any], cast: Any
) -> None:
    writer, reader = board("participant"), board("facilitator")
    writer.click("[data-action=add-note]")
    text = writer.locator(".sticky-form textarea[name=text]")
    text.fill(XSS)
    text.press("Enter")

    note = eventually(lambda: Note.objects.filter(stream=cast.stream, text=XSS).first())
    assert note is not None
    for page in (writer, reader):
        shown = sticky(page, "note", note)
        shown.wait_for()
        assert shown.locator(".text").inner_text() == XSS
        assert XSS in (shown.get_attribute("aria-label") or "")
        assert page.locator(".board-app img").count() == 0
    time.sleep(0.3)  # an onerror would have fired by now
    assert writer.dialogs == [] and reader.dialogs == []  # type: ignore[attr-defined]


def test_the_facilitator_moves_the_phase_for_everyone(board: Callable[..., Any], cast: Any) -> None:
    facilitator, participant = board("facilitator"), board("participant")
    assert participant.locator(".phase-step[data-phase=wastes]").is_disabled()

    facilitator.click(".phase-step[data-phase=wastes]")

    participant.wait_for_selector(".phase-step[data-phase=wastes][aria-current=step]")
    assert "Name the wastes" in participant.locator(".phase-prompt").inner_text()


def test_votes_stay_hidden_until_the_facilitator_reveals_them(
    board: Callable[..., Any], cast: Any
) -> None:
    waste = WasteFactory(stream=cast.stream, text="Waiting for the CAB")
    participant, facilitator = board("participant"), board("facilitator")

    sticky(participant, "waste", waste).locator("[data-action=vote]").click()
    assert eventually(lambda: Vote.objects.filter(waste=waste).count() == 1)
    participant.wait_for_selector(f'[data-key="waste:{waste.pk}"] .dot.mine')

    facilitator.locator(".panel-voting summary").click()
    facilitator.wait_for_selector(".vote-results :text('1 dot cast so far')")
    assert sticky(facilitator, "waste", waste).locator(".vote-total").count() == 0
    assert facilitator.evaluate("window.boardApp.store.list('vote').length") == 0

    facilitator.click("[data-action=reveal]")

    total = sticky(participant, "waste", waste).locator(".vote-total")
    total.wait_for()
    assert total.inner_text() == "1 dot"
    facilitator.wait_for_selector(".award :text('Waiting for the CAB')")


def test_the_png_export_downloads_a_png(board: Callable[..., Any], cast: Any) -> None:
    ActivityFactory(stream=cast.stream, title="Build", process_time=3600)
    page = board("facilitator")
    page.locator(".panel-export summary").click()
    with page.expect_download() as download:
        page.click("[data-export=png]")
    path = download.value.path()
    with open(path, "rb") as picture:
        assert picture.read(8) == b"\x89PNG\r\n\x1a\n"
    assert download.value.suggested_filename.endswith(".png")
