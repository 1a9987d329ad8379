"""The demo workshop (`manage.py load_demo`): what a newcomer finds when they sign in."""

from io import StringIO

import pytest
from django.core.management import call_command

from streams.models import ValueStream, Vote, Waste
from streams.services import board_create
from vsm_site.management.commands.load_demo import DEMO_TITLE

pytestmark = pytest.mark.django_db


def _load_demo() -> ValueStream:
    call_command("load_demo", stdout=StringIO())
    return ValueStream.objects.get(workshop__title=DEMO_TITLE)


@pytest.mark.parametrize("budget", [5, 3, 1])
def test_every_demo_voter_keeps_dots_for_a_first_dot(settings, budget):
    settings.VSM_DOT_BUDGET = budget
    stream = _load_demo()
    waste = Waste.objects.filter(stream=stream).first()
    for membership in stream.workshop.memberships.select_related("user"):
        if not membership.can_edit:
            continue
        spent = Vote.objects.filter(stream=stream, member=membership).count()
        assert spent < budget, f"{membership.user} has no dot left"
        # The newcomer's first "+ dot" goes through the same service as the board's.
        board_create(
            actor=membership.user, kind="vote", stream_id=stream.pk, data={"waste": waste.pk}
        )


def test_the_demo_still_has_revealed_votes_on_the_wastes_with_countermeasures():
    stream = _load_demo()
    assert stream.votes_revealed
    voted = set(Vote.objects.filter(stream=stream).values_list("waste_id", flat=True))
    countered = set(stream.countermeasures.values_list("waste_id", flat=True))
    assert countered and countered <= voted
