"""One name per waste category: the board shows the model's names (sent in its page), on the
sticky and in the form, the same names as the summary's chips and the exports."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from streams.models import WasteCategory
from tests.factories import PASSWORD, WasteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_board_names_each_waste_category_as_the_model_does(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    waste = WasteFactory(stream=cast.stream, text="Waiting on ops", category="transportation")
    (server,) = asgi_servers.get(1)
    page = signed_in_page(server.http_url, cast.participant.username, PASSWORD)
    page.goto(f"/streams/{cast.stream.pk}/board/")
    expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
    card = page.locator(f'.sticky-note[data-key="waste:{waste.pk}"]')
    expect(card.locator(".waste-category")).to_have_text("Transportation (hand-offs)")
    card.focus()
    page.keyboard.press("Enter")
    options = page.locator(".sticky-form select[name=category] option")
    expect(options).to_have_text([label for _, label in WasteCategory.choices])
    assert options.evaluate_all("(nodes) => nodes.map((node) => node.value)") == list(
        WasteCategory.values
    )
    expect(page.locator(".sticky-form select[name=category]")).to_have_value("transportation")
