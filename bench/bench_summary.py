"""Times `flow_summary` on a 10,000-activity stream against a sort-and-scan baseline.

Run: `.venv/bin/python -m bench.bench_summary`. `run()` returns the figures for `make bench`.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from metrics.flow import ActivityFacts, flow_summary

ACTIVITY_COUNT = 10_000
MAIN_CHAIN = 6_000  # the rest forms two-step parallel branches: ~12k links in all
BRANCH_LENGTH = 2
REPETITIONS = 7


def build_stream(seed: int = 1) -> tuple[list[ActivityFacts], list[tuple[int, int]]]:
    """A main chain with two-step branches that leave it and rejoin it further on."""
    rng = random.Random(seed)
    activities = [
        ActivityFacts(
            id=index + 1,
            order=index,
            title=f"Step {index + 1}",
            team=f"team-{index % 12}",
            process_time=float(rng.randint(60, 3_600)),
            wait_time=float(rng.randint(0, 86_400)),
            pca=float(rng.randint(70, 100)),
        )
        for index in range(ACTIVITY_COUNT)
    ]
    links = [(id_, id_ + 1) for id_ in range(1, MAIN_CHAIN)]
    for first in range(MAIN_CHAIN + 1, ACTIVITY_COUNT + 1, BRANCH_LENGTH):
        leave = rng.randint(1, MAIN_CHAIN - 10)
        rejoin = leave + rng.randint(2, 10)
        branch = list(range(first, min(first + BRANCH_LENGTH, ACTIVITY_COUNT + 1)))
        links.append((leave, branch[0]))
        links.extend(zip(branch, branch[1:], strict=False))
        links.append((branch[-1], rejoin))
    rng.shuffle(activities)
    rng.shuffle(links)
    return activities, links


def _median_ms(action: Callable[[], object], repetitions: int) -> float:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(repetitions: int = REPETITIONS) -> dict[str, float]:
    """Median milliseconds of `flow_summary` (no forecast) and of the baseline, and their ratio."""
    activities, links = build_stream()

    def baseline() -> float:
        total = 0.0
        for activity in sorted(activities, key=lambda activity: (activity.order, activity.id)):
            total += activity.wait_time + activity.process_time
        return total

    summary_ms = _median_ms(lambda: flow_summary(activities, links), repetitions)
    baseline_ms = _median_ms(baseline, repetitions)
    return {
        "summary_10k_ms": round(summary_ms, 3),
        "baseline_ms": round(baseline_ms, 3),
        "ratio": round(summary_ms / baseline_ms, 2),
    }


def main() -> None:
    activities, links = build_stream()
    figures = run()
    print(f"flow_summary: {len(activities)} activities, {len(links)} links")
    print(f"  summary   median {figures['summary_10k_ms']:9.3f} ms")
    print(f"  baseline  median {figures['baseline_ms']:9.3f} ms  (sorted() + one linear pass)")
    print(f"  ratio     {figures['ratio']:.2f}x")


if __name__ == "__main__":
    main()
