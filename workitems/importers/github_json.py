"""GitHub issues with their timelines, for teams that keep an issue's state in labels.

The file is a list (or `{"issues": [...]}`) of REST issue objects
(`GET /repos/{owner}/{repo}/issues?state=all`), each with a `timeline` member added: the
array `GET /repos/{owner}/{repo}/issues/{number}/timeline` returned for it (all pages,
concatenated). Read per issue: `number` (the item id; one repository per file), `title`,
`html_url`, `state`, `state_reason`, `created_at`, `closed_at`, `labels` (objects with a
`name`, or names), `type.name` (GitHub's issue type, when set); and per timeline event
`event`, `created_at`, `label.name` (`labeled`, `unlabeled`), `state_reason` (`closed`),
`project_card.column_name` (classic projects' `added_to_project`, `moved_columns_in_project`).

States: the issue enters `Open` at `created_at`. A label named `status: <name>`,
`status/<name>` or `state: <name>` (prefix case-insensitive; the name trimmed) being added
moves the issue into `<name>`; its removal returns the issue to the status label still on it
(the latest added), else its project column, else `Open`. A classic project card put into a
column moves the issue into that column's name. `closed` moves it to `Closed`, or to
`Closed (not planned)` when the close's reason is `not_planned` (or `duplicate`): the closed
event's own `state_reason`, except that the last close of an issue still closed takes the
issue's final `state_reason`.
`reopened` moves it back to its status label, else its column, else `Open`. While closed, a
label or column change is remembered for a reopening but does not move the issue. An issue
that is closed without a `closed` event in its timeline is closed at `closed_at`; one with no
`timeline` member at all has only that (with a warning). Other labels are the item's tags.

Pull requests (objects with a `pull_request` member) are skipped, with one warning counting
them. Categories go with the fixed states so the default flow states are right: `Open` is
`new`, `Closed` is `done`, `Closed (not planned)` is `removed` (canceled).

Yields per issue in file order its ItemRow and TransitionRows (time order; file order at the
same instant), then one StateRow per state seen and the warnings.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any

from workitems.importers import jsonfile
from workitems.importers.dates import DateError, parse_iso, quoted
from workitems.importers.fields import Attributes, id_error, state_error, unique
from workitems.importers.problems import Once, Tally, limited
from workitems.importers.rows import ItemRow, Opener, Problem, Row, StateRow, TransitionRow

OPEN = "Open"
CLOSED = "Closed"
CLOSED_NOT_PLANNED = "Closed (not planned)"
CATEGORIES = {OPEN: "new", CLOSED: "done", CLOSED_NOT_PLANNED: "removed"}
STATUS_PREFIXES = ("status:", "status/", "state:")
NOT_PLANNED = frozenset(("not_planned", "duplicate"))
_EVENTS = frozenset(
    ("labeled", "unlabeled", "closed", "reopened", "added_to_project", "moved_columns_in_project")
)


def status_of(label: str) -> str | None:
    """The state a status label names (`status: In review` -> `In review`), or None."""
    lowered = label.lower()
    for prefix in STATUS_PREFIXES:
        if lowered.startswith(prefix):
            return label[len(prefix) :].strip() or None
    return None


def _label_name(label: Any) -> str:
    return jsonfile.text(label.get("name") if isinstance(label, dict) else label).strip()


class _Issues:
    """What is kept across issues: the numbers and states seen and the warnings."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.states: dict[str, str] = {}  # name -> category
        self.attributes = Attributes()
        self.pull_requests = Once(
            lambda count: f"{count:,} pull request(s) in the file were skipped: only issues "
            f"are work items here."
        )
        self.untimed = Once(
            lambda count: f"{count:,} issue(s) have no timeline: only their opening and "
            f"closing are known. Add each issue's /timeline events as its `timeline` member."
        )
        self.repeated = Tally(
            lambda detail: f"{detail} appears again; this copy is skipped.",
            lambda count: f"…and {count:,} more repeated issues (skipped).",
        )


def _when(value: Any, what: str, name: str) -> datetime:
    text = jsonfile.text(value).strip()
    if not text:
        raise DateError(f"{name} has no {what}")
    try:
        return parse_iso(text)
    except DateError as error:
        raise DateError(f"{name}: {what} {error}") from None


def _history(issue: dict[str, Any], name: str, created: datetime) -> list[tuple[str, datetime]]:
    """The issue's states in order (see the module's docstring). Raises DateError."""
    raw = issue.get("timeline")
    timeline = raw if isinstance(raw, list) else []
    events = []
    for position, event in enumerate(timeline):
        kind = jsonfile.dig(event, "event")
        if kind in _EVENTS:
            when = _when(event.get("created_at"), f"{kind} event's created_at", name)
            events.append((when, position, kind, event))
    events.sort(key=lambda entry: (entry[0], entry[1]))
    last_close = max(
        (index for index, entry in enumerate(events) if entry[2] == "closed"), default=None
    )
    is_closed = jsonfile.text(issue.get("state")) == "closed"
    # The issue's state_reason tells of its last close only while it is closed (an open
    # issue's is null or `reopened`).
    final_reason = jsonfile.text(issue.get("state_reason")) if is_closed else ""

    history = [(OPEN, created)]
    labels: list[str] = []  # status labels on the issue, the latest added last
    column: str | None = None
    closed = False

    def open_state() -> str:
        return labels[-1] if labels else column or OPEN

    def move(state: str, when: datetime) -> None:
        if history[-1][0] != state:
            history.append((state, when))

    for index, (when, _, kind, event) in enumerate(events):
        if kind in ("labeled", "unlabeled"):
            status = status_of(_label_name(event.get("label")))
            if status is None:
                continue
            if status in labels:
                labels.remove(status)
            if kind == "labeled":
                labels.append(status)
        elif kind in ("added_to_project", "moved_columns_in_project"):
            column_name = jsonfile.text(jsonfile.dig(event, "project_card", "column_name")).strip()
            if not column_name:
                continue
            column = column_name
        elif kind == "closed":
            reason = jsonfile.text(event.get("state_reason"))
            if index == last_close and final_reason:
                reason = final_reason
            closed = True
            move(CLOSED_NOT_PLANNED if reason in NOT_PLANNED else CLOSED, when)
            continue
        elif kind == "reopened":
            closed = False
        if not closed:
            move(open_state(), when)

    if is_closed and not closed:
        closed_at = _when(issue.get("closed_at"), "closed_at", name)
        move(
            CLOSED_NOT_PLANNED if final_reason in NOT_PLANNED else CLOSED,
            max(closed_at, history[-1][1]),
        )
    return history


def _issue(number: int, issue: Any, state: _Issues) -> Iterator[Row]:
    if not isinstance(issue, dict):
        yield Problem(f"Record {number} is not a GitHub issue (not an object).", number)
        return
    if "pull_request" in issue:
        state.pull_requests.add(number)
        return
    external_id = jsonfile.text(issue.get("number")).strip()
    error = id_error(external_id)
    if error:
        yield Problem(
            f"Record {number}: " + ("an issue without a number." if not external_id else error),
            number,
        )
        return
    name = f"Issue #{external_id}"
    if external_id in state.seen:
        yield from state.repeated.add(number, name)
        return
    state.seen.add(external_id)
    title = jsonfile.text(issue.get("title"))
    raw_labels: Any = issue.get("labels") if isinstance(issue.get("labels"), list) else []
    labels = [_label_name(label) for label in raw_labels]
    tracker_type = jsonfile.text(jsonfile.dig(issue, "type", "name"))
    if jsonfile.too_long(title, tracker_type, *labels):
        yield Problem(f"{name}: {jsonfile.TOO_LONG}", number)
        return
    if not isinstance(issue.get("timeline"), list):
        state.untimed.add(number)
    try:
        created = _when(issue.get("created_at"), "created_at", name)
        history = _history(issue, name, created)
    except DateError as date_error:
        yield Problem(f"{date_error}.", number)
        return
    for status, _ in history:
        error = state_error(status)
        if error:
            yield Problem(f"{name}: {error} ({quoted(status)})", number)
            return
    attributes = state.attributes
    yield ItemRow(
        external_id=external_id,
        line=number,
        title=attributes.title(title, number),
        url=attributes.url(jsonfile.text(issue.get("html_url")), number),
        tracker_type=attributes.tracker_type(tracker_type, number),
        tags=unique(label for label in labels if status_of(label) is None),
        created=created,
    )
    for status, when in history:
        state.states.setdefault(status, CATEGORIES.get(status, ""))
        yield TransitionRow(external_id, status, when, number)


@limited
def parse(opener: Opener) -> Generator[Row, None, None]:
    """The rows of a GitHub issues-with-timelines export; see the module's docstring."""
    top = jsonfile.Top()
    state = _Issues()
    count = 0
    for number, issue in jsonfile.records(opener, "issues", top):
        count = number
        yield from _issue(number, issue, state)
    if not count:
        if not top.array and "issues" not in top.keys:
            yield Problem(
                'No GitHub issues: expected a list of issues (or {"issues": [...]}), each with '
                "its timeline events as a `timeline` member."
            )
        else:
            yield Problem("The file holds no issues.")
        return
    for name, category in state.states.items():
        yield StateRow(name, category=category)
    yield from state.attributes.close()
    yield from state.pull_requests.close()
    yield from state.untimed.close()
    yield from state.repeated.close()
