"""The Celery application: jobs for valuation and matching, configured from Django settings.

Every worker also sweeps stale jobs and reconnects promptly to a lost broker
(origination/worker_steps.py, docs/jobs.md).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dataabs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _add_worker_steps() -> None:
    from origination.worker_steps import JobSweep

    app.steps["worker"].add(JobSweep)


_add_worker_steps()
