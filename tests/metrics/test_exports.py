"""Exports that stand alone: the map's picture (SVG, drawn into the board's PNG) carries the
title, state, date, headline figures, ladder and top wastes, and keeps text inside its cards;
the summary's one-page PDF report; the CSV with wastes, revealed votes and countermeasures."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pypdfium2
import pytest

from streams.board_svg import CHAR_WIDTH
from streams.services.streams import stream_clone
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    VoteFactory,
    WasteFactory,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
HOUR = 3600
LONG = "Security review by the central architecture board and the data protection officer"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def mapped(cast: Any) -> Any:
    intake, review, build = (
        ActivityFactory(
            stream=cast.stream, title=title, team=team, order=index, process_time=p * HOUR,
            wait_time=w * HOUR, pca=pca, x=40 + 220 * index, y=80,
        )
        for index, (title, team, p, w, pca) in enumerate(
            (
                ("Intake", "Product", 1, 8, 80),
                (LONG, "Security", 2, 16, 90),
                ("Build", "Dev", 8, 8, 50),
            )
        )
    )  # fmt: skip
    LinkFactory(stream=cast.stream, source=intake, target=review)
    LinkFactory(stream=cast.stream, source=review, target=build)
    cab = WasteFactory(stream=cast.stream, text="Waiting for the CAB", category="waiting",
                       activity=review, x=40, y=300)  # fmt: skip
    rework = WasteFactory(stream=cast.stream, text=FORMULA, category="defects", x=260, y=300)
    for waste, dots in ((cab, 3), (rework, 1)):
        for _ in range(dots):
            VoteFactory(waste=waste, member=cast.membership("participant"))
    CountermeasureFactory(
        waste=cab, title="Pre-approved changes", owner="Ops", status="planned", x=40, y=450
    )
    cast.wastes = {"cab": cab, "rework": rework}
    return cast


def _reveal(cast: Any) -> None:
    cast.stream.votes_revealed = True
    cast.stream.save()


def _svg(client_for: Any, cast: Any) -> tuple[bytes, ET.Element]:
    response = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/export/svg/")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    return response.content, ET.fromstring(response.content)  # noqa: S314 (our own output)


def _texts(element: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{SVG}text")]


def test_the_picture_carries_title_state_date_figures_ladder_and_top_wastes(mapped, client_for):
    _reveal(mapped)
    body, root = _svg(client_for, mapped)
    header = root.find(f".//{SVG}g[@class='export-header']")
    assert header is not None
    texts = " | ".join(_texts(header))
    assert mapped.stream.name in texts and "Current state" in texts
    assert re.search(r"exported \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", texts)
    # Lead 9h + 18h + 16h = 43h = 1w 3h; process 11h; wait 32h; 11/43; .8 * .9 * .5 = 36%.
    for figure in ("Lead time1w 3h", "Process time1d 3h", "Wait time4d", "Flow efficiency25.6%",
                   "Rolled %C&A36%"):  # fmt: skip
        assert figure in "".join(texts.split(" | ")), figure
    ladder = header.find(f".//{SVG}g[@class='ladder']")
    assert ladder is not None and len(ladder.findall(f"{SVG}rect[@class='wait']")) == 3
    assert "1. Waiting for the CAB — 3 dots · Waiting (delays, queues)" in texts
    assert "2. " + FORMULA + " — 1 dot · Defects" in texts


def test_the_picture_shows_no_dots_before_the_reveal(mapped, client_for):
    body, root = _svg(client_for, mapped)
    texts = " | ".join(_texts(root))
    assert "Wastes named (votes not revealed)" in texts
    assert "dot" not in texts.replace("votes not revealed", "")


def test_text_in_the_picture_stays_inside_its_card_and_the_card_holds_it_all(mapped, client_for):
    _body, root = _svg(client_for, mapped)
    for group in root.iter(f"{SVG}g"):
        if group.get("class") not in ("activity", "waste", "countermeasure", "note"):
            continue
        card = group.find(f"{SVG}rect")
        left, width = float(card.get("x")), float(card.get("width"))
        for text in group.iter(f"{SVG}text"):
            size = float(text.get("font-size"))
            bold = text.get("font-weight") is not None
            for line in [span.text or "" for span in text.iter(f"{SVG}tspan")] or [text.text]:
                room = left + width - float(text.get("x"))
                assert len(line) * size * CHAR_WIDTH[bold] <= room, line
        if LONG in (group.findtext(f"{SVG}title") or ""):
            shown = " ".join(_texts(group))
            assert "…" in shown and LONG not in shown


def test_the_summary_links_a_pdf_report_that_members_get_and_others_do_not(mapped, client):
    client.force_login(mapped.viewer)
    page = client.get(f"/streams/{mapped.stream.pk}/summary/").content.decode()
    url = f"/streams/{mapped.stream.pk}/summary/report.pdf"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(mapped.outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def _pdf_text(content: bytes) -> tuple[int, str]:
    document = pypdfium2.PdfDocument(content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return len(document), " ".join(text.split())


def test_the_report_is_one_page_with_every_part_of_the_summary(mapped, client):
    _reveal(mapped)
    stream_clone(actor=mapped.facilitator, stream_id=mapped.stream.pk, data={"state": "future"})
    client.force_login(mapped.viewer)
    pages, text = _pdf_text(client.get(f"/streams/{mapped.stream.pk}/summary/report.pdf").content)
    assert pages == 1
    for part in (
        mapped.stream.name,
        "Lead time 1w 3h",
        "Rolled %C&A 36%",
        "Timeline ladder",
        "Wait and process time by step",
        "Wait and process time by team",
        "Waste Pareto",
        "1 waste named as Waiting (delays, queues)",
        "Countermeasure backlog",
        "Pre-approved changes",
        "Current and future state",
        "(Future state)",
    ):
        assert part in text, part


def _csv(client_for: Any, cast: Any, user: Any = None) -> list[dict[str, str]]:
    response = client_for(user or cast.viewer).get(f"/api/streams/{cast.stream.pk}/export/csv/")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_wastes_and_countermeasures_in_a_kind_column(mapped, client_for):
    rows = _csv(client_for, mapped)
    kinds = ["activity"] * 3 + ["link"] * 2 + ["waste"] * 2 + ["countermeasure"]
    assert [row["kind"] for row in rows] == kinds
    cab, rework = rows[5], rows[6]
    assert (cab["ref"], cab["title"], cab["activity"], cab["category"]) == (
        "w1", "Waiting for the CAB", "a2", "Waiting (delays, queues)"
    )  # fmt: skip
    assert rework["title"] == "'" + FORMULA  # defused
    countermeasure = rows[7]
    assert (countermeasure["title"], countermeasure["waste"], countermeasure["status"]) == (
        "Pre-approved changes", "w1", "Planned"
    )  # fmt: skip


def test_the_csv_shows_votes_only_once_revealed(mapped, client_for):
    for user in (mapped.viewer, mapped.participant, mapped.facilitator):
        assert {row["votes"] for row in _csv(client_for, mapped, user)} == {""}
    _reveal(mapped)
    wastes = [row for row in _csv(client_for, mapped) if row["kind"] == "waste"]
    assert [row["votes"] for row in wastes] == ["3", "1"]
