"""A whole value stream mapping workshop in Chromium, on a real uvicorn server, PostgreSQL,
Redis and a Celery worker: a facilitator signs up and creates the workshop, invites a
participant and a viewer by link, the map is built live by two people, wastes are dot-voted
in secret and revealed, a countermeasure is sized into the backlog, and the viewer reads the
flow summary. Screenshots of the board and the summary go to artifacts/e2e/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from django.db import connection
from playwright.sync_api import expect

from metrics.flow import flow_summary
from metrics.selectors import stream_facts
from streams.models import Countermeasure, ValueStream, Vote
from tests.stack.worker import celery_worker
from workshops.models import Membership, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
PASSWORD = "Mapping-the-flow-2024"
VIEWPORT = {"width": 1440, "height": 900}
# The dots in the page's store that are not the signed-in member's own.
OTHERS_DOTS = """() => {
  const store = window.boardApp.store;
  return store.list('vote').filter((vote) => vote.member !== store.me.member);
}"""


def sign_up(page: Any, username: str) -> None:
    """Fills Django's sign-up form on the page it is on and waits to leave it."""
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/signup/" not in url)


def open_on_board(page: Any) -> None:
    expect(page.locator(".connection")).to_have_attribute("data-state", "connected")
    expect(page.locator(".loading")).to_be_hidden()


def sticky(page: Any, kind: str, text: str) -> Any:
    return page.locator(f".sticky-note.kind-{kind}", has_text=text)


def fill_form(page: Any, fields: dict[str, str]) -> None:
    """Fills the open in-place form of a sticky and saves it."""
    form = page.locator(".sticky-form")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator(".sticky-form")).to_have_count(0)
    expect(page.locator(".connection")).to_have_text("Connected")  # nothing left pending


def add_activity(page: Any, **fields: str) -> None:
    page.click(".toolbar [data-action=add-activity]")
    fill_form(page, fields)


def add_waste_under(page: Any, activity: str, text: str, category: str) -> None:
    sticky(page, "activity", activity).locator(".title").click()
    page.click(".toolbar [data-action=add-waste]")
    fill_form(page, {"text": text, "category": category})


def move_phase(facilitator: Any, others: list[Any], phase: str) -> None:
    facilitator.click(f".phase-step[data-phase={phase}]")
    for page in (facilitator, *others):
        expect(page.locator(f".phase-step[data-phase={phase}]")).to_have_attribute(
            "aria-current", "step"
        )


def vote(page: Any, waste: str, dots: int) -> None:
    card = sticky(page, "waste", waste)
    before = card.locator(".dot.mine").count()
    for done in range(1, dots + 1):
        card.locator("[data-action=vote]").click()
        expect(card.locator(".dot.mine")).to_have_count(before + done)


def save_report_page(page: Any, url: str) -> None:
    """The PDF report as the signed-in page's browser gets it, one page, its first page
    rendered to artifacts/e2e/journey-report.png."""
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.body())
    assert len(document) == 1
    text = document[0].get_textpage().get_text_range()
    assert "Feature request to production" in text and "Countermeasure backlog" in text
    document[0].render(scale=2).to_pil().save(ARTIFACTS / "journey-report.png")
    document.close()


def save_board_png(page: Any, board_url: str) -> None:
    """The board's PNG export (the map's picture with its headline), as downloaded."""
    page.goto(board_url)
    open_on_board(page)
    page.locator(".panel-export summary").click()
    with page.expect_download() as download:
        page.click("[data-export=png]")
    download.value.save_as(ARTIFACTS / "journey-board-export.png")


def test_a_whole_workshop_from_sign_up_to_the_flow_summary(
    need_postgres: None, need_redis: str, need_chromium: str, asgi_servers: Any, browser: Any
) -> None:
    (server,) = asgi_servers.get(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = []
    dialogs: list[str] = []

    def new_page() -> Any:
        context = browser.new_context(base_url=server.http_url, viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        return page

    try:
        with celery_worker():
            # Step 1: the facilitator signs up and chooses the stream against the five R's.
            ada = new_page()
            ada.goto("/accounts/signup/")
            sign_up(ada, "ada")
            ada.goto("/workshops/new/")
            ada.fill("#title", "Release train retro")
            ada.fill("#stream_name", "Feature request to production")
            ada.fill("#goal", "Halve the lead time of a feature")
            for label in ("Recent", "Real", "Reach", "Representative", "Road-tested"):
                ada.locator("label.check", has_text=label).locator("input").check()
            ada.click("button[type=submit]")
            # The form chose the stream: the board opens on step 2, ready to share.
            ada.wait_for_url(re.compile(r"/streams/\d+/board/\?share=1$"))
            board_url = ada.url.split("?")[0]
            open_on_board(ada)
            expect(ada.locator(".board-title h1")).to_have_text("Feature request to production")
            expect(ada.locator(".role-badge")).to_have_text("Facilitator")
            expect(ada.locator(".phase-step[data-phase=people]")).to_have_attribute(
                "aria-current", "step"
            )

            # Step 2: identify the people: the board opens with its Share dialog, a link for
            # a participant and one for a viewer ready to copy.
            share = ada.get_by_role("dialog", name="Invite people")
            expect(share).to_be_visible()
            links = {}
            for role in ("participant", "viewer"):
                link = share.get_by_label(f"Invitation link for a {role}")
                expect(link).to_have_value(re.compile("/join/"))
                links[role] = link.input_value()
            assert links["participant"] != links["viewer"]
            share.get_by_role("button", name="Done").click()
            ada.click(".board-links-nav a:text('Workshop')")
            expect(ada.locator(".chips li.ok")).to_have_count(5)

            # A participant opens the link in another browser, signs up from it and lands on
            # the board.
            bo = new_page()
            bo.goto(links["participant"])
            bo.click("a:text('Sign up to join')")
            sign_up(bo, "bo")
            bo.wait_for_url(board_url)
            open_on_board(bo)
            expect(bo.locator(".role-badge")).to_have_text("Participant")
            ada.goto(board_url)
            open_on_board(ada)
            expect(ada.locator(".avatars li:not(.me)")).to_have_attribute(
                "title", "bo, participant"
            )

            # Step 3: activities on the timeline, and a question, each seen live by the other.
            move_phase(ada, [bo], "timeline")
            add_activity(
                ada, title="Intake", team="Product", process_time="30m", wait_time="4h", pca="90"
            )
            intake = sticky(bo, "activity", "Intake")
            expect(intake.locator(".process-time")).to_have_text("30m")
            expect(intake.locator(".wait-time")).to_have_text("4h")
            add_activity(bo, title="Build", team="Dev", process_time="2h", wait_time="1d", pca="80")
            build = sticky(ada, "activity", "Build")
            expect(build.locator(".wait-time")).to_have_text("1d")
            expect(build.locator(".pca")).to_have_text("80%")
            expect(ada.locator(".sticky-note.kind-activity .step-number")).to_have_text(["1", "2"])

            move_phase(ada, [bo], "conversation")
            bo.click(".toolbar [data-action=add-question]")
            fill_form(bo, {"text": "Who approves a release?"})
            expect(sticky(ada, "note", "Who approves a release?")).to_be_visible()

            # Step 5: wastes, one from each.
            move_phase(ada, [bo], "wastes")
            add_waste_under(ada, "Build", "Waiting for the CAB", "waiting")
            add_waste_under(bo, "Intake", "Requirements bounce back", "defects")
            for page in (ada, bo):
                expect(sticky(page, "waste", "Waiting for the CAB")).to_be_visible()
                expect(sticky(page, "waste", "Requirements bounce back")).to_be_visible()

            # Step 6: dot voting; nobody sees the others' dots until the reveal.
            move_phase(ada, [bo], "prioritize")
            vote(ada, "Waiting for the CAB", 2)
            vote(bo, "Waiting for the CAB", 1)
            vote(bo, "Requirements bounce back", 1)
            for page in (ada, bo):
                expect(page.locator(".vote-results")).to_contain_text("4 dots cast so far")
                expect(page.locator(".vote-total")).to_have_count(0)
                members = page.evaluate(OTHERS_DOTS)
                assert members == [], "another member's dot reached the page before the reveal"
            expect(sticky(ada, "waste", "Requirements bounce back").locator(".dot")).to_have_count(
                0
            )

            ada.click("[data-action=reveal]")
            for page in (ada, bo):
                expect(
                    sticky(page, "waste", "Waiting for the CAB").locator(".vote-total")
                ).to_have_text("3 dots")
                expect(
                    sticky(page, "waste", "Requirements bounce back").locator(".vote-total")
                ).to_have_text("1 dot")
                expect(page.locator(".award")).to_contain_text("Waiting for the CAB — 3 dots")
                expect(page.locator(".ranking .ranking-text")).to_have_text(
                    ["Waiting for the CAB", "Requirements bounce back"]
                )

            # Steps 7 and 8: a countermeasure on the most annoying waste, sized as a baby step.
            move_phase(ada, [bo], "countermeasures")
            sticky(ada, "waste", "Waiting for the CAB").locator(
                "[data-action=countermeasure]"
            ).click()
            fill_form(
                ada,
                {
                    "title": "Pre-approved standard changes",
                    "current_condition": "Every release waits a day for the weekly CAB",
                    "future_condition": "Standard changes go out without a CAB",
                    "measure": "Wait before deploy under 1h",
                    "owner": "Ops",
                },
            )
            expect(sticky(bo, "countermeasure", "Pre-approved standard changes")).to_be_visible()
            move_phase(ada, [bo], "baby_steps")
            sticky(ada, "countermeasure", "Pre-approved standard changes").click()
            ada.click(".size-grid button.place[aria-label$='as effort 2, difficulty 1']")
            ada.click(".size-detail .segmented button:text('Broad')")
            expect(ada.locator(".size-detail .segmented button:text('Broad')")).to_have_attribute(
                "aria-pressed", "true"
            )
            for page in (ada, bo):
                expect(
                    sticky(page, "countermeasure", "Pre-approved standard changes").locator(
                        ".size-chip"
                    )
                ).to_have_text("Broad · E2 D1")
                expect(page.locator(".backlog li")).to_have_text(
                    [
                        re.compile(
                            r"^Pre-approved standard changes for “Waiting for the CAB” · "
                            r"size 5 \(Broad, E2 D1\) · Ops$"
                        )
                    ]
                )
            # The board's ladder reads the figures as the summary does (every unit of the
            # lead time, rolled %C&A to a whole percent).
            figures = ada.locator(".ladder-figures")
            expect(figures.locator(".ladder-figure", has_text="Lead time")).to_have_text(
                "Lead time 1d 6h 30m"
            )
            expect(figures.locator(".ladder-figure", has_text="Rolled")).to_have_text(
                "Rolled %C&A 72%"
            )
            ada.screenshot(path=str(ARTIFACTS / "journey-board.png"))
            # The whole map fitted, as everyone sees it when the facilitator shows it all.
            ada.click("[data-action=zoom-fit]")
            ada.wait_for_timeout(200)
            ada.screenshot(path=str(ARTIFACTS / "journey-board-fitted.png"))

            # A leader joins with the viewer link and reads the flow.
            cy = new_page()
            cy.goto(links["viewer"])
            cy.click("a:text('Sign up to join')")
            sign_up(cy, "cy")
            cy.wait_for_url(board_url)
            open_on_board(cy)
            expect(cy.locator(".role-badge")).to_have_text("Viewer")
            cy.click(".board-links-nav a:text('Flow summary')")
            # Intake (30m + 4h) then Build (2h + 1d of 8h): 14.5h, 2.5h of it work.
            expect(cy.locator("[data-figure=lead_time]")).to_have_text("1d 6h 30m")
            expect(cy.locator("[data-figure=process_time]")).to_have_text("2h 30m")
            expect(cy.locator("[data-figure=wait_time]")).to_have_text("1d 4h")
            expect(cy.locator("[data-figure=flow_efficiency]")).to_have_text("17.2%")
            expect(cy.locator("[data-figure=rolled_pca]")).to_have_text("72%")
            expect(cy.locator("[data-figure=bottleneck]")).to_have_text("Build")
            expect(cy.locator("td", has_text="Pre-approved standard changes")).to_have_count(1)
            expect(cy.locator("svg[aria-label^='Waste Pareto']")).to_be_visible()
            cy.screenshot(path=str(ARTIFACTS / "journey-summary.png"), full_page=True)
            lead_seconds = cy.locator("[data-figure=lead_time]").get_attribute("data-seconds")

            # Step 9, repeat: the facilitator designs the future state, then maps the stream
            # again; every summary opens afterwards and compares the mappings.
            ada.goto(board_url)
            ada.click(".board-links-nav a:text('Workshop')")
            workshop_url = ada.url
            first = ada.locator(".cards li.card").first
            first.locator("button:text('Design the future state')").click()
            ada.wait_for_url(re.compile(r"/streams/\d+/board/$"))
            assert ada.url != board_url
            open_on_board(ada)
            ada.goto(workshop_url)
            ada.locator(".cards li.card", has_text="Feature request to production").first.locator(
                "button:text('Map it again')"
            ).click()
            ada.wait_for_url(re.compile(r"/streams/\d+/board/$"))
            open_on_board(ada)
            streams = list(ValueStream.objects.order_by("pk"))
            assert [stream.state for stream in streams] == ["current", "future", "current"]
            for stream in streams:
                response = cy.goto(f"/streams/{stream.pk}/summary/")
                assert response is not None and response.status == 200, stream.name
                expect(cy.locator("table.compare")).to_be_visible()
                expect(cy.locator("[data-figure=lead_time]")).to_have_text("1d 6h 30m")
            cy.goto(f"/streams/{streams[0].pk}/summary/")
            expect(cy.locator("table.compare thead a")).to_have_count(2)
            cy.screenshot(path=str(ARTIFACTS / "journey-summary-compare.png"), full_page=True)

            # The exports that leave the workshop: the summary's PDF report (its first page
            # rendered to PNG) and the board's PNG picture.
            save_report_page(cy, f"/streams/{streams[0].pk}/summary/report.pdf")
            save_board_png(ada, board_url)

        stream = ValueStream.objects.select_related("workshop").order_by("pk").first()
        assert stream is not None
        expected = flow_summary(*stream_facts(stream))
        assert float(lead_seconds or 0) == expected["lead_time"] == 14.5 * 3600
        workshop = stream.workshop
        assert (workshop.title, workshop.is_recent, workshop.is_road_tested) == (
            "Release train retro",
            True,
            True,
        )
        roles = dict(Membership.objects.values_list("user__username", "role"))
        assert roles == {"ada": Role.FACILITATOR, "bo": Role.PARTICIPANT, "cy": Role.VIEWER}
        assert Vote.objects.filter(stream=stream).count() == 4
        countermeasure = Countermeasure.objects.get(stream=stream)
        assert (countermeasure.breadth, countermeasure.effort, countermeasure.difficulty) == (
            "broad",
            2,
            1,
        )
        assert countermeasure.waste.text == "Waiting for the CAB"
        assert dialogs == []
    finally:
        connection.close()  # opened beside Playwright's loop; would outlive the test database
        for context in contexts:
            context.close()
