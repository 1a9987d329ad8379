"""Keyboard shortcuts with Ctrl/Cmd in a real browser: copy, paste and duplicate of the
selected stickies (within a board and onto another board of the workshop) instead of the
one-letter card shortcuts, and a viewer who may not paste."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streams.models import Activity, Countermeasure, Link, Note, Op, Vote, Waste
from tests.e2e import test_board_ui
from tests.e2e.test_board_ui import eventually, sticky
from tests.factories import ActivityFactory, LinkFactory, NoteFactory, StreamFactory, WasteFactory

pytestmark = pytest.mark.django_db(transaction=True)

board = test_board_ui.board  # the fixture, under its own name

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


def test_ctrl_c_and_ctrl_v_on_a_focused_waste_copy_and_paste_it_not_a_countermeasure_or_a_dot(
    board: Callable[..., Any], cast: Any
) -> None:
    waste = WasteFactory(stream=cast.stream, text="Waiting for the CAB", x=100, y=100)
    page = board("participant")
    sticky(page, "waste", waste).locator(".waste-category").click()

    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")

    copy = eventually(lambda: Waste.objects.filter(stream=cast.stream).exclude(pk=waste.pk).first())
    assert copy is not None and copy.text == "Waiting for the CAB"
    assert (copy.x, copy.y) == (124, 124)  # next to the original, which is in view
    assert not Countermeasure.objects.filter(waste__stream=cast.stream).exists()
    assert not Vote.objects.filter(waste__stream=cast.stream).exists()
    sticky(page, "waste", copy).wait_for()
    assert page.locator(".sticky-note.selected").count() == 1  # the copy, ready to move


def test_copied_stickies_paste_onto_another_board_of_the_workshop_as_they_were_laid_out(
    board: Callable[..., Any], cast: Any
) -> None:
    plan = ActivityFactory(stream=cast.stream, title="Plan", x=40, y=40, process_time=3600)
    build = ActivityFactory(stream=cast.stream, title="Build", x=280, y=40, wait_time=7200)
    LinkFactory(stream=cast.stream, source=plan, target=build)
    WasteFactory(stream=cast.stream, text="Specs change", activity=plan, x=50, y=210)
    NoteFactory(stream=cast.stream, text="Who signs off?", kind="question", x=300, y=260)
    future = StreamFactory(workshop=cast.workshop, name="Future state")
    page = board("participant")
    stickies = page.locator(".sticky-note")
    stickies.first.wait_for()
    stickies.nth(0).click(position={"x": 5, "y": 5})
    for index in range(1, 4):
        stickies.nth(index).click(position={"x": 5, "y": 5}, modifiers=["Shift"])
    assert page.locator(".sticky-note.selected").count() == 4
    page.keyboard.press("Control+c")

    page.goto(f"/streams/{future.pk}/board/")
    page.wait_for_selector(".connection[data-state=connected]")
    page.wait_for_selector(".loading", state="hidden")
    page.locator(".board-viewport").click(position={"x": 300, "y": 300})
    page.keyboard.press("Control+v")

    assert eventually(lambda: Note.objects.filter(stream=future).exists())
    page.wait_for_selector(".sticky-note >> nth=3")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-pasted-onto-another-board.png"))
    new_plan = Activity.objects.get(stream=future, title="Plan")
    new_build = Activity.objects.get(stream=future, title="Build")
    waste = Waste.objects.get(stream=future)
    note = Note.objects.get(stream=future)
    assert (new_plan.process_time, new_build.wait_time) == (3600, 7200)
    assert (new_build.x - new_plan.x, new_build.y - new_plan.y) == (240, 0)
    assert (waste.x - new_plan.x, waste.y - new_plan.y) == (10, 170)
    assert (note.x - new_plan.x, note.y - new_plan.y, note.kind) == (260, 220, "question")
    assert waste.text == "Specs change" and waste.activity_id == new_plan.pk
    assert Link.objects.filter(stream=future, source=new_plan, target=new_build).count() == 1
    assert Activity.objects.filter(stream=cast.stream).count() == 2  # the originals stay put


def test_a_viewer_who_pastes_is_told_why_not_and_nothing_is_sent(
    board: Callable[..., Any], cast: Any
) -> None:
    ActivityFactory(stream=cast.stream, title="Approve", x=40, y=40)
    note = NoteFactory(stream=cast.stream, text="Why two approvals?", x=300, y=40)
    page = board("viewer")
    sticky(page, "note", note).click()
    ops_before = Op.objects.count()

    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")

    toast = page.locator(".toast", has_text="viewer")
    toast.wait_for()
    assert "not paste onto it" in toast.inner_text()
    page.keyboard.press("Control+d")
    page.locator(".toast", has_text="not duplicate onto it").wait_for()
    assert Note.objects.filter(stream=cast.stream).count() == 1
    assert Op.objects.count() == ops_before


def test_ctrl_d_duplicates_the_selection_next_to_it_and_one_undo_takes_it_back(
    board: Callable[..., Any], cast: Any
) -> None:
    first = NoteFactory(stream=cast.stream, text="One", x=100, y=100)
    second = NoteFactory(stream=cast.stream, text="Two", x=320, y=100)
    page = board("participant")
    sticky(page, "note", first).click()
    sticky(page, "note", second).click(modifiers=["Shift"])

    page.keyboard.press("Control+d")

    assert eventually(lambda: Note.objects.filter(stream=cast.stream).count() == 4)
    copies = Note.objects.filter(stream=cast.stream).exclude(pk__in=[first.pk, second.pk])
    assert sorted((n.text, n.x, n.y) for n in copies) == [("One", 124, 124), ("Two", 344, 124)]
    page.wait_for_selector(".sticky-note >> nth=3")
    assert page.locator(".sticky-note.selected").count() == 2

    page.keyboard.press("Control+z")
    assert eventually(lambda: Note.objects.filter(stream=cast.stream).count() == 2)
