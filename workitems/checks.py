"""Startup checks of measured flow: the key that encrypts tracker credentials.

Production (VSM_CREDENTIALS_KEY_REQUIRED, set by vsm_site.settings.production) fails to start
without a valid VSM_CREDENTIALS_KEY; elsewhere a missing key is a warning (a development key
derived from DJANGO_SECRET_KEY is used). Registered in WorkitemsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning

from workitems.crypto import configured_keys, key_problem

KEY_HINT = (
    'Set VSM_CREDENTIALS_KEY to the output of `python -c "from cryptography.fernet import '
    'Fernet; print(Fernet.generate_key().decode())"` and keep it secret; list the old key '
    "after a new one (comma-separated) to rotate."
)


def credentials_key_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problem = key_problem()
    if problem:
        return [Error(f"Tracker credentials: {problem}.", hint=KEY_HINT, id="workitems.E002")]
    if configured_keys():
        return []
    if getattr(settings, "VSM_CREDENTIALS_KEY_REQUIRED", False):
        return [
            Error(
                "Tracker credentials: VSM_CREDENTIALS_KEY is required in production (it "
                "encrypts the trackers' tokens at rest).",
                hint=KEY_HINT,
                id="workitems.E001",
            )
        ]
    return [
        Warning(
            "Tracker credentials are encrypted with a development key derived from "
            "DJANGO_SECRET_KEY, since VSM_CREDENTIALS_KEY is not set.",
            hint=KEY_HINT,
            id="workitems.W001",
        )
    ]
