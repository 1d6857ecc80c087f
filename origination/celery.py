"""The Celery application: jobs for valuation and matching, configured from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "origination.settings")

app = Celery("dataabs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
