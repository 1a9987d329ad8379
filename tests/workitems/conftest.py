"""Fixtures of measured flow's tests: the fake trackers (tests/workitems/trackers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.workitems.trackers import FakeTrackerServer, Tracker


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    """The three fake trackers on one loopback server, empty; stopped after the test."""
    server = FakeTrackerServer()
    yield server.tracker
    server.stop()
