"""Tracker connectors: one module per tracker, each fetching its API's pages and handing them,
as documents in an importer's format, to the same parsers as file imports (`base` says how).

`connector_for(kind, base_url=, scope=, credential=)` builds one; `SCOPES` and
`CREDENTIALS` name each kind's fields (the services validate them); `DEFAULT_BASE_URLS`
the base URL a connection gets when none is given.
"""

from __future__ import annotations

from typing import Any

import httpx

from workitems.connectors import azure_devops, github, jira
from workitems.connectors.base import Connector, ConnectorError, Limits, RateLimited, Transient

CONNECTORS: dict[str, type[Connector]] = {
    "azure_devops": azure_devops.Connector,
    "jira": jira.Connector,
    "github": github.Connector,
}
DEFAULT_BASE_URLS = {
    "azure_devops": azure_devops.DEFAULT_BASE_URL,
    "github": "https://api.github.com",
    "jira": "",  # each site has its own: https://<site>.atlassian.net
}
# Each kind's scope: field -> (required, max length, help).
SCOPES: dict[str, dict[str, tuple[bool, int, str]]] = {
    "azure_devops": {
        "organization": (True, 200, "The organisation's name in dev.azure.com/<organisation>."),
        "project": (True, 200, "The project's name."),
        "filter": (False, 2000, "An OData $filter clause, e.g. WorkItemType eq 'Bug'."),
        "query": (False, 100, "A saved query's id (a GUID): sync its work items."),
    },
    "jira": {
        "jql": (True, 2000, "A JQL query, e.g. project = SHOP."),
    },
    "github": {
        "owner": (True, 100, "The repository's owner (user or organisation)."),
        "repo": (True, 100, "The repository's name."),
        "labels": (False, 500, "Comma-separated labels: only issues with all of them."),
    },
}
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "azure_devops": ("token",),
    "jira": ("email", "token"),
    "github": ("token",),
}


def connector_for(
    kind: str,
    *,
    base_url: str,
    scope: dict[str, Any],
    credential: dict[str, Any],
    limits: Limits | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Connector:
    return CONNECTORS[kind](
        base_url=base_url, scope=scope, credential=credential, limits=limits, transport=transport
    )


__all__ = [
    "CONNECTORS",
    "CREDENTIALS",
    "DEFAULT_BASE_URLS",
    "SCOPES",
    "Connector",
    "ConnectorError",
    "Limits",
    "RateLimited",
    "Transient",
    "connector_for",
]
