"""Rework loops in the pure flow metrics (metrics.flow): a rework link sends the share of
work its source does not get complete & accurate back to an earlier activity, which runs
again from there to the source. Never part of the critical path."""

from __future__ import annotations

import json

import pytest

from metrics.flow import ActivityFacts, flow_summary


def activity(id: int, *, process: float = 0.0, wait: float = 0.0, pca: float = 100.0):
    return ActivityFacts(
        id=id, order=id, title=f"Step {id}", team="", process_time=process, wait_time=wait, pca=pca
    )


# Build (100) -> Test (60, 70% C&A) -> Release (40); Test sends 30% back to Build.
CHAIN = [
    activity(1, process=20, wait=80, pca=100),
    activity(2, process=30, wait=30, pca=70),
    activity(3, process=10, wait=30, pca=90),
]
FLOW = [(1, 2), (2, 3)]


def test_a_rework_loop_sends_the_share_not_complete_back_and_reruns_from_its_target():
    summary = flow_summary(CHAIN, FLOW, rework_links=[(2, 1)])

    # Test's 30% is redone from Build through Test (100 + 60); Release redoes itself (10%).
    expected = 0.3 * (100 + 60) + 0.1 * 40
    assert summary["rework"]["expected_rework_time"] == pytest.approx(expected)
    assert summary["rework"]["lead_time_with_rework"] == pytest.approx(200 + expected)
    (loop,) = summary["rework"]["loops"]
    assert loop == {
        "source": 2,
        "target": 1,
        "source_title": "Step 2",
        "target_title": "Step 1",
        "share": pytest.approx(30),
        "rerun_time": 160,
        "expected_time": pytest.approx(48),
        "valid": True,
        "on_critical_path": True,
    }


def test_without_rework_links_each_step_redoes_only_itself():
    summary = flow_summary(CHAIN, FLOW)

    assert summary["rework"]["expected_rework_time"] == pytest.approx(0.3 * 60 + 0.1 * 40)
    assert summary["rework"]["loops"] == []


def test_a_rework_link_is_never_part_of_the_critical_path_or_the_headline():
    without = flow_summary(CHAIN, FLOW)
    with_loop = flow_summary(CHAIN, FLOW, rework_links=[(3, 1)])

    for key in ("lead_time", "process_time", "wait_time", "critical_path", "bottleneck"):
        assert with_loop[key] == without[key], key
    assert with_loop["rolled_pca"] == without["rolled_pca"]
    assert with_loop["link_count"] == without["link_count"] == 2


def test_the_rerun_takes_the_longest_flow_path_from_target_to_source():
    activities = [
        activity(1, process=10),
        activity(2, process=50),  # the long branch
        activity(3, process=5),
        activity(4, process=10, pca=50),
    ]
    links = [(1, 2), (1, 3), (2, 4), (3, 4)]

    summary = flow_summary(activities, links, rework_links=[(4, 1)])

    (loop,) = summary["rework"]["loops"]
    assert loop["rerun_time"] == 10 + 50 + 10
    assert summary["rework"]["expected_rework_time"] == pytest.approx(0.5 * 70)


def test_on_a_map_without_flow_links_the_rerun_follows_the_chain_order():
    summary = flow_summary(CHAIN, [], rework_links=[(3, 1)])

    (loop,) = summary["rework"]["loops"]
    assert loop["rerun_time"] == 200
    assert summary["rework"]["expected_rework_time"] == pytest.approx(0.3 * 60 + 0.1 * 200)


def test_a_loop_the_flow_does_not_lead_back_along_is_invalid_and_sends_nothing():
    # 1 -> 3 is "forward": the flow does not lead from 3 to 1.
    summary = flow_summary(CHAIN, FLOW, rework_links=[(1, 3)])

    (loop,) = summary["rework"]["loops"]
    assert loop["valid"] is False and loop["rerun_time"] is None and loop["share"] == 0
    assert summary["rework"]["expected_rework_time"] == pytest.approx(0.3 * 60 + 0.1 * 40)


def test_loops_with_unknown_ends_or_to_themselves_are_ignored():
    summary = flow_summary(CHAIN, FLOW, rework_links=[(2, 2), (9, 1), (2, 9)])

    assert summary["rework"]["loops"] == []


def test_several_loops_from_one_source_split_its_share_evenly():
    summary = flow_summary(CHAIN, FLOW, rework_links=[(3, 1), (3, 2)])

    shares = {loop["target"]: loop["share"] for loop in summary["rework"]["loops"]}
    assert shares == {1: pytest.approx(5), 2: pytest.approx(5)}
    expected = 0.3 * 60 + 0.05 * 200 + 0.05 * 100
    assert summary["rework"]["expected_rework_time"] == pytest.approx(expected)


def test_a_loop_from_a_step_off_the_critical_path_is_described_but_not_counted():
    activities = [*CHAIN, activity(4, process=1, pca=0)]
    links = [*FLOW, (1, 4)]

    summary = flow_summary(activities, links, rework_links=[(4, 1)])

    (loop,) = summary["rework"]["loops"]
    assert loop["on_critical_path"] is False and loop["share"] == 100
    assert summary["rework"]["expected_rework_time"] == pytest.approx(0.3 * 60 + 0.1 * 40)


def test_the_loops_round_trip_through_json():
    summary = flow_summary(CHAIN, FLOW, rework_links=[(2, 1), (1, 3)])

    assert json.loads(json.dumps(summary)) == summary
