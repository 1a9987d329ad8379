"""Creating a workshop: it starts on step 2 (people) with the invitations at hand, and its
first stream may start from a starter map."""

from collections import Counter

import pytest
from django.utils.html import escape

from metrics.flow import flow_summary
from metrics.selectors import stream_facts
from streams.models import Activity, Link, Note, Op, ValueStream
from streams.starters import STARTER_NOTE, STARTERS
from workshops.models import Phase, Workshop

pytestmark = pytest.mark.django_db


def _create(client, user, **extra):
    client.force_login(user)
    return client.post(
        "/workshops/new/", {"title": "Checkout", "stream_name": "Order to delivery", **extra}
    )


def test_a_new_workshop_starts_on_step_2_and_lands_on_the_board_to_share(client, cast):
    response = _create(client, cast.outsider)
    workshop = Workshop.objects.get(title="Checkout")
    stream = ValueStream.objects.get(workshop=workshop)
    assert workshop.phase == Phase.PEOPLE
    assert response["Location"] == f"/streams/{stream.pk}/board/?share=1"
    board = client.get(response["Location"]).content.decode()
    # The invitation section of the workshop page is one click away from the board.
    assert f'href="/workshops/{workshop.pk}/#invite-h"' in board
    assert 'id="invite-h"' in client.get(f"/workshops/{workshop.pk}/").content.decode()


def test_only_a_facilitator_sees_the_invite_link_on_the_board(client, cast):
    client.force_login(cast.participant)
    board = client.get(f"/streams/{cast.stream.pk}/board/").content.decode()
    assert "#invite-h" not in board


def test_the_create_page_offers_each_starter_with_its_step_count(client, cast):
    client.force_login(cast.outsider)
    page = client.get("/workshops/new/").content.decode()
    for starter in STARTERS:
        assert f'id="starter-{starter.key}" name="starter" value="{starter.key}"' in page
        assert escape(starter.description) in page
    assert 'value="empty" checked' in page
    assert "10 steps" in page  # software delivery


@pytest.mark.parametrize("starter", [s for s in STARTERS if s.steps], ids=lambda s: s.key)
def test_a_starter_fills_the_first_stream_through_the_board_services(client, cast, starter):
    _create(client, cast.outsider, starter=starter.key)
    stream = ValueStream.objects.get(workshop__title="Checkout")
    activities = list(Activity.objects.filter(stream=stream).order_by("order"))
    assert [a.title for a in activities] == [step.title for step in starter.steps]
    assert all(a.team and a.process_time + a.wait_time > 0 and 0 < a.pca <= 100 for a in activities)
    assert Link.objects.filter(stream=stream).count() == len(starter.links)
    assert Note.objects.get(stream=stream).text == STARTER_NOTE
    # Every object is an op on the board's log, as if a facilitator had placed it.
    ops = Counter(Op.objects.filter(stream=stream).values_list("op", flat=True))
    assert ops == {
        "activity.create": len(starter.steps),
        "link.create": len(starter.links),
        "note.create": 1,
    }
    assert stream.seq == sum(ops.values())
    # A parallel branch: some activity forks into two, and they rejoin later on.
    sources = Counter(Link.objects.filter(stream=stream).values_list("source_id", flat=True))
    assert max(sources.values()) == 2
    summary = flow_summary(*stream_facts(stream))
    assert len(summary["critical_path"]) < len(activities) and summary["lead_time"] > 0


def test_the_empty_starter_leaves_the_board_empty(client, cast):
    _create(client, cast.outsider, starter="empty")
    stream = ValueStream.objects.get(workshop__title="Checkout")
    assert not Op.objects.filter(stream=stream).exists()


def test_an_unknown_starter_is_an_error_and_creates_nothing(client, cast):
    response = _create(client, cast.outsider, starter="../../etc")
    assert response.status_code == 200
    assert b"Choose one of the starter maps." in response.content
    assert not Workshop.objects.filter(title="Checkout").exists()
