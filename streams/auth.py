"""Websocket authentication: the session cookie for browsers, `Authorization: Token <key>`
on the handshake for scripts. The scope's `user` is anonymous when neither is valid."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key[:40]).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class _TokenAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "token" and key:
            scope = {**scope, "user": await _user_for_token(key.strip())}
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner: Any) -> Any:  # noqa: N802 (a middleware factory)
    """Session auth first; a valid token header overrides it."""
    return AuthMiddlewareStack(_TokenAuthMiddleware(inner))
