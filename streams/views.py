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
