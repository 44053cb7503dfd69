"""ToonSite: find cartoon characters' faces in episodes and recognise their emotions."""
from .celery import app as celery_app

__all__ = ("celery_app",)
