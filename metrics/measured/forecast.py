"""Monte Carlo forecasts from a sample of daily throughput: how many items by a date, and
when N items will be done. Vectorised: trials are rows of one array, days its columns."""

from __future__ import annotations

from typing import Any

import numpy as np

TRIALS = 10_000
CONFIDENCES: tuple[int, ...] = (50, 85, 95)
HORIZON_DAYS = 730  # beyond two years a forecast from one window's throughput means nothing
_BLOCK_DAYS = 256  # days simulated per step: bounds memory at TRIALS x _BLOCK_DAYS draws


def forecast(daily_throughput: np.ndarray, *, days: int, items: int, seed: int) -> dict[str, Any]:
    """`{"how_many", "when", "trials", "sample_days"}`. Each simulated day draws one day of
    `daily_throughput` uniformly with replacement (zero days included).

    how_many: the items done in `days` days; at c % confidence, the largest count that at
    least c % of trials reached. when: the days until `items` are done; at c % confidence,
    the fewest days within which at least c % of trials finished; null when that is beyond
    HORIZON_DAYS. Both parts are null when the sample has no throughput. Deterministic for
    a seed: how_many draws first, then when, from one generator.
    """
    sample = np.asarray(daily_throughput, dtype=np.int64)
    result: dict[str, Any] = {
        "how_many": None,
        "when": None,
        "trials": TRIALS,
        "sample_days": len(sample),
    }
    if not sample.sum():
        return result
    generator = np.random.default_rng(seed)

    totals = np.zeros(TRIALS, dtype=np.int64)
    for first in range(0, days, _BLOCK_DAYS):
        block = min(_BLOCK_DAYS, days - first)
        totals += sample[generator.integers(0, len(sample), size=(TRIALS, block))].sum(axis=1)
    totals.sort()
    result["how_many"] = {"days": days} | {
        # At least c % of trials reached the value at sorted index (100 - c) % of TRIALS.
        f"p{confidence}": int(totals[(100 - confidence) * TRIALS // 100])
        for confidence in CONFIDENCES
    }

    finished_after = _days_until(sample, items, generator)
    finished_after.sort()
    when: dict[str, Any] = {"items": items}
    for confidence in CONFIDENCES:
        # At least c % of trials finished within the value at sorted index ceil(c % of TRIALS) - 1.
        days_needed = int(finished_after[-(-confidence * TRIALS // 100) - 1])
        when[f"p{confidence}_days"] = days_needed if days_needed <= HORIZON_DAYS else None
    result["when"] = when
    return result


def _days_until(sample: np.ndarray, items: int, generator: np.random.Generator) -> np.ndarray:
    """Per trial, the simulated days until `items` are done; HORIZON_DAYS + 1 for a trial that
    has not finished within the horizon. Trials drop out as they finish."""
    finished_after = np.full(TRIALS, HORIZON_DAYS + 1, dtype=np.int64)
    if items <= 0:
        finished_after[:] = 0
        return finished_after
    # The first block covers the expected duration with room, so most trials end in one step.
    block = int(min(_BLOCK_DAYS, max(16, 2 * items / sample.mean())))
    running = np.arange(TRIALS)
    remaining = np.full(TRIALS, items, dtype=np.int64)
    elapsed = 0
    while len(running) and elapsed < HORIZON_DAYS:
        draws = sample[generator.integers(0, len(sample), size=(len(running), block))]
        done_so_far = np.cumsum(draws, axis=1)
        reached = done_so_far >= remaining[:, None]
        finished = reached[:, -1]  # cumulative counts never fall, so the last column decides
        finished_after[running[finished]] = elapsed + 1 + reached[finished].argmax(axis=1)
        remaining = remaining[~finished] - done_so_far[~finished, -1]
        running = running[~finished]
        elapsed += block
        block = _BLOCK_DAYS
    return finished_after
