"""Fixtures of the board-socket tests (consumer tests mark themselves with
`pytest.mark.usefixtures("socket_tests")`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.stack.clients import close_communicators


@pytest.fixture
async def socket_tests(settings: Any, transactional_db: None) -> AsyncIterator[None]:
    """The in-memory channel layer for in-process sockets, every socket closed afterwards."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield
    await close_communicators()
