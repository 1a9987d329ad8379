"""The workshop pages: create against the five R's, streams, people, invitation links."""

import pytest

from streams.models import ValueStream
from workshops.models import Invitation, Membership, Workshop

pytestmark = pytest.mark.django_db


def test_creating_a_workshop_records_the_five_rs_and_opens_the_new_board(client, cast):
    client.force_login(cast.outsider)
    response = client.post(
        "/workshops/new/",
        {
            "title": "Checkout",
            "stream_name": "Order to delivery",
            "is_recent": "on",
            "has_reach": "on",
            "choice_notes": "Black Friday",
        },
    )
    workshop = Workshop.objects.get(title="Checkout")
    stream = ValueStream.objects.get(workshop=workshop)
    assert response.status_code == 302
    assert response["Location"] == f"/streams/{stream.pk}/board/?share=1"
    assert workshop.five_rs == {
        "recent": True,
        "real": False,
        "reach": True,
        "representative": False,
        "road_tested": False,
    }
    assert Membership.objects.get(workshop=workshop, user=cast.outsider).role == "facilitator"


def test_a_blank_title_shows_the_error_and_creates_nothing(client, cast):
    client.force_login(cast.outsider)
    response = client.post("/workshops/new/", {"title": " ", "stream_name": ""})
    assert response.status_code == 200
    assert b"Must not be blank." in response.content
    assert not Workshop.objects.filter(memberships__user=cast.outsider).exists()


def test_facilitator_creates_an_invitation_link_shown_on_the_page(client, cast):
    client.force_login(cast.facilitator)
    client.post(f"/workshops/{cast.workshop.pk}/invitations/", {"role": "viewer"})
    invitation = Invitation.objects.get(workshop=cast.workshop)
    page = client.get(f"/workshops/{cast.workshop.pk}/").content.decode()
    assert invitation.role == "viewer" and f"/join/{invitation.token}/" in page


def test_participant_sees_no_invitation_links(client, cast):
    Invitation.objects.create(workshop=cast.workshop, role="participant")
    client.force_login(cast.participant)
    page = client.get(f"/workshops/{cast.workshop.pk}/").content.decode()
    assert "/join/" not in page


def test_participant_cannot_create_invitations_through_the_page(client, cast):
    client.force_login(cast.participant)
    response = client.post(f"/workshops/{cast.workshop.pk}/invitations/", {"role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_joining_by_link_signs_up_a_new_person_and_lands_on_the_board(client, cast):
    invitation = Invitation.objects.create(workshop=cast.workshop, role="participant")
    join = f"/join/{invitation.token}/"
    assert b"Sign up to join" in client.get(join).content
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "next": join,
        },
    )
    assert response["Location"] == join
    landing = client.get(join)
    assert landing["Location"] == f"/streams/{cast.stream.pk}/board/"
    assert Membership.objects.get(user__username="newcomer").role == "participant"


def test_signup_never_redirects_off_site(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "someone",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"


def test_facilitator_clones_the_map_into_a_future_state(client, cast):
    client.force_login(cast.facilitator)
    response = client.post(
        f"/workshops/{cast.workshop.pk}/streams/{cast.stream.pk}/repeat/", {"state": "future"}
    )
    clone = ValueStream.objects.get(based_on=cast.stream)
    assert clone.state == "future" and response["Location"] == f"/streams/{clone.pk}/board/"


def test_facilitator_changes_a_members_role(client, cast):
    client.force_login(cast.facilitator)
    member = cast.membership("viewer")
    client.post(f"/workshops/{cast.workshop.pk}/members/{member.pk}/", {"role": "participant"})
    member.refresh_from_db()
    assert member.role == "participant"


def test_workshop_page_escapes_user_text(client, cast):
    cast.workshop.title = "<script>alert(1)</script>"
    cast.workshop.save()
    client.force_login(cast.viewer)
    page = client.get(f"/workshops/{cast.workshop.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
