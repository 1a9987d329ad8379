"""Tracker credentials at rest: encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from the
`cryptography` package) under the key(s) in VSM_CREDENTIALS_KEY. Several keys separated by
commas rotate: MultiFernet encrypts with the first and decrypts with any, and
`credential_rotate` re-encrypts a token under the first.

Without VSM_CREDENTIALS_KEY (development and tests only: production refuses to start, see
`workitems.checks`) the key is derived from DJANGO_SECRET_KEY, so it is stable across
restarts of the same installation.

A credential is a small JSON object (`{"token": ...}`, `{"email": ..., "token": ...}`); the
plain text exists only in memory, while a request to the tracker is made.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialKeyError(Exception):
    """The configured key cannot encrypt, or cannot decrypt a stored credential."""


def development_key() -> bytes:
    """The key used when VSM_CREDENTIALS_KEY is not set: derived from the SECRET_KEY."""
    digest = hashlib.sha256(b"flowmap-tracker-credentials:" + settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(digest.digest())


def configured_keys() -> list[bytes]:
    """The keys of VSM_CREDENTIALS_KEY in order (the first encrypts), or [] when unset."""
    raw = str(getattr(settings, "VSM_CREDENTIALS_KEY", "") or "")
    return [part.strip().encode() for part in raw.split(",") if part.strip()]


def key_problem() -> str | None:
    """Why VSM_CREDENTIALS_KEY is unusable (in words, never echoing it), or None."""
    for position, key in enumerate(configured_keys(), start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return (
                f"key {position} of VSM_CREDENTIALS_KEY is not a Fernet key (32 url-safe "
                "base64-encoded bytes)"
            )
    return None


def _fernet() -> MultiFernet:
    keys = configured_keys() or [development_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise CredentialKeyError(key_problem() or "VSM_CREDENTIALS_KEY is invalid") from None


def credential_encrypt(credential: dict[str, Any]) -> str:
    """The credential as a Fernet token (ASCII text) under the first key."""
    plain = json.dumps(credential, separators=(",", ":"), sort_keys=True).encode()
    return _fernet().encrypt(plain).decode("ascii")


def credential_decrypt(token: str) -> dict[str, Any]:
    """The credential a token holds. Raises CredentialKeyError when no configured key opens
    it (the key was changed without keeping the old one for rotation)."""
    try:
        plain = _fernet().decrypt(token.encode("ascii"))
    except InvalidToken:
        raise CredentialKeyError(
            "The stored credential cannot be decrypted with VSM_CREDENTIALS_KEY (was the key "
            "changed without keeping the old one after it?). Enter the credential again."
        ) from None
    value = json.loads(plain)
    return value if isinstance(value, dict) else {}


def credential_rotate(token: str) -> str:
    """The same credential encrypted under the first key (MultiFernet.rotate)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise CredentialKeyError("The stored credential cannot be decrypted.") from None
