"""Fixtures of the board-socket tests (consumer tests mark themselves with
`pytest.mark.usefixtures("socket_tests")`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.stack.clients import close_communicators


@pytest.fixture
async def socket_tests(settings: Any, transactional_db: None) -> AsyncIterator[None]:
    """The in-memory channel layer for in-process sockets, every socket closed afterwards; the
    per-person limits counted in this process too (tests/streams/test_consumer_limits.py
    counts them in Redis as well)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.VSM_WS_LIMITS_REDIS_URL = ""
    yield
    await close_communicators()
