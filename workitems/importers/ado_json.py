"""Azure DevOps Analytics `WorkItemRevisions` (OData JSON, `{"value": [...]}`, or a list of
revisions), e.g. `_odata/v4.0-preview/WorkItemRevisions?$select=WorkItemId,Revision,
WorkItemType,State,StateCategory,ChangedDate,CreatedDate,TagNames,Title`.

Per item, revisions are sorted by `Revision` (the file need not be sorted); each revision
whose `State` differs from the previous revision's is a transition at its `ChangedDate`. The
first revision in the file enters its state at its `StateChangeDate` when the file has it and
it is earlier (an export filtered by date starts after revision 1), else at `ChangedDate`.
Type, title, tags (`TagNames`, `Risk; Debt`) and creation come from the latest revision;
`StateCategory` (Proposed, InProgress, Resolved, Completed, Removed) is its state's category.

Links are not followed: an `@odata.nextLink` in the file means Analytics had more revisions
than this page, which a warning says.

Every revision must be seen before an item's history is known, so the file is read whole
first; what is held is compact and bounded by MAX_ROWS: per revision five integers, per item
its latest revision's attributes. Yields the errors and the nextLink warning first, then per
item (in the order items first appear) its ItemRow and TransitionRows, then one StateRow per
state and the other warnings.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from workitems.importers import jsonfile
from workitems.importers.dates import DateError, from_micros, parse_iso, quoted, to_micros
from workitems.importers.fields import Attributes, id_error, split_tags, state_error, unique
from workitems.importers.problems import MAX_FATAL, Once, Stop, limited
from workitems.importers.rows import (
    TITLE_CHARS,
    ItemRow,
    Opener,
    Problem,
    Row,
    StateRow,
    TransitionRow,
)

_NO_DATE = -(2**63)  # no StateChangeDate on the revision
_STRIDE = 5  # revision, changed (µs), state changed (µs), state number, record


class _Item:
    """What is held of one work item while the file is read."""

    __slots__ = ("revision", "title", "tracker_type", "tags", "created", "revisions")

    def __init__(self) -> None:
        self.revision = -1  # the latest revision seen, whose attributes these are
        self.title = ""
        self.tracker_type = ""
        self.tags: tuple[str, ...] = ()
        self.created: int | None = None
        self.revisions = array("q")


@dataclass
class _Read:
    problems: list[Problem] = field(default_factory=list)
    items: dict[str, _Item] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    fatal: int = 0

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.fatal += problem.fatal


def _revision_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None  # held in a signed 64-bit array
    text = jsonfile.text(value).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _date(value: Any, what: str, name: str, *, required: bool) -> int | None:
    text = jsonfile.text(value).strip()
    if not text:
        if required:
            raise DateError(f"{name} has no {what}")
        return None
    try:
        return to_micros(parse_iso(text))
    except DateError as error:
        raise DateError(f"{name}: {what} {error}") from None


def _revision(result: _Read, number: int, revision: Any) -> None:
    if not isinstance(revision, dict):
        result.add(Problem(f"Record {number} is not a revision (not an object).", number))
        return
    work_item_id = jsonfile.text(revision.get("WorkItemId")).strip()
    error = id_error(work_item_id)
    if error:
        result.add(
            Problem(
                f"Record {number}: "
                + ("a revision without a WorkItemId." if not work_item_id else error),
                number,
            )
        )
        return
    sequence = _revision_number(revision.get("Revision"))
    name = f"Work item {quoted(work_item_id)}"
    if sequence is None:
        result.add(Problem(f"{name}, record {number}: the Revision is not a number.", number))
        return
    name = f"{name} revision {sequence}"
    state = jsonfile.text(revision.get("State")).strip()
    title = jsonfile.text(revision.get("Title"))
    tracker_type = jsonfile.text(revision.get("WorkItemType"))
    tag_names = jsonfile.text(revision.get("TagNames"))
    category = jsonfile.text(revision.get("StateCategory")).strip()
    if jsonfile.too_long(title, tracker_type, tag_names, category):
        result.add(Problem(f"{name}: {jsonfile.TOO_LONG}", number))
        return
    error = state_error(state)
    if error:
        result.add(Problem(f"{name}: {error}", number))
        return
    try:
        changed = _date(revision.get("ChangedDate"), "ChangedDate", name, required=True)
        state_changed = _date(
            revision.get("StateChangeDate"), "StateChangeDate", name, required=False
        )
        created = _date(revision.get("CreatedDate"), "CreatedDate", name, required=False)
    except DateError as error:
        result.add(Problem(f"{error}.", number))
        return
    if result.fatal:
        return  # nothing will be imported: only look for more errors
    assert changed is not None  # noqa: S101 (required above)
    item = result.items.get(work_item_id)
    if item is None:
        item = result.items[work_item_id] = _Item()
    state_number = result.states.setdefault(state, len(result.states))
    if category:
        result.categories[state] = category
    item.revisions.extend(
        (
            sequence,
            changed,
            _NO_DATE if state_changed is None else state_changed,
            state_number,
            number,
        )
    )
    if sequence >= item.revision:
        item.revision = sequence
        item.title = title[: TITLE_CHARS + 1]  # the cleaner cuts it (and counts the cut)
        item.tracker_type = tracker_type
        item.tags = unique(split_tags(tag_names))
        item.created = created


def _read(opener: Opener) -> tuple[_Read, jsonfile.Top, int]:
    result = _Read()
    top = jsonfile.Top()
    count = 0
    try:
        for number, revision in jsonfile.records(opener, "value", top):
            count = number
            _revision(result, number, revision)
            if result.fatal >= MAX_FATAL:
                break
    except Stop as stop:
        result.add(stop.problem)
    return result, top, count


@limited
def parse(opener: Opener) -> Generator[Row, None, None]:
    """The rows of an Analytics WorkItemRevisions export; see the module's docstring."""
    result, top, count = _read(opener)
    yield from result.problems
    if result.fatal:
        return
    if not count:
        if not top.array and "value" not in top.keys:
            yield Problem(
                'No revisions: expected an Analytics OData result ({"value": [...]}) of '
                "WorkItemRevisions, or a list of revisions."
            )
        else:
            yield Problem("The file holds no revisions.")
        return
    next_link = top.scalars.get("@odata.nextLink")
    if next_link:
        yield Problem(
            "The file ends with @odata.nextLink: Analytics had more revisions than this page, "
            "and links are not followed. Import the next pages too (each holds whole items "
            "only if the query orders by WorkItemId), or export fewer items.",
            fatal=False,
        )
    attributes = Attributes()
    filtered = Once(
        lambda count: f"{count:,} work item(s) start after revision 1 in this file (an "
        f"export filtered by date?): the first state of each is taken as entered at its "
        f"StateChangeDate, or else at that revision's ChangedDate."
    )
    rows: list[Row] = []
    names = list(result.states)
    items = result.items
    while items:
        work_item_id = next(iter(items))
        item = items.pop(work_item_id)
        revisions = item.revisions
        ordered = sorted(
            (revisions[index + 0], revisions[index + 4], index)
            for index in range(0, len(revisions), _STRIDE)
        )
        first_record = revisions[ordered[0][2] + 4]
        rows.append(
            ItemRow(
                external_id=work_item_id,
                line=first_record,
                title=attributes.title(item.title, first_record),
                tracker_type=attributes.tracker_type(item.tracker_type, first_record),
                tags=item.tags,
                created=from_micros(item.created) if item.created is not None else None,
            )
        )
        previous: int | None = None
        for position, (sequence, record, index) in enumerate(ordered):
            state_number = revisions[index + 3]
            if state_number == previous:
                continue
            previous = state_number
            entered = revisions[index + 1]
            if position == 0:
                if sequence > 1:
                    filtered.add(record)
                state_changed = revisions[index + 2]
                if state_changed != _NO_DATE and state_changed < entered:
                    entered = state_changed
            rows.append(
                TransitionRow(work_item_id, names[state_number], from_micros(entered), record)
            )
        yield from rows
        rows.clear()
    for name in names:
        yield StateRow(name, category=result.categories.get(name, ""))
    yield from attributes.close()
    yield from filtered.close()
