"""The board page hands the browser the server's vocabularies (issue 16 item 8): the models'
choices in words, which labels.js reads instead of retyping them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from streams.models import Breadth, CountermeasureStatus, NoteKind, WasteCategory

pytestmark = pytest.mark.django_db


def _script(body: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    assert found, element_id
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("element_id", "choices"),
    [
        ("board-waste-categories", WasteCategory),
        ("board-note-kinds", NoteKind),
        ("board-countermeasure-statuses", CountermeasureStatus),
        ("board-breadths", Breadth),
    ],
)
def test_the_board_page_carries_each_vocabulary_of_the_models(client, cast, element_id, choices):
    client.force_login(cast.viewer)
    body = client.get(f"/streams/{cast.stream.pk}/board/").content.decode()
    assert _script(body, element_id) == dict(choices.choices)


def test_breadths_come_bounded_first(client, cast):
    client.force_login(cast.viewer)
    body = client.get(f"/streams/{cast.stream.pk}/board/").content.decode()
    assert list(_script(body, "board-breadths")) == ["bounded", "broad"]
