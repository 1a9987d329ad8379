"""Two people on one board in two browsers: a note made by one appears for the other, and a
move follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streams.models import Note

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-secret-123"  # tests.factories.UserFactory's


def test_note_created_in_one_browser_appears_in_the_other_and_a_move_follows(
    need_postgres, need_redis, cast, signed_in_page, asgi_servers
):
    server = asgi_servers.get(1)[0]
    board = f"/streams/{cast.stream.pk}/board/"
    pages = []
    for user in (cast.facilitator, cast.participant):
        page = signed_in_page(server.http_url, user.username, PASSWORD)
        page.goto(board)
        expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
        pages.append(page)
    mine, theirs = pages
    expect(theirs.locator("#presence li")).to_have_text(
        [cast.facilitator.get_full_name() or cast.facilitator.username]
    )

    mine.fill("#note-text", "Why two approvals?")
    mine.click("#note-form button[type=submit]")
    their_note = theirs.locator(".board-note", has_text="Why two approvals?")
    expect(their_note).to_be_visible()
    my_note = mine.locator(".board-note", has_text="Why two approvals?")
    expect(my_note).to_be_visible()

    box = my_note.bounding_box()
    assert box is not None
    mine.mouse.move(box["x"] + 20, box["y"] + 10)
    mine.mouse.down()
    mine.mouse.move(box["x"] + 220, box["y"] + 160, steps=8)
    mine.mouse.up()
    expect(mine.locator("#connection-state")).to_have_text("Connected")  # nothing pending

    note = Note.objects.get(text="Why two approvals?")
    assert note.version == 2 and note.x > 150  # created, then moved once, by the drag
    expect(my_note).to_have_attribute("data-x", js_number(note.x))
    expect(their_note).to_have_attribute("data-x", js_number(note.x))
    expect(their_note).to_have_attribute("data-y", js_number(note.y))


def js_number(value: float) -> str:
    """How JavaScript's String(number) writes `value`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
