import pytest

from vsm_site.units import humanize_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0"),
        (30, "30s"),
        (90 * 60, "1h 30m"),
        (8 * 3600, "1d"),
        (9 * 3600, "1d 1h"),
        (5 * 8 * 3600 + 8 * 3600, "1w 1d"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_durations_use_working_days_of_eight_hours(seconds, text):
    assert humanize_duration(seconds) == text
