"""Teaching the site a character: the faces (and non-faces) marked or uploaded for it, and each training of
a cascade from them, kept as a version the character's owner checks, accepts or switches back to."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from emotions.models.characters import Character


def example_upload_to(example: "CharacterExample", filename: str) -> str:
    return f"examples/{example.character.slug}/{filename}"


class CharacterExample(models.Model):
    """One example for training a character: a face (positive) or a region with no face of it (negative).

    Its crop is always stored as a PNG; one marked on an episode frame also keeps where it was (episode, frame,
    box in video pixels), so its region can be blanked from negatives and re-cut when the box moves.
    """

    class Kind(models.TextChoices):
        POSITIVE = "positive"
        NEGATIVE = "negative"

    class Source(models.TextChoices):
        FRAME = "frame"
        UPLOAD = "upload"
        PREVIEW = "preview"
        LABEL = "label", "a face labelled not a face or not this character"

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="examples")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.POSITIVE)
    episode = models.ForeignKey(
        "Episode", on_delete=models.CASCADE, null=True, blank=True, related_name="character_examples"
    )
    frame = models.PositiveIntegerField(null=True, blank=True)
    x = models.PositiveIntegerField(null=True, blank=True)
    y = models.PositiveIntegerField(null=True, blank=True)
    w = models.PositiveIntegerField(null=True, blank=True)
    h = models.PositiveIntegerField(null=True, blank=True)
    image = models.FileField(upload_to=example_upload_to, max_length=255, help_text="the crop, PNG")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FRAME)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["character", "created", "id"]
        indexes = [models.Index(fields=["episode", "frame"], name="example_episode_frame")]
        constraints = [
            models.CheckConstraint(
                condition=Q(episode__isnull=True, frame__isnull=True, x__isnull=True)
                | Q(episode__isnull=False, frame__isnull=False, x__isnull=False, y__isnull=False,
                    w__gt=0, h__gt=0),
                name="example_box_on_a_frame_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} example {self.pk} of {self.character}"

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        return None if self.x is None else (self.x, self.y, self.w, self.h)


class CharacterVersion(models.Model):
    """One training of a character's cascade: its progress while it runs, then its cascade, chosen detection
    parameters, report and preview; accepted (made the character's) or not."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(help_text="1, 2, ... per character")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.JSONField(default=dict, blank=True, help_text="the trainer's latest progress report")
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, help_text="why training failed, for people")
    cascade = models.FileField(upload_to="cascades/taught/", max_length=255, blank=True)
    cascade_sha256 = models.CharField(max_length=64, blank=True)
    detection = models.JSONField(default=dict, blank=True, help_text="the detection parameters training chose")
    appearance = models.JSONField(null=True, blank=True, help_text="the colours training learnt (or null)")
    report = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=16, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    examples_used = models.PositiveIntegerField(default=0)
    preview = models.JSONField(
        default=list, blank=True, help_text='[{"episode", "frame", "image" (storage name), "hits": [[x,y,w,h]]}]'
    )
    accepted = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["character", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["character", "number"], name="character_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.character} v{self.number}"
