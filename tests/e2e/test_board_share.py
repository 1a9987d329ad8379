"""Inviting people from the board (issue 12, item 18), in Chromium against real servers: the
facilitator's Share button opens a dialog with an invitation link per role and copy buttons
(links made when none is usable, reused otherwise), it opens by itself where a new workshop
lands (?share=1), and it holds the members with the team each one speaks for (step 2).
Screenshots go to artifacts/e2e/ (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, InvitationFactory
from workshops.models import Invitation, Membership

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture
def open_board(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> Callable[..., Any]:
    """open_board(role, query='') -> a signed-in page on the cast's board, loaded."""
    (server,) = asgi_servers.get(1)

    def open_page(role: str, query: str = "") -> Any:
        page = signed_in_page(server.http_url, cast.user(role).username, PASSWORD)
        page.set_default_timeout(8000)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(f"/streams/{cast.stream.pk}/board/{query}")
        page.wait_for_selector(".connection[data-state=connected]")
        page.wait_for_selector(".loading", state="hidden")
        return page

    return open_page


def dialog(page: Any) -> Any:
    return page.get_by_role("dialog", name="Invite people")


def test_share_opens_a_link_per_role_made_when_none_is_usable_and_copy_copies_it(
    open_board: Callable[..., Any], cast: Any
) -> None:
    InvitationFactory(workshop=cast.workshop, role="viewer", revoked=True)  # not usable
    page = open_board("facilitator")
    share = page.locator(".board-links-nav").get_by_role("button", name="Share")

    share.click()
    links = dialog(page).locator(".share-links")
    participant = links.get_by_label("Invitation link for a participant")
    viewer = links.get_by_label("Invitation link for a viewer")
    expect(participant).to_have_value(re.compile(r"/join/"))
    expect(viewer).to_have_value(re.compile(r"/join/"))
    origin = page.url.split("/streams/")[0]
    assert participant.input_value() == f"{origin}/join/{_token('participant', cast)}"
    assert viewer.input_value() == f"{origin}/join/{_token('viewer', cast)}"
    assert not Invitation.objects.filter(workshop=cast.workshop, role="facilitator").exists()
    expect(links.get_by_role("button", name="Create a facilitator link")).to_be_visible()

    links.locator("[data-copy=participant]").click()
    expect(dialog(page).locator(".share-status")).to_have_text("Copied the participant link.")
    assert page.evaluate("navigator.clipboard.readText()") == participant.input_value()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-share-dialog.png"))

    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    expect(share).to_be_focused()  # back where the person was

    page.keyboard.press("Enter")  # the keyboard opens it again: the same links, none made
    expect(participant).to_be_visible()
    links.get_by_role("button", name="Create a facilitator link").click()
    facilitator = links.get_by_label("Invitation link for a facilitator")
    expect(facilitator).to_have_value(re.compile(r"/join/"))
    assert facilitator.input_value() == f"{origin}/join/{_token('facilitator', cast)}"
    usable = Invitation.objects.filter(workshop=cast.workshop, revoked=False)
    assert sorted(usable.values_list("role", flat=True)) == ["facilitator", "participant", "viewer"]


def _token(role: str, cast: Any) -> str:
    invitation = Invitation.objects.filter(workshop=cast.workshop, role=role, revoked=False).first()
    return f"{invitation.token}/" if invitation else "(none)"


def test_a_board_opened_with_share_1_opens_the_dialog_once_for_a_facilitator_only(
    open_board: Callable[..., Any], cast: Any
) -> None:
    page = open_board("facilitator", "?share=1")
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_label("Invitation link for a participant")).to_be_focused()
    assert "share=1" not in page.url  # a reload does not open it again
    page.reload()
    page.wait_for_selector(".loading", state="hidden")
    expect(dialog(page)).to_have_count(0)

    participant = open_board("participant", "?share=1")
    expect(dialog(participant)).to_have_count(0)
    expect(participant.locator("[data-share]")).to_have_count(0)


def test_each_members_team_is_noted_in_the_share_dialog_and_a_refusal_is_said_in_words(
    open_board: Callable[..., Any], cast: Any
) -> None:
    page = open_board("facilitator")
    page.locator("[data-share]").click()
    members = dialog(page).locator(".share-members")
    name = cast.participant.get_full_name()
    team = members.get_by_label(f"{name} participant: team")

    team.fill("Security")
    team.press("Enter")
    row = members.locator(f"[data-member='{cast.membership('participant').pk}']")
    expect(row.locator(".member-status")).to_have_text("Saved")
    assert Membership.objects.get(pk=cast.membership("participant").pk).team == "Security"

    team.fill("t" * 101)
    team.press("Tab")  # leaving the field saves it too
    expect(row.locator(".member-status")).to_have_text(
        "Not saved: Team must be at most 100 characters."
    )
    expect(team).to_have_attribute("aria-invalid", "true")
    assert Membership.objects.get(pk=cast.membership("participant").pk).team == "Security"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-share-teams.png"))
