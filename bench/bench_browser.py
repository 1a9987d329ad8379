"""Large boards in the browser: a board of 500 activities (one flow, links between them) and
500 notes in headless Chromium, beside a board of 10 activities measured in the same run.

For each board: time to interactive (navigation start to the board loaded, connected and
every card drawn, from the page's own `performance.now()`), then frame times while the
person pans (a drag on the empty canvas), zooms (wheel steps) and drags a card, from a
`requestAnimationFrame` loop in the page: frames per second, p50/p95/max frame time and the
share of frames longer than 1/60 s plus a half (25 ms: a frame missed). Chromium is Debian's
(`/usr/bin/chromium`, headless, `--no-sandbox --disable-gpu`): software rendering on the
machine's cores, so the ratio to the small board says more than the absolute figures.

Run inside `make bench` (`--only browser`) against the bench's server; `run(port)` creates
its own workshop, user and boards in the bench database and returns the figures.
`BENCH_BROWSER_PROFILE=1` also writes the page's CPU profile of each action on the large
board to artifacts/bench/browser-<action>.cpuprofile.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

ACTIVITIES, NOTES = 500, 500
SMALL = 10
PASSWORD = "bench-browser-1"  # noqa: S105 (a bench user in the bench database)
VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOT = Path(__file__).resolve().parents[1] / "artifacts" / "bench" / "browser-failed.png"

# Frame timestamps from requestAnimationFrame while `window.benchFrames` is an array.
FRAME_RECORDER = """() => {
  window.benchFrames = [];
  const tick = (now) => {
    if (!window.benchFrames) return;
    window.benchFrames.push(now);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
FRAMES_TAKEN = """() => {
  const frames = window.benchFrames;
  window.benchFrames = null;
  return frames;
}"""


def _board(workshop: Any, name: str, activities: int, notes: int) -> int:
    """A stream with `activities` in one flow (10 to a row) and `notes`; returns its id."""
    from streams.models import Activity, Link, Note, ValueStream

    stream = ValueStream.objects.create(workshop=workshop, name=name)
    made = Activity.objects.bulk_create(
        Activity(
            stream=stream,
            title=f"Step {index + 1}",
            team=f"Team {index % 7}",
            order=index,
            lane=index // 10,
            x=40 + 240 * (index % 10),
            y=80 + 220 * (index // 10),
            process_time=3600 * (1 + index % 5),
            wait_time=7200 * (1 + index % 3),
            pca=80 + index % 20,
        )
        for index in range(activities)
    )
    Link.objects.bulk_create(
        Link(stream=stream, source=source, target=target)
        for source, target in zip(made, made[1:], strict=False)
    )
    top = 80 + 220 * ((activities + 9) // 10)
    Note.objects.bulk_create(
        Note(stream=stream, text=f"Note {index + 1}", x=40 + 200 * (index % 12),
             y=top + 160 * (index // 12))
        for index in range(notes)
    )  # fmt: skip
    return stream.pk


def seed() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from workshops.models import Membership, Role, Workshop

    user, _ = get_user_model().objects.get_or_create(username="bench-browser")
    user.set_password(PASSWORD)
    user.save()
    workshop = Workshop.objects.create(title="Browser bench")
    Membership.objects.create(workshop=workshop, user=user, role=Role.FACILITATOR)
    return {
        "large": _board(workshop, "Large", ACTIVITIES, NOTES),
        "small": _board(workshop, "Small", SMALL, 0),
    }


def _frames(page: Any, action: Any, profile: str = "") -> dict[str, Any]:
    """Frame figures while `action` runs; with `profile`, the page's CPU profile of it is
    written to artifacts/bench/browser-<profile>.cpuprofile (Chrome DevTools opens it)."""
    page.evaluate(FRAME_RECORDER)
    page.wait_for_timeout(200)
    cdp = _profiler(page) if profile else None
    started = time.perf_counter()
    action()
    page.wait_for_timeout(200)
    seconds = time.perf_counter() - started
    if cdp is not None:
        _profile_save(cdp, profile)
    stamps = page.evaluate(FRAMES_TAKEN)
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    if not gaps:
        return {"fps": 0.0}
    gaps.sort()
    return {
        "fps": round(len(gaps) / seconds, 1),
        "p50_ms": round(statistics.median(gaps), 1),
        "p95_ms": round(gaps[int(0.95 * (len(gaps) - 1))], 1),
        "max_ms": round(gaps[-1], 1),
        "missed_pct": round(100 * sum(gap > 25 for gap in gaps) / len(gaps), 1),
    }


def _profiler(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    return cdp


def _profile_save(cdp: Any, name: str) -> None:
    recorded = cdp.send("Profiler.stop")["profile"]
    (SCREENSHOT.parent / f"browser-{name}.cpuprofile").write_text(json.dumps(recorded))
    cdp.detach()


def _measure(page: Any, base: str, stream_id: int, cards: int) -> dict[str, Any]:
    profile = os.environ.get("BENCH_BROWSER_PROFILE") and cards > SMALL
    if profile:
        page.goto("about:blank")
        loading = _profiler(page)
    page.goto(f"{base}/streams/{stream_id}/board/")
    page.wait_for_selector(".connection[data-state=connected]", timeout=60_000)
    page.wait_for_selector(".loading", state="hidden", timeout=60_000)
    page.wait_for_function(
        f"document.querySelectorAll('.sticky-note').length >= {cards}", timeout=60_000
    )
    interactive_ms = page.evaluate("performance.now()")
    if profile:
        _profile_save(loading, "load")
    viewport = page.locator(".board-viewport").bounding_box()
    assert viewport is not None
    cx, cy = viewport["x"] + viewport["width"] / 2, viewport["y"] + viewport["height"] / 2
    empty = (viewport["x"] + 20, viewport["y"] + viewport["height"] - 20)

    def pan() -> None:
        page.mouse.move(*empty)
        page.mouse.down()
        for step in range(60):
            page.mouse.move(empty[0] + 5 * step, empty[1] - 3 * step)
        page.mouse.up()

    def zoom() -> None:
        page.mouse.move(cx, cy)
        for step in range(30):
            page.mouse.wheel(0, -60 if step < 15 else 60)
            page.wait_for_timeout(16)

    def drag() -> None:
        card = page.locator(".sticky-note[data-key^='activity:']").first
        box = card.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + 8
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(60):
            page.mouse.move(x + 2 * step, y + step)
        page.mouse.up()

    return {
        "interactive_ms": round(interactive_ms),
        "pan": _frames(page, pan, "pan" if profile else ""),
        "zoom": _frames(page, zoom, "zoom" if profile else ""),
        "drag": _frames(page, drag, "drag" if profile else ""),
    }


def run(port: int) -> dict[str, Any]:
    """The figures of both boards (see the module's docstring)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    boards = seed()
    connections.close_all()
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "bench-browser")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state()
            try:
                small = _measure(page, base, boards["small"], SMALL)
                large = _measure(page, base, boards["large"], ACTIVITIES + NOTES)
            except Exception:
                page.screenshot(path=str(SCREENSHOT))
                raise
        finally:
            browser.close()
    return {
        "activities": ACTIVITIES,
        "notes": NOTES,
        "small": small,
        "large": large,
        "interactive_ratio": round(large["interactive_ms"] / max(1, small["interactive_ms"]), 2),
    }
