"""Times `measured_flow` on 100,000 items / ~1,000,000 transitions over six months against
baselines measured in the same run: one `np.lexsort` of the transitions by (item, time) (the
sort the selector's ORDER BY or `History.from_rows` does once) and one `np.sort` of the times.

Run: `.venv/bin/python -m bench.bench_measured`. `run()` returns the figures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np

from metrics.measured import History, StateFacts, measured_flow

ITEM_COUNT = 100_000
TRANSITIONS_PER_ITEM = 10  # on average: 4..16
WINDOW_START = date(2025, 1, 1)
WINDOW_END = date(2025, 6, 30)
AS_OF = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
REPETITIONS = 5
STATES = (
    StateFacts("Backlog", 0, "new"),
    StateFacts("Ready", 1, "waiting"),
    StateFacts("In Progress", 2, "active"),
    StateFacts("Review", 3, "waiting"),
    StateFacts("Testing", 4, "active"),
    StateFacts("Resolved", 5, "done"),
    StateFacts("Closed", 6, "done"),
    StateFacts("Canceled", 7, "canceled"),
    StateFacts("Archived", 8, "ignore"),
)


def build_history(seed: int = 1) -> History:
    """Items that walk mostly forward through the workflow (steps -1..+2 from Backlog, capped at
    Closed), sometimes canceled or archived, with exponential gaps of 1.5 days on average,
    starting anywhere in the six months before as_of; some transitions fall after it."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(4, 17, size=ITEM_COUNT)
    item = np.repeat(np.arange(ITEM_COUNT), counts)
    first = np.zeros(len(item), dtype=bool)
    first[np.cumsum(counts)[:-1]] = True
    first[0] = True
    segment_start = np.flatnonzero(first)

    steps = rng.choice([-1, 0, 1, 1, 1, 2], size=len(item))
    steps[first] = 0
    walked = np.cumsum(steps)
    walked -= np.repeat(walked[segment_start], counts)
    state = np.clip(walked, 0, 6)
    side = rng.random(len(item))
    state[(side < 0.01) & ~first] = 7  # canceled
    state[(side > 0.995) & ~first] = 8  # archived (ignored)

    opened = rng.integers(
        int(datetime(2024, 12, 15, tzinfo=UTC).timestamp()), int(AS_OF.timestamp()), ITEM_COUNT
    )
    gaps = rng.exponential(1.5 * 86_400, size=len(item)).astype(np.int64)
    gaps[first] = 0
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[segment_start], counts)
    at = np.repeat(opened, counts) + elapsed
    return History(
        external_ids=[f"FLOW-{index}" for index in range(ITEM_COUNT)],
        titles=[f"Work item {index}" for index in range(ITEM_COUNT)],
        flow_types=rng.choice(4, size=ITEM_COUNT, p=[0.6, 0.25, 0.05, 0.1]).astype(np.int8),
        states=STATES,
        transition_item=item,
        transition_state=state,
        transition_at=at,
    )


def run(repetitions: int = REPETITIONS) -> dict[str, float]:
    """Median milliseconds of `measured_flow`, of building the History (coercion and checks)
    and of the two sorts, taken in turn in each repetition so that they share the machine's
    load, and the ratios of measured_flow to the sorts."""
    history = build_history()
    item, at = history.transition_item, history.transition_at
    actions: dict[str, Callable[[], object]] = {
        "measured_flow_ms": lambda: measured_flow(
            history, start=WINDOW_START, end=WINDOW_END, as_of=AS_OF
        ),
        "history_ms": lambda: History(
            external_ids=history.external_ids,
            titles=history.titles,
            flow_types=history.flow_types,
            states=history.states,
            transition_item=item,
            transition_state=history.transition_state,
            transition_at=at,
        ),
        "lexsort_ms": lambda: np.lexsort((at, item)),
        "sort_ms": lambda: np.sort(at),
    }
    timings: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repetitions):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            timings[name].append((time.perf_counter() - started) * 1000)
    figures = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    figures["ratio_to_lexsort"] = round(figures["measured_flow_ms"] / figures["lexsort_ms"], 2)
    figures["ratio_to_sort"] = round(figures["measured_flow_ms"] / figures["sort_ms"], 2)
    return figures


def main() -> None:
    history = build_history()
    payload = measured_flow(history, start=WINDOW_START, end=WINDOW_END, as_of=AS_OF)
    figures = run()
    print(
        f"measured_flow: {history.item_count} items, {len(history.transition_at)} transitions,"
        f" {len(payload['load'])} days; {payload['velocity']['total']} done,"
        f" {len(payload['aging'])} aging"
    )
    print(f"  measured_flow  median {figures['measured_flow_ms']:8.1f} ms")
    print(f"  History(...)   median {figures['history_ms']:8.1f} ms  (coercion + validation)")
    print(f"  np.lexsort     median {figures['lexsort_ms']:8.1f} ms  (transitions by item, time)")
    print(f"  np.sort        median {figures['sort_ms']:8.1f} ms  (transition times)")
    print(f"  ratio          {figures['ratio_to_lexsort']:.2f}x lexsort")
    print(f"                 {figures['ratio_to_sort']:.2f}x sort")


if __name__ == "__main__":
    main()
