"""Websocket authentication: the session cookie for browsers, `Authorization: Token <key>`
on the handshake for scripts. The scope's `user` is anonymous when neither is valid; its
`session_tag` names the session the user came from (workshops.events.session_tag), None when
a token signed the socket in (signing out of a browser then leaves it open)."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from workshops.events import session_tag


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
            scope = {**scope, "user": await _user_for_token(key.strip()), "session_tag": None}
        else:
            session = scope.get("session")
            scope = {**scope, "session_tag": session_tag(getattr(session, "session_key", None))}
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner: Any) -> Any:  # noqa: N802 (a middleware factory)
    """Session auth first; a valid token header overrides it."""
    return AuthMiddlewareStack(_TokenAuthMiddleware(inner))


def session_signed_in(scope: dict, user: Any) -> bool:
    """Whether the session a socket was opened with (scope's `session_tag`) still signs `user`
    in, read afresh from the session store; True for a socket a token signed in."""
    if scope.get("session_tag") is None:
        return True
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    key = getattr(scope.get("session"), "session_key", None)
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    return str(store.get(SESSION_KEY)) == str(user.pk)
