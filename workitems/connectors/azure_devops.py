"""Azure DevOps: work items' revisions from Analytics OData, as `ado_json` reads them.

Scope `{"organization", "project", "filter", "query"}`: `filter` an optional OData `$filter`
clause (e.g. `WorkItemType in ('User Story', 'Bug')`), `query` an optional saved query's id
(a GUID) whose work items are synced; credential `{"token"}` (a personal access token with
Analytics (read), and Work Items (read) for a saved query), sent as HTTP Basic with an empty
user name.

Requests go to `{base_url}/{organization}/{project}/_odata/v4.0-preview/WorkItemRevisions`
(`base_url` https://analytics.dev.azure.com by default) and follow `@odata.nextLink` until an
answer has none. Two passes:

1. Which work items changed: `$select=WorkItemId&$filter=(<filter>) and ChangedDate ge
   <since>` (the whole filter on the first sync). With a saved query, its items
   (`GET {rest}/{organization}/{project}/_apis/wit/wiql/{query}`, `workItems[].id`; `{rest}`
   is https://dev.azure.com beside Analytics' host, else the base URL), of those changed.
2. Every revision of those items, 200 ids at a time (`$filter=WorkItemId in (…)`), so each
   item's whole history goes to the parser: the upsert replaces an item's transitions with
   what it is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from workitems.connectors.base import Batch, ConnectorError, Progress, TrackerClient
from workitems.connectors.base import Connector as BaseConnector

DEFAULT_BASE_URL = "https://analytics.dev.azure.com"
ODATA = "/_odata/v4.0-preview/WorkItemRevisions"
SELECT = (
    "WorkItemId,Revision,WorkItemType,State,StateCategory,ChangedDate,CreatedDate,"
    "StateChangeDate,TagNames,Title"
)
IDS_PER_BATCH = 200


def odata_since(since: datetime) -> str:
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def changed_filter(user_filter: str, since: datetime | None) -> str:
    """The `$filter` of the first pass: the scope's clause ANDed with the incremental one."""
    parts = []
    if user_filter.strip():
        parts.append(f"({user_filter.strip()})")
    if since is not None:
        parts.append(f"ChangedDate ge {odata_since(since)}")
    return " and ".join(parts)


class Connector(BaseConnector):
    kind = "azure_devops"
    name = "Azure DevOps"

    def _path(self) -> str:
        organization = quote(str(self.scope.get("organization", "")), safe="")
        project = quote(str(self.scope.get("project", "")), safe="")
        return f"/{organization}/{project}"

    def odata_url(self) -> str:
        return self.base_url + self._path() + ODATA

    def rest_base(self) -> str:
        host = (urlsplit(self.base_url).hostname or "").lower()
        if host == "analytics.dev.azure.com":
            return "https://dev.azure.com"
        return self.base_url

    def client(self) -> TrackerClient:
        return TrackerClient(
            name=self.name,
            base_url=self.base_url,
            secrets=self.secrets(),
            limits=self.limits,
            auth=httpx.BasicAuth("", str(self.credential.get("token", ""))),
            extra_origins=[self.rest_base()] if self.scope.get("query") else [],
            transport=self.transport,
        )

    def _values(self, client: TrackerClient, params: dict[str, Any]) -> Iterator[list[Any]]:
        url: str | None = self.odata_url()
        query: dict[str, Any] | None = params
        while url:
            page, _ = client.get(url, query)
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise ConnectorError("answer", "Analytics' answer has no value list.")
            yield page["value"]
            link = page.get("@odata.nextLink")
            url = link if isinstance(link, str) and link else None
            query = None  # the next link carries the query

    def _query_ids(self, client: TrackerClient) -> list[int]:
        url = (
            f"{self.rest_base()}{self._path()}/_apis/wit/wiql/"
            f"{quote(str(self.scope.get('query', '')), safe='')}"
        )
        answer, _ = client.get(url, {"api-version": "7.1"})
        items = answer.get("workItems") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(
                "query", "The saved query lists no work items (is it a flat list query?)."
            )
        return [
            entry["id"]
            for entry in items
            if isinstance(entry, dict) and isinstance(entry.get("id"), int)
        ]

    def test(self) -> str:
        params: dict[str, Any] = {"$select": "WorkItemId", "$top": 1}
        user_filter = str(self.scope.get("filter") or "")
        if user_filter.strip():
            params["$filter"] = user_filter
        with self.client() as client:
            page, _ = client.get(self.odata_url(), params)
            found = bool(page.get("value")) if isinstance(page, dict) else False
            if self.scope.get("query"):
                ids = self._query_ids(client)
                return f"Connected to Azure DevOps; the saved query lists {len(ids)} work items."
        return "Connected to Azure DevOps Analytics" + (
            "; the filter is valid and finds work items."
            if found
            else "; the filter is valid but finds no work items yet."
        )

    def changed_ids(self, client: TrackerClient, since: datetime | None) -> list[int]:
        params: dict[str, Any] = {"$select": "WorkItemId"}
        condition = changed_filter(str(self.scope.get("filter") or ""), since)
        if condition:
            params["$filter"] = condition
        seen: dict[int, None] = {}
        for values in self._values(client, params):
            for revision in values:
                work_item = revision.get("WorkItemId") if isinstance(revision, dict) else None
                if isinstance(work_item, int) and not isinstance(work_item, bool):
                    seen.setdefault(work_item)
        ids = list(seen)
        if self.scope.get("query"):
            listed = set(self._query_ids(client))
            ids = [work_item for work_item in ids if work_item in listed]
        return ids

    def batches(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Batch]:
        with self.client() as client:
            ids = self.changed_ids(client, since)
            if progress:
                progress(client.pages, 0)
            for start in range(0, len(ids), IDS_PER_BATCH):
                chunk = ids[start : start + IDS_PER_BATCH]
                self.count(len(chunk))
                revisions: list[Any] = []
                params = {
                    "$select": SELECT,
                    "$filter": f"WorkItemId in ({', '.join(str(i) for i in chunk)})",
                    "$orderby": "WorkItemId, Revision",
                }
                for values in self._values(client, params):
                    revisions += values
                if revisions:
                    yield Batch("ado_json", json.dumps({"value": revisions}).encode(), len(chunk))
                if progress:
                    progress(client.pages, self.items)
