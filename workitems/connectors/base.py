"""What every tracker connector shares: a bounded, credential-safe HTTP client and the
failures it reports in words.

A connector fetches pages of its tracker's API and turns them into batches: documents in the
exact shape the file importers read (`workitems.importers`), each holding whole items (every
revision, the full changelog, the full timeline), so the one upsert replaces an item's history
with all of it. It never touches the ORM.

The client (httpx, no hand-written retries) sends the credential only to the connection's own
origin (scheme, host and port of `base_url`, plus any origin the connector names, e.g. Azure
DevOps' REST host beside Analytics), never follows a redirect, times out every request, reads
at most `max_bytes` of an answer and `max_pages` pages in one sync. A failure is a
ConnectorError whose message is safe to show and log: the credential, in clear or in its HTTP
Basic form, is replaced by `•••` in anything that came from outside (a URL, an exception's
text, a tracker's error message). Rate limits and transient failures are raised as
RateLimited / Transient for the task to retry later (Celery's retry, with the wait the
tracker asked for or an exponential backoff with jitter); nothing here sleeps.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

REDACTED = "•••"
USER_AGENT = "Flowmap-tracker-sync/1"
DETAIL_CHARS = 300  # of a tracker's own error message, quoted in ours


class ConnectorError(Exception):
    """A sync or test that cannot go on, said in words safe to show. `code` names the kind
    (`credential`, `access`, `not_found`, `query`, `unreachable`, `server`, `answer`,
    `redirect`, `limit`, `rate_limit`)."""

    transient = False

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Transient(ConnectorError):
    """Worth trying again later: the tracker was unreachable, failed (5xx) or sent a cut
    answer."""

    transient = True


class RateLimited(Transient):
    """The tracker asked to wait `retry_after` seconds (Retry-After, GitHub's
    X-RateLimit-Reset, Jira's 429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__("rate_limit", message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 2_000
    max_items: int = 50_000

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            timeout=float(settings.VSM_SYNC_TIMEOUT_SECONDS),
            max_bytes=int(settings.VSM_SYNC_MAX_RESPONSE_BYTES),
            max_pages=int(settings.VSM_SYNC_MAX_PAGES),
            max_items=int(settings.VSM_SYNC_MAX_ITEMS),
        )


@dataclass(frozen=True)
class Batch:
    """A document in an importer's format holding `items` whole work items."""

    format: str
    content: bytes
    items: int


# Called after every page: (pages fetched so far, work items fetched so far).
Progress = Callable[[int, int], None]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a tracker's base URL (in words), or None. https only; http only to
    a loopback address and only where VSM_SYNC_ALLOW_LOOPBACK_HTTP is set (the tests' fake
    trackers); no user name or password, query or fragment in it; no private, link-local or
    loopback address over https unless loopback is allowed (so a connection cannot be pointed
    at the servers' own network)."""
    if not isinstance(url, str) or not url.strip():
        return "Give the tracker's address, e.g. https://example.atlassian.net."
    if len(url) > 500:
        return "At most 500 characters."
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "Not a valid URL."
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return "Must be an https:// address."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address; give them as the credential."
    if parts.query or parts.fragment:
        return "Give the address without a query (?…) or fragment (#…)."
    loopback_allowed = bool(getattr(settings, "VSM_SYNC_ALLOW_LOOPBACK_HTTP", False))
    if parts.scheme == "http" and not (loopback_allowed and _is_loopback(host)):
        return "Must be an https:// address (the credential is never sent unencrypted)."
    if port is not None and not 0 < port < 65536:
        return "Not a valid port."
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    local = host == "localhost" or (
        address is not None
        and (
            address.is_private
            or address.is_link_local
            or address.is_loopback
            or address.is_multicast
            or address.is_unspecified
        )
    )
    if local and not (loopback_allowed and _is_loopback(host)):
        return "Must be the tracker's public address, not a private or local one."
    return None


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def secret_forms(secrets: Iterable[str], users: Iterable[str] = ()) -> list[str]:
    """The strings a credential can appear as: each secret, and the HTTP Basic encodings of
    the pairs a connector sends (`user:token`, `:token`)."""
    values = [secret for secret in secrets if secret]
    forms = set(values)
    for user in ["", *users, *values]:
        for secret in values:
            forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return sorted(forms, key=len, reverse=True)  # the longest first: a token inside a form


def redact(text: str, secrets: Iterable[str], users: Iterable[str] = ()) -> str:
    for form in secret_forms(secrets, users):
        if len(form) >= 4:
            text = text.replace(form, REDACTED)
    return text


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """The wait a response asks for: `Retry-After` (seconds or an HTTP date), else GitHub's
    `X-RateLimit-Reset` (epoch seconds) when `X-RateLimit-Remaining` is 0; None without
    either. At least 1 second, at most an hour."""
    now = time.time() if now is None else now
    wait: float | None = None
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            wait = float(value)
        else:
            try:
                wait = parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError):
                wait = None
    if wait is None and headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            wait = float(reset) - now + 1
    if wait is None:
        return None
    return max(1.0, min(3600.0, wait))


@dataclass
class TrackerClient:
    """An httpx client for one connection. `name` names the tracker in messages; `secrets`
    are redacted from every message; `origins` are the only places requests go."""

    name: str
    base_url: str
    secrets: list[str]
    limits: Limits
    users: list[str] = field(default_factory=list)  # HTTP Basic user names sent with them
    auth: httpx.Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra_origins: list[str] = field(default_factory=list)
    pages: int = 0
    transport: httpx.BaseTransport | None = None  # tests may put a MockTransport here

    def __post_init__(self) -> None:
        self._origins = {origin(self.base_url), *(origin(url) for url in self.extra_origins)}
        self._client = httpx.Client(
            auth=self.auth,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **self.headers},
            timeout=httpx.Timeout(self.limits.timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy or .netrc from the environment gets the credential
            transport=self.transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def say(self, text: str) -> str:
        return redact(text, self.secrets, self.users)

    def get(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, httpx.Response]:
        """GETs `url` and returns its JSON and the response (headers, links); one page of
        the sync's budget. Raises ConnectorError (Transient, RateLimited) in words."""
        if origin(url) not in self._origins:
            raise ConnectorError(
                "redirect",
                f"{self.name} pointed to another site ({self.say(urlsplit(url).netloc)}); the "
                "credential is sent to the connection's own address only.",
            )
        self.pages += 1
        if self.pages > self.limits.max_pages:
            raise ConnectorError(
                "limit",
                f"More than {self.limits.max_pages:,} pages in one sync: narrow the scope "
                "(a filter, a JQL query or labels).",
            )
        try:
            with self._client.stream("GET", url, params=params) as response:
                body = self._read(response)
        except ConnectorError:
            raise
        except httpx.TimeoutException:
            raise Transient(
                "unreachable",
                f"{self.name} did not answer within {self.limits.timeout:g} seconds.",
            ) from None
        except httpx.HTTPError as error:
            host = urlsplit(url).hostname or url
            raise Transient(
                "unreachable",
                self.say(
                    f"Could not reach {self.name} at {host}: {error.__class__.__name__}"
                    f"{' (' + str(error) + ')' if str(error) else ''}."
                ),
            ) from None
        self._check(response, body)
        try:
            return json.loads(body), response
        except (ValueError, UnicodeDecodeError):
            raise Transient(
                "answer",
                f"{self.name} sent an incomplete or invalid answer (not JSON); it is asked "
                "again on the next attempt.",
            ) from None

    def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> ConnectorError:
        return ConnectorError(
            "limit",
            f"{self.name} sent an answer over {self.limits.max_bytes / 1024 / 1024:.0f} MiB; "
            "narrow the scope.",
        )

    def _detail(self, body: bytes) -> str:
        """The tracker's own error message, if its answer has one (redacted, cut)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return ""
        messages: list[str] = []
        if isinstance(data, dict):
            for key in ("errorMessages", "message", "errors"):
                value = data.get(key)
                if isinstance(value, str):
                    messages.append(value)
                elif isinstance(value, list):
                    messages += [str(entry) for entry in value if isinstance(entry, str)]
                elif isinstance(value, dict) and key == "errors":
                    messages += [str(entry) for entry in value.values()]
            error = data.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                messages.append(error["message"])
        text = " ".join(message.strip() for message in messages if message.strip())
        text = self.say(text)
        return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"

    def _check(self, response: httpx.Response, body: bytes) -> None:
        status = response.status_code
        if status < 300:
            return
        detail = self._detail(body)
        said = f" It said: {detail}" if detail else ""
        wait = retry_after_seconds(response.headers)
        if status == 429 or (status == 403 and wait is not None):
            seconds = wait if wait is not None else 60.0
            raise RateLimited(
                f"{self.name} limits the rate of requests: it asked to wait {seconds:.0f} "
                "seconds. The sync goes on after that by itself.",
                seconds,
            )
        if 300 <= status < 400:
            raise ConnectorError(
                "redirect",
                f"{self.name} answered with a redirect ({status}), which is not followed so "
                "the credential stays with this address: check the base URL.",
            )
        if status == 401:
            raise ConnectorError(
                "credential",
                f"{self.name} refused the credential (401): the token is wrong, expired or "
                f"revoked.{said}",
            )
        if status == 403:
            raise ConnectorError(
                "access",
                f"{self.name} accepted the credential but refused access (403): the token "
                f"lacks a permission or the account has no access to this project.{said}",
            )
        if status == 404:
            raise ConnectorError(
                "not_found",
                f"{self.name} found no such project or repository, or the credential has no "
                f"access to it (404).{said}",
            )
        if status in (400, 422):
            raise ConnectorError(
                "query",
                f"{self.name} refused the query ({status}): check the scope's filter or "
                f"query.{said}",
            )
        if status >= 500:
            raise Transient(
                "server",
                f"{self.name} failed to answer ({status}); the sync is tried again later.",
            )
        raise ConnectorError("answer", f"{self.name} answered {status}.{said}")


class Connector:
    """One tracker kind. Built from a connection's `base_url`, `scope` and decrypted
    `credential`; `test()` makes one cheap authenticated request and says what it found;
    `batches(since)` yields Batches of the items changed since `since` (all when None)."""

    kind = ""
    name = ""

    def __init__(
        self,
        *,
        base_url: str,
        scope: dict[str, Any],
        credential: dict[str, Any],
        limits: Limits | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.scope = scope
        self.credential = credential
        self.limits = limits or Limits.from_settings()
        self.transport = transport
        self.items = 0

    def secrets(self) -> list[str]:
        return [str(value) for key, value in self.credential.items() if key != "email" and value]

    def users(self) -> list[str]:
        """HTTP Basic user names sent with the secrets (not secret themselves)."""
        return [str(self.credential["email"])] if self.credential.get("email") else []

    def client(self) -> TrackerClient:
        raise NotImplementedError

    def test(self) -> str:
        raise NotImplementedError

    def batches(self, since: Any, progress: Progress | None = None) -> Iterator[Batch]:
        raise NotImplementedError

    def count(self, items: int) -> None:
        self.items += items
        if self.items > self.limits.max_items:
            raise ConnectorError(
                "limit",
                f"More than {self.limits.max_items:,} work items in one sync: narrow the scope.",
            )
