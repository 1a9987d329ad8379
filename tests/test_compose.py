"""docker-compose.yml cannot run here (no Docker engine); it is parsed and checked instead:
the same topology the stack tests run on local services, in production settings, with its
secrets from the environment. `compose_config` resolves `${...}` as compose does, so what a
service would get is what the app is started with here."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
import stat
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from unittest import mock

import pytest
import yaml

from tests.test_settings import ROOT, run_python

COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")
REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "VSM_CREDENTIALS_KEY", "POSTGRES_PASSWORD")
SECRETS = ("DJANGO_SECRET_KEY", "VSM_CREDENTIALS_KEY", "POSTGRES_PASSWORD")

DEPLOYMENT = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "flow.example.org",
    "VSM_CREDENTIALS_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "POSTGRES_PASSWORD": secrets.token_hex(16),
}

# Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error} (the `:` forms treat an empty value as unset).
VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariable(Exception):
    """What compose answers when a `${NAME:?error}` is unset: it starts nothing."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"required variable {name} is missing a value: {message}")
        self.name = name


def _interpolate(text: str, environment: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["name"] or match["bare"]
        value, operator = environment.get(name), match["op"] or ""
        unset = value is None or (operator.startswith(":") and value == "")
        if operator.endswith("?") and unset:
            raise MissingVariable(name, match["argument"])
        if operator.endswith("-") and unset:
            return match["argument"]
        return value or ""

    return VARIABLE.sub(replace, text)


def compose_config(environment: dict[str, str]) -> dict[str, Any]:
    """docker-compose.yml as `docker compose config` shows it for `environment`."""

    def resolve(node: Any) -> Any:
        if isinstance(node, str):
            return _interpolate(node, environment)
        if isinstance(node, list):
            return [resolve(value) for value in node]
        if isinstance(node, dict):
            return {key: resolve(value) for key, value in node.items()}
        return node

    return resolve(yaml.safe_load(COMPOSE.read_text()))


def test_the_app_services_share_the_database_redis_and_the_upload_volume() -> None:
    compose = compose_config(DEPLOYMENT)
    services = compose["services"]

    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")
        # A worker imports the files the web server received: both see the same folder.
        assert "media:" + environment["VSM_MEDIA_ROOT"] in services[name]["volumes"]
        assert {"postgres"} <= set(services[name]["depends_on"])
    assert set(compose["volumes"]) >= {"pgdata", "media"}
    assert "--ws websockets-sansio" in services["web"]["command"]


@pytest.mark.parametrize("empty", [False, True], ids=["unset", "empty"])
@pytest.mark.parametrize("name", REQUIRED)
def test_compose_refuses_to_start_without_each_required_secret(name: str, empty: bool) -> None:
    environment = {key: value for key, value in DEPLOYMENT.items() if key != name}
    if empty:
        environment[name] = ""
    with pytest.raises(MissingVariable) as refused:
        compose_config(environment)
    assert refused.value.name == name


def test_no_secret_has_a_value_or_a_default_in_the_file() -> None:
    text = COMPOSE.read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses, f"{name} is not taken from the environment"
        assert all(use.startswith(":?") for use in uses), f"{name} has a default: {uses}"
    raw = yaml.safe_load(text)["services"]
    assert raw["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in APP_SERVICES:
        environment = raw[name]["environment"]
        for secret in ("DJANGO_SECRET_KEY", "VSM_CREDENTIALS_KEY"):
            assert environment[secret].startswith("${" + secret + ":?")
        assert re.fullmatch(
            r"postgres://postgres:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/vsm",
            environment["DATABASE_URL"],
        )


def test_every_app_service_runs_production_settings_with_the_secrets_given() -> None:
    services = compose_config(DEPLOYMENT)["services"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DJANGO_ENV"] == "production"
        for secret in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "VSM_CREDENTIALS_KEY"):
            assert environment[secret] == DEPLOYMENT[secret], (name, secret)
        assert DEPLOYMENT["POSTGRES_PASSWORD"] in environment["DATABASE_URL"]
        assert "DJANGO_DEBUG" not in environment
    assert (
        services["postgres"]["environment"]["POSTGRES_PASSWORD"]
        == (DEPLOYMENT["POSTGRES_PASSWORD"])
    )


def test_migrate_runs_the_deploy_checks_first_and_the_others_wait_for_it(tmp_path) -> None:
    services = compose_config(DEPLOYMENT)["services"]
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    checks, migration = migrate["command"].removeprefix('sh -c "').split(" && ")
    assert checks == "python manage.py check --deploy --fail-level WARNING"
    assert migration.startswith("python manage.py migrate --noinput")
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    # The demo's published passwords never reach a deployment.
    assert "load_demo" not in COMPOSE.read_text()

    # The gate passes with the environment compose gives it, and stops on a weak secret key.
    environment = dict(migrate["environment"])
    command = [str(ROOT / "manage.py"), *shlex.split(checks)[2:]]
    result = run_python(command, environment, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    weak = {**environment, "DJANGO_SECRET_KEY": "change-me-in-production-please-0123456789"}
    result = run_python(command, weak, tmp_path)
    assert result.returncode != 0 and "security.W009" in result.stdout + result.stderr
    # A trial on one machine with nothing in front (README, "Deploying") passes it too.
    trial = compose_config({**DEPLOYMENT, "DJANGO_SECURE_SSL_REDIRECT": "false"})
    result = run_python(command, trial["services"]["migrate"]["environment"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_long_running_services_have_healthchecks_and_restart_policies() -> None:
    services = compose_config(DEPLOYMENT)["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert service["restart"] in ("unless-stopped", "always"), name
        healthcheck = service["healthcheck"]
        assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= set(healthcheck), name
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"][1] in ("pg_isready", "redis-cli")
    # The Python the web and beat checks run is Python.
    web = services["web"]["healthcheck"]["test"]
    assert web[1:3] == ["python", "-c"]
    compile(web[3], "web healthcheck", "exec")
    beat = services["beat"]["healthcheck"]["test"]
    assert beat[1:5] == ["python", "manage.py", "shell", "-c"]
    compile(beat[5], "beat healthcheck", "exec")
    # The worker answers a ping addressed to its own node name (celery@ the container's host).
    worker = services["worker"]["healthcheck"]["test"]
    assert (
        worker[0] == "CMD-SHELL"
        and 'inspect ping --destination "celery@${HOSTNAME}"' in (worker[1])
    )


def _exit_status(code: str) -> int:
    """What the container's health would be: the exit status of running `code`."""
    try:
        exec(code, {})  # noqa: S102 (the compose file's own healthcheck)
    except SystemExit as stop:
        return int(stop.code or 0) if not isinstance(stop.code, str) else 1
    return 0


@pytest.mark.parametrize(("status", "healthy"), [(301, True), (200, True), (500, False)])
def test_the_web_healthcheck_is_healthy_while_django_answers_below_500(status, healthy):
    """The healthcheck's Python against a server on another port: the redirect to HTTPS
    (any answer below 500) is healthy, a server error is not; it names an allowed host."""
    seen: list[str] = []

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen.append(self.headers["Host"])
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        web = compose_config(DEPLOYMENT)["services"]["web"]
        code = web["healthcheck"]["test"][3].replace("8000", str(server.server_port))
        environment = {"DJANGO_ALLOWED_HOSTS": "flow.example.org,.example.org"}
        with mock.patch.dict(os.environ, environment):
            assert (_exit_status(code) == 0) is healthy
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["flow.example.org"]


def test_the_beat_healthcheck_needs_a_task_sent_within_15_minutes(db):
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    beat = compose_config(DEPLOYMENT)["services"]["beat"]
    code = beat["healthcheck"]["test"][5]
    assert _exit_status(code) != 0  # a beat that never sent anything
    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(
        name="fan-out", task="workitems.tasks.connection_sync_due_task", interval=every
    )
    PeriodicTask.objects.filter(pk=task.pk).update(
        last_run_at=timezone.now() - timedelta(minutes=20)
    )
    assert _exit_status(code) != 0  # stopped sending
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now())
    assert _exit_status(code) == 0


@pytest.mark.parametrize("proxies", ["", "172.18.0.0/16"])
def test_web_believes_forwarded_headers_only_from_the_configured_proxies(tmp_path, proxies):
    """The web command as the container's shell runs it, with uvicorn replaced by a script
    that prints its arguments: `--forwarded-allow-ips` is VSM_TRUSTED_PROXIES, empty (trusting
    nobody) unless it is set."""
    environment = {**DEPLOYMENT, **({"VSM_TRUSTED_PROXIES": proxies} if proxies else {})}
    web = compose_config(environment)["services"]["web"]
    uvicorn = tmp_path / "uvicorn"
    uvicorn.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    uvicorn.chmod(uvicorn.stat().st_mode | stat.S_IEXEC)
    result = subprocess.run(
        shlex.split(web["command"]),
        env={**web["environment"], "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    arguments = result.stdout.split("\n")[:-1]
    assert arguments[0] == "vsm_site.asgi:application"
    assert arguments[arguments.index("--forwarded-allow-ips") + 1] == proxies
    assert web["environment"]["VSM_TRUSTED_PROXIES"] == proxies


def test_every_app_service_runs_the_one_image_built_here() -> None:
    services = compose_config(DEPLOYMENT)["services"]
    for name in APP_SERVICES:
        assert services[name]["build"] == "." and services[name]["image"] == "flowmap"
    assert (ROOT / "Dockerfile").is_file() and (ROOT / ".dockerignore").is_file()
