"""The load generator's latency histogram: mergeable across processes, within 1%."""

from collections import Counter

from bench.loadgen import bucket, bucket_ms, percentile


def test_a_bucket_holds_its_latency_within_one_percent():
    for latency_ms in (0.05, 1.0, 3.7, 25.0, 149.9, 4_000.0):
        assert abs(bucket_ms(bucket(latency_ms)) - latency_ms) <= 0.01 * latency_ms


def test_percentiles_of_merged_histograms_equal_those_of_all_samples():
    first = Counter(bucket(ms) for ms in range(1, 51))
    second = Counter(bucket(ms) for ms in range(51, 101))
    merged = dict(first + second)
    assert abs(percentile(merged, 0.5) - 50) <= 0.5
    assert abs(percentile(merged, 0.95) - 95) <= 1.0
    assert percentile({}, 0.95) is None
