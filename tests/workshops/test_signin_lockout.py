"""Too many failed sign-ins lock the account and the address (django-axes, vsm_site/signin.py):
five failures are answered as failures, the sixth attempt is refused whatever the password,
with "Too many failed sign-ins: try again in N minutes or ask an administrator.", on the
sign-in page, the admin's and the token endpoint; `manage.py axes_reset` unlocks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed sign-ins: try again in 15 minutes or ask an administrator."


def page_sign_in(client: Client, path: str, username: str, password: str, **extra: Any) -> Any:
    return client.post(path, {"username": username, "password": password}, **extra)


def token(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        "/api/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_sixth_attempt_on_a_sign_in_page_is_refused_even_with_the_right_password(path):
    user = UserFactory(is_staff=True)
    client = Client()
    for _ in range(5):
        failed = page_sign_in(client, path, user.username, "wrong")
        assert failed.status_code == 200 and not signed_in(client)  # the form, with its error
    locked = page_sign_in(client, path, user.username, "wrong")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    right = page_sign_in(client, path, user.username, PASSWORD)
    assert right.status_code == 429 and not signed_in(client)

    call_command("axes_reset")
    assert page_sign_in(client, path, user.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_sixth_token_request_is_refused_even_with_the_right_password():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        failed = token(client, user.username, "wrong")
        assert failed.status_code == 400
        assert failed.json() == {
            "reason": "invalid",
            "detail": "Wrong username or password.",
            "errors": {"non_field_errors": ["Wrong username or password."]},
        }
    locked = token(client, user.username, "wrong")
    assert locked.status_code == 429
    assert locked.json() == {"reason": "rate_limited", "detail": LOCKED}
    right = token(client, user.username, PASSWORD)
    assert right.status_code == 429 and "token" not in right.json()

    call_command("axes_reset_username", user.username)
    assert token(client, user.username, PASSWORD).status_code == 200


def test_an_account_is_locked_whatever_address_the_attempts_come_from():
    user = UserFactory()
    for n in range(6):
        token(Client(), user.username, "wrong", REMOTE_ADDR=f"198.51.100.{n}")
    refused = token(Client(), user.username, PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429


def test_an_address_is_locked_whatever_accounts_it_tries():
    victim = UserFactory()
    for n in range(6):
        page_sign_in(Client(), "/accounts/login/", f"guess{n}", "wrong", REMOTE_ADDR="198.51.100.7")
    refused = page_sign_in(
        Client(), "/accounts/login/", victim.username, PASSWORD, REMOTE_ADDR="198.51.100.7"
    )
    assert refused.status_code == 429
    elsewhere = Client()
    assert page_sign_in(elsewhere, "/accounts/login/", victim.username, PASSWORD).status_code == 302


def test_the_limit_defaults_to_five_failures_and_a_quarter_of_an_hour(settings):
    assert settings.VSM_SIGNIN_FAILURE_LIMIT == 5 and settings.AXES_FAILURE_LIMIT == 6
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=3))
def test_the_limit_and_the_cool_off_are_settings():
    user = UserFactory()
    assert [token(Client(), user.username, "wrong").status_code for _ in range(3)] == [
        400,
        400,
        429,
    ]
    message = token(Client(), user.username, PASSWORD).json()["detail"]
    assert re.fullmatch(
        r"Too many failed sign-ins: try again in 3 minutes or ask an admin.*", message
    )


def test_the_lock_ends_when_the_cool_off_has_passed():
    user = UserFactory()
    for _ in range(6):
        token(Client(), user.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert token(Client(), user.username, PASSWORD).status_code == 200


def test_attempts_refused_during_a_lockout_do_not_extend_it():
    user = UserFactory()
    for _ in range(6):
        token(Client(), user.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    for _ in range(3):
        assert token(Client(), user.username, "wrong").status_code == 429
    message = token(Client(), user.username, PASSWORD).json()["detail"]
    assert "try again in 5 minutes" in message
