"""The board page of a value stream."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from streams import selectors
from streams.models import WasteCategory
from vsm_site.validation import FIELD_LABELS
from workshops.models import PHASE_PROMPTS, Phase

PHASE_SHORT_NAMES = {
    Phase.CHOOSE: "Choose",
    Phase.PEOPLE: "People",
    Phase.TIMELINE: "Timeline",
    Phase.CONVERSATION: "Conversation",
    Phase.WASTES: "Wastes",
    Phase.PRIORITIZE: "Prioritize",
    Phase.COUNTERMEASURES: "Countermeasures",
    Phase.BABY_STEPS: "Baby steps",
    Phase.REPEAT: "Repeat",
}

#: What each step asks of a future state's board. A future state is a new mapping of how the
#: work should flow, not the current state's session: it has its own votes (none are copied)
#: and compares its figures with the map it is based on.
FUTURE_STATE_PROMPTS = {
    Phase.CHOOSE: "This is a future state of the stream you chose: how should the work flow once "
    "the worst wastes are gone?",
    Phase.PEOPLE: "Bring the people who will run the future flow. The current state stays as it "
    "was mapped, for comparison.",
    Phase.TIMELINE: "Lay out the timeline as it should be: drop or merge steps, shorten the waits, "
    "raise %C&A. The figures below compare it with the current state.",
    Phase.CONVERSATION: "Walk the future map: what has to be true for each change to work? Add "
    "questions as notes.",
    Phase.WASTES: "The wastes came over from the current state: delete those this future state "
    "removes, keep or add those that remain.",
    Phase.PRIORITIZE: "Dots here are this map's own (the current state's stay on its board): "
    "vote on what would still hurt most in the future state.",
    Phase.COUNTERMEASURES: "For each waste that remains: the current condition, the future "
    "condition, and how we will measure it.",
    Phase.BABY_STEPS: "Size the steps from the current state to this one: start with the small, "
    "bounded, easy ones.",
    Phase.REPEAT: "Compare this future state with the current state (below), then map the stream "
    "again later to see how far you got.",
}


def board_config(workshop_id: int) -> dict[str, Any]:
    """What the board's script needs besides the live state: the nine steps, the names of the
    waste categories (the model's, the one source of every label of them) and of fields,
    limits, links."""
    return {
        "phases": [
            {
                "value": phase.value,
                "label": phase.label,
                "short": PHASE_SHORT_NAMES[phase],
                "prompt": PHASE_PROMPTS[phase],
                "future_prompt": FUTURE_STATE_PROMPTS[phase],
            }
            for phase in Phase
        ],
        "waste_categories": dict(WasteCategory.choices),
        # Fields named in words in refusals the board shows (the one list of them).
        "field_labels": FIELD_LABELS,
        "dot_budget": settings.VSM_DOT_BUDGET,
        "hours_per_day": settings.VSM_HOURS_PER_DAY,
        "workshop_url": reverse("workshop-detail", args=[workshop_id]),
    }


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    stream, membership = selectors.stream_get(user=request.user, stream_id=pk)
    snapshot = selectors.board_snapshot(user=request.user, stream_id=pk)
    return render(
        request,
        "streams/board.html",
        {
            "stream": stream,
            "membership": membership,
            "snapshot": snapshot,
            "board": board_config(stream.workshop_id),
        },
    )
