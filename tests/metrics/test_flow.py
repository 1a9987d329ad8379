"""Unit tests for the pure flow metrics (metrics.flow)."""

from __future__ import annotations

import json
import math

import pytest

from metrics.flow import ActivityFacts, WasteFacts, flow_deltas, flow_summary


def activity(
    id: int,
    *,
    order: int | None = None,
    process: float = 0.0,
    wait: float = 0.0,
    pca: float = 100.0,
    team: str = "",
    low: float | None = None,
    high: float | None = None,
) -> ActivityFacts:
    return ActivityFacts(
        id=id,
        order=id if order is None else order,
        title=f"Step {id}",
        team=team,
        process_time=process,
        wait_time=wait,
        pca=pca,
        lead_time_min=low,
        lead_time_max=high,
    )


def waste(
    id: int, *, votes: int, category: str = "waiting", activity_id: int | None = None
) -> WasteFacts:
    return WasteFacts(
        id=id, text=f"Waste {id}", category=category, votes=votes, activity_id=activity_id
    )


DIAMOND_LINKS = [(1, 2), (1, 3), (2, 4), (3, 4)]


def diamond(b_wait: float = 100.0, c_wait: float = 40.0) -> list[ActivityFacts]:
    return [
        activity(1, process=10, wait=5),
        activity(2, process=20, wait=b_wait),
        activity(3, process=30, wait=c_wait),
        activity(4, process=1, wait=2),
    ]


# --- lead time and the critical path ---------------------------------------------------


def test_chain_without_links_adds_every_activity_in_order_then_id_order():
    activities = [
        activity(3, order=2, process=1, wait=2),
        activity(1, order=1, process=10, wait=20),
        activity(2, order=1, process=100, wait=200),
    ]

    summary = flow_summary(activities, [])

    assert summary["critical_path"] == [1, 2, 3]
    assert summary["lead_time"] == 333.0
    assert summary["process_time"] == 111.0
    assert summary["wait_time"] == 222.0


def test_diamond_lead_time_takes_the_longer_branch_and_never_adds_both():
    summary = flow_summary(diamond(b_wait=100, c_wait=40), DIAMOND_LINKS)

    assert summary["critical_path"] == [1, 2, 4]
    assert summary["lead_time"] == 15 + 120 + 3
    assert summary["process_time"] == 10 + 20 + 1
    assert summary["wait_time"] == 5 + 100 + 2


def test_equal_length_branches_prefer_the_branch_first_in_order_then_id():
    # B (id 2) and C (id 3) are both 100 s long; C comes first in flow order.
    activities = [
        activity(1, process=1),
        activity(2, order=9, process=100),
        activity(3, order=5, process=100),
        activity(4, order=10, process=1),
    ]

    summary = flow_summary(activities, DIAMOND_LINKS)

    assert summary["critical_path"] == [1, 3, 4]
    assert summary["lead_time"] == 102.0


def test_equal_length_paths_with_different_starts_prefer_the_earlier_start():
    activities = [activity(1, process=5), activity(2, process=5), activity(3, process=10)]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["critical_path"] == [1, 2]
    assert summary["lead_time"] == 10.0


def test_empty_stream_has_zero_figures_and_full_rolled_pca():
    summary = flow_summary([], [])

    assert summary["lead_time"] == 0.0
    assert summary["process_time"] == 0.0
    assert summary["wait_time"] == 0.0
    assert summary["total_work"] == 0.0
    assert summary["flow_efficiency"] == 0.0
    assert summary["rolled_pca"] == 100.0
    assert summary["critical_path"] == []
    assert summary["bottleneck"] is None
    assert summary["by_team"] == []
    assert summary["steps"] == []
    assert summary["rework"] == {
        "expected_rework_time": 0.0,
        "lead_time_with_rework": 0.0,
        "loops": [],
    }
    assert summary["forecast"] is None
    assert summary["activity_count"] == 0
    assert summary["link_count"] == 0


def test_single_activity_is_the_whole_critical_path():
    summary = flow_summary([activity(7, process=30, wait=90, pca=80)], [])

    assert summary["critical_path"] == [7]
    assert summary["lead_time"] == 120.0
    assert summary["flow_efficiency"] == 0.25
    assert summary["rolled_pca"] == pytest.approx(80.0)
    assert summary["bottleneck"] == 7


def test_zero_times_give_zero_flow_efficiency():
    summary = flow_summary([activity(1), activity(2)], [(1, 2)])

    assert summary["lead_time"] == 0.0
    assert summary["flow_efficiency"] == 0.0


def test_flow_efficiency_is_process_time_over_lead_time():
    summary = flow_summary([activity(1, process=10, wait=30), activity(2, process=10)], [])

    assert summary["flow_efficiency"] == 20 / 50


def test_links_with_unknown_ends_are_ignored():
    activities = [activity(1, process=1), activity(2, process=2), activity(3, process=4)]

    summary = flow_summary(activities, [(1, 2), (2, 99), (98, 3)])

    assert summary["critical_path"] == [3]
    assert summary["lead_time"] == 4.0
    assert summary["link_count"] == 1


def test_stream_whose_links_are_all_unknown_flows_as_a_chain():
    activities = [activity(1, process=1), activity(2, process=2)]

    summary = flow_summary(activities, [(1, 99), (42, 43)])

    assert summary["critical_path"] == [1, 2]
    assert summary["link_count"] == 0


def test_duplicate_links_and_self_links_are_counted_once_and_ignored():
    activities = [activity(1, process=1), activity(2, process=2)]

    summary = flow_summary(activities, [(1, 2), (1, 2), (2, 2)])

    assert summary["link_count"] == 1
    assert summary["lead_time"] == 3.0


def test_isolated_activity_is_its_own_candidate_path_when_links_exist():
    activities = [activity(1, process=10), activity(2, process=10), activity(3, process=50)]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["critical_path"] == [3]
    assert summary["lead_time"] == 50.0


def test_isolated_activity_is_not_chained_when_links_exist():
    activities = [activity(1, process=10), activity(2, process=10), activity(3, process=5)]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["critical_path"] == [1, 2]
    assert summary["lead_time"] == 20.0


def test_cyclic_links_still_give_a_finite_deterministic_summary():
    activities = [activity(1, process=1), activity(2, process=2), activity(3, process=3)]
    links = [(1, 2), (2, 3), (3, 1)]

    summary = flow_summary(activities, links)

    assert summary == flow_summary(list(reversed(activities)), list(reversed(links)))
    assert summary["critical_path"] == [1, 2, 3]
    assert summary["lead_time"] == 6.0


def test_deep_chain_of_links_does_not_hit_the_recursion_limit():
    activities = [activity(index, process=1) for index in range(10_000)]
    links = [(index, index + 1) for index in range(9_999)]

    summary = flow_summary(activities, links)

    assert summary["lead_time"] == 10_000.0
    assert len(summary["critical_path"]) == 10_000


def test_duplicate_activity_ids_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        flow_summary([activity(1), activity(1, order=2)], [])


@pytest.mark.parametrize(
    "fields",
    [
        {"process_time": -1.0},
        {"wait_time": math.inf},
        {"process_time": math.nan},
        {"pca": 101.0},
        {"pca": -0.5},
        {"lead_time_min": 10.0, "lead_time_max": 5.0},
    ],
)
def test_activity_facts_reject_impossible_values(fields):
    values = {"id": 1, "order": 1, "title": "t", "team": "", "process_time": 1.0}
    values |= {"wait_time": 1.0, "pca": 50.0} | fields

    with pytest.raises(ValueError):
        ActivityFacts(**values)


# --- headline figures over all activities ---------------------------------------------------


def test_total_work_sums_process_time_over_all_activities_not_just_the_path():
    summary = flow_summary(diamond(), DIAMOND_LINKS)

    assert summary["total_work"] == 10 + 20 + 30 + 1


def test_rolled_pca_multiplies_every_activity_pca():
    activities = [activity(1, pca=50), activity(2, pca=80), activity(3, pca=90)]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["rolled_pca"] == pytest.approx(100 * 0.5 * 0.8 * 0.9)


def test_rolled_pca_is_zero_when_any_activity_has_zero_pca():
    summary = flow_summary([activity(1, pca=100), activity(2, pca=0)], [])

    assert summary["rolled_pca"] == 0.0


# --- bottleneck, teams, steps ---------------------------------------------------


def test_bottleneck_is_the_critical_path_activity_with_the_longest_wait():
    summary = flow_summary(diamond(b_wait=100, c_wait=40), DIAMOND_LINKS)

    assert summary["bottleneck"] == 2


def test_bottleneck_ignores_longer_waits_off_the_critical_path():
    activities = [activity(1, process=500, wait=10), activity(2, wait=60), activity(3, wait=400)]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["critical_path"] == [1, 2]
    assert summary["bottleneck"] == 2


def test_bottleneck_ties_go_to_the_first_activity_on_the_path():
    # Activity 2 comes first in (order, id) but second along the links.
    activities = [activity(1, wait=50), activity(2, wait=50, order=0), activity(3, wait=10)]

    summary = flow_summary(activities, [(1, 2), (2, 3)])

    assert summary["critical_path"] == [1, 2, 3]
    assert summary["bottleneck"] == 1


def test_by_team_sums_all_activities_sorted_by_wait_then_team_name():
    activities = [
        activity(1, team="ops", process=5, wait=100),
        activity(2, team="dev", process=7, wait=60),
        activity(3, team="dev", process=3, wait=40),
        activity(4, team="", process=1, wait=1),
        activity(5, team="qa", process=2, wait=100),
    ]

    summary = flow_summary(activities, [(1, 2)])

    assert summary["by_team"] == [
        {"team": "dev", "process_time": 10.0, "wait_time": 100.0, "activities": 2},
        {"team": "ops", "process_time": 5.0, "wait_time": 100.0, "activities": 1},
        {"team": "qa", "process_time": 2.0, "wait_time": 100.0, "activities": 1},
        {"team": "", "process_time": 1.0, "wait_time": 1.0, "activities": 1},
    ]


def test_steps_describe_the_critical_path_in_order():
    activities = [
        activity(2, process=3, wait=4, pca=90, team="dev"),
        activity(1, process=1, wait=2, pca=95, team="ops"),
    ]

    summary = flow_summary(activities, [])

    assert summary["steps"] == [
        {
            "id": 1,
            "title": "Step 1",
            "team": "ops",
            "process_time": 1.0,
            "wait_time": 2.0,
            "pca": 95.0,
        },
        {
            "id": 2,
            "title": "Step 2",
            "team": "dev",
            "process_time": 3.0,
            "wait_time": 4.0,
            "pca": 90.0,
        },
    ]


# --- wastes ---------------------------------------------------


def test_wastes_are_counted_by_category():
    wastes = [waste(1, votes=0), waste(2, votes=1, category="defects"), waste(3, votes=2)]

    summary = flow_summary([], [], wastes)

    assert summary["wastes"]["by_category"] == {"defects": 1, "waiting": 2}


def test_top_wastes_rank_by_votes_then_id_and_keep_n():
    wastes = [
        waste(5, votes=3),
        waste(2, votes=3),
        waste(9, votes=7, activity_id=1),
        waste(1, votes=0),
    ]

    summary = flow_summary([activity(1)], [], wastes, top_wastes=3)

    assert [row["id"] for row in summary["wastes"]["top"]] == [9, 2, 5]
    assert summary["wastes"]["top"][0] == {
        "id": 9,
        "text": "Waste 9",
        "category": "waiting",
        "votes": 7,
        "activity_id": 1,
    }


# --- rework ---------------------------------------------------


def test_rework_expects_each_critical_step_redone_with_probability_one_minus_pca():
    activities = [
        activity(1, process=10, wait=90, pca=80),
        activity(2, process=50, wait=50, pca=50),
    ]
    off_path = activity(3, process=1, pca=0)

    summary = flow_summary([*activities, off_path], [(1, 2)])

    expected = 0.2 * 100 + 0.5 * 100
    assert summary["rework"]["expected_rework_time"] == pytest.approx(expected)
    assert summary["rework"]["lead_time_with_rework"] == pytest.approx(200 + expected)


# --- forecast ---------------------------------------------------


def test_forecast_is_absent_without_estimates():
    assert flow_summary(diamond(), DIAMOND_LINKS)["forecast"] is None


def test_forecast_needs_both_ends_of_an_estimate():
    activities = [activity(1, process=10, low=5), activity(2, process=10, high=50)]

    assert flow_summary(activities, [])["forecast"] is None


def test_forecast_percentiles_are_ordered_and_within_path_bounds():
    activities = [
        activity(1, process=10, wait=5, low=10, high=40),
        activity(2, process=20, wait=100, low=60, high=400),
        activity(3, process=30, wait=40, low=20, high=300),
        activity(4, process=1, wait=2),
    ]

    forecast = flow_summary(activities, DIAMOND_LINKS, simulations=500)["forecast"]

    lowest = max(10 + 60 + 3, 10 + 20 + 3)  # longest path with every step at its minimum
    highest = 40 + 400 + 3  # longest path with every step at its maximum
    assert forecast["runs"] == 500
    assert lowest <= forecast["p50"] <= forecast["p85"] <= forecast["p95"] <= highest


def test_forecast_with_point_estimates_equals_the_fixed_longest_path():
    activities = [activity(1, process=10, low=25, high=25), activity(2, process=5)]

    forecast = flow_summary(activities, [], simulations=50)["forecast"]

    assert forecast == {"runs": 50, "p50": 30.0, "p85": 30.0, "p95": 30.0}


def test_forecast_is_reproducible_for_a_seed_and_varies_with_it():
    activities = [
        activity(1, process=10, low=1, high=100),
        activity(2, process=10, low=1, high=100),
    ]

    first = flow_summary(activities, [], seed=7)["forecast"]

    assert first == flow_summary(activities, [], seed=7)["forecast"]
    assert first != flow_summary(activities, [], seed=8)["forecast"]


def test_forecast_mode_is_the_fixed_lead_time_clipped_into_the_estimate():
    # Fixed lead time 1000 s lies above the estimate: mode clips to max, skewing runs high.
    activities = [activity(1, process=1000, low=0, high=100)]

    forecast = flow_summary(activities, [], simulations=2000)["forecast"]

    assert forecast["p50"] > 50  # triangular(0, 100, mode=100) has median ~70.7


def test_summary_rejects_fewer_than_one_simulation():
    with pytest.raises(ValueError, match="simulations"):
        flow_summary([activity(1)], [], simulations=0)


# --- serialisation ---------------------------------------------------


def test_summary_round_trips_through_json_unchanged():
    activities = [*diamond(), activity(5, process=3, low=1, high=9, team="qa")]
    wastes = [waste(1, votes=2, activity_id=2)]

    summary = flow_summary(activities, DIAMOND_LINKS, wastes, simulations=100)

    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


# --- deltas ---------------------------------------------------


def test_deltas_report_change_and_percent_change_for_headline_figures():
    base = flow_summary([activity(1, process=10, wait=90)], [])
    current = flow_summary([activity(1, process=10, wait=40)], [])

    deltas = flow_deltas(current, base)

    assert set(deltas) == {
        "lead_time",
        "process_time",
        "wait_time",
        "total_work",
        "flow_efficiency",
        "rolled_pca",
    }
    assert deltas["lead_time"] == {
        "current": 50.0,
        "base": 100.0,
        "change": -50.0,
        "change_pct": -50.0,
    }
    assert deltas["flow_efficiency"]["change"] == pytest.approx(0.1)
    assert deltas["process_time"]["change_pct"] == 0.0


def test_deltas_percent_change_is_none_when_base_is_zero():
    deltas = flow_deltas(flow_summary([activity(1, process=5)], []), flow_summary([], []))

    assert deltas["lead_time"]["change"] == 5.0
    assert deltas["lead_time"]["change_pct"] is None
    assert deltas["rolled_pca"]["change_pct"] == 0.0
