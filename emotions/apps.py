from django.apps import AppConfig


class EmotionsConfig(AppConfig):
    """Characters, episodes and the faces and emotions found in them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "emotions"
