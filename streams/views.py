"""The board page of a value stream, and the pages that make maps: a new workshop with its
first map (empty or from a starter), another map of a workshop, and the repeat of a map (a
future state, or a new current-state mapping). These compose `workshops`' services with
`streams`' own, so they live here: `workshops` never imports `streams` (docs/architecture.md).
Forms post to these views, which call the same services as the API and show the services'
per-field messages on failure."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from streams import selectors
from streams.models import Breadth, CountermeasureStatus, NoteKind, WasteCategory
from streams.services import stream_clone, stream_create
from streams.services.starters import starter_get, stream_start_from
from streams.starters import DEFAULT_STARTER, STARTERS
from vsm_site.authenticated import AuthenticatedHttpRequest
from vsm_site.validation import FIELD_LABELS, refusal_report
from workshops.models import FIVE_RS, PHASE_PROMPTS, Phase
from workshops.services import workshop_create

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
        # The domain's choices in words, the models' own (labels.js reads them from the page).
        "waste_categories": dict(WasteCategory.choices),
        "note_kinds": dict(NoteKind.choices),
        "countermeasure_statuses": dict(CountermeasureStatus.choices),
        # Bounded first: the baby steps start from the small, bounded ones.
        "breadths": dict(sorted(Breadth.choices)),
        # Fields named in words in refusals the board shows (the one list of them).
        "field_labels": FIELD_LABELS,
        "dot_budget": settings.VSM_DOT_BUDGET,
        "hours_per_day": settings.VSM_HOURS_PER_DAY,
        "workshop_url": reverse("workshop-detail", args=[workshop_id]),
    }


@login_required
def board(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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


@login_required
def workshop_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a workshop and its first value stream (empty or from a starter map), then open
    the board. Choosing the stream is step 1, done by this form, so the workshop starts on
    step 2 (people), and the board opens with `?share=1`: the invitation links come next."""
    values: dict[str, Any] = {"stream_name": "", "starter": DEFAULT_STARTER}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""),
            "goal": request.POST.get("goal", ""),
            "choice_notes": request.POST.get("choice_notes", ""),
            **{name: name in request.POST for name, _, _ in FIVE_RS},
            "stream_name": request.POST.get("stream_name", ""),
            "starter": request.POST.get("starter", DEFAULT_STARTER),
        }
        try:
            with transaction.atomic():
                starter = starter_get(values["starter"])
                fields = {k: v for k, v in values.items() if k not in ("stream_name", "starter")}
                workshop = workshop_create(
                    actor=request.user, data={**fields, "phase": Phase.PEOPLE}
                )
                stream = stream_create(
                    actor=request.user,
                    data={"workshop": workshop.pk, "name": values["stream_name"]},
                )
                stream_start_from(actor=request.user, stream_id=stream.pk, key=starter.key)
        except ValidationError as error:
            errors = error.message_dict
            if "name" in errors:
                errors["stream_name"] = errors.pop("name")
        else:
            return redirect(reverse("stream-board", args=[stream.pk]) + "?share=1")
    return render(
        request,
        "workshops/new.html",
        {"values": values, "errors": errors, "five_rs": FIVE_RS, "starters": STARTERS},
    )


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("workshop-detail", args=[pk]))


@login_required
@require_POST
def stream_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        stream = stream_create(
            actor=request.user, data={"workshop": pk, "name": request.POST.get("name", "")}
        )
    except ValidationError as error:
        refusal_report(request, error)
        return _back(pk)
    return redirect(reverse("stream-board", args=[stream.pk]))


@login_required
@require_POST
def stream_repeat(request: AuthenticatedHttpRequest, pk: int, stream_id: int) -> HttpResponse:
    """Step 9: clone a map into a future state, or into a new current-state mapping."""
    data = {key: request.POST[key] for key in ("name", "state") if request.POST.get(key)}
    try:
        clone = stream_clone(actor=request.user, stream_id=stream_id, data=data)
    except ValidationError as error:
        refusal_report(request, error)
        return _back(pk)
    return redirect(reverse("stream-board", args=[clone.pk]))
