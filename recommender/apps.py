from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    """Episodes ranked by a character's emotion, alike episodes and the leaderboard."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "recommender"
