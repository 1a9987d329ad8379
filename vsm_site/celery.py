"""The Celery app: configured from Django settings (CELERY_*), JSON only, tasks autodiscovered."""

from celery import Celery

from vsm_site import use_default_settings

use_default_settings()

app = Celery("vsm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
