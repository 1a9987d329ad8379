"""The house's dependency direction (docs/architecture.md, "Which app may use which"), read
from the source with `ast`: every import of every module of the five packages, at module
level or inside a function, points down the stack

    vsm_site  <-  workshops  <-  streams  <-  workitems  <-  metrics

(`vsm_site`'s shared modules — validation, ids, units, the API's shapes — are below every
app). A lower app that must trigger work above it exposes a listener registry
(workshops/extensions.py, streams/extensions.py) that the higher app fills in its
AppConfig.ready(); it never imports the higher app.

And HackSoft's rule for Celery: a tasks module imports the services it calls inside the task,
and a service imports a task only at module level, as `<name>_task`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("vsm_site", "workshops", "streams", "workitems", "metrics")
#: What each package may import of ours, besides itself.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "vsm_site": frozenset(),
    "workshops": frozenset({"vsm_site"}),
    "streams": frozenset({"vsm_site", "workshops"}),
    "workitems": frozenset({"vsm_site", "workshops", "streams"}),
    "metrics": frozenset({"vsm_site", "workshops", "streams", "workitems"}),
}
#: The modules that wire or compose the apps and so may import any of them: as few as
#: possible, each with its reason. (vsm_site/urls.py and celery.py wire the apps by name,
#: `include("streams.urls")` and autodiscovery, and need no exception.)
COMPOSERS = {
    "vsm_site/asgi.py": "the ASGI application routes the apps' websockets",
    "vsm_site/management/commands/load_demo.py": (
        "the demo workshop is made through every app's services (workshops, streams, work "
        "items), so it lives in the project, above them all"
    ),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str) -> Iterator[tuple[int, str, bool, list[ast.alias]]]:
    """(line, imported module, at module level, names) of every import in `source`, relative
    imports resolved against `module`; `importlib.import_module("...")` with a literal counts."""
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    package = module.split(".")
    for node in ast.walk(tree):
        at_top = id(node) in top_level
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, at_top, [alias]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + (1 if _is_package(module) else 0)]
                target = ".".join([*base, target] if target else base)
            yield node.lineno, target, at_top, list(node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value, at_top, []


def _is_package(module: str) -> bool:
    return (ROOT / module.replace(".", "/") / "__init__.py").exists()


def direction_violations(app: str, source: str, module: str) -> list[str]:
    """Each import in `source` (a module of `app`) of an app `app` may not use."""
    found = []
    for line, target, _, _ in imports(source, module):
        top = target.split(".")[0]
        if top in APPS and top != app and top not in MAY_IMPORT[app]:
            found.append(f"{module}:{line} imports {target} ({app} may not use {top})")
    return found


def task_rule_violations(source: str, module: str) -> list[str]:
    """HackSoft's rule: a tasks module imports none of our code at module level (it imports
    its service inside the task); any other module imports tasks only at module level, each
    under a name ending in `_task`."""
    found = []
    is_tasks = module.endswith(".tasks")
    for line, target, at_top, names in imports(source, module):
        ours = target.split(".")[0] in APPS
        if is_tasks and ours and at_top:
            found.append(f"{module}:{line}: a tasks module imports {target} at module level")
        if (
            not is_tasks
            and ours
            and any(f"{target}.{alias.name}".endswith(".tasks") for alias in names)
        ):
            found.append(f"{module}:{line}: imports a tasks module, not its tasks")
        elif not is_tasks and target.endswith(".tasks") and ours:
            if not at_top:
                found.append(f"{module}:{line}: imports {target} inside a function")
            bound = [alias.asname or alias.name for alias in names]
            if not names or any(not name.endswith("_task") for name in bound):
                found.append(f"{module}:{line}: imports {target} as {bound}, not *_task")
    return found


def test_every_module_imports_only_the_apps_below_it():
    violations = []
    for app, path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative in COMPOSERS:
            continue
        violations += direction_violations(app, path.read_text(), _module_name(path))
    assert violations == [], "\n".join(violations)


def test_each_composer_exception_is_still_needed():
    """An exception that no longer imports a higher app is taken off the list."""
    for relative in COMPOSERS:
        path = ROOT / relative
        app = relative.split("/")[0]
        assert direction_violations(app, path.read_text(), _module_name(path)), relative


def test_tasks_import_services_in_the_task_and_services_import_tasks_as_task_names():
    violations = []
    for _, path in _modules():
        violations += task_rule_violations(path.read_text(), _module_name(path))
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize(
    "source",
    [
        "import metrics.services",
        "from metrics import services",
        "from metrics.units import humanize_duration",
        "def later():\n    from metrics.services import summary_request\n",
        "import importlib\nimportlib.import_module('metrics.services')",
    ],
)
def test_the_scan_catches_an_import_of_a_higher_app(source):
    assert direction_violations("streams", source, "streams.services.board")


@pytest.mark.parametrize(
    "source",
    [
        "from workshops.selectors import membership_get",
        "from vsm_site.units import humanize_duration",
        "from . import kinds",
        "from .kinds import KINDS",
        "import django.db",
    ],
)
def test_the_scan_lets_an_app_import_what_is_below_it(source):
    assert direction_violations("streams", source, "streams.services.board") == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("metrics.tasks", "from metrics.services import summary_recompute"),
        ("metrics.services", "def f():\n    from metrics.tasks import recompute_summary_task\n"),
        ("metrics.services", "from metrics.tasks import recompute_summary"),
        ("metrics.services", "from metrics import tasks"),
    ],
)
def test_the_task_rule_catches_imports_the_wrong_way_round(module, source):
    assert task_rule_violations(source, module)


TABLE_NAME = re.compile(r"\b(workshops|streams|workitems|metrics)_[a-z]+\b")


def foreign_tables(app: str, source: str) -> list[str]:
    """Each string in `source` (a module of `app`) that names another app's table in SQL: an
    app reaches another's rows through that app's models, selectors and services only."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in TABLE_NAME.finditer(node.value):
                if match.group(1) != app and (
                    "SELECT" in node.value
                    or " FROM " in node.value
                    or "UPDATE" in node.value
                    or "JOIN" in node.value
                ):
                    found.append(f"line {node.lineno}: {match.group(0)}")
    return found


def test_no_app_names_another_apps_tables_in_sql():
    violations = []
    for app, path in _modules():
        if path.relative_to(ROOT).as_posix() in COMPOSERS:
            continue
        violations += [
            f"{path.relative_to(ROOT)} {v}" for v in foreign_tables(app, path.read_text())
        ]
    assert violations == [], "\n".join(violations)


def test_the_table_scan_catches_a_foreign_table():
    source = 'SQL = "SELECT m.id FROM workshops_membership m WHERE m.user_id = %s"'
    assert foreign_tables("streams", source)
    assert foreign_tables("workshops", source) == []


# Refusals are the application's; HTTP is the edges' (docs/architecture.md, "Errors") --------

#: The modules that may name Django's Http404, each with its reason: the edges that turn the
#: application's refusals into an HTTP answer. Services and selectors raise
#: `vsm_site.errors.NotFound`, which the API, the sockets and the pages map themselves.
HTTP404_EDGES = {
    "vsm_site/errors.py": "the pages' middleware answers a NotFound with Django's 404 page",
    "vsm_site/api.py": "the API's handler answers an Http404 of DRF's own lookups as not_found",
}


def http404_uses(source: str) -> list[int]:
    """The lines of `source` that import, raise or catch Django's `Http404` (by any path)."""

    def names_it(node: ast.AST) -> bool:
        if isinstance(node, ast.ImportFrom):
            return any(alias.name == "Http404" for alias in node.names)
        return "Http404" in (getattr(node, "id", None), getattr(node, "attr", None))

    return sorted({node.lineno for node in ast.walk(ast.parse(source)) if names_it(node)})


def test_only_the_edges_name_djangos_http404():
    violations = [
        f"{path.relative_to(ROOT)} line {line}"
        for _, path in _modules()
        if path.relative_to(ROOT).as_posix() not in HTTP404_EDGES
        for line in http404_uses(path.read_text())
    ]
    assert violations == [], "\n".join(violations)


def test_each_http404_edge_still_names_it():
    for module in HTTP404_EDGES:
        assert http404_uses((ROOT / module).read_text()), module


@pytest.mark.parametrize(
    "source",
    [
        "from django.http import Http404\n",
        "import django.http\n\ndef f():\n    raise django.http.Http404('No such waste.')\n",
        "from django import http\n\ntry:\n    pass\nexcept http.Http404:\n    pass\n",
    ],
)
def test_the_http404_scan_catches_a_service_naming_it(source):
    assert http404_uses(source)
    assert http404_uses("from vsm_site.errors import NotFound\nraise NotFound('x')\n") == []
