"""GitHub: a repository's issues with their whole timelines, as `github_json` reads them.

Scope `{"owner", "repo", "labels"}` (`labels` optional, comma-separated: issues carrying all
of them); credential `{"token"}` (a fine-grained or classic token), sent as a Bearer token.

- Issues: `GET {base}/repos/{owner}/{repo}/issues?state=all&per_page=100&sort=updated&
  direction=asc[&since=…][&labels=…]`, paged by the `Link` header's `rel="next"`. Pull
  requests come in the same list and are left out (the parser would skip them anyway).
- Incremental: `since` (ISO 8601, UTC) returns the issues updated at or after it.
- Each issue's timeline: `GET …/issues/{number}/timeline?per_page=100`, `Link`-paged, whole.
- Rate limits: a 403 or 429 with `Retry-After`, or with `X-RateLimit-Remaining: 0` and
  `X-RateLimit-Reset`, raises RateLimited with that wait (base.TrackerClient).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from workitems.connectors.base import Batch, ConnectorError, Progress, TrackerClient
from workitems.connectors.base import Connector as BaseConnector

API_VERSION = "2022-11-28"
PAGE = 100


class Connector(BaseConnector):
    kind = "github"
    name = "GitHub"

    def repo_url(self) -> str:
        owner = quote(str(self.scope.get("owner", "")), safe="")
        repo = quote(str(self.scope.get("repo", "")), safe="")
        return f"{self.base_url}/repos/{owner}/{repo}"

    def client(self) -> TrackerClient:
        return TrackerClient(
            name=self.name,
            base_url=self.base_url,
            secrets=self.secrets(),
            limits=self.limits,
            headers={
                "Authorization": f"Bearer {self.credential.get('token', '')}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            transport=self.transport,
        )

    def test(self) -> str:
        with self.client() as client:
            repo, _ = client.get(self.repo_url())
            issues, _ = client.get(self.repo_url() + "/issues", {"state": "all", "per_page": 1})
        name = repo.get("full_name") if isinstance(repo, dict) else None
        if isinstance(repo, dict) and repo.get("has_issues") is False:
            return f"Connected to {name}, but its issues are turned off."
        found = bool(issues) if isinstance(issues, list) else False
        return f"Connected to {name or 'the repository'}" + (
            "; it has issues to sync." if found else "; it has no issues yet."
        )

    def _pages(self, client: TrackerClient, url: str, params: dict[str, Any]) -> Iterator[list]:
        next_url: str | None = url
        next_params: dict[str, Any] | None = params
        while next_url:
            page, response = client.get(next_url, next_params)
            if not isinstance(page, list):
                raise ConnectorError("answer", "GitHub's answer is not a list.")
            yield page
            next_url = response.links.get("next", {}).get("url")
            next_params = None  # the next link carries them

    def batches(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Batch]:
        params: dict[str, Any] = {
            "state": "all",
            "per_page": PAGE,
            "sort": "updated",
            "direction": "asc",
        }
        if since is not None:
            params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        labels = str(self.scope.get("labels") or "").strip()
        if labels:
            params["labels"] = labels
        with self.client() as client:
            for page in self._pages(client, self.repo_url() + "/issues", params):
                issues = [
                    issue
                    for issue in page
                    if isinstance(issue, dict) and "pull_request" not in issue
                ]
                for issue in issues:
                    timeline: list[Any] = []
                    url = f"{self.repo_url()}/issues/{int(issue.get('number') or 0)}/timeline"
                    for events in self._pages(client, url, {"per_page": PAGE}):
                        timeline += events
                    issue["timeline"] = timeline
                self.count(len(issues))
                if issues:
                    yield Batch("github_json", json.dumps(issues).encode(), len(issues))
                if progress:
                    progress(client.pages, self.items)
