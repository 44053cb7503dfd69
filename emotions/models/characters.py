"""Characters the site looks for: a face cascade (in media storage) and how to run it.

A character is shipped (cascades/cast.json), added by staff with a cascade file, or taught on the site from
marked faces (emotions.models.teaching): a taught one has no cascade until a trained version is accepted, and a
character with no cascade is never looked for.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from toonvision.detection import CascadeError, check_character_name
from toonvision.emotions import EMOTIONS

EMOTION_CHOICES = [(name, name) for name in EMOTIONS]


def validate_character_slug(value: str) -> None:
    """A slug the vision core accepts as a detector's name."""
    try:
        check_character_name(value)
    except CascadeError as error:
        raise ValidationError(str(error), code="invalid_slug") from None


class Character(models.Model):
    """A character the site looks for: its face cascade (in media storage) and how to run it."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, validators=[validate_character_slug])
    cascade = models.FileField(
        upload_to="cascades/", max_length=255, blank=True,
        help_text="an OpenCV cascade XML file; blank while a taught character has no accepted version",
    )
    cascade_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    # detectMultiScale's parameters (see toonvision.detection.DetectionParams).
    scale_factor = models.FloatField(default=1.1, validators=[MinValueValidator(1.001)])
    min_neighbors = models.PositiveSmallIntegerField(default=3)
    min_size = models.PositiveIntegerField(default=24, validators=[MinValueValidator(1)])
    max_size = models.PositiveIntegerField(default=0, help_text="pixels; 0 means no limit")
    shipped = models.BooleanField(default=False, help_text="part of the shipped cast (cascades/cast.json)")
    active = models.BooleanField(default=True, help_text="looked for when an episode is processed")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="characters",
        help_text="who taught it on the site (may train it, switch its version, find it everywhere)",
    )
    mirror = models.BooleanField(
        default=True, help_text="training may add mirrored examples (False for a face that is not symmetric)"
    )
    appearance = models.JSONField(
        null=True, blank=True,
        help_text="a taught character's colours (toonvision.appearance), from its active version",
    )
    active_version = models.ForeignKey(
        "CharacterVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="the trained version whose cascade and parameters the character uses",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(scale_factor__gt=1.0), name="character_scale_factor_above_1"),
            models.CheckConstraint(
                condition=Q(max_size=0) | Q(max_size__gte=models.F("min_size")),
                name="character_max_size_0_or_above_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def detection_params(self) -> dict:
        return {
            "scale_factor": self.scale_factor,
            "min_neighbors": self.min_neighbors,
            "min_size": self.min_size,
            "max_size": self.max_size,
        }
