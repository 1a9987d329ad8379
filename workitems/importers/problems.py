"""How importers report problems: fatal ones as they are met (at most MAX_FATAL, after which
reading stops), warnings counted per kind and reported together at the end of the file."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterator

from workitems.importers.rows import Opener, Problem, Row

MAX_FATAL = 50  # the service shows this many; reading on would only find more
WARNING_LINES = 10  # per kind, warnings reported one by one before they are only counted


class Stop(Exception):
    """Reading cannot go on (the file is cut, not text, too long…): `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def limited(
    parse: Callable[[Opener], Generator[Row, None, None]],
) -> Callable[[Opener], Iterator[Row]]:
    """Wraps a parser with the contract every importer keeps: once a fatal problem is yielded
    only problems follow (nothing of the file is imported anyway), reading stops after
    MAX_FATAL of them, and a Stop raised inside ends the rows with its problem."""

    @functools.wraps(parse)
    def wrapper(opener: Opener) -> Iterator[Row]:
        fatal = 0
        rows = parse(opener)
        try:
            for row in rows:
                if isinstance(row, Problem):
                    yield row
                    if row.fatal:
                        fatal += 1
                        if fatal >= MAX_FATAL:
                            return
                elif not fatal:
                    yield row
        except Stop as stop:
            yield stop.problem
        finally:
            rows.close()

    return wrapper


class Tally:
    """Warnings of one kind: the first WARNING_LINES one by one (with their lines), then a
    count. `line_message` builds one warning, `summary` the closing count of the rest."""

    def __init__(self, line_message: Callable[[str], str], summary: Callable[[int], str]) -> None:
        self._line_message = line_message
        self._summary = summary
        self.count = 0

    def add(self, line: int | None, detail: str = "") -> Iterator[Problem]:
        """Counts one occurrence; yields its warning while there have been few."""
        self.count += 1
        if self.count <= WARNING_LINES:
            yield Problem(self._line_message(detail), line, fatal=False)

    def close(self) -> Iterator[Problem]:
        """The count of the occurrences not reported one by one, if any."""
        if self.count > WARNING_LINES:
            yield Problem(self._summary(self.count - WARNING_LINES), None, fatal=False)


class Once:
    """A warning given once per file, counting how often its cause occurred (e.g. titles
    cut). It is reported at the end, with the line of the first occurrence."""

    def __init__(self, message: Callable[[int], str]) -> None:
        self._message = message
        self.count = 0
        self.first_line: int | None = None

    def add(self, line: int | None) -> None:
        if not self.count:
            self.first_line = line
        self.count += 1

    def close(self) -> Iterator[Problem]:
        if self.count:
            yield Problem(self._message(self.count), self.first_line, fatal=False)
