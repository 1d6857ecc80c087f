"""DataABS project wiring and the originator side (originators, data assets, revenue)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
