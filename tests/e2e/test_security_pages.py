"""User text that looks like markup, in Chromium against a real server: it shows literally on
every page (my workshops, the invitation page, the workshop page, the board, the flow summary)
and in every export (JSON, CSV, SVG, fetched with the page's session), and no script runs."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.factories import (
    PASSWORD,
    ActivityFactory,
    CountermeasureFactory,
    InvitationFactory,
    LinkFactory,
    NoteFactory,
    VoteFactory,
    WasteFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALERT = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><script>alert(1)</script>'
FLAG = '<img src=x onerror="window.__pwned=1">'
PAYLOADS = (ALERT, BREAKOUT, FLAG)

# Every text node a person can read (SVG <title>s included), not the insides of scripts.
READABLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest('script, style, template')) texts.push(node.data);
  }
  return texts;
}"""

# Markup that only an injection would put there: an img with src=x, an inline handler, a
# script mentioning a payload; and the flag an injected handler would set.
INJECTED = """() => ({
  images: document.querySelectorAll('img[src="x"]').length,
  handlers: [...document.querySelectorAll('*')].filter(
    (element) => [...element.attributes].some((attribute) => /^on/i.test(attribute.name))
  ).map((element) => element.outerHTML.slice(0, 120)),
  scripts: [...document.scripts].filter((script) => /alert|__pwned/.test(script.text)).length,
  pwned: window.__pwned,
})"""

FETCH = """async (url) => {
  const response = await fetch(url, { credentials: 'same-origin' });
  return {
    status: response.status,
    type: response.headers.get('Content-Type'),
    policy: response.headers.get('Content-Security-Policy'),
    body: await response.text(),
  };
}"""

# What an SVG document holds that could run.
SVG_DOCUMENT = """() => ({
  root: document.documentElement.localName,
  scripts: document.querySelectorAll('script').length,
  foreign: document.querySelectorAll('foreignObject, img, iframe').length,
  pwned: window.__pwned,
})"""


@pytest.fixture
def marked_up(cast: Any) -> Any:
    """Markup-like text in every field a person types that a page or an export shows."""
    workshop = cast.workshop
    workshop.title, workshop.goal, workshop.choice_notes = PAYLOADS
    workshop.save()
    cast.stream.name = BREAKOUT
    cast.stream.votes_revealed = True  # so the ranking and the Pareto chart show waste text
    cast.stream.save()
    cast.participant.first_name = ALERT
    cast.participant.save()
    membership = cast.membership("participant")
    membership.team = FLAG
    membership.save()
    first = ActivityFactory(
        stream=cast.stream, title=ALERT, team=BREAKOUT, description=FLAG, x=40, y=40
    )
    second = ActivityFactory(stream=cast.stream, title=FLAG, team=ALERT, x=300, y=40)
    LinkFactory(stream=cast.stream, source=first, target=second)
    waste = WasteFactory(stream=cast.stream, text=BREAKOUT, activity=first, x=40, y=220)
    WasteFactory(stream=cast.stream, text=FLAG, activity=second, x=300, y=220)
    VoteFactory(waste=waste, member=membership)
    CountermeasureFactory(
        waste=waste,
        title=ALERT,
        current_condition=BREAKOUT,
        future_condition=FLAG,
        measure=ALERT,
        owner=BREAKOUT,
        x=40,
        y=360,
    )
    NoteFactory(stream=cast.stream, text=FLAG, kind="question", x=560, y=40)
    cast.invitation = InvitationFactory(workshop=workshop)
    return cast


def test_markup_in_user_text_shows_literally_on_every_page_and_export_and_runs_nothing(
    need_postgres: None,
    need_redis: str,
    asgi_servers: Any,
    browser: Any,
    signed_in_page: Any,
    marked_up: Any,
) -> None:
    (server,) = asgi_servers.get(1)
    cast = marked_up
    stream_id = cast.stream.pk
    dialogs: list[str] = []
    image_requests: list[str] = []
    pages = []

    def watch(page: Any) -> Any:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "request",
            lambda request: image_requests.append(request.url)
            if re.search(r"/x$", request.url)
            else None,
        )
        pages.append(page)
        return page

    def shows_literally(page: Any, *texts: str) -> None:
        readable = "\n".join(page.evaluate(READABLE_TEXT))
        for text in texts:
            assert text in readable, f"{text!r} is not shown as text on {page.url}"

    try:
        # The invitation page, to someone not signed in.
        visitor = watch(browser.new_context(base_url=server.http_url).new_page())
        visitor.goto(f"/join/{cast.invitation.token}/")
        expect(visitor.locator("h1")).to_have_text(f"Join “{ALERT}”")

        facilitator = watch(signed_in_page(server.http_url, cast.facilitator.username, PASSWORD))
        facilitator.goto("/")
        shows_literally(facilitator, ALERT, BREAKOUT)  # workshop title, stream name
        facilitator.goto(f"/workshops/{cast.workshop.pk}/")
        expect(facilitator.locator("h1")).to_have_text(ALERT)
        shows_literally(facilitator, *PAYLOADS)  # goal, why, stream, a member's name and team
        expect(facilitator.locator("td", has_text=FLAG)).to_have_count(1)

        participant = watch(signed_in_page(server.http_url, cast.participant.username, PASSWORD))
        for page in (participant, facilitator):
            page.goto(f"/streams/{stream_id}/board/")
            expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
        # One more note arrives live, through the `applied` frame rather than the snapshot.
        facilitator.evaluate(
            "(text) => window.boardApp.connection.op('note.create', {text, x: 560, y: 220})",
            ALERT,
        )
        for page in (participant, facilitator):
            expect(page.locator(".board-title h1")).to_have_text(BREAKOUT)
            expect(page.locator(".sticky-note.kind-activity .title")).to_have_text([ALERT, FLAG])
            expect(page.locator(".sticky-note.kind-activity .team")).to_have_text([BREAKOUT, ALERT])
            expect(page.locator(".sticky-note.kind-waste .text")).to_have_text([BREAKOUT, FLAG])
            expect(page.locator(".sticky-note.kind-note .text")).to_have_text([FLAG, ALERT])
            countermeasure = page.locator(".sticky-note.kind-countermeasure")
            expect(countermeasure.locator(".title")).to_have_text(ALERT)
            expect(countermeasure.locator("[data-field=future_condition]")).to_have_text(
                f"Next: {FLAG}"
            )
            expect(countermeasure.locator("[data-field=measure]")).to_have_text(f"Measure: {ALERT}")
            expect(countermeasure).to_have_attribute(
                "aria-label", re.compile(re.escape(f"current condition {BREAKOUT}"))
            )
            expect(page.locator(".ranking .ranking-text")).to_have_text([BREAKOUT, FLAG])
            expect(page.locator(".award")).to_contain_text(BREAKOUT)
            expect(page.locator("g.link")).to_have_attribute(
                "aria-label", re.compile(re.escape(f"Link from {ALERT} to {FLAG}"))
            )
        expect(facilitator.locator(".avatars li:not(.me)")).to_have_attribute(
            "title", f"{ALERT}, participant"
        )
        # The backlog (the countermeasure and its waste) and the ladder under the board.
        participant.locator(".panel-steps summary").click()
        expect(participant.locator(".backlog li")).to_have_text(
            re.compile(re.escape(f"{ALERT} for “{BREAKOUT}”"))
        )
        shows_literally(participant, *PAYLOADS)

        # Every export, fetched with the participant's session.
        exports = {
            kind: participant.evaluate(FETCH, f"/api/streams/{stream_id}/export/{kind}/")
            for kind in ("json", "csv", "svg")
        }
        assert all(export["status"] == 200 for export in exports.values()), exports

        document = json.loads(exports["json"]["body"])
        assert document["stream"]["name"] == BREAKOUT
        assert [(a["title"], a["team"], a["description"]) for a in document["activities"]] == [
            (ALERT, BREAKOUT, FLAG),
            (FLAG, ALERT, ""),
        ]
        assert [waste["text"] for waste in document["wastes"]] == [BREAKOUT, FLAG]
        (exported,) = document["countermeasures"]
        assert (
            exported["title"],
            exported["current_condition"],
            exported["future_condition"],
            exported["measure"],
            exported["owner"],
        ) == (ALERT, BREAKOUT, FLAG, ALERT, BREAKOUT)
        assert [note["text"] for note in document["notes"]] == [FLAG, ALERT]

        rows = list(csv.DictReader(io.StringIO(exports["csv"]["body"])))
        rows = [row for row in rows if row["kind"] == "activity"]
        assert [(row["title"], row["team"], row["description"]) for row in rows] == [
            (ALERT, BREAKOUT, FLAG),
            (FLAG, ALERT, ""),
        ]

        svg = exports["svg"]
        assert svg["type"].startswith("image/svg+xml")
        assert "default-src 'none'" in (svg["policy"] or "")
        root = ET.fromstring(svg["body"].encode())  # noqa: S314 (our own server's answer)
        ns = "{http://www.w3.org/2000/svg}"
        assert root.findtext(f"{ns}title") == BREAKOUT
        # Sticky text is wrapped into lines (long words are broken): compare without spaces.
        drawn = {"".join("".join(text.itertext()).split()) for text in root.iter(f"{ns}text")}
        for payload in PAYLOADS:
            assert "".join(payload.split()) in drawn, payload
        names = {element.tag.removeprefix(ns) for element in root.iter()}
        assert not names & {"script", "foreignObject", "image", "a", "iframe"}, names
        handlers = [
            name for element in root.iter() for name in element.attrib if name.startswith("on")
        ]
        assert handlers == []
        # Opened as a document of the site's origin without the export's CSP, as a browser
        # shows a downloaded file, the picture still runs nothing.
        opened = watch(participant.context.new_page())
        opened.route(
            "**/svg-export-as-a-document",
            lambda route: route.fulfill(body=svg["body"], content_type="image/svg+xml"),
        )
        opened.goto("/svg-export-as-a-document")
        assert opened.evaluate(SVG_DOCUMENT) == {
            "root": "svg",
            "scripts": 0,
            "foreign": 0,
            "pwned": None,
        }

        # The flow summary, to the viewer: chart labels are shortened, their titles are not.
        viewer = watch(signed_in_page(server.http_url, cast.viewer.username, PASSWORD))
        viewer.goto(f"/streams/{stream_id}/summary/")
        expect(viewer.locator("h1")).to_contain_text(BREAKOUT)
        # Both steps wait 2h: the bottleneck is the first on the path.
        expect(viewer.locator("[data-figure=bottleneck]")).to_have_text(ALERT)
        expect(viewer.locator(".table td").first).to_have_text(ALERT)
        for text in (ALERT, BREAKOUT, FLAG):
            expect(
                viewer.locator("svg.svg-chart rect > title", has_text=text).first
            ).to_be_attached()
        shows_literally(viewer, *PAYLOADS)

        # Checked last, after every page had its time to run an injected handler.
        for page in pages:
            found = page.evaluate(INJECTED)
            assert found == {"images": 0, "handlers": [], "scripts": 0, "pwned": None}, page.url
        assert image_requests == []
        assert dialogs == []
    finally:
        connection.close()  # opened beside Playwright's loop; would outlive the test database
        for page in pages[:1]:
            page.context.close()
