"""Fake trackers for sync tests: one threaded `http.server` on loopback speaking the documented
shapes of the three APIs a connection reads, from in-memory data, recording every request.

- Azure DevOps Analytics OData: `/{org}/{project}/_odata/v4.0-preview/WorkItemRevisions` with
  `$select`, `$filter` (the clauses the connector sends: a `WorkItemType eq '…'` scope,
  `ChangedDate ge <instant>`, `WorkItemId in (…)`; anything else is a 400 as Analytics
  answers an invalid query), `$top`, and `@odata.nextLink` paging (`$skiptoken`); a saved
  query at `/{org}/{project}/_apis/wit/wiql/{id}`. HTTP Basic, empty user, the PAT.
- Jira Cloud: `/rest/api/3/myself` (`timeZone`), `/rest/api/3/search/jql` (`jql` with
  `project = KEY` and `updated >= "yyyy-MM-dd HH:mm"` read in the account's zone,
  `nextPageToken`/`isLast`, `expand=changelog` embedding only the first `embedded`
  histories with the true `total`), `/rest/api/3/issue/{key}/changelog` (`startAt`,
  `maxResults`, `isLast`, `values`). HTTP Basic, e-mail and API token.
- GitHub: `/repos/{owner}/{repo}`, `/repos/{o}/{r}/issues` (`state`, `since`, `labels`,
  `per_page`, `page`; pull requests included, as GitHub does) and
  `/repos/{o}/{r}/issues/{n}/timeline`, paged by `Link: <…>; rel="next"`, with
  `X-RateLimit-*` headers. Bearer token.

Errors are the trackers' own: 401 for a wrong credential, 404 for an unknown project or
repository, 400 for an invalid query; `fail()` makes chosen requests answer a status (429
with Retry-After, 403 with X-RateLimit-Remaining 0, a 500 in the middle of paging) or a
truncated page, or a slow one (`delay`).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

ADO_TOKEN = "ado-pat-7c1f9e2b4d6a8f0e3b5c7d9e1f2a4b6c"
JIRA_EMAIL = "sync@example.com"
JIRA_TOKEN = "ATATT3xFfGF0jira-token-5e8d2c4b6a9f1e3d"
GITHUB_TOKEN = "ghp_FakeGitHubToken0123456789abcdefABCD"
ORG, PROJECT = "acme", "Shop"
JIRA_PROJECT = "SHOP"
OWNER, REPO = "acme", "shop"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    path: str  # a fragment of the path and query that selects the requests
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    times: int = 1
    skip: int = 0  # matching requests answered normally first
    truncate: bool = False  # answer the real page cut in half instead
    delay: float = 0.0  # seconds to wait first; with status 0 the answer is then the real one


@dataclass
class Tracker:
    """The data of the three fake trackers; tests change it between syncs."""

    host: str = ""
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Azure DevOps: revisions, each {WorkItemId, Revision, State, ChangedDate, …}.
    ado_revisions: list[dict[str, Any]] = field(default_factory=list)
    ado_page: int = 3
    ado_queries: dict[str, list[int]] = field(default_factory=dict)
    # Jira: key -> {"fields": {...}, "histories": [...], "updated": datetime}.
    jira_issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    jira_page: int = 2
    jira_embedded: int = 2
    jira_changelog_page: int = 2
    jira_zone: str = "Europe/Berlin"
    # GitHub: issues (REST objects with `updated_at`), timelines by number.
    github_issues: list[dict[str, Any]] = field(default_factory=list)
    github_timelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    github_page: int = 2
    github_timeline_page: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def fail(self, path: str, status: int, **options: Any) -> Fault:
        fault = Fault(path=path, status=status, **options)
        self.faults.append(fault)
        return fault

    def calls(self, fragment: str) -> list[Recorded]:
        return [request for request in self.requests if fragment in request.path]

    # Data builders ----------------------------------------------------------------------

    def ado_item(
        self, work_item_id: int, states: list[tuple[str, datetime]], **attributes: Any
    ) -> None:
        """Adds (or replaces) a work item's revisions, one per state."""
        self.ado_revisions = [
            revision for revision in self.ado_revisions if revision["WorkItemId"] != work_item_id
        ]
        created = states[0][1]
        for number, (state, at) in enumerate(states, start=1):
            self.ado_revisions.append(
                {
                    "WorkItemId": work_item_id,
                    "Revision": number,
                    "WorkItemType": attributes.get("type", "User Story"),
                    "State": state,
                    "StateCategory": attributes.get("categories", {}).get(state, "InProgress"),
                    "ChangedDate": at.isoformat(),
                    "CreatedDate": created.isoformat(),
                    "StateChangeDate": at.isoformat(),
                    "TagNames": attributes.get("tags"),
                    "Title": attributes.get("title", f"Item {work_item_id}"),
                }
            )

    def jira_issue(self, key: str, states: list[tuple[str, datetime]], **attributes: Any) -> None:
        histories = [
            {
                "id": str(number),
                "created": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "items": [{"field": "status", "fromString": previous, "toString": state}],
            }
            for number, ((previous, _), (state, at)) in enumerate(
                zip(states, states[1:], strict=False), start=1
            )
        ]
        self.jira_issues[key] = {
            "fields": {
                "summary": attributes.get("title", f"Issue {key}"),
                "issuetype": {"name": attributes.get("type", "Story")},
                "labels": attributes.get("labels", []),
                "created": states[0][1].strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "status": {"name": states[-1][0], "statusCategory": {"key": "indeterminate"}},
            },
            "histories": histories,
            "updated": attributes.get("updated", states[-1][1]),
        }

    def github_issue(
        self,
        number: int,
        events: list[tuple[str, str, datetime]],
        *,
        created: datetime,
        updated: datetime,
        **attributes: Any,
    ) -> None:
        """Adds an issue; `events` are (event, label or "", at)."""
        self.github_issues = [i for i in self.github_issues if i["number"] != number]
        closed = any(kind == "closed" for kind, _, _ in events) and not any(
            kind == "reopened" for kind, _, _ in events
        )
        self.github_issues.append(
            {
                "number": number,
                "title": attributes.get("title", f"Issue {number}"),
                "html_url": f"https://github.com/{OWNER}/{REPO}/issues/{number}",
                "state": "closed" if closed else "open",
                "state_reason": "completed" if closed else None,
                "created_at": iso(created),
                "updated_at": iso(updated),
                "closed_at": iso(events[-1][2]) if closed else None,
                "labels": [{"name": name} for name in attributes.get("labels", [])],
            }
        )
        self.github_timelines[number] = [
            {
                "id": number * 1000 + position,
                "event": kind,
                "created_at": iso(at),
                **({"label": {"name": label, "color": "ededed"}} if label else {}),
            }
            for position, (kind, label, at) in enumerate(events)
        ]


def _json(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict | None = None):
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def _basic(header: str) -> tuple[str, str] | None:
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


_ADO_CLAUSES = [
    re.compile(r"ChangedDate ge (\S+?)(?=\)|\s|$)"),
    re.compile(r"WorkItemId in \(([^)]*)\)"),
    re.compile(r"WorkItemType eq '([^']*)'"),
]


def _ado_filter(text: str) -> tuple[Any, bool]:
    """(a predicate over revisions, whether the filter is valid)."""
    rest = text
    checks = []
    for pattern in _ADO_CLAUSES:
        for match in pattern.finditer(text):
            rest = rest.replace(match.group(0), "")
            value = match.group(1)
            if pattern is _ADO_CLAUSES[0]:
                since = datetime.fromisoformat(value.replace("Z", "+00:00"))
                checks.append(
                    lambda r, since=since: datetime.fromisoformat(r["ChangedDate"]) >= since
                )
            elif pattern is _ADO_CLAUSES[1]:
                ids = {int(part) for part in value.split(",") if part.strip()}
                checks.append(lambda r, ids=ids: r["WorkItemId"] in ids)
            else:
                checks.append(lambda r, value=value: r["WorkItemType"] == value)
    leftover = re.sub(r"\band\b|[()\s]", "", rest)
    return (lambda revision: all(check(revision) for check in checks)), not leftover


class _Handler(BaseHTTPRequestHandler):
    tracker: Tracker

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        tracker = self.tracker
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        with tracker.lock:
            tracker.requests.append(
                Recorded("GET", parts.path, query, {k.lower(): v for k, v in self.headers.items()})
            )
            fault = next((f for f in tracker.faults if f.path in self.path and f.times > 0), None)
            if fault is not None and fault.skip > 0:
                fault.skip -= 1
                fault = None
            if fault is not None:
                fault.times -= 1
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
            if not fault.status:
                fault = None
        if fault is not None and not fault.truncate:
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fault.body)))
            for name, value in fault.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(fault.body)
            return
        self._truncate = fault is not None and fault.truncate
        path = parts.path
        if path.startswith("/rest/api/3/"):
            self._jira(path, query)
        elif path.startswith("/repos/"):
            self._github(path, query)
        elif "/_odata/" in path or "/_apis/" in path:
            self._ado(path, query)
        else:
            _json(self, 404, {"message": "Not Found"})

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        if not getattr(self, "_truncate", False):
            _json(self, status, body, headers)
            return
        data = json.dumps(body).encode()
        data = data[: len(data) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # Azure DevOps ---------------------------------------------------------------------------

    def _ado(self, path: str, query: dict[str, list[str]]) -> None:
        tracker = self.tracker
        if _basic(self.headers.get("Authorization", "")) != ("", ADO_TOKEN):
            _json(self, 401, {"message": "TF400813: The user is not authorized."})
            return
        if not path.startswith(f"/{ORG}/{PROJECT}/"):
            _json(self, 404, {"message": "VS800075: The project does not exist."})
            return
        if "/_apis/wit/wiql/" in path:
            query_id = path.rsplit("/", 1)[1]
            if query_id not in tracker.ado_queries:
                _json(self, 404, {"message": "TF401243: The query does not exist."})
                return
            ids = tracker.ado_queries[query_id]
            _json(self, 200, {"queryType": "flat", "workItems": [{"id": i} for i in ids]})
            return
        if not path.endswith("/_odata/v4.0-preview/WorkItemRevisions"):
            _json(self, 404, {"message": "Unknown entity set."})
            return
        text = query.get("$filter", [""])[0]
        keep, valid = _ado_filter(text)
        if not valid:
            _json(
                self,
                400,
                {
                    "error": {
                        "code": "0",
                        "message": f"The query specified in the URI is not "
                        f"valid: could not find a property named in '{text[:60]}'.",
                    }
                },
            )
            return
        rows = sorted(
            (r for r in tracker.ado_revisions if keep(r)),
            key=lambda r: (r["WorkItemId"], r["Revision"]),
        )
        select = query.get("$select", [""])[0]
        if select:
            names = [name.strip() for name in select.split(",")]
            rows = [{name: row.get(name) for name in names} for row in rows]
        top = query.get("$top", [""])[0]
        if top.isdigit():
            rows = rows[: int(top)]
        skip = int(query.get("$skiptoken", ["0"])[0])
        page = rows[skip : skip + tracker.ado_page]
        body: dict[str, Any] = {
            "@odata.context": f"{tracker.url}{path}/$metadata#WorkItemRevisions",
            "value": page,
        }
        if skip + tracker.ado_page < len(rows):
            following = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            following["$skiptoken"] = str(skip + tracker.ado_page)
            body["@odata.nextLink"] = f"{tracker.url}{path}?{urlencode(following)}"
        self._send(200, body)

    # Jira -----------------------------------------------------------------------------------

    def _jira(self, path: str, query: dict[str, list[str]]) -> None:
        tracker = self.tracker
        if _basic(self.headers.get("Authorization", "")) != (JIRA_EMAIL, JIRA_TOKEN):
            _json(
                self,
                401,
                {"errorMessages": ["Client must be authenticated to access this resource."]},
            )
            return
        if path == "/rest/api/3/myself":
            _json(
                self,
                200,
                {
                    "accountId": "5b10a2844c20165700ede21g",
                    "displayName": "Sync Robot",
                    "emailAddress": JIRA_EMAIL,
                    "timeZone": tracker.jira_zone,
                },
            )
            return
        if path == "/rest/api/3/search/jql":
            self._jira_search(query)
            return
        match = re.fullmatch(r"/rest/api/3/issue/([^/]+)/changelog", path)
        if match:
            issue = tracker.jira_issues.get(match.group(1))
            if issue is None:
                _json(
                    self,
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ]
                    },
                )
                return
            start = int(query.get("startAt", ["0"])[0])
            size = min(int(query.get("maxResults", ["100"])[0]), tracker.jira_changelog_page)
            histories = issue["histories"]
            values = histories[start : start + size]
            self._send(
                200,
                {
                    "self": f"{tracker.url}{path}",
                    "maxResults": size,
                    "startAt": start,
                    "total": len(histories),
                    "isLast": start + size >= len(histories),
                    "values": values,
                },
            )
            return
        _json(self, 404, {"errorMessages": ["Not found."]})

    def _jira_search(self, query: dict[str, list[str]]) -> None:
        tracker = self.tracker
        jql = query.get("jql", [""])[0]
        project = re.search(r"project\s*=\s*(\w+)", jql)
        if project is None:
            _json(self, 400, {"errorMessages": ["Unbounded JQL queries are not allowed here."]})
            return
        if project.group(1) != JIRA_PROJECT:
            _json(
                self,
                400,
                {
                    "errorMessages": [
                        f"The value '{project.group(1)}' does not exist for the field 'project'."
                    ]
                },
            )
            return
        since = None
        updated = re.search(r'updated >= "(\d{4}-\d{2}-\d{2} \d{2}:\d{2})"', jql)
        if updated:
            since = datetime.strptime(updated.group(1), "%Y-%m-%d %H:%M").replace(
                tzinfo=ZoneInfo(tracker.jira_zone)
            )
        keys = sorted(
            key
            for key, issue in tracker.jira_issues.items()
            if since is None or issue["updated"] >= since
        )
        start = int(query.get("nextPageToken", ["0"])[0] or 0)
        size = min(int(query.get("maxResults", ["50"])[0]), tracker.jira_page)
        page = keys[start : start + size]
        expand = "changelog" in query.get("expand", [""])[0]
        issues = []
        for key in page:
            issue = tracker.jira_issues[key]
            entry: dict[str, Any] = {
                "id": str(10000 + keys.index(key)),
                "key": key,
                "self": f"{tracker.url}/rest/api/3/issue/{10000 + keys.index(key)}",
                "fields": issue["fields"],
            }
            if expand:
                entry["changelog"] = {
                    "startAt": 0,
                    "maxResults": tracker.jira_embedded,
                    "total": len(issue["histories"]),
                    "histories": issue["histories"][: tracker.jira_embedded],
                }
            issues.append(entry)
        body: dict[str, Any] = {"issues": issues, "isLast": start + size >= len(keys)}
        if start + size < len(keys):
            body["nextPageToken"] = str(start + size)
        self._send(200, body)

    # GitHub ---------------------------------------------------------------------------------

    def _github(self, path: str, query: dict[str, list[str]]) -> None:
        tracker = self.tracker
        rate = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": "4102444800",
        }
        if self.headers.get("Authorization", "") != f"Bearer {GITHUB_TOKEN}":
            _json(
                self,
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
                rate,
            )
            return
        prefix = f"/repos/{OWNER}/{REPO}"
        if not (path == prefix or path.startswith(prefix + "/")):
            _json(self, 404, {"message": "Not Found"}, rate)
            return
        if path == prefix:
            _json(self, 200, {"full_name": f"{OWNER}/{REPO}", "has_issues": True}, rate)
            return
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page_number = int(query.get("page", ["1"])[0])
        if path == prefix + "/issues":
            issues = sorted(tracker.github_issues, key=lambda i: (i["updated_at"], i["number"]))
            since = query.get("since", [""])[0]
            if since:
                issues = [i for i in issues if i["updated_at"] >= since]
            labels = [n for n in query.get("labels", [""])[0].split(",") if n]
            issues = [
                i for i in issues if all(n in {lb["name"] for lb in i["labels"]} for n in labels)
            ]
            size = min(per_page, tracker.github_page)
        else:
            match = re.fullmatch(prefix + r"/issues/(\d+)/timeline", path)
            if match is None or int(match.group(1)) not in tracker.github_timelines:
                _json(self, 404, {"message": "Not Found"}, rate)
                return
            issues = tracker.github_timelines[int(match.group(1))]
            size = min(per_page, tracker.github_timeline_page)
        start = (page_number - 1) * size
        headers = dict(rate)
        if start + size < len(issues):
            following = {k: v[0] for k, v in query.items()}
            following["page"] = str(page_number + 1)
            headers["Link"] = f'<{tracker.url}{path}?{urlencode(following)}>; rel="next"'
        self._send(200, issues[start : start + size], headers)


class FakeTrackerServer:
    """Serves a Tracker on 127.0.0.1 (a free port) in a thread; `stop()` ends it."""

    def __init__(self, tracker: Tracker | None = None) -> None:
        self.tracker = tracker or Tracker()
        handler = type("Handler", (_Handler,), {"tracker": self.tracker})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.tracker.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
