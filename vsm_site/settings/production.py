"""Production: base tightened. Requires DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Tracker credentials are encrypted with VSM_CREDENTIALS_KEY: a system check refuses to start
# without it (workitems/checks.py), never a key derived from anything else.
VSM_CREDENTIALS_KEY_REQUIRED = True

# No SECURE_PROXY_SSL_HEADER: anyone can send X-Forwarded-Proto. uvicorn takes the scheme
# from it only for VSM_TRUSTED_PROXIES (a TLS-terminating proxy must be listed there).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
