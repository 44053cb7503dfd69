"""Moments: one track's run of one emotion, the unit the frame search and the moments API list instead of frames.

A moment is a run of consecutive published detections (ordered by frame) of one track of a run with the same
emotion; a detection without a track (the `seed` method) is a moment of its own. Moments are materialised from
the episode's published run by emotions.services.moments whenever its emotions change (the run published, a face
labelled or unlabelled, the faces re-classified), so a search reads one indexed table and never groups faces.
"""
from django.db import models
from django.db.models import Q

from emotions.models.characters import EMOTION_CHOICES, Character
from emotions.models.episodes import Detection, Episode, ProcessingRun, Status


class MomentQuerySet(models.QuerySet):
    def published(self):
        """The moments of finished runs (the moments of an episode are those of the run it shows)."""
        return self.filter(run__status=Status.DONE)


class Moment(models.Model):
    """One character's run of one emotion along one track: when it starts and ends, and its best face."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="moments")
    run = models.ForeignKey(ProcessingRun, on_delete=models.CASCADE, related_name="moments")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="moments")
    track = models.PositiveIntegerField(null=True, blank=True, help_text="the run's track; none for a lone face")
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES)
    start = models.FloatField(help_text="seconds: the first face's time")
    end = models.FloatField(help_text="seconds: the last face's time plus the screen time it stands for")
    faces = models.PositiveIntegerField(help_text="detections in the moment")
    best = models.ForeignKey(
        Detection, on_delete=models.CASCADE, related_name="+",
        help_text="the most confident face (a labelled face counts as 1.0); the earliest of equals",
    )
    best_confidence = models.FloatField(help_text="the best face's confidence (1.0 if labelled)")
    mean_confidence = models.FloatField(help_text="the faces' mean confidence (labelled ones as 1.0)")

    objects = MomentQuerySet.as_manager()

    class Meta:
        ordering = ["episode", "start", "id"]
        indexes = [
            # The frame search's filters, each ordered as its pages are (best confidence, then id), so a page is an
            # index range scan with a LIMIT whatever the filters.
            models.Index(fields=["character", "emotion", "-best_confidence", "-id"], name="moment_char_emo_conf"),
            models.Index(fields=["emotion", "-best_confidence", "-id"], name="moment_emo_conf"),
            models.Index(fields=["character", "-best_confidence", "-id"], name="moment_char_conf"),
            models.Index(fields=["-best_confidence", "-id"], name="moment_conf"),
            models.Index(fields=["episode", "-best_confidence", "-id"], name="moment_ep_conf"),
            models.Index(fields=["run", "start"], name="moment_run_start"),
            # The episode page's moments, in time order.
            models.Index(fields=["episode", "start", "id"], name="moment_ep_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="moment_ends_after_start"),
            models.CheckConstraint(condition=Q(faces__gte=1), name="moment_has_a_face"),
            models.CheckConstraint(
                condition=Q(best_confidence__gte=0.0, best_confidence__lte=1.0), name="moment_confidence_0_to_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.character} {self.emotion} {self.start:.2f}-{self.end:.2f} s in {self.episode}"
