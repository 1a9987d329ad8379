"""Exporting a value stream as a self-contained JSON document or CSV, and importing such a
document as a new stream.

The document names objects by local references ("a1", "w1"), never by database ids, so
exporting an imported stream gives back the same document (the round trip is equal).
Imports are validated with the same field rules as every other writer, and all-or-nothing.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from streams.kinds import ACTIVITY, COUNTERMEASURE, NOTE, WASTE
from streams.models import Activity, Countermeasure, Link, LinkKind, Note, ValueStream, Waste
from streams.selectors import stream_get
from streams.services.streams import stream_create
from vsm_site.units import humanize_duration
from vsm_site.validation import clean_payload
from workshops.selectors import facilitator_membership_get

FORMAT = "flowmap.stream"
VERSION = 1
MAX_OBJECTS = 20_000  # per kind, per document

_ACTIVITY_FIELDS = tuple(ACTIVITY.spec)
_WASTE_FIELDS = tuple(name for name in WASTE.spec if name != "activity")
_COUNTERMEASURE_FIELDS = tuple(name for name in COUNTERMEASURE.spec if name != "waste")
_NOTE_FIELDS = tuple(NOTE.spec)


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def stream_export(*, actor: User, stream_id: Any) -> dict[str, Any]:
    """The stream as a document any member may download (votes are not exported)."""
    stream, _ = stream_get(user=actor, stream_id=stream_id)
    activities = list(Activity.objects.filter(stream=stream).order_by("order", "id"))
    activity_ref = {a.pk: f"a{index}" for index, a in enumerate(activities, 1)}
    wastes = list(Waste.objects.filter(stream=stream).order_by("id"))
    waste_ref = {w.pk: f"w{index}" for index, w in enumerate(wastes, 1)}
    links = sorted(
        (activity_ref[source], activity_ref[target], kind)
        for source, target, kind in Link.objects.filter(stream=stream).values_list(
            "source_id", "target_id", "kind"
        )
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "stream": {"name": stream.name, "state": stream.state},
        "activities": [
            {"ref": activity_ref[a.pk], **_fields(a, _ACTIVITY_FIELDS)} for a in activities
        ],
        "links": [
            {"source": source, "target": target, "kind": kind} for source, target, kind in links
        ],
        "wastes": [
            {
                "ref": waste_ref[w.pk],
                "activity": activity_ref.get(w.activity_id),  # type: ignore[arg-type]
                **_fields(w, _WASTE_FIELDS),
            }
            for w in wastes
        ],
        "countermeasures": [
            {"waste": waste_ref[c.waste_id], **_fields(c, _COUNTERMEASURE_FIELDS)}
            for c in Countermeasure.objects.filter(stream=stream).order_by("id")
        ],
        "notes": [
            _fields(n, _NOTE_FIELDS) for n in Note.objects.filter(stream=stream).order_by("id")
        ],
    }


CSV_COLUMNS = (
    "kind",
    "ref",
    "order",
    "title",
    "team",
    "process_time_s",
    "wait_time_s",
    "lead_time_s",
    "process_time",
    "wait_time",
    "pca",
    "description",
    "activity",
    "category",
    "votes",
    "waste",
    "current_condition",
    "future_condition",
    "measure",
    "breadth",
    "effort",
    "difficulty",
    "owner",
    "status",
    "target",
    "link_kind",
)


def spreadsheet_safe(value: Any) -> Any:
    """Defuse spreadsheet formulas: text starting with = + - @ is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def stream_export_csv(*, actor: User, stream_id: Any) -> str:
    """The map as one CSV table with a `kind` column (activity, waste, countermeasure), so a
    spreadsheet filters it by kind. Activities come first in flow order with their times in
    seconds and in human units; then links (`activity` its source's ref, `target` its target's,
    `link_kind` flow or rework: a rework loop sends work back to an earlier activity); then
    wastes (their activity's ref, the category's name, and
    their dots once the facilitator has revealed the votes: blank before, so a hidden vote
    never leaks); then countermeasures (their waste's ref, conditions, measure, size, owner,
    status). Refs are the JSON export's (a1, w1, c1). Text a spreadsheet would run as a
    formula is defused (`spreadsheet_safe`)."""
    stream, _ = stream_get(user=actor, stream_id=stream_id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="")
    writer.writeheader()

    def write(row: dict[str, Any]) -> None:
        writer.writerow({name: spreadsheet_safe(value) for name, value in row.items()})

    activity_ref: dict[int, str] = {}
    for index, a in enumerate(Activity.objects.filter(stream=stream).order_by("order", "id"), 1):
        activity_ref[a.pk] = f"a{index}"
        write(
            {
                "kind": "activity",
                "ref": activity_ref[a.pk],
                "order": a.order,
                "title": a.title,
                "team": a.team,
                "process_time_s": a.process_time,
                "wait_time_s": a.wait_time,
                "lead_time_s": a.process_time + a.wait_time,
                "process_time": humanize_duration(a.process_time),
                "wait_time": humanize_duration(a.wait_time),
                "pca": a.pca,
                "description": a.description,
            }
        )
    links = Link.objects.filter(stream=stream).order_by("id")
    for index, link in enumerate(links.values_list("source_id", "target_id", "kind"), 1):
        source, target, link_kind = link
        write(
            {
                "kind": "link",
                "ref": f"l{index}",
                "activity": activity_ref[source],
                "target": activity_ref[target],
                "link_kind": link_kind,
            }
        )
    wastes = Waste.objects.filter(stream=stream).order_by("id")
    if stream.votes_revealed:
        wastes = wastes.annotate(dots=Count("votes"))
    waste_ref: dict[int, str] = {}
    for index, w in enumerate(wastes, 1):
        waste_ref[w.pk] = f"w{index}"
        write(
            {
                "kind": "waste",
                "ref": waste_ref[w.pk],
                "title": w.text,
                "activity": activity_ref.get(w.activity_id, "") if w.activity_id else "",
                "category": w.get_category_display(),
                "votes": w.dots if stream.votes_revealed else "",  # type: ignore[attr-defined]
            }
        )
    countermeasures = Countermeasure.objects.filter(stream=stream).order_by("id")
    for index, c in enumerate(countermeasures, 1):
        write(
            {
                "kind": "countermeasure",
                "ref": f"c{index}",
                "title": c.title,
                "waste": waste_ref.get(c.waste_id, ""),
                "current_condition": c.current_condition,
                "future_condition": c.future_condition,
                "measure": c.measure,
                "breadth": c.get_breadth_display(),
                "effort": c.effort,
                "difficulty": c.difficulty,
                "owner": c.owner,
                "status": c.get_status_display(),
            }
        )
    return out.getvalue()


def _list(document: dict[str, Any], key: str, errors: dict[str, list[str]]) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        errors[key] = ["Must be a list."]
        return []
    if len(value) > MAX_OBJECTS:
        errors[key] = [f"At most {MAX_OBJECTS} entries."]
        return []
    return value


def _clean_each(
    entries: list[Any], spec: dict[str, Any], refs: tuple[str, ...], key: str, errors: dict
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each entry validated by `spec`; returns (fields, references) pairs."""
    cleaned = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            errors[f"{key}[{index}]"] = ["Must be an object."]
            continue
        references = {name: entry.get(name) for name in ("ref", *refs)}
        body = {k: v for k, v in entry.items() if k not in references}
        try:
            cleaned.append((clean_payload(spec, body, partial=False), references))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"{key}[{index}].{field}"] = messages
    return cleaned


def _upstream(activity_refs: set[str], links: list[tuple[str, str]], start: str, goal: str) -> bool:
    """Whether the flow `links` lead from `start` to `goal`."""
    successors: dict[str, list[str]] = {ref: [] for ref in activity_refs}
    for source, target in links:
        successors[source].append(target)
    frontier, seen = [start], {start}
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for successor in successors[node]:
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return False


def _check_acyclic(activity_refs: set[str], links: list[tuple[str, str]]) -> bool:
    successors: dict[str, list[str]] = {ref: [] for ref in activity_refs}
    incoming = dict.fromkeys(activity_refs, 0)
    for source, target in links:
        successors[source].append(target)
        incoming[target] += 1
    ready = deque(ref for ref, count in incoming.items() if count == 0)
    seen = 0
    while ready:
        seen += 1
        for target in successors[ready.popleft()]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return seen == len(activity_refs)


def _check_rework(
    activities: list[tuple[dict[str, Any], dict[str, Any]]],
    links: list[tuple[str, str, str]],
    flow: list[tuple[str, str]],
    errors: dict[str, list[str]],
) -> None:
    """The board's rules for rework loops (streams.services.board): one per source, each back
    to an activity earlier in the flow (by the flow links, or by (order, position) without
    any)."""
    # Imported activities get ids in document order, so (order, position) is (order, id).
    rank = {
        refs["ref"]: (fields.get("order", 0), index)
        for index, (fields, refs) in enumerate(activities)
    }
    sources: set[str] = set()
    for index, (source, target, kind) in enumerate(links):
        if kind != LinkKind.REWORK:
            continue
        if source in sources:
            errors[f"links[{index}]"] = ["An activity sends its rework back once."]
        sources.add(source)
        earlier = (
            _upstream(set(rank), flow, target, source) if flow else rank[target] < rank[source]
        )
        if not earlier:
            errors[f"links[{index}]"] = [
                "A rework loop goes back to an activity earlier in the flow."
            ]


@transaction.atomic
def stream_import(*, actor: User, workshop_id: Any, document: Any) -> ValueStream:
    """Creates a new stream in the workshop from an exported document (facilitators only).

    Raises ValidationError with a message per offending path, and then writes nothing.
    """
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError({"format": [f"Not a {FORMAT} document."]})
    if document.get("version") != VERSION:
        raise ValidationError({"version": [f"Only version {VERSION} can be imported."]})
    header = document.get("stream")
    if not isinstance(header, dict):
        raise ValidationError({"stream": ["Must be an object with name and state."]})
    errors: dict[str, list[str]] = {}
    activities = _clean_each(
        _list(document, "activities", errors), ACTIVITY.spec, (), "activities", errors
    )
    wastes = _clean_each(
        _list(document, "wastes", errors),
        {k: v for k, v in WASTE.spec.items() if k != "activity"},
        ("activity",),
        "wastes",
        errors,
    )
    countermeasures = _clean_each(
        _list(document, "countermeasures", errors),
        {k: v for k, v in COUNTERMEASURE.spec.items() if k != "waste"},
        ("waste",),
        "countermeasures",
        errors,
    )
    notes = _clean_each(_list(document, "notes", errors), NOTE.spec, (), "notes", errors)
    activity_refs = [refs["ref"] for _, refs in activities]
    waste_refs = [refs["ref"] for _, refs in wastes]
    for key, kind_refs in (("activities", activity_refs), ("wastes", waste_refs)):
        if len(set(kind_refs)) != len(kind_refs) or not all(
            isinstance(r, str) and r for r in kind_refs
        ):
            errors.setdefault(key, []).append("Every entry needs a unique string ref.")
    links = []  # (source, target, kind)
    for index, link in enumerate(_list(document, "links", errors)):
        if not isinstance(link, dict) or {link.get("source"), link.get("target")} - set(
            activity_refs
        ):
            errors[f"links[{index}]"] = ["source and target must be refs of activities."]
        elif link["source"] == link["target"]:
            errors[f"links[{index}]"] = ["An activity cannot link to itself."]
        elif link.get("kind", LinkKind.FLOW) not in LinkKind.values:
            errors[f"links[{index}].kind"] = [f"Must be one of: {', '.join(LinkKind.values)}."]
        else:
            links.append((link["source"], link["target"], link.get("kind", LinkKind.FLOW)))
    pairs = [(source, target) for source, target, _ in links]
    flow = [(source, target) for source, target, kind in links if kind == LinkKind.FLOW]
    if len(set(pairs)) != len(pairs):
        errors.setdefault("links", []).append("A pair of activities is linked twice.")
    if not errors and not _check_acyclic(set(activity_refs), flow):
        errors["links"] = ["The links close a loop in the flow."]
    if not errors:
        _check_rework(activities, links, flow, errors)
    for index, (_, refs) in enumerate(wastes):
        if refs["activity"] is not None and refs["activity"] not in activity_refs:
            errors[f"wastes[{index}].activity"] = ["Must be the ref of an activity or null."]
    for index, (_, refs) in enumerate(countermeasures):
        if refs["waste"] not in waste_refs:
            errors[f"countermeasures[{index}].waste"] = ["Must be the ref of a waste."]
    if errors:
        raise ValidationError(errors)

    stream = stream_create(
        actor=actor,
        data={
            "workshop": workshop_id,
            "name": header.get("name"),
            "state": header.get("state", "current"),
        },
    )
    created = Activity.objects.bulk_create(
        Activity(stream=stream, **fields) for fields, _ in activities
    )
    activity_ids = {ref: a.pk for ref, a in zip(activity_refs, created, strict=True)}
    Link.objects.bulk_create(
        Link(stream=stream, source_id=activity_ids[s], target_id=activity_ids[t], kind=kind)
        for s, t, kind in links
    )
    created_wastes = Waste.objects.bulk_create(
        Waste(
            stream=stream,
            activity_id=activity_ids.get(refs["activity"]) if refs["activity"] else None,
            created_by=actor,
            **fields,
        )
        for fields, refs in wastes
    )
    waste_ids = {ref: w.pk for ref, w in zip(waste_refs, created_wastes, strict=True)}
    Countermeasure.objects.bulk_create(
        Countermeasure(stream=stream, waste_id=waste_ids[refs["waste"]], **fields)
        for fields, refs in countermeasures
    )
    Note.objects.bulk_create(Note(stream=stream, created_by=actor, **fields) for fields, _ in notes)
    return stream
