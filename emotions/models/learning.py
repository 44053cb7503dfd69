"""Learning from the site's own people: the labels they give faces, the labelled datasets they import, and the
emotion models trained from them, kept as a registry one of which is active."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from emotions.models.characters import EMOTION_CHOICES
from emotions.models.episodes import Detection


class FaceLabel(models.Model):
    """A person's word on one detected face: its emotion, or that it is not a face or not this character.

    Labels are kept as history (who, when, and what the model had said); the latest one of a face is in force
    and is written onto the Detection (`labelled`, `rejected`, `emotion`), so every page and summary reads it
    without a join. Undoing a label deletes it and puts the face back as the label before it (or the model) had it.
    """

    class Verdict(models.TextChoices):
        EMOTION = "emotion"
        NOT_FACE = "not_face"
        NOT_CHARACTER = "not_character"

    detection = models.ForeignKey(Detection, on_delete=models.CASCADE, related_name="labels")
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.EMOTION)
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES, blank=True, help_text="for an emotion verdict")
    model_emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES, help_text="what the model had said")
    model_confidence = models.FloatField(help_text="the model's probability of what it said")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="face_labels"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["detection", "-created"], name="face_label_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict="emotion", emotion__gt="") | (~Q(verdict="emotion") & Q(emotion="")),
                name="face_label_emotion_iff_emotion_verdict",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} {self.emotion} on detection {self.detection_id}".strip()


def dataset_face_upload_to(face: "DatasetFace", filename: str) -> str:
    return f"datasets/{face.dataset}/{filename}"


class DatasetFace(models.Model):
    """A labelled face image imported from a dataset (a ZIP or a server folder in one of the layouts the loader
    knows): it trains and tests emotion models without belonging to an episode."""

    class Split(models.TextChoices):
        TRAINING = "training"
        TESTING = "testing"

    dataset = models.SlugField(max_length=64, help_text="the name the dataset was imported under")
    character = models.CharField(max_length=64, blank=True, help_text="the layout's character folder, if any")
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES)
    split = models.CharField(max_length=16, choices=Split.choices, default=Split.TRAINING)
    image = models.FileField(upload_to=dataset_face_upload_to, max_length=255, help_text="the face, PNG")
    sha256 = models.CharField(max_length=64, help_text="of the image's pixels, so one import twice adds nothing")
    source_name = models.CharField(max_length=255, blank=True, help_text="its path inside the dataset")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "emotion", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "sha256"], name="dataset_face_unique_image"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset}: {self.emotion} ({self.split})"


class EmotionModel(models.Model):
    """One emotion CNN in the site's registry: a training job while it runs, then its weights, where it came from
    (parent, data, settings) and its report (curves, confusion matrix, per-emotion F1 on fixed test splits).

    At most one model is active: the one new processing and re-classification use. A fresh site has none, and
    uses EMOTION_WEIGHTS (the shipped weights unless the environment names others).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Kind(models.TextChoices):
        TRAINING = "training", "a model trained"
        SHIPPED = "shipped", "weights the site was given"
        OPTIMIZERS = "optimizers", "the dissertation's optimiser experiment"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRAINING)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
        help_text="the model it was fine-tuned from",
    )
    weights = models.CharField(
        max_length=255, blank=True, help_text="its weights file: relative to the project where inside it"
    )
    weights_sha256 = models.CharField(max_length=64, blank=True)
    preset = models.CharField(max_length=16, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="optimizer, epochs, from scratch or not, ...")
    data = models.JSONField(default=dict, blank=True, help_text="what it was trained on: sources and face counts")
    progress = models.JSONField(default=dict, blank=True, help_text="the latest epoch's report while training")
    report = models.JSONField(default=dict, blank=True, help_text="curves, confusion matrices, per-emotion F1")
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, help_text="why training failed, for people")
    device = models.CharField(max_length=16, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=False)
    activated = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="emotion_model_one_active"),
            models.CheckConstraint(
                condition=Q(active=False) | Q(status="done"), name="emotion_model_active_only_when_done"
            ),
        ]

    def __str__(self) -> str:
        return self.name
