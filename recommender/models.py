"""What the recommender keeps of its own: a viewer's likes (an episode or a character), which "For you" ranks
episodes by. The emotions app never reads them."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class Like(models.Model):
    """A user likes one episode or one character: exactly one of the two is set, and once per user and target."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    episode = models.ForeignKey("emotions.Episode", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="likes")
    character = models.ForeignKey("emotions.Character", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="likes")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "-created"], name="like_user_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(episode__isnull=False, character__isnull=True)
                | Q(episode__isnull=True, character__isnull=False),
                name="like_one_target",
            ),
            models.UniqueConstraint(fields=["user", "episode"], condition=Q(episode__isnull=False),
                                    name="like_unique_episode"),
            models.UniqueConstraint(fields=["user", "character"], condition=Q(character__isnull=False),
                                    name="like_unique_character"),
        ]

    def __str__(self) -> str:
        return f"{self.user} likes {self.episode or self.character}"
