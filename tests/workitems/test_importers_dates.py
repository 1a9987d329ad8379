"""Dates as trackers write them (the importers' shared module)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workitems.importers.dates import DateError, DateOrder, NeedsOrder, parse, parse_iso


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-12", at(2024, 3, 12)),
        ("2024-03-12T09:41", at(2024, 3, 12, 9, 41)),
        ("2024-03-12 10:00:00+00:00", at(2024, 3, 12, 10)),
        ("2024-03-12T09:41:00Z", at(2024, 3, 12, 9, 41)),
        ("2024-03-12T09:41:00.1234567Z", datetime(2024, 3, 12, 9, 41, 0, 123456, tzinfo=UTC)),
        ("2024-03-12T09:41:00.000+0100", at(2024, 3, 12, 8, 41)),
        ("2024-03-12T01:00:00-08:00", at(2024, 3, 12, 9)),
        ("  2024-03-12  ", at(2024, 3, 12)),
    ],
)
def test_iso_dates_become_aware_utc(text: str, expected: datetime) -> None:
    assert parse(text) == expected == parse_iso(text)
    assert parse(text).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/Mar/24 9:41 AM", at(2024, 3, 12, 9, 41)),
        ("14/Jul/25 3:42 PM", at(2025, 7, 14, 15, 42)),
        ("1/Dec/24 12:05 AM", at(2024, 12, 1, 0, 5)),
        ("12 March 2024", at(2024, 3, 12)),
        ("Mar 12, 2024 9:41 PM", at(2024, 3, 12, 21, 41)),
        ("2024/03/12 14:05", at(2024, 3, 12, 14, 5)),
    ],
)
def test_dates_with_month_names_or_year_first_need_no_order(text: str, expected: datetime) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("03/04/2024", True, at(2024, 4, 3)),
        ("03/04/2024", False, at(2024, 3, 4)),
        ("03.04.2024 14:05", True, at(2024, 4, 3, 14, 5)),
        ("4/15/2024 4:45:00 PM", False, at(2024, 4, 15, 16, 45)),
        ("03-04-2024", True, at(2024, 4, 3)),
    ],
)
def test_numeric_dates_follow_the_settled_order(
    text: str, day_first: bool, expected: datetime
) -> None:
    assert parse(text, day_first) == expected


@pytest.mark.parametrize(
    "text", ["tomorrow", "2024-13-01", "2024-02-30", "31/31/2024", "13:00", "", "=NOW()"]
)
def test_other_text_is_a_date_error(text: str) -> None:
    with pytest.raises(DateError):
        parse(text, True)


def test_ambiguous_numeric_date_without_an_order_is_an_error_with_advice() -> None:
    with pytest.raises(DateError, match="could be 3 April or 4 March; export ISO 8601"):
        parse("03/04/2024")


def test_order_from_a_first_number_over_12_is_day_first() -> None:
    order = DateOrder()
    for text in ("03/04/2024", "13/04/2024", "2024-01-01"):
        order.observe(text, 2, "Done")
    assert order.settle() is None and order.settled is True


def test_order_from_a_second_number_over_12_is_month_first() -> None:
    order = DateOrder()
    for text in ("03/04/2024", "04/13/2024 1:00:00 PM"):
        order.observe(text, 2, "Done")
    assert order.settle() is None and order.settled is False


def test_order_with_evidence_both_ways_is_an_error() -> None:
    order = DateOrder()
    order.observe("13/04/2024", 2, "Todo")
    order.observe("04/13/2024", 7, "Done")
    message, line = order.settle()  # type: ignore[misc]
    assert line == 7
    assert message == (
        'The dates mix day-first (line 2, column "Todo": "13/04/2024") and month-first '
        '(line 7, column "Done": "04/13/2024") numbers; export ISO 8601 (2024-04-03) instead.'
    )


def test_order_with_only_ambiguous_cells_is_an_error() -> None:
    order = DateOrder()
    order.observe("03/04/2024", 5, "Done")
    assert order.settle() == (
        'Column "Done": "03/04/2024": dates like 03/04/2024 could be 3 April or 4 March; '
        "export ISO 8601 (2024-04-03).",
        5,
    )


def test_cells_that_read_the_same_both_ways_need_no_order() -> None:
    order = DateOrder()
    assert order.parse("03/03/2024", 2, "Done") == at(2024, 3, 3)
    assert order.settle() is None


def test_parsing_before_settling_asks_for_the_order_on_an_ambiguous_cell() -> None:
    order = DateOrder()
    assert order.parse("25/04/2024", 2, "Done") == at(2024, 4, 25)
    with pytest.raises(NeedsOrder):
        order.parse("03/04/2024", 3, "Done")
