"""Refusals a person reads are sentences that name the field in words ("Title must be at most
200 characters."), never "title: ...": the board's socket and the workshop pages, from one
list of field names (vsm_site.validation.FIELD_LABELS)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests.factories import ActivityFactory
from tests.stack.clients import connected
from vsm_site.validation import FIELD_LABELS, errors_in_words, message_in_words


def test_a_message_names_its_field_in_words():
    assert message_in_words("title", "Must be at most 200 characters.") == (
        "Title must be at most 200 characters."
    )
    assert message_in_words("wait_time", "Must be a number.") == "Wait time must be a number."
    assert message_in_words("team", "This field is required.") == "Team is required."
    assert message_in_words("waste", "You have used all 5 of your dots.") == (
        "You have used all 5 of your dots."
    )
    assert message_in_words("non_field_errors", "Expected an object.") == "Expected an object."


def test_every_board_field_has_a_name_in_words():
    from streams.kinds import KINDS

    for kind in KINDS.values():
        for name in kind.spec:
            assert name in FIELD_LABELS, (kind.name, name)


def test_several_fields_make_several_sentences():
    text = errors_in_words({"title": ["Must not be blank."], "pca": ["Must be a number."]})
    assert text == "Title must not be blank. %C&A must be a number."


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("socket_tests")
async def test_the_board_socket_says_a_too_long_title_in_words(cast):
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(await client.op("activity.create", {"title": "x" * 201}))
    assert answer["reason"] == "invalid"
    assert answer["detail"] == "Title must be at most 200 characters."
    assert answer["errors"] == {
        "title": ["Must be at most 200 characters."]
    }  # per field, as before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("socket_tests")
async def test_the_board_socket_says_a_reversed_estimate_without_a_raw_field_name(cast):
    from channels.db import database_sync_to_async

    activity = await database_sync_to_async(ActivityFactory)(stream=cast.stream)
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(
        await client.op(
            "activity.update", {"id": activity.pk, "lead_time_min": 10, "lead_time_max": 5}
        )
    )
    assert answer["detail"] == "Longest lead time must not be below the shortest lead time."
    assert "_" not in answer["detail"]


@pytest.mark.django_db
def test_the_workshop_page_says_a_blank_stream_name_in_words(client, cast):
    client.force_login(cast.facilitator)
    response = client.post(f"/workshops/{cast.workshop.pk}/streams/", {"name": " "})
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Name must not be blank."]


@pytest.mark.django_db
def test_the_workshop_page_says_a_too_long_team_in_words(client, cast):
    client.force_login(cast.facilitator)
    member = cast.membership("participant")
    response = client.post(
        f"/workshops/{cast.workshop.pk}/members/{member.pk}/", {"team": "t" * 101}
    )
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Team must be at most 100 characters."]
