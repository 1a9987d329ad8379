"""Production: base tightened. Refuses to start without DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS
and VSM_CREDENTIALS_KEY, in every process that loads it (the ASGI server, the Celery worker and
beat, which run no system checks, as well as manage.py)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env


def _required(name: str) -> str:
    """The variable's value; unset, blank or only commas (an empty list) stops the process,
    naming the variable (never a default: a development value here would sign sessions or
    encrypt credentials)."""
    value = env.str(name, default="")
    if not value.replace(",", " ").strip():
        raise ImproperlyConfigured(
            f"{name} is required with DJANGO_ENV=production (README, 'Deploying')."
        )
    return value


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [
    host.strip() for host in _required("DJANGO_ALLOWED_HOSTS").split(",") if host.strip()
]
# Tracker credentials are encrypted with VSM_CREDENTIALS_KEY, never a key derived from anything
# else: required here, and a system check refuses one that is no Fernet key (workitems/checks.py).
VSM_CREDENTIALS_KEY = _required("VSM_CREDENTIALS_KEY")
VSM_CREDENTIALS_KEY_REQUIRED = True

# No SECURE_PROXY_SSL_HEADER: anyone can send X-Forwarded-Proto. uvicorn takes the scheme
# from it only for VSM_TRUSTED_PROXIES (a TLS-terminating proxy must be listed there).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
if not SECURE_SSL_REDIRECT:
    # Turned off on purpose (the proxy in front redirects plain HTTP itself, or a trial on
    # one machine): `check --deploy` need not warn of a choice the operator made.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "vsm_site.staticstorage.StaticFilesStorage"},
}
