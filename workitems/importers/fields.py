"""The attributes of a work item, cleaned the same way whatever the format: ids and state
names checked, titles cut, URLs kept only when http(s), tags split and de-duplicated. User
text stays text: nothing is unescaped, evaluated or neutralised here (the exporter
neutralises formula-looking cells when it writes a spreadsheet)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from workitems.importers.problems import Once
from workitems.importers.rows import TITLE_CHARS, Problem

# The database's column sizes (workitems.models): longer ids and state names are errors,
# longer types are cut, longer URLs dropped.
ID_CHARS = 200
STATE_CHARS = 200
TYPE_CHARS = 100
URL_CHARS = 2000

_TAG_SEPARATORS = re.compile(r"[|;]")


def id_error(external_id: str) -> str | None:
    """Why `external_id` (already stripped) cannot name an item, or None."""
    if not external_id:
        return "The item id is empty."
    if len(external_id) > ID_CHARS:
        return f"The item id is longer than {ID_CHARS} characters."
    return None


def state_error(state: str) -> str | None:
    """Why `state` (already stripped) cannot name a state, or None."""
    if not state:
        return "The state is empty."
    if len(state) > STATE_CHARS:
        return f"The state name is longer than {STATE_CHARS} characters."
    return None


def split_tags(text: str) -> list[str]:
    """Tags of one cell, separated by `|` or `;` (`Risk; Debt`, `ui|backend`)."""
    return [tag for tag in (part.strip() for part in _TAG_SEPARATORS.split(text)) if tag]


def unique(tags: Iterable[str]) -> tuple[str, ...]:
    """Non-empty tags, stripped, each once, in their first order."""
    return tuple(dict.fromkeys(tag.strip() for tag in tags if tag and tag.strip()))


class Attributes:
    """Cleans titles, URLs and types for one file, counting what it changed; `close` yields
    one warning per kind of change (with the first line it happened on)."""

    def __init__(self) -> None:
        self._titles = Once(
            lambda count: f"{_count(count, 'title')} longer than {TITLE_CHARS} characters "
            f"{_were(count)} cut to {TITLE_CHARS}."
        )
        self._urls = Once(
            lambda count: f"{_count(count, 'link')} that {_were(count)} not http(s) "
            f"(or longer than {URL_CHARS} characters) {_were(count)} dropped."
        )
        self._types = Once(
            lambda count: f"{_count(count, 'type name')} longer than {TYPE_CHARS} characters "
            f"{_were(count)} cut."
        )

    def title(self, text: str, line: int | None) -> str:
        """The title stripped, its line breaks as `\\n`, cut to TITLE_CHARS."""
        text = text.strip().replace("\r\n", "\n").replace("\r", "\n")
        if len(text) > TITLE_CHARS:
            self._titles.add(line)
            return text[:TITLE_CHARS]
        return text

    def url(self, text: str, line: int | None) -> str:
        text = text.strip()
        if not text:
            return ""
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.netloc
            or len(text) > URL_CHARS
            or any(char.isspace() for char in text)
        ):
            self._urls.add(line)
            return ""
        return text

    def tracker_type(self, text: str, line: int | None) -> str:
        text = text.strip()
        if len(text) > TYPE_CHARS:
            self._types.add(line)
            return text[:TYPE_CHARS]
        return text

    def close(self) -> Iterator[Problem]:
        for once in (self._titles, self._urls, self._types):
            yield from once.close()


def _count(count: int, noun: str) -> str:
    return f"1 {noun}" if count == 1 else f"{count:,} {noun}s"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"
