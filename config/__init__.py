"""DataABS project wiring: settings, URLs and the API router, the Celery app, the WSGI/ASGI entry points."""

from .celery import app as celery_app

__all__ = ("celery_app",)
