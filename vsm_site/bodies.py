"""Request bodies are bounded before anything parses them.

Django enforces `DATA_UPLOAD_MAX_MEMORY_SIZE` only when `request.body` or `request.POST` is
read; DRF's parsers read the stream themselves, and Django's ASGI handler spools any body
whole (to disk past `FILE_UPLOAD_MAX_MEMORY_SIZE`) before a view runs. So the limit is kept
twice, with one answer, a 413 `{"detail": "..."}`:

* `BoundedBodies` wraps the ASGI application (vsm_site/asgi.py): a declared
  `Content-Length` over the limit is answered at once, unread; a chunked body (or any other)
  is counted as it arrives, and at the first chunk over the limit Django is told the client
  left and the 413 goes out (at most the limit, plus the chunk that crossed it, is read).
* `vsm_site.api.JSONParser` reads at most limit + 1 bytes (any server, the test client too).

The limit of a view is `body_limit(view)`: its `max_body_bytes` (an int, or a callable
returning one, read per request so settings can change), else `DATA_UPLOAD_MAX_MEMORY_SIZE`.
Only views that take files declare a larger one (the work-item import).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve
from rest_framework import status
from rest_framework.exceptions import APIException

# As Django's ASGIHandler takes them (django-stubs), so it can be the wrapped app.
Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def body_limit(view: Any) -> int:
    """The most bytes a request body to `view` (a view class, function or instance) may have."""
    limit = getattr(view, "max_body_bytes", None)
    if callable(limit):
        limit = limit()
    return int(limit) if limit is not None else int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MiB"
    if limit >= 1024:
        return f"{limit / 1024:g} KiB"
    return f"{limit} bytes"


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {_size(limit)}, the most accepted here."


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(too_large_message(limit))


def declared_length(meta: Any) -> int | None:
    """The request's Content-Length, or None when it has none (chunked) or a bad one."""
    value = meta.get("CONTENT_LENGTH") or meta.get("HTTP_CONTENT_LENGTH")
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def read_bounded(stream: Any, limit: int, *, declared: int | None = None) -> bytes:
    """The body from `stream`, reading at most `limit` + 1 bytes; RequestTooLarge beyond."""
    if declared is not None and declared > limit:
        raise RequestTooLarge(limit)
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise RequestTooLarge(limit)
    return body


def _view_for(path: str) -> Any:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return getattr(match.func, "view_class", None) or getattr(match.func, "cls", match.func)


class BoundedBodies:
    """ASGI middleware: HTTP request bodies over their view's `body_limit` get a 413 JSON
    answer before the application reads more than the limit (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(_view_for(scope["path"]))
        headers = dict(scope.get("headers") or [])
        declared = declared_length({"CONTENT_LENGTH": headers.get(b"content-length", b"")})
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        exceeded = False

        async def bounded_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django's handler takes this as the client leaving: it stops reading
                    # and answers nothing; the 413 below is the answer.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, bounded_receive, send)
        if exceeded:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"detail": too_large_message(limit)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
