"""Wide CSV (ActionableAgile, jira-agile-metrics' cycle data): one row per item.

    ID,Link,Name,Backlog,Committed,Build,Test,Done,Type,Status,Resolution,Blocked Days

`ID` comes first, then optionally `Link` and `Name` (or `Title`), then contiguous stage
columns in workflow order, each cell the date the item entered that stage (empty: not
reached), then attribute columns: `Type`, `Tags` or `Labels` (repeated, as Jira's CSV does,
or `|`-separated values), `Created`; others (`Status`, `Blocked Days`…) are ignored.

The stage columns are those after ID/Link/Name up to the first column with a non-empty cell
that does not look like a date, or whose name is a known attribute (`Type`, `Status`,
`Labels`, `Blocked Days`…). A cell that looks like a date but is not one (2024-02-30) is an
error, not the end of the stages.

Two passes: the first finds the stage columns and settles the day/month order of numeric
dates over all of them together (one exporter wrote them); the second yields the rows.
Nothing but a set of the ids seen (to skip a repeated row) is held between rows.

Yields: one StateRow per stage (order 0, 1, 2… in column order), then per row its ItemRow
and TransitionRows in stage order, then warnings. A skipped stage takes the date of the next
reached stage (the item passed through it, at the same instant); a stage entered before the
stage left of it is taken as entered at that stage's date (with a warning), so each item's
transitions are in time order.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

from workitems.importers import csvfile
from workitems.importers.dates import DateError, DateOrder, from_micros, quoted, to_micros
from workitems.importers.fields import Attributes, id_error, split_tags, state_error, unique
from workitems.importers.problems import Stop, Tally, limited
from workitems.importers.rows import ItemRow, Opener, Problem, Row, StateRow, TransitionRow

ID = ("id", "itemid", "key", "issuekey", "workitemid", "issueid", "issue", "item")
LINK = ("link", "url", "htmlurl", "href")
NAME = ("name", "title", "summary")
TYPE = ("type", "itemtype", "issuetype", "workitemtype")
TAGS = ("tags", "labels", "tag", "label")
CREATED = ("created", "createdat", "createddate", "createdon")
# Attribute names that end the stage columns even when their cells are empty (a stage no
# item has reached yet is empty too, so emptiness alone cannot tell).
ATTRIBUTES = frozenset(
    TYPE
    + TAGS
    + (
        "status",
        "resolution",
        "blockeddays",
        "priority",
        "valuearea",
        "areapath",
        "iterationpath",
        "assignee",
        "assignedto",
        "storypoints",
        "impediments",
        "component",
        "components",
    )
)


MAX_STAGES = 200  # a workflow of more stages is a file read the wrong way


@dataclass(frozen=True, slots=True)
class Layout:
    """The leading columns of a wide header: ID first, then Link and Name in either order."""

    link: int | None
    name: int | None
    first_stage: int


def layout(header: Sequence[str]) -> Layout | str:
    """Where ID, Link and Name are, or a sentence saying the ID column is missing."""
    names = [csvfile.normalise(name) for name in header]
    if not names or not (names[0] in ID or names[0].endswith("id")):
        shown = quoted(header[0]) if header else "nothing"
        return f"The first column must be the item id (named ID, Key or Issue key); it is {shown}."
    link = name = None
    index = 1
    while index < len(names) and index <= 2:
        if link is None and names[index] in LINK:
            link = index
        elif name is None and names[index] in NAME:
            name = index
        else:
            break
        index += 1
    return Layout(link=link, name=name, first_stage=index)


class Survey:
    """The first pass: which columns after ID/Link/Name hold only dates, and what their
    numeric dates say of the day/month order. Feed it records with `add`."""

    def __init__(self, header: Sequence[str], first_stage: int) -> None:
        self.header = [name.strip() for name in header]
        self.first = first_stage
        self.limit = first_stage
        while (
            self.limit < len(header)
            and self.limit <= first_stage + MAX_STAGES  # one more: to tell there are too many
            and csvfile.normalise(header[self.limit]) not in ATTRIBUTES
        ):
            self.limit += 1
        self.orders = {index: DateOrder() for index in range(self.first, self.limit)}
        self.created = _attribute(header, CREATED, self.first)
        if self.created is not None:
            self.orders.setdefault(self.created, DateOrder())
        self.dated = False
        self.offending: tuple[int, int, str] | None = None  # line, column, cell

    def add(self, line: int, cells: Sequence[str]) -> None:
        for index in range(self.first, min(self.limit, len(cells))):
            text = cells[index]
            if not text.strip():
                continue
            if self.orders[index].observe(text, line, self.header[index]) is None:
                self.limit = index
                self.offending = (line, index, text)
                break
            self.dated = True
        created = self.created
        if created is not None and created >= self.limit and created < len(cells):
            self.orders[created].observe(cells[created], line, self.header[created])

    @property
    def stages(self) -> range:
        return range(self.first, self.limit)

    def order(self) -> DateOrder:
        """One order for the stage columns and the Created column together."""
        merged = DateOrder()
        for index, order in self.orders.items():
            if index < self.limit or index == self.created:
                merged.day_first_example = merged.day_first_example or order.day_first_example
                merged.month_first_example = merged.month_first_example or order.month_first_example
                merged.ambiguous_example = merged.ambiguous_example or order.ambiguous_example
        return merged


def _attribute(header: Sequence[str], aliases: Sequence[str], start: int) -> int | None:
    for index in range(start, len(header)):
        if csvfile.normalise(header[index]) in aliases:
            return index
    return None


def _survey(opener: Opener) -> tuple[list[str], Layout, Survey] | Problem:
    records = csvfile.read(opener)
    try:
        first = next(records, None)
        if first is None:
            return Problem("The file is empty: it has no header row.")
        header_line, header = first
        found = layout(header)
        if isinstance(found, str):
            return Problem(found, header_line)
        survey = Survey(header, found.first_stage)
        for line, cells in records:
            survey.add(line, cells)
    except Stop as stop:
        return stop.problem
    finally:
        records.close()
    if not survey.stages:
        after = survey.first
        if after >= len(header):
            detail = "the header has no column after ID, Link and Name"
        elif survey.offending and survey.offending[1] == after:
            line, _, text = survey.offending
            detail = (
                f"the column {quoted(survey.header[after])} holds {quoted(text)} on line {line}"
            )
        else:
            detail = f"the column {quoted(survey.header[after])} is an attribute"
        return Problem(
            f"No stage column: after ID, Link and Name a wide CSV has one column per stage, "
            f"each holding the date the item entered it; {detail}.",
            header_line,
        )
    if len(survey.stages) > MAX_STAGES:
        return Problem(
            f"More than {MAX_STAGES} stage columns: the columns after ID, Link and Name up to "
            f"the first one that is not a date are taken as stages; is this a wide CSV?",
            header_line,
        )
    return [name.strip() for name in header], found, survey


@limited
def parse(opener: Opener) -> Generator[Row, None, None]:
    """The rows of a wide CSV; see the module's docstring."""
    surveyed = _survey(opener)
    if isinstance(surveyed, Problem):
        yield surveyed
        return
    header, found, survey = surveyed
    stages = list(survey.stages)
    names = [header[index] for index in stages]
    for index, name in zip(stages, names, strict=True):
        error = state_error(name)
        if error:
            yield Problem(f"The stage column {index + 1} has no usable name: {error}", 1)
        elif names.index(name) != stages.index(index):
            yield Problem(f"The stage column {quoted(name)} appears twice in the header.", 1)
    order = survey.order()
    settled = order.settle()
    if settled:
        yield Problem(*settled)
        return
    for position, name in enumerate(names):
        yield StateRow(name, order=position)

    end = survey.limit
    type_column = _attribute(header, TYPE, end)
    tag_columns = [index for index in csvfile.columns_of(header, TAGS) if index >= end]
    created_column = _attribute(header, CREATED, end)
    attributes = Attributes()
    seen: dict[str, int] = {}
    repeated = Tally(
        lambda detail: f"{detail}; this row is skipped.",
        lambda count: f"…and {count:,} more rows that repeat an item (skipped).",
    )
    backwards = Tally(
        lambda detail: f"{detail}; it is taken as entered at the earlier stage's date.",
        lambda count: f"…and {count:,} more rows whose dates go backwards along the stages "
        f"(kept in order).",
    )
    unreached = Tally(
        lambda detail: f"{detail} has no date in any stage column (no history).",
        lambda count: f"…and {count:,} more items with no date in any stage column.",
    )
    records = csvfile.read(opener)
    try:
        next(records, None)
        for line, cells in records:
            external_id = csvfile.cell(cells, 0).strip()
            error = id_error(external_id)
            if error:
                yield Problem(error, line)
                continue
            if external_id in seen:
                yield from repeated.add(
                    line, f"Item {quoted(external_id)} appeared already on line {seen[external_id]}"
                )
                continue
            seen[external_id] = line
            reached: list[tuple[int, int]] = []  # stage position, entered (µs)
            failed = False
            for position, index in enumerate(stages):
                text = csvfile.cell(cells, index)
                if not text.strip():
                    continue
                try:
                    reached.append((position, to_micros(order.parse(text, line, names[position]))))
                except DateError as error:
                    yield Problem(f"Column {quoted(names[position])}: {error}.", line)
                    failed = True
            created_text = csvfile.cell(cells, created_column)
            created = None
            if created_text.strip():
                try:
                    created = order.parse(created_text, line, header[created_column or 0])
                except DateError as error:
                    yield Problem(f"Column {quoted(header[created_column or 0])}: {error}.", line)
                    failed = True
            if failed:
                continue
            yield ItemRow(
                external_id=external_id,
                line=line,
                title=attributes.title(csvfile.cell(cells, found.name), line),
                url=attributes.url(csvfile.cell(cells, found.link), line),
                tracker_type=attributes.tracker_type(csvfile.cell(cells, type_column), line),
                tags=unique(
                    tag for index in tag_columns for tag in split_tags(csvfile.cell(cells, index))
                ),
                created=created,
            )
            if not reached:
                yield from unreached.add(line, f"Item {quoted(external_id)}")
                continue
            latest = reached[0][1]
            warned = False
            for number, (position, entered) in enumerate(reached):
                if entered < latest:
                    if not warned:
                        before = names[reached[number - 1][0]]
                        yield from backwards.add(
                            line,
                            f"{quoted(names[position])} ({_when(entered)}) is earlier than "
                            f"{quoted(before)} ({_when(latest)}), the stage before it",
                        )
                        warned = True
                    reached[number] = (position, latest)
                latest = max(latest, entered)
            # A stage skipped takes the date of the next stage reached.
            following = iter(reached)
            target, entered = next(following)
            for position in range(reached[-1][0] + 1):
                if position > target:
                    target, entered = next(following)
                yield TransitionRow(external_id, names[position], from_micros(entered), line)
    except Stop as stop:
        yield stop.problem
    finally:
        records.close()
    yield from attributes.close()
    for tally in (repeated, backwards, unreached):
        yield from tally.close()


def _when(micros: int) -> str:
    moment = from_micros(micros)
    return f"{moment:%Y-%m-%d}" if not micros % 86_400_000_000 else f"{moment:%Y-%m-%d %H:%M}"
