"""Two people on one board in two browsers: a note made by one appears for the other, and a
move follows."""

from __future__ import annotations

import pytest
from django.db import connection
from playwright.sync_api import expect

from streams.models import Note
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_note_created_in_one_browser_appears_in_the_other_and_a_move_follows(
    need_postgres, need_redis, cast, signed_in_page, asgi_servers
):
    server = asgi_servers.get(1)[0]
    board = f"/streams/{cast.stream.pk}/board/"
    pages = []
    for user in (cast.facilitator, cast.participant):
        page = signed_in_page(server.http_url, user.username, PASSWORD)
        page.goto(board)
        expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
        pages.append(page)
    mine, theirs = pages
    facilitator_name = cast.facilitator.get_full_name() or cast.facilitator.username
    expect(theirs.locator(".avatars li:not(.me)")).to_have_attribute(
        "title", f"{facilitator_name}, facilitator"
    )

    mine.click("[data-action=add-note]")
    mine.fill(".sticky-form textarea[name=text]", "Why two approvals?")
    mine.press(".sticky-form textarea[name=text]", "Enter")
    their_note = theirs.locator(".sticky-note.kind-note", has_text="Why two approvals?")
    expect(their_note).to_be_visible()
    my_note = mine.locator(".sticky-note.kind-note", has_text="Why two approvals?")
    expect(my_note).to_be_visible()
    expect(mine.locator(".connection")).to_have_text("Connected")  # created and written
    version = Note.objects.get(text="Why two approvals?").version

    box = my_note.bounding_box()
    assert box is not None
    mine.mouse.move(box["x"] + 20, box["y"] + 10)
    mine.mouse.down()
    mine.mouse.move(box["x"] + 220, box["y"] + 160, steps=8)
    mine.mouse.up()
    expect(mine.locator(".connection")).to_have_text("Connected")  # nothing pending

    note = Note.objects.get(text="Why two approvals?")
    connection.close()  # opened beside Playwright's loop; would outlive the test database
    assert note.version == version + 1 and note.x > 150  # moved once, by the drag
    expect(my_note).to_have_attribute("data-x", js_number(note.x))
    expect(their_note).to_have_attribute("data-x", js_number(note.x))
    expect(their_note).to_have_attribute("data-y", js_number(note.y))


def js_number(value: float) -> str:
    """How JavaScript's String(number) writes `value`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
