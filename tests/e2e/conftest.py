"""Browser fixtures: Debian's Chromium driven by Playwright (sync API; never downloads a
browser), and the real ASGI servers of tests.stack.servers.

Playwright's sync API cannot run inside an asyncio loop, so browser tests stay sync.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CHROMIUM
from tests.stack import servers

asgi_servers = servers.asgi_servers

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Browsers:
    """Starts Playwright and Chromium on first use; one browser per test module."""

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None
        self._allowed: str | None = None

    def get(self, executable: str) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            # Playwright's sync API keeps an event loop in this thread, so Django would refuse
            # the test's (and the database teardown's) plain sync ORM calls; allow them while
            # the browser is up, as pytest-playwright advises.
            self._allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            from playwright.sync_api import expect

            expect.set_options(timeout=15_000)  # a loaded CI machine is slow to paint
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()
            if self._allowed is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._allowed


@pytest.fixture(scope="module")
def _browsers() -> Iterator[_Browsers]:
    browsers = _Browsers()
    yield browsers
    browsers.close()


@pytest.fixture
def browser(need_chromium: str, _browsers: _Browsers) -> Any:
    """A headless Chromium (Debian's, at /usr/bin/chromium)."""
    return _browsers.get(need_chromium or CHROMIUM)


@pytest.fixture
def signed_in_page(browser: Any) -> Iterator[Any]:
    """signed_in_page(base_url, username, password) -> a page of a fresh browser context,
    signed in through /accounts/login/."""
    contexts = []

    def open_page(base_url: str, username: str, password: str) -> Any:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()
