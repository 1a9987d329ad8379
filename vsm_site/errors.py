"""Why a request or a frame changed nothing: the application's refusals and their one envelope.

Services and selectors raise what the domain says, never an HTTP answer:

* Django's `ValidationError` (one message list per field): reason `invalid`;
* Django's `PermissionDenied`: reason `forbidden`;
* `NotFound` (here): reason `not_found`, the same answer for an object that is missing and
  for one the person may not see, so a refusal never reveals what exists;
* `EditConflict` (vsm_site.concurrency): reason `conflict`.

The edges map them, and only the edges: the API's exception handler (`vsm_site.api`), the
board's socket (`streams.consumers`), and for the server-rendered pages `NotFoundMiddleware`
(Django's 404 page, as before; `page_not_found` answers a path under /api/ that no view
serves with the envelope). REST and the socket answer with one envelope,

    {"reason": "<code>", "detail": "<sentences in words>", "errors": {field: [messages]}}

(`errors` only for `invalid`; `fields`, `current` and `by` besides for `conflict`), which the
socket sends inside its `rejected` frame with `type` and `id` (docs/realtime.md, "The error
envelope"). `REASONS` is the one table of reason codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.views import defaults

from vsm_site.concurrency import EditConflict
from vsm_site.validation import errors_in_words

#: Every reason code, with its HTTP status (None: the socket's alone) and when it is given.
REASONS: dict[str, tuple[int | None, str]] = {
    "invalid": (400, "validation failed; `errors` holds the messages per field"),
    "malformed": (400, "not JSON, not an object, a binary frame, an op without a usable `id`"),
    "not_authenticated": (401, "not signed in (the socket closes with 4401 instead)"),
    "forbidden": (403, "signed in, but not allowed: a role, a locked board, a CSRF token"),
    "not_found": (404, "no such object for you: missing, or where you may not see it"),
    "method_not_allowed": (405, "the path does not take this method"),
    "not_acceptable": (406, "the answer cannot be given in the media type asked for"),
    "conflict": (409, "someone else changed the fields since the `version` sent"),
    "too_large": (413, "the body or frame is larger than accepted"),
    "unsupported_media_type": (415, "the body is not in a media type the path takes"),
    "rate_limited": (429, "too many requests or ops; `Retry-After` says when to try again"),
    "unknown_type": (None, "a frame `type` the socket does not know"),
    "unknown_op": (None, "an `op` that is not `<kind>.<action>` of a known kind and action"),
    "unavailable": (None, "the database did not answer; send the op again with the same id"),
    "server_error": (None, "an unexpected failure; nothing changed"),
}


class NotFound(Exception):
    """No such object for this person: it does not exist, or it is where they may not see it
    (another workshop, another board, a dot still secret). Both are the one answer, so the
    message names only the kind ("No such waste.")."""

    def __init__(self, detail: str = "No such object.") -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Rejection:
    """One refusal as both edges send it: `reason` (a key of `REASONS`), `detail` for people
    (sentences, fields named in words), `errors` per field (`invalid` only) and any `extra`
    members of its reason (`conflict`: `fields`, `current`, `by`)."""

    reason: str
    detail: str
    errors: dict[str, list[str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"{self.reason!r} is not a reason of vsm_site.errors.REASONS")

    @property
    def status(self) -> int:
        """The HTTP status of the reason (400 for a reason the socket alone gives)."""
        return REASONS[self.reason][0] or 400

    def envelope(self) -> dict[str, Any]:
        """The JSON body: `reason` and `detail`, then `errors` when there are any, then the
        reason's extra members."""
        body: dict[str, Any] = {"reason": self.reason, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def invalid(errors: dict[str, list[str]]) -> Rejection:
    """An `invalid` rejection of messages per field; `detail` says them all in words
    ("Title must be at most 200 characters.")."""
    return Rejection("invalid", errors_in_words(errors), errors)


def rejection_of(exc: BaseException) -> Rejection | None:
    """The rejection an application exception stands for, or None for any other exception
    (a failure, which the edge answers as one)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return invalid(exc.message_dict)
        return Rejection("invalid", " ".join(exc.messages) or "The change is not valid.")
    if isinstance(exc, EditConflict):
        return Rejection(
            "conflict",
            exc.detail,
            extra={"fields": exc.fields, "current": exc.current, "by": exc.by},
        )
    if isinstance(exc, PermissionDenied):
        return Rejection("forbidden", str(exc) or "Not allowed.")
    if isinstance(exc, NotFound):
        return Rejection("not_found", exc.detail)
    return None


#: What the application raises for a refusal; anything else is a failure.
APPLICATION_REFUSALS = (ValidationError, PermissionDenied, NotFound, EditConflict)


class NotFoundMiddleware(MiddlewareMixin):
    """The server-rendered pages' edge: a `NotFound` from a selector or service is Django's
    404 page, as an `Http404` was (the API and the sockets map it themselves)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotFound):
            raise Http404(exception.detail) from exception


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (`handler404`): for a path under /api/ that no view answers, the envelope
    (reason `not_found`), as every other API refusal; Django's 404 page anywhere else."""
    if request.path.startswith("/api/"):
        rejection = Rejection("not_found", "No such path in the API: see /api/docs/.")
        return JsonResponse(rejection.envelope(), status=rejection.status)
    return defaults.page_not_found(request, exception)
