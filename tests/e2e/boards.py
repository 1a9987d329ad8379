"""Helpers of the board's flow tests (test_board_flow, _wastes, _details, _future, _readable):
a signed-in page on a board, polling, stickies, screenshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.db import connection

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
HOUR = 3600
DAY = 8 * HOUR


def open_board(
    signed_in_page: Any,
    server: Any,
    user: Any,
    stream: Any,
    *,
    viewport: dict | None = None,
    password: str = PASSWORD,
    before: Callable[[Any], None] | None = None,
) -> Any:
    """A page signed in as `user` on `stream`'s board, loaded and connected; refusals the
    board shows as dialogs are collected in `page.dialogs`. `before(page)` runs before the
    board is opened."""
    page = signed_in_page(server.http_url, user.username, password)
    if viewport:
        page.set_viewport_size(viewport)
    page.set_default_timeout(8000)
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    if before:
        before(page)  # e.g. routes that hold back a request
    page.goto(f"/streams/{stream.pk}/board/")
    page.wait_for_selector(".connection[data-state=connected]")
    page.wait_for_selector(".loading", state="hidden")
    return page


def eventually(check: Callable[[], Any], timeout: float = 8.0) -> Any:
    """Polls `check` until it returns something truthy (the servers commit asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def sticky(page: Any, kind: str, obj: Any) -> Any:
    return page.locator(f'.sticky-note[data-key="{kind}:{obj.pk}"]')


def summary_loaded(page: Any) -> None:
    """Waits until the board has a flow summary (and has drawn what it says)."""
    # (wait_for_function would evaluate a string, which the page's CSP forbids)
    assert eventually(lambda: page.evaluate("Boolean(window.boardApp.store.summary)"))
    page.wait_for_timeout(100)  # one frame: the overlay redraws the marks


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def off_the_loop(write: Callable[..., Any], **kwargs: Any) -> Any:
    """Runs a service in a thread of its own: this one holds Playwright's event loop, where
    the broadcast's async_to_sync may not run."""

    def run() -> Any:
        try:
            return write(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
