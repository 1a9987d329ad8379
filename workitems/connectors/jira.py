"""Jira Cloud: issues of a JQL query with their whole changelog, as `jira_json` reads them.

Scope `{"jql"}`; credential `{"email", "token"}` (an Atlassian API token), sent as HTTP Basic.

- Search: `GET /rest/api/3/search/jql?jql=…&fields=…&expand=changelog&maxResults=100`, paged
  with `nextPageToken` until an answer has none (or says `isLast`).
- Incremental: the query becomes `(<jql>) AND updated >= "<since>"`. JQL dates have minutes
  and are read in the account's time zone, so the account's zone comes first
  (`GET /rest/api/3/myself`, `timeZone`) and `since` is written in it, rounded down to the
  minute (an issue changed in that minute is fetched again, never missed).
- A search result embeds one page of changelog: an issue whose `changelog.total` exceeds the
  histories present gets its full changelog from `GET /rest/api/3/issue/{key}/changelog`
  (`startAt`/`maxResults` 100, until `isLast` or `total` reached) before the batch is made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from workitems.connectors.base import (
    Batch,
    ConnectorError,
    Progress,
    TrackerClient,
)
from workitems.connectors.base import (
    Connector as BaseConnector,
)

SEARCH = "/rest/api/3/search/jql"
MYSELF = "/rest/api/3/myself"
CHANGELOG = "/rest/api/3/issue/{key}/changelog"
FIELDS = "summary,issuetype,labels,created,updated,status"
PAGE = 100
_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)


def incremental_jql(jql: str, since: datetime | None, zone: str) -> str:
    """The scope's query restricted to issues updated since `since` (in `zone`, to the
    minute, rounded down). An ORDER BY of the query stays at the end."""
    jql = jql.strip()
    match = _ORDER_BY.search(" " + jql)
    where, order = (jql, "")
    if match:
        cut = match.start() - 1 if match.start() > 0 else 0
        where, order = jql[:cut].strip(), jql[cut:].strip()
    if since is None:
        return jql
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = since.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    condition = f'updated >= "{local}"'
    query = f"({where}) AND {condition}" if where else condition
    return f"{query} {order}".strip()


class Connector(BaseConnector):
    kind = "jira"
    name = "Jira"

    def client(self) -> TrackerClient:
        email = str(self.credential.get("email", ""))
        token = str(self.credential.get("token", ""))
        return TrackerClient(
            name=self.name,
            base_url=self.base_url,
            secrets=self.secrets(),
            users=self.users(),
            limits=self.limits,
            auth=httpx.BasicAuth(email, token),
            transport=self.transport,
        )

    def test(self) -> str:
        with self.client() as client:
            me, _ = client.get(self.base_url + MYSELF)
            who = me.get("displayName") if isinstance(me, dict) else None
            query, _ = client.get(
                self.base_url + SEARCH,
                {"jql": self.scope.get("jql", ""), "maxResults": 1, "fields": "summary"},
            )
        found = len(query.get("issues", [])) if isinstance(query, dict) else 0
        return f"Connected to Jira as {who or 'the account'}; the query is valid" + (
            " and finds issues." if found else " but finds no issues yet."
        )

    def batches(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Batch]:
        with self.client() as client:
            zone = "UTC"
            if since is not None:
                me, _ = client.get(self.base_url + MYSELF)
                zone = str(me.get("timeZone") or "UTC") if isinstance(me, dict) else "UTC"
            params: dict[str, Any] = {
                "jql": incremental_jql(str(self.scope.get("jql", "")), since, zone),
                "fields": FIELDS,
                "expand": "changelog",
                "maxResults": PAGE,
            }
            while True:
                page, _ = client.get(self.base_url + SEARCH, params)
                if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
                    raise ConnectorError("answer", "Jira's search answer has no issues list.")
                issues = [issue for issue in page["issues"] if isinstance(issue, dict)]
                for issue in issues:
                    self._complete_changelog(client, issue)
                self.count(len(issues))
                if issues:
                    yield Batch("jira_json", json.dumps({"issues": issues}).encode(), len(issues))
                if progress:
                    progress(client.pages, self.items)
                token = page.get("nextPageToken")
                if not token or page.get("isLast") is True:
                    return
                params = {**params, "nextPageToken": token}

    def _complete_changelog(self, client: TrackerClient, issue: dict[str, Any]) -> None:
        """Replaces an issue's embedded changelog page by its whole changelog when the page
        is not all of it."""
        changelog: Any = issue.get("changelog") if isinstance(issue.get("changelog"), dict) else {}
        histories = changelog.get("histories")
        histories = histories if isinstance(histories, list) else []
        total = changelog.get("total")
        if not isinstance(total, int) or total <= len(histories):
            return
        key = str(issue.get("key") or issue.get("id") or "")
        url = self.base_url + CHANGELOG.format(key=quote(key, safe=""))
        collected: list[Any] = []
        start = 0
        while True:
            page, _ = client.get(url, {"startAt": start, "maxResults": PAGE})
            values = page.get("values") if isinstance(page, dict) else None
            if not isinstance(values, list):
                raise ConnectorError("answer", f"Jira's changelog of {key} has no values list.")
            collected += values
            start += len(values)
            last = page.get("isLast")
            page_total = page.get("total")
            if (
                not values
                or last is True
                or (last is None and isinstance(page_total, int) and start >= page_total)
            ):
                break
        issue["changelog"] = {
            "startAt": 0,
            "maxResults": len(collected),
            "total": len(collected),
            "histories": collected,
        }
