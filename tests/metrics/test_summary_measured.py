"""The summary page's "map against measured flow": a drawn map held against a hand-made
history (imported as a team would, with its tracker states assigned to the activities), read
through the page's HTML as a viewer, a participant and a facilitator read it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import tinyhtml5
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from metrics.services import snapshot_take
from streams.models import ValueStream
from tests.factories import ActivityFactory, LinkFactory
from vsm_site.units import humanize_duration
from workitems.models import WorkState
from workitems.services import work_item_import_create, work_state_update

pytestmark = pytest.mark.django_db

HOUR = 3600
CALENDAR_DAY = 86_400 * 40 / 168  # a calendar day in the map's working seconds (8-hour days)
SECTION = "The map against measured flow"
SVG = "{http://www.w3.org/2000/svg}"  # the parser puts inline SVG in its namespace


def _history(base: Any) -> bytes:
    """Three items through Dev and Test, `base` days ago and after: Dev waits 2, 3 and 1 days
    and works 2 each (C is blocked 2 days on the way, in a state on no activity); Test waits
    5, 6 and 4 days and works 1, 1 and 2. Nobody goes back. A fourth is still deploying."""
    day = lambda offset: (base + timedelta(days=offset)).isoformat()  # noqa: E731
    rows = [
        ("A", "Backlog", 0),
        ("A", "Ready for Dev", 1),
        ("A", "In Dev", 3),
        ("A", "Ready for Test", 5),
        ("A", "Testing", 10),
        ("A", "Done", 11),
        ("B", "Backlog", 0),
        ("B", "Ready for Dev", 1),
        ("B", "In Dev", 4),
        ("B", "Ready for Test", 6),
        ("B", "Testing", 12),
        ("B", "Done", 13),
        ("C", "Backlog", 0),
        ("C", "Ready for Dev", 2),
        ("C", "In Dev", 3),
        ("C", "Blocked", 4),
        ("C", "In Dev", 6),
        ("C", "Ready for Test", 7),
        ("C", "Testing", 11),
        ("C", "Done", 13),
        ("D", "Backlog", 0),
        ("D", "Deploying", 20),  # still deploying: no done item entered Deploying
    ]
    lines = ["item_id,state,entered_at", *(f"{i},{s},{day(d)}" for i, s, d in rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def drawn(cast: Any) -> Any:
    """Dev -> Test -> Release, with estimates the history disagrees with."""
    dev = ActivityFactory(
        stream=cast.stream,
        title="Dev",
        order=0,
        process_time=16 * HOUR,
        wait_time=8 * HOUR,
        pca=70,
    )
    test = ActivityFactory(
        stream=cast.stream, title="Test", order=1, process_time=8 * HOUR, wait_time=4 * HOUR, pca=90
    )
    release = ActivityFactory(
        stream=cast.stream, title="Release", order=2, process_time=HOUR, wait_time=8 * HOUR, pca=95
    )
    LinkFactory(stream=cast.stream, source=dev, target=test)
    LinkFactory(stream=cast.stream, source=test, target=release)
    cast.dev, cast.test, cast.release = dev, test, release
    return cast


def _import(cast: Any, days_ago: int = 60) -> None:
    base = timezone.now().date() - timedelta(days=days_ago)
    work_item_import_create(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        upload=SimpleUploadedFile("history.csv", _history(base), content_type="text/csv"),
    )


def _assign(cast: Any, **activities: Any) -> None:
    for name, activity in activities.items():
        state = WorkState.objects.get(workshop=cast.workshop, name=name.replace("_", " "))
        work_state_update(actor=cast.facilitator, state_id=state.pk, data={"activity": activity.pk})


@pytest.fixture
def mapped(drawn: Any) -> Any:
    """The history imported and its states on Dev and Test; Blocked and Release unmapped."""
    _import(drawn)
    _assign(
        drawn,
        Ready_for_Dev=drawn.dev,
        In_Dev=drawn.dev,
        Ready_for_Test=drawn.test,
        Testing=drawn.test,
    )
    return drawn


def _page(user: Any, stream: Any, query: str = "") -> tuple[int, Any]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/streams/{stream.pk}/summary/{query}")
    return response.status_code, tinyhtml5.parse(
        response.content.decode(), namespace_html_elements=False
    )


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _section(page: Any) -> Any:
    section = page.find(".//section[@id='measured']")
    assert section is not None, "the section is on the page"
    return section


def _rows(page: Any) -> dict[str, Any]:
    return {
        _text(row.find("th")).split()[0]: row
        for row in _section(page).findall(".//table[@data-measured='table']/tbody/tr")
    }


def _cells(row: Any) -> list[Any]:
    return row.findall("td")


def test_the_biggest_surprise_in_wait_time_comes_first(mapped: Any) -> None:
    status, page = _page(mapped.viewer, mapped.stream)

    assert status == 200
    rows = _section(page).findall(".//table[@data-measured='table']/tbody/tr")
    # Test waits 5 days against 4h estimated, Dev 2 days against 8h; Release has no states.
    assert [row.get("data-activity") for row in rows] == [
        str(mapped.test.pk),
        str(mapped.dev.pk),
        str(mapped.release.pk),
    ]
    assert "Largest difference in wait time first" in _text(_section(page).find(".//caption"))


def test_activities_without_a_measured_wait_follow_the_surprises(drawn: Any) -> None:
    _import(drawn)
    _assign(
        drawn,
        Ready_for_Dev=drawn.dev,
        In_Dev=drawn.dev,
        Testing=drawn.test,
        Deploying=drawn.release,
    )

    _, page = _page(drawn.viewer, drawn.stream)

    rows = _section(page).findall(".//table[@data-measured='table']/tbody/tr")
    # Dev's wait is measured; Test has only an active state, so nothing to compare its wait
    # with; no done item went through Deploying.
    assert [(row.get("data-activity"), row.get("data-status")) for row in rows] == [
        (str(drawn.dev.pk), "measured"),
        (str(drawn.test.pk), "measured"),
        (str(drawn.release.pk), "no-items"),
    ]
    test_wait = _cells(rows[1])[3]
    assert _text(test_wait).startswith("–")
    assert test_wait.get("title") == "No waiting tracker state assigned: wait time not measured"
    assert "no work item done in the last 90 days went through Deploying" in _text(
        rows[2].find("th")
    )


def test_each_activity_shows_its_estimate_beside_the_measured_median_p85_and_items(
    mapped: Any,
) -> None:
    _, page = _page(mapped.viewer, mapped.stream)

    dev = _rows(page)["Dev"]
    process_estimate, process, wait_estimate, wait, pca_estimate, pca, items = _cells(dev)
    assert _text(process_estimate) == "2d"  # 16 working hours
    assert _text(process.find(".//span[@class='median']")) == humanize_duration(2 * CALENDAR_DAY)
    assert _text(wait_estimate) == "1d"
    assert _text(wait.find(".//span[@class='median']")) == humanize_duration(2 * CALENDAR_DAY)
    # Waits of 1, 2 and 3 calendar days: p85 = 2 + 0.7 x (3 - 2).
    assert _text(wait.find(".//small")) == f"p85 {humanize_duration(2.7 * CALENDAR_DAY)}"
    assert "Median of 3 items" in wait.get("title")
    assert (_text(pca_estimate), _text(pca.find(".//span[@class='median']"))) == ("70%", "100%")
    assert _text(items) == "3"
    assert "Ready for Dev, In Dev" in _text(dev.find("th"))


def test_differences_beyond_a_quarter_are_coloured_and_carry_an_arrow(mapped: Any) -> None:
    _, page = _page(mapped.viewer, mapped.stream)
    rows = _rows(page)

    test_wait = _cells(rows["Test"])[3]
    dev_process = _cells(rows["Dev"])[1]
    dev_pca = _cells(rows["Dev"])[5]
    test_pca = _cells(rows["Test"])[5]
    # 5 calendar days against 4 hours: longer, worse, warm and ▲.
    assert test_wait.get("class") == "measured-cell worse"
    assert "▲" in _text(test_wait) and "longer than the estimate" in _text(test_wait)
    assert _text(test_wait.find(".//span[@class='diff worse']")).startswith("▲ +")
    # 2 calendar days (11h 26m) against 16 hours: shorter, better, cool and ▼.
    assert dev_process.get("class") == "measured-cell better"
    assert _text(dev_process.find(".//span[@class='diff better']")).startswith("▼ −")
    # %C&A 100 against 70: higher is better, and ▲ says "higher".
    assert dev_pca.get("class") == "measured-cell better"
    assert "▲ +30 pts" in _text(dev_pca) and "higher than the estimate" in _text(dev_pca)
    # 100 against 90 is within 25%: the difference shows, neither coloured nor arrowed.
    assert test_pca.get("class") == "measured-cell"
    assert _text(test_pca.find(".//span[@class='diff']")).startswith("+10 pts")
    assert "▲" not in _text(test_pca) and "▼" not in _text(test_pca)


def test_an_activity_without_tracker_states_points_to_the_board_and_the_flow_page(
    mapped: Any,
) -> None:
    _, page = _page(mapped.viewer, mapped.stream)

    release = _rows(page)["Release"]
    assert release.get("data-status") == "unassigned"
    note = release.find("th")
    assert "no tracker state assigned" in _text(note)
    links = {link.get("href") for link in note.iter("a")}
    assert links == {
        f"/streams/{mapped.stream.pk}/board/",
        f"/workshops/{mapped.workshop.pk}/flow/?map={mapped.stream.pk}",
    }
    # Its estimates stay; nothing measured is made up.
    cells = [_text(cell) for cell in _cells(release)]
    assert cells[0] == "1h" and cells[2] == "1d"
    assert all(cells[index].startswith("–") for index in (1, 3, 5))


def test_lead_time_flow_time_and_coverage_are_shown_with_their_definitions(mapped: Any) -> None:
    _, page = _page(mapped.viewer, mapped.stream)
    section = _section(page)

    def figure(name: str) -> str:
        return _text(section.find(f".//*[@data-figure='{name}']"))

    assert figure("lead_time_estimate") == humanize_duration(
        45 * HOUR, parts=None
    )  # 24 + 12 + 9 hours
    # Dev 2 + 2, Test 5 + 1 calendar days, Release's 9 hours estimated.
    assert figure("lead_time_measured").startswith(
        humanize_duration(10 * CALENDAR_DAY + 9 * HOUR, parts=None)
    )
    assert figure("flow_time_median") == humanize_duration(
        11 * CALENDAR_DAY, parts=None
    )  # 10, 12, 11
    assert figure("items_done") == "3"
    assert "1 activity without measured figures keeps its estimate" in _text(section)
    # Release's 9 estimated hours are no part of the items' flow time: the gap leaves them out,
    # and what remains is C's 2 days in Blocked (on no activity) and the medians' arithmetic.
    gap = section.find(".//*[@data-measured='gap']")
    assert (
        f"{humanize_duration(9 * HOUR, parts=None)} is the estimates of activities with nothing"
        in _text(gap)
    )
    assert figure("measured_on_path") == humanize_duration(10 * CALENDAR_DAY, parts=None)
    assert f"The done items took {humanize_duration(CALENDAR_DAY, parts=None)} longer" in _text(gap)
    assert "time in tracker states on no activity" in _text(gap)
    # Waiting and active days: A 10, B 12, C 11, of which C's 2 in Blocked are on no activity.
    coverage = section.find(".//*[@data-measured='coverage']")
    assert figure("mapped_share") == "94%"
    assert [_text(item) for item in coverage.iter("li")] == ["Blocked 6%"]
    assert "Less than" not in _text(coverage)


def test_a_half_mapped_comparison_warns_and_ranks_the_unmapped_states(drawn: Any) -> None:
    _import(drawn)
    _assign(drawn, In_Dev=drawn.dev)

    _, page = _page(drawn.viewer, drawn.stream)

    coverage = _section(page).find(".//*[@data-measured='coverage']")
    assert "Less than 80% is mapped" in _text(coverage)
    # Waiting/active days not on the map: Ready for Test 15, Ready for Dev 6, Testing 4,
    # Blocked 2 (of 33).
    assert [_text(item) for item in coverage.iter("li")] == [
        "Ready for Test 45%",
        "Ready for Dev 18%",
        "Testing 12%",
        "Blocked 6%",
    ]
    # Dev has no waiting state: its wait is not measured, so it is not ranked by it.
    dev = _rows(page)["Dev"]
    assert _text(_cells(dev)[3]).startswith("–")
    assert "no waiting tracker state assigned" in _text(_cells(dev)[3])


def test_the_paired_ladder_draws_the_estimate_above_the_measured_figures(mapped: Any) -> None:
    _, page = _page(mapped.viewer, mapped.stream)

    ladder = _section(page).find(f".//{SVG}svg[@class='svg-chart']")
    assert ladder.get("aria-label").startswith("Estimated and measured timeline")
    bars = ladder.findall(f"{SVG}rect")
    assert len(bars) == 12  # wait and process of 3 steps, twice
    estimated, measured = bars[:6], bars[6:]
    assert float(max(bar.get("y") for bar in estimated)) < float(min(b.get("y") for b in measured))
    titles = [_text(bar.find(f"{SVG}title")) for bar in measured]
    assert titles[2].startswith(f"Test: waits {humanize_duration(5 * CALENDAR_DAY)}")
    # Release keeps its estimate on the measured row, drawn pale and saying so.
    assert measured[4].get("class") == "wait kept"
    assert "no tracker state" in titles[4] or "no waiting or active" in titles[4]
    texts = [_text(text) for text in ladder.iter(f"{SVG}text")]
    assert "Estimated" in texts and "Measured" in texts
    assert "estimate kept (nothing measured)" in texts


def test_without_work_items_one_line_points_to_the_flow_page(drawn: Any) -> None:
    _, page = _page(drawn.viewer, drawn.stream)

    section = _section(page)
    assert [element.tag for element in section] == ["h2", "p"]
    line = section.find("p")
    assert line.get("data-measured") == "no-items"
    assert line.find("a").get("href") == f"/workshops/{drawn.workshop.pk}/flow/"


def test_with_items_but_no_state_on_the_map_the_section_says_how_to_assign_them(
    drawn: Any,
) -> None:
    _import(drawn)

    _, page = _page(drawn.facilitator, drawn.stream)

    section = _section(page)
    empty = section.find(".//*[@data-measured='no-states']")
    assert "No tracker state is assigned" in _text(empty)
    assert section.find(".//table") is None and section.find(f".//{SVG}svg") is None


def test_a_window_without_done_items_says_so_and_the_presets_choose_windows(mapped: Any) -> None:
    today = timezone.now().date()
    _, page = _page(mapped.viewer, mapped.stream)
    presets = {
        _text(link): link for link in _section(page).findall(".//span[@class='window-presets']/a")
    }
    assert list(presets) == ["last 30 days", "last 90 days", "last 180 days"]
    assert presets["last 90 days"].get("aria-current") == "true"  # the default
    last_30 = presets["last 30 days"].get("href")
    assert last_30 == f"?start={today - timedelta(days=29)}&end={today}#measured"

    _, page = _page(mapped.viewer, mapped.stream, last_30.split("#")[0])

    section = _section(page)
    assert "No work item done in the last 30 days" in _text(
        section.find(".//*[@data-measured='no-done']")
    )
    assert _rows(page)["Dev"].get("data-status") == "no-items"
    assert section.find(".//input[@id='measured-start']").get("value") == str(
        today - timedelta(days=29)
    )


@pytest.mark.parametrize(
    "query",
    [
        "?start=yesterday",
        "?start=2024-03-10&end=2024-03-01",
        "?start=1900-01-01",
        "?start=9999-12-31",
        "?end=2024-02-30",
        "?start=%00",
    ],
)
def test_a_window_that_cannot_be_is_explained_and_the_default_shown(
    mapped: Any, query: str
) -> None:
    for partial in ("", "&partial=1"):
        status, page = _page(mapped.viewer, mapped.stream, query + partial)

        assert status == 200
        section = _section(page)
        assert "This window cannot be shown" in _text(section.find(".//*[@role='alert']"))
        assert _text(section.find(".//*[@data-figure='items_done']")) == "3"  # last 90 days


@pytest.mark.parametrize("role", ["viewer", "participant"])
def test_only_facilitators_see_the_button_that_makes_a_map(mapped: Any, role: str) -> None:
    _, page = _page(mapped.user(role), mapped.stream)
    assert _section(page).find(".//form[@class='measured-apply']") is None

    _, page = _page(mapped.facilitator, mapped.stream)
    form = _section(page).find(".//form[@class='measured-apply']")
    assert form.get("action") == f"/streams/{mapped.stream.pk}/summary/measured/apply/"
    assert _text(form.find("button")) == "Make a current-state map from the measured figures"
    assert form.find("button").get("disabled") is None


def test_the_button_makes_a_current_state_map_and_lands_on_its_board(mapped: Any) -> None:
    client = Client()
    client.force_login(mapped.facilitator)
    today = timezone.now().date()

    response = client.post(
        f"/streams/{mapped.stream.pk}/summary/measured/apply/",
        {"start": today - timedelta(days=89), "end": today},
    )

    clone = ValueStream.objects.exclude(pk=mapped.stream.pk).get()
    assert (clone.state, clone.based_on_id) == ("current", mapped.stream.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/streams/{clone.pk}/board/"
    test = clone.activities.get(title="Test")
    assert test.wait_time == pytest.approx(5 * CALENDAR_DAY)
    # This map's summary compares the two.
    _, page = _page(mapped.viewer, mapped.stream)
    compare = page.find(".//section[@aria-label='Compare mappings']")
    assert clone.name in _text(compare)


def test_the_button_without_measured_figures_returns_with_the_reason(mapped: Any) -> None:
    client = Client()
    client.force_login(mapped.facilitator)
    today = timezone.now().date()
    window = {"start": today - timedelta(days=29), "end": today}  # nothing done in it

    response = client.post(
        f"/streams/{mapped.stream.pk}/summary/measured/apply/", window, follow=True
    )

    assert ValueStream.objects.count() == 1
    assert response.redirect_chain[-1][0].startswith(f"/streams/{mapped.stream.pk}/summary/?")
    assert "No activity has measured figures in this window" in response.content.decode()


@pytest.mark.parametrize("start", ["yesterday", "9999-12-31", "%00"])
def test_the_button_with_a_window_that_cannot_be_says_why(mapped: Any, start: str) -> None:
    client = Client()
    client.force_login(mapped.facilitator)

    response = client.post(
        f"/streams/{mapped.stream.pk}/summary/measured/apply/", {"start": start}, follow=True
    )

    assert response.status_code == 200
    assert ValueStream.objects.count() == 1
    assert "The window cannot be used" in response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "participant"])
def test_only_facilitators_make_a_map(mapped: Any, role: str) -> None:
    client = Client()
    client.force_login(mapped.user(role))

    response = client.post(f"/streams/{mapped.stream.pk}/summary/measured/apply/")

    assert response.status_code == 403
    assert ValueStream.objects.count() == 1


def test_non_members_get_404_from_the_page_and_the_button(mapped: Any) -> None:
    client = Client()
    client.force_login(mapped.outsider)

    assert client.get(f"/streams/{mapped.stream.pk}/summary/").status_code == 404
    assert client.post(f"/streams/{mapped.stream.pk}/summary/measured/apply/").status_code == 404
    assert client.get(f"/streams/{mapped.stream.pk}/summary/measured/apply/").status_code == 405
    assert ValueStream.objects.count() == 1


def test_the_trend_shows_the_measured_lead_time_beside_the_estimate(mapped: Any) -> None:
    today = timezone.now().date()
    for days_ago in (2, 1, 0):
        snapshot_take(stream_id=mapped.stream.pk, day=today - timedelta(days=days_ago))

    _, page = _page(mapped.viewer, mapped.stream)

    charts = {
        chart.get("aria-label").split(":")[0]: chart
        for chart in page.findall(f".//section[@class='trends']//{SVG}svg")
    }
    assert set(charts) == {"Lead time trend", "Flow efficiency trend"}
    for chart in charts.values():
        assert [line.get("class") for line in chart.findall(f"{SVG}polyline")] == [
            "trend",
            "measured",
        ]
        legend = [
            _text(text) for text in chart.iter(f"{SVG}text") if text.get("class") == "legend-text"
        ]
        assert legend == ["estimate (the map)", "measured (tracker states)"]
    dots = charts["Lead time trend"].findall(f"{SVG}circle")
    assert len(dots) == 6
    assert _text(dots[-1].find(f"{SVG}title")).endswith(
        f"estimate {humanize_duration(45 * HOUR)}, measured "
        f"{humanize_duration(10 * CALENDAR_DAY + 9 * HOUR)}"
    )
    assert page.find(".//*[@data-measured='trend-empty']") is None


def test_the_trend_says_when_the_measured_line_starts(drawn: Any) -> None:
    today = timezone.now().date()
    for days_ago in (1, 0):
        snapshot_take(stream_id=drawn.stream.pk, day=today - timedelta(days=days_ago))

    _, page = _page(drawn.viewer, drawn.stream)

    chart = page.find(f".//section[@class='trends']//{SVG}svg")
    assert [line.get("class") for line in chart.findall(f"{SVG}polyline")] == ["trend"]
    empty = page.find(".//*[@data-measured='trend-empty']")
    assert "The measured trend starts once tracker states are assigned" in _text(empty)
    assert empty.find("a").get("href") == f"/workshops/{drawn.workshop.pk}/flow/"


def test_the_live_partial_carries_the_section(mapped: Any) -> None:
    today = timezone.now().date()
    query = f"?start={today - timedelta(days=179)}&end={today}&partial=1"

    status, page = _page(mapped.viewer, mapped.stream, query)

    assert status == 200
    body = page.find(".//div[@id='summary-body']")
    assert body is not None and SECTION in _text(body)
    assert _text(body.find(".//*[@data-figure='items_done']")) == "3"
    link = body.find(".//a[@aria-current='true']")
    assert _text(link) == "last 180 days"
