"""The Django project. Importing it loads the Celery app so shared tasks bind to it."""

import os

from django.urls import register_converter

from vsm_site.ids import IdConverter

# Before any urls module builds its patterns (settings import this package first).
register_converter(IdConverter, "id")


def use_default_settings() -> None:
    """Point DJANGO_SETTINGS_MODULE at production when DJANGO_ENV=production, else base."""
    module = "production" if os.environ.get("DJANGO_ENV") == "production" else "base"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"vsm_site.settings.{module}")


from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app", "use_default_settings"]
