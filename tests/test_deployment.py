"""The image: built from the context .dockerignore leaves, which holds what the Dockerfile
copies and nothing local (environments, databases, secrets, caches, test output); production
settings by default, not root; its static files collected with production's storage.

Docker cannot run here: .dockerignore is read with Docker's own matching rules (`*` and `?`
within one path element, `**` across any number, a pattern excluding a directory excludes
what is under it, `!` includes again, the last matching line wins)."""

from __future__ import annotations

import importlib
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from tests.test_settings import PRODUCTION, ROOT, run_python

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# What the image runs: these (and every file under them) must be in the build context.
APPLICATION = (
    "pyproject.toml",
    "README.md",
    "manage.py",
    "vsm_site",
    "workshops",
    "streams",
    "metrics",
    "workitems",
    "templates",
    "static",
)


def _pattern(line: str) -> re.Pattern[str]:
    """A .dockerignore line as a regular expression over a context-relative path."""
    expression = ""
    rest = line.strip("/")
    while rest:
        if rest.startswith("**/"):
            expression, rest = expression + "(?:.*/)?", rest[3:]
        elif rest.startswith("**"):
            expression, rest = expression + ".*", rest[2:]
        elif rest[0] == "*":
            expression, rest = expression + "[^/]*", rest[1:]
        elif rest[0] == "?":
            expression, rest = expression + "[^/]", rest[1:]
        else:
            expression, rest = expression + re.escape(rest[0]), rest[1:]
    return re.compile(expression)


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        rules.append((include, _pattern(line.removeprefix("!").strip())))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]] | None = None) -> bool:
    """Whether Docker leaves `path` (relative to the context, `/`-separated) out."""
    rules = _rules() if rules is None else rules
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    verdict = False
    for include, pattern in rules:
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            verdict = not include
    return verdict


def build_context(root: Path = ROOT) -> Iterator[str]:
    """Every file of the context Docker would send, as context-relative paths."""
    rules = _rules()
    for directory, subdirectories, files in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        subdirectories[:] = [name for name in subdirectories if not excluded(prefix + name, rules)]
        for name in files:
            if not excluded(prefix + name, rules):
                yield prefix + name


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    instructions = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "artifacts/e2e/journey-board.png",
        "db.sqlite3",
        "db.sqlite3-wal",
        "node_modules/playwright/package.json",
        "static/vendor/node_modules/swagger-ui-dist/package.json",
        "__pycache__/x.cpython-311.pyc",
        "streams/__pycache__/models.cpython-311.pyc",
        "streams/stray.pyc",
        ".env",
        ".env.production",
        "vsm_site/.env",
        "media/imports/upload.csv",
        "staticfiles/staticfiles.json",
        ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG",
        ".mypy_cache/3.11/x.json",
        ".hypothesis/examples/x",
        "vsm_workshops.egg-info/PKG-INFO",
        "tests/conftest.py",
        "bench/results.json",
    ],
)
def test_dockerignore_leaves_out_local_environments_databases_secrets_and_caches(path):
    assert excluded(path)


def test_the_context_holds_every_file_the_application_runs():
    context = set(build_context())
    for name in APPLICATION:
        source = ROOT / name
        assert source.exists(), name
        files = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" in relative or relative.endswith(".pyc"):
                continue
            assert relative in context, f"{relative} is left out of the image's build context"
    # And nothing of the machine it was built on.
    assert not any(path.startswith((".venv/", ".git/", "artifacts/", "media/")) for path in context)
    assert not any("__pycache__" in path or path.startswith("db.sqlite3") for path in context)


def test_the_dockerfile_copies_nothing_the_dockerignore_leaves_out():
    copies = [
        arguments
        for instruction, arguments in dockerfile_instructions()
        if instruction in ("COPY", "ADD")
    ]
    assert copies
    for arguments in copies:
        *sources, _destination = shlex.split(arguments)
        for source in sources:
            assert not source.startswith("--from"), "a COPY from another stage"
            if source == ".":
                continue
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert not excluded(source), f"COPY {source} needs what .dockerignore leaves out"
    # Only what the context holds is named: a pip install needs the packages it finds.
    assert (ROOT / "pyproject.toml").exists() and not excluded("pyproject.toml")


def test_the_image_runs_production_settings_as_no_root_user():
    instructions = dockerfile_instructions()
    environment = " ".join(
        arguments for instruction, arguments in instructions if instruction == "ENV"
    )
    assert "DJANGO_ENV=production" in shlex.split(environment)
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    [command] = [arguments for instruction, arguments in instructions if instruction == "CMD"]
    assert "uvicorn vsm_site.asgi:application" in command
    assert '--forwarded-allow-ips \\"$VSM_TRUSTED_PROXIES\\"' in command


def test_the_image_collects_static_files_with_the_production_settings(tmp_path):
    """The Dockerfile's collectstatic line, run as the build runs it (its ENV and its own
    placeholders, no secret of a deployment): the production settings load."""
    instructions = dockerfile_instructions()
    environment: dict[str, str] = {}
    for instruction, arguments in instructions:
        if instruction == "ENV":
            environment.update(word.split("=", 1) for word in shlex.split(arguments))
    [line] = [arguments for instruction, arguments in instructions if "collectstatic" in arguments]
    words = shlex.split(line)
    start = words.index("python")
    environment.update(word.split("=", 1) for word in words[:start])
    assert environment["DJANGO_ENV"] == "production"
    assert not set(environment) & {"DATABASE_URL", "REDIS_URL"}
    command = [str(ROOT / "manage.py"), *words[start + 2 :], "--dry-run"]
    result = run_python(command, environment, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_static_storage_collects_the_vendored_files_and_pages_name_hashed_files(
    db, tmp_path, monkeypatch
):
    """Production's storage (hashed names from a manifest) on this tree: collectstatic
    succeeds (a vendored CSS names a source map that is not vendored) and a page's static
    references are the hashed files. Compression, the slow part, is left out."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    production = importlib.import_module("vsm_site.settings.production")
    storage = production.STORAGES["staticfiles"]
    storage_class = storage["BACKEND"].rsplit(".", 1)
    module = importlib.import_module(storage_class[0])
    monkeypatch.setattr(
        getattr(module, storage_class[1]), "compress_files", lambda self, paths: iter(())
    )
    static_root = tmp_path / "staticfiles"
    storages = {**production.STORAGES, "staticfiles": storage}
    with override_settings(STATIC_ROOT=static_root, STORAGES=storages, DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        assert (static_root / "staticfiles.json").is_file()
        # The API docs name Swagger UI's files unhashed (SWAGGER_UI_DIST); they are there too.
        assert (static_root / "vendor/swagger-ui-dist/swagger-ui.css").is_file()
        login = Client().get("/accounts/login/").content.decode()
        assert re.search(r"/static/css/[\w-]+\.[0-9a-f]{12}\.css", login)
