"""Property-based tests (Hypothesis) for the pure flow metrics (metrics.flow)."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metrics.flow import HEADLINE_KEYS, ActivityFacts, WasteFacts, flow_summary

seconds = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(float),  # integers make ties likely
    st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
)


@st.composite
def activity_lists(draw: st.DrawFn, max_size: int = 10) -> list[ActivityFacts]:
    count = draw(st.integers(min_value=0, max_value=max_size))
    ids = draw(st.lists(st.integers(1, 1_000), min_size=count, max_size=count, unique=True))
    activities = []
    for id_ in ids:
        process_time, wait_time = draw(seconds), draw(seconds)
        estimate = draw(st.none() | st.tuples(seconds, seconds).map(sorted))
        activities.append(
            ActivityFacts(
                id=id_,
                order=draw(st.integers(0, 5)),  # few values, so (order, id) ties on order
                title=f"Step {id_}",
                team=draw(st.sampled_from(["", "dev", "ops", "qa"])),
                process_time=process_time,
                wait_time=wait_time,
                pca=draw(st.floats(min_value=0, max_value=100)),
                lead_time_min=estimate[0] if estimate else None,
                lead_time_max=estimate[1] if estimate else None,
            )
        )
    return activities


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[ActivityFacts], list[tuple[int, int]]]:
    """Activities plus acyclic links: each link goes forward in a random topological order."""
    activities = draw(activity_lists())
    topological = draw(st.permutations([activity.id for activity in activities]))
    pairs = [(i, j) for i in range(len(topological)) for j in range(i + 1, len(topological))]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=15)) if pairs else []
    links = [(topological[i], topological[j]) for i, j in chosen]
    links += draw(st.lists(st.tuples(st.integers(2_000, 2_005), st.integers(1, 2_005)), max_size=2))
    return activities, links


def lead_time_of(activity: ActivityFacts) -> float:
    return activity.wait_time + activity.process_time


@given(streams())
def test_lead_time_is_at_least_process_time_and_wait_time(stream):
    summary = flow_summary(*stream, simulations=1)

    assert summary["lead_time"] >= summary["process_time"]
    assert summary["lead_time"] >= summary["wait_time"]


@given(activity_lists())
def test_chain_lead_time_is_the_sum_of_its_activities_lead_times(activities):
    summary = flow_summary(activities, [], simulations=1)

    expected = math.fsum(lead_time_of(activity) for activity in activities)
    assert math.isclose(summary["lead_time"], expected, rel_tol=1e-9, abs_tol=1e-9)
    assert len(summary["critical_path"]) == len(activities)


@given(streams(), st.data())
def test_adding_a_forward_link_never_lowers_lead_time(stream, data):
    activities, links = stream
    before = flow_summary(activities, links, simulations=1)
    # Without usable links the stream is a chain, which the first link may rightly shorten.
    assume(before["link_count"] > 0)
    order = topological_order(activities, links)  # a link forward in it keeps the graph acyclic
    earlier = data.draw(st.integers(0, len(order) - 2))
    later = data.draw(st.integers(earlier + 1, len(order) - 1))

    after = flow_summary(activities, [*links, (order[earlier], order[later])], simulations=1)

    assert after["lead_time"] >= before["lead_time"]


@given(streams(), st.lists(st.integers(0, 9), max_size=8), st.randoms(use_true_random=False))
@settings(max_examples=60)
def test_summary_does_not_depend_on_input_order(stream, waste_votes, rng):
    activities, links = stream
    wastes = [
        WasteFacts(id=index, text=f"Waste {index}", category=f"c{votes % 3}", votes=votes)
        for index, votes in enumerate(waste_votes)
    ]
    shuffled = [list(activities), list(links), list(wastes)]
    for items in shuffled:
        rng.shuffle(items)

    expected = flow_summary(activities, links, wastes, top_wastes=3, simulations=20)
    actual = flow_summary(*shuffled, top_wastes=3, simulations=20)

    assert actual == expected


@given(
    activity_lists(max_size=6),
    st.lists(st.tuples(st.integers(1, 1_000), st.integers(1, 1_000)), max_size=30),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60)
def test_cyclic_links_give_a_finite_summary_independent_of_input_order(activities, pairs, rng):
    ids = [activity.id for activity in activities]
    links = [(ids[s % len(ids)], ids[t % len(ids)]) for s, t in pairs] if ids else []
    shuffled_activities, shuffled_links = list(activities), list(links)
    rng.shuffle(shuffled_activities)
    rng.shuffle(shuffled_links)

    summary = flow_summary(activities, links, simulations=10)

    assert summary == flow_summary(shuffled_activities, shuffled_links, simulations=10)
    assert math.isfinite(summary["lead_time"])
    assert len(set(summary["critical_path"])) == len(summary["critical_path"])


@given(streams())
def test_flow_efficiency_is_between_zero_and_one(stream):
    assert 0.0 <= flow_summary(*stream, simulations=1)["flow_efficiency"] <= 1.0


@given(streams())
def test_rolled_pca_is_between_zero_and_one_hundred(stream):
    assert 0.0 <= flow_summary(*stream, simulations=1)["rolled_pca"] <= 100.0


@given(streams())
@settings(max_examples=50)
def test_forecast_percentiles_are_ordered_within_min_and_max_longest_paths(stream):
    activities, links = stream
    forecast = flow_summary(activities, links, simulations=50)["forecast"]
    if forecast is None:
        assert not any(activity.lead_time_min is not None for activity in activities)
        return

    def bound(pick: Callable[[ActivityFacts], float | None]) -> float:
        return flow_summary([pinned(activity, pick(activity)) for activity in activities], links)[
            "lead_time"
        ]

    lowest = bound(lambda activity: activity.lead_time_min)
    highest = bound(lambda activity: activity.lead_time_max)
    assert lowest <= forecast["p50"] <= forecast["p85"] <= forecast["p95"] <= highest


def pinned(activity: ActivityFacts, estimate: float | None) -> ActivityFacts:
    """The activity with its lead time fixed at `estimate` (unchanged when it has none)."""
    if estimate is None:
        return activity
    return ActivityFacts(
        id=activity.id,
        order=activity.order,
        title=activity.title,
        team=activity.team,
        process_time=estimate,
        wait_time=0.0,
        pca=activity.pca,
    )


def topological_order(activities: list[ActivityFacts], links: list[tuple[int, int]]) -> list[int]:
    """A topological order of the known activities under `links` (test oracle, Kahn)."""
    known = {activity.id for activity in activities}
    edges = {(s, t) for s, t in links if s in known and t in known and s != t}
    waiting = {id_: 0 for id_ in known}
    for _, target in edges:
        waiting[target] += 1
    ready = sorted(id_ for id_, count in waiting.items() if count == 0)
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for source, target in edges:
            if source == node:
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
    return order


# --- rework loops -------------------------------------------------------------------------


@st.composite
def streams_with_loops(
    draw: st.DrawFn,
) -> tuple[list[ActivityFacts], list[tuple[int, int]], list[tuple[int, int]]]:
    """A stream plus rework links: mostly back along a topological order, some forward or
    with unknown ends (which the model must survive)."""
    activities, links = draw(streams())
    ids = [activity.id for activity in activities]
    loops = (
        draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=6))
        if ids
        else []
    )
    loops += draw(st.lists(st.tuples(st.integers(2_000, 2_005), st.integers(1, 2_005)), max_size=1))
    return activities, links, loops


@given(streams_with_loops())
def test_rework_links_never_change_the_headline_or_the_critical_path(stream):
    activities, links, loops = stream
    without = flow_summary(activities, links, simulations=5)
    with_loops = flow_summary(activities, links, rework_links=loops, simulations=5)

    for key in (*HEADLINE_KEYS, "critical_path", "bottleneck", "steps", "forecast", "link_count"):
        assert with_loops[key] == without[key], key


@given(streams_with_loops())
def test_rework_loops_never_lower_the_expected_rework(stream):
    activities, links, loops = stream
    without = flow_summary(activities, links, simulations=1)["rework"]["expected_rework_time"]
    with_loops = flow_summary(activities, links, rework_links=loops, simulations=1)["rework"]

    # A re-run from an earlier activity includes the source itself, so it costs at least its
    # own lead time (up to float rounding of the longer sums).
    assert with_loops["expected_rework_time"] >= without * (1 - 1e-12) - 1e-9
    lead_time = flow_summary(activities, links, simulations=1)["lead_time"]
    assert with_loops["lead_time_with_rework"] >= lead_time


@given(streams_with_loops())
def test_each_loop_sends_back_at_most_the_share_its_source_gets_wrong(stream):
    activities, links, loops = stream
    pca = {activity.id: activity.pca for activity in activities}
    described = flow_summary(activities, links, rework_links=loops, simulations=1)["rework"]

    sent: dict[int, float] = {}
    for loop in described["loops"]:
        assert 0.0 <= loop["share"] <= 100.0
        assert loop["valid"] == (loop["rerun_time"] is not None)
        if loop["valid"]:
            sent[loop["source"]] = sent.get(loop["source"], 0.0) + loop["share"]
    for source, share in sent.items():
        assert math.isclose(share, 100 - pca[source], rel_tol=1e-9, abs_tol=1e-9)


@given(streams_with_loops(), st.randoms(use_true_random=False))
@settings(max_examples=60)
def test_rework_does_not_depend_on_the_order_of_the_loops(stream, rng):
    activities, links, loops = stream
    shuffled = list(loops)
    rng.shuffle(shuffled)

    expected = flow_summary(activities, links, rework_links=loops, simulations=5)
    assert flow_summary(activities, links, rework_links=shuffled, simulations=5) == expected
