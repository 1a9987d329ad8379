"""Jira issues with their changelog (`expand=changelog`): a search result
(`{"issues": [...]}`, from `/rest/api/{2,3}/search` or `/search/jql`) or a list of issues.

Per issue: it entered its first status (the first status change's `fromString`, or
`fields.status.name` when the status never changed) at `fields.created`, then each status
change's `toString` at its history's `created` (histories sorted by `created`, file order
breaking ties). The title is `fields.summary`, the type `fields.issuetype.name`, the tags
`fields.labels`, the link `<base>/browse/<key>` where `<base>` is `self` up to `/rest/api/`.
The current status's `statusCategory.key` (`new`, `indeterminate`, `done`) is its category.

Jira embeds at most a page of histories per issue: when `changelog.total` exceeds the
histories present (or `maxResults` were returned and no total is given), a warning says the
history may be incomplete.

Yields, per issue in file order, its ItemRow then its TransitionRows (history order); at the
end one StateRow per status seen and the warnings. One issue is held at a time, plus the keys
seen (to skip a repeated issue) and the status names.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any

from workitems.importers import jsonfile
from workitems.importers.dates import DateError, parse_iso, quoted
from workitems.importers.fields import Attributes, id_error, state_error, unique
from workitems.importers.problems import Tally, limited
from workitems.importers.rows import ItemRow, Opener, Problem, Row, StateRow, TransitionRow


class _Issues:
    """What is kept across issues: the keys and statuses seen and the warnings' tallies."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.categories: dict[str, str] = {}  # status name -> category ("" unknown)
        self.attributes = Attributes()
        self.repeated = Tally(
            lambda detail: f"{detail} appears again; this copy is skipped.",
            lambda count: f"…and {count:,} more repeated issues (skipped).",
        )
        self.truncated = Tally(
            lambda detail: f"{detail}: the embedded changelog looks truncated, so its "
            f"history may be incomplete; fetch /rest/api/3/issue/<key>/changelog for it.",
            lambda count: f"…and {count:,} more issues whose embedded changelog looks "
            f"truncated (their history may be incomplete).",
        )


def _when(text: Any, what: str, name: str) -> datetime:
    value = jsonfile.text(text).strip()
    if not value:
        raise DateError(f"{name} has no {what}")
    try:
        return parse_iso(value)
    except DateError as error:
        raise DateError(f"{name}: {what} {error}") from None


def _issue(number: int, issue: Any, state: _Issues) -> Iterator[Row]:
    if not isinstance(issue, dict):
        yield Problem(f"Record {number} is not a Jira issue (not an object).", number)
        return
    key = jsonfile.text(issue.get("key")).strip() or jsonfile.text(issue.get("id")).strip()
    error = id_error(key)
    if error:
        yield Problem(
            f"Record {number}: " + ("an issue without a key (or id)." if not key else error), number
        )
        return
    name = f"Issue {quoted(key)}"
    if key in state.seen:
        yield from state.repeated.add(number, name)
        return
    state.seen.add(key)
    fields: Any = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    summary = jsonfile.text(fields.get("summary"))
    labels: Any = fields.get("labels") if isinstance(fields.get("labels"), list) else []
    tags = [jsonfile.text(label) for label in labels]
    tracker_type = jsonfile.text(jsonfile.dig(fields, "issuetype", "name"))
    if jsonfile.too_long(summary, tracker_type, *tags):
        yield Problem(f"{name}: {jsonfile.TOO_LONG}", number)
        return
    try:
        created = _when(fields.get("created"), "fields.created date", name)
        histories = []
        raw = jsonfile.dig(issue, "changelog", "histories")
        for position, history in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(history, dict):
                continue
            items: Any = history.get("items") if isinstance(history.get("items"), list) else []
            changes = [
                change
                for change in items
                if isinstance(change, dict)
                and (change.get("field") == "status" or change.get("fieldId") == "status")
            ]
            if changes:
                when = _when(history.get("created"), "history date", name)
                histories.append((when, position, changes))
    except DateError as date_error:
        yield Problem(f"{date_error}.", number)
        return
    histories.sort(key=lambda entry: (entry[0], entry[1]))

    current = jsonfile.text(jsonfile.dig(fields, "status", "name")).strip()
    category = jsonfile.text(jsonfile.dig(fields, "status", "statusCategory", "key")).strip()
    if histories:
        first = jsonfile.text(histories[0][2][0].get("fromString")).strip()
        first_at = min(created, histories[0][0])  # a change dated before creation
    else:
        first, first_at = current, created
    transitions = [(first, first_at)] + [
        (jsonfile.text(change.get("toString")).strip(), when)
        for when, _, changes in histories
        for change in changes
    ]
    for status, _ in transitions:
        error = state_error(status)
        if error:
            yield Problem(f"{name}: {error}", number)
            return

    total, page = (
        jsonfile.dig(issue, "changelog", "total"),
        jsonfile.dig(issue, "changelog", "maxResults"),
    )
    present = len(raw) if isinstance(raw, list) else 0
    if (isinstance(total, int) and total > present) or (
        not isinstance(total, int) and isinstance(page, int) and present >= page > 0
    ):
        yield from state.truncated.add(number, name)

    attributes = state.attributes
    yield ItemRow(
        external_id=key,
        line=number,
        title=attributes.title(summary, number),
        url=attributes.url(_browse_url(jsonfile.text(issue.get("self")), key), number),
        tracker_type=attributes.tracker_type(tracker_type, number),
        tags=unique(tags),
        created=created,
    )
    for status, when in transitions:
        state.categories.setdefault(status, "")
        yield TransitionRow(key, status, when, number)
    if current and not state_error(current) and (category or current not in state.categories):
        state.categories[current] = category


def _browse_url(self_url: str, key: str) -> str:
    """`https://host[/context]/browse/KEY` from the issue's REST `self`, or ""."""
    cut = self_url.find("/rest/api/")
    return f"{self_url[:cut]}/browse/{key}" if cut > 0 else ""


@limited
def parse(opener: Opener) -> Generator[Row, None, None]:
    """The rows of a Jira changelog export; see the module's docstring."""
    top = jsonfile.Top()
    state = _Issues()
    count = 0
    for number, issue in jsonfile.records(opener, "issues", top):
        count = number
        yield from _issue(number, issue, state)
    if not count:
        if not top.array and "issues" not in top.keys:
            if "fields" in top.keys or "key" in top.keys:
                message = "The file holds a single issue; put it in a list ([ … ]) to import it."
            else:
                message = (
                    'No Jira issues: expected a search result ({"issues": [...]}) or a list of '
                    "issues fetched with expand=changelog."
                )
        else:
            message = "The file holds no issues."
        yield Problem(message)
        return
    total = top.scalars.get("total")
    if isinstance(total, int) and total > count:
        yield Problem(
            f"The search matched {total:,} issues but the file holds {count:,}: it is one "
            f"page of the results; import the other pages too.",
            fatal=False,
        )
    for name, category in state.categories.items():
        yield StateRow(name, category=category)
    yield from state.attributes.close()
    yield from state.repeated.close()
    yield from state.truncated.close()
