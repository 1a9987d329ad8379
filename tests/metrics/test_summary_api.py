"""GET /api/streams/{id}/summary/ and the summary page."""

import pytest

from tests.factories import ActivityFactory, LinkFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "lead_time",
    "process_time",
    "wait_time",
    "total_work",
    "flow_efficiency",
    "rolled_pca",
    "critical_path",
    "bottleneck",
    "by_team",
    "wastes",
    "computed_at",
    "stale",
}


@pytest.fixture
def diamond(cast):
    """start -> (slow | quick) -> end."""
    start, slow, quick, end = (
        ActivityFactory(stream=cast.stream, title=title, process_time=p, wait_time=w, team=team)
        for title, p, w, team in (
            ("start", 60, 0, "A"),
            ("slow", 600, 3000, "B"),
            ("quick", 60, 60, "C"),
            ("end", 60, 600, "A"),
        )
    )
    for source, target in ((start, slow), (start, quick), (slow, end), (quick, end)):
        LinkFactory(stream=cast.stream, source=source, target=target)
    return start, slow, quick, end


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
def test_every_member_reads_the_summary(cast, client_for, diamond, role):
    response = client_for(cast.user(role)).get(f"/api/streams/{cast.stream.pk}/summary/")
    assert response.status_code == 200
    assert set(response.json()) >= FIELDS


def test_summary_follows_the_longest_branch(cast, client_for, diamond):
    start, slow, _, end = diamond
    body = client_for(cast.viewer).get(f"/api/streams/{cast.stream.pk}/summary/").json()
    assert body["critical_path"] == [start.pk, slow.pk, end.pk]
    assert body["lead_time"] == 60 + 3600 + 660
    assert body["process_time"] == 720 and body["wait_time"] == 3600
    assert body["total_work"] == 780
    assert body["bottleneck"] == slow.pk
    assert 0 <= body["flow_efficiency"] <= 1 and body["stale"] is False


def test_non_member_gets_404_and_anonymous_is_refused(cast, client_for):
    url = f"/api/streams/{cast.stream.pk}/summary/"
    assert client_for(cast.outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code in (401, 403)


def test_summary_page_shows_figures_in_human_units(cast, client, diamond):
    client.force_login(cast.viewer)
    page = client.get(f"/streams/{cast.stream.pk}/summary/").content.decode()
    assert "1h 12m" in page  # lead time 4320 s
    assert "<svg" in page and "Timeline ladder" in page


def test_summary_page_escapes_user_text(cast, client):
    ActivityFactory(stream=cast.stream, title="<img src=x onerror=alert(1)>", wait_time=600)
    client.force_login(cast.viewer)
    page = client.get(f"/streams/{cast.stream.pk}/summary/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_summary_page_partial_renders_only_the_body(cast, client, diamond):
    client.force_login(cast.participant)
    page = client.get(f"/streams/{cast.stream.pk}/summary/?partial=1").content.decode()
    assert page.lstrip().startswith('<div id="summary-body"') and "<html" not in page


def test_summary_page_is_hidden_from_non_members(cast, client):
    client.force_login(cast.outsider)
    assert client.get(f"/streams/{cast.stream.pk}/summary/").status_code == 404
