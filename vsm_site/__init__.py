"""The Django project. Importing it loads the Celery app so shared tasks bind to it."""

import os


def use_default_settings() -> None:
    """Point DJANGO_SETTINGS_MODULE at production when DJANGO_ENV=production, else base."""
    module = "production" if os.environ.get("DJANGO_ENV") == "production" else "base"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"vsm_site.settings.{module}")


from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app", "use_default_settings"]
