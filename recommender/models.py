"""Per-episode emotion summaries: how long each character shows each emotion, built when a run finishes."""
from django.db import models
from django.db.models import Q

from emotions.models import EMOTION_CHOICES


class EpisodeEmotion(models.Model):
    """One character's screen time in one emotion in one episode: the figures the rankings are made from.

    Seconds add up each detection's duration (the screen time until the next analysed frame), so they do
    not depend on how many frames were analysed; `share` is `seconds` over the character's screen time in
    the episode, so a character's shares in an episode add up to 1.
    """

    episode = models.ForeignKey("emotions.Episode", on_delete=models.CASCADE, related_name="emotion_summaries")
    run = models.ForeignKey("emotions.ProcessingRun", on_delete=models.CASCADE, related_name="emotion_summaries")
    character = models.ForeignKey("emotions.Character", on_delete=models.CASCADE, related_name="emotion_summaries")
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES)
    seconds = models.FloatField(help_text="screen seconds of the character in this emotion")
    weighted_seconds = models.FloatField(help_text="the same seconds, each weighted by the emotion's confidence")
    share = models.FloatField(help_text="seconds / the character's screen seconds in the episode (0-1)")
    detections = models.PositiveIntegerField(help_text="detections behind these seconds")

    class Meta:
        ordering = ["episode", "character", "emotion"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "character", "emotion"], name="episode_emotion_unique"),
            models.CheckConstraint(condition=Q(share__gte=0.0, share__lte=1.0), name="episode_emotion_share_0_to_1"),
            models.CheckConstraint(
                condition=Q(seconds__gte=0.0, weighted_seconds__gte=0.0, weighted_seconds__lte=models.F("seconds")),
                name="episode_emotion_seconds_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["character", "emotion", "-share"], name="episode_emotion_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.character} {self.emotion} in {self.episode}: {self.seconds:.1f} s"
