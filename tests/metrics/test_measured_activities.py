"""Unit tests for the map against measured flow (metrics.measured.map_against_measured) on
hand-computed histories.

The map: Analysis, then Development or Docs (two branches at step 2), then Test, then Release
(no tracker state maps to it). Histories run in March 2024 with whole-day transitions and,
unless a test says otherwise, one working second per calendar second, so every figure is a
number of days times DAY; docs/flow-metrics.md uses the same examples.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from metrics.flow import ActivityFacts
from metrics.measured import History, StateFacts, map_against_measured, measured_flow

DAY = 86_400.0
STATES = (
    StateFacts("Backlog", 0, "new"),
    StateFacts("Ready", 1, "waiting"),
    StateFacts("Analysing", 2, "active"),
    StateFacts("To Dev", 3, "waiting"),
    StateFacts("In Dev", 4, "active"),
    StateFacts("Code Review", 5, "active"),
    StateFacts("Blocked", 6, "waiting"),
    StateFacts("Writing Docs", 7, "active"),
    StateFacts("Testing", 8, "active"),
    StateFacts("Done", 9, "done"),
    StateFacts("Canceled", 10, "canceled"),
    StateFacts("Parked", 11, "ignore"),
)
(
    BACKLOG,
    READY,
    ANALYSING,
    TO_DEV,
    IN_DEV,
    CODE_REVIEW,
    BLOCKED,
    WRITING_DOCS,
    TESTING,
    DONE,
    CANCELED,
    PARKED,
) = range(len(STATES))
ANALYSIS, DEVELOPMENT, DOCS, TEST, RELEASE = 10, 20, 25, 30, 40
ACTIVITIES = (
    ActivityFacts(RELEASE, 4, "Release", "ops", 0.5 * DAY, 0.5 * DAY, 99),
    ActivityFacts(TEST, 3, "Test", "qa", 1 * DAY, 2 * DAY, 70),
    ActivityFacts(DOCS, 2, "Docs", "dev", 1 * DAY, 0.0, 100),
    ActivityFacts(DEVELOPMENT, 2, "Development", "dev", 3 * DAY, 1 * DAY, 80),
    ActivityFacts(ANALYSIS, 1, "Analysis", "product", 1 * DAY, 1 * DAY, 90),
)
LINKS = (
    (ANALYSIS, DEVELOPMENT),
    (ANALYSIS, DOCS),
    (DEVELOPMENT, TEST),
    (DOCS, TEST),
    (TEST, RELEASE),
)
ESTIMATED_LEAD_TIME = 10 * DAY  # Analysis 2 + Development 4 (not Docs 1) + Test 3 + Release 1
STATE_ACTIVITY = {
    READY: ANALYSIS,
    ANALYSING: ANALYSIS,
    TO_DEV: DEVELOPMENT,
    IN_DEV: DEVELOPMENT,
    CODE_REVIEW: DEVELOPMENT,
    WRITING_DOCS: DOCS,
    TESTING: TEST,
}
WORKING_WEEK = 5 * 8 * 3600  # seconds of working time in a map week ("1w")
CALENDAR_WEEK = 7 * 24 * 3600

Moves = list[tuple[int, datetime]]


def at(day: int, hour: int = 0, *, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


def history(*stories: Moves) -> History:
    """One item per story, external ids W-1, W-2, ..."""
    return History.from_rows(
        items=[
            (f"W-{number}", f"Item {number}", "feature") for number in range(1, len(stories) + 1)
        ],
        states=STATES,
        transitions=[
            (index, state, moment) for index, moves in enumerate(stories) for state, moment in moves
        ],
    )


def compare(work: History, **options: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "activities": ACTIVITIES,
        "links": LINKS,
        "state_activity": STATE_ACTIVITY,
        "start": date(2024, 3, 1),
        "end": date(2024, 3, 31),
        "as_of": at(31, 12),
        "working_seconds_per_calendar_second": 1.0,
    }
    return map_against_measured(work, **(arguments | options))


def measured(payload: dict[str, Any], activity_id: int) -> Any:
    """The activity's measured figures (None when no waiting or active state maps to it)."""
    (row,) = (row for row in payload["activities"] if row["id"] == activity_id)
    return row["measured"]


def pca(payload: dict[str, Any]) -> dict[int, float | None]:
    return {
        row["id"]: row["measured"]["pca"]
        for row in payload["activities"]
        if row["measured"] is not None
    }


def straight(first_day: int = 1) -> Moves:
    """Analysis, Development and Test, one day in each state: Ready, Analysing, To Dev, In Dev,
    Testing, then Done on day first_day + 5."""
    states = (READY, ANALYSING, TO_DEV, IN_DEV, TESTING, DONE)
    return [(state, at(first_day + offset)) for offset, state in enumerate(states)]


# --- times ------------------------------------------------------------------------------


def test_times_in_several_states_of_an_activity_add_up_per_item_before_the_median():
    work = history(
        [
            (READY, at(1)),
            (ANALYSING, at(2)),
            (TO_DEV, at(3)),
            (IN_DEV, at(4)),
            (CODE_REVIEW, at(6)),
            (IN_DEV, at(7)),
            (TESTING, at(8)),
            (DONE, at(9)),
        ],
        [
            (READY, at(1)),
            (ANALYSING, at(2)),
            (TO_DEV, at(4)),
            (IN_DEV, at(5)),
            (TESTING, at(6)),
            (DONE, at(7)),
        ],
        [
            (READY, at(1)),
            (ANALYSING, at(1, 12)),
            (TO_DEV, at(2)),
            (IN_DEV, at(2)),
            (CODE_REVIEW, at(10)),
            (TESTING, at(12)),
            (DONE, at(13)),
        ],
    )

    payload = compare(work)

    assert payload["items_done"] == 3
    # Development per item: process 2 + 1 + 1 = 4, 1, 8 + 2 = 10; wait 1, 1, 0.
    assert measured(payload, DEVELOPMENT) == {
        "items": 3,
        "process_time": 4 * DAY,
        "wait_time": 1 * DAY,
        "process_time_p85": pytest.approx((4 + 0.7 * 6) * DAY),  # between 4 and 10
        "wait_time_p85": 1 * DAY,
        "pca": 100.0,
    }
    # Analysis per item: process 1, 2, 0.5; wait 1, 1, 0.5.
    analysis = measured(payload, ANALYSIS)
    assert (analysis["process_time"], analysis["wait_time"]) == (1 * DAY, 1 * DAY)


def test_an_item_that_skips_an_activity_is_not_counted_in_its_items():
    skips_development = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (WRITING_DOCS, at(3)),
        (TESTING, at(5)),
        (DONE, at(6)),
    ]
    work = history(straight(), skips_development)

    payload = compare(work)

    development, docs = measured(payload, DEVELOPMENT), measured(payload, DOCS)
    assert (development["items"], development["process_time"], development["wait_time"]) == (
        1,
        1 * DAY,
        1 * DAY,
    )
    # Docs has only an active state: its wait time is not measured.
    assert (docs["items"], docs["process_time"], docs["wait_time"]) == (1, 2 * DAY, None)
    assert measured(payload, TEST)["items"] == 2


def test_an_item_that_passes_an_activitys_state_at_one_instant_entered_it_with_no_time():
    work = history(
        [(READY, at(1)), (ANALYSING, at(2)), (IN_DEV, at(3)), (TESTING, at(3)), (DONE, at(4))]
    )

    development = measured(compare(work), DEVELOPMENT)

    assert (development["items"], development["process_time"], development["pca"]) == (
        1,
        0.0,
        100.0,
    )


def test_time_in_an_ignored_state_stays_with_the_state_before_it():
    work = history(
        [(READY, at(1)), (ANALYSING, at(2)), (PARKED, at(3)), (TESTING, at(5)), (DONE, at(6))]
    )

    analysis = measured(compare(work), ANALYSIS)

    assert analysis["process_time"] == 3 * DAY


def test_a_reopened_item_counts_once_with_the_time_of_every_run():
    work = history(
        [
            (READY, at(1)),
            (ANALYSING, at(2)),
            (IN_DEV, at(3)),
            (TESTING, at(4)),
            (DONE, at(5)),
            (IN_DEV, at(6)),
            (TESTING, at(7)),
            (DONE, at(8)),
        ]
    )

    payload = compare(work)

    assert payload["items_done"] == 1
    # Two runs of one day in each; the day in Done between them is neither.
    assert measured(payload, DEVELOPMENT)["process_time"] == 2 * DAY
    assert measured(payload, TEST)["process_time"] == 2 * DAY
    assert payload["flow_time_median"] == 7 * DAY  # from the first start to the last done
    assert payload["coverage"] == {"mapped_share": 1.0, "unmapped_states": []}
    # The reopening goes back into Development: rework of it and of Test, after it.
    assert pca(payload) == {ANALYSIS: 100.0, DEVELOPMENT: 0.0, DOCS: None, TEST: 0.0}


def test_only_items_done_in_the_window_count():
    work = history(
        straight(first_day=1),  # done on 6 March, before the window
        straight(first_day=10),  # done on 15 March
        [(READY, at(10)), (ANALYSING, at(11)), (IN_DEV, at(12))],  # still in progress
        [(READY, at(10)), (ANALYSING, at(11)), (CANCELED, at(12))],
        [(READY, at(10)), (ANALYSING, at(20)), (DONE, at(31, 18))],  # done after as_of
    )

    payload = compare(work, start=date(2024, 3, 8))

    assert payload["items_done"] == 1
    assert [row["measured"]["items"] for row in payload["activities"] if row["measured"]] == [
        1,
        1,
        0,
        1,
    ]
    assert measured(payload, ANALYSIS)["process_time"] == 1 * DAY
    assert payload["flow_time_median"] == 5 * DAY


def test_calendar_time_is_converted_to_working_time_like_the_estimates():
    work = history([(TO_DEV, at(1)), (IN_DEV, at(8)), (TESTING, at(9)), (DONE, at(10))])

    payload = compare(work, working_seconds_per_calendar_second=WORKING_WEEK / CALENDAR_WEEK)

    development = measured(payload, DEVELOPMENT)
    assert development["wait_time"] == pytest.approx(WORKING_WEEK)  # a calendar week is "1w"
    assert development["process_time"] == pytest.approx(WORKING_WEEK / 7)  # a seventh of "1w"
    assert payload["flow_time_median"] == pytest.approx(
        9 * 24 * 3600 * WORKING_WEEK / CALENDAR_WEEK
    )
    assert payload["coverage"]["mapped_share"] == 1.0  # shares have no unit


# --- %C&A --------------------------------------------------------------------------------


def test_an_activity_an_item_is_sent_back_from_keeps_its_pca():
    sent_back_from_development = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (ANALYSING, at(4)),
        (IN_DEV, at(5)),
        (TESTING, at(6)),
        (DONE, at(7)),
    ]

    payload = compare(history(sent_back_from_development, straight()))

    # Analysis's work came back to it; Development first left forward on 6 March, for good.
    assert pca(payload) == {ANALYSIS: 50.0, DEVELOPMENT: 100.0, DOCS: None, TEST: 100.0}


def test_a_move_back_into_an_activity_is_rework_of_it_and_not_of_those_before_it():
    sent_back_to_development = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (TESTING, at(4)),
        (IN_DEV, at(5)),
        (TESTING, at(6)),
        (DONE, at(7)),
    ]

    payload = compare(history(sent_back_to_development, straight()))

    assert pca(payload) == {ANALYSIS: 100.0, DEVELOPMENT: 50.0, DOCS: None, TEST: 100.0}


def test_a_move_back_before_an_activity_is_rework_of_every_activity_it_had_left():
    sent_back_to_analysis = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (TESTING, at(4)),
        (READY, at(5)),
        (ANALYSING, at(6)),
        (IN_DEV, at(7)),
        (TESTING, at(8)),
        (DONE, at(9)),
    ]
    restarted_at_development = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (TESTING, at(4)),
        (BACKLOG, at(5)),
        (IN_DEV, at(6)),
        (TESTING, at(7)),
        (DONE, at(8)),
    ]

    assert pca(compare(history(sent_back_to_analysis))) == {
        ANALYSIS: 0.0,
        DEVELOPMENT: 0.0,
        DOCS: None,
        TEST: 100.0,
    }
    # new is before every activity: going back to the backlog is rework of all three, even
    # though the item never re-entered Analysis.
    assert pca(compare(history(restarted_at_development))) == {
        ANALYSIS: 0.0,
        DEVELOPMENT: 0.0,
        DOCS: None,
        TEST: 100.0,
    }


def test_an_item_sent_back_past_an_activity_is_not_counted_as_leaving_it_forward():
    sent_from_development_to_the_backlog = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (BACKLOG, at(4)),
        (READY, at(5)),
        (ANALYSING, at(6)),
        (WRITING_DOCS, at(7)),
        (TESTING, at(8)),
        (DONE, at(9)),
    ]

    payload = compare(history(sent_from_development_to_the_backlog, straight()))

    # Development was only ever left backward by the first item: only straight() counts.
    assert pca(payload) == {ANALYSIS: 50.0, DEVELOPMENT: 100.0, DOCS: 100.0, TEST: 100.0}


def test_an_unmapped_state_is_no_move_between_activities():
    blocked_in_development = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (BLOCKED, at(4)),
        (IN_DEV, at(5)),
        (TESTING, at(6)),
        (DONE, at(7)),
    ]

    payload = compare(history(blocked_in_development))

    assert pca(payload) == {ANALYSIS: 100.0, DEVELOPMENT: 100.0, DOCS: None, TEST: 100.0}
    assert measured(payload, DEVELOPMENT)["process_time"] == 2 * DAY


def test_moves_between_activities_of_one_step_are_forward_and_only_a_return_is_rework():
    development_then_docs = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (WRITING_DOCS, at(4)),
        (TESTING, at(5)),
        (DONE, at(6)),
    ]
    docs_development_docs = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (WRITING_DOCS, at(3)),
        (IN_DEV, at(4)),
        (WRITING_DOCS, at(5)),
        (TESTING, at(6)),
        (DONE, at(7)),
    ]

    assert pca(compare(history(development_then_docs)))[DEVELOPMENT] == 100.0
    assert pca(compare(history(docs_development_docs))) == {
        ANALYSIS: 100.0,
        DEVELOPMENT: 100.0,
        DOCS: 0.0,
        TEST: 100.0,
    }


# --- the map's lead time, coverage, surprises ---------------------------------------------


def test_the_measured_lead_time_takes_the_longer_branch_on_measured_figures():
    long_docs = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (WRITING_DOCS, at(3)),
        (TESTING, at(13)),
        (DONE, at(14)),
    ]

    payload = compare(history(long_docs, straight()))

    # Analysis 1 + 1, Docs 10 + its estimated wait 0 (Development only 1 + 1), Test 1 + its
    # estimated wait 2 (neither has a waiting state), Release estimated 1.
    assert payload["lead_time"] == {
        "estimate": ESTIMATED_LEAD_TIME,
        "measured": 16 * DAY,
        "estimated_activities": 1,
    }


def test_activities_without_measured_figures_keep_their_estimates_and_are_counted():
    payload = compare(history(straight()))

    assert measured(payload, RELEASE) is None  # no state maps to it
    assert measured(payload, DOCS) == {  # states map to it, but no done item entered them
        "items": 0,
        "process_time": None,
        "wait_time": None,
        "process_time_p85": None,
        "wait_time_p85": None,
        "pca": None,
    }
    # Analysis 2, Development 2 (Docs estimated 1), Test 1 + its estimated wait 2, Release
    # estimated 1. Test is measured in part, so not counted among the estimated activities.
    assert payload["lead_time"] == {
        "estimate": ESTIMATED_LEAD_TIME,
        "measured": 8 * DAY,
        "estimated_activities": 2,
    }


def test_only_active_states_mean_no_measured_wait_time_and_the_lead_time_keeps_its_estimated_wait():
    # Testing is Test's only state, and active: the tracker cannot see Test's wait (estimated
    # 2 days), so it is not measured as 0 and the measured lead time keeps the estimate.
    payload = compare(history(straight(), straight(first_day=2)))

    assert measured(payload, TEST) == {
        "items": 2,
        "process_time": 1 * DAY,
        "wait_time": None,
        "process_time_p85": 1 * DAY,
        "wait_time_p85": None,
        "pca": 100.0,
    }
    # Analysis 1 + 1, Development 1 + 1, Test 1 + 2 estimated (not 1 + 0), Release estimated 1.
    assert payload["lead_time"] == {
        "estimate": ESTIMATED_LEAD_TIME,
        "measured": 8 * DAY,
        "estimated_activities": 2,
    }


def test_coverage_shares_the_time_in_waiting_and_active_states_by_mapping():
    blocked = [
        (READY, at(1)),
        (ANALYSING, at(2)),
        (IN_DEV, at(3)),
        (BLOCKED, at(4)),
        (IN_DEV, at(6)),
        (TESTING, at(7)),
        (DONE, at(8)),
    ]

    payload = compare(history(blocked, straight()))

    # 7 days of waiting and active time, 2 of them Blocked, then 5 in straight().
    assert payload["coverage"]["mapped_share"] == pytest.approx(10 / 12)
    assert payload["coverage"]["unmapped_states"] == [
        {"name": "Blocked", "share": pytest.approx(2 / 12)}
    ]


def test_unmapped_states_are_largest_first_and_mapped_share_is_what_remains():
    work = history(
        straight(), [(READY, at(1)), (ANALYSING, at(2)), (TESTING, at(4)), (DONE, at(5))]
    )

    payload = compare(work, state_activity={READY: ANALYSIS, TESTING: TEST})

    # Time: Ready 2, Analysing 1 + 2, To Dev 1, In Dev 1, Testing 2 of 9 days.
    assert payload["coverage"] == {
        "mapped_share": pytest.approx(4 / 9),
        "unmapped_states": [
            {"name": "Analysing", "share": pytest.approx(3 / 9)},
            {"name": "To Dev", "share": pytest.approx(1 / 9)},  # ties by workflow order
            {"name": "In Dev", "share": pytest.approx(1 / 9)},
        ],
    }


def test_surprises_are_activities_with_a_measured_wait_time_by_its_gap_to_the_estimate():
    work = history(
        [
            (READY, at(1)),
            (ANALYSING, at(5)),
            (TO_DEV, at(6)),
            (IN_DEV, at(6)),
            (TESTING, at(7)),
            (DONE, at(8)),
        ]
    )

    payload = compare(work)

    # Wait measured - estimated: Analysis 4 - 1, Development 0 - 1 (To Dev left at once).
    # Test has no waiting state, so no measured wait to hold against its estimate of 2; Docs
    # and Release have no measured figures.
    assert payload["surprises"] == [ANALYSIS, DEVELOPMENT]


def test_activities_are_listed_by_step_then_id_with_their_estimates():
    payload = compare(history())

    assert [row["id"] for row in payload["activities"]] == [
        ANALYSIS,
        DEVELOPMENT,
        DOCS,
        TEST,
        RELEASE,
    ]
    assert payload["activities"][0] == {
        "id": ANALYSIS,
        "title": "Analysis",
        "estimate": {"process_time": 1 * DAY, "wait_time": 1 * DAY, "pca": 90.0},
        "measured": {
            "items": 0,
            "process_time": None,
            "wait_time": None,
            "process_time_p85": None,
            "wait_time_p85": None,
            "pca": None,
        },
    }


def test_an_empty_window_gives_nulls_and_the_estimated_lead_time():
    payload = compare(history(straight()), start=date(2024, 3, 20), end=date(2024, 3, 25))

    assert payload["items_done"] == 0
    assert all(
        row["measured"] is None or row["measured"]["items"] == 0 for row in payload["activities"]
    )
    assert payload["lead_time"] == {
        "estimate": ESTIMATED_LEAD_TIME,
        "measured": ESTIMATED_LEAD_TIME,
        "estimated_activities": 5,
    }
    assert payload["flow_time_median"] is None
    assert payload["coverage"] == {"mapped_share": None, "unmapped_states": []}
    assert payload["surprises"] == []


def test_a_map_without_activities_and_a_history_without_items_give_an_empty_comparison():
    payload = compare(history(), activities=(), links=(), state_activity={})

    assert payload["activities"] == [] and payload["surprises"] == []
    assert payload["lead_time"] == {"estimate": 0.0, "measured": 0.0, "estimated_activities": 0}


def test_mappings_of_states_that_are_not_waiting_or_active_are_disregarded():
    work = history([(BACKLOG, at(1))] + straight(2), [(BACKLOG, at(1)), (DONE, at(2))])
    extra = {BACKLOG: ANALYSIS, DONE: RELEASE, CANCELED: RELEASE, PARKED: TEST}

    payload = compare(work, state_activity=STATE_ACTIVITY | extra)

    assert payload == compare(work)
    assert measured(payload, RELEASE) is None
    # Parked (ignore) on Test is no waiting state: Test's wait time stays unmeasured.
    assert measured(payload, TEST)["wait_time"] is None


def test_items_done_and_the_flow_time_median_are_measured_flows():
    work = history(
        straight(1),
        straight(3),
        [(READY, at(2, 6)), (TESTING, at(4)), (DONE, at(9, 18))],
        [(BACKLOG, at(1)), (DONE, at(4))],  # done without starting: no flow time
    )
    flow = measured_flow(work, start=date(2024, 3, 1), end=date(2024, 3, 31), as_of=at(31, 12))

    payload = compare(work)

    assert payload["items_done"] == flow["velocity"]["total"] == 4
    assert payload["flow_time_median"] == pytest.approx(flow["flow_time"]["p50_days"] * DAY)


def test_the_window_is_echoed_clipped_to_as_of_and_the_payload_is_plain_json():
    as_of = datetime(2024, 3, 12, 1, tzinfo=timezone(timedelta(hours=2)))

    payload = compare(history(straight(), straight(2)), end=date(2024, 4, 30), as_of=as_of)

    assert payload["window"] == {
        "start": "2024-03-01",
        "end": "2024-03-11",
        "as_of": "2024-03-12T01:00:00+02:00",
    }
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert set(payload) == {
        "window",
        "items_done",
        "activities",
        "lead_time",
        "flow_time_median",
        "coverage",
        "surprises",
    }


# --- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"state_activity": {99: ANALYSIS}}, "not an index into states"),
        ({"state_activity": {READY: 999}}, "not on the map"),
        ({"working_seconds_per_calendar_second": 0.0}, "finite number above 0"),
        ({"working_seconds_per_calendar_second": float("nan")}, "finite number above 0"),
        ({"activities": ACTIVITIES + ACTIVITIES[:1]}, "unique"),
        ({"start": date(2024, 3, 5), "end": date(2024, 3, 4)}, "start must not be after its end"),
        ({"as_of": datetime(2024, 3, 31, 12)}, "aware datetime"),
    ],
)
def test_invalid_arguments_raise_value_error_with_a_sentence(options, message):
    with pytest.raises(ValueError, match=message):
        compare(history(straight()), **options)
