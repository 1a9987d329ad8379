"""Settings from the environment: the embedded default, the full stack, production.

Each case imports the settings in a fresh interpreter with a controlled environment, so
nothing from this test run (DATABASE_URL, REDIS_URL, DJANGO_SETTINGS_MODULE) leaks in.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent

SHOW_SETTINGS = """
import json
from vsm_site import use_default_settings
use_default_settings()
import django
django.setup()
from django.conf import settings
from django.db import connection
from vsm_site.celery import app
layer = settings.CHANNEL_LAYERS["default"]
print(json.dumps({
    "module": settings.SETTINGS_MODULE,
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "database": str(settings.DATABASES["default"]["NAME"]),
    "driver": connection.Database.__name__,
    "channel_layer": layer["BACKEND"],
    "channel_hosts": layer.get("CONFIG", {}).get("hosts"),
    "broker": app.conf.broker_url,
    "eager": app.conf.task_always_eager,
    "accept_content": list(app.conf.accept_content),
    "task_serializer": app.conf.task_serializer,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "csp_middleware": "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE,
    "csp": settings.CONTENT_SECURITY_POLICY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def run_python(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Runs the project's Python with only `env` (plus PATH and HOME) in the environment."""
    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_with(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    result = run_python(["-c", SHOW_SETTINGS], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "example.org",
    "VSM_CREDENTIALS_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
}


def test_check_deploy_passes_in_production_with_no_warnings(tmp_path):
    result = run_python([str(ROOT / "manage.py"), "check", "--deploy"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr and "security." not in result.stderr


def test_production_settings_turn_debug_off_and_security_on(tmp_path):
    production = settings_with(PRODUCTION, tmp_path)
    assert production["module"] == "vsm_site.settings.production"
    assert production["debug"] is False
    assert production["session_cookie_secure"] and production["csrf_cookie_secure"]
    assert production["hsts_seconds"] >= 365 * 24 * 3600 and production["hsts_subdomains"]
    assert production["ssl_redirect"] is True
    assert production["allowed_hosts"] == ["example.org"]
    assert production["csp_middleware"]
    assert production["csp"]["DIRECTIVES"]["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "VSM_CREDENTIALS_KEY"]
)
def test_production_refuses_to_start_without_its_required_settings(tmp_path, missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = run_python([str(ROOT / "manage.py"), "check"], env, tmp_path)
    assert result.returncode != 0 and missing in result.stderr


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("DJANGO_SECRET_KEY", None),
        ("DJANGO_ALLOWED_HOSTS", None),
        ("VSM_CREDENTIALS_KEY", None),
        ("DJANGO_SECRET_KEY", ""),
        ("DJANGO_ALLOWED_HOSTS", " , "),
        ("VSM_CREDENTIALS_KEY", "  "),
    ],
)
def test_production_server_and_workers_refuse_to_load_without_a_required_setting(
    tmp_path, missing, value
):
    """What uvicorn imports (and Celery's worker and beat set up: django.setup()), which runs
    no system checks: the settings themselves refuse, so no process runs on a default."""
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    if value is not None:
        env[missing] = value
    result = run_python(["-c", "import vsm_site.asgi"], env, tmp_path)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} is required with DJANGO_ENV=production" in (
        result.stderr
    )


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_production_celery_worker_and_beat_refuse_to_start_without_the_credentials_key(
    tmp_path, service
):
    """A worker on a key derived from the secret key would encrypt tokens the web server
    cannot read. (Were it to start, it would run until the timeout fails the test.)"""
    env = {name: value for name, value in PRODUCTION.items() if name != "VSM_CREDENTIALS_KEY"}
    command = ["-m", "celery", "-A", "vsm_site", service, "--loglevel=INFO"]
    result = run_python(
        [*command, *(["--pool=solo"] if service == "worker" else [])], env, tmp_path
    )
    assert result.returncode != 0
    assert "VSM_CREDENTIALS_KEY is required with DJANGO_ENV=production" in result.stderr


def test_production_server_loads_with_its_required_settings(tmp_path):
    result = run_python(["-c", "import vsm_site.asgi"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_credentials_key_that_is_no_fernet_key(tmp_path):
    env = {**PRODUCTION, "VSM_CREDENTIALS_KEY": "not-a-key"}
    result = run_python([str(ROOT / "manage.py"), "check"], env, tmp_path)
    assert result.returncode != 0 and "VSM_CREDENTIALS_KEY is not a Fernet key" in result.stderr
    assert "not-a-key" not in result.stderr + result.stdout


def test_development_without_a_credentials_key_warns_and_derives_one(tmp_path):
    result = run_python([str(ROOT / "manage.py"), "check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "workitems.W001" in result.stdout + result.stderr


def test_pages_carry_a_content_security_policy(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline scripts, no CDN
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_api_responses_carry_a_content_security_policy(db):
    assert "Content-Security-Policy" in Client().get("/api/schema/")


def test_embedded_default_with_nothing_set(tmp_path):
    embedded = settings_with({}, tmp_path)
    assert embedded["module"] == "vsm_site.settings.base"
    assert embedded["engine"] == "django.db.backends.sqlite3"
    assert embedded["database"] == str(ROOT / "db.sqlite3")
    assert embedded["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert embedded["eager"] is True and embedded["broker"] == "memory://"


def _db(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


@pytest.mark.parametrize(
    ("redis_url", "server"),
    [
        ("redis://cache:6379/0", "redis://cache:6379"),
        ("redis://cache:6379", "redis://cache:6379"),
        ("redis://cache:6379/", "redis://cache:6379"),
        ("redis://:s3cret@cache:6380/4", "redis://:s3cret@cache:6380"),
    ],
)
def test_full_stack_with_database_url_and_redis_url(tmp_path, redis_url, server):
    full = settings_with(
        {"DATABASE_URL": "postgres://vsm:pw@db.internal:5432/vsm", "REDIS_URL": redis_url},
        tmp_path,
    )
    assert full["engine"] == "django.db.backends.postgresql"
    assert full["driver"] == "psycopg"  # psycopg 3, not psycopg2
    assert full["database"] == "vsm"
    assert full["channel_layer"].startswith("channels_redis.")  # list-based or pub/sub
    [channel_host] = full["channel_hosts"]
    assert full["eager"] is False
    assert full["broker"].startswith(server + "/") and channel_host.startswith(server + "/")
    assert _db(full["broker"]) != _db(channel_host)  # broker and channel layer kept apart


def test_celery_only_speaks_json(tmp_path):
    full = settings_with({"REDIS_URL": "redis://cache:6379/0"}, tmp_path)
    assert (full["accept_content"], full["task_serializer"]) == (["json"], "json")
